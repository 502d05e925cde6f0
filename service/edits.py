"""What changed, where and why: the response's `edits`, as character offsets in the original."""
from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from service.candidates import strip_punctuation
from service.types import Edit


def _source_for(before: str, after: str, hotwords: tuple[str, ...], lexicon: tuple[str, ...],
                picked_sources: frozenset[str]) -> str:
    if not before.strip() and not after.strip():
        return "spacing"
    if not strip_punctuation(before) and not strip_punctuation(after):
        return "punctuation"
    if "".join(before.split()) == "".join(after.split()):
        return "spacing"
    if any(term and term in after and term not in before for term in hotwords):
        return "hotword"
    if any(term and term in after and term not in before for term in lexicon):
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
    groups: list[list[int]] = []  # [src_start, src_end, dest_start, dest_end]
    for op in Levenshtein.opcodes(original, corrected):
        if op.tag == "equal":
            continue
        s0, s1, d0, d1 = op.src_start, op.src_end, op.dest_start, op.dest_end
        changed = original[s0:s1] + corrected[d0:d1]
        if changed.strip() and strip_punctuation(changed):
            # A change inside a word is reported for the whole word.
            while s0 > 0 and d0 > 0 and not original[s0 - 1].isspace() and original[s0 - 1] == corrected[d0 - 1]:
                s0, d0 = s0 - 1, d0 - 1
            while (s1 < len(original) and d1 < len(corrected) and not original[s1].isspace()
                   and original[s1] == corrected[d1] and strip_punctuation(original[s1])):
                s1, d1 = s1 + 1, d1 + 1
        if groups and s0 <= groups[-1][1] and d0 <= groups[-1][3]:
            groups[-1][1], groups[-1][3] = max(groups[-1][1], s1), max(groups[-1][3], d1)
        else:
            groups.append([s0, s1, d0, d1])
    edits = []
    for s0, s1, d0, d1 in groups:
        before, after = original[s0:s1], corrected[d0:d1]
        edits.append(Edit(s0, s1, before, after,
                          _source_for(before, after, hotwords, lexicon, picked_sources), round(score, 3)))
    return edits
