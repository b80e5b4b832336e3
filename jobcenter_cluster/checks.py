"""``jccluster check``: vendor-specific checks of a cluster file and of rendered or hand-edited
artifacts.

The framework is shared: it loads the cluster file, renders it in memory or reads a directory,
runs the core rules below and the adapter's own `Adapter.rules()`, and reports `Finding`s with a
rule ID, the source of the rule (manual section or product document), the file and the line.

A rule is a function ``func(ctx: CheckContext)`` yielding ``(message, file, line)`` tuples (file
and line may be None); the framework turns them into findings with the rule's ID, severity and
source. Helpers for rule authors: `CheckContext.files_of`, `shell_function_body`,
`batch_label_body`, `command_lines`, `is_keep_port`, `check_fixed_path` (a PATH value of fixed
directories, for options).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from jobcenter_cluster.adapter import Adapter, Artifact, Finding, Rule, RuleResult
from jobcenter_cluster.errors import ConfigError, UserError
from jobcenter_cluster.manifest import NAME as MANIFEST
from jobcenter_cluster.model import Cluster, load_cluster


@dataclass(frozen=True)
class SourceFile:
    """One artifact under check: its path (relative to the checked directory), text, language."""

    path: str
    text: str
    language: str
    site: str | None = None

    @classmethod
    def from_artifacts(cls, artifacts: Iterable[Artifact]) -> list[SourceFile]:
        """Rendered artifacts, as the checks see files read from a directory."""
        return [cls(a.path, a.content, a.language, a.site) for a in artifacts]

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


_SHEBANG = re.compile(r"^#!\s*(\S+)(?:\s+(\S+))?")


def detect_language(path: str, text: str) -> str:
    """The language of a file found in a directory: by name, then by shebang or marker."""
    name = os.path.basename(path).lower()
    ext = os.path.splitext(name)[1]
    if ext in (".bat", ".cmd"):
        return "bat"
    if ext == ".ps1":
        return "ps1"
    if ext == ".xml" or name == "clp.conf":
        return "xml"
    if name == "main.cf" or ext == ".cf":
        return "maincf"
    first = text.split("\n", 1)[0]
    m = _SHEBANG.match(first)
    if m:
        prog = os.path.basename(m.group(2) if m.group(1).endswith("env") and m.group(2)
                                else m.group(1))
        if prog in ("ksh", "ksh93", "mksh"):
            return "ksh"
        if prog == "bash":
            return "bash"
        if prog in ("sh", "dash", "ash"):
            return "sh"
    if "# shellcheck shell=ksh" in text:
        return "ksh"
    if "# shellcheck shell=bash" in text:
        return "bash"
    if ext == ".sh":
        return "sh"
    if ext in (".conf", ".ascii", ".cntl"):
        return "conf"
    return "text"


SHELL_LANGUAGES = ("sh", "ksh", "bash")
#: the programs CORE-SHELL-SYNTAX runs (and CORE-NOT-RUN looks for), by language (any one of the list will do)
_SHELL_TOOLS = {"sh": ("dash", "sh"), "ksh": ("ksh93", "ksh", "mksh", "bash"), "bash": ("bash",)}


class CheckContext:
    """What a rule sees: the adapter (when the cluster file loaded), the cluster and the files."""

    def __init__(
        self,
        adapter_name: str,
        cluster: Cluster | None,
        adapter: Adapter | None,
        files: Sequence[SourceFile],
        directory: str | None,
    ) -> None:
        self.adapter_name = adapter_name
        self.cluster = cluster
        self.adapter = adapter
        self.files = list(files)
        self.directory = directory

    def files_of(
        self, language: str | Iterable[str] | None = None, pattern: str | None = None
    ) -> list[SourceFile]:
        """Files of a language (or several) whose path matches the regex `pattern`."""
        langs = {language} if isinstance(language, str) else (set(language) if language else None)
        out = []
        for f in self.files:
            if langs is not None and f.language not in langs:
                continue
            if pattern is not None and not re.search(pattern, f.path):
                continue
            out.append(f)
        return out

    def file(self, path_regex: str) -> SourceFile | None:
        found = self.files_of(pattern=path_regex)
        return found[0] if found else None


# --------------------------------------------------------------------------- helpers for rules


def command_lines(lines: Sequence[str], start: int = 0, end: int | None = None
                  ) -> Iterator[tuple[int, str]]:
    """(1-based line number, stripped text) of the lines that are commands: no blank lines,
    comments, or batch ``REM``/``::`` lines."""
    for i in range(start, len(lines) if end is None else end):
        text = lines[i].strip()
        if not text or text.startswith("#") or text.startswith("::"):
            continue
        if re.match(r"(?i)^@?rem(\s|$)", text):
            continue
        yield i + 1, text


def shell_function_body(f: SourceFile, name: str) -> list[tuple[int, str]] | None:
    """The command lines inside shell function `name` (``name()`` or ``function name``), or
    None when the file does not define it. Braces on their own lines are skipped."""
    lines = f.lines
    pat = re.compile(rf"^\s*(?:function\s+{re.escape(name)}\b|{re.escape(name)}\s*\(\s*\))")
    for i, line in enumerate(lines):
        if pat.match(line):
            depth = 0
            body: list[tuple[int, str]] = []
            opened = False
            for j in range(i, len(lines)):
                raw = lines[j]
                stripped = raw.strip()
                code = raw.split("#", 1)[0] if not stripped.startswith("#") else ""
                opens, closes = code.count("{"), code.count("}")
                if j > i and opened and stripped and not stripped.startswith("#") and stripped not in (
                    "{",
                    "}",
                ):
                    body.append((j + 1, stripped))
                depth += opens - closes
                opened = opened or opens > 0
                if opened and depth <= 0:
                    return [(n, t) for n, t in body if t != "}"]
            return body
    return None


def batch_label_body(f: SourceFile, label: str) -> list[tuple[int, str]] | None:
    """The command lines from ``:label`` up to the next label (a batch "path"), or None."""
    lines = f.lines
    start = None
    for i, line in enumerate(lines):
        if re.match(rf"(?i)^\s*:{re.escape(label)}\s*$", line):
            start = i + 1
            break
    if start is None:
        return None
    end = len(lines)
    for j in range(start, len(lines)):
        if re.match(r"^\s*:[A-Za-z_]", lines[j]) and not lines[j].strip().startswith("::"):
            end = j
            break
    return list(command_lines(lines, start, end))


_KEEP_PORT = re.compile(r"(nqsportkpr(\.exe)?\b|\bagent\s+\S+\s+keep-port\b|\bsite\s+keep-port\b)")


def is_keep_port(command: str) -> bool:
    """Whether a command line holds the NQS port: ``nqsportkpr`` or our ``keep-port``."""
    return bool(_KEEP_PORT.search(command))


def keep_port_not_first(first: tuple[int, str] | None, path: str, label: str = ""
                        ) -> RuleResult | None:
    """The finding when `first` (line number and text of a start path's first command, or None
    for an empty path) is not nqsportkpr / keep-port -- which must run first (manual §2.10.4,
    "nqsportkpr の登録") -- or None when it is."""
    if first is not None and is_keep_port(first[1]):
        return None
    prefix = f"{label}: " if label else ""
    found = first[1] if first else "nothing"
    return (f"{prefix}the first command must be nqsportkpr / keep-port, found {found!r}", path,
            first[0] if first else None)


def first_real_command(body: Sequence[tuple[int, str]],
                       skip: Callable[[str], bool] | None = None) -> tuple[int, str] | None:
    """The first line of `body` that is not a logging/echo/variable line (or `skip`ped)."""
    for n, text in body:
        if re.match(r"(?i)^(@?echo\b|log\b|:\s|local\b|set\b|export\b|[A-Za-z_][A-Za-z0-9_]*=)",
                    text):
            continue
        if skip and skip(text):
            continue
        return n, text
    return None


CJCPW_STOP = re.compile(r"cjcpw\"?\s+-stop\b")
_DECIDES = re.compile(r"\|\|\s*(\{|return\b|exit\b)")
_CONDITION = re.compile(r"^(if|while|until)\b")


def stop_status_decides(files: Iterable[SourceFile], helper: str = "site_left"
                        ) -> Iterator[RuleResult]:
    """Lines where ``cjcpw -stop``'s exit status alone decides a stop (``|| return``, ``|| exit``,
    ``if cjcpw -stop``): after a crash a failing ``cjcpw -stop`` then blocks the failover, though
    nothing of the site is left (issue 20). The rendered scripts judge what is left instead
    (`helper`)."""
    for f in files:
        for i, line in enumerate(f.lines):
            text = line.strip()
            if text.startswith("#") or not CJCPW_STOP.search(text):
                continue
            if _DECIDES.search(text) or _CONDITION.match(text):
                yield ("cjcpw -stop's exit status decides the stop: after a crash a failing "
                       "cjcpw -stop blocks the failover; judge what is left of the site "
                       f"instead ({helper})", f.path, i + 1)


#: a line that sets PATH (``; export PATH`` may follow on the line)
_PATH_SET = re.compile(r"^(?:(export|readonly)\s+)?PATH=(\S*)")
#: an ``export`` of PATH, on its own line or after ``;``
_EXPORTS_PATH = re.compile(r"(?:^|;)\s*export(?:\s+[A-Za-z_]\w*)*\s+PATH\b")
#: lines that run no program: set/umask, exports, plain assignments and ``: "${X=default}"``
#: (no command substitution anywhere)
_HARMLESS = re.compile(
    r"^(?!.*(\$\(|`))(set\s|umask\s|(export|readonly)(\s+[A-Za-z_]\w*)+\s*$"
    r"|:\s|[A-Za-z_]\w*=[^;|&]*$)"
)
_SET_PATH = ("set PATH to fixed system directories (and the product's own) and export it, e.g. "
             "PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH")


def check_fixed_path(value: str) -> str | None:
    """Why `value` is not a PATH of fixed absolute directories (no empty, relative or ``$``
    entries), or None. A script that runs as root must not search the caller's PATH."""
    if not value:
        return "is empty"
    for entry in value.split(":"):
        if not re.fullmatch(r"/[A-Za-z0-9_.+@%=,/-]*", entry) or "/../" in entry + "/":
            return (f"{entry!r} is not a fixed absolute directory (no empty, relative or $ "
                    "entries)")
    return None


