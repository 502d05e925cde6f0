"""Shared by the Whisper and Vosk adapters: words in and out with their timings, edits as JSON."""
from __future__ import annotations

from typing import Any, Sequence

from service.formats.runner import TextCorrection
from service.formats.word_timing import TimedWord, retime
from service.types import Edit


def edit_json(edit: Edit, shift: int = 0) -> dict[str, Any]:
    return {"start": edit.start + shift, "end": edit.end + shift, "before": edit.before, "after": edit.after,
            "source": edit.source, "score": edit.score}


def retimed_words(correction: TextCorrection, words: Sequence[dict[str, Any]], text_key: str,
                  confidence_key: str | None) -> list[dict[str, Any]]:
    """The recogniser's word list after the correction, each entry in the recogniser's own shape.

    Untouched words come back as they were (every field kept). Words of a replaced span get the span's time
    split in proportion, the lowest confidence of the words they replace (the recogniser was no surer of the
    span than that), and `"corrected": true`.
    """
    if not correction.edits:
        return [dict(w) for w in words]
    timed = [TimedWord(str(w.get(text_key, "")), w.get("start"), w.get("end")) for w in words]
    out: list[dict[str, Any]] = []
    for new in retime(correction.original, timed, correction.edits):
        if not new.changed:
            out.append(dict(words[new.replaces[0]]))
            continue
        first = words[new.replaces[0]]
        prefix = str(first.get(text_key, ""))[: len(str(first.get(text_key, ""))) - len(str(first.get(text_key, "")).lstrip())]
        entry: dict[str, Any] = {text_key: prefix + new.text, "start": new.start, "end": new.end}
        if confidence_key:
            confidences = [words[i].get(confidence_key) for i in new.replaces]
            known = [c for c in confidences if isinstance(c, (int, float))]
            if known:
                entry[confidence_key] = min(known)
        entry["corrected"] = True
        out.append(entry)
    return out


def clamp01(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return min(1.0, max(0.0, float(value)))
