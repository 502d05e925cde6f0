"""Where two versions of a text differ, in whole words: the unit both the reranker and the edit list reason in."""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from service.text import strip_punctuation


@dataclass(frozen=True)
class ChangedRegion:
    """before = a[src_start:src_end] became after = b[dest_start:dest_end]."""

    src_start: int
    src_end: int
    dest_start: int
    dest_end: int


def changed_regions(a: str, b: str) -> list[ChangedRegion]:
    """The stretches where `b` differs from `a`; a change inside a word is widened to the whole word.

    Changes of spacing or punctuation alone are kept as they are (they do not touch a word).
    """
    groups: list[list[int]] = []
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            continue
        s0, s1, d0, d1 = op.src_start, op.src_end, op.dest_start, op.dest_end
        changed = a[s0:s1] + b[d0:d1]
        if changed.strip() and strip_punctuation(changed):
            while s0 > 0 and d0 > 0 and not a[s0 - 1].isspace() and a[s0 - 1] == b[d0 - 1]:
                s0, d0 = s0 - 1, d0 - 1
            while (s1 < len(a) and d1 < len(b) and not a[s1].isspace()
                   and a[s1] == b[d1] and strip_punctuation(a[s1])):
                s1, d1 = s1 + 1, d1 + 1
        if groups and s0 <= groups[-1][1] and d0 <= groups[-1][3]:
            groups[-1][1], groups[-1][3] = max(groups[-1][1], s1), max(groups[-1][3], d1)
        else:
            groups.append([s0, s1, d0, d1])
    return [ChangedRegion(*g) for g in groups]
