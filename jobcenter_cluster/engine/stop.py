"""``site stop``: the counterpart of ``cjcpw -stop SITE`` -- and sure about it.

1. the run state becomes STOPPING (recording this stop as ``stopper`` and what it will stop)
   and the watcher (identity-checked) gets SIGTERM, so it ends with success instead of
   reporting the daemons' deaths as a failure;
2. the product's own stop runs (``cjcpw -stop SITE`` for JobCenter; none for the simulator);
3. whatever of the site is left is terminated -- `collect`: the members of the recorded start
   (`engine.members`: daemons by name with the marker *and the start's token*, owned by root or
   the JobCenter user, and their descendants, or the site's own cgroup), the recorded daemons
   and members by ``(pid, start)``, and every process holding a file or its working directory
   inside the database (the manual's ``fuser -k``, §4.13: jobs' background processes keep the
   shared disk busy). Never by root directory, never by the marker alone;
4. SIGTERM, wait on pidfds until all are gone or the deadline, SIGKILL the rest (re-scanning for
   new ones), re-check for up to 1 s, and report FAILED naming any survivor (zombies count as
   gone).

Never signalled: this process and its ancestors, PID 1, kernel threads, and any pid whose start
time no longer matches (a stale pid reused by an unrelated process). Signals go through pidfds
after the identity check, so a pid reused in between cannot be hit either.

Bounded scan (issue 22). Step 3 runs again every `RESCAN` seconds, and reading every open
descriptor of every process made each pass as slow as any user wished (two million descriptors
stretched a 20 s stop to 45-51 s, and a stop past its timeout gets the node fenced). A pass now
costs at most one readlink and one status read per process, the first `procs.FD_ALLOWANCE`
descriptors of each, every descriptor of processes owned by root, the engine's uid or the
JobCenter user, and `HOLDER_BUDGET` more descriptors shared by everyone else's processes,
smallest tables first (`procs.holders`). Why "stopped" stays true:

- the site's own processes are found without reading a descriptor: members by start token,
  descendants, cgroup and recorded identity (`engine.members`); a member with a million
  descriptors is still signalled, waited for and re-checked;
- the processes that write the database on the site's behalf -- daemons and helpers, root's or
  the JobCenter user's, whether members or not -- are read to their last descriptor, always:
  the budget never applies to them, and a user cannot give descriptors to root's processes;
- a process read only in part is *unknown*, never "not a holder": each pass tries it again,
  the result names it (``holder_scan.unscanned`` and a note in the message), and it cannot be
  the site's own process in a way the full read would have caught: it belongs to another user,
  is no member (no token, not below the daemons, not in the cgroup) -- a job that left the
  site's tree *and* dropped its environment is entirely in its owner's hands, and that owner
  could open a file of the database (mode 755) just as well right after any pass, full or not.
  No scan can promise such a process holds nothing at the moment stop returns; the full read
  never did either. What the budget bounds is only how long a user can make us look.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jobcenter_cluster.engine import members, procs, profiles, states, store
from jobcenter_cluster.engine.base import (
    DEFAULT_STOP_TIMEOUT,
    Progress,
    Result,
    ident,
    node_name,
)
from jobcenter_cluster.errors import LockBusy, UserError
from jobcenter_cluster.model import refuse_database_path
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.products import DEFAULT_PRODUCT

if TYPE_CHECKING:
    from jobcenter_cluster.engine.base import ProgressFn

#: time allowed after SIGKILL for the kernel to finish the processes
KILL_GRACE = 1.0
#: how often the site is re-scanned for new processes while waiting (s)
RESCAN = 0.25
#: descriptors of untrusted processes one scan for holders may read beyond each one's
#: allowance (`procs.holders`): about 50 ms of readlinks of another process's descriptors
#: (benchmarks/bench_stop_scan.py: ~10 us each), whatever other users open
HOLDER_BUDGET = 5000



def proc_name(pid: int) -> str:
    argv = procs.cmdline(pid)
    if argv:
        return argv[0].rsplit("/", 1)[-1]
    p = procs.read(pid)
    return p.comm if p else "?"


def other_databases(root: str, site: str, database: str) -> tuple[str, ...]:
    """The databases of the other sites registered on this node that lie inside ``database``
    (symlinks resolved): a process holding files only there is theirs, never this site's.
    `site create` refuses such nesting now; this keeps sites created before from touching
    each other."""
    real = os.path.realpath(database).rstrip("/") + "/"
    out = []
    for info in store.known_sites(root):
        db = info.get("database")
        if info.get("name") == site or not isinstance(db, str) or not os.path.isabs(db):
            continue
        other = os.path.realpath(db).rstrip("/") + "/"
        if other != real and other.startswith(real):
            out.append(other.rstrip("/"))
    return tuple(out)


def collect(
    site: str, run: dict[str, Any], database: str | None, node: str,
    profile: profiles.Profile | None = None, others: tuple[str, ...] = (),
    holder_scan: procs.HolderScan | None = None,
) -> dict[int, int]:
    """The site's processes now: ``{pid: start}`` (see the module docstring, step 3).
    ``others``: databases of other sites nested inside this one (`other_databases`).
    ``holder_scan``: given, the scan for holders of the database is bounded by its budget
    (`HOLDER_BUDGET`, see the module docstring, "Bounded scan") and filled in."""
    table = procs.scan()
    exclude = procs.ancestors(os.getpid(), table) | {1}
    pids: set[int] = set()
    if profile is not None:
        pids |= members.members(site, node, table, profile, run, exclude=exclude)
    pids |= procs.descendants(recorded(run, table), table)
    # below the watcher (a subreaper): the site's orphans, while the watcher still lives
    watcher = verified_watcher(run, table)
    if watcher:
        pids |= procs.descendants({watcher[0]}, table) - {watcher[0]}
    if database and os.path.isdir(database):
        for pid in procs.holders(
                database, table, others, scan=holder_scan,
                budget=holder_scan.budget if holder_scan is not None else None,
                trusted=_trusted() if holder_scan is not None else None):
            other = procs.env_value(pid, members.NODE_MARKER)
            if other is None or other == node:
                pids.add(pid)
    pids -= exclude
    return {pid: table[pid].start for pid in pids
            if pid in table and table[pid].ppid != 2 and not table[pid].dead}


def _trusted() -> frozenset[int]:
    """The uids whose processes a scan for holders reads in full (`members.trusted_uids`); a
    ``$JCCLUSTER_JOBCENTER_USER`` naming no user has no processes to read: root and this
    engine's uid then (a stop never raises a user error)."""
    try:
        return members.trusted_uids()
    except UserError:
        return frozenset({0, os.geteuid()})


