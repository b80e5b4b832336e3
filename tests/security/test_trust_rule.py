"""Issue 22, findings 2, 3 and the file-reading points of 5: what root reads and writes must pass
one trust rule (`jobcenter_cluster.fsio`, docs/security.md): owned by root or the caller, not
writable by group or others, the same for every directory above; symlinks only of root's or the
caller's. Each test lets a throwaway user make the move the finding describes and shows root
stops with one line naming the path and its owner or mode, and touches nothing of its own.
"""

from __future__ import annotations

import os
import stat

import pytest

from jobcenter_cluster import configfile, fsio, hosts
from jobcenter_cluster.errors import UserError
from support.cli import jcc

pytestmark = pytest.mark.timeout(120)

SECRET = "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n"


def _victim(tmp_path) -> str:
    """A root-only file (mode 0600) the attacker would like to read or clobber."""
    path = tmp_path / "secret"
    path.write_text(SECRET)
    os.chmod(path, 0o600)
    return str(path)


def _intact(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == SECRET, "root wrote through a planted symlink"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "root chmod'ed through a symlink"


def _shared(tmp_path, name: str = "shared") -> str:
    base = tmp_path / name
    base.mkdir()
    os.chmod(base, 0o1777)
    return str(base)


# --------------------------------------------------------------------------- fsio itself


def test_open_dir_refuses_a_directory_of_another_user_and_one_others_can_write(tmp_path,
                                                                            attacker):
    base = _shared(tmp_path)
    attacker.run("os.mkdir('theirs', 0o755, dir_fd=FD)", fd=attacker.share(base))
    with pytest.raises(UserError, match=rf"theirs is not trusted: owned by uid {attacker.uid}"):
        fsio.make_trusted_dir(os.path.join(base, "theirs", "sub"))
    assert os.listdir(os.path.join(base, "theirs")) == []
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)  # world-writable, not sticky: anyone may swap what is below
    with pytest.raises(UserError, match=r"writable by others \(owned by uid 0, mode 0777\)"):
        fsio.make_trusted_dir(str(open_dir / "sub"))
    assert os.listdir(open_dir) == []
    fsio.make_trusted_dir(os.path.join(base, "ours", "deeper"), 0o750)  # sticky above: fine
    assert stat.S_IMODE(os.stat(os.path.join(base, "ours")).st_mode) == 0o750


def test_open_dir_follows_only_root_s_symlinks(tmp_path, attacker):
    victim_dir = tmp_path / "rootonly"
    victim_dir.mkdir(mode=0o700)
    base = _shared(tmp_path)
    attacker.run(f"os.symlink({str(victim_dir)!r}, 'link', dir_fd=FD)", fd=attacker.share(base))
    with pytest.raises(UserError, match=rf"link is a symbolic link owned by uid {attacker.uid}"):
        fsio.make_trusted_dir(os.path.join(base, "link", "made"))
    assert os.listdir(victim_dir) == []
    os.symlink(str(victim_dir), os.path.join(base, "ours"))  # root's own link: followed
    fsio.make_trusted_dir(os.path.join(base, "ours", "made"))
    assert os.listdir(victim_dir) == ["made"]


def test_write_at_never_replaces_without_replace_and_never_follows(tmp_path):
    victim = _victim(tmp_path)
    d = tmp_path / "d"
    d.mkdir()
    os.symlink(victim, d / "out")
    fd = fsio.open_dir(str(d))
    try:
        with pytest.raises(FileExistsError):
            fsio.write_at(fd, "out", "x", replace=False)
        fsio.write_at(fd, "out", "new\n", 0o640)  # replaces the link, not its target
    finally:
        os.close(fd)
    _intact(victim)
    assert not os.path.islink(d / "out") and (d / "out").read_text() == "new\n"
    assert sorted(os.listdir(d)) == ["out"]


def test_open_trusted_refuses_others_files_fifos_and_their_symlinks(tmp_path, attacker):
    base = _shared(tmp_path)
    fd = attacker.share(base)
    attacker.run("os.close(os.open('theirs', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD))\n"
                 "os.mkfifo('fifo', 0o644, dir_fd=FD)\n"
                 f"os.symlink({_victim(tmp_path)!r}, 'link', dir_fd=FD)", fd=fd)
    for name, why in (("theirs", f"owned by uid {attacker.uid}"),
                      ("fifo", "is not a regular file"),  # and the open did not block
                      ("link", f"symbolic link owned by uid {attacker.uid}")):
        with pytest.raises(UserError, match=why):
            fsio.read_trusted(os.path.join(base, name), what="test file")
    mine = tmp_path / "mine"
    mine.write_text("ok")
    os.chmod(mine, 0o664)
    with pytest.raises(UserError, match=r"writable by its group \(owned by uid 0, mode 0664\)"):
        fsio.read_trusted(str(mine))
    os.chmod(mine, 0o644)
    assert fsio.read_trusted(str(mine)) == b"ok"


