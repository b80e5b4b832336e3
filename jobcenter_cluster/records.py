"""`Record`: a small immutable value class (standard library only, no dataclasses).

For the modules on the monitor hot path, which `docs/architecture.md` ("The hot path") lists
and `tests/core/test_hot_path.py` holds: `dataclasses` imports `inspect` and `typing`, which cost
more start-up time than the whole monitor call, so their value types derive from this instead.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Record:
    """A small immutable value: equality, hash and repr from ``__slots__``."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, name):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)


class LazyPattern:
    """A regular expression compiled on first use.

    Compiling the module-level patterns of the model, the check framework and an adapter took
    about 5 ms of every ``jccluster agent ... monitor`` call (a fifth of it), for patterns a
    monitor never uses. ``LazyPattern(r"...")`` behaves like ``re.compile(r"...")`` for
    ``match``, ``fullmatch``, ``search``, ``finditer``, ``sub`` and friends.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: Any = None

    def _get(self) -> Any:
        if self._compiled is None:
            import re

            self._compiled = re.compile(*self._args)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._args[0]!r})"
