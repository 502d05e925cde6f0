"""A bounded pool for CPU-bound correction, so the event loop stays free for health checks.

`WORKERS` threads run the pipeline; at most `QUEUE_SIZE` more requests wait for one. A request beyond that
is refused at once (`PoolSaturated`, answered 503 with Retry-After) rather than waiting without bound: under
overload the client learns quickly and can retry or go to another instance.

Small requests are not stuck behind big ones: besides the `WORKERS` threads, `express_workers` threads take
only "light" requests (the caller says which: a few hundred characters, the one-segment requests a frontend
sends while a meeting runs). The ordinary threads take the oldest waiting request of either kind, so neither
kind can starve the other; two requests of 256 segments hold both ordinary threads for their whole time
budget, and the light ones still go through the express thread meanwhile.

Threads rather than processes: Kiwi does its heavy work in C++ without the GIL and the models are loaded
once per process; to use more cores for the Python parts run more uvicorn workers (see the README).
"""
from __future__ import annotations

import asyncio
import contextvars
import itertools
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

if TYPE_CHECKING:
    from service.types import SegmentInput

T = TypeVar("T")


def is_light(segments: Sequence[SegmentInput], max_chars: int) -> bool:
    """Whether a batch is as small as the requests the express threads take: its texts and n-best hypotheses
    together at most `max_chars` characters (EXPRESS_MAX_CHARS)."""
    return sum(len(s.text) + sum(len(h.text) for h in s.nbest) for s in segments) <= max_chars


class PoolSaturated(Exception):
    """Every worker is busy and the queue is full."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"all workers busy and the queue is full; retry after {retry_after_s} s")


class ShuttingDown(PoolSaturated):
    """The service is shutting down (SIGTERM): no new work, and queued work that has not started is refused,
    so the client retries on another instance at once instead of waiting for one about to stop."""

    def __str__(self) -> str:
        return f"the service is shutting down; retry after {self.retry_after_s} s (another instance will answer)"


@dataclass(order=True)
class _Job:
    order: int  # arrival order: the ordinary threads take the oldest job of either kind
    run: Callable[[], None] = field(compare=False)
    future: Future = field(compare=False)


class WorkerPool:
    def __init__(self, workers: int, queue_size: int, retry_after_s: int = 1,
                 on_wait: Callable[[float], None] | None = None, express_workers: int = 0) -> None:
        self.workers = max(1, workers)
        self.express_workers = max(0, express_workers)
        self.capacity = self.workers + self.express_workers + max(0, queue_size)
        self.retry_after_s = retry_after_s
        self._lock = threading.Lock()  # admissions
        self._admitted = 0
        self._on_wait = on_wait
        self._closing = False
        self._stopped = False
        self._ready = threading.Condition()  # the queues below
        self._heavy: deque[_Job] = deque()
        self._light: deque[_Job] = deque()
        self._arrivals = itertools.count()
        # Daemon threads: one stuck in a stage that ignores its deadline must not keep the process from exiting
        # (the shutdown backstop ends it; see service/shutdown.py).
        self._threads = [threading.Thread(target=self._serve, args=(False,), name=f"ec-worker-{i}", daemon=True)
                         for i in range(self.workers)]
        self._threads += [threading.Thread(target=self._serve, args=(True,), name=f"ec-express-{i}", daemon=True)
                          for i in range(self.express_workers)]
        for thread in self._threads:
            thread.start()

    @property
    def admitted(self) -> int:
        """Requests running or waiting now."""
        return self._admitted

    def _admit(self) -> None:
        with self._lock:
            if self._closing:
                raise ShuttingDown(self.retry_after_s)
            if self._admitted >= self.capacity:
                raise PoolSaturated(self.retry_after_s)
            self._admitted += 1

    def _release(self, _future: Any = None) -> None:
        with self._lock:
            self._admitted -= 1

    async def run(self, fn: Callable[..., T], *args: Any, light: bool = False) -> T:
        """Run `fn(*args)` on a worker thread, with the caller's context (request id); raise PoolSaturated
        at once when the pool is full. `light` requests may also run on the express threads. A slot is
        released when the work ends, not when the caller gives up (a client that disconnects does not free a
        thread that is still busy)."""
        self._admit()
        submitted = time.monotonic()
        context = contextvars.copy_context()
        future: Future = Future()
        future.add_done_callback(self._release)

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                if self._closing:  # queued before the shutdown began, not started: refused, not run
                    raise ShuttingDown(self.retry_after_s)
                if self._on_wait is not None:
                    self._on_wait(time.monotonic() - submitted)
                future.set_result(context.run(fn, *args))
            except BaseException as exc:  # handed to the awaiting request, which answers for it
                future.set_exception(exc)

        with self._ready:
            if self._stopped or self._closing:  # closed since the admission: refused like the queued ones
                future.set_running_or_notify_cancel()
                future.set_exception(ShuttingDown(self.retry_after_s))
            else:
                (self._light if light else self._heavy).append(_Job(next(self._arrivals), job, future))
                self._ready.notify_all()
        return await asyncio.wrap_future(future)

    def _next_job(self, express: bool) -> _Job | None:
        """The oldest job this thread may take (called holding `_ready`)."""
        if express:
            return self._light.popleft() if self._light else None
        if self._light and (not self._heavy or self._light[0] < self._heavy[0]):
            return self._light.popleft()
        return self._heavy.popleft() if self._heavy else None

    def _serve(self, express: bool) -> None:
        while True:
            with self._ready:
                job = self._next_job(express)
                while job is None:
                    if self._stopped:
                        return
                    self._ready.wait()
                    job = self._next_job(express)
            job.run()

    def close(self) -> None:
        """Stop taking work: new requests, and queued ones that have not started, get `ShuttingDown` (503) at
        once; running ones finish (within their time budget)."""
        self._closing = True
        with self._ready:
            refused = list(self._light) + list(self._heavy)
            self._light.clear()
            self._heavy.clear()
        for job in refused:
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(ShuttingDown(self.retry_after_s))

    def shutdown(self, wait: bool = True) -> None:
        """Close (refusing what has not started) and let the threads end (waiting for them when `wait`)."""
        self.close()
        with self._ready:
            self._stopped = True
            self._ready.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()
