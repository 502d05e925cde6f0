"""Big batches shared with a second process, so a request of many segments uses both cores.

Kiwi spreads its own work over threads, but the pipeline's Python (candidate assembly, phonology, evidence)
holds the GIL: one process keeps it on one core. `TwoProcessPipeline` sends the second half of a large batch
to a helper process that loaded its own models at start-up, corrects the first half itself, and returns the
results in order. Segments are independent in the pipeline, so the split changes no result.

The helper is a separate process that can die (OOM killer, kill -9) or hang (SIGSTOP, a deadlock). Neither
may cost a request more than its time budget or any other request anything:

* every call to the helper carries the request's deadline, and the caller stops waiting for it when the
  deadline (plus a little grace) has passed or the helper is known to be unwell, and corrects that half itself;
* a watchdog thread checks the helper twice a second (is the process there, is it stopped, does its heartbeat
  still beat) and replaces one that is dead or hung; while there is no healthy helper, batches are corrected
  in this process alone and `problems()` says why (the health routes show it as `degraded`).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import psutil

from config import Settings
from service.pipeline import CorrectionPipeline, StageObserver
from service.types import SegmentInput, SegmentResult, TermLists
from service.worker_pool import is_light

logger = logging.getLogger(__name__)

# How the watchdog judges the helper: how often it looks, how long a silent heartbeat means a hang (the
# heartbeat thread needs the GIL, which one long C call may hold for a while: not too tight), how long a
# start may take, and how long to wait between failed starts.
CHECK_INTERVAL_S = 0.5
HEARTBEAT_INTERVAL_S = 0.5
HANG_AFTER_S = 10.0
START_TIMEOUT_S = 120.0
RESTART_BACKOFF_S = (0.0, 5.0, 15.0, 30.0)
# A caller waits this much past its deadline for the helper's half (the helper stops at the deadline too).
DEADLINE_GRACE_S = 1.0
# How often a waiting caller looks up from the helper's future to see whether the helper is still well.
_POLL_S = 0.1
# The problem reported until the first helper is ready (its readiness is no comeback worth a log line).
_STARTING = "helper process starting"

# The helper process's own pipeline (one per process, built by the executor's initializer).
_worker_pipeline: CorrectionPipeline | None = None


def _start_worker(settings: Settings, parent_pid: int, heartbeat, pid_box) -> None:
    global _worker_pipeline
    from service.resources import load_resources  # the helper loads its own models, once

    pid_box.value = os.getpid()  # first: the watchdog can end a helper that hangs while it loads
    heartbeat.value = time.monotonic()
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    threading.Thread(target=_beat, args=(heartbeat,), daemon=True).start()
    _worker_pipeline = CorrectionPipeline(load_resources(settings), settings)


def _exit_with_parent(parent_pid: int) -> None:
    """A helper whose service was killed (no clean shutdown) must not linger holding its models."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _beat(heartbeat) -> None:
    """Proof of life for the watchdog: a stopped or wedged process stops beating."""
    while True:
        heartbeat.value = time.monotonic()  # CLOCK_MONOTONIC is shared by every process of the machine
        time.sleep(HEARTBEAT_INTERVAL_S)


def _correct_in_worker(segments: list[SegmentInput], terms: TermLists,
                       deadline: float | None) -> list[SegmentResult]:
    assert _worker_pipeline is not None, "helper process started without its pipeline"
    return _worker_pipeline.correct(segments, terms, deadline=deadline)


def _ready() -> bool:
    return _worker_pipeline is not None


@dataclass
class _Helper:
    """One helper process: its executor (one worker), its heartbeat, and its pid once it has started."""

    executor: ProcessPoolExecutor
    heartbeat: Any  # multiprocessing.Value("d"): the helper's last sign of life, time.monotonic()
    pid_box: Any  # multiprocessing.Value("i"): the helper's pid, 0 until its initializer runs
    started_at: float
    ready: Future
    retired: threading.Event = field(default_factory=threading.Event)
    _process: psutil.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.pid_box.value or None

    def process(self) -> psutil.Process | None:
        """The helper as psutil sees it, taken once: psutil checks the creation time before it signals, so a
        pid reused after the helper died is never killed by mistake."""
        if self._process is None and self.pid is not None:
            try:
                self._process = psutil.Process(self.pid)
            except psutil.NoSuchProcess:
                return None
        return self._process

    def submit(self, segments: list[SegmentInput], terms: TermLists, deadline: float | None) -> Future:
        return self.executor.submit(_correct_in_worker, segments, terms, deadline)


