"""Working stand-ins for the cluster commands that start and track a process: Serviceguard's
``cmrunserv``/``cmhaltserv`` and Sun Cluster's ``pmfadm``. Unlike the recording stubs they
really run the command, track it, and record how it ended; like them, each call is appended to
the Recorder's log (same JSON line format) so tests assert order and arguments.

State per tag under ``<rec.ctl>/track``: ``TAG.pid`` (the process the product watches),
``TAG.status`` (its exit status once it ended; negative: killed by that signal), ``TAG.off``
(monitoring stopped by ``pmfadm -s`` / ``cmhaltserv``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from support.stubs import ENV_PREFIXES, Recorder

_COMMON = '''#!{python}
import json, os, signal, subprocess, sys, time
LOG = {log!r}
TRACK = {track!r}
os.makedirs(TRACK, exist_ok=True)
name = os.path.basename(sys.argv[0])
env = {{k: v for k, v in os.environ.items() if k.startswith({prefixes!r})}}
with open(LOG, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"cmd": name, "args": sys.argv[1:], "env": env, "cwd": os.getcwd()}})
             + "\\n")

def path(tag, ext):
    return os.path.join(TRACK, tag + "." + ext)

def start(tag, argv):
    """Run argv as the tracked process of tag: a detached monitor waits for it."""
    for ext in ("pid", "status", "off"):
        if os.path.exists(path(tag, ext)):
            os.unlink(path(tag, ext))
    if os.fork() == 0:
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        out = os.open(path(tag, "out"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(devnull, 0)
        os.dup2(out, 1)  # never the caller's pipes: they must reach EOF when it returns
        os.dup2(out, 2)
        proc = subprocess.Popen(argv, stdin=devnull, stdout=out, stderr=out, cwd="/")
        with open(path(tag, "pid") + ".tmp", "w") as fh:
            fh.write(str(proc.pid))
        os.replace(path(tag, "pid") + ".tmp", path(tag, "pid"))
        code = proc.wait()
        with open(path(tag, "status") + ".tmp", "w") as fh:
            fh.write(str(code))
        os.replace(path(tag, "status") + ".tmp", path(tag, "status"))
        os._exit(0)
    deadline = time.monotonic() + 10
    while not os.path.exists(path(tag, "pid")):
        if time.monotonic() > deadline:
            sys.exit("stand-in: the command did not start")
        time.sleep(0.01)

def running(tag):
    return (os.path.exists(path(tag, "pid")) and not os.path.exists(path(tag, "status"))
            and not os.path.exists(path(tag, "off")))

def signal_it(tag, sig):
    try:
        pid = int(open(path(tag, "pid")).read())
    except (OSError, ValueError):
        return
    if not os.path.exists(path(tag, "status")):
        try:
            os.kill(pid, sig)
        except OSError:
            pass

def wait_end(tag, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path(tag, "status")) and os.path.exists(path(tag, "pid")):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
'''

# cmrunserv [-r N | -R] NAME "CMD": the package manager runs CMD with /usr/bin/sh and watches it.
_CMRUNSERV = '''
args = sys.argv[1:]
if args and args[0] == "-r":
    args = args[2:]
elif args and args[0] == "-R":
    args = args[1:]
name, cmd = args
start(name, ["/bin/sh", "-c", cmd])
'''

# cmhaltserv NAME: SIGTERM to the service, SIGKILL after the halt timeout (here 30 s).
_CMHALTSERV = '''
name = sys.argv[1]
open(path(name, "off"), "w").close()
signal_it(name, signal.SIGTERM)
if not wait_end(name, 30):
    signal_it(name, signal.SIGKILL)
    wait_end(name, 10)
'''

# pmfadm -c TAG [-C level] [-n retries] [-t period] CMD ARGS... | -q TAG | -s TAG [-w t] [SIG]
_PMFADM = '''
args = sys.argv[1:]
op, tag, rest = args[0], args[1], args[2:]
if op == "-c":
    while rest and rest[0] in ("-C", "-n", "-t", "-a"):
        rest = rest[2:]
    start(tag, rest)
elif op == "-q":
    sys.exit(0 if running(tag) else 1)
elif op == "-s":
    if rest[:1] == ["-w"]:
        rest = rest[2:]
    open(path(tag, "off"), "w").close()
    if rest:
        signal_it(tag, getattr(signal, "SIG" + rest[0].removeprefix("SIG")))
else:
    sys.exit("pmfadm stand-in: unsupported " + op)
'''

STANDINS = {"cmrunserv": _CMRUNSERV, "cmhaltserv": _CMHALTSERV, "pmfadm": _PMFADM}


def install(rec: Recorder, *names: str) -> Path:
    """Put the named stand-ins in ``rec.bin``; returns the tracking directory."""
    track = rec.ctl / "track"
    common = _COMMON.format(python=sys.executable, log=str(rec.log), track=str(track),
                            prefixes=ENV_PREFIXES)
    for name in names:
        path = rec.bin / name
        path.write_text(common + STANDINS[name], encoding="utf-8")
        path.chmod(0o755)
    return track


class Tracked:
    """What a stand-in tracks under one tag."""

    def __init__(self, track: Path, tag: str) -> None:
        self.track, self.tag = track, tag

    def _read(self, ext: str) -> str | None:
        try:
            return (self.track / f"{self.tag}.{ext}").read_text(encoding="utf-8")
        except OSError:
            return None

    @property
    def pid(self) -> int | None:
        text = self._read("pid")
        return int(text) if text else None

    @property
    def status(self) -> int | None:
        """Exit status once ended (negative: the signal that killed it), else None."""
        text = self._read("status")
        return int(text) if text else None

    @property
    def output(self) -> str:
        return self._read("out") or ""


def calls(rec: Recorder) -> list[list[str]]:
    return [[c["cmd"], *c["args"]] for c in rec.calls()]

