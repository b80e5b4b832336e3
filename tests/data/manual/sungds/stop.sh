#!/bin/sh
/usr/lib/nqs/cluster/cjcpw -stop jobserver1
