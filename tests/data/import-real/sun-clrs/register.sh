#!/bin/sh
# Oracle Solaris Cluster 3.3 / 4.x commands, in the clresourcegroup(1CL), clresource(1CL) and
# clreslogicalhostname(1CL) syntax of the Oracle Solaris Cluster Data Services Planning and
# Administration Guide; the properties are changed afterwards with "clresource set -p".
clresourcetype register SUNW.gds
clresourcegroup create -n node1,node2 jc-orange-rg
clreslogicalhostname create -g jc-orange-rg -h orange.example.com jc-orange-lh
clresource create -g jc-orange-rg -t SUNW.gds \
    -p Start_command="/usr/lib/nqs/cluster/cjcpw orange.example.com /mnt/jobdb" \
    -p Stop_command="/usr/lib/nqs/cluster/cjcpw -stop orange.example.com" \
    -p Network_resources_used=jc-orange-lh jc-orange-gds
clrs set -p Probe_command="/opt/jcops/bin/check-jobcenter.sh orange" jc-orange-gds
clrs set -p Probe_timeout=60 -p Start_timeout=600 jc-orange-gds
clrs set -p Custom_flag=1 jc-orange-gds
clrs set -p Retry_count=4 jc-no-such
clresourcegroup set -p Failback=TRUE jc-orange-rg
clresourcegroup online -eM jc-orange-rg
