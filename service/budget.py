"""The per-request time budget: correct segments chunk by chunk until the deadline, return the rest unchanged.

The budget starts once the request's body has been read (a slow upload does not eat it). The deadline is
handed to the pipeline with every chunk, which checks it inside its stages; between chunks the wrapper checks
the clock and predicts, from the chunks done so far, whether the next one still fits. Segments not reached come
back as they were sent, with status "timeout", so a client always gets an answer for every segment instead of
an error.

Segments are independent in the pipeline (and Kiwi's score cache is deterministic per text), so cutting a
batch into chunks does not change any segment's result.
"""
from __future__ import annotations

import time
from typing import Callable, Protocol, Sequence

from service.types import SegmentInput, SegmentResult, SegmentStatus, TermLists

TIMEOUT_STATUS: SegmentStatus = "timeout"

StageObserver = Callable[[str, float], None]


class Corrector(Protocol):
    def correct(self, segments: list[SegmentInput], terms: TermLists, observer: StageObserver | None = None,
                deadline: float | None = None) -> list[SegmentResult]: ...


def unchanged(segment: SegmentInput, status: SegmentStatus = TIMEOUT_STATUS) -> SegmentResult:
    """A segment the pipeline did not reach: original text, no edits."""
    return SegmentResult(segment.id, segment.text, segment.text, 0.0, segment.text, [], segment.start,
                         segment.end, status)


def correct_within_budget(
    pipeline: Corrector,
    segments: Sequence[SegmentInput],
    terms: TermLists,
    deadline: float,
    chunk_size: int = 16,
    clock: Callable[[], float] = time.monotonic,
    observer: StageObserver | None = None,
) -> list[SegmentResult]:
    """Results for every segment, in order; those past `deadline` (a `clock()` time) marked "timeout"."""
    segments = list(segments)
    chunk_size = max(1, chunk_size)
    results: list[SegmentResult] = []
    spent, done = 0.0, 0
    while done < len(segments):
        now = clock()
        chunk = segments[done: done + chunk_size]
        # Seconds per segment so far predicts the next chunk; the first chunk always runs if time is left.
        predicted = spent / done * len(chunk) if done else 0.0
        if now >= deadline or now + predicted > deadline:
            break
        chunk_results = pipeline.correct(chunk, terms, observer=observer, deadline=deadline)
        elapsed = clock() - now
        if observer is not None:
            observer("pipeline_chunk", elapsed)
        results.extend(chunk_results)
        spent += elapsed
        done += len(chunk)
    results.extend(unchanged(segment) for segment in segments[done:])
    return results
