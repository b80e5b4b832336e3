#!/bin/sh

if [ "$CLP_EVENT" = "START" ]
then
  if [ "$CLP_DISK" = "SUCCESS" ]
  then
    echo "NORMAL CJCPW STARTUP"
    /usr/lib/nqs/cluster/cjcpw orange /mnt/vmdb
  fi
elif [ "$CLP_EVENT" = "FAILOVER" ]
then
  if [ "$CLP_DISK" = "SUCCESS" ]
  then
    echo "FAILOVER CJCPW STARTUP"
    /usr/lib/nqs/cluster/cjcpw orange /mnt/vmdb
  fi
else
  #NO_CLP
fi
#EXIT

exit 0
