"""`jccluster import` on hostile shapes, from 1/16 of the size limit up to the limit (issue 22).

Each shape is timed at sizes doubling up to `importing.MAX_BYTES`; the ratio column is the time
against the smallest size of the same shape in the same run, next to the size ratio (linear work
keeps the two alike; quadratic work squares the size ratio). Asserts nothing.

    python benchmarks/bench_import.py [--shape cib-deep] [--steps 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable

from jobcenter_cluster.importing import MAX_BYTES, run_import


def _fill(size: int, head: str, unit: tuple[str, str], tail: str) -> str:
    n = (size - len(head) - len(tail)) // len("".join(unit))
    return head + unit[0] * n + unit[1] * n + tail


SHAPES: dict[str, tuple[str, str, Callable[[int], str]]] = {
    "cib-deep-groups": ("pacemaker", "cib.xml", lambda s: _fill(
        s, "<cib><configuration><resources>", ('<group id="g">', "</group>"),
        "</resources></configuration></cib>")),
    "cib-deep-crm-config": ("pacemaker", "cib.xml", lambda s: _fill(
        s, "<cib><configuration>", ("<crm_config>", "</crm_config>"),
        "</configuration></cib>")),
    "clp-conf-wide": ("clusterpro-linux", "clp.conf", lambda s: (lambda n: (
        "<root>" + "".join(f'<group name="g{i}"><resource name="fip@f{i}"/></group>'
                           for i in range(n))
        + "<resource>" + "".join(f'<fip name="f{i}"/>' for i in range(n))
        + "</resource><monitor>" + "".join(
            f'<pidw name="m{i}"><relation><name>g{i}</name></relation></pidw>'
            for i in range(n)) + "</monitor></root>"))(s // 200)),
    "shell-long-word": ("sungds", "setup.sh", lambda s: (
        'scrgadm -a -j r -g g -t SUNW.gds -x Start_command="' + "$(x " * (s // 5)
        + ")" * (s // 5) + '"\n')),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=sorted(SHAPES), action="append")
    ap.add_argument("--steps", type=int, default=5, help="sizes: limit/2^(steps-1) .. limit")
    ap.add_argument("--limit", type=int, default=MAX_BYTES - 4096)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="jccluster-bench-import-")
    try:
        for shape in args.shape or sorted(SHAPES):
            adapter, name, make = SHAPES[shape]
            base = None
            for step in reversed(range(args.steps)):
                size = args.limit >> step
                text = make(size)
                path = os.path.join(tmp, f"{shape}-{size}", name)
                os.makedirs(os.path.dirname(path))
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
                t0 = time.perf_counter()
                run_import(adapter, [path])
                took = time.perf_counter() - t0
                base = base or (took, len(text))
                print(f"{shape:22s} {len(text):>9d} bytes {took:8.2f} s  time x"
                      f"{took / base[0]:6.1f}  size x{len(text) / base[1]:5.1f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