def path_not_fixed(f: SourceFile) -> RuleResult | None:
    """The finding when the shell script `f` does not set and export a PATH of fixed absolute
    directories (`check_fixed_path`) before its first command, or None (the one home of
    CORE-FIXED-PATH). Lines that run no program (`_HARMLESS`: ``set``, ``umask``, assignments)
    may come first. A fragment without a ``#!`` line (pasted into a vendor's script, which sets
    PATH) is not judged. Scripts run as root by a cluster must not resolve commands through the
    PATH they inherit, and the programs they start must not either: hence the export (a PATH
    the product did not pass in is otherwise the script's alone)."""
    if not f.text.startswith("#!"):
        return None
    set_at: int | None = None
    exported = False
    for n, text in command_lines(f.lines):
        m = _PATH_SET.match(text)
        if m:
            value = m.group(2).split(";", 1)[0].strip("'\"")
            why = check_fixed_path(value)
            if why:
                return (f"PATH={m.group(2)}: {why}; never build on the inherited PATH: "
                        f"{_SET_PATH}", f.path, n)
            set_at = set_at or n
            exported = exported or m.group(1) == "export" or bool(_EXPORTS_PATH.search(text))
            continue
        if _EXPORTS_PATH.search(text) and _HARMLESS.match(text):
            exported = True
            continue
        if _HARMLESS.match(text):
            continue
        if set_at is None:
            return (f"runs {text[:40]!r} before setting PATH: {_SET_PATH}", f.path, n)
        break
    if set_at is None:
        return (f"sets no PATH: commands would resolve through the caller's PATH; {_SET_PATH}",
                f.path, None)
    if not exported:
        return ("PATH is set but not exported: the programs the script starts would still "
                f"search the caller's PATH; {_SET_PATH}", f.path, set_at)
    return None


