"""Stage 4 — refine: spacing and sentence-final punctuation of the picked candidate.

The embedded refiner uses Kiwi: its spacing model proposes a respacing, kept only when Kiwi's language model
prefers it by a margin; the final mark comes from the sentence's ending (…까, …나요 ask; the rest state).
When KoBART is loaded, `service.neural` provides a refiner with the same `refine` method.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.kiwi_lm import Analysis, KiwiToolkit

# Endings that ask whatever the sentence holds, and endings that ask only beside a question word
# (…나 / …데요 / …야 also close statements: "좋나 봐", "가는데요", "나야").
_ASKING_ENDINGS = ("까", "니", "냐", "나요", "가요", "는가", "래요", "을래")
_MAYBE_ASKING_ENDINGS = ("ㄹ래", "래", "나", "죠", "지요", "는지", "을지", "ㄹ지", "데요", "야")
_QUESTION_WORDS = ("뭐", "어디", "언제", "누구", "왜", "어떻게", "얼마", "몇", "무슨", "어느", "어떤", "어때")


@dataclass(frozen=True)
class Refinement:
    text: str
    final_mark: str
    source: str


class Refiner(Protocol):
    name: str

    def refine(self, texts: list[str]) -> list[Refinement]: ...


def final_mark(text: str, analysis: Analysis) -> str:
    """'?' for a question, '.' otherwise, read from the last ending Kiwi found."""
    endings = [m for m in analysis.morphemes if m.tag == "EF"]
    if not endings:
        return "."
    ending = endings[-1].form
    asks = any(ending.endswith(q) for q in _ASKING_ENDINGS)
    if not asks and any(ending.endswith(q) for q in _MAYBE_ASKING_ENDINGS):
        asks = any(word in text for word in _QUESTION_WORDS)
    return "?" if asks else "."


class KiwiRefiner:
    name = "kiwi"

    def __init__(self, kiwi: KiwiToolkit, spacing_margin: float) -> None:
        self.kiwi = kiwi
        self.spacing_margin = spacing_margin

    def refine(self, texts: list[str]) -> list[Refinement]:
        respaced = self.kiwi.respace(texts)
        scores = self.kiwi.scores(texts + respaced)
        before, after = scores[: len(texts)], scores[len(texts):]
        chosen = [r if a - b >= self.spacing_margin else t for t, r, b, a in zip(texts, respaced, before, after)]
        analyses = self.kiwi.analyze(chosen)
        return [Refinement(text, final_mark(text, analysis), "spacing")
                for text, analysis in zip(chosen, analyses)]
