#!/bin/bash
# A pcs command script, written the way pcs(8) documents the commands ("pcs cluster setup",
# "pcs resource create ... --group", "pcs property set", "pcs resource defaults",
# "pcs constraint location ... prefers", "pcs stonith create") and the RHEL 8 "Configuring
# and managing high availability clusters" guide runs them.
pcs host auth node1.example.com node2.example.com -u hacluster
pcs cluster setup jccluster node1.example.com addr=10.17.21.11 node2.example.com addr=10.17.21.12
pcs cluster start --all
pcs property set stonith-enabled=true
pcs property set no-quorum-policy=freeze
pcs resource defaults update resource-stickiness=100
pcs resource op defaults update timeout=240s
pcs stonith create fence-node1 fence_ipmilan ip=10.17.30.11 username=admin \
    password=secret lanplus=1 pcmk_host_list=node1.example.com
pcs resource create jc-fs ocf:heartbeat:Filesystem device=/dev/vg_jc/lv_jobdb \
    directory=/mnt/jobdb fstype=xfs --group jobcenter-orange
pcs resource create jc-ip IPaddr2 ip=10.17.21.162 cidr_netmask=24 \
    op monitor interval=10s --group jobcenter-orange
pcs resource create jc-site ocf:jobcenter:site site=orange.example.com database=/mnt/jobdb \
    op monitor interval=2s timeout=20s start timeout=40s \
    meta migration-threshold=2 --group jobcenter-orange
pcs constraint location jobcenter-orange prefers node1.example.com=50
pcs resource enable jobcenter-orange
