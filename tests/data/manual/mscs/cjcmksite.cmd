C:\JobCenter\SV\bin\cjcmksite matte.e3.mid.mt.nec.co.jp 126 Q:\jobdb
