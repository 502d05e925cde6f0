"""Stage 6 — post-processing: whitespace, phrases the decoder repeated, sentence-final punctuation."""
from __future__ import annotations

from service.text import FINAL_MARKS, collapse_whitespace


def drop_decoder_repeats(text: str, max_phrase: int = 4) -> str:
    """Remove a phrase of 2+ words repeated back to back, and a single word said three or more times in a row.

    A word said twice ("정말 정말") is ordinary speech; loops of the decoder repeat longer or more often.
    """
    words = text.split()
    changed = True
    while changed:
        changed = False
        for size in range(max_phrase, 0, -1):
            min_repeats = 2 if size >= 2 else 3
            i = 0
            while i + size * min_repeats <= len(words):
                phrase = words[i:i + size]
                repeats = 1
                while words[i + repeats * size:i + (repeats + 1) * size] == phrase:
                    repeats += 1
                if repeats >= min_repeats:
                    words = words[:i + size] + words[i + repeats * size:]
                    changed = True
                i += 1
    return " ".join(words)


def ensure_final_punctuation(text: str, mark: str) -> str:
    if not text or text[-1] in FINAL_MARKS or not mark:
        return text
    return text + mark


def postprocess(text: str, final_mark: str) -> str:
    return ensure_final_punctuation(drop_decoder_repeats(collapse_whitespace(text)), final_mark)