def recorded(run: dict[str, Any], table: dict[int, procs.Proc]) -> set[int]:
    """The run state's recorded daemons and members that still live *and started after the
    recorded start began* (``since``). Every member of a start -- its daemons, their jobs, the
    carriers of its token -- is younger than the start; an identity in the run file that is
    older (a forged, copied or mixed-up run file naming an unrelated process by its true pid
    and start time, found by the fuzzer: issue 28) is no member, and without ``since`` nothing
    recorded is trusted. Holders of the database are found again by their files, not here."""
    since = run.get("since")
    if not isinstance(since, int) or isinstance(since, bool):
        return set()
    found: set[int] = set()
    for value in [*(_dict(run.get("daemons")).values()), *_list(run.get("members"))]:
        idt = ident(value)
        if idt:
            p = table.get(idt[0])
            if p is not None and p.start == idt[1] and p.start >= since:
                found.add(idt[0])
    return found


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_engine_process(pid: int) -> bool:
    """`pid` runs this engine: ``jccluster ...`` (the console script, as clusters run it) or
    ``python -m jobcenter_cluster...`` (the background watcher)."""
    argv = procs.cmdline(pid)[:4]
    return any(os.path.basename(a) == "jccluster" or a.split(".")[0] == "jobcenter_cluster"
               for a in argv)


def verified_watcher(run: dict[str, Any], table: dict[int, procs.Proc] | None = None
                     ) -> tuple[int, int] | None:
    """The run state's watcher when that process lives and runs this engine; None otherwise.
    A run file naming another process as the watcher (forged, copied) gets it no signal and
    none to its children (issue 28)."""
    watcher = ident(run.get("watcher"))
    if not watcher:
        return None
    p = table.get(watcher[0]) if table is not None else procs.read(watcher[0])
    if p is None or p.start != watcher[1] or p.dead or not is_engine_process(watcher[0]):
        return None
    return watcher