class HelperUnavailable(Exception):
    """The helper died, hung or was replaced while a batch was on it."""


class TwoProcessPipeline:
    """A `CorrectionPipeline` that hands half of every batch of `min_segments` or more to a helper process."""

    def __init__(self, local: CorrectionPipeline, settings: Settings, min_segments: int) -> None:
        self.local = local
        self.settings = settings
        self.min_segments = max(2, min_segments)
        self._lock = threading.Lock()
        self._helper: _Helper | None = None
        self._problem: str | None = _STARTING
        self._failures = 0
        self._next_start = 0.0
        self._closed = threading.Event()
        self._start_helper()
        self._watchdog = threading.Thread(target=self._watch, name="ec-helper-watchdog", daemon=True)
        self._watchdog.start()

    # -- what the service sees ---------------------------------------------------------------------------
    def warm_up(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Wait until the helper has loaded its models (called from the lifespan hook). A helper that cannot
        start does not keep the service down: it corrects in one process and the watchdog keeps trying."""
        helper = self._helper
        if helper is None:
            return
        try:
            helper.ready.result(timeout=timeout_s)
        except Exception as exc:
            logger.error("helper process failed to start (%s); correcting in one process for now", exc)
        self._check()

    def problems(self) -> dict[str, str]:
        """{"helper": why} while there is no healthy helper; {} when all is well."""
        problem = self._problem
        return {"helper": problem} if problem else {}

    def correct(self, segments: list[SegmentInput], terms: TermLists, observer: StageObserver | None = None,
                deadline: float | None = None) -> list[SegmentResult]:
        helper = self._healthy_helper()
        if helper is None or len(segments) < self.min_segments or self._small(segments):
            return self.local.correct(segments, terms, observer, deadline=deadline)
        half = len(segments) // 2
        try:
            remote = helper.submit(segments[half:], terms, deadline)
        except RuntimeError as exc:  # the executor broke down or was shut down between the check and here
            self._report(helper, f"unavailable ({exc.__class__.__name__})")
            return self.local.correct(segments, terms, observer, deadline=deadline)
        first = self.local.correct(segments[:half], terms, observer, deadline=deadline)
        try:
            second = self._wait(helper, remote, deadline)
        except HelperUnavailable as exc:
            logger.warning("helper's half of a batch corrected here instead: %s", exc)
            remote.cancel()
            second = self.local.correct(segments[half:], terms, observer, deadline=deadline)
        return first + second

    def _small(self, segments: list[SegmentInput]) -> bool:
        """As small as the requests the express thread takes: quicker here than queued behind a big batch's
        half on the helper."""
        return is_light(segments, self.settings.EXPRESS_MAX_CHARS)

    def close(self, grace_s: float = 1.0) -> None:
        """Stop the watchdog and the helper; a helper that does not leave within `grace_s` is killed."""
        self._closed.set()
        with self._lock:
            helper, self._helper = self._helper, None
            self._problem = "closed"
        if helper is not None:
            self._retire(helper, grace_s=grace_s)

    def kill(self) -> None:
        """End the helper now (the service is about to exit without a clean shutdown)."""
        self.close(grace_s=0.0)

    # -- waiting for the helper ----------------------------------------------------------------------------
    def _wait(self, helper: _Helper, remote: Future, deadline: float | None) -> list[SegmentResult]:
        give_up = None if deadline is None else deadline + DEADLINE_GRACE_S
        while True:
            try:
                return remote.result(timeout=_POLL_S)
            except FutureTimeout:
                pass
            except BrokenProcessPool as exc:  # the helper died with the batch on it
                self._report(helper, f"died with a batch on it ({exc.__class__.__name__})")
                raise HelperUnavailable(str(exc)) from exc
            except Exception as exc:  # cancelled (helper replaced), or an error inside the helper's pipeline
                raise HelperUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
            if helper.retired.is_set():
                raise HelperUnavailable(self._problem or "helper replaced")
            if give_up is not None and time.monotonic() > give_up:
                # Late, though beating: the helper is only slow (its own deadline stops it soon); this half
                # is returned by this process, marked "timeout" where the deadline has passed.
                raise HelperUnavailable("helper's half not back by the deadline")

    # -- the watchdog ----------------------------------------------------------------------------------------
    def _healthy_helper(self) -> _Helper | None:
        with self._lock:
            return self._helper if self._problem is None else None

    def _start_helper(self) -> None:
        # spawn, not fork: Kiwi's worker threads do not survive a fork.
        context = multiprocessing.get_context("spawn")
        heartbeat, pid_box = context.Value("d", 0.0, lock=False), context.Value("i", 0, lock=False)
        executor = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_worker,
                                       initargs=(self.settings, os.getpid(), heartbeat, pid_box))
        helper = _Helper(executor, heartbeat, pid_box, time.monotonic(), executor.submit(_ready))
        with self._lock:
            self._helper = helper
        logger.info("helper process starting")

    def _watch(self) -> None:
        while not self._closed.wait(CHECK_INTERVAL_S):
            try:
                self._check()
            except Exception:  # the watchdog must outlive whatever goes wrong in one look
                logger.exception("helper watchdog check failed")

    def _check(self) -> None:
        """One look at the helper: mark it well, replace it when dead or hung, start one when there is none."""
        if self._closed.is_set():
            return
        helper = self._helper
        if helper is None:
            if time.monotonic() >= self._next_start:
                self._start_helper()
            return
        if not helper.ready.done():
            if time.monotonic() - helper.started_at > START_TIMEOUT_S:
                self._report(helper, f"did not start within {START_TIMEOUT_S:.0f} s")
            return
        try:
            helper.ready.result()
        except Exception as exc:
            self._report(helper, f"failed to start ({exc.__class__.__name__}: {str(exc)[:200]})")
            return
        problem = self._diagnose(helper)
        if problem:
            self._report(helper, problem)
        elif self._problem is not None:
            with self._lock:
                if self._helper is helper:
                    if self._problem != _STARTING:
                        logger.warning("helper process (pid %d) is back", helper.pid)
                    self._problem, self._failures = None, 0

    @staticmethod
    def _diagnose(helper: _Helper) -> str | None:
        process = helper.process()
        try:
            status = process.status() if process is not None else psutil.STATUS_DEAD
        except psutil.NoSuchProcess:
            status = psutil.STATUS_DEAD
        if status in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return "died"
        if status in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP):
            return "is stopped (SIGSTOP?)"
        silent = time.monotonic() - helper.heartbeat.value
        if silent > HANG_AFTER_S:
            return f"has not answered for {silent:.0f} s"
        return None

    def _report(self, helper: _Helper, problem: str) -> None:
        """The helper is unwell (`problem` says how: "died", "is stopped"...): say so, retire it (killing it if
        need be) and schedule a new one."""
        problem = f"helper process{f' (pid {helper.pid})' if helper.pid else ''} {problem}"
        with self._lock:
            if self._helper is not helper:  # already replaced (another caller or the watchdog saw it first)
                return
            self._helper = None
            self._problem = f"{problem}; correcting in one process while a new helper starts"
            delay = RESTART_BACKOFF_S[min(self._failures, len(RESTART_BACKOFF_S) - 1)]
            self._failures += 1
            self._next_start = time.monotonic() + delay
        logger.error("%s; replacing it%s", problem, f" in {delay:.0f} s" if delay else "")
        self._retire(helper, grace_s=0.0)

    @staticmethod
    def _retire(helper: _Helper, grace_s: float) -> None:
        helper.retired.set()
        helper.executor.shutdown(wait=False, cancel_futures=True)
        process = helper.process()
        if process is None:  # never got as far as its initializer (or already gone): the executor ends it
            return
        try:
            if grace_s > 0:
                process.wait(timeout=grace_s)
                helper.executor.shutdown(wait=True)  # the helper is gone: its queues close at once
                return
        except psutil.TimeoutExpired:
            pass
        except psutil.NoSuchProcess:
            return
        try:
            process.kill()  # SIGKILL, which also ends a stopped process
        except psutil.NoSuchProcess:
            pass
