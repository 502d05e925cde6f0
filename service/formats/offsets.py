"""Edits as offset maps: where a position of the original text lands in the corrected text."""
from __future__ import annotations

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
