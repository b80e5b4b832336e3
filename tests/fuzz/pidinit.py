"""PID 1 of the bounded fuzz run's private PID namespace (issue 28; tests/fuzz/test_fuzz.py).

``unshare --pid --fork --mount-proc python pidinit.py PROGRAM ARGS...`` runs PROGRAM as the only
child of this process, which is the namespace's init and so does what an init must
(pid_namespaces(7)):

- reap: every process orphaned in the namespace (a daemon that double-forked, a watcher whose
  start ended) is re-parented to PID 1; a zombie stays in the process table until its parent
  waits for it, so this waits for every child, not only PROGRAM;
- forward signals: the kernel delivers to a namespace's init only the signals it has a handler
  for, so a SIGTERM or SIGINT meant for the run (pytest-timeout, an operator's ^C) would be
  lost; each one is passed on to PROGRAM;
- end with PROGRAM's exit status (128+N for a signal N, like a shell). When PID 1 exits the
  kernel SIGKILLs whatever is left in the namespace: nothing the run started survives it.

Standard library only, no imports from the project: it runs before anything else does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGALRM)

_child = 0


def _forward(signum: int, _frame: object) -> None:
    if _child > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(_child, signum)


def exit_code(status: int) -> int:
    """A wait status as a shell reports it: the exit code, or 128+N for death by signal N."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    global _child
    if not argv:
        print("usage: pidinit.py PROGRAM [ARGS...]", file=sys.stderr)
        return 2
    # handlers first: a signal between fork and exec must not be lost (exec resets them)
    for sig in FORWARDED:
        signal.signal(sig, _forward)
    _child = os.fork()
    if _child == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    while True:
        try:
            pid, status = os.wait()  # PEP 475: retried after a forwarded signal
        except ChildProcessError:  # cannot happen while PROGRAM lives; be safe
            return 1
        if pid == _child:
            return exit_code(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
