"""The manual's own annotations inside its sample scripts, which an operator who typed a sample
in kept: ``(以下省略)`` / ``(以下略)`` ("the rest is left out"), ``(中略)``, and the section
labels ``(起動)`` / ``(停止)`` ("start" / "stop") of the JobCenter cluster guide's samples
(tests/data/manual/README.md). They are not lines of the product's configuration, so an importer
skips them silently instead of listing them as lines not carried over."""

from __future__ import annotations

import re

_MARK = re.compile(r"[(（]\s*(以下省略|以下略|中略|省略|略|起動|停止)\s*[)）]")


def is_placeholder(text: str) -> bool:
    """Is `text` (one line, stripped or not) only such an annotation?"""
    return bool(_MARK.fullmatch(text.strip()))
