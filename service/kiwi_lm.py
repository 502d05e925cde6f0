"""Kiwi (kiwipiepy + kiwipiepy-model): morphological analysis, its language-model score, typo and spacing models.

One `KiwiToolkit` is built at start-up and shared; every method takes a batch of texts, because Kiwi spreads a
batch over its worker threads (that is how the service uses both cores).
"""
from __future__ import annotations

import sys
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Callable, Iterator, Sequence, TypeVar

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


class PlacedMorphemes:
    """Kiwi's morphemes of a text, looked up by where they stand: the stages visit one eojeol or one edit at a
    time, and scanning every morpheme for each would cost the square of the text's length."""

    def __init__(self, morphemes: Sequence[Morpheme]) -> None:
        self.morphemes = morphemes
        self._starts = [m.start for m in morphemes]
        # How far the morphemes up to each one reach (Kiwi's morphemes may overlap: 시키 + 어 in 시켜).
        self._reach = list(accumulate((m.end for m in morphemes), max))

    def near(self, start: int, end: int) -> range:
        """The indexes of every morpheme that touches text[start:end], its edges included (an unwritten one
        there, or one that ends where it starts): each caller keeps the ones it wants."""
        return range(bisect_left(self._reach, start), bisect_right(self._starts, end))

    def touching(self, start: int, end: int) -> list[Morpheme]:
        """The morphemes at the indexes `near` gives."""
        return [self.morphemes[i] for i in self.near(start, end)]

    def overlapping(self, start: int, end: int) -> list[Morpheme]:
        """The morphemes that share a letter with text[start:end]."""
        return [m for m in self.touching(start, end) if m.start < end and m.end > start]


def _to_analysis(result) -> Analysis:
    tokens, score = result
    return Analysis(
        tuple(Morpheme(t.form, t.tag, t.start, t.start + t.len, float(t.typo_cost), bool(t.oov), float(t.score))
              for t in tokens),
        float(score),
    )


def analysis_bytes(analysis: Analysis) -> int:
    """About how much memory an Analysis holds (measured with tracemalloc: ~365 bytes a morpheme with its
    form, tag and score, plus the tuple and the object)."""
    return 200 + 380 * len(analysis.morphemes)


def readings_bytes(readings: list[Analysis]) -> int:
    return 64 + sum(analysis_bytes(a) for a in readings)


class _BatchMemo:
    """A cache in front of a batch function of texts, bounded in bytes, least recently used out first.

    What it caches are pure functions of the text (Kiwi is deterministic), so it changes no answer, only speed:
    candidates repeat across the rerank passes and across requests. `compute` returns a list, or a lazy iterator
    over the texts' answers whose work has begun (`begin` lets the caller do something else meanwhile). It is
    bounded by the memory its entries hold, not by their number: a 1,000-character segment's analysis is a
    hundred times a short one's. Worker threads share it; one lock guards the store (Kiwi runs outside it).
    """

    def __init__(self, compute: Callable[[list[str]], list[Any]], max_bytes: int,
                 size_of: Callable[[Any], int]) -> None:
        self._compute = compute
        self._size_of = size_of
        self.max_bytes = max_bytes
        self.bytes = 0
        self._store: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._store)

    def __call__(self, texts: list[str]) -> list[Any]:
        return self.begin(texts)()

    def begin(self, texts: list[str]) -> Callable[[], list[Any]]:
        """Start computing what the memo lacks of `texts`, and return what collects the answers (call it once).
        A `compute` that returns a lazy iterator (Kiwi's, started when it is called) works while the caller
        does other things until it collects."""
        found: dict[str, Any] = {}
        with self._lock:
            for text in texts:
                entry = self._store.get(text)
                if entry is not None:
                    self._store.move_to_end(text)
                    found[text] = entry[0]
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        pending = self._compute(missing) if missing else ()

        def collect() -> list[Any]:
            fresh = dict(zip(missing, pending))
            found.update(fresh)
            self._keep(fresh)
            return [found[t] for t in texts]
        return collect

    def _keep(self, fresh: dict[str, Any]) -> None:
        with self._lock:
            for text, value in fresh.items():
                size = sys.getsizeof(text) + self._size_of(value) + 100  # + the store's own slot
                if size > self.max_bytes or text in self._store:
                    continue
                self._store[text] = (value, size)
                self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, size) = self._store.popitem(last=False)
                self.bytes -= size