def term(pid: int, start: int) -> bool:
    """SIGTERM, then SIGCONT, to the process ``(pid, start)``; True when SIGTERM was delivered.

    A stopped process (SIGSTOP, SIGTSTP, a debugger) keeps SIGTERM pending until it is
    continued, so without SIGCONT every stop would last until the deadline's SIGKILL. systemd
    does the same: "right after sending the signal specified in this setting, systemd will
    always send SIGCONT, to ensure that even suspended tasks can be terminated cleanly"
    (systemd.kill(5), KillSignal=)."""
    if not procs.signal_ident(pid, start, signal.SIGTERM):
        return False
    procs.signal_ident(pid, start, signal.SIGCONT)
    return True


def _wait_gone(victims: dict[int, int], until: float, rescan: Any = None) -> dict[int, int]:
    """Wait (on pidfds) until every victim is dead or ``until``; return the ones alive."""
    alive = {p: s for p, s in victims.items() if procs.alive(p, s)}
    next_scan = time.monotonic() + RESCAN
    while alive:
        now = time.monotonic()
        if now >= until:
            break
        fds: dict[int, int] = {}
        poller = select.poll()
        for pid in alive:
            fd = procs.pidfd(pid)
            if fd is not None:
                fds[fd] = pid
                poller.register(fd, select.POLLIN)
        try:
            wait = min(until, next_scan) - now
            if fds and len(fds) == len(alive):
                poller.poll(max(int(wait * 1000), 1))
            else:
                time.sleep(min(max(wait, 0.001), 0.02))  # no pidfd: poll /proc
        finally:
            for fd in fds:
                procs.close_quietly(fd)
        if rescan is not None and time.monotonic() >= next_scan:
            next_scan = time.monotonic() + RESCAN
            for pid, start in rescan().items():
                if pid not in victims and term(pid, start):
                    victims[pid] = start
        alive = {p: s for p, s in victims.items() if procs.alive(p, s)}
    return alive


def terminate(
    victims: dict[int, int], deadline: float, rescan: Any = None, say: Any = None,
) -> tuple[dict[int, int], dict[int, int]]:
    """SIGTERM → wait → SIGKILL at ``deadline`` → re-check. Returns (killed, survivors).

    ``say(phase, alive)``, when given, is told about each phase."""
    victims = dict(victims)
    for pid, start in list(victims.items()):
        term(pid, start)
    if say is not None:
        say("terminating", victims)
    alive = _wait_gone(victims, deadline, rescan)
    if rescan is not None:
        for pid, start in rescan().items():
            if pid not in victims:
                victims[pid] = start
                alive[pid] = start
    killed: dict[int, int] = {}
    if alive and say is not None:
        say("killing", alive)
    for pid, start in alive.items():
        if procs.signal_ident(pid, start, signal.SIGKILL):
            killed[pid] = start
    survivors = _wait_gone(alive, time.monotonic() + KILL_GRACE) if alive else {}
    return killed, survivors