# --------------------------------------------------------------------------- core rules


def _rule_shell_syntax(ctx: CheckContext) -> Iterator[RuleResult]:

    for f in ctx.files_of(SHELL_LANGUAGES):
        shell = next((s for s in _SHELL_TOOLS[f.language] if shutil.which(s)), None)
        if shell is None:
            continue
        proc = subprocess.run([shell, "-n"], input=f.text, capture_output=True, text=True,
                              timeout=30)
        if proc.returncode != 0:
            msg = (proc.stderr.strip().splitlines() or ["syntax error"])[0]
            m = re.search(r"line (\d+)|:(\d+):", msg)
            line = int(m.group(1) or m.group(2)) if m else None
            yield f"{shell} -n: {msg}", f.path, line


def _rule_shellcheck(ctx: CheckContext) -> Iterator[RuleResult]:

    if not shutil.which("shellcheck"):
        return
    for f in ctx.files_of(SHELL_LANGUAGES):
        proc = subprocess.run(
            ["shellcheck", "-s", f.language, "-S", "warning", "-f", "gcc", "-"],
            input=f.text, capture_output=True, text=True, timeout=60,
        )
        for line in proc.stdout.splitlines():
            m = re.match(r"^-:(\d+):\d+: (\w+): (.*)$", line)
            if m:
                yield f"shellcheck {m.group(2)}: {m.group(3)}", f.path, int(m.group(1))


