"""Whisper `verbose_json` (OpenAI's API, openai-whisper, faster-whisper) in and out.

Evidence: a word's `probability` is its confidence; a segment's `avg_logprob` (mean token log-probability)
becomes the segment confidence exp(avg_logprob); `no_speech_prob` passes through, so the pipeline leaves
segments Whisper thinks are silence alone. The answer is the same document with corrected `text` (segments and
top level), retimed `words`, and each segment's `edits` (offsets in that segment's `text` as sent) and
`status` (`corrected`, `unchanged`, `skipped_*`, or `timeout` when the time budget did not reach it).
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable

from service.formats.recognisers import clamp01, edit_json, retimed_words
from service.formats.runner import Corrector, TextCorrection, correct_texts
from service.types import SegmentInput, TermLists, WordEvidence


def looks_like_whisper(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("segments"), list):
        return False
    segments = doc["segments"]
    return "language" in doc or any(isinstance(s, dict) and ("avg_logprob" in s or "seek" in s or "no_speech_prob" in s
                                                            or isinstance(s.get("id"), int)) for s in segments)


def _segment_input(index: int, segment: dict[str, Any]) -> SegmentInput:
    avg_logprob = segment.get("avg_logprob")
    confidence = (math.exp(min(float(avg_logprob), 0.0))
                  if isinstance(avg_logprob, (int, float)) and math.isfinite(avg_logprob) else None)
    words = tuple(WordEvidence(str(w.get("word", "")).strip(), clamp01(w.get("probability")), None,
                               w.get("start"), w.get("end"))
                  for w in segment.get("words") or [] if str(w.get("word", "")).strip())
    return SegmentInput(id=str(segment.get("id", index)), text=str(segment.get("text", "")).strip(),
                        start=segment.get("start"), end=segment.get("end"), confidence=confidence,
                        no_speech_prob=clamp01(segment.get("no_speech_prob")), words=words)


def segments_of(doc: dict[str, Any]) -> list[SegmentInput]:
    return [_segment_input(i, s) for i, s in enumerate(doc.get("segments") or [])]


def _replace_in_order(text: str, pairs: list[tuple[str, str]]) -> str | None:
    """`text` with each (old, new) replaced at its next occurrence, or None when one is not found."""
    out, cursor = [], 0
    for old, new in pairs:
        if not old:
            continue
        at = text.find(old, cursor)
        if at < 0:
            return None
        out.append(text[cursor:at] + new)
        cursor = at + len(old)
    out.append(text[cursor:])
    return "".join(out)


def apply_corrections(doc: dict[str, Any], corrections: list[TextCorrection]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for segment, correction in zip(out.get("segments") or [], corrections):
        raw = str(segment.get("text", ""))
        lead = len(raw) - len(raw.lstrip())
        trail = raw[len(raw.rstrip()):] if raw.strip() else ""
        segment["original_text"] = raw
        segment["edits"] = [edit_json(e, lead) for e in correction.edits]
        segment["status"] = correction.status  # "timeout": the time budget left this segment as it was
        if correction.changed:
            segment["text"] = raw[:lead] + correction.text + trail
        if segment.get("words"):
            segment["words"] = retimed_words(correction, segment["words"], "word", "probability")
    if isinstance(doc.get("text"), str):
        pairs = [(c.original, c.text) for c in corrections if c.changed]
        replaced = _replace_in_order(doc["text"], pairs)
        # The top-level text is normally the segments' texts joined; if a client changed it, rebuild it.
        out["text"] = replaced if replaced is not None else "".join(s.get("text", "") for s in out["segments"])
    out["changed_segments"] = sum(1 for c in corrections if c.changed)
    return out


def correct_whisper(corrector: Corrector, doc: dict[str, Any], terms: TermLists, batch_size: int = 64,
                    on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    corrections = correct_texts(corrector, segments_of(doc), terms, batch_size, on_progress=on_progress)
    return apply_corrections(doc, corrections)
