"""What changed, where and why: the response's `edits`, as character offsets in the original."""
from __future__ import annotations

from service.alignment import changed_regions
from service.candidates import introduces_term
from service.text import SENTENCE_MARKS, compact, strip_punctuation
from service.types import Edit, SegmentStatus


def segment_status(original: str, corrected: str) -> SegmentStatus:
    """What became of a corrected segment, as its `status` says: `unchanged` only when the text is exactly the
    original; `punctuated` when only marks changed (a final mark added); `corrected` when a word or a space did.
    """
    if corrected == original:
        return "unchanged"
    if strip_punctuation(corrected).split() == strip_punctuation(original).split():
        return "punctuated"
    return "corrected"


def _source_for(before: str, after: str, hotwords: tuple[str, ...], lexicon: tuple[str, ...],
                picked_sources: frozenset[str]) -> str:
    if not before.strip() and not after.strip():
        return "spacing"
    if not strip_punctuation(before) and not strip_punctuation(after):
        return "punctuation"
    if compact(before) == compact(after):
        return "spacing"
    if introduces_term(before, after, hotwords):
        return "hotword"
    if introduces_term(before, after, lexicon):
        return "lexicon"
    for source in ("nbest", "spelling", "hotword", "lexicon", "kobart"):
        if source in picked_sources:
            return source
    return "refine"


def diff_edits(original: str, corrected: str, hotwords: tuple[str, ...] = (), lexicon: tuple[str, ...] = (),
               picked_sources: frozenset[str] = frozenset(), score: float = 0.0) -> list[Edit]:
    """Edits that turn `original` into `corrected`, grouped to whole eojeols where a word changed."""
    if original == corrected:
        return []
    edits = []
    for region in changed_regions(original, corrected):
        s0, s1 = region.src_start, region.src_end
        before, after = original[s0:s1], corrected[region.dest_start:region.dest_end]
        # Punctuation added after a corrected word is its own edit, so a client can tell the two apart.
        word_after = after.rstrip(SENTENCE_MARKS)
        added_marks = after[len(word_after):]
        if added_marks and word_after.strip() and not before.endswith(added_marks):
            edits.append(Edit(s0, s1, before, word_after,
                              _source_for(before, word_after, hotwords, lexicon, picked_sources), round(score, 3)))
            edits.append(Edit(s1, s1, "", added_marks, "punctuation", round(score, 3)))
            continue
        edits.append(Edit(s0, s1, before, after,
                          _source_for(before, after, hotwords, lexicon, picked_sources), round(score, 3)))
    return edits
