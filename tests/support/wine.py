"""Run generated batch files under ``wine cmd /c`` with recording stub commands.

One WINEPREFIX per test session (``wineboot`` takes ~5 s), created in a temporary directory on
first use, with a persistent wineserver so each ``wine cmd /c`` then takes a few tens of
milliseconds. The recording stub is a small Windows program (`tests/support/winstub.c`) built
once per session with Debian's ``x86_64-w64-mingw32-gcc``; it is copied under each command
name a script calls. It records the raw command line (so tests assert cmd.exe's quoting), the
argv a C runtime program sees, and the ``ARMS_*``/``CLP_*``/``NQS_*`` variables.

    from support.wine import wine  # the fixture (import it into the test module)

    def test_start(wine):                             # X: -> tmp_path/X, X:\\bin on WINEPATH
        wine.stub("ARMLoad", "ARMLoadC", "ARMKILL")    # X:\\bin\\ARMLoad.exe ...
        wine.stub_at(r"X:\\JobCenter\\SV\\bin", "cjcpw", "cjcinit")
        script = wine.write(r"X:\\site\\start.bat", text)
        res = wine.run(script, env={"ARMS_EVENT": "START"})
        assert res.commands() == [["cjcinit", "X:\\\\vmdb"], ["ARMLoad", ...]]

Batch stubs cannot be used: cmd.exe only returns from a batch file it CALLs, and wine 8's
``CALL x.bat`` loses the callee's exit code.
"""

from __future__ import annotations

import atexit
import json
import ntpath
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
STUB_SOURCE = HERE / "winstub.c"
MINGW = "x86_64-w64-mingw32-gcc"
#: the drive letter tests map to their temporary folder.
DRIVE = "X"


def wine_missing() -> str | None:
    """Why the wine tests cannot run here, or None."""
    for tool in ("wine", "wineboot", "wineserver", MINGW):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install wine gcc-mingw-w64-x86-64-win32)"
    return None


def unix_to_wine(path: str | os.PathLike[str]) -> str:
    """A Unix path as wine sees it through its Z: drive."""
    return "Z:" + str(Path(path).resolve()).replace("/", "\\")


@dataclass
class WineResult:
    returncode: int
    stdout: str
    stderr: str
    calls: list[dict[str, Any]]

    def commands(self) -> list[list[str]]:
        """Each recorded call as ``[name, *argv[1:]]``: name without directory or ``.exe``."""
        out = []
        for c in self.calls:
            name = ntpath.basename(c["exe"])
            if name.lower().endswith(".exe"):
                name = name[:-4]
            out.append([name, *c["argv"][1:]])
        return out

    def names(self) -> list[str]:
        return [c[0] for c in self.commands()]

    def cmdlines(self) -> list[str]:
        return [c["cmdline"] for c in self.calls]