# Characters per call into Kiwi. Its worker threads are shared by every request, and a call's texts queue
# behind the texts of the calls before it: one call of 500 candidates of 1,000 characters kept a one-segment
# request waiting for seconds. Calls of about 2,000 characters keep both workers busy just as well (measured:
# no slower) and let other requests' calls in between.
KIWI_CALL_CHARS = 2000
T = TypeVar("T")


def in_slices(items: Sequence[T], max_chars: int = KIWI_CALL_CHARS,
              chars: Callable[[T], int] = len) -> Iterator[list[T]]:
    """`items` (texts, or records measured by `chars`) in consecutive slices of about `max_chars` characters,
    at least one item each."""
    batch: list[T] = []
    size = 0
    for item in items:
        length = chars(item)
        if batch and size + length > max_chars:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += length
    if batch:
        yield batch


def read_in_slices(texts: Sequence[str], read_slice: Callable[[list[str]], Iterator[T]]) -> Iterator[T]:
    """`read_slice` over `texts` in slices of `in_slices`, lazily: the first slice goes to Kiwi now (Kiwi starts
    a call's work when it is made, and its results are read later), each further one once the one before it
    has been read, so a long call still lets other requests' calls in between its slices."""
    slices = in_slices(texts)
    first = next(slices, None)
    started = read_slice(first) if first is not None else iter(())

    def results() -> Iterator[T]:
        yield from started
        for batch in slices:
            yield from read_slice(batch)
    return results()


class KiwiToolkit:
    def __init__(self, num_workers: int = 2, typo_cost_threshold: float = 2.5, cache_mb: float = 64) -> None:
        self.kiwi = Kiwi(num_workers=num_workers)
        self.typos: TypoTransformer = sound_change_typos()
        self.typo_cost_threshold = typo_cost_threshold
        # Half of the cache memory for analyses (scores), half for typo readings.
        self._cache_bytes = int(cache_mb * 1024 * 1024 / 2)
        self._analyses = _BatchMemo(self._analyze_uncached, self._cache_bytes, analysis_bytes)
        self._typo_readings: dict[int, _BatchMemo] = {}

    def _analyze_uncached(self, texts: list[str]) -> Iterator[Analysis]:
        return read_in_slices(texts, lambda batch: (_to_analysis(r[0]) for r in self.kiwi.analyze(batch, top_n=1)))

    def analyze(self, texts: list[str]) -> list[Analysis]:
        """Kiwi's best reading of each text."""
        return self._analyses(texts)

    def scores(self, texts: list[str]) -> list[float]:
        """Language-model log-probability of each text."""
        return [analysis.score for analysis in self._analyses(texts)]

    def typo_readings(self, texts: list[str], top_n: int = 2) -> list[list[Analysis]]:
        """Kiwi's best readings of each text when the sound-change typos may be undone."""
        return self.begin_typo_readings(texts, top_n)()

    def begin_typo_readings(self, texts: list[str], top_n: int = 2) -> Callable[[], list[list[Analysis]]]:
        """`typo_readings`, begun now and collected by calling what this returns: one long text's typo search
        keeps one of Kiwi's threads busy, and the caller's other Kiwi calls meanwhile go to the other."""
        if top_n not in self._typo_readings:
            def read_slice(batch: list[str]) -> Iterator[list[Analysis]]:
                results = self.kiwi.analyze(batch, top_n=top_n, typos=self.typos,
                                            typo_cost_threshold=self.typo_cost_threshold)
                return ([_to_analysis(r) for r in result] for result in results)
            self._typo_readings[top_n] = _BatchMemo(lambda texts: read_in_slices(texts, read_slice),
                                                    self._cache_bytes, readings_bytes)
        return self._typo_readings[top_n].begin(texts)

    def join(self, morphemes: list[Morpheme]) -> str:
        return self.kiwi.join([(m.form, m.tag) for m in morphemes])

    def respace(self, texts: list[str]) -> list[str]:
        """Kiwi's spacing model, adding missing spaces (the speaker's own spacing is kept: removing spaces
        from words Kiwi cannot read glues them together)."""
        return [spaced for batch in in_slices(texts) for spaced in self.kiwi.space(batch, reset_whitespace=False)]

    def warm_up(self) -> None:
        self.analyze(["지금부터 회의를 시작하겠습니다"])
        self.typo_readings(["지금부 훼의을 시작하겠읍다"])
        self.respace(["지금부터회의를시작하겠습니다"])
