"""Eojeols (space-separated words) with their character offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol

EOJEOL = re.compile(r"\S+")  # an eojeol: a run of anything but whitespace


@dataclass(frozen=True)
class Eojeol:
    start: int
    end: int
    text: str


def eojeols(text: str) -> list[Eojeol]:
    return [Eojeol(m.start(), m.end(), m.group()) for m in EOJEOL.finditer(text)]


class Replacement(Protocol):
    """Anything that replaces text[start:end] with `after` (the pipeline's SpanEdit, the response's Edit)."""

    start: int
    end: int
    after: str


def overlap(a: Replacement, b: Replacement) -> bool:
    """Whether two edits' spans share a character."""
    return a.start < b.end and b.start < a.end


def apply_edits(text: str, edits: Iterable[Replacement]) -> str:
    """`text` with each edit's span replaced by its `after`, left to right; an edit that overlaps one already
    applied is skipped."""
    return apply_edits_placed(text, edits)[0]


def apply_edits_placed(text: str, edits: Iterable[Replacement]) -> tuple[str, list[tuple[int, int] | None]]:
    """`apply_edits`, and where each edit's `after` stands in the result (None for a skipped edit), in the
    order the edits were given."""
    edits = list(edits)
    placed: list[tuple[int, int] | None] = [None] * len(edits)
    out, cursor, length = [], 0, 0
    for i in sorted(range(len(edits)), key=lambda k: (edits[k].start, edits[k].end)):
        edit = edits[i]
        if edit.start < cursor:
            continue
        out.append(text[cursor:edit.start])
        length += edit.start - cursor
        placed[i] = (length, length + len(edit.after))
        out.append(edit.after)
        length += len(edit.after)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out), placed
