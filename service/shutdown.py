"""Graceful shutdown on SIGTERM, bounded in time.

Uvicorn, on SIGTERM, stops accepting connections and waits for the requests in flight before it runs the
lifespan's shutdown; it gives the application no word of the signal until then. So the service adds its own
handler in front of uvicorn's (and calls it): on SIGTERM the worker pool stops taking work at once (new and
queued requests get 503 + Retry-After at once, so their clients go to another instance) while the requests
already running finish within their time budget. Should anything not stop by then (a stage that does not honour its
deadline), a backstop ends the process `budget + grace` seconds after the signal, killing the helper process
first: a platform's SIGKILL would come later and leave a stopped helper behind.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Callable, Sequence

logger = logging.getLogger(__name__)


class GracefulShutdown:
    """The signal handler itself only sets an event and calls the handler before it (uvicorn's): a handler
    runs between two bytecodes of the main thread, which may hold any lock at that moment. A watcher thread,
    started at `install`, does the rest: stops the intake, then waits out the backstop."""

    def __init__(self, exit_after_s: float, on_signal: Sequence[Callable[[], None]] = (),
                 before_forced_exit: Sequence[Callable[[], None]] = (),
                 force_exit: Callable[[int], None] = os._exit) -> None:
        self.exit_after_s = exit_after_s
        self.on_signal = list(on_signal)
        self.before_forced_exit = list(before_forced_exit)
        self.force_exit = force_exit
        self.signalled = threading.Event()
        self.intake_stopped = threading.Event()
        self._finished = threading.Event()
        self._previous: object = None
        self._installed = False

    def install(self, signum: int = signal.SIGTERM) -> bool:
        """Put the handler in front of the current one (uvicorn's). Only the main thread can; elsewhere (a
        test client running the lifespan in a thread) nothing is installed and False is returned."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self._signum = signum
        threading.Thread(target=self._watch, name="ec-shutdown", daemon=True).start()
        self._previous = signal.signal(signum, self._handle)
        self._installed = True
        return True

    def uninstall(self) -> None:
        """The shutdown finished (or the app stopped without a signal): the backstop and the watcher stand
        down and the handler before ours is put back."""
        self._finished.set()
        self.signalled.set()  # wakes the watcher, which sees the shutdown finished
        if self._installed and signal.getsignal(self._signum) == self._handle:
            signal.signal(self._signum, self._previous)  # type: ignore[arg-type]
        self._installed = False

    def _handle(self, signum: int, frame) -> None:
        self.signalled.set()
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:  # nobody else handles it: the default action (terminate), now
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    def _watch(self) -> None:
        self.signalled.wait()
        if self._finished.is_set():
            return
        logger.warning("SIGTERM: no new work; running requests get %.1f s to finish", self.exit_after_s)
        _run_each(self.on_signal, "shutdown step failed")
        self.intake_stopped.set()
        if self._finished.wait(self.exit_after_s):
            return
        logger.error("shutdown did not finish within %.1f s of the signal; exiting now", self.exit_after_s)
        _run_each(self.before_forced_exit, "forced-exit step failed")
        for handler in logging.getLogger().handlers:
            handler.flush()
        self.force_exit(1)


def _run_each(steps: Sequence[Callable[[], None]], failure: str) -> None:
    """Every step in turn; one that fails is logged (`failure`) and does not stop the others."""
    for step in steps:
        try:
            step()
        except Exception:
            logger.exception(failure)
