"""Importers are linear in their input, up to the size limit (issue 22: a deeply nested 7.9 MB
CIB took more than 10 minutes).

Each case times the same shape at two sizes in the same test: linear work grows with the size
(RATIO times the input: about RATIO times as long), quadratic work with its square (RATIO
squared). The bound is generous -- twice the linear growth plus a second -- so a loaded machine
does not fail it, and a quadratic reader still does by far. The quadratic patterns fixed:
``el.iter()`` below every nested ``<group>``/``<node>``/``<crm_config>`` (Pacemaker), a
``find`` among every resource for each group member and a scan of every group for each monitor
(CLUSTERPRO clp.conf), and the standard ``shlex`` building a token by ``str +=`` (every importer
that reads shell lines). The importer cases stay small enough for CI (a whole 8 MiB shell script
takes 20 s linearly: shlex reads a character at a time); the Pacemaker case is at the limit.
"""

from __future__ import annotations

import shlex
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobcenter_cluster.importing import MAX_BYTES, LinearShlex, run_import

#: the size-limit case takes 5-6 s (an 8 MiB CIB and its eighth, as the issue demands); a
#: quadratic reader would take minutes: it fails here instead
pytestmark = pytest.mark.timeout(60)


def _timed(tmp_path, adapter: str, name: str, text: str) -> float:
    path = tmp_path / f"{len(text)}" / name
    path.parent.mkdir()
    path.write_text(text)
    began = time.monotonic()
    report = run_import(adapter, [str(path)]).report
    took = time.monotonic() - began
    assert all(": not carried over: " in line for line in report)
    return took


def _linear(tmp_path, adapter: str, name: str, make, small: int, ratio: int) -> tuple[float, float]:
    t_small = _timed(tmp_path, adapter, name, make(small))
    t_big = _timed(tmp_path, adapter, name, make(small * ratio))
    assert t_big < 2 * ratio * t_small + 1.0, (
        f"{adapter} {name}: not linear: {t_small:.2f}s at size {small}, {t_big:.2f}s at "
        f"{small * ratio} (linear: about {ratio}x, quadratic {ratio * ratio}x)")
    return t_small, t_big


def _deep_cib(size: int) -> str:
    """A CIB of about ``size`` bytes: its nodes and its crm_config each nested as deep as half
    the bytes allow (a CIB nests neither; Pacemaker Explained, "Configuration Layout")."""
    head, mid, tail = "<cib><configuration><nodes>", "</nodes>", "</configuration></cib>"
    node = ('<node id="1" uname="n">', "</node>")
    conf = ("<crm_config>", "</crm_config>")
    per = (size - len(head) - len(mid) - len(tail) - 64) // 2
    n_node, n_conf = per // len("".join(node)), per // len("".join(conf))
    return (head + node[0] * n_node + node[1] * n_node + mid + conf[0] * n_conf
            + '<nvpair name="a" value="b"/>' + conf[1] * n_conf + tail)


def test_a_deeply_nested_cib_at_the_size_limit_is_read_in_linear_time(tmp_path):
    """8 MiB (`MAX_BYTES`), nested about 170 000 deep, against 1/8 of it."""
    text = _deep_cib(MAX_BYTES - 1024)
    assert MAX_BYTES - 2048 < len(text) <= MAX_BYTES
    _linear(tmp_path, "pacemaker", "cib.xml", lambda n: _deep_cib(n), (MAX_BYTES - 1024) // 8, 8)


def test_nested_groups_are_linear(tmp_path):
    _linear(tmp_path, "pacemaker", "cib.xml", lambda n: (
        "<cib><configuration><resources>" + '<group id="g">' * n + "</group>" * n
        + "</resources></configuration></cib>"), 10_000, 4)


def _clp_conf(n: int) -> str:
    return ("<root>" + "".join(f'<group name="g{i}"><resource name="fip@f{i}"/></group>'
                                for i in range(n))
            + "<resource>" + "".join(f'<fip name="f{i}"><parameters><ip>192.0.2.1</ip>'
                                     "</parameters></fip>" for i in range(n))
            + "</resource><monitor>" + "".join(
                f'<pidw name="m{i}"><relation><name>g{i}</name></relation></pidw>'
                for i in range(n)) + "</monitor></root>")


def test_clp_conf_with_many_groups_is_linear(tmp_path):
    _linear(tmp_path, "clusterpro-linux", "clp.conf", _clp_conf, 2_000, 4)


def test_a_long_quoted_shell_word_is_linear(tmp_path):
    """Every importer that reads shell lines goes through `importing.shell_words`; the
    standard shlex made this 96 000-character word take 10 s (copies of the token)."""
    _linear(tmp_path, "sungds", "setup.sh", lambda n: (
        'scrgadm -a -j r -g g -t SUNW.gds -x Start_command="' + "$(x " * n + ")" * n + '"\n'),
        12_000, 8)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\n'\"\\#;&|<>$()=")), max_size=40))
def test_linear_shlex_splits_as_shlex_does(text):
    def split(cls):
        lex = cls(text, posix=True, punctuation_chars=";&|<>")
        lex.whitespace_split = True
        lex.commenters = "#"
        try:
            return list(lex)
        except ValueError as err:
            return f"error: {err}"

    assert split(LinearShlex) == split(shlex.shlex)
