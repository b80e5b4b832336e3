rem *****
rem *          start.bat          *
rem *          *                   *
rem * title   : start script file sample *
rem * date    : 1999/11/30         *
rem * version : 001.01 *
rem *****

rem *****
rem 起動要因チェック
rem *****
IF "%ARMS_EVENT%" == "START" GOTO NORMAL
IF "%ARMS_EVENT%" == "FAILOVER" GOTO FAILOVER
IF "%ARMS_EVENT%" == "RECOVER" GOTO RECOVER

rem ActiveRecoveryManager 未動作
GOTO no_arm

rem *****
rem 通常起動対応処理
rem *****
:NORMAL

rem ディスクチェック
IF "%ARMS_DISK%" == "FAILURE" GOTO ERROR_DISK

rem *** JobCenter ***
d:\JobCenter\SV\bin\cjcinit x:\vmdb > NUL
ARMLoad JOBSTART /M /U jcadmin "d:\JobCenter\SV\bin\cjcpw" "-u" ^
"jcadmin" "orange" "x:\vmdb"

rem *****
rem 業務通常処理
rem *****

rem ARMRSP でリソースが異常状態のときに
rem フェイルオーバーを発生させる
rem ARMRSP が異常状態になったとき、
rem ARMLoad でサーバシャットダウンを発生させる
rem (例)ARMLoad watchID /R 9 /H 1 ARMRSP /A /PL 10.10.9.8 /PL 10.10.9.9

rem プライオリティ チェック
IF "%ARMS_SERVER%" == "OTHER" GOTO ON_OTHER1

rem *****
rem 最高プライオリティ での処理
rem (例) ARMBCAST /MSG "最高プライオリティサーバで起動中です" /A
rem *****
GOTO EXIT

:ON_OTHER1
rem *****
rem 最高プライオリティ 以外での処理
rem (例) ARMBCAST /MSG "プライオリティサーバ以外で起動中です" /A
rem *****
GOTO EXIT

rem *****
rem リカバリ対応処理
rem *****
:RECOVER

rem *****
rem クラスタ復帰後のリカバリ処理
rem *****

GOTO EXIT

rem *****
rem フェイルオーバー対応処理
rem *****
:FAILOVER

rem ディスクチェック
IF "%ARMS_DISK%" == "FAILURE" GOTO ERROR_DISK

rem *** JobCenter ***
d:\JobCenter\SV\bin\cjcinit x:\vmdb > NUL
ARMLoad JOBSTART /M /U jcadmin "d:\JobCenter\SV\bin\cjcpw" "-u" ^
"jcadmin" "orange" "x:\vmdb"

rem *****
rem フェイルオーバー後の業務起動ならびに復旧処理
rem *****

rem ARMRSP でリソースが異常状態のときに
rem フェイルオーバーを発生させる
rem ARMRSP が異常状態になったとき、
rem ARMLoad でサーバシャットダウンを発生させる
rem (例)ARMLoad watchID /R 9 /H 1 ARMRSP /A /PL 10.10.9.8 /PL 10.10.9.9

rem プライオリティ のチェック
IF "%ARMS_SERVER%" == "OTHER" GOTO ON_OTHER2

rem *****
rem 最高プライオリティ での処理
rem (例) ARMBCAST /MSG "最高プライオリティサーバで起動中です(フェイルオーバー後)" /A
rem *****
GOTO EXIT

:ON_OTHER2
rem *****
rem 最高プライオリティ 以外での処理
rem (例) ARMBCAST /MSG "プライオリティサーバ以外で起動中です(フェイルオーバー後)" /A
rem *****
GOTO EXIT

rem *****
rem 例外処理
rem *****

rem ディスク関連エラー処理
:ERROR_DISK
ARMBCAST /MSG "切替パーティションの接続に失敗しました" /A
GOTO EXIT

rem ARM 未動作
:no_arm
ARMBCAST /MSG "ActiveRecoveryManager が動作状態にありません" /A

:EXIT
