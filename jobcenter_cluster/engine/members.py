"""Which processes are a site's: the engine's membership rule (standard library only).

A process is a **member** of a site started by this engine when it is one of:

1. a *root* -- a JobCenter daemon by name (one of the profile's watched process names) that
   - carries the site's marker ``NQS_SITE=<site>`` (and not another node identity's
     ``JCCLUSTER_NODE``),
   - carries this start's secret token (``JCCLUSTER_START_TOKEN``; the run file keeps only its
     SHA-256, and ``/proc/PID/environ`` of a root process is readable by root alone),
   - started after this start began (its start time is not before the recorded ``since``),
   - and is owned by root or the configured JobCenter user (real and effective uid,
     `trusted_uids`);
2. a descendant of a root (jobs, helpers: whoever owns them -- only root can make a child of
   root's daemon);
3. a *carrier* of this start's secret token (with the site's marker, started after ``since``),
   whatever its name and owner, and its descendants: a job that double-forked away from the
   daemons (``nqsbg``, a daemonising job: re-parented to PID 1, no daemon's descendant any
   more) still carries the environment the start gave it. Only the start's own process tree
   can carry the token (it is never written anywhere; a user can at most copy it from their
   own job into their own processes, which stop may then signal: nothing of anyone else's);
4. a process in the site's own cgroup, when start found the daemons in a cgroup of their own
   (one holding nothing else).

The marker alone never makes a member: an operator's shell with ``NQS_SITE`` set, or a user's
processes dressed up with JobCenter's names, are not the site's. ``stop`` additionally takes the
processes that hold a file or their working directory inside the database (the manual's
``fuser -k``), never by root directory; that is `procs.holders`.
"""

from __future__ import annotations

import os

from jobcenter_cluster.engine import procs
from jobcenter_cluster.engine.base import ident

# not `from typing import TYPE_CHECKING`: importing typing costs the hot path ~3 ms
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from jobcenter_cluster.engine.profiles import Profile

#: the environment marker every process of a site carries (JobCenter's own)
MARKER = "NQS_SITE"
#: which node identity (``JCCLUSTER_NODE``) started it: two simulated nodes on one machine
NODE_MARKER = "JCCLUSTER_NODE"
#: the per-start secret every started process carries
TOKEN = "JCCLUSTER_START_TOKEN"
#: the JobCenter account (name or uid) whose processes count as the site's besides root's
ENV_USER = "JCCLUSTER_JOBCENTER_USER"


def new_token() -> tuple[str, str]:
    """A fresh start token and its digest (the digest is what the run file keeps)."""
    import secrets

    token = secrets.token_hex(16)
    return token, digest(token)


def digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def trusted_uids() -> frozenset[int]:
    """root, the engine's own effective uid, and ``$JCCLUSTER_JOBCENTER_USER`` if set."""
    out = {0, os.geteuid()}
    user = os.environ.get(ENV_USER, "").strip()
    if user:
        if user.isdigit():
            out.add(int(user))
        else:
            import pwd

            try:
                out.add(pwd.getpwnam(user).pw_uid)
            except KeyError:
                from jobcenter_cluster.errors import UserError

                raise UserError(f"${ENV_USER}: no such user {user!r} on this node") from None
    return frozenset(out)


def owned_by_trusted(pid: int, trusted: frozenset[int]) -> bool:
    ids = procs.uids(pid)
    return ids is not None and ids[0] in trusted and ids[1] in trusted


def is_daemon(profile: Profile, pid: int, p: procs.Proc) -> bool:
    """Whether ``pid`` is one of the profile's daemons by name (argv[0] or kernel name)."""
    argv = procs.cmdline(pid)
    argv0 = argv[0] if argv else ""
    return any(spec.matches(argv0, p.comm) for spec in profile.specs)


def _candidates(site: str, node: str, table: dict[int, procs.Proc], exclude: set[int]
                ) -> Any:
    """(pid, environment) of live processes carrying the site's marker for this node."""
    for pid, p in table.items():
        if pid in exclude or p.dead or pid <= 2 or p.ppid == 2:
            continue
        env = procs.environ(pid)
        if env.get(MARKER) != site:
            continue
        other = env.get(NODE_MARKER)
        if other is not None and other != node:
            continue
        yield pid, env


def roots(
    site: str, node: str, table: dict[int, procs.Proc], profile: Profile, *,
    token_digest: str | None, since: int | None, exclude: set[int],
    trusted: frozenset[int] | None = None,
) -> set[int]:
    """The site's daemons started by the start that recorded ``token_digest`` and ``since``."""
    if not token_digest:
        return set()
    trusted = trusted_uids() if trusted is None else trusted
    found = set()
    for pid, env in _candidates(site, node, table, exclude):
        p = table[pid]
        if since is not None and p.start < since:
            continue
        token = env.get(TOKEN)
        if not token or digest(token) != token_digest:
            continue
        if not is_daemon(profile, pid, p) or not owned_by_trusted(pid, trusted):
            continue
        found.add(pid)
    return found


