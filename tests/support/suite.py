"""The suite's own machinery, for the tests that test it."""

from __future__ import annotations

import os
import sys
from types import ModuleType

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_ROOT: list[ModuleType] = []


def register_root(module: ModuleType) -> None:
    """tests/conftest.py hands itself over while pytest imports it: later, another conftest.py
    may have taken its name in ``sys.modules``, and the search below would not find it."""
    _ROOT[:] = [module]


def root_conftest() -> ModuleType:
    """tests/conftest.py as pytest loaded it. Not ``import conftest``: with several conftest.py
    files that name is whichever pytest loaded last (see support/sites.py)."""
    if _ROOT:
        return _ROOT[0]
    path = os.path.join(TESTS, "conftest.py")
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and os.path.abspath(file) == path:
            return module
    raise RuntimeError(f"{path} is not loaded: run the tests with pytest")