class WineSession:
    """The session's prefix and compiled recorder."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="jcc-wine-"))
        self.prefix = self.root / "prefix"
        self.env = {
            **os.environ,
            "WINEPREFIX": str(self.prefix),
            "WINEDEBUG": "-all",
            "WINEARCH": "win64",
            "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no Mono/Gecko install dialogs
            "DISPLAY": "",
        }
        self.recorder = self.root / "recorder.exe"
        build = subprocess.run(
            [MINGW, "-O2", "-Wall", "-o", str(self.recorder), str(STUB_SOURCE), "-lshell32"],
            capture_output=True, text=True, timeout=120,
        )
        if build.returncode != 0:
            raise RuntimeError(f"building the wine recorder failed:\n{build.stderr}")
        boot = subprocess.run(["wineboot", "-i"], env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        if boot.returncode != 0:
            raise RuntimeError(f"wineboot -i failed (exit {boot.returncode}) in {self.prefix}")
        # keep one wineserver for the whole session: each `wine cmd` then starts in ~50 ms
        subprocess.run(["wineserver", "-w"], env=self.env, capture_output=True, timeout=60)
        self.server = subprocess.Popen(["wineserver", "-p", "-f"], env=self.env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (self.prefix / "drive_c" / "windows" / "cluster").mkdir(parents=True, exist_ok=True)
        # the first program run starts wine's services; let them inherit nothing of ours
        subprocess.run(["wine", "cmd", "/c", "exit"], env=self.env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def close(self) -> None:
        subprocess.run(["wineserver", "-k"], env=self.env, capture_output=True, timeout=60)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def box(self, workdir: Path) -> WineBox:
        """A fresh test area: drive X: mapped to ``workdir/X``, an empty call log."""
        return WineBox(self, Path(workdir))


@dataclass
class WineBox:
    session: WineSession
    workdir: Path
    log: Path = field(init=False)
    drive_root: Path = field(init=False)

    def __post_init__(self) -> None:
        self.drive_root = self.workdir / DRIVE
        self.drive_root.mkdir(parents=True, exist_ok=True)
        link = self.session.prefix / "dosdevices" / f"{DRIVE.lower()}:"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(self.drive_root)
        self.log = self.workdir / "wine-calls.jsonl"
        self.bin = self.drive_root / "bin"
        self.bin.mkdir(exist_ok=True)

    def host_path(self, winpath: str) -> Path:
        """Where a ``X:\\...`` path lives on this machine."""
        drive, rest = ntpath.splitdrive(winpath)
        if drive.upper() != f"{DRIVE}:":
            raise ValueError(f"{winpath!r} is not on drive {DRIVE}:")
        parts = [p for p in rest.replace("/", "\\").split("\\") if p]
        return self.drive_root.joinpath(*parts)

    def stub(self, *names: str) -> None:
        """Recording stubs in ``X:\\bin`` (on the PATH of every run)."""
        for name in names:
            shutil.copyfile(self.session.recorder, self.bin / f"{name}.exe")

    def stub_at(self, windir: str, *names: str) -> None:
        """Recording stubs in a given ``X:\\...`` directory (for full-path calls)."""
        target = self.host_path(windir)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(self.session.recorder, target / f"{name}.exe")

    def write(self, winpath: str, text: str) -> str:
        """Write a script at ``X:\\...`` (CRLF as on Windows) and return its Windows path."""
        host = self.host_path(winpath)
        host.parent.mkdir(parents=True, exist_ok=True)
        host.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
        return winpath

    def run(self, script: str, *args: str, env: dict[str, str] | None = None,
            exits: dict[str, int] | None = None, cwd: str | None = None,
            timeout: float = 60) -> WineResult:
        """``wine cmd /c SCRIPT ARGS`` with `env` added; `exits` sets stub exit codes by
        command name (``{"ARMLoad": 3}``). Returns the exit status, output and calls."""
        if self.log.exists():
            self.log.unlink()
        run_env = dict(self.session.env)
        for key in list(run_env):
            if key.startswith(("ARMS_", "CLP_", "JCC_STUB_EXIT")):
                del run_env[key]
        run_env["WINEPATH"] = f"{DRIVE}:\\bin"
        run_env["JCC_STUB_LOG"] = unix_to_wine(self.log)
        for name, code in (exits or {}).items():
            run_env[f"JCC_STUB_EXIT_{name.upper()}"] = str(code)
        run_env.update(env or {})
        # output goes to files, not pipes: wine's helper processes (services.exe, winedevice)
        # may inherit the handles and would keep a pipe open long after cmd.exe has exited
        out_path, err_path = self.workdir / "wine-stdout", self.workdir / "wine-stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.run(
                ["wine", "cmd", "/c", script, *args],
                env=run_env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=timeout,
                cwd=str(self.host_path(cwd)) if cwd else str(self.workdir),
            )
        calls = []
        if self.log.exists():
            calls = [json.loads(line) for line in
                     self.log.read_text(encoding="utf-8").splitlines() if line]
        return WineResult(proc.returncode, out_path.read_bytes().decode("utf-8", "replace"),
                          err_path.read_bytes().decode("utf-8", "replace"), calls)


    def run_matrix(self, script: str, envs: list[dict[str, str]],
                   timeout: float = 120) -> list[WineResult]:
        """Run `script` once per environment in `envs`, all in one ``wine cmd`` (a driver
        batch file sets each environment and runs ``cmd /c SCRIPT``): much faster than one
        wine start per case. Each result has that run's calls and exit status (its output is
        the driver's, shared)."""
        self.stub("jccmark")
        names = sorted({k for env in envs for k in env})
        lines = ["@ECHO OFF"]
        for i, env in enumerate(envs):
            for key in names:
                value = env.get(key, "")
                if not all(c.isalnum() or c in "_-." for c in value):
                    raise ValueError(f"run_matrix takes plain words only, not {value!r}")
                lines.append(f'SET "{key}={value}"')
            lines += [f"jccmark begin {i}", f"cmd /c {script}", "jccmark end %ERRORLEVEL%"]
        driver = self.write(f"{DRIVE}:\\jcc-matrix.bat", "\n".join(lines) + "\n")
        results = self._matrix_once(driver, len(envs), timeout)
        if results is None:
            # a stub's log record can be lost under wine now and then (the appends of two
            # stubs in a row race for the file): one more run tells that from a script that
            # really ends early, which loses the same case every time
            results = self._matrix_once(driver, len(envs), timeout, final=True)
        assert results is not None
        return results

    def _matrix_once(self, driver: str, count: int, timeout: float, final: bool = False
                     ) -> list[WineResult] | None:
        whole = self.run(driver, timeout=timeout)
        results: list[WineResult] = []
        current: list[dict[str, Any]] = []
        for call in whole.calls:
            name = ntpath.basename(call["exe"]).lower()
            if name == "jccmark.exe" and call["argv"][1] == "begin":
                current = []
            elif name == "jccmark.exe" and call["argv"][1] == "end":
                results.append(WineResult(int(call["argv"][2]), whole.stdout, whole.stderr,
                                          current))
            else:
                current.append(call)
        if len(results) != count:
            if not final:
                return None
            raise AssertionError(f"the matrix driver ran {len(results)} of {count} cases:\n"
                                 f"{whole.stdout[-3000:]}\n{whole.stderr[-2000:]}")
        return results


_SESSION: WineSession | None = None


def wine_session() -> WineSession:
    """The session's wine prefix, created on first use and removed at exit."""
    global _SESSION
    why = wine_missing()
    if why:
        pytest.fail(f"{why}: run the README's test command (./dev test), which installs it")
    if _SESSION is None:
        _SESSION = WineSession()
        atexit.register(_SESSION.close)
    return _SESSION


@pytest.fixture
def wine(tmp_path: Path) -> WineBox:
    """A `WineBox` for this test: drive X: is ``tmp_path/X``, stubs go in ``X:\\bin``."""
    return wine_session().box(tmp_path)