# --------------------------------------------------------------------------- finding 2: install


def test_simulator_install_refuses_a_prefix_another_user_owns(tmp_path, attacker):
    """The attacker owns PREFIX and planted symlinks at the names install writes (the old
    code's ``simulator.env.tmp.PID`` and ``cluster``): refused; the root-only file keeps its
    content and mode 0600, nothing is made where the links point."""
    from jobcenter_cluster.simulator.install import install

    victim = _victim(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    attacker.give(str(prefix))
    attacker.run(f"os.symlink({str(elsewhere)!r}, 'cluster', dir_fd=FD)\n"
                 f"os.symlink({victim!r}, 'simulator.env', dir_fd=FD)\n"
                 f"os.symlink({victim!r}, 'simulator.env.tmp.{os.getpid()}', dir_fd=FD)",
                 fd=attacker.share(str(prefix)))
    with pytest.raises(UserError, match=rf"PREFIX {prefix} is not trusted: owned by uid "
                                        rf"{attacker.uid}"):
        install(str(prefix), defaults={"JCCLUSTER_ROOT": "/tmp/x"})
    _intact(victim)
    assert os.listdir(elsewhere) == []


def test_simulator_install_does_not_make_dirs_through_a_planted_symlink(tmp_path, attacker):
    from jobcenter_cluster.simulator.install import install

    rootonly = tmp_path / "rootonly"
    rootonly.mkdir(mode=0o700)
    base = _shared(tmp_path)
    attacker.run(f"os.symlink({str(rootonly)!r}, 'opt', dir_fd=FD)", fd=attacker.share(base))
    with pytest.raises(UserError, match=rf"opt is a symbolic link owned by uid {attacker.uid}"):
        install(os.path.join(base, "opt", "nqs"))
    assert os.listdir(rootonly) == []


def test_simulator_install_writes_no_predictable_temporary_name(tmp_path, monkeypatch):
    """Every file install writes is created O_EXCL at an unguessable name (`fsio.write_at`):
    two installs with the same pid leave no leftovers, and a file planted at the old
    predictable name is neither opened nor removed."""
    from jobcenter_cluster.simulator.install import install

    prefix = tmp_path / "prefix"
    prefix.mkdir()
    (prefix / "cluster").mkdir()
    planted = prefix / "cluster" / f"cjcpw.tmp.{os.getpid()}"
    planted.write_text("planted")
    opened: list[str] = []
    real_open = os.open

    def spy(path, flags, *a, **kw):
        opened.append(str(path))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", spy)
    install(str(prefix), defaults={"JCCLUSTER_SIM_STOP_SECONDS": "1"})
    assert planted.read_text() == "planted"
    assert not [p for p in opened if p.endswith(f".tmp.{os.getpid()}")]
    assert sorted(os.listdir(prefix / "cluster")) == ["cjcls", "cjcmksite", "cjcpw",
                                                       planted.name]
    assert stat.S_IMODE(os.stat(prefix / "simulator.env").st_mode) == 0o644


# --------------------------------------------------------------------------- finding 5: reading


def test_simulator_env_another_user_can_write_is_refused(tmp_path, attacker, capsys):
    from jobcenter_cluster.simulator import jobcenter as emu
    from jobcenter_cluster.simulator.install import install

    prefix = tmp_path / "prefix"
    install(str(prefix), defaults={"JCCLUSTER_SIM_STOP_SECONDS": "1"})
    os.chown(prefix / "simulator.env", attacker.uid, attacker.gid)  # a careless operator
    assert emu.main("cjcls", [], prefix=str(prefix)) == 1
    err = capsys.readouterr().err
    assert f"simulator.env is not trusted: owned by uid {attacker.uid}" in err
    assert len(err.strip().splitlines()) == 1


def test_hosts_file_of_another_user_is_refused(tmp_path, attacker, monkeypatch):
    path = tmp_path / "hosts"
    path.write_text("192.0.2.66 orange.example.com\n")
    monkeypatch.setenv(hosts.ENV, str(path))
    assert hosts.gethostbyname("orange.example.com") == "192.0.2.66"
    attacker.give(str(path))
    with pytest.raises(UserError, match=rf"hosts file \(\$JCCLUSTER_HOSTS\) {path} is not "
                                        rf"trusted: owned by uid {attacker.uid}"):
        hosts.gethostbyname("orange.example.com")


def test_import_follows_no_symlink_out_of_its_directory_and_echoes_nothing(tmp_path, attacker):
    from jobcenter_cluster import importing

    victim = _victim(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "pkg.cntl").write_text("PACKAGE_NAME=x\n")
    os.symlink(victim, src / "zz.cntl")  # even root's own link: it leads out of src
    with pytest.raises(UserError, match=r"zz.cntl: is a symbolic link; import does not follow"):
        importing.read_inputs([str(src)])
    os.unlink(src / "zz.cntl")
    attacker.give(str(src))  # the directory is the attacker's: nothing in it is believed
    with pytest.raises(UserError, match=rf"{src} is not trusted: owned by uid {attacker.uid}"):
        importing.read_inputs([str(src)])
    res = jcc("import", "serviceguard", str(src), "-o", str(tmp_path / "out.toml"))
    assert res.returncode != 0 and SECRET.split(":")[1] not in res.stdout + res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_import_output_into_another_user_s_directory_is_refused(tmp_path, attacker):
    from jobcenter_cluster import importing

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    attacker.give(str(theirs))
    with pytest.raises(UserError, match=rf"import output directory {theirs} is not trusted: "
                                        rf"owned by uid {attacker.uid}"):
        importing.write_new(str(theirs / "jccluster.toml"), "[cluster]\n", force=True)
    assert os.listdir(theirs) == []


# --------------------------------------------------------------------------- finding 3: discovery


EVIL = ('[cluster]\nproduct = "simulator"\njccluster = "/tmp/evil"\n'
        '[[node]]\nname = "a"\n')


def _planted_config(tmp_path, attacker) -> str:
    """A shared sticky directory (root runs a command there) holding the attacker's
    ``jccluster.toml``."""
    base = _shared(tmp_path, "cwd")
    attacker.run("fd = os.open('jccluster.toml', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=FD)\n"
                 f"os.write(fd, {EVIL.encode()!r})", fd=attacker.share(base))
    return base


def test_discovery_rule_refuses_a_planted_local_file(tmp_path, attacker, monkeypatch):
    base = _planted_config(tmp_path, attacker)
    monkeypatch.chdir(base)
    choice = configfile.choose(None, env={}, system=str(tmp_path / "none.toml"))
    assert choice.path is None
    assert choice.refused == (f"./jccluster.toml exists but is not trusted: owned by uid "
                              f"{attacker.uid}, mode 0644")
    assert "/none.toml" not in choice.missing()  # says the real system path it looked for
    system = tmp_path / "etc.toml"
    system.write_text("[cluster]\n")
    choice = configfile.choose(None, env={}, system=str(system))
    assert (choice.path, choice.reason) == (str(system), "the system cluster file")
    assert choice.refused.startswith("./jccluster.toml exists but is not trusted")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "jccluster.toml").write_text("[cluster]\n")
    monkeypatch.chdir(mine)
    assert configfile.choose(None, env={}).path == "jccluster.toml"
    assert configfile.choose("x.toml", env={}).reason == "given with -c"
    assert configfile.choose(None, env={"JCCLUSTER_CONFIG": "y.toml"}).path == "y.toml"


