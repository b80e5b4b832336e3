#!/bin/sh
#
:
:
#
#If JobCenter already running, skip and proceed.
#
ServStatus= `pmfadm -q JobService `
JobSiteName=sitename.domain
JobDir=/SharediskMountPoint/JobDB
if [ $ServStatus -ne 0 ]
then
#Try to startup Job Service.
echo "Starting JobCenter Service"
pmfadm -c JobService -C 0 /usr/lib/nqs/cluster/cjcpw $JobSiteName $JobDir
PmfStat=$?
if [ $PmfStat -ne 0 ]
then
echo "Failed to startup JobCenter Service."
echo "Because of pmfadm error returned by $PmfStat."
exit 1
fi
else
echo "JobCenter Service Already started."
fi
:
:
exit 0
