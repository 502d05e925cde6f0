"""Big batches shared with a second process, so a request of many segments uses both cores.

Kiwi spreads its own work over threads, but the pipeline's Python (candidate assembly, phonology, evidence)
holds the GIL: one process keeps it on one core. `TwoProcessPipeline` sends the second half of a large batch
to a helper process that loaded its own models at start-up, corrects the first half itself, and returns the
results in order. Segments are independent in the pipeline, so the split changes no result.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from config import Settings
from service.pipeline import CorrectionPipeline, StageObserver
from service.types import SegmentInput, SegmentResult, TermLists

logger = logging.getLogger(__name__)

# The helper process's own pipeline (one per process, built by the executor's initializer).
_worker_pipeline: CorrectionPipeline | None = None


def _start_worker(settings: Settings, parent_pid: int) -> None:
    global _worker_pipeline
    from service.resources import load_resources  # the helper loads its own models, once

    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    _worker_pipeline = CorrectionPipeline(load_resources(settings), settings)


def _exit_with_parent(parent_pid: int) -> None:
    """A helper whose service was killed (no clean shutdown) must not linger holding its models."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _correct_in_worker(segments: list[SegmentInput], terms: TermLists) -> list[SegmentResult]:
    assert _worker_pipeline is not None, "helper process started without its pipeline"
    return _worker_pipeline.correct(segments, terms)


def _ready() -> bool:
    return _worker_pipeline is not None


class TwoProcessPipeline:
    """A `CorrectionPipeline` that hands half of every batch of `min_segments` or more to a helper process."""

    def __init__(self, local: CorrectionPipeline, settings: Settings, min_segments: int) -> None:
        self.local = local
        self.min_segments = max(2, min_segments)
        # spawn, not fork: Kiwi's worker threads do not survive a fork.
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(settings, os.getpid()))

    def warm_up(self) -> None:
        """Wait until the helper has loaded its models (called from the lifespan hook)."""
        if self._executor is None:
            return
        try:
            self._executor.submit(_ready).result()
        except Exception:  # a helper that cannot start must not keep the service down
            logger.exception("helper process failed to start; correcting in one process")
            self.close()

    def correct(self, segments: list[SegmentInput], terms: TermLists,
                observer: StageObserver | None = None) -> list[SegmentResult]:
        if self._executor is None or len(segments) < self.min_segments:
            return self.local.correct(segments, terms, observer)
        half = len(segments) // 2
        try:
            remote = self._executor.submit(_correct_in_worker, segments[half:], terms)
        except RuntimeError:  # the helper broke down: carry on in this process alone
            logger.exception("helper process unavailable; correcting in one process")
            self._executor = None
            return self.local.correct(segments, terms, observer)
        first = self.local.correct(segments[:half], terms, observer)
        try:
            second = remote.result()
        except Exception:
            logger.exception("helper process failed on a batch; correcting its half here")
            second = self.local.correct(segments[half:], terms, observer)
        return first + second

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
