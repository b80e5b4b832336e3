#!/bin/sh
# Sun Cluster 3.1 setup of a JobCenter data service on the Generic Data Service, in the
# scrgadm(1M) syntax of the "Sun Cluster Data Services Planning and Administration Guide"
# (register the type with -a -t, create the group with -a -g -h, the logical hostname with
# -a -L -g -l, the resources with -a -j -g -t and -x/-y properties) and scswitch(1M).
scrgadm -a -t SUNW.gds
scrgadm -a -t SUNW.HAStoragePlus
scrgadm -a -g jc-orange-rg -h phys-node1,phys-node2 -y Pingpong_interval=600
scrgadm -a -L -g jc-orange-rg -l orange.example.com -n ipmp0@phys-node1,ipmp0@phys-node2 -j jc-orange-lh
scrgadm -a -j jc-orange-hasp -g jc-orange-rg -t SUNW.HAStoragePlus \
    -x FilesystemMountPoints=/mnt/jobdb -x AffinityOn=TRUE
scrgadm -a -j jc-orange-gds -g jc-orange-rg -t SUNW.gds \
    -x Start_command="/usr/lib/nqs/cluster/cjcpw orange.example.com /mnt/jobdb" \
    -x Stop_command="/usr/lib/nqs/cluster/cjcpw -stop orange.example.com" \
    -x Probe_command="/opt/jcops/bin/check-jobcenter.sh orange" \
    -y Port_list=607/tcp -y Resource_dependencies=jc-orange-hasp \
    -y Network_resources_used=jc-orange-lh
scrgadm -c -j jc-orange-gds -y Retry_count=5
scswitch -Z -g jc-orange-rg
