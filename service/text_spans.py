"""Eojeols (space-separated words) with their character offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol

_EOJEOL = re.compile(r"\S+")


@dataclass(frozen=True)
class Eojeol:
    start: int
    end: int
    text: str


def eojeols(text: str) -> list[Eojeol]:
    return [Eojeol(m.start(), m.end(), m.group()) for m in _EOJEOL.finditer(text)]


class Replacement(Protocol):
    """Anything that replaces text[start:end] with `after` (the pipeline's SpanEdit, the response's Edit)."""

    start: int
    end: int
    after: str


def apply_edits(text: str, edits: Iterable[Replacement]) -> str:
    """`text` with each edit's span replaced by its `after`, left to right; an edit that overlaps one already
    applied is skipped."""
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            continue
        out.append(text[cursor:edit.start])
        out.append(edit.after)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)
