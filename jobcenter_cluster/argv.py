"""A command-line splitter for the hot-path commands (standard library only).

``jccluster agent ...`` and ``jccluster site status`` run every few seconds from cluster monitors;
argparse builds help formatters that import shutil (and zlib, bz2, lzma) on every call, several
milliseconds each time. Those two commands split their arguments with `split` instead.
"""

from __future__ import annotations

from jobcenter_cluster.errors import UserError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def split(argv: Sequence[str], *, valued: Mapping[str, str], flags: Mapping[str, str],
          command: str, usage: str) -> tuple[dict[str, str | bool], list[str]]:
    """Options and positional words of `argv`.

    `valued` maps an option that takes a value (``--root DIR`` or ``--root=DIR``) to its key,
    `flags` an option without one to its key (set to True). ``--`` ends the options. Anything
    else starting with ``-`` is an error naming `command` and showing `usage`.
    """
    opts: dict[str, str | bool] = {}
    words: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        name, eq, value = item.partition("=")
        if item in flags:
            opts[flags[item]] = True
        elif name in valued:
            if not eq:
                i += 1
                if i >= len(items):
                    raise UserError(f"{command}: {name} needs a value ({usage})")
                value = items[i]
            opts[valued[name]] = value
        elif item == "--":
            words.extend(items[i + 1 :])
            break
        elif item.startswith("-") and item != "-":
            # the one style of every jccluster command (typer's usage errors are reworded to it)
            raise UserError(f"{command}: unknown option {item}{group_option_hint(command, name)} "
                            f"(see 'jccluster {command} --help')")
        else:
            words.append(item)
        i += 1
    return opts, words


def group_option_hint(command: str, option: str) -> str:
    """For ``-c``/``--config`` given after a ``site`` command: where it goes instead (the cluster
    file is the ``site`` group's option: ``jccluster site -c FILE status SITE``)."""
    group, _, sub = command.partition(" ")
    if group == "site" and sub and option in ("-c", "--config"):
        return f"; give the cluster file before the command: jccluster site -c FILE {sub} [ARGS]"
    return ""
