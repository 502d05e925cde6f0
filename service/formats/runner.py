"""Runs the pipeline over many texts from a file format, in batches, and keeps edits that can be trusted.

The pipeline is used as is; two things are decided here because they belong to files, not to requests:

* A cue or a recogniser segment is a stretch of speech, not a sentence: a sentence often runs over two cues.
  The pipeline's sentence-final period would put a "." in the middle of such a sentence, so a final mark is
  only added where the original already ended with one (`add_final_punctuation` turns that off).
* Layout and word timings are rebuilt from the edits' offsets, so the edits must be exactly right: they are
  checked against the corrected text and recomputed from it when they are not.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Protocol, Sequence

from service.edits import diff_edits, segment_status
from service.formats.offsets import edits_consistent
from service.text import FINAL_MARKS, ends_with_mark
from service.text_spans import apply_edits
from service.types import Edit, SegmentInput, SegmentResult, TermLists


class Corrector(Protocol):
    def correct(self, segments: list[SegmentInput], terms: TermLists) -> list[SegmentResult]: ...


@dataclass
class TextCorrection:
    """One text's outcome: `text` is `original` with `edits` applied (offsets in `original`)."""

    original: str
    text: str
    edits: list[Edit] = field(default_factory=list)
    status: str = "unchanged"
    gain: float = 0.0

    @property
    def changed(self) -> bool:
        return self.text != self.original


def _drop_added_final_mark(original: str, edits: list[Edit]) -> list[Edit]:
    """The edits without the final mark the pipeline added, unless the original already ended in a mark."""
    if not original or ends_with_mark(original):
        return edits
    kept = []
    for edit in edits:
        if edit.end == len(original) and edit.after and edit.after[-1] in FINAL_MARKS:
            after = edit.after.rstrip(FINAL_MARKS)
            if after == edit.before:
                continue
            edit = replace(edit, after=after)
        kept.append(edit)
    return kept


def settle(original: str, result: SegmentResult, add_final_punctuation: bool = False) -> TextCorrection:
    """A pipeline result as a `TextCorrection` whose edits are exact."""
    if result.status.startswith("skipped") or result.corrected == original:
        return TextCorrection(original, original, [], result.status, 0.0)
    edits = list(result.edits)
    if not edits_consistent(original, result.corrected, edits):
        edits = diff_edits(original, result.corrected, refine_source="refine", score=result.gain)
    if not add_final_punctuation:
        edits = _drop_added_final_mark(original, edits)
    text = apply_edits(original, edits)
    return TextCorrection(original, text, edits, segment_status(original, text), result.gain)


def settle_all(segments: Sequence[SegmentInput], results: Sequence[SegmentResult],
               add_final_punctuation: bool = False) -> list[TextCorrection]:
    """Results the caller got from the pipeline itself (e.g. through the service's worker pool)."""
    return [settle(s.text, r, add_final_punctuation) for s, r in zip(segments, results)]


def correct_texts(
    corrector: Corrector,
    segments: Sequence[SegmentInput],
    terms: TermLists,
    batch_size: int = 64,
    add_final_punctuation: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> list[TextCorrection]:
    """Correct `segments` in batches (a film's subtitles are thousands of cues; a batch keeps Kiwi busy
    without holding the whole file in one call). `on_progress(n)` is told after each batch."""
    out: list[TextCorrection] = []
    batch_size = max(1, batch_size)
    for first in range(0, len(segments), batch_size):
        batch = list(segments[first:first + batch_size])
        results = corrector.correct(batch, terms)
        out.extend(settle(s.text, r, add_final_punctuation) for s, r in zip(batch, results))
        if on_progress:
            on_progress(len(batch))
    return out
