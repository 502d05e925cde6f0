"""Stage 1 — suspect spans: which eojeols may be wrong.

Kiwi's analysis says where the nouns are (a misheard term is read as some noun: 잉턴/NNG, 추장/NNG) and which
stretches it could not read as Korean words; the recogniser's confidences say where it was unsure. The
candidate stage looks for hotword and lexicon terms only in doubtful eojeols that hold a noun, and the
reranker prices every change by the same confidences.
"""
from __future__ import annotations

from service.evidence import span_confidence
from service.kiwi_lm import Analysis
from service.text_spans import eojeols
from service.types import SuspectSpan

_NOUN_TAGS = {"NNG", "NNP", "NNB", "NR", "NP", "SL", "SH", "XR"}
# Tags Kiwi gives to what it could not read as Korean words.
_UNREAD_TAGS = {"UN", "W_SERIAL", "SW"}


def find_suspect_spans(
    text: str, analysis: Analysis, confidences: list[float | None], low_confidence: float
) -> list[SuspectSpan]:
    """Every eojeol as a SuspectSpan with its doubt; the caller decides how doubtful is too doubtful."""
    spans: list[SuspectSpan] = []
    for word in eojeols(text):
        inside = [m for m in analysis.morphemes if m.start < word.end and m.end > word.start]
        unread = any(m.tag in _UNREAD_TAGS for m in inside)
        has_noun = unread or any(m.tag in _NOUN_TAGS for m in inside)
        confidence = span_confidence(confidences, word.start, word.end)
        doubt = max(0.0, min(1.0, 1.0 - confidence))
        if unread:
            doubt = max(doubt, 1.0 - low_confidence)
        spans.append(SuspectSpan(word.start, word.end, word.text, doubt, unread, has_noun))
    return spans


def unweighed_suspects(text: str) -> list[SuspectSpan]:
    """Every eojeol of a candidate text that has no recogniser evidence of its own, as fully doubtful
    (the reranker still prices each change by the original's confidences)."""
    return [SuspectSpan(w.start, w.end, w.text, 1.0) for w in eojeols(text)]
