cd %systemroot%\cluster
regsvr32 /s %systemroot%\cluster\JobCenterClusterEx
cluster /regext:"JobCenterClusterEx"
