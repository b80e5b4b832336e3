#!/bin/sh

if [ "$CLP_EVENT" = "START" ]
then
  if [ "$CLP_DISK" = "SUCCESS" ]
  then
    echo "NORMAL CJCPW STOP"
    /usr/lib/nqs/cluster/cjcpw -stop orange
  fi
elif [ "$CLP_EVENT" = "FAILOVER" ]
then
  if [ "$CLP_DISK" = "SUCCESS" ]
  then
    echo "FAILOVER CJCPW STOP"
    /usr/lib/nqs/cluster/cjcpw -stop orange
  fi
else
  #NO_CLP
fi
#EXIT

exit 0