@pytest.mark.parametrize("argv", [["validate"], ["render", "pacemaker", "-o", "out"],
                                  ["check", "pacemaker"]])
def test_commands_never_read_a_planted_cluster_file(tmp_path, attacker, argv):
    """Finding 3: root's render/validate/check in a directory holding another user's
    ``jccluster.toml`` (its ``jccluster`` path the attacker's program) read nothing from it."""
    base = _planted_config(tmp_path, attacker)
    env = {k: v for k, v in os.environ.items() if k != "JCCLUSTER_CONFIG"}
    res = jcc(*argv, cwd=base, env=env)
    assert res.returncode != 0, res.stdout
    assert (f"./jccluster.toml exists but is not trusted: owned by uid {attacker.uid}, mode 0644"
            in res.stderr), res.stderr
    assert "/tmp/evil" not in res.stdout + res.stderr
    assert sorted(os.listdir(base)) == ["jccluster.toml"]


def test_doctor_says_which_cluster_file_it_read_and_why(tmp_path, attacker):
    mine = tmp_path / "mine"
    mine.mkdir()
    assert jcc("init", cwd=mine).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "JCCLUSTER_CONFIG"}
    res = jcc("doctor", cwd=mine, env=env)
    assert ("cluster file: jccluster.toml (found in the current directory, owned by root or you "
            "and not writable by others)\n") in res.stdout, res.stdout + res.stderr
    attacker.give(str(mine / "jccluster.toml"))
    res = jcc("doctor", cwd=mine, env=env)
    assert res.returncode == 2 and res.stderr.startswith(
        f"jccluster: no cluster file: ./jccluster.toml exists but is not trusted: owned by uid "
        f"{attacker.uid}, mode 0644"), res.stderr
