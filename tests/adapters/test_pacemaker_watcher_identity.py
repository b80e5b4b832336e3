"""supervisor=cjcpw: the Pacemaker agent knows its watcher by pid and start time (issue 22).

The agent used to take any process whose command line held ``cjcpw`` as the watcher named by
its pid file: once the watcher was gone and its pid reused by a user's process called
``cjcpw``, the monitor reported the site running. Now start records ``PID START`` (START: field
22 of ``/proc/PID/stat``, as the engine identifies its processes) in a root-owned pid file, and
a process that does not match both, or a pid file another user can write, is not the watcher.

Expected codes are the OCF resource agent API's for monitor, as Pacemaker reads them (Red Hat,
"Configuring and managing high availability clusters", "Interpreting resource agent OCF return
codes"): 0 OCF_SUCCESS (running), 1 OCF_ERR_GENERIC (failed: soft recovery, restart or move),
7 OCF_NOT_RUNNING (cleanly stopped). A watcher gone while the site was started is a failure (1),
never "running" (0).

Non-live: JobCenter's commands are the emulated installation's (tests/support/jobcenter_cmds.py);
no cluster runs. The monitor runs under every POSIX shell the suite has. About 8 s: a real
start of the emulated site (3 s) and its stop (2 s) -- "the real watcher still counts" needs a
real watcher, and "the user's cjcpw is never signalled" a real stop. OCF_NOT_RUNNING (7) after
a stop is test_pacemaker.py's lifecycle test.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from jobcenter_cluster.adapters.pacemaker.adapter import PacemakerAdapter
from support import adapters
from support.jobcenter_cmds import emulated_at
from support.shells import posix_shells, run_script
from support.sites import poll_for
from support.users import throwaway_user

pytestmark = pytest.mark.timeout(120)

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_NOT_RUNNING = 0, 1, 7
AGENT = "ocf/jobcenter/site"
PYTHON = "/usr/bin/python3"
#: a user's process called cjcpw: kernel name and command line, as the emulated watcher's
FAKE = ("import ctypes, signal, sys; ctypes.CDLL(None).prctl(15, b'cjcpw', 0, 0, 0); "
        "print('ready', flush=True); signal.pause()")


@pytest.fixture
def user(reaper):
    """A throwaway unprivileged user (`support.users.throwaway_user`)."""
    with throwaway_user('jccwid', reaper.popens) as pw:
        yield pw


def start_time(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        return int(fh.read().rsplit(b") ", 1)[1].split()[19])


def test_a_users_cjcpw_is_never_taken_for_the_watcher(tmp_path: Path, reaper, user):
    out = tmp_path / "out"
    adapters.rendered(adapters.make(PacemakerAdapter, **adapters.stub_layout(
        tmp_path, "cjcpw", True)), out)
    agent = out / AGENT
    with emulated_at(tmp_path / "nqs", tmp_path / "jc", reaper) as jc:
        state = tmp_path / "state"
        env = {"OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": "t",
               "OCF_RESKEY_CRM_meta_interval": "2000", "OCF_RESKEY_CRM_meta_timeout": "20000",
               "OCF_RESKEY_site": jc.site, "OCF_RESKEY_database": jc.db,
               "OCF_RESKEY_state_dir": str(state)}

        def monitor(shell: str = "dash") -> int:
            return run_script(shell, agent, "monitor", env=env).returncode

        res = run_script("dash", agent, "start", env=env, timeout=60)
        assert res.returncode == OCF_SUCCESS, res.stderr
        (pid_file,) = state.iterdir()
        pid, start = (int(x) for x in pid_file.read_text().split())
        assert start == start_time(pid), "the pid file must hold the watcher's start time"
        assert os.stat(pid_file).st_uid == 0 and not os.stat(pid_file).st_mode & 0o022
        jc.wait_up()
        fake = reaper.popen(
            ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
             "--inh-caps=-all", PYTHON, "-I", "-S", "-c", FAKE, "cjcpw", jc.site, jc.db],
            stdout=subprocess.PIPE, text=True, cwd="/", env={"PATH": "/usr/bin:/bin"})
        assert fake.stdout is not None and fake.stdout.readline().strip() == "ready"
        # the real watcher still counts, under every shell, the user's cjcpw beside it or not
        for shell in posix_shells():
            assert monitor(shell) == OCF_SUCCESS, shell
        # the watcher dies and its pid is taken by the user's cjcpw (the pid file, root's, is
        # as start wrote it; only the pid is reused -- emulated by naming the user's pid)
        os.kill(pid, signal.SIGKILL)
        poll_for(lambda: not os.path.exists(f"/proc/{pid}") or _zombie(pid), what="watcher gone")
        pid_file.write_text(f"{fake.pid} {start}\n")
        for shell in posix_shells():
            assert monitor(shell) == OCF_ERR_GENERIC, shell  # failed, never running
        # even with its own start time, a pid file another user can write names nobody
        pid_file.write_text(f"{fake.pid} {start_time(fake.pid)}\n")
        assert monitor() == OCF_SUCCESS  # root's file naming that process: trusted
        os.chown(pid_file, user.pw_uid, user.pw_gid)
        assert monitor() == OCF_ERR_GENERIC
        os.chown(pid_file, 0, 0)
        pid_file.write_text(f"{fake.pid} {start}\n")
        res = run_script("dash", agent, "stop", env=env, timeout=60)
        assert res.returncode == OCF_SUCCESS, res.stderr
        assert fake.poll() is None, "the user's process was signalled as the watcher"
        fake.kill()


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b") ", 1)[1][:1] == b"Z"
    except OSError:
        return True
