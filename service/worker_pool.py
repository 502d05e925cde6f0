"""A bounded pool for CPU-bound correction, so the event loop stays free for health checks.

`WORKERS` threads run the pipeline; at most `QUEUE_SIZE` more requests wait for one. A request beyond that
is refused at once (`PoolSaturated`, answered 503 with Retry-After) rather than waiting without bound: under
overload the client learns quickly and can retry or go to another instance.

Threads rather than processes: Kiwi does its heavy work in C++ without the GIL and the models are loaded
once per process; to use more cores for the Python parts run more uvicorn workers (see the README).
"""
from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")


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


class WorkerPool:
    def __init__(self, workers: int, queue_size: int, retry_after_s: int = 1,
                 on_wait: Callable[[float], None] | None = None) -> None:
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue_size)
        self.retry_after_s = retry_after_s
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ec-worker")
        self._lock = threading.Lock()
        self._admitted = 0
        self._on_wait = on_wait
        self._closing = False

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

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on a worker thread, with the caller's context (request id); raise PoolSaturated
        at once when the pool is full. A slot is released when the work ends, not when the caller gives up
        (a client that disconnects does not free a thread that is still busy)."""
        self._admit()
        submitted = time.monotonic()
        context = contextvars.copy_context()

        def job() -> T:
            if self._closing:  # queued before the shutdown began, not started: refused, not run
                raise ShuttingDown(self.retry_after_s)
            if self._on_wait is not None:
                self._on_wait(time.monotonic() - submitted)
            return context.run(fn, *args)

        try:
            future = self._executor.submit(job)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop taking work: new requests and queued ones that have not started get `ShuttingDown` (503);
        running ones finish (within their time budget). Called from a signal handler, so it takes no lock (the
        thread it interrupts may hold it); the assignment is atomic."""
        self._closing = True

    @property
    def closing(self) -> bool:
        return self._closing

    def shutdown(self, wait: bool = True) -> None:
        self.close()
        self._executor.shutdown(wait=wait, cancel_futures=True)