class _Stop:
    """One stop: what it knows, and its progress reports."""

    def __init__(self, site: str, root: str, product: str | None, timeout: float,
                 progress: ProgressFn) -> None:
        self.site, self.root, self.timeout, self.progress = site, root, timeout, progress
        self.t0 = time.monotonic()
        self.deadline = self.t0 + timeout
        self.node = node_name()
        #: why the run state is not being recorded (None while it is): a read-only or full
        #: spool root; the stop goes on all the same and ends FAILED
        self.unrecorded: str | None = None
        run, self.unreadable = store.read_run_checked(root, site)
        self.run: dict[str, Any] = run or {}
        self.reg = store.read_registry(root, site) or {}
        if self.unreadable and self.reg.get("token") and self.reg.get("since"):
            # the last start's proof of membership, kept in the registry too: its members
            # (a double-forked job far from the database) are still found
            self.run = {"token": self.reg["token"], "since": self.reg["since"]}
        self.database = self.run.get("database") or self.reg.get("database")
        self.refused: str | None = None
        if self.database is not None:
            why = (refuse_database_path(self.database, spool_root=root)
                   if isinstance(self.database, str) and os.path.isabs(self.database)
                   else f"{self.database!r} is not an absolute path")
            if why:
                # a recorded database the model refuses (a forged or ancient record): never
                # take "what holds files there" -- that could be every process on the node
                self.refused, self.database = why, None
        self.others = other_databases(root, site, self.database) if self.database else ()
        pname = (self.run.get("product") or self.reg.get("product") or product
                 or DEFAULT_PRODUCT)
        self.profile = profiles.get(pname)
        self.names: dict[int, str] = {}
        #: every bounded scan for holders this stop made (the last one says what is unknown)
        self.scans: list[procs.HolderScan] = []

    def collect(self) -> dict[int, int]:
        scan = procs.HolderScan(HOLDER_BUDGET)
        found = collect(self.site, self.run, self.database, self.node, self.profile,
                        self.others, holder_scan=scan)
        if self.database:
            self.scans.append(scan)
        for pid in found:
            if pid not in self.names:
                self.names[pid] = proc_name(pid)
        return found

    def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Record something in the run state; the first write that fails (a full or read-only
        spool root) ends the recording, never the stop."""
        if self.unrecorded is not None:
            return
        try:
            fn(*args, **kwargs)
        except OSError as err:
            where = err.filename or self.root
            self.unrecorded = f"cannot write {where}: {err.strerror or err}"

    def say(self, phase: str, what: str, alive: dict[int, int] | None = None) -> None:
        if self.progress is None:
            return
        left = [(pid, self.names.get(pid) or proc_name(pid)) for pid in sorted(alive or {})]
        self.progress(Progress(phase, what, time.monotonic() - self.t0, self.timeout, left))


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def not_stopped(site: str, why: str, *, argument: bool = False, partial: bool = False
                ) -> Result:
    """The result of a stop that could not do its work: FAILED, never a user error, since the
    cluster must not read it as a successful stop while the site may still live here.
    ``argument``: the stop's own arguments were wrong (said in the message); ``partial``: it
    may have signalled some processes before it broke off."""
    kind = " (an argument error)" if argument else ""
    done = "it may have stopped part of it" if partial else "nothing was signalled"
    return Result(
        Outcome.FAILED,
        f"site {site}: not stopped{kind}: {why}; {done}, so the site may still run on this "
        "node: fix the cause and stop it again",
        {"not_stopped": True, "argument_error": argument},
    )


def stop(site: str, *, root: str, product: str | None, timeout: float = DEFAULT_STOP_TIMEOUT,
         progress: ProgressFn = None, record: bool = True) -> Result:
    """Stop the site. ``record`` False (a read-only spool root): stop all the same, without
    the lock and without writing a state, and report FAILED saying the state is not recorded.

    Every way a stop can go wrong ends in FAILED: the lock held by another start or stop past
    the deadline (`not_stopped`: nothing signalled), a spool root that cannot be written (full
    or read-only: the site is stopped all the same, unlocked and unrecorded)."""
    unrecorded = None if record else f"the spool root {root} is not writable"
    lock: Any = _NoLock()
    if record:
        lock = store.site_lock(root, site, max(timeout, 0.1))
        try:
            lock.__enter__()
        except LockBusy as err:
            return not_stopped(site, f"{err} (waited the whole stop deadline, {timeout:g}s)")
        except OSError as err:
            # the lock file cannot even be made (a full spool root): no start can take it
            # either, so stop unlocked, and unrecorded
            lock = _NoLock()
            unrecorded = (f"cannot take the site's lock {store.lock_path(root, site)}: "
                          f"{err.strerror or err}")
    try:
        return _stop(site, root, product, timeout, progress, unrecorded)
    finally:
        lock.__exit__(None, None, None)


def _stop(site: str, root: str, product: str | None, timeout: float, progress: ProgressFn,
          unrecorded: str | None) -> Result:
    s = _Stop(site, root, product, timeout, progress)
    s.unrecorded = unrecorded
    known = bool(s.run or s.reg or s.unreadable)
    was = s.run.get("state")
    me = procs.read(os.getpid())
    if known:
        s.write(store.set_state, root, site, states.STOPPING, stop_started=time.time(),
                stopper=[os.getpid(), me.start if me else 0])
        # before the watcher goes: the orphans below it are still found there
        _record_victims(s, s.collect())
    _stop_watcher(s)
    victims = s.collect()
    if known:
        _record_victims(s, victims)
    note = _product_stop(s, victims)
    if note is not None:
        victims = s.collect()
        if known:
            _record_victims(s, victims)
    killed, survivors = terminate(
        victims, s.deadline, s.collect,
        lambda phase, alive: s.say(phase, f"{len(alive)} process(es) left", alive))
    _release_port(s)
    if s.unrecorded is None:
        res = _finish(s, known, was, victims, killed, survivors, note or "")
        if s.unrecorded is None:
            return res
    return _unrecorded(s, victims, killed, survivors)


def _unrecorded(s: _Stop, victims: dict[int, int], killed: dict[int, int],
                survivors: dict[int, int]) -> Result:
    left = f"; {len(survivors)} survived SIGKILL" if survivors else ""
    return Result(
        Outcome.FAILED,
        f"site {s.site}: stopped {len(victims) - len(survivors)} process(es){left}, but "
        f"{s.unrecorded}: the run state is not recorded (fix the spool root {s.root}, then run "
        "the stop again)",
        {"killed": [[p, s.names.get(p) or proc_name(p)] for p in sorted(killed)],
         "survivors": sorted(survivors), "terminated": len(victims)},
    )


def _stop_watcher(s: _Stop) -> None:
    """The watcher is told first, so it does not report the daemons' deaths as a failure."""
    watcher = verified_watcher(s.run)
    mine = procs.ancestors(os.getpid())
    if watcher and watcher[0] not in mine and term(*watcher):
        s.say("stopping", f"the watcher (pid {watcher[0]})")
        _wait_gone({watcher[0]: watcher[1]}, min(s.deadline, time.monotonic() + 2.0))


