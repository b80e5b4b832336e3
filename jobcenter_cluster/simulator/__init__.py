"""Stand-in JobCenter daemons: the ``simulator`` product profile.

``python -m jobcenter_cluster.simulator start SITE DBPATH`` reproduces JobCenter's process tree
for one site so the engine, the demo, the tests and every adapter's scripts can be exercised
without JobCenter::

    NQS nqsdaemon                       parent: PID 1 (or the watcher, a subreaper)
    ├── NQS netdaemon                   child of nqsdaemon
    └── NQSlogdaemon
    /usr/lib/nqs/gui/bin/jnwengine
    ├── jnwengine-qwb
    └── jnwengine-trkrdr
    /usr/lib/nqs/gui/bin/sclaunchd
    /usr/lib/nqs/jnwcaster              the parent one (watched) ...
    └── /usr/lib/nqs/jnwcaster          ... and its child (two run)
    /usr/lib/nqs/combase/comagent

Each daemon is a small interpreter (``python -S -s -B daemon.py``) exec'd with JobCenter's argv[0]
and kernel name (``prctl(PR_SET_NAME)``), so ``ps``, ``/proc/PID/cmdline`` and ``comm`` show what
JobCenter shows. They inherit ``NQS_SITE=<site>``, chdir to ``<DBPATH>/nqs`` (like the real NQS
root), keep a log open under ``<DBPATH>/nqs/sim/`` and write ``<role>.pid`` there. Idle daemons
sleep in ``pause()``: no CPU.

Faults (for tests and the demo), by role name, from ``$JCCLUSTER_SIM_FAULTS``
(``logdaemon=ignore-term,comagent=no-start``) or from lines ``role=fault`` in
``<DBPATH>/nqs/sim/faults``:

- ``ignore-term``: ignore SIGTERM (only SIGKILL stops it);
- ``crash=SECONDS``: exit with status 1 after SECONDS;
- ``exit=SECONDS``: exit with status 0 after SECONDS (a child of nqsdaemon/jnwengine/jnwcaster
  then stays a **zombie**: its parent never reaps);
- ``no-start``: never start (the engine must name it as missing);
- ``delay=SECONDS``: start late;
- ``double-fork`` (``=detach``): once up, leave a job re-parented away from the daemons
  (argv[0] ``jobcenter-sim-job``, pid in ``<role>-job.pid``), with the site's environment and
  (unless ``detach``) its cwd in the database.

``cjcpw-stop=fail`` makes the emulated ``cjcpw -stop`` fail (docs/simulator.md "Faults").

At run time: SIGUSR1 makes a daemon exit at once (→ zombie when its parent does not reap it).
"""

from __future__ import annotations

import contextlib
import os

from jobcenter_cluster.simulator.daemon import ARGV0

ROLES_TOP = ("nqsdaemon", "jnwengine", "sclaunchd", "jnwcaster", "comagent")

__all__ = ["ARGV0", "ROLES_TOP", "DAEMON_PY", "set_fault", "clear_faults", "state_dir"]

DAEMON_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "daemon.py")


def state_dir(database: str) -> str:
    return os.path.join(database, "nqs", "sim")


def set_fault(database: str, role: str, fault: str) -> None:
    """Arrange a fault for the next start of ``role`` (tests, demo)."""
    d = state_dir(database)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "faults")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{role}={fault}\n")


def clear_faults(database: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(state_dir(database), "faults"))