def _rule_unique_machine_id(ctx: CheckContext) -> Iterator[RuleResult]:
    if ctx.cluster is None:
        return
    seen: dict[int, str] = {}
    items = [(f"node {n.name}", n.machine_id) for n in ctx.cluster.nodes]
    items += [(f"site {s.name}", s.machine_id) for s in ctx.cluster.sites]
    for who, mid in items:
        if mid in seen:
            yield f"machine ID {mid} of {who} is also used by {seen[mid]}", None, None
        seen[mid] = who


_IPADDRESS = re.compile(r"^\s*ipaddress\s*=\s*(.*)$", re.I)


def _rule_ipaddress(ctx: CheckContext) -> Iterator[RuleResult]:
    for f in ctx.files:
        if os.path.basename(f.path).lower() != "daemon.conf":
            continue
        for i, line in enumerate(f.lines):
            m = _IPADDRESS.match(line)
            if m:
                addrs = [a for a in m.group(1).split(",") if a.strip()]
                if len(addrs) > 5:
                    yield (f"ipaddress= lists {len(addrs)} addresses; JobCenter listens on at most "
                           "5", f.path, i + 1)


def _rule_database_consistent(ctx: CheckContext) -> Iterator[RuleResult]:
    """Every command line that names a site's database names the same path (all nodes run the
    same files, and the manual wants the same path everywhere)."""
    if ctx.cluster is None:
        return
    for site in ctx.cluster.sites:
        pat = re.compile(
            rf"(?:cjcpw(?:\.exe)?\"?|agent\s+\S+\s+\S+)\s+(?:\"?-\S+\"?\s+)*\"?"
            rf"{re.escape(site.name)}\"?\s+(\"[^\"]+\"|'[^']+'|/[^\s\"';|&]*|[A-Za-z]:\\[^\s\"]*)"
        )
        for f in ctx.files:
            for i, line in enumerate(f.lines):
                if line.lstrip().startswith(("#", "REM", "rem", "::")):
                    continue
                for m in pat.finditer(line):
                    db = m.group(1).strip("\"'")
                    if db.replace("%%", "%") != site.database:
                        yield (f"site {site.name}: database {db!r} differs from the cluster "
                               f"file's {site.database!r}", f.path, i + 1)