def _record_victims(s: _Stop, victims: dict[int, int]) -> None:
    """Remember what this stop is stopping: a stop killed half-way leaves status the truth."""
    have = {tuple(v) for v in (s.run.get("members") or []) if isinstance(v, list)}
    have |= {(p, st) for p, st in victims.items()}
    s.run["members"] = sorted([p, st] for p, st in have)
    s.write(store.update_run, s.root, s.site, members=s.run["members"])


def _product_stop(s: _Stop, victims: dict[int, int]) -> str | None:
    """Run the product's own stop when there is something to stop; None when none ran."""
    argv = s.profile.stop_argv(s.site, s.database or "")
    if not (argv and victims and os.access(argv[0], os.X_OK)):
        return None
    s.say("stopping", f"{' '.join(argv)}", victims)
    env = dict(os.environ)
    env[members.MARKER] = s.site
    env["JCCLUSTER_ROOT"] = s.root  # the emulated installation's; JobCenter ignores it
    try:
        subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, cwd="/", check=False,
            timeout=max(s.deadline - time.monotonic() - KILL_GRACE, 0.1),
        )
    except subprocess.TimeoutExpired:
        return f"; {argv[0]} -stop did not finish in time"
    return ""


def _release_port(s: _Stop) -> None:
    """End the site address's NQS port holders (keep-port): a start that failed before the
    daemons came up never released them, and nothing of the site may outlive its stop."""
    from jobcenter_cluster.engine import keepport

    address = s.run.get("address") or s.reg.get("address")
    if isinstance(address, str) and address:
        keepport.release(s.root, address)


