"""``jccluster demo``: the engine at work on a simulated site, in a scratch directory.

Creates a ``simulator`` site (stand-in daemons with JobCenter's process tree) in a temporary
spool root and database, starts it under the watcher (``jccluster site start``, i.e. ``cjcpw``),
lists it like ``cjcls``, SIGKILLs one daemon, shows the watcher noticing and how long it took,
shows the exit code every installed adapter would hand its cluster, stops the site and shows
that nothing is left. Touches nothing outside the temporary directory.

The demo site uses a loopback address given directly to the engine (`api.create`'s ``address``
hook), so it needs no DNS entry; ``jccluster site create`` itself always checks name resolution.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Annotated

import typer

from jobcenter_cluster.outcome import Outcome

SITE = "demo-orange.example.com"
ADDRESS = "127.0.86.1"
VICTIM = "jnwengine"


def _say(text: str = "") -> None:
    typer.echo(text)


def _step(n: int, text: str) -> None:
    _say()
    _say(typer.style(f"[{n}] {text}", bold=True))


def _wait_exit(proc: subprocess.Popen[str], timeout: float) -> float | None:
    """Wait for ``proc`` to exit (pidfd: woken at once); return when it did (monotonic)."""
    import select

    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic()
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return time.monotonic() if ready else None
    finally:
        os.close(fd)


def demo(
    keep: Annotated[bool, typer.Option("--keep", help="Keep the scratch directory.")] = False,
    victim: Annotated[str, typer.Option("--kill", help="Which daemon to kill.")] = VICTIM,
) -> None:
    """Show the engine on a simulated site: start, watch, a daemon dies, adapters' codes, stop."""
    from jobcenter_cluster.cli.site import ls_table
    from jobcenter_cluster.engine import api, procs

    tmp = tempfile.mkdtemp(prefix="jccluster-demo-")
    root, db = os.path.join(tmp, "spool"), os.path.join(tmp, "jobdb")
    # the node identity is unique per run, so two demos at once never touch each other's daemons
    env = dict(os.environ, JCCLUSTER_ROOT=root, JCCLUSTER_NODE=f"demo-{os.getpid()}",
               JCCLUSTER_DAEMON_CONF=os.path.join(tmp, "daemon.conf"))
    env.pop("NQS_SITE", None)
    env.pop("JCCLUSTER_SIM_FAULTS", None)
    saved = {k: os.environ.get(k) for k in ("JCCLUSTER_ROOT", "JCCLUSTER_NODE",
                                              "JCCLUSTER_DAEMON_CONF")}
    os.environ.update({k: env[k] for k in saved})
    watcher: subprocess.Popen[str] | None = None
    try:
        _say(f"jccluster demo: scratch directory {tmp} (spool root and shared-disk stand-in)")
        _step(1, "create the site (cjcmksite)")
        res = api.create(SITE, 162, db, root=root, product="simulator", address=ADDRESS)
        _say(f"    {res.message}")

        _step(2, f"start it under the watcher (cjcpw): jccluster site start {SITE} DBPATH")
        watcher = subprocess.Popen(
            [sys.executable, "-m", "jobcenter_cluster", "site", "start", SITE, db],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 15
        st = api.status(SITE, root=root)
        while not (st.outcome == Outcome.RUNNING and st.watcher_pid):
            if watcher.poll() is not None or time.monotonic() > deadline:
                out, err = watcher.communicate()
                raise typer.Exit(_fail(f"the site did not start: {err.strip() or out.strip()}"))
            time.sleep(0.02)
            st = api.status(SITE, root=root)
        _say(f"    watcher pid {st.watcher_pid}; {len(st.daemons)} watched daemons up")

        _step(3, "the sites on this node (cjcls): jccluster site ls")
        for line in ls_table(api.list_sites(root=root)).splitlines():
            _say(f"    {line}")
        _say()
        for name, pid in st.daemons.items():
            argv0 = (procs.cmdline(pid) or ["?"])[0] if pid else "?"
            _say(f"    {name:<17} pid {pid:<7} ps shows: {argv0}")

        pid = st.daemons.get(victim)
        if not pid:
            raise typer.Exit(_fail(f"no daemon called {victim!r} (one of: {', '.join(st.daemons)})"))
        _step(4, f"kill -9 {victim} (pid {pid}) and time the watcher")
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        t1 = _wait_exit(watcher, 10)
        out, err = watcher.communicate(timeout=5)
        if t1 is None:
            raise typer.Exit(_fail("the watcher did not notice within 10 s"))
        _say(f"    watcher exited with status {watcher.returncode} after "
             f"{(t1 - t0) * 1000:.1f} ms:")
        for line in err.strip().splitlines():
            _say(f"      {line}")
        st = api.status(SITE, root=root)
        _say(f"    jccluster site status {SITE}: {st.outcome.value} ({st.message})")

        _step(5, "what each installed adapter hands its cluster now")
        _adapters(st.outcome)

        _step(6, f"stop the site (cjcpw -stop): jccluster site stop {SITE}")
        res = api.stop(SITE, root=root, timeout=10)
        _say(f"    {res.message}")
        # this demo's processes only: its node identity is unique (another demo runs its own)
        left = [p for p in procs.pids()
                if procs.env_value(p, "NQS_SITE") == SITE and procs.alive(p)
                and procs.env_value(p, "JCCLUSTER_NODE") == env["JCCLUSTER_NODE"]]
        _say(f"    processes of the site left: {len(left)}"
             + ("" if not left else f" ({', '.join(map(str, left))})"))
        st = api.status(SITE, root=root)
        _say(f"    jccluster site status {SITE}: {st.outcome.value}")
        if left or not res.ok or st.outcome != Outcome.STOPPED:
            raise typer.Exit(_fail("the stop left processes of the site behind"))
        _say()
        _say("Try it by hand: jccluster site --help")
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.kill()
            watcher.wait()
        if api.status(SITE, root=root).outcome != Outcome.STOPPED:
            api.stop(SITE, root=root, timeout=5)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if keep:
            _say(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _fail(message: str) -> int:
    typer.echo(f"jccluster: demo: {message}", err=True)
    return 1


def _adapters(outcome: Outcome) -> None:
    try:
        from jobcenter_cluster.plugins import load_adapters

        adapters, broken = load_adapters()
    except ImportError:
        _say("    no adapters are installed")
        return
    if not adapters:
        _say("    no adapters are installed")
    # the verbs a cluster uses to learn that the site died: the watcher (service) and monitors
    for name, cls in adapters.items():
        verbs = []
        for verb, action in cls.spec.actions.items():
            op = getattr(action, "operation", action)
            if op in ("watch", "status"):
                verbs.append(f"{verb}({op}) -> {cls.spec.exit_code(verb, outcome)}")
        product = getattr(cls, "product", "")
        _say(f"    {name:<19} {', '.join(verbs) or '(no watch/status verb)'}"
             + (f"   [{product}]" if product else ""))
    for b in broken:
        _say(f"    {b.name:<19} (broken: {b.error})")