def _rule_fixed_path(ctx: CheckContext) -> Iterator[RuleResult]:
    """Every POSIX script sets and exports a fixed PATH before its first command: scripts run
    as root from cluster products whose PATH we do not control, and `logger`, `awk` or a
    vendor command found through an inherited PATH runs whatever a writable directory in it
    holds (`path_not_fixed`)."""
    yield from filter(None, map(path_not_fixed, ctx.files_of(SHELL_LANGUAGES)))


#: adapter options naming a directory where scripts run as root write files
_DIR_OPTIONS = ("log_dir", "run_dir", "state_dir")
_SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def _rule_safe_dirs(ctx: CheckContext) -> Iterator[RuleResult]:
    """``log_dir``/``run_dir``/``state_dir`` are not shared temporary directories and, where they
    exist on the machine running the check, pass `fsio.require_trusted` (root's, nobody else can
    write them or a directory above): the scripts write predictable names there as root (``>``
    follows a planted symlink). A directory that does not exist here is not judged."""
    if ctx.adapter is None:
        return
    tables = [("", getattr(ctx.adapter, "options", {}) or {})]
    site_opts = getattr(ctx.adapter, "site_options", {}) or {}
    tables += [(f"site {name}: ", opts) for name, opts in sorted(site_opts.items())]
    for where, opts in tables:
        for key in _DIR_OPTIONS:
            value = opts.get(key) if hasattr(opts, "get") else None
            if not isinstance(value, str) or not value:
                continue
            norm = os.path.normpath(value) if value.startswith("/") else value
            if norm in _SHARED_TMP:
                yield (f"{where}[{ctx.adapter_name}] {key} = {value!r} is a shared temporary "
                       "directory: anybody can plant the files root writes there; use a "
                       "root-owned directory such as /var/log or /var/run", None, None)
                continue
            if not norm.startswith("/") or not os.path.lexists(norm):
                continue  # checked where it exists (a node); the model wants absolute paths
            from jobcenter_cluster.fsio import NotTrusted, require_trusted

            try:  # root's (or yours) and nobody else's to write, up to /
                require_trusted(norm, what=key)
            except NotTrusted as err:
                yield (f"{where}[{ctx.adapter_name}] {key} = {value!r} is not safe here: "
                       f"{err.entry} is {err.reason}; scripts write predictable names there as "
                       "root: use a directory only root can write", None, None)
            except UserError as err:  # a symlink loop, a name that vanished meanwhile
                yield (f"{where}[{ctx.adapter_name}] {key} = {value!r} cannot be checked: {err}",
                       None, None)


NOT_RUN = "not run: "


class NotRun(str):
    """The message of a rule that could not run here: ``not run: WHAT (WHY)``; `what`
    (``dash missing``) is what ``jccluster check`` lists in its summary, kept as data."""

    what: str
    why: str

    def __new__(cls, what: str, why: str) -> NotRun:
        self = super().__new__(cls, f"{NOT_RUN}{what} ({why})")
        self.what = what
        self.why = why
        return self

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # copy, pickle
        return self.what, self.why


