"""What changed, where and why: the response's `edits`, as character offsets in the original.

The edits are read off the original and the final text, whole words at a time; each takes the source of the
proposal that made it (the reranker's chosen span edits carry their sources), and what no proposal made is
the refine stage's: spacing, punctuation, or the neural refiner.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rapidfuzz.distance import Levenshtein

from service.alignment import changed_regions
from service.text import SENTENCE_MARKS, compact, strip_punctuation, words_of
from service.types import Edit, EditSource, SegmentStatus, SpanEdit


def _offset_map(a: str, b: str) -> list[int]:
    """For every position of `a` (0 … len(a)), the position of `b` that lines up with it."""
    mapped = [0] * (len(a) + 1)
    for op in Levenshtein.opcodes(a, b):
        for k in range(op.src_start, op.src_end + 1):
            mapped[k] = op.dest_start + min(k - op.src_start, op.dest_end - op.dest_start)
    return mapped


def segment_status(original: str, corrected: str) -> SegmentStatus:
    """What became of a corrected segment, as its `status` says: `unchanged` only when the text is exactly the
    original; `punctuated` when only marks changed (a final mark added); `corrected` when a word or a space did.
    """
    if corrected == original:
        return "unchanged"
    if words_of(corrected) == words_of(original):
        return "punctuated"
    return "corrected"


@dataclass(frozen=True)
class _Made:
    """A span edit the reranker chose, in the original's offsets; `spaces_only`: it changed nothing but the
    spaces there (a join the hypotheses brought)."""

    start: int
    end: int
    source: EditSource
    spaces_only: bool


def _source_for(before: str, after: str, start: int, end: int, made: Sequence[_Made],
                refine_source: EditSource) -> EditSource:
    if not before.strip() and not after.strip():
        # Spaces alone: the span edit that changed only these spaces, else the refine stage's spacing.
        return next((m.source for m in made if m.spaces_only and m.start < end and m.end > start), "spacing")
    if not strip_punctuation(before) and not strip_punctuation(after):
        return "punctuation"
    overlaps = [(min(end, m.end) - max(start, m.start), m.source) for m in made
                if m.start < end and m.end > start or m.start == m.end == start]
    if overlaps:
        return max(overlaps, key=lambda o: o[0])[1]
    if compact(before) == compact(after):
        return "spacing"
    return refine_source


def diff_edits(original: str, corrected: str, text: str = "", chosen: Sequence[SpanEdit] = (),
               refine_source: EditSource = "refine", score: float = 0.0) -> list[Edit]:
    """Edits that turn `original` into `corrected`, grouped to whole eojeols where a word changed.

    `chosen` are the span edits the reranker made, in the offsets of `text` (the original as the stages saw
    it, normalised); they say which source made each change.
    """
    if original == corrected:
        return []
    mapping = _offset_map(text or original, original)
    made = [_Made(mapping[e.start], mapping[e.end], e.source, not original[mapping[e.start]:mapping[e.end]].strip()
                  and e.start < e.end and not e.after.strip()) for e in chosen]
    edits = []
    score = round(score, 3)
    for region in changed_regions(original, corrected):
        s0, s1 = region.src_start, region.src_end
        before, after = original[s0:s1], corrected[region.dest_start:region.dest_end]
        # Punctuation added after a corrected word is its own edit, so a client can tell the two apart.
        word_after = after.rstrip(SENTENCE_MARKS)
        added_marks = after[len(word_after):]
        if added_marks and word_after.strip() and not before.endswith(added_marks):
            edits.append(Edit(s0, s1, before, word_after,
                              _source_for(before, word_after, s0, s1, made, refine_source), score))
            edits.append(Edit(s1, s1, "", added_marks, "punctuation", score))
            continue
        edits.append(Edit(s0, s1, before, after, _source_for(before, after, s0, s1, made, refine_source), score))
    return edits
