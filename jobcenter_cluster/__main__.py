"""Entry point of the ``jccluster`` console script.

Cluster products call ``jccluster agent ADAPTER monitor|probe ...`` and ``jccluster site status``
every few seconds, so those two paths are dispatched here, before typer, Jinja or stevedore are
imported: they run on the standard library alone. Everything else goes to the typer app.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        # A SIGINT that lands before the command has its own handling (while the interpreter
        # imports it): end by that signal, as a shell expects of Ctrl-C, without Python's
        # traceback (found by the fuzzer: issue 28).
        import signal

        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130


def _dispatch(argv: list[str] | None) -> int:
    # Whatever umask root's shell or the cluster product left us (000 makes every directory and
    # file we create writable by all): files get explicit modes, and nothing gets more than 755.
    os.umask(0o022)
    args = sys.argv[1:] if argv is None else argv
    # Skip global options that may precede the command word (only --debug is global).
    words = [a for a in args if a != "--debug"]
    if words[:1] == ["agent"]:  # its --help too: agent.py prints it
        from jobcenter_cluster import agent

        return agent.main(words[1:], debug="--debug" in args)
    if words[:2] == ["site", "status"] and not {"-h", "--help"} & set(words):
        from jobcenter_cluster.engine import fastcli

        return fastcli.main(words[2:], debug="--debug" in args)
    from jobcenter_cluster.cli.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
