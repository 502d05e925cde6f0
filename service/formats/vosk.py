"""Vosk recogniser results in and out.

A final result is `{"result": [{"word", "start", "end", "conf"}], "text"}`, or, with max alternatives set,
`{"alternatives": [{"confidence", "text", "result": [...]}]}`. Several utterances come as a list of those (or
`{"results": [...]}`); each utterance is one segment. Word `conf` is the word confidence; the alternatives are
the n-best list, best first (Vosk's `confidence` is an unnormalised lattice score, so it is passed as the
hypothesis score, not as a probability).
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from service.formats.recognisers import clamp01, edit_json, retimed_words
from service.formats.runner import Corrector, TextCorrection, correct_texts
from service.types import Hypothesis, SegmentInput, TermLists, WordEvidence


def looks_like_vosk(doc: Any) -> bool:
    if isinstance(doc, list):
        return bool(doc) and all(looks_like_vosk(d) for d in doc)
    return isinstance(doc, dict) and ("result" in doc or "alternatives" in doc or
                                      isinstance(doc.get("results"), list))


def utterances(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc.get("results"), list):
        return doc["results"]
    return [doc]


def _best(utterance: dict[str, Any]) -> dict[str, Any]:
    """The part of an utterance that holds the best hypothesis: itself, or its first alternative."""
    alternatives = utterance.get("alternatives")
    return alternatives[0] if alternatives else utterance


def _segment_input(index: int, utterance: dict[str, Any]) -> SegmentInput:
    best = _best(utterance)
    words = [w for w in best.get("result") or [] if str(w.get("word", "")).strip()]
    evidence = tuple(WordEvidence(str(w["word"]).strip(), clamp01(w.get("conf")), None, w.get("start"), w.get("end"))
                     for w in words)
    nbest = tuple(Hypothesis(str(a.get("text", "")), rank + 1,
                             a.get("confidence") if isinstance(a.get("confidence"), (int, float)) else None)
                  for rank, a in enumerate(utterance.get("alternatives") or []))
    text = str(best.get("text") or " ".join(str(w["word"]) for w in words)).strip()
    return SegmentInput(id=str(index), text=text, start=words[0].get("start") if words else None,
                        end=words[-1].get("end") if words else None, words=evidence, nbest=nbest)


def segments_of(doc: Any) -> list[SegmentInput]:
    return [_segment_input(i, u) for i, u in enumerate(utterances(doc))]


def apply_corrections(doc: Any, corrections: list[TextCorrection]) -> Any:
    out = copy.deepcopy(doc)
    for utterance, correction in zip(utterances(out), corrections):
        best = _best(utterance)
        utterance["original_text"] = best.get("text", correction.original)
        utterance["edits"] = [edit_json(e) for e in correction.edits]
        utterance["status"] = correction.status  # "timeout": the time budget left this one as it was
        if correction.changed:
            best["text"] = correction.text
        if best.get("result"):
            best["result"] = retimed_words(correction, best["result"], "word", "conf")
    if isinstance(out, dict):
        out["changed_segments"] = sum(1 for c in corrections if c.changed)
    return out


def correct_vosk(corrector: Corrector, doc: Any, terms: TermLists, batch_size: int = 64,
                 on_progress: Callable[[int], None] | None = None) -> Any:
    corrections = correct_texts(corrector, segments_of(doc), terms, batch_size, on_progress=on_progress)
    return apply_corrections(doc, corrections)
