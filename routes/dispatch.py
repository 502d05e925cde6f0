"""How a route hands segments to the pipeline: through the bounded worker pool, within the time budget.

Every route that corrects segments (JSON, subtitle files, recogniser formats) should call
`correct_segments`, so they all share the pool's back-pressure (503 + Retry-After), the budget and the metrics.
"""
from __future__ import annotations

import time
from typing import Any, Callable, TypeVar

from fastapi import Request

from routes.middleware import BODY_READ_AT
from service.budget import correct_within_budget
from service.types import SegmentInput, SegmentResult, TermLists
from service.worker_pool import is_light

T = TypeVar("T")


async def correct_segments(request: Request, segments: list[SegmentInput], terms: TermLists,
                          finish: Callable[[list[SegmentResult]], T] | None = None) -> T | list[SegmentResult]:
    """The results for `segments`, in order; with `finish`, what `finish(results)` returns, computed on the
    same worker thread (a route's own shaping of a large answer stays off the event loop and inside the
    pool's bounds)."""
    state = request.app.state
    settings, metrics, pipeline = state.settings, state.metrics, state.pipeline
    # The budget counts from when the body was read (set by the body middleware), so time spent waiting for
    # a worker counts and time spent by a slow client sending its body does not.
    body_read_at = request.scope.get("state", {}).get(BODY_READ_AT, time.monotonic())
    deadline = body_read_at + settings.REQUEST_BUDGET_S

    def work() -> tuple[list[SegmentResult], Any]:
        started = time.perf_counter()
        # (the pipeline normalises Unicode itself, on admission)
        results = correct_within_budget(pipeline, segments, terms, deadline, settings.BUDGET_CHUNK_SEGMENTS,
                                        observer=metrics.observe_stage)
        metrics.pipeline_seconds.observe(time.perf_counter() - started)
        return results, (finish(results) if finish is not None else results)

    # A small request may also take the express thread: it must not wait behind requests of 256 segments.
    results, finished = await state.pool.run(work, light=is_light(segments, settings.EXPRESS_MAX_CHARS))
    metrics.observe_results(results)
    return finished
