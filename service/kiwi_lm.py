"""Kiwi (kiwipiepy + kiwipiepy-model): morphological analysis, its language-model score, typo and spacing models.

One `KiwiToolkit` is built at start-up and shared; every method takes a batch of texts, because Kiwi spreads a
batch over its worker threads (that is how the service uses both cores).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from kiwipiepy import Kiwi, TypoTransformer

from service.spelling import sound_change_typos


@dataclass(frozen=True)
class Morpheme:
    form: str
    tag: str
    start: int
    end: int
    typo_cost: float = 0.0


@dataclass(frozen=True)
class Analysis:
    """Kiwi's best reading of a text and its language-model log-probability."""

    morphemes: tuple[Morpheme, ...]
    score: float


def _to_analysis(result) -> Analysis:
    tokens, score = result
    return Analysis(
        tuple(Morpheme(t.form, t.tag, t.start, t.start + t.len, float(t.typo_cost)) for t in tokens),
        float(score),
    )


class KiwiToolkit:
    def __init__(self, num_workers: int = 2, typo_cost_threshold: float = 2.5) -> None:
        self.kiwi = Kiwi(num_workers=num_workers)
        self.typos: TypoTransformer = sound_change_typos()
        self.typo_cost_threshold = typo_cost_threshold
        # Both caches hold pure functions of the text (deterministic), so they change no answer, only speed.
        self._score_cache: dict[str, float] = {}
        self._typo_cache: dict[tuple[str, int], list[Analysis]] = {}

    def analyze(self, texts: list[str]) -> list[Analysis]:
        if not texts:
            return []
        return [_to_analysis(r[0]) for r in self.kiwi.analyze(texts, top_n=1)]

    def scores(self, texts: list[str]) -> list[float]:
        """Language-model log-probability of each text (cached: candidates repeat across rounds)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._score_cache))
        if missing:
            for text, analysis in zip(missing, self.analyze(missing)):
                self._score_cache[text] = analysis.score
            if len(self._score_cache) > 200_000:
                self._score_cache.clear()
        return [score if (score := self._score_cache.get(t)) is not None else self.analyze([t])[0].score
                for t in texts]

    def typo_readings(self, texts: list[str], top_n: int = 2) -> list[list[Analysis]]:
        """Kiwi's best readings of each text when the sound-change typos may be undone."""
        missing = list(dict.fromkeys(t for t in texts if (t, top_n) not in self._typo_cache))
        if missing:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                results = self.kiwi.analyze(
                    missing, top_n=top_n, typos=self.typos, typo_cost_threshold=self.typo_cost_threshold
                )
                fresh = {t: [_to_analysis(r) for r in result] for t, result in zip(missing, results)}
            if len(self._typo_cache) > 50_000:
                self._typo_cache.clear()
            self._typo_cache.update({(t, top_n): readings for t, readings in fresh.items()})
        else:
            fresh = {}
        # Another thread may have cleared the cache meanwhile: a miss is recomputed, never an error.
        return [fresh.get(t) or self._typo_cache.get((t, top_n)) or self.typo_readings([t], top_n)[0]
                for t in texts]

    def join(self, morphemes: list[Morpheme]) -> str:
        return self.kiwi.join([(m.form, m.tag) for m in morphemes])

    def respace(self, texts: list[str]) -> list[str]:
        """Kiwi's spacing model, adding missing spaces (the speaker's own spacing is kept: removing spaces
        from words Kiwi cannot read glues them together)."""
        if not texts:
            return []
        return list(self.kiwi.space(texts, reset_whitespace=False))

    def warm_up(self) -> None:
        self.analyze(["지금부터 회의를 시작하겠습니다"])
        self.typo_readings(["지금부 훼의을 시작하겠읍다"])
        self.respace(["지금부터회의를시작하겠습니다"])
