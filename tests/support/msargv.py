"""How Windows turns a line of a batch file into a program's argv, written in the tests from
Microsoft's documented rules (issue 26: a test must not decode an adapter's quoting with the
adapter's own parser). Each function refuses what the documentation leaves open or what a
generated script must never contain, rather than guess.

- C runtime / CommandLineToArgvW, "Parsing C command-line arguments":
  https://learn.microsoft.com/en-us/cpp/c-language/parsing-c-command-line-arguments and
  https://learn.microsoft.com/en-us/previous-versions/17w5ykft(v=vs.85): arguments are separated
  by spaces or tabs; a double-quoted string is one argument and may be embedded in one; ``\\"`` is
  a literal quote; backslashes are literal unless they precede a quote; 2n backslashes + quote
  give n backslashes and a delimiting quote, 2n+1 give n backslashes and a literal quote. The
  caret is not special. (A pair of quotes inside a quoted string is documented two ways across
  versions of that page -- `a"b"" c d` -- so `crt_argv` refuses it.)
- cmd.exe, ``cmd /?`` and https://learn.microsoft.com/en-us/windows-server/administration/
  windows-commands/cmd: with ``/s`` the first and the last quote of the string after ``/c`` are
  removed and the rest is run as a command line; ``&`` separates commands, ``>`` redirects, and
  ``^`` is the escape character outside quotes; in a batch file ``%%`` is one ``%``
  (https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/for:
  "use %%variable instead of %variable" in batch files).
"""

from __future__ import annotations

import re

_SPECIAL = "&|<>()"


def crt_argv(cmdline: str) -> list[str]:
    """argv as the Microsoft C runtime builds it from `cmdline` (argv[0] included; the programs
    here have a plain or a fully quoted name, for which the argv[0] rule gives the same)."""
    args: list[str] = []
    word: list[str] = []
    in_word = in_quotes = False
    pos = 0
    while pos < len(cmdline):
        char = cmdline[pos]
        if char == "\\":
            run = len(cmdline[pos:]) - len(cmdline[pos:].lstrip("\\"))
            pos += run
            in_word = True
            if cmdline[pos:pos + 1] == '"':
                word.append("\\" * (run // 2))
                if run % 2:  # odd: the quote is a literal one
                    word.append('"')
                    pos += 1
                continue  # even: the quote is handled below as a delimiter
            word.append("\\" * run)
            continue
        if char == '"':
            if in_quotes and cmdline[pos + 1:pos + 2] == '"':
                raise ValueError(f'"" inside quotes (documented two ways): {cmdline!r}')
            in_quotes = not in_quotes
            in_word = True
        elif char in " \t" and not in_quotes:
            if in_word:
                args.append("".join(word))
                word, in_word = [], False
        else:
            word.append(char)
            in_word = True
        pos += 1
    if in_quotes:
        raise ValueError(f"unterminated quote: {cmdline!r}")
    if in_word:
        args.append("".join(word))
    return args


def cmd_line(line: str, *, batch: bool = True) -> str:
    """The command line cmd.exe starts a program with, for one simple command (no ``&``, pipe,
    redirection or block): ``%%`` is ``%`` in a batch file, ``^X`` is X outside quotes, every
    ``"`` toggles quoting and stays. A lone ``%`` (a variable), a trailing ``^`` and an unescaped
    special character outside quotes are refused: a generated line must not hold them."""
    out: list[str] = []
    quoted = False
    pos = 0
    while pos < len(line):
        char = line[pos]
        if char == "%":
            if not batch or line[pos + 1:pos + 2] != "%":
                raise ValueError(f"a % that cmd.exe would expand at {pos}: {line!r}")
            out.append("%")
            pos += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "^":
            if pos + 1 >= len(line):
                raise ValueError(f"a trailing ^ continues the line: {line!r}")
            out.append(line[pos + 1])
            pos += 2
            continue
        elif not quoted and char in _SPECIAL:
            raise ValueError(f"unescaped {char!r} outside quotes at {pos}: {line!r}")
        out.append(char)
        pos += 1
    return "".join(out)


def batch_argv(line: str) -> list[str]:
    """argv of the program one line of a batch file starts."""
    return crt_argv(cmd_line(line))


def cmd_c_commands(cmdline: str) -> list[list[str]]:
    """The programs ``cmd.exe /d /s /c "A [> NUL] & B"`` runs (a Generic Application's
    CommandLine), each as argv; a plain program's command line is one command."""
    head = re.match(r'(?i)\s*(?:"[^"]*cmd(?:\.exe)?"|\S*cmd(?:\.exe)?)((?:\s+/[a-z])*)\s+/c\s+',
                    cmdline)
    if head is None:
        return [crt_argv(cmdline)]
    switches = head.group(1).lower().split()
    rest = cmdline[head.end():].rstrip()
    if "/s" not in switches:
        raise ValueError(f"without /s cmd.exe's quote handling depends on the text: {cmdline!r}")
    if not (rest.startswith('"') and rest.endswith('"')):
        raise ValueError(f"cmd /s /c wants the command in quotes: {cmdline!r}")
    rest = rest[1:-1]  # /s: the first and the last quote go, the rest stays as it is
    commands: list[str] = []
    cur: list[str] = []
    quoted = False
    pos = 0
    while pos < len(rest):
        char = rest[pos]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "^":
            cur.append(rest[pos + 1:pos + 2])
            pos += 2
            continue
        elif not quoted and char == "&":
            commands.append("".join(cur))
            cur = []
            pos += 1
            continue
        elif not quoted and char == ">":
            nul = re.match(r">\s*NUL\s*(?=&|$)", rest[pos:], re.IGNORECASE)
            if nul is None:
                raise ValueError(f"a redirection other than > NUL: {cmdline!r}")
            pos += nul.end()  # output thrown away: not part of the argv
            continue
        elif not quoted and char == "%":
            raise ValueError(f"a % that cmd.exe may expand at {pos}: {cmdline!r}")
        elif not quoted and char in "|<()":
            raise ValueError(f"unexpected {char!r} outside quotes: {cmdline!r}")
        cur.append(char)
        pos += 1
    commands.append("".join(cur))
    return [crt_argv(command.strip()) for command in commands]
