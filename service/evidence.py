"""The recogniser's own evidence, mapped onto the characters of the text.

Words and tokens need not follow the text's spacing (a client may send 지금부터회의를 as one word), so they
are aligned by their characters, ignoring whitespace, not by splitting on spaces.
"""
from __future__ import annotations

import math

from rapidfuzz.distance import Levenshtein

from service.types import SegmentInput, WordEvidence


def _word_confidence(word: WordEvidence) -> float | None:
    if word.confidence is not None:
        return word.confidence
    if word.logprob is not None:
        return math.exp(min(word.logprob, 0.0))
    return None


def char_confidences(segment: SegmentInput) -> list[float | None]:
    """One confidence per character of `segment.text` (None where nothing covers it; spaces get None).

    Where both words and tokens are present, a character takes the lower (more doubtful) of the two.
    """
    text = segment.text
    result: list[float | None] = [None] * len(text)
    for units in (segment.words, segment.tokens):
        if not units:
            continue
        for index, conf in _align_units(text, units):
            if conf is None:
                continue
            current = result[index]
            result[index] = conf if current is None else min(current, conf)
    if segment.confidence is not None:
        # A segment the recogniser doubts as a whole lowers every character a little.
        result = [None if text[i].isspace() else
                  (segment.confidence if c is None else c)
                  for i, c in enumerate(result)]
    return result


def _align_units(text: str, units: tuple[WordEvidence, ...]) -> list[tuple[int, float | None]]:
    """(index in text, confidence) for each non-space character of text that a unit's character matches."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    compact_text = "".join(text[i] for i in positions)
    unit_chars: list[str] = []
    unit_conf: list[float | None] = []
    for unit in units:
        conf = _word_confidence(unit)
        for ch in unit.text:
            if not ch.isspace():
                unit_chars.append(ch)
                unit_conf.append(conf)
    compact_units = "".join(unit_chars)
    if not compact_text or not compact_units:
        return []
    pairs: list[tuple[int, float | None]] = []
    for op in Levenshtein.opcodes(compact_units, compact_text):
        if op.tag in ("equal", "replace"):
            span_units = op.src_end - op.src_start
            span_text = op.dest_end - op.dest_start
            for k in range(span_text):
                src = op.src_start + min(k * span_units // max(span_text, 1), span_units - 1)
                pairs.append((positions[op.dest_start + k], unit_conf[src]))
    return pairs


def span_confidence(confidences: list[float | None], start: int, end: int, default: float = 0.9) -> float:
    """Lowest confidence over text[start:end] (the weakest character decides how doubtful a span is)."""
    values = [c for c in confidences[start:end] if c is not None]
    return min(values) if values else default
