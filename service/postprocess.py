"""Stage 6 — post-processing: whitespace and the sentence-final mark; the decoder-loop filter the neural tier uses.

Repetition in the recogniser's text is speech ("잘 가 잘 가", "네 네 네") and stays. Only a sequence-to-sequence
decoder invents repeats (a loop), so `drop_decoder_repeats` compares the decoder's output with the text it was
given and removes only the repeats that text did not have; the pipeline's own text never goes through it.
"""
from __future__ import annotations

import re

from service.text import collapse_whitespace, compact, ends_with_mark


def _longest_run(phrase: str, text: str) -> int:
    """How many times `phrase` occurs back to back at most in `text` (both without whitespace)."""
    if not phrase:
        return 0
    runs = re.findall(f"(?:{re.escape(phrase)})+", text)
    return max((len(run) // len(phrase) for run in runs), default=0)


def drop_decoder_repeats(output: str, source: str, max_phrase: int = 4) -> str:
    """`output` without the back-to-back repeats of a phrase (1 to `max_phrase` words) that `source` did not have.

    A phrase the source said r times in a row may stand r times in the output; more copies are the decoder's
    and are cut back to r (to one where the source had the phrase once or not at all). Spacing does not count:
    a source "정말정말" allows the output "정말 정말". Cost: a bounded number of passes over the words, each
    phrase looked up in the source once.
    """
    words = output.split()
    source_letters = compact(source)
    allowed: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for size in range(max_phrase, 0, -1):
            i = 0
            while i + 2 * size <= len(words):
                phrase = words[i:i + size]
                repeats = 1
                while words[i + repeats * size:i + (repeats + 1) * size] == phrase:
                    repeats += 1
                if repeats >= 2:
                    key = "".join(phrase)
                    if key not in allowed:
                        allowed[key] = max(1, _longest_run(key, source_letters))
                    if repeats > allowed[key]:
                        words = words[:i + allowed[key] * size] + words[i + repeats * size:]
                        changed = True
                    i += allowed[key] * size if repeats > allowed[key] else repeats * size
                    continue
                i += 1
    return " ".join(words)


def ensure_final_punctuation(text: str, mark: str) -> str:
    """`text` with `mark` added, unless it is empty or already ends in a mark of any kind (. ? ! … ; : > ) ~)."""
    if not text or not mark or ends_with_mark(text):
        return text
    return text + mark


def postprocess(text: str, final_mark: str) -> str:
    return ensure_final_punctuation(collapse_whitespace(text), final_mark)
