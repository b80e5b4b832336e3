#!/bin/sh
/usr/lib/nqs/nqsportkpr jobserver1
/usr/lib/nqs/cluster/cjcpw jobserver1 /mnt/jobdb
