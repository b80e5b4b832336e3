"""Test support shared by every test module (importable as ``support``: pytest pythonpath).

Import helpers from here, never ``from conftest import`` (with several conftest.py files, the
module named ``conftest`` is whichever pytest loaded last). One helper for each job:

- ``support.cli.jcc(*args, cwd=, env=, set_env=, columns=, input=, timeout=)``: run the
  installed ``jccluster``; ``jcc_argv``/``jccluster_path`` for other ways of running it.
- ``support.procs.site_processes(site, database=None, *, zombies=False, named=False,
  program="")``: the processes of a site (zombies count as gone); ``alive``/``gone``/``state``/
  ``start_time`` of one pid.
- ``support.sites.poll_for(cond, timeout, interval, what)``: wait for a condition, never a bare
  sleep; ``unique_site()``.
- ``support.adapters.make(adapter, **overrides)``, ``stub_layout(tmp_path, ...)``,
  ``rendered(adapter, out)``, ``from_data(adapter, data)``: an adapter for the example cluster,
  rendered and written.
- ``support.hosts.needs_hosts``: skips a test where the private /etc/hosts could not be made.
- ``support.corosync.cluster_daemons()``: the corosync/Pacemaker daemons running on this machine
  (a live test starts its own corosync only when there are none).
- ``support.jobcenter_cmds.emulated_at``/``emulated_site``: the emulated JobCenter installation
  an adapter's rendered scripts drive; ``support.disk.small_disk``: a tmpfs for ENOSPC.
- ``support.jobcenter``, ``support.stubs``, ``support.shells``, ``support.wine``,
  ``support.checking``, ``support.pacemaker_cib``, ``support.suite``: see each module.
"""
