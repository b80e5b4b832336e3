"""Recording stubs for vendor and JobCenter commands we cannot install.

A stub is a tiny executable (a Python script with an absolute interpreter path, so it works even
when the script under test clears PATH) that appends one JSON line per call to a shared log:
``{"cmd": basename, "args": [...], "env": {selected variables}, "cwd": ...}``. Its exit status
and output can be set per command, so tests drive the script's error branches too.

    rec = Recorder(tmp_path)
    cjcpw = rec.stub(tmp_path / "nqs/cluster/cjcpw")
    rec.set_exit("cjcpw", 3)
    ... run the script ...
    assert rec.commands() == [["nqsportkpr", "orange.example.com"], ["cjcpw", "-stop", ...]]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: environment variables a stub records (prefixes): the cluster products' and ours.
ENV_PREFIXES = ("CLP_", "ARMS_", "OCF_", "SG_", "NQS_", "VCS_", "JCCLUSTER_", "HA_", "PMF_")

_STUB = """#!{python}
import json, os, sys
name = os.path.basename(sys.argv[0])
ctl = {ctl!r}
env = {{k: v for k, v in os.environ.items() if k.startswith({prefixes!r})}}
with open({log!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"cmd": name, "args": sys.argv[1:], "env": env,
                          "cwd": os.getcwd()}}) + "\\n")
out = os.path.join(ctl, name + ".out")
if os.path.exists(out):
    sys.stdout.write(open(out, encoding="utf-8").read())
    sys.stdout.flush()
code = os.path.join(ctl, name + ".exit")
sys.exit(int(open(code).read()) if os.path.exists(code) else 0)
"""


class Recorder:
    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.log = self.workdir / "stub-calls.jsonl"
        self.ctl = self.workdir / "stub-control"
        self.ctl.mkdir(parents=True, exist_ok=True)
        self.bin = self.workdir / "stub-bin"
        self.bin.mkdir(parents=True, exist_ok=True)

    def stub(self, where: str | os.PathLike[str], *, exit_code: int = 0, stdout: str = "") -> Path:
        """Create a stub. `where` is a bare command name (placed in `self.bin`, put that on PATH)
        or a path (its directories are created)."""
        path = Path(where)
        if path.parent == Path("."):
            path = self.bin / path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_STUB.format(python=sys.executable, ctl=str(self.ctl),
                                     prefixes=ENV_PREFIXES, log=str(self.log)))
        path.chmod(0o755)
        if exit_code:
            self.set_exit(path.name, exit_code)
        if stdout:
            self.set_stdout(path.name, stdout)
        return path

    def spy(self, name: str, real: str, *, blocked: tuple[str, ...]) -> Path:
        """A stub in `self.bin` that records every call and then runs the `real` command, except
        a call with an argument in `blocked` (``fuser -ck``: it would kill for real), which is
        only recorded. For a query the script under test must see answered truthfully."""
        path = self.stub(name)
        text = path.read_text().replace(
            "out = os.path.join(ctl, name + \".out\")",
            f"if not set(sys.argv[1:]) & set({blocked!r}):\n"
            f"    os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
            "out = os.path.join(ctl, name + \".out\")")
        path.write_text(text)
        return path

    def set_exit(self, name: str, code: int) -> None:
        (self.ctl / f"{name}.exit").write_text(str(code))

    def set_stdout(self, name: str, text: str) -> None:
        (self.ctl / f"{name}.out").write_text(text)

    def calls(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def commands(self) -> list[list[str]]:
        """Each call as ``[cmd, *args]``, in order."""
        return [[c["cmd"], *c["args"]] for c in self.calls()]

    def clear(self) -> None:
        if self.log.exists():
            self.log.unlink()

    def path_env(self) -> str:
        return f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"


# A recording stub whose exit status and output can be set per sub-command (its first
# argument): `pmfadm -q` and `pmfadm -c`, `clresource show` and `clresource create` answer
# differently. Control files: NAME.SUB.exit / NAME.SUB.out, falling back to NAME.exit / NAME.out.
_SUBSTUB = '''#!{python}
import json, os, sys
name = os.path.basename(sys.argv[0])
ctl = {ctl!r}
with open({log!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"cmd": name, "args": sys.argv[1:], "env": {{}}, "cwd": os.getcwd(),
                          "pid": os.getpid()}}) + "\\n")
key = sys.argv[1] if len(sys.argv) > 1 else "_"
def pick(ext):
    for cand in (name + "." + key + "." + ext, name + "." + ext):
        path = os.path.join(ctl, cand)
        if os.path.exists(path):
            return open(path, encoding="utf-8").read()
    return None
out = pick("out")
if out:
    sys.stdout.write(out)
code = pick("exit")
sys.exit(int(code) if code else 0)
'''


def sub_stub(rec: Recorder, where: Path | str) -> Path:
    path = Path(where)
    if path.parent == Path("."):
        path = rec.bin / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_SUBSTUB.format(python=sys.executable, ctl=str(rec.ctl), log=str(rec.log)))
    path.chmod(0o755)
    return path


def set_sub(rec: Recorder, name: str, sub: str, *, exit_code: int | None = None,
            stdout: str | None = None) -> None:
    if exit_code is not None:
        (rec.ctl / f"{name}.{sub}.exit").write_text(str(exit_code))
    if stdout is not None:
        (rec.ctl / f"{name}.{sub}.out").write_text(stdout)