def _rule_not_run(ctx: CheckContext) -> Iterator[RuleResult]:
    """A rule that cannot run here (its tool is missing) says so, as a warning listed in the
    summary, instead of passing in silence."""

    langs = sorted({f.language for f in ctx.files_of(SHELL_LANGUAGES)})
    for lang in langs:
        tools = _SHELL_TOOLS[lang]
        if not any(shutil.which(t) for t in tools):
            yield (NotRun(f"{tools[0]} missing", f"CORE-SHELL-SYNTAX did not parse the {lang} "
                          f"files; install one of: {', '.join(tools)}"), None, None)
    if langs and not shutil.which("shellcheck"):
        yield (NotRun("shellcheck missing", "CORE-SHELLCHECK did not lint the shell files; "
                      "install shellcheck"), None, None)


# --------------------------------------------------------------------------- Windows

_ARMLOAD = re.compile(r"(?i)^\s*@?armload\b")
_COMMAND_LINE = re.compile(r"(?i)\bCommandLine\b")
_JCCLUSTER = re.compile(r"(?i)jccluster(\.exe)?\b")
_COMMENT = re.compile(r"(?i)^\s*(@?rem\b|::|#)")


def rule_jccluster_not_watched(ctx: CheckContext) -> Iterator[RuleResult]:
    """WIN-NO-JCCLUSTER-WATCHED: on Windows, jccluster.exe must not be the program that ARMLoad
    (CLUSTERPRO) or the cluster (an MSCS Generic Application's CommandLine) watches.

    Our engine does not run on Windows: the watched program exits at once, which the cluster
    takes for a failure -- and under ``ARMLoad /M`` the manual says CLUSTERPRO then shuts the
    node down (§3.2.2.4). Any file of the directory counts, rendered or hand-edited."""
    for f in ctx.files:
        if f.language not in ("bat", "ps1", "xml", "text"):
            continue
        for i, line in enumerate(f.lines):
            if _COMMENT.match(line) or not _JCCLUSTER.search(line):
                continue
            if _ARMLOAD.match(line):
                what = "ARMLoad watches"
            elif _COMMAND_LINE.search(line) and f.language != "text":
                what = "the cluster's Generic Application runs"
            else:
                continue
            yield (f"{what} jccluster, which does not run on Windows: it exits at once and the "
                   "cluster takes that for a failure (with ARMLoad /M the node is shut down); "
                   "render with supervisor = \"cjcpw\"", f.path, i + 1)


def artifact_patterns(adapter_cls: type[Adapter]) -> list[re.Pattern[str]]:
    """The adapter's artifact paths as regexes (``{site}`` and friends match one path part)."""
    out = []
    for path in adapter_cls.artifacts:
        if os.path.basename(path) == "APPLY.txt":  # every adapter writes one: not telling
            continue
        parts = re.split(r"(\{[^}]*\})", path)
        rx = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        if rx.startswith("[^/]+/"):  # a site's own directory may be checked on its own
            rx = "(?:[^/]+/)?" + rx[len("[^/]+/"):]
        out.append(re.compile(rf"^{rx}$"))
    return out


CORE_RULES: tuple[Rule, ...] = (
    Rule("CORE-UNIQUE-MID", "NQS machine IDs are unique across every node and site",
         "manual §2 terms (NQS machine ID), SPEC §2", _rule_unique_machine_id),
    Rule("CORE-IPADDRESS-MAX5", "daemon.conf ipaddress= lists at most 5 addresses",
         "manual §2.10.2 / §5.2 (daemon.conf ipaddress)", _rule_ipaddress),
    Rule("CORE-DATABASE-SAME", "every script names the site's database by the same path",
         "manual §2.11.6, §5.2 (same install path and database path on every node)",
         _rule_database_consistent),
    Rule("CORE-SHELL-SYNTAX", "shell artifacts parse (sh -n / ksh -n / bash -n)",
         "POSIX sh; shells installed here", _rule_shell_syntax),
    Rule("CORE-SHELLCHECK", "shell artifacts pass shellcheck for their dialect",
         "shellcheck -S warning", _rule_shellcheck),
    Rule("CORE-FIXED-PATH", "every POSIX script sets and exports a fixed PATH before its first command",
         "docs/engine.md, Security model (scripts run as root with the caller's PATH)",
         _rule_fixed_path),
    Rule("CORE-SAFE-DIRS", "log_dir/run_dir/state_dir are not /tmp nor writable by others",
         "docs/engine.md, Security model (predictable names written as root)", _rule_safe_dirs),
    Rule("CORE-NOT-RUN", "a rule whose tool is missing here says so",
         "jccluster check (issue 9: checks that did not run say so)", _rule_not_run,
         severity="warning"),
    Rule("WIN-NO-JCCLUSTER-WATCHED", "on Windows, jccluster.exe is never the program ARMLoad or "
         "the cluster watches (the engine does not run on Windows)",
         "manual §3.2.2.4 (ARMLoad /M: the node shuts down when the watched program ends); "
         "docs/engine.md (where the engine runs)", rule_jccluster_not_watched),
)