def carriers(
    site: str, node: str, table: dict[int, procs.Proc], *, token_digest: str | None,
    since: int | None, exclude: set[int],
) -> set[int]:
    """Processes of any name and owner carrying the site's marker and this start's token,
    started after ``since`` (rule 3 of the module docstring: double-forked jobs)."""
    if not token_digest:
        return set()
    found = set()
    for pid, env in _candidates(site, node, table, exclude):
        if since is not None and table[pid].start < since:
            continue
        token = env.get(TOKEN)
        if token and digest(token) == token_digest:
            found.add(pid)
    return found


def members(
    site: str, node: str, table: dict[int, procs.Proc], profile: Profile, run: dict[str, Any],
    *, exclude: set[int],
) -> set[int]:
    """Every member of the site as its run state records it (see the module docstring)."""
    since = run.get("since")
    when = since if isinstance(since, int) else None
    found = roots(site, node, table, profile, token_digest=run.get("token"), since=when,
                  exclude=exclude)
    found |= carriers(site, node, table, token_digest=run.get("token"), since=when,
                      exclude=exclude)
    out = procs.descendants(found, table)
    group = run.get("cgroup")
    if isinstance(group, str) and group not in ("", "/"):
        out |= {pid for pid, p in table.items() if not p.dead and procs.cgroup(pid) == group}
    # zombies count as gone: never a member to record, wait for or signal
    return {pid for pid in out - exclude
            if pid > 1 and table[pid].ppid != 2 and not table[pid].dead}


def own_cgroup(pids: set[int], table: dict[int, procs.Proc]) -> str | None:
    """The cgroup of ``pids`` when it holds nothing but them (the site's own), else None."""
    groups = {procs.cgroup(pid) for pid in pids}
    if len(groups) != 1:
        return None
    group = groups.pop()
    if not group or group == "/":
        return None
    for pid, p in table.items():
        if pid not in pids and not p.dead and procs.cgroup(pid) == group:
            return None
    return group


def foreign(
    site: str, node: str, table: dict[int, procs.Proc], profile: Profile, *,
    exclude: set[int], known: set[int],
) -> set[int]:
    """Trusted-owner JobCenter daemons carrying the site's marker that are not members: a copy
    of the site this engine did not start (e.g. ``cjcpw`` by hand). Start refuses to run a
    second copy beside them; they are never signalled for it."""
    trusted = trusted_uids()
    out = set()
    for pid, _env in _candidates(site, node, table, exclude | known):
        if is_daemon(profile, pid, table[pid]) and owned_by_trusted(pid, trusted):
            out.add(pid)
    return out


def suspects(
    site: str, node: str, table: dict[int, procs.Proc], profile: Profile, database: str | None,
) -> set[int]:
    """For *reporting* only, when no usable run state exists: trusted-owner JobCenter daemons
    with the site's marker, and processes whose working directory is inside the database.
    Never used to choose what to signal."""
    exclude = procs.ancestors(os.getpid(), table)
    out = foreign(site, node, table, profile, exclude=exclude, known=set())
    if database and os.path.isdir(database):
        real = os.path.realpath(database).rstrip("/")
        for pid, p in table.items():
            if pid in exclude or p.dead or p.ppid == 2 or pid <= 2:
                continue
            try:
                cwd = os.readlink(f"{procs.PROC}/{pid}/cwd")
            except OSError:
                continue
            if cwd == real or cwd.startswith(real + "/"):
                out.add(pid)
    return out


def local_daemon(profile: Profile, table: dict[int, procs.Proc]) -> int | None:
    """pid of a running *local* nqsdaemon (no ``NQS_SITE``, or ``NQS_SITE`` = this host),
    owned by root or the JobCenter user; another user's process of that name is not it."""
    spec = profile.spec("nqsdaemon")
    host = os.uname().nodename.lower()
    trusted = trusted_uids()
    for pid, p in table.items():
        if p.dead or p.comm not in ("nqsdaemon", "NQS nqsdaemon"):
            continue
        argv = procs.cmdline(pid)
        if not spec.matches(argv[0] if argv else "", p.comm):
            continue
        if not owned_by_trusted(pid, trusted):
            continue
        site = (procs.env_value(pid, MARKER) or "").lower()
        now = procs.read(pid)
        if now is None or now.dead or now.start != p.start:
            continue  # gone meanwhile (a zombie's environment reads empty)
        if not site or site in (host, host.split(".")[0]):
            return pid
    return None


def identities(pids: set[int], table: dict[int, procs.Proc]) -> list[list[int]]:
    """``[[pid, start], ...]`` of ``pids``, sorted (what the run state records)."""
    return sorted([pid, table[pid].start] for pid in pids if pid in table)


def live(idents: Any) -> list[tuple[int, int]]:
    """The recorded identities that are still alive (zombies count as gone)."""
    out: list[tuple[int, int]] = []
    if not isinstance(idents, list):
        return out
    for value in idents:
        found = ident(value)
        if found is not None and found[0] > 1 and procs.alive(*found):  # never init
            out.append(found)
    return out
