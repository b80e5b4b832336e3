"""``jccluster lab``: a real multi-node Pacemaker cluster on one Linux machine (docs/lab.md).

Each node is a set of Linux namespaces (network, mount, UTS, PID) holding the distribution's
corosync and Pacemaker, the emulated JobCenter installation at ``/usr/lib/nqs`` and its own
``/etc/hosts``; a third network namespace holds the bridge that joins them and the lab's power
switch (`pdu`), which the lab's fence agent asks to power a node off. Nothing is added to the
machine's own network namespace, ``/etc`` or mounts: every address is inside the lab's network
namespaces (TEST-NET-1, 192.0.2.0/24) and every mount inside a node's mount namespace.

Modules: `layout` (the lab directory and its cluster file), `node` (a node's PID 1), `pdu` (the
switch and power controller), `control` (up, down, boot, power, network cut), `census` (who
runs the site, sampled from outside), `drill` (the failover drill) and `timeline` (the SVG).
"""
