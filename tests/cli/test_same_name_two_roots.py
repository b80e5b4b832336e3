"""Two sites of one name under two spool roots on one node (two people running the README's
tour on one machine): the second start fails naming the other copy's spool root and database,
not only "daemons … that jccluster did not start"."""

from __future__ import annotations

import pytest

from jobcenter_cluster.engine import api

pytestmark = pytest.mark.timeout(60)


def test_the_second_start_names_the_other_root_and_database(sim_site, tmp_path, reaper):
    other_root, other_db = str(tmp_path / "other-spool"), str(tmp_path / "other-jobdb")
    reaper.roots.add(other_root)
    made = api.create(sim_site.name, 150, other_db, root=other_root, product="simulator",
                      address=sim_site.address)
    assert made.ok, made.message
    assert api.start(sim_site.name, other_db, root=other_root, mode="no-watch").ok
    res = sim_site.cli("site", "start", "--no-watch", sim_site.name, sim_site.db)
    assert res.returncode == 1, res.stderr
    assert f"daemons of site {sim_site.name} that jccluster did not start run here" in res.stderr
    assert (f"another copy of a site by this name, started under spool root {other_root}, "
            f"database {other_db} (this one's spool root: {sim_site.root};") in res.stderr
    assert api.stop(sim_site.name, root=other_root, timeout=5).ok
