"""Sun Cluster 2.2: JobCenter as a data service with START_NET/STOP_NET methods around PMF.

What is rendered, per site: the START_NET, STOP_NET and ABORT_NET method scripts, the PMF action
program that gives up the logical host when the watcher dies, the ``hareg`` registration script
and an APPLY.txt.

Sources (cited again in docs/adapters/sun22.md):

- JobCenter manual §4.14: the start script starts the watcher under PMF when ``pmfadm -q
  JobService`` says it is not running (``pmfadm -c JobService -C 0 cjcpw SITE DB``, exit 1 with a
  message if pmfadm fails); the stop script stops it when it runs. The manual's samples have shell
  bugs, fixed here: ``ServStatus= `pmfadm -q JobService``` (a space after ``=``: the variable is
  set empty for the command, whose *output* is then run as a command) and a test of the output
  where pmfadm answers through its exit status; and ``pmfadm -s JobService cjcpw -stop SITE``,
  although ``pmfadm -s nametag [-w timeout] [signal]`` takes no command: PMF monitoring is stopped
  first, then ``cjcpw -stop SITE`` runs by itself.
- pmfadm(1M): ``-c nametag ... [-C level#] command``, ``-q nametag``, ``-s nametag [-w timeout]
  [signal]``; "-C level#: ... the original process executes at level 0".
- Sun Cluster 3.1 Data Services Developer's Guide, "Stopping the Monitor With Update" (816-3385):
  ``if pmfadm -q TAG; then pmfadm -s TAG TERM`` -- pmfadm -q answers by exit status.
- Sun Cluster 2.2 API Developer's Guide (806-5344): methods are registered with hareg(1M);
  START_NET/STOP_NET get the logical hosts this node masters ($1) and does not master ($2),
  comma-separated, and a timeout ($3); methods must be idempotent; a data service is registered
  "off" and turned on with ``hareg -y``; "Setting Timeout Values": a method's timeout must be less
  than half the logical-host takeover timeout (180 s by default; raise it with scconf(1M)).
- JobCenter manual §4.13: kill what jobs left in the background on the shared disk at stop.
- pmfadm(1M) ``-a action``: "called when the number of failures allowed has been reached" with
  two more arguments, the event (``failed``) and the nametag; exit 0 restarts the process, any
  other status removes the nametag; "if -a is not specified, the result is the same as if there
  were an action script specified which always exits non-zero" -- so the manual's ``pmfadm -c
  JobService -C 0`` leaves a dead watcher dead and nothing fails over. The action program here
  gives the logical host up (``hactl -g -s SERVICE -l LOGHOST``, as public Sun Cluster 2.2
  client code calls it; hactl(1M) itself not found: docs page, unverified) and exits 1.
- ABORT_NET runs on a node that is aborting its services: it stops the site unconditionally
  (STOP_NET acts only for a logical host in its second argument).

START_NET and STOP_NET (not START/STOP) because nqsportkpr binds the site address, which is up
only once the logical host's network is configured; the stop runs while it still is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from jobcenter_cluster.adapter import (
    CJCPW_STOP_SECONDS,
    Adapter,
    AgentAction,
    Artifact,
    Option,
    Rule,
    stop_seconds,
)
from jobcenter_cluster.adapters.sungds.adapter import STOP_MARGIN, safe_path
from jobcenter_cluster.adapters.sungds.rules import invocations, main_commands
from jobcenter_cluster.checks import (
    CheckContext,
    SourceFile,
    check_fixed_path,
    command_lines,
    is_keep_port,
    path_not_fixed,
)
from jobcenter_cluster.errors import ConfigError
from jobcenter_cluster.model import Cluster, Site, check_hostname
from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import LazyPattern

# typing stays off the monitor's import path (see jobcenter_cluster.adapter)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RuleResult = tuple[str, "str | None", "int | None"]

_NAMETAG = LazyPattern(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}\Z")
_SERVICE = LazyPattern(r"^[A-Za-z][A-Za-z0-9_]{0,31}\Z")
#: logical-host takeover timeout of Sun Cluster 2.2 by default; methods get less than half.
TAKEOVER_TIMEOUT = 180
#: the PATH every rendered script sets first: POSIX tools, the system's and Sun Cluster 2.2's
#: own (pmfadm, hareg, hactl) -- never the caller's: the scripts run as root.
SCRIPT_PATH = "/usr/xpg4/bin:/usr/bin:/usr/sbin:/opt/SUNWcluster/bin"


def _nametag(value: str) -> str | None:
    return None if _NAMETAG.match(value) else (
        f"{value!r} is not a PMF nametag (a letter, then up to 63 letters, digits, '_', '.', '-')")


def _service(value: str) -> str | None:
    return None if _SERVICE.match(value) else (
        f"{value!r} is not a data service name for hareg (a letter, then up to 31 letters, "
        "digits or '_')")


def _one_site(cluster: Cluster | None) -> bool:
    return bool(cluster and len(cluster.sites) == 1)


def _default_tag(cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None
    return "JobService" if _one_site(cluster) else f"JobService_{site.short_name}"[:64]


def _default_service(cluster: Cluster | None, site: Site | None) -> str:
    assert site is not None
    if _one_site(cluster):
        return "jobcenter"
    return f"jobcenter_{site.short_name.replace('-', '_')}"[:32]


class Sun22Adapter(Adapter):
    """Sun Cluster 2.2: pmfadm-based START_NET/STOP_NET methods registered with hareg."""

    name = "sun22"
    product = "Sun Cluster 2.2 (data service methods with pmfadm, registered with hareg)"
    # issue 9: Sun Cluster 2.2 nodes (Solaris 8 and older) have no Python 3.11 for our engine
    supervisors = ("cjcpw",)
    supervisor_reason = "Sun Cluster 2.2 nodes (Solaris 8 and older) have no Python 3.11 for our engine"
    artifacts = (
        "{site}/start_net.sh",
        "{site}/stop_net.sh",
        "{site}/abort_net.sh",
        "{site}/watcher_exited.sh",
        "{site}/register.sh",
        "{site}/APPLY.txt",
    )
    options_schema = {
        "script_dir": Option(str, "/opt/jobcenter-cluster/sun22", "where the method scripts are "
                             "installed on every node (one sub-directory per site)",
                             check=safe_path),
        "start_timeout": Option(int, 60, "START_NET method timeout in seconds", minimum=10,
                                maximum=3600),
        "stop_timeout": Option(int, None, "STOP_NET / ABORT_NET method timeout in seconds "
                               "(default: the stop plus a margin)", minimum=10, maximum=3600),
        "kill_leftovers": Option(bool, lambda c, s: bool(c and c.supervisor == "cjcpw"),
                                 "at stop, kill processes still using the shared file system "
                                 "(fuser -ck; manual §4.13). Default: on with supervisor cjcpw; "
                                 "with jccluster the engine's stop kills them already"),
        "script_path": Option(str, SCRIPT_PATH, "the PATH the rendered scripts set first "
                              "(fixed absolute directories; never the caller's)",
                              check=check_fixed_path),
    }
    site_options_schema = {
        "nametag": Option(str, _default_tag, "the PMF nametag of the watcher (the manual's "
                          "JobService; JobService_SITE when the file has several sites)",
                          check=_nametag),
        "service": Option(str, _default_service, "the data service name registered with hareg",
                          check=_service),
        "logical_host": Option(str, lambda c, s: s.short_name if s else None, "the Sun Cluster "
                               "2.2 logical host that carries the site address (default: the "
                               "site's short name)",
                               check=lambda v: check_hostname(v, fqdn=False)),
        "mount_point": Option(str, None, "the shared file system (default: the database path)",
                              check=safe_path),
    }
    agent_actions = {
        "watch": AgentAction("watch", "what PMF runs (pmfadm -c): start the site and watch it "
                             "in the foreground"),
        "stop": AgentAction("stop", "stop the site and whatever of it is left (STOP_NET)"),
        "keep-port": AgentAction("keep-port", "hold the NQS port on the site address "
                                 "(nqsportkpr); before pmfadm -c in START_NET"),
        "status": AgentAction("status", "for operators: 0 running, 1 failed, 3 stopped, "
                              "4 unknown"),
        "validate": AgentAction("validate", "can this node run the site"),
    }
    # Methods: 0 = success, non-zero = failure (Sun Cluster 2.2 API). status: LSB-like.
    exit_codes = {
        ("watch", Outcome.SUCCESS): 0,
        ("stop", Outcome.SUCCESS): 0,
        ("keep-port", Outcome.SUCCESS): 0,
        ("validate", Outcome.SUCCESS): 0,
        ("status", Outcome.RUNNING): 0,
        ("status", Outcome.MAINTENANCE): 0,
        ("status", Outcome.FAILED): 1,
        ("status", Outcome.UNRECOVERABLE): 1,
        ("status", Outcome.STOPPED): 3,
        ("status", Outcome.INVALID): 4,
        ("status", Outcome.NOT_INSTALLED): 4,
    }
    default_exit_code = 1

    def validate(self) -> None:
        c = self.cluster
        if c.windows:
            raise ConfigError(f"{c.source}: cluster.product: Sun Cluster runs on Solaris, not "
                              f"{c.product.name!r} (use a POSIX product such as jobcenter-solaris)")
        if c.supervisor == "jccluster" and not c.jccluster.startswith("/"):
            raise ConfigError(f"{c.source}: cluster.jccluster: {c.jccluster!r} must be an "
                              "absolute path (PMF and the methods run without a known PATH)")
        seen: dict[str, str] = {}
        for site in c.sites:
            where = f"{site.where}.{self.name}"
            s = self.site_opts(site)
            if not site.monitor:
                raise ConfigError(
                    f"{c.source}: {site.where}.monitor: false cannot be represented on Sun "
                    "Cluster 2.2 (the site runs under PMF, which watches the watcher); remove "
                    "'monitor = false'")
            for key in ("nametag", "service"):
                ident = f"{key}:{s[key].lower()}"
                if ident in seen:
                    raise ConfigError(f"{c.source}: {where}.{key}: {s[key]!r} is already used by "
                                      f"{seen[ident]} (each site needs its own)")
                seen[ident] = f"{where}.{key}"
            mount = s["mount_point"] or site.database
            if s["mount_point"] is None and self.options["kill_leftovers"]:
                why = safe_path(mount)
                if why:
                    raise ConfigError(f"{c.source}: {site.where}.database: {why}; set "
                                      f"{where}.mount_point to the shared file system's mount "
                                      "point")
            if site.database != mount and not site.database.startswith(mount.rstrip("/") + "/"):
                raise ConfigError(f"{c.source}: {where}.mount_point: {mount!r} does not contain "
                                  f"the database {site.database!r}")
        stop = stop_seconds(c)
        given = self.options["stop_timeout"]
        if given is not None and given < stop + STOP_MARGIN:
            raise ConfigError(f"{c.source}: {self.name}.stop_timeout: {given} s is shorter than "
                              f"the stop ({stop} s) plus {STOP_MARGIN} s; use at least "
                              f"{stop + STOP_MARGIN}")

    def timeouts(self) -> dict[str, int]:
        stop = stop_seconds(self.cluster)
        return {"start": self.options["start_timeout"],
                "stop": self.options["stop_timeout"] or stop + 30, "stop_seconds": stop}

    def commands(self, site: Site) -> dict[str, list[str]]:
        if self.cluster.supervisor == "cjcpw":
            return {
                "keep_port": self.native_argv("nqsportkpr", site.name),
                "watch": self.native_argv("cjcpw", site.name, site.database),
                "stop": self.native_argv("cjcpw", "-stop", site.name),
            }
        return {
            "keep_port": self.agent_argv("keep-port", site, database=False),
            "watch": self.agent_argv("watch", site),
            "stop": self.agent_argv("stop", site, database=False),
        }

    def context(self, site: Site) -> dict[str, Any]:
        s = self.site_opts(site)
        script_dir = f"{self.options['script_dir'].rstrip('/')}/{site.short_name}"
        t = self.timeouts()
        return {
            "cluster": self.cluster,
            "site": site,
            "opts": self.options,
            "s": s,
            "mount": s["mount_point"] or site.database,
            "script_dir": script_dir,
            "paths": {k: f"{script_dir}/{k}.sh" for k in ("start_net", "stop_net", "abort_net",
                                                          "watcher_exited")},
            "setup": self.setup_commands(site),
            "cmd": self.commands(site),
            "t": t,
            "takeover": max(TAKEOVER_TIMEOUT, 2 * max(t["start"], t["stop"]) + 10),
            "shell": "/usr/xpg4/bin/sh",
        }

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs)
        out: list[Artifact] = []
        for site in self.sites:
            ctx = self.context(site)
            d = site.short_name
            for name, template, extra in (
                    ("start_net.sh", "start_net.sh.j2", {}),
                    ("stop_net.sh", "stop_net.sh.j2", {"abort": False}),
                    ("abort_net.sh", "stop_net.sh.j2", {"abort": True}),
                    ("watcher_exited.sh", "watcher_exited.sh.j2", {}),
                    ("register.sh", "register.sh.j2", {})):
                out.append(Artifact(f"{d}/{name}", r.render(template, **ctx, **extra), 0o755,
                                    "sh", site.name))
            out.append(Artifact(f"{d}/APPLY.txt", r.render("APPLY.txt.j2", **ctx), 0o644,
                                "text", site.name))
        return out

    @classmethod
    def rules(cls) -> list[Rule]:
        man = "JobCenter manual §4.14"
        pmf = "pmfadm(1M)"
        return [
            Rule("SUN22-PMF-EXIT-STATUS", "pmfadm -q is tested by its exit status (not its output, "
                 "not through an assignment with a space after '=')",
                 man + " (sample bugs); " + pmf + " EXIT STATUS; Sun Cluster 3.1 Data Services "
                 "Developer's Guide, Stopping the Monitor With Update", _rule_pmf_exit_status),
            Rule("SUN22-PORTKEEPER-FIRST", "nqsportkpr (keep-port) runs before the watcher is "
                 "started", man + "; §4.12.5 (nqsportkpr must run first)", _rule_keep_port_first),
            Rule("SUN22-UNIQUE-ID", "every site has its own PMF nametag and data service name",
                 pmf + " (nametag); Sun Cluster 2.2 API Developer's Guide, Registering a Data "
                 "Service", _rule_unique_ids),
            Rule("SUN22-SAME-TAG", "start and stop methods use the same nametag",
                 man + " (JobService in both scripts)", _rule_same_tag),
            Rule("SUN22-PMF-CHILD-LEVEL", "pmfadm -c watches the watcher alone (-C 0)",
                 man + " (pmfadm -c JobService -C 0); " + pmf + " -C", _rule_child_level),
            Rule("SUN22-PMF-STOP-SYNTAX", "pmfadm -s takes a nametag and at most -w and a "
                 "signal; the stop command runs separately",
                 pmf + " (-s nametag [-w timeout] [signal]); " + man + " (sample bug)",
                 _rule_pmf_stop_syntax),
            Rule("SUN22-STOP-COMMAND", "the stop method stops the site (cjcpw -stop / agent "
                 "stop)", man + " (stop script)", _rule_stop_command),
            Rule("SUN22-METHOD-TIMEOUT", "the STOP_NET/ABORT_NET timeout covers the stop",
                 "hareg(1M) -t; manual §3.3.7 (cjcpw -stop takes 1-2 minutes); engine stop "
                 "deadline", _rule_method_timeout),
            Rule("SUN22-PMF-ACTION", "pmfadm -c names an action program (-a) that gives the "
                 "logical host up when the watcher exits, and exits non-zero",
                 pmf + " -a (without it a dead watcher is never acted on); Sun Cluster 2.2 "
                 "hactl -g", _rule_pmf_action),
            Rule("SUN22-ABORT-UNCONDITIONAL", "ABORT_NET is its own method that stops the site "
                 "whatever its arguments", "Sun Cluster 2.2 API Developer's Guide (ABORT "
                 "methods); " + man + " (stop script)", _rule_abort_unconditional),
            Rule("SUN22-FIXED-PATH", "every rendered script sets PATH to fixed directories "
                 "before any command", "issue 16 (scripts run as root must not search the "
                 "caller's PATH)", _rule_fixed_path),
        ]

    def graph_resources(self, site: Site) -> tuple[str, list[tuple[str, str, str]],
                                                    list[tuple[str, str]]]:
        """The logical host brings its disk group and address up before the data service's
        START_NET method runs the watcher under PMF (stopped in reverse by STOP_NET)."""
        o = self.site_opts(site)
        res = [("disk", f"logical host {o['logical_host']}: disk group\n"
                f"{o['mount_point'] or site.database}", "disk"),
               ("address", f"logical host {o['logical_host']}: address\n{site.address}",
                "address"),
               ("service", f"data service {o['service']}\nSTART_NET: pmfadm -c {o['nametag']}",
                "jobcenter")]
        return (f"logical host {o['logical_host']} ({site.name})", res,
                [("disk", "service"), ("address", "service")])


# --------------------------------------------------------------------------- check rules


def _methods(ctx: CheckContext, kind: str) -> list[SourceFile]:
    return [f for f in ctx.files_of(("sh", "ksh", "bash"))
            if re.search(rf"(^|/){kind}[^/]*\.sh$", f.path)]


_CAPTURE = LazyPattern(r"`[^`]*\bpmfadm\s+-q|\$\(\s*[^)]*\bpmfadm\s+-q")
_SPACE_ASSIGN = LazyPattern(r"^\s*[A-Za-z_][A-Za-z0-9_]*=\s+[`$\"'A-Za-z/]")


def _rule_pmf_exit_status(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, text in command_lines(f.lines):
            if _CAPTURE.search(text):
                yield ("pmfadm -q answers through its exit status and prints nothing useful: "
                       "write 'if pmfadm -q TAG; then', not a captured output", f.path, n)
            elif _SPACE_ASSIGN.match(text):
                yield ("a space after '=' sets the variable to empty for one command and runs "
                       "the rest as a command (the manual's 'ServStatus= `pmfadm -q ...`' bug)",
                       f.path, n)


def _tags(f: SourceFile, flag: str) -> list[tuple[int, str]]:
    out = []
    for n, args in invocations(f, "pmfadm"):
        if flag in args and args.index(flag) + 1 < len(args):
            out.append((n, args[args.index(flag) + 1]))
    return out


def _rule_keep_port_first(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "start"):
        body = main_commands(f)
        keep = next((n for n, t in body if is_keep_port(t)), None)
        starts = [n for n, t in body if re.search(r"\bpmfadm\b.*\s-c\s", t + " ")
                  or re.search(r"cjcpw\"?\s+(?!-stop)|\bagent\s+\S+\s+(watch|start)\b", t + " ")]
        if keep is None:
            yield ("the start method never runs nqsportkpr / keep-port", f.path,
                   starts[0] if starts else None)
        elif starts and min(starts) < keep:
            yield ("the watcher is started before nqsportkpr / keep-port holds the NQS port",
                   f.path, min(starts))


def _rule_unique_ids(ctx: CheckContext) -> Iterator[RuleResult]:
    for kind, finder, what in (
        ("start", lambda f: _tags(f, "-c"), "PMF nametag"),
        ("register", lambda f: _hareg_services(f), "data service name"),
    ):
        seen: dict[str, str] = {}
        for f in _methods(ctx, kind):
            for n, tag in finder(f):
                key = tag.lower()
                if key in seen and seen[key] != os.path.dirname(f.path):
                    yield (f"{what} {tag!r} is also used in {seen[key] or '.'}: each site needs "
                           "its own", f.path, n)
                seen.setdefault(key, os.path.dirname(f.path))


def _rule_same_tag(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "start"):
        start_tags = {t for _n, t in _tags(f, "-c")}
        folder = os.path.dirname(f.path)
        for g in _methods(ctx, "stop"):
            if os.path.dirname(g.path) != folder:
                continue
            for n, tag in _tags(g, "-q") + _tags(g, "-s"):
                if start_tags and tag not in start_tags:
                    yield (f"nametag {tag!r} differs from the start method's "
                           f"{sorted(start_tags)} ({f.path})", g.path, n)


def _rule_child_level(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, args in invocations(f, "pmfadm"):
            if "-c" not in args:
                continue
            level = args[args.index("-C") + 1] if "-C" in args and args.index("-C") + 1 < len(
                args) else None
            if level != "0":
                yield (f"pmfadm -c without -C 0 (found {level or 'none'}): PMF would also watch "
                       "the JobCenter daemons and miss the watcher's exit", f.path, n)


def _rule_pmf_stop_syntax(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        for n, args in invocations(f, "pmfadm"):
            if "-s" not in args:
                continue
            rest = args[args.index("-s") + 2:]
            if rest[:1] == ["-w"]:
                rest = rest[2:]
            if len(rest) > 1 or (rest and not re.fullmatch(r"[A-Z0-9]+", rest[0])):
                yield (f"pmfadm -s takes a nametag and at most '-w SECONDS' and a signal, not "
                       f"{' '.join(rest)!r}: run the stop command on its own line", f.path, n)


_STOP = LazyPattern(r"cjcpw\"?\s+-stop\b|\bagent\s+\S+\s+stop\b")


def _rule_stop_command(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "stop"):
        stops = [n for n, t in main_commands(f) if _STOP.search(t)
                 and not re.search(r"\bpmfadm\b", t)]
        if not stops:
            yield ("the stop method does not run the stop command on its own (cjcpw -stop SITE "
                   "or jccluster agent sun22 stop SITE)", f.path, None)


def _hareg_services(f: SourceFile) -> list[tuple[int, str]]:
    return [(n, args[args.index("-r") + 1]) for n, args in invocations(f, "hareg")
            if "-r" in args and args.index("-r") + 1 < len(args)]


def _rule_method_timeout(ctx: CheckContext) -> Iterator[RuleResult]:
    stop = stop_seconds(ctx.cluster) if ctx.cluster else CJCPW_STOP_SECONDS
    for f in _methods(ctx, "register"):
        for n, args in invocations(f, "hareg"):
            if "-r" not in args:
                continue
            timeouts: dict[str, str] = {}
            if "-t" in args and args.index("-t") + 1 < len(args):
                for item in args[args.index("-t") + 1].split(","):
                    k, _, v = item.partition("=")
                    timeouts[k] = v
            for method in ("STOP_NET", "ABORT_NET"):
                value = timeouts.get(method)
                if value is None or not value.isdigit() or int(value) < stop + STOP_MARGIN:
                    yield (f"{method} timeout {value or 'unset'}: the stop needs {stop} s plus "
                           f"{STOP_MARGIN} s (set -t {method}={stop + STOP_MARGIN} or more)",
                           f.path, n)


def _rule_pmf_action(ctx: CheckContext) -> Iterator[RuleResult]:
    actions: set[str] = set()
    for f in _methods(ctx, "start"):
        for n, args in invocations(f, "pmfadm"):
            if "-c" not in args:
                continue
            if "-a" not in args or args.index("-a") + 1 >= len(args):
                yield ("pmfadm -c without -a ACTION: when the watcher exits nothing acts on it, "
                       "the site stays down and the logical host is never given up", f.path, n)
            else:
                actions.add(os.path.basename(args[args.index("-a") + 1].split()[0]))
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if os.path.basename(f.path) not in actions:
            continue
        body = main_commands(f)
        if not any(re.search(r"\bhactl\b.*\s-g\b", t) for _n, t in body):
            yield ("the PMF action program does not give the logical host up (hactl -g -s "
                   "SERVICE -l LOGHOST)", f.path, None)
        for n, code in literal_exits_of(f):
            if code == 0:
                yield ("the PMF action program exits 0: PMF would restart the watcher in place, "
                       "without nqsportkpr, instead of failing over", f.path, n)


def literal_exits_of(f: SourceFile) -> list[tuple[int, int]]:
    return [(n, int(m.group(1))) for n, t in command_lines(f.lines)
            for m in re.finditer(r"\bexit\s+([0-9]+)\b", t)]


def _rule_abort_unconditional(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in _methods(ctx, "register"):
        for n, args in invocations(f, "hareg"):
            if "-r" not in args or "-m" not in args or args.index("-m") + 1 >= len(args):
                continue
            methods = dict(item.partition("=")[::2]
                           for item in args[args.index("-m") + 1].split(","))
            abort, stop = methods.get("ABORT_NET"), methods.get("STOP_NET")
            if not abort:
                yield ("hareg -r registers no ABORT_NET method: an aborting node would leave "
                       "the site running", f.path, n)
            elif abort == stop:
                yield ("ABORT_NET is the STOP_NET script, which stops the site only for a "
                       "logical host in its second argument: give ABORT_NET its own script "
                       "that stops unconditionally", f.path, n)
    for f in _methods(ctx, "abort"):
        for n, text in command_lines(f.lines):
            if re.search(r"\$\{?2\b|\$\{?#", text):
                yield ("ABORT_NET must stop the site whatever its arguments: do not test $2",
                       f.path, n)
        if not any(_STOP.search(t) for _n, t in main_commands(f)):
            yield ("the ABORT_NET method does not stop the site", f.path, None)


def _rule_fixed_path(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files_of(("sh", "ksh", "bash")):
        if re.search(r"(^|/)(start|stop|abort|register|watcher)[^/]*\.sh$", f.path):
            finding = path_not_fixed(f)
            if finding:
                yield finding
