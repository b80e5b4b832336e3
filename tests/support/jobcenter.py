"""An emulated JobCenter installation for tests (`jccluster simulator install`).

``Installation`` writes the five commands under ``tmp/prefix``, a private hosts file naming one
unique site at a unique 127.x address (``$JCCLUSTER_HOSTS``: no /etc/hosts edit), and points
``$JCCLUSTER_ROOT`` / ``$JCCLUSTER_PREFIX`` at it (root, hosts and a 0.2 s stop are also baked
into ``PREFIX/simulator.env``, so scripts run with an empty environment find them). ``run(COMMAND, *args)`` runs one of the
installed commands as a shell would. Use the ``jobcenter`` fixture of tests/conftest.py, or
build one in your own fixture.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from typing import Any

from jobcenter_cluster.simulator.install import COMMANDS, install


@dataclass
class Installation:
    prefix: str
    root: str
    hosts: str
    site: str
    address: str
    db: str
    mid: int = 162
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, tmp: str, site: str, address: str, **extra_env: str) -> Installation:
        prefix = os.path.join(tmp, "prefix")
        hosts = os.path.join(tmp, "hosts")
        with open(hosts, "w", encoding="utf-8") as fh:
            fh.write(f"{address} {site} {site.split('.')[0]}-alias.example.com\n"
                     "192.0.2.77 inactive.example.com\n")
        env = {
            "JCCLUSTER_HOSTS": hosts,
            "JCCLUSTER_ROOT": os.path.join(tmp, "spool"),
            "JCCLUSTER_PREFIX": prefix,
            "JCCLUSTER_SIM_STOP_SECONDS": "0.2",
            **extra_env,
        }
        # baked in too: cluster products run scripts with an empty environment
        install(prefix, defaults={k: env[k] for k in ("JCCLUSTER_HOSTS", "JCCLUSTER_ROOT",
                                                      "JCCLUSTER_SIM_STOP_SECONDS")})
        os.makedirs(os.path.join(tmp, "disk"), exist_ok=True)
        return cls(prefix, env["JCCLUSTER_ROOT"], hosts, site, address,
                   os.path.join(tmp, "disk", "jobdb"), env=env)

    def path(self, command: str) -> str:
        return os.path.join(self.prefix, COMMANDS[command])

    def full_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("NQS_SITE", "JCCLUSTER_SIM_FAULTS")}
        env.update(self.env)
        env.update(extra)
        return env

    def run(self, command: str, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60, **kw: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.path(command), *args], capture_output=True, text=True,
                              env=self.full_env(**(env or {})), timeout=timeout, **kw)

    def popen(self, command: str, *args: str, env: dict[str, str] | None = None,
              **kw: Any) -> subprocess.Popen[str]:
        return subprocess.Popen([self.path(command), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=self.full_env(**(env or {})), **kw)

    def mksite(self) -> None:
        res = self.run("cjcmksite", self.site, str(self.mid), self.db)
        assert res.returncode == 0, res.stderr

    def pid(self, role: str) -> int:
        with open(os.path.join(self.db, "nqs", "sim", f"{role}.pid"), encoding="ascii") as fh:
            return int(fh.read())

