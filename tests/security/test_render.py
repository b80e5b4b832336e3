"""Findings 5 (``render -o``) and 7 (templates) of issue 16.

5. ``render -o`` created world-writable intermediate directories under umask 000
   (``out/ocf/jobcenter``): the attacker replaced the rendered OCF agent there and it ran as root.
   ``render`` also accepted an output directory owned by another user, kept that user's identical
   file as "unchanged" and chmod'ed it 0755.
7. User templates (``--templates``, ``$JCCLUSTER_TEMPLATES``) fed an ordinary Jinja environment:
   ``{{ cycler.__init__.__globals__.os.system(...) }}`` ran at render time.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from jobcenter_cluster.errors import RenderError
from jobcenter_cluster.render import Renderer
from support.perms import world_writable

pytestmark = pytest.mark.timeout(120)

AGENT = os.path.join("ocf", "jobcenter", "site")


def _render(*args: str, umask: int = 0o022, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobcenter_cluster", "render", "pacemaker", "--example", *args],
        capture_output=True, text=True, timeout=60, env=env,
        preexec_fn=lambda: os.umask(umask),
    )


def _agent_text(tmp_path) -> str:
    ref = tmp_path / "reference"
    assert _render("-o", str(ref)).returncode == 0
    return (ref / AGENT).read_text()


def test_render_under_umask_000_leaves_nothing_for_others_to_replace(tmp_path, attacker):
    """Every directory and file ``render -o`` makes is 0755/0644 whatever the umask; the
    attacker cannot put its own OCF agent in place of ours."""
    base = tmp_path / "base"
    base.mkdir()
    os.chmod(base, 0o755)
    out = base / "out"
    res = _render("-o", str(out), umask=0)
    assert res.returncode == 0, res.stderr
    assert world_writable(str(out)) == []
    assert stat.S_IMODE(os.stat(out / AGENT).st_mode) == 0o755
    fd = attacker.share(str(out / "ocf" / "jobcenter"))
    res = attacker.run("fd = os.open('site.new', os.O_WRONLY | os.O_CREAT, 0o777, dir_fd=FD)\n"
                       "os.rename('site.new', 'site', src_dir_fd=FD, dst_dir_fd=FD)",
                       fd=fd, check=False)
    assert res.returncode != 0 and "PermissionError" in res.stderr
    assert (out / AGENT).read_text().startswith("#!")


def test_render_refuses_an_output_directory_of_another_user(tmp_path, attacker):
    """The attacker's directory holds a file identical to what root would write: root refuses
    the directory instead of keeping the file as "unchanged" and chmod'ing it 0755."""
    text = _agent_text(tmp_path)
    out = tmp_path / "theirs"
    out.mkdir()
    attacker.give(str(out))
    attacker.run(f"""
for d in ('ocf', 'ocf/jobcenter'):
    os.mkdir(d, 0o755, dir_fd=FD)
fd = os.open({AGENT!r}, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD)
os.write(fd, {text!r}.encode())
""", fd=attacker.share(str(out)))
    res = _render("-o", str(out))
    assert res.returncode == 2, res.stdout
    assert f"output directory {out} is not safe to use: {out} is owned by uid {attacker.uid}" \
        in res.stderr
    st = os.stat(out / AGENT)
    assert st.st_uid == attacker.uid and stat.S_IMODE(st.st_mode) == 0o644
    assert "unchanged" not in res.stdout


def test_render_refuses_a_directory_others_can_write_on_the_way(tmp_path):
    """Root's own output directory, but ``out`` or ``out/ocf`` world-writable (made earlier under
    umask 000): refused, naming the directory."""
    out = tmp_path / "out"
    out.mkdir()
    os.chmod(out, 0o777)
    res = _render("-o", str(out))
    assert res.returncode == 2 and f"{out} is writable by others (mode 0777)" in res.stderr
    os.chmod(out, 0o755)
    (out / "ocf").mkdir()
    os.chmod(out / "ocf", 0o777)
    res = _render("-o", str(out))
    assert res.returncode == 2 and f"{out / 'ocf'}: writable by group or others" in res.stderr
    assert not (out / "ocf" / "jobcenter").exists()


def test_render_never_keeps_another_users_identical_file(tmp_path, attacker):
    """Root's directory, but one file in it is the attacker's (handed over by mistake) and
    identical: refused, not "unchanged", not chmod'ed."""
    out = tmp_path / "out"
    assert _render("-o", str(out)).returncode == 0
    attacker.give(str(out / AGENT))
    os.chmod(out / AGENT, 0o644)
    res = _render("-o", str(out))
    assert res.returncode == 2 and f"owned by uid {attacker.uid}, not by you" in res.stderr
    assert stat.S_IMODE(os.stat(out / AGENT).st_mode) == 0o644


PAYLOAD = "{{ cycler.__init__.__globals__.os.system('touch %s') }}\n"


def test_template_cannot_reach_python_internals(tmp_path):
    """A user template (in a directory root owns) with the classic Jinja escape: the sandbox
    refuses it at render time; the command never runs."""
    marker = tmp_path / "pwned"
    tdir = tmp_path / "templates"
    (tdir / "pacemaker").mkdir(parents=True)
    (tdir / "pacemaker" / "agent.sh.j2").write_text(PAYLOAD % marker)
    with pytest.raises(RenderError, match="refused"):
        Renderer("pacemaker", [str(tdir)]).render("agent.sh.j2")
    res = _render("--templates", str(tdir))
    assert res.returncode == 2 and "refused" in res.stderr, res.stderr
    env = {**os.environ, "JCCLUSTER_TEMPLATES": str(tdir)}
    assert _render(env=env).returncode == 2
    assert not marker.exists()
    # other attribute escapes the sandbox also blocks
    (tdir / "pacemaker" / "agent.sh.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(RenderError, match="refused"):
        Renderer("pacemaker", [str(tdir)]).render("agent.sh.j2")


def test_template_directory_of_another_user_is_refused(tmp_path, attacker):
    """``--templates`` / ``$JCCLUSTER_TEMPLATES`` naming a directory the attacker owns (or can
    write): refused before any template in it is read."""
    marker = tmp_path / "pwned"
    tdir = tmp_path / "theirs"
    tdir.mkdir()
    attacker.give(str(tdir))
    attacker.run("os.mkdir('pacemaker', 0o755, dir_fd=FD)\n"
                 "fd = os.open('pacemaker/agent.sh.j2', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD)\n"
                 f"os.write(fd, {('#!/bin/sh' + chr(10) + 'touch ' + str(marker)).encode()!r})",
                 fd=attacker.share(str(tdir)))
    res = _render("--templates", str(tdir), "-o", str(tmp_path / "out"))
    assert res.returncode == 2
    assert f"template directory {tdir / 'pacemaker'} is not safe to use: {tdir} is owned by " \
           f"uid {attacker.uid}" in res.stderr
    env = {**os.environ, "JCCLUSTER_TEMPLATES": str(tdir)}
    assert _render(env=env).returncode == 2
    own = tmp_path / "open"
    (own / "pacemaker").mkdir(parents=True)
    os.chmod(own / "pacemaker", 0o777)
    res = _render("--templates", str(own))
    assert res.returncode == 2 and "writable by others (mode 0777)" in res.stderr
    assert not (tmp_path / "out").exists() and not marker.exists()
