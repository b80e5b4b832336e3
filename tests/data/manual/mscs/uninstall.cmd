regsvr32 -u /s %systemroot%\cluster\JobCenterClusterEx
cluster /unregext:"JobCenterClusterEx"
cluster restype JobCenterCluster /delete /type
