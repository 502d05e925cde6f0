"""Kiwi (kiwipiepy + kiwipiepy-model): morphological analysis, its language-model score, typo and spacing models.

One `KiwiToolkit` is built at start-up and shared; every method takes a batch of texts, because Kiwi spreads a
batch over its worker threads (that is how the service uses both cores).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

from kiwipiepy import Kiwi, TypoTransformer

from service.spelling import sound_change_typos


@dataclass(frozen=True)
class Morpheme:
    form: str
    tag: str
    start: int
    end: int
    typo_cost: float = 0.0
    oov: bool = False  # a form Kiwi does not know, read as a noun
    score: float = 0.0  # the language model's log-probability of this morpheme in its context


@dataclass(frozen=True)
class Analysis:
    """Kiwi's best reading of a text and its language-model log-probability."""

    morphemes: tuple[Morpheme, ...]
    score: float


def _to_analysis(result) -> Analysis:
    tokens, score = result
    return Analysis(
        tuple(Morpheme(t.form, t.tag, t.start, t.start + t.len, float(t.typo_cost), bool(t.oov), float(t.score))
              for t in tokens),
        float(score),
    )


class _BatchMemo:
    """A bounded cache in front of a batch function of texts.

    What it caches are pure functions of the text (Kiwi is deterministic), so it changes no answer, only speed:
    candidates repeat across the rerank passes and across requests.
    """

    def __init__(self, compute: Callable[[list[str]], list[Any]], max_entries: int) -> None:
        self._compute = compute
        self._max_entries = max_entries
        self._store: dict[str, Any] = {}

    def __call__(self, texts: list[str]) -> list[Any]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._store))
        fresh = dict(zip(missing, self._compute(missing))) if missing else {}
        if len(self._store) + len(fresh) > self._max_entries:
            self._store.clear()
        self._store.update(fresh)
        # Another thread may have cleared the store meanwhile: a miss is recomputed, never an error.
        return [fresh[t] if t in fresh else self._store[t] if t in self._store else self._compute([t])[0]
                for t in texts]


class KiwiToolkit:
    def __init__(self, num_workers: int = 2, typo_cost_threshold: float = 2.5, cache_entries: int = 20_000) -> None:
        self.kiwi = Kiwi(num_workers=num_workers)
        self.typos: TypoTransformer = sound_change_typos()
        self.typo_cost_threshold = typo_cost_threshold
        self._analyses = _BatchMemo(self._analyze_uncached, cache_entries)
        self._typo_readings: dict[int, _BatchMemo] = {}
        self._cache_entries = cache_entries

    def _analyze_uncached(self, texts: list[str]) -> list[Analysis]:
        return [_to_analysis(r[0]) for r in self.kiwi.analyze(texts, top_n=1)] if texts else []

    def analyze(self, texts: list[str]) -> list[Analysis]:
        """Kiwi's best reading of each text."""
        return self._analyses(texts)

    def scores(self, texts: list[str]) -> list[float]:
        """Language-model log-probability of each text."""
        return [analysis.score for analysis in self._analyses(texts)]

    def typo_readings(self, texts: list[str], top_n: int = 2) -> list[list[Analysis]]:
        """Kiwi's best readings of each text when the sound-change typos may be undone."""
        if top_n not in self._typo_readings:
            def read(batch: list[str]) -> list[list[Analysis]]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    results = self.kiwi.analyze(batch, top_n=top_n, typos=self.typos,
                                                typo_cost_threshold=self.typo_cost_threshold)
                    return [[_to_analysis(r) for r in result] for result in results]
            self._typo_readings[top_n] = _BatchMemo(read, self._cache_entries)
        return self._typo_readings[top_n](texts)

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
