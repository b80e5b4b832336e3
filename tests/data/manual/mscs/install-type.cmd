cd %systemroot%\cluster
cluster restype "NEC JobCenter Cluster Resource Type" /create /dll:JobCenterCluster.dll /type:JobCenterCluster
