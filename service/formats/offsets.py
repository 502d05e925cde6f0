"""Edits as offset maps: where a position of the original text lands in the corrected text."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Sequence

from service.text_spans import apply_edits
from service.types import Edit


def edits_consistent(original: str, corrected: str, edits: Sequence[Edit]) -> bool:
    """Whether the edits are in range, do not overlap, say the right `before`, and rebuild `corrected`."""
    last = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < last or edit.end < edit.start or edit.end > len(original):
            return False
        if original[edit.start:edit.end] != edit.before:
            return False
        last = edit.end
    return apply_edits(original, edits) == corrected


def map_offset(position: int, edits: Sequence[Edit], sticks_to: str = "next") -> int:
    """Where `position` of the original lands in the edited text.

    A position inside a replaced span moves in proportion to the replacement's length (a tag in the middle of
    a respelled word stays near the middle). At a pure insertion, `sticks_to` decides which side the position
    keeps: "next" puts it after the inserted text (an opening tag stays with the word it opens), "previous"
    before it (a closing tag stays with the word it closes, a final period goes outside).
    """
    shift = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        new_len, old_len = len(edit.after), edit.end - edit.start
        if edit.start == edit.end == position:
            if sticks_to == "next":
                shift += new_len
            continue
        if edit.end <= position:
            shift += new_len - old_len
            continue
        if edit.start < position < edit.end:
            return edit.start + shift + round((position - edit.start) * new_len / old_len)
        break
    return position + shift


class OffsetMap:
    """`map_offset` for many positions over the same edits: sorted once, each position found by bisection
    (a cue with thousands of tags and hundreds of edits costs thousands of lookups, not their product).

    Edits that overlap (never the case for the exact edits of a `TextCorrection`) are mapped by `map_offset`.
    """

    def __init__(self, edits: Sequence[Edit]) -> None:
        self.edits = sorted(edits, key=lambda e: (e.start, e.end))
        self.overlapping = any(b.start < a.end and not (a.start == a.end == b.start)
                               for a, b in zip(self.edits, self.edits[1:]))
        self.starts = [e.start for e in self.edits]
        self.spans = [(e.start, e.end) for e in self.edits]
        self.shift_before = list(accumulate((len(e.after) - (e.end - e.start) for e in self.edits), initial=0))
        self.inserted_before = list(accumulate((len(e.after) for e in self.edits), initial=0))

    def __call__(self, position: int, sticks_to: str = "next") -> int:
        if self.overlapping:
            return map_offset(position, self.edits, sticks_to)
        # The edits starting before `position` all end at or before it, but the last, which may contain it.
        k = bisect_left(self.starts, position)
        shift = self.shift_before[k - 1] if k else 0
        if k:
            last = self.edits[k - 1]
            if last.end > position:  # start < position < end: proportional inside the replacement
                return last.start + shift + round((position - last.start) * len(last.after) / (last.end - last.start))
            shift += len(last.after) - (last.end - last.start)
        if sticks_to == "next":  # insertions exactly at `position`
            lo, hi = bisect_left(self.spans, (position, position)), bisect_right(self.spans, (position, position))
            shift += self.inserted_before[hi] - self.inserted_before[lo]
        return position + shift
