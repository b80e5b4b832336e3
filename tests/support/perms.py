"""File modes, for the tests that check what we create is not writable by others."""

from __future__ import annotations

import os


def world_writable(top: str) -> list[str]:
    """Every directory or file under ``top`` (included) that group or others can write."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            st = os.lstat(name)
            if (st.st_mode & 0o170000) != 0o120000 and st.st_mode & 0o022:
                bad.append(f"{name} {st.st_mode & 0o7777:04o}")
    return sorted(set(bad))
