"""Stage 1 — suspect spans: which eojeols may be wrong.

Kiwi's analysis says where the nouns are and which stretches it could not read (unknown or foreign forms);
the recogniser's confidences say where it was unsure. An eojeol is suspect when either is doubtful.
"""
from __future__ import annotations

from service.evidence import span_confidence
from service.kiwi_lm import Analysis
from service.text_spans import eojeols
from service.types import SuspectSpan

_NOUN_TAGS = {"NNG", "NNP", "NNB", "NR", "NP", "SL", "SH", "SN", "XSN", "XPN"}
# Tags Kiwi gives to what it could not read as Korean words.
_UNREAD_TAGS = {"UN", "W_SERIAL", "SW"}


def find_suspect_spans(
    text: str, analysis: Analysis, confidences: list[float | None], low_confidence: float
) -> list[SuspectSpan]:
    """Every eojeol as a SuspectSpan with its doubt; the caller decides how doubtful is too doubtful."""
    spans: list[SuspectSpan] = []
    for word in eojeols(text):
        inside = [m for m in analysis.morphemes if m.start < word.end and m.end > word.start]
        noun_end = word.start
        for morpheme in inside:
            if morpheme.tag in _NOUN_TAGS and morpheme.start <= noun_end:
                noun_end = max(noun_end, min(morpheme.end, word.end))
            else:
                break
        unread = any(m.tag in _UNREAD_TAGS for m in inside)
        confidence = span_confidence(confidences, word.start, word.end)
        doubt = max(0.0, min(1.0, 1.0 - confidence))
        if unread:
            doubt = max(doubt, 1.0 - low_confidence)
        spans.append(SuspectSpan(word.start, word.end, word.text, noun_end, doubt, unread))
    return spans


def is_doubtful(span: SuspectSpan, low_confidence: float) -> bool:
    return span.is_unknown or span.doubt >= 1.0 - low_confidence


def unweighed_suspects(text: str) -> list[SuspectSpan]:
    """Every eojeol of a candidate text that has no recogniser evidence of its own, as fully doubtful
    (the reranker still prices each change by the original's confidences)."""
    return [SuspectSpan(w.start, w.end, w.text, w.start, 1.0) for w in eojeols(text)]
