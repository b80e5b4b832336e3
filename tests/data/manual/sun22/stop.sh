#!/bin/sh
#
:
:
#
#If JobCenter Is not running, skip and proceed.
#
ServStatus= `pmfadm -q JobService `
JobSiteName=sitename.domain
if [ $ServStatus -eq 0 ]
then
#Service Running, try to stop.
pmfadm -s JobService /usr/lib/nqs/cluster/cjcpw -stop $JobSiteName
PmfStat=$?
if [ $PmfStat -ne 0 ]
then
echo "Some errors happened while executing pmfadm to stop JobService"
echo "Because of pmfadm error returned by $PmfStat."
exit 1
fi
else
echo "JobCenter Service Already stopped."
fi
:
:
exit 0