def _finish(s: _Stop, known: bool, was: str | None, victims: dict[int, int],
            killed: dict[int, int], survivors: dict[int, int], note: str) -> Result:
    elapsed = time.monotonic() - s.t0
    killed_named = [[pid, s.names.get(pid) or proc_name(pid)] for pid in sorted(killed)]
    if survivors:
        listing = ", ".join(str(p) for p in sorted(survivors))
        s.write(store.set_state, s.root, s.site, states.FAILED,
                reason=f"stop left processes alive: {listing}", stop_failed=True)
        s.say("done", f"{len(survivors)} process(es) survived SIGKILL", survivors)
        return Result(
            Outcome.FAILED,
            f"site {s.site}: {len(survivors)} process(es) survived SIGKILL: {listing}",
            {"survivors": sorted(survivors), "killed": killed_named},
        )
    if known:
        keep = {k: v for k, v in {**s.reg, **s.run}.items()
                if k in ("database", "address", "product")}
        s.write(store.set_state, s.root, s.site, states.STOPPED, fresh={
            **keep, "site": s.site, "node": s.node, "stopped": time.time(), "members": [],
        })
    s.say("done", "nothing of the site is left")
    details = {"terminated": len(victims), "killed": killed_named,
               "seconds": round(elapsed, 3), "holder_scan": _scan_details(s)}
    note += _foreign_note(s) + _unscanned_note(s, victims)
    if not victims and was in (None, states.STOPPED):
        return Result(Outcome.SUCCESS, f"site {s.site} is not running on this node{note}",
                      details)
    extra = f"; {len(killed)} needed SIGKILL" if killed else ""
    return Result(
        Outcome.SUCCESS,
        f"site {s.site} stopped in {elapsed:.2f}s ({len(victims)} processes{extra}){note}",
        details,
    )


def _unscanned(s: _Stop, victims: dict[int, int]) -> list[int]:
    """Processes of other users the last scan for holders could not read to the end (and that
    are not being stopped anyway), still alive."""
    if not s.scans:
        return []
    return sorted(pid for pid in s.scans[-1].unknown - set(victims) if procs.alive(pid))


def _scan_details(s: _Stop) -> dict[str, Any]:
    """What the scans for holders cost: the most descriptors one pass read and charged to the
    budget, how many passes, and who stayed unknown (`procs.HolderScan`)."""
    return {
        "passes": len(s.scans), "budget": HOLDER_BUDGET,
        "max_entries": max((x.entries for x in s.scans), default=0),
        "max_spent": max((x.spent for x in s.scans), default=0),
        "max_untrusted": max((x.untrusted for x in s.scans), default=0),
        "unscanned": sorted(s.scans[-1].unknown) if s.scans else [],
    }


def _unscanned_note(s: _Stop, victims: dict[int, int]) -> str:
    left = _unscanned(s, victims)
    if not left:
        return ""
    listing = ", ".join(str(p) for p in left[:10]) + (" ..." if len(left) > 10 else "")
    return (f"; {len(left)} process(es) of other users have more open files than one scan "
            f"reads (pids {listing}): not fully checked for files in {s.database}, and not "
            "the site's (no member, not root's or the JobCenter user's)")


def _foreign_note(s: _Stop) -> str:
    """Root's JobCenter daemons with the site's marker that no start of ours launched (a copy
    started by hand with ``cjcpw``, or daemons whose run state was lost): never signalled, but
    named, because ``start`` refuses to run beside them and advises a stop -- a stop that said
    only "not running" was a dead end (issue 28)."""
    try:
        table = procs.scan()
        other = members.foreign(s.site, s.node, table, s.profile,
                                exclude=procs.ancestors(os.getpid(), table), known=set())
    except (OSError, UserError):
        return ""
    if not other:
        return ""
    listing = ", ".join(str(p) for p in sorted(other))
    return (f"; JobCenter daemons with the site's marker that jccluster did not start still run "
            f"here (pids {listing}{foreign_origin(s.site, other, s.root)}), never signalled by "
            f"it: stop them with `cjcpw -stop {s.site}` or by pid")


def foreign_origin(site: str, pids: set[int] | dict[int, int], root: str) -> str:
    """Where daemons of `site` that are not this root's come from, in words (``""`` when
    nothing tells): another copy of the site by the same name, started under another spool
    root (their ``JCCLUSTER_ROOT``), with the database that root's registry names -- two
    people running the tour on one machine collided, and the message named neither."""
    roots = sorted({r for p in pids
                    if (r := procs.env_value(p, "JCCLUSTER_ROOT")) and os.path.isabs(r)
                    and os.path.normpath(r) != os.path.normpath(root)})
    parts = []
    for other in roots[:3]:
        try:
            database = (store.read_registry(other, site) or {}).get("database")
        except (OSError, UserError, ValueError):
            database = None
        parts.append(f"spool root {other}" + (f", database {database}"
                                               if isinstance(database, str) else ""))
    if not parts:
        return ""
    return ("; another copy of a site by this name, started under " + "; ".join(parts)
            + f" (this one's spool root: {root}; two sites of one name cannot run on one node)")
