"""``jccluster simulator install PREFIX``: write the emulated JobCenter installation.

Five executables, laid out as JobCenter lays out ``/usr/lib/nqs`` (manual §2.10.4)::

    PREFIX/cluster/cjcpw        PREFIX/cluster/cjcmksite        PREFIX/cluster/cjcls
    PREFIX/nqsportkpr           PREFIX/nqspath

Each is a three-line Python script whose interpreter is a fixed path (this interpreter, run
with ``-I``: no ``PYTHONPATH``, no user site) calling `jobcenter_cluster.simulator.jobcenter`.
So the engine (``JCCLUSTER_PREFIX=PREFIX``), a rendered script or an operator at a shell can run
them exactly as they would run JobCenter's. Re-running ``install`` rewrites them in place.
"""

from __future__ import annotations

import os
import sys

from jobcenter_cluster.errors import UserError

#: command → path under PREFIX
COMMANDS = {
    "cjcpw": os.path.join("cluster", "cjcpw"),
    "cjcmksite": os.path.join("cluster", "cjcmksite"),
    "cjcls": os.path.join("cluster", "cjcls"),
    "nqsportkpr": "nqsportkpr",
    "nqspath": "nqspath",
}

#: Linux reads at most this many bytes of a ``#!`` line (BINPRM_BUF_SIZE before 5.1)
SHEBANG_MAX = 127

_SCRIPT = """#!{python} -I
# JobCenter `{command}`, emulated by jobcenter-cluster (`jccluster simulator install`): a rehearsal
# stand-in written from the JobCenter cluster guide. It is not JobCenter. See docs/simulator.md.
import sys
from jobcenter_cluster.simulator.jobcenter import main
sys.exit(main({command!r}, sys.argv[1:], prefix={prefix!r}))
"""


def script(command: str, prefix: str, python: str | None = None) -> str:
    python = python or sys.executable
    if not python or not os.path.isabs(python) or any(c.isspace() for c in python):
        raise UserError(f"interpreter {python!r} cannot be a #! line (it needs an absolute path "
                        "without spaces); run jccluster from such an installation")
    if len(f"#!{python} -I") > SHEBANG_MAX:
        raise UserError(f"interpreter path {python} is too long for a #! line "
                        f"(at most {SHEBANG_MAX - 5} characters)")
    return _SCRIPT.format(python=python, command=command, prefix=prefix)


#: the installation's own defaults for the emulated commands: ``KEY=VALUE`` lines, used for each
#: variable the caller's environment does not set (cluster products often run their scripts
#: with an empty environment: Serviceguard passes none to SERVICE_CMD)
DEFAULTS_FILE = "simulator.env"
DEFAULT_KEYS = ("JCCLUSTER_ROOT", "JCCLUSTER_HOSTS", "JCCLUSTER_SIM_STOP_SECONDS",
                "JCCLUSTER_SIM_START_SECONDS", "JCCLUSTER_SIM_NQS_PORT", "JCCLUSTER_SIM_FAULTS")


def install(prefix: str, *, python: str | None = None,
            defaults: dict[str, str] | None = None) -> list[str]:
    """Write the five executables under ``prefix`` (mode 0755); return their paths.

    ``defaults``: environment defaults baked into ``PREFIX/simulator.env`` (keys of
    `DEFAULT_KEYS`); the caller's environment still wins."""
    if not prefix:
        raise UserError("PREFIX must not be empty (e.g. /opt/jobcenter-rehearsal/nqs)")
    prefix = os.path.abspath(prefix)
    texts = {c: script(c, prefix, python) for c in COMMANDS}
    for key, value in (defaults or {}).items():
        if key not in DEFAULT_KEYS or "\n" in value or not value:
            raise UserError(f"simulator default {key}={value!r}: use one of "
                            f"{', '.join(DEFAULT_KEYS)} with a one-line value")
    from jobcenter_cluster import fsio

    # PREFIX and every directory above it by the trust rule, checked on the open handle (a
    # directory another user slips in, or a symlink planted on the way, is refused); the files
    # written relative to it at unguessable temporary names (fsio.write_at)
    pfd = fsio.open_dir(prefix, what="PREFIX", create=True, mode=0o755)
    written = []
    try:
        for command, rel in COMMANDS.items():
            folder, name = os.path.split(rel)
            dfd = fsio.open_subdir(pfd, folder, what="PREFIX", top=prefix, create=True,
                                   mode=0o755)
            try:
                fsio.write_at(dfd, name, texts[command], 0o755)
            finally:
                os.close(dfd)
            written.append(os.path.join(prefix, rel))
        if defaults:
            text = "# defaults of the emulated JobCenter commands (the environment wins)\n" + \
                "".join(f"{k}={v}\n" for k, v in sorted(defaults.items()))
            fsio.write_at(pfd, DEFAULTS_FILE, text, 0o644)
            written.append(os.path.join(prefix, DEFAULTS_FILE))
    finally:
        os.close(pfd)
    return written