# --------------------------------------------------------------------------- running


def read_directory(directory: str) -> list[SourceFile]:
    if not os.path.isdir(directory):
        raise UserError(f"{directory}: no such directory (give the directory 'jccluster render "
                        "-o DIR' wrote)")
    # the render manifest (MANIFEST) is ours, not an artifact
    files = []
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.islink(full) or not os.path.isfile(full) or name == MANIFEST:
                continue
            try:
                with open(full, encoding="utf-8", errors="replace", newline="") as fh:
                    text = fh.read(4_000_000)
            except OSError as err:
                raise UserError(f"{full}: cannot read: {err.strerror}") from None
            if "\x00" in text:
                continue
            rel = os.path.relpath(full, directory)
            files.append(SourceFile(rel, text, detect_language(rel, text)))
    return files


def run_checks(
    adapter_cls: type[Adapter],
    *,
    config: str | None = None,
    directory: str | None = None,
    template_dirs: Sequence[str] = (),
    adapter_names: Iterable[str] | None = None,
    cluster: Cluster | None = None,
) -> list[Finding]:
    """Check a cluster file (rendered in memory) and/or a directory of artifacts.

    `cluster` may be given instead of `config` (e.g. the built-in example)."""
    findings: list[Finding] = []
    adapter = None
    if cluster is not None:
        adapter = adapter_cls(cluster, template_dirs=template_dirs)
    elif config is not None:
        try:
            cluster = load_cluster(config, adapter_names=adapter_names)
            adapter = adapter_cls(cluster, template_dirs=template_dirs)
        except ConfigError as err:
            for one in getattr(err, "errors", [err]):  # ConfigErrors: every mistake, in order
                rule = "CORE-UNIQUE-MID" if getattr(one, "code", None) == "unique-machine_id" \
                    else "CORE-CONFIG"
                findings.append(Finding(rule, "error", str(one), "cluster file reference "
                                        "(docs/cluster-file.md)", config, one.line))
    if directory is not None:
        files = read_directory(directory)
        patterns = artifact_patterns(adapter_cls)
        if patterns and not any(p.match(f.path.replace(os.sep, "/")) for f in files
                                for p in patterns):
            findings.append(Finding(
                "CORE-NO-ARTIFACTS", "error",
                f"{directory} holds none of the {adapter_cls.name} adapter's artifacts (such as "
                f"{', '.join(adapter_cls.artifacts[:3])}): nothing was checked; give the "
                f"directory `jccluster render {adapter_cls.name} -o DIR` wrote",
                "jccluster check", directory, None))
    elif adapter is not None:
        files = SourceFile.from_artifacts(adapter.render())
    else:
        files = []
    ctx = CheckContext(adapter_cls.name, cluster, adapter, files, directory)
    for check in all_rules(adapter_cls):
        for message, file, line in check.func(ctx):
            findings.append(Finding(check.id, check.severity, message, check.source, file, line))
    return findings


def all_rules(adapter_cls: type[Adapter]) -> list[Rule]:
    return list(CORE_RULES) + list(adapter_cls.rules())
