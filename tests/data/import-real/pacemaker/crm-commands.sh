#!/bin/sh
# Builds the JobCenter group with crm shell commands, one per line, the way crm(8)
# ("crm configure primitive ...", "configure property ...", "configure group ...") shows them.
set -e
crm configure property stonith-enabled=false
crm configure property no-quorum-policy=ignore
crm configure rsc_defaults resource-stickiness=100
crm configure primitive jc-ip ocf:heartbeat:IPaddr2 \
    params ip=10.17.21.162 cidr_netmask=24 \
    op monitor interval=10s timeout=20s
crm configure primitive jc-site ocf:jobcenter:site \
    params site=orange.example.com database=/mnt/jobdb \
    op monitor interval=2s timeout=20s
crm configure primitive webserver ocf:heartbeat:apache \
    params configfile=/etc/httpd/conf/httpd.conf
crm configure group jobcenter-orange jc-ip jc-site
crm configure colocation web-with-jc inf: webserver jobcenter-orange
crm resource cleanup jobcenter-orange
