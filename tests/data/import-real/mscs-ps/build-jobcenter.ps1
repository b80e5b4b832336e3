# Builds the JobCenter role of a Windows Server 2016 failover cluster with the FailoverClusters
# module, in the cmdlet syntax of Microsoft's FailoverClusters reference (New-Cluster,
# Add-ClusterGroup, Add-ClusterResource, Set-ClusterParameter, Add-ClusterResourceDependency,
# Set-ClusterResourceDependency, Move-ClusterResource, Set-ClusterOwnerNode). Names and addresses are ours.
Import-Module FailoverClusters

New-Cluster -Name JCCLUS -Node WINNODE1,WINNODE2 -StaticAddress 10.17.21.160 -NoStorage

$Group = "JOBCENTER-CLUSTER"
Add-ClusterGroup -Name $Group
Add-ClusterResource -Name "IP Address 10.17.21.162" -Group $Group -ResourceType "IP Address"
Get-ClusterResource "IP Address 10.17.21.162" | Set-ClusterParameter -Multiple @{"Address"="10.17.21.162";"SubnetMask"="255.255.255.0";"EnableDhcp"=0}
Add-ClusterResource -Name "Network Name ORANGE" -Group $Group -ResourceType "Network Name"
Get-ClusterResource "Network Name ORANGE" | Set-ClusterParameter @{Name="ORANGE";DnsName="ORANGE"}
Add-ClusterResourceDependency "Network Name ORANGE" "IP Address 10.17.21.162"
Move-ClusterResource -Name "Cluster Disk 2" -Group $Group

Add-ClusterResource -Name JC-RESOURCE -Group $Group -ResourceType JobCenterCluster
Get-ClusterResource JC-RESOURCE | Set-ClusterParameter SiteName orange.example.com
Get-ClusterResource JC-RESOURCE | Set-ClusterParameter -Name SiteDirectory -Value 'Q:\jobdb'
Set-ClusterResourceDependency -Resource JC-RESOURCE -Dependency "[IP Address 10.17.21.162] and [Cluster Disk 2]"
Add-ClusterResource -Name "JobCenter Share" -Group $Group -ResourceType "File Share"
Get-ClusterResource "IP Address 10.17.21.162" | Set-ClusterParameter -Name OverrideAddressMatch -Value 1
(Get-ClusterGroup $Group).FailoverThreshold = 2
Set-ClusterOwnerNode -Group $Group -Owners WINNODE1,WINNODE2
Start-ClusterGroup $Group
