"""Sun Cluster GDS importer: 'clresource show -v' output with the manual's start/stop scripts."""

from __future__ import annotations

from pathlib import Path

from jobcenter_cluster.importing import run_import

DATA = Path(__file__).resolve().parents[1] / "data" / "manual" / "sungds"

# The layout of 'clresourcegroup show -v' / 'clresource show -v' (header lines, then
# two-space-indented "Property: value" lines); the values are the manual's §4.12 example.
SHOW = """\
=== Resource Groups and Resources ===

Resource Group:                                 jobcenter-rg
  RG_description:                                  <NULL>
  Nodelist:                                        spencer matto

  --- Resources for Group jobcenter-rg ---

Resource:                                       jobserver1-lh
  Type:                                            SUNW.LogicalHostname:3
  Group:                                           jobcenter-rg
  HostnameList:                                    jobserver1.example.com
  NetIfList:                                       sc_ipmp0@spencer,sc_ipmp0@matto

Resource:                                       jobserver1-hasp
  Type:                                            SUNW.HAStoragePlus:8
  Group:                                           jobcenter-rg
  FilesystemMountPoints:                           /mnt
  AffinityOn:                                      TRUE

Resource:                                       jobserver1-gds
  Type:                                            SUNW.gds:6
  Type_version:                                    6
  Group:                                           jobcenter-rg
  Enabled{spencer}:                                True
  Start_command:                                   {start}
    Class:                                            extension
    Description:                                      Command to start application
  Stop_command:                                    {stop}
  Port_list:                                       607/tcp
  Resource_dependencies:                           jobserver1-lh jobserver1-hasp
  Network_resources_used:                          jobserver1-lh
  Start_timeout:                                   300
  Stop_timeout:                                    300
  Retry_count:                                     2
  Custom_property:                                 x
"""


def test_show_output_with_the_manuals_scripts(tmp_path):
    show = tmp_path / "show.txt"
    show.write_text(SHOW.replace("{start}", "/etc/jc/start.sh").replace("{stop}", "/etc/jc/stop.sh"))
    r = run_import("sungds", [str(show), str(DATA)])
    assert [n["name"] for n in r.data["node"]] == ["spencer", "matto"]
    (site,) = r.data["site"]
    assert site["database"] == "/mnt/jobdb" and site["monitor"] is True
    opts = site["sungds"]
    assert opts["resource_group"] == "jobcenter-rg" and opts["gds_resource"] == "jobserver1-gds"
    assert opts["logical_hostname"] == "jobserver1.example.com" and opts["mount_point"] == "/mnt"
    # the manual's Stop_timeout 300 is GDS's default and the adapter's for cjcpw: left out
    assert "stop_timeout" not in r.data.get("sungds", {})
    assert r.data["cluster"]["supervisor"] == "cjcpw"
    text = "\n".join(r.report)
    assert "'jobserver1': not fully qualified" in text and "Custom_property=x" in text
    assert "Class=" not in text and "Description=" not in text  # a property's details


def test_start_command_with_cjcpw_itself(tmp_path):
    show = tmp_path / "show.txt"
    show.write_text(SHOW.replace("{start}", "/usr/lib/nqs/cluster/cjcpw orange.example.com "
                                 "/mnt/jobdb").replace("{stop}", "/usr/lib/nqs/cluster/cjcpw "
                                                       "-stop orange.example.com"))
    r = run_import("sungds", [str(show)])
    (site,) = r.data["site"]
    assert site["name"] == "orange.example.com" and site["database"] == "/mnt/jobdb"
