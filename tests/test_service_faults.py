"""Issue 11's service-side bounds: the budget starts once the body is read, a client that leaves mid-body is
not a server error, health says when the service runs degraded, and SIGTERM stops the intake at once and
ends the process within a bound."""
from __future__ import annotations

import asyncio
import json
import signal
import threading
import time

import pytest

from service.shutdown import GracefulShutdown
from service.types import SegmentResult
from service.worker_pool import PoolSaturated, ShuttingDown, WorkerPool
from tests.production_helpers import client_with, request_body


class DeadlineRecorder:
    """Stands in for the pipeline: remembers the deadline each call got, corrects nothing."""

    def __init__(self) -> None:
        self.deadlines: list[float | None] = []

    def correct(self, segments, terms, observer=None, deadline=None):
        self.deadlines.append(deadline)
        return [SegmentResult(s.id, s.text, s.text, 0.0, s.text, [], s.start, s.end, "unchanged") for s in segments]


def test_the_budget_starts_when_the_body_has_been_read():
    with client_with(REQUEST_BUDGET_S=1.0) as client:
        recorder = DeadlineRecorder()
        client.app.state.pipeline = recorder
        sent_last_byte = []

        def slow_upload():
            payload = json.dumps(request_body(2)).encode()
            yield payload[:10]
            time.sleep(1.5)  # longer than the whole budget
            sent_last_byte.append(time.monotonic())
            yield payload[10:]

        response = client.post("/ec/correct", content=slow_upload(), headers={"content-type": "application/json"})
        assert response.status_code == 200
        assert [s["status"] for s in response.json()["segments"]] == ["unchanged", "unchanged"]
        (deadline,) = set(recorder.deadlines)
        # Counted from the end of the upload, not from the request's arrival 1.5 s earlier.
        assert deadline > sent_last_byte[0] + 0.5


def test_a_client_that_leaves_mid_body_is_not_a_server_error():
    with client_with() as client:
        app = client.app
        sent = []

        async def disconnecting():
            messages = iter([{"type": "http.request", "body": b'{"segments": [', "more_body": True},
                             {"type": "http.disconnect"}])
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                     "scheme": "http", "path": "/ec/correct", "raw_path": b"/ec/correct", "query_string": b"",
                     "root_path": "", "headers": [(b"content-type", b"application/json")],
                     "client": ("127.0.0.1", 1), "server": ("testserver", 80)}

            async def receive():
                return next(messages)

            async def send(message):
                sent.append(message)

            await app(scope, receive, send)

        asyncio.run(disconnecting())
        assert sent == []  # nobody to answer
        metrics = client.get("/metrics").text
        assert 'route="/ec/correct",status="499"} 1.0' in metrics
        assert 'status="500"' not in metrics


class AilingPipeline(DeadlineRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.trouble: dict[str, str] = {"helper": "helper process (pid 7) died; correcting in one process"}

    def problems(self) -> dict[str, str]:
        return dict(self.trouble)


def test_health_says_degraded_with_the_reason_until_it_is_back():
    with client_with() as client:
        assert client.get("/healthz").json()["status"] == "ok"
        pipeline = AilingPipeline()
        client.app.state.pipeline = pipeline
        for path in ("/healthz", "/v2/health"):
            answer = client.get(path)
            assert answer.status_code == 200  # still serving: a platform must not restart it for this
            assert answer.json()["status"] == "degraded"
            assert answer.json()["problems"]["helper"].startswith("helper process (pid 7) died")
        pipeline.trouble.clear()
        assert client.get("/v2/health").json()["status"] == "ok"
        assert "helper" not in client.get("/v2/health").json()["problems"]


# -- shutdown ---------------------------------------------------------------------------------------------
async def _hold_a_worker(pool: WorkerPool) -> tuple[asyncio.Future, threading.Event]:
    """A request that has started on an ordinary thread and holds it until the returned gate is set (its
    answer: True)."""
    gate, started = threading.Event(), threading.Event()

    def hold():
        started.set()
        return gate.wait(10)

    held = asyncio.ensure_future(pool.run(hold))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
    return held, gate


def test_a_closing_pool_refuses_new_and_queued_work_and_finishes_running_work():
    async def scenario():
        pool = WorkerPool(workers=1, queue_size=4)
        first, gate = await _hold_a_worker(pool)
        queued = asyncio.ensure_future(pool.run(lambda: "ran"))
        await asyncio.sleep(0.05)
        pool.close()
        with pytest.raises(ShuttingDown):
            await pool.run(lambda: "new")
        with pytest.raises(ShuttingDown) as refused:
            await queued  # refused at once, while the running request still holds the only thread
        assert isinstance(refused.value, PoolSaturated) and "shutting down" in str(refused.value)
        assert not first.done()
        gate.set()
        assert await first is True  # the running request finishes
        assert pool.admitted == 0
        pool.shutdown()

    asyncio.run(scenario())


def test_light_requests_pass_heavy_ones_on_the_express_thread_and_heavy_ones_never_take_it():
    async def scenario():
        pool = WorkerPool(workers=1, queue_size=4, express_workers=1)

        def where() -> str:
            return threading.current_thread().name

        first, gate = await _hold_a_worker(pool)  # a heavy request
        second = asyncio.ensure_future(pool.run(where))
        assert (await pool.run(where, light=True)).startswith("ec-express")  # while the worker is held
        assert (await pool.run(where, light=True)).startswith("ec-express")
        await asyncio.sleep(0.05)
        assert not second.done()  # a heavy request waits for an ordinary thread, never takes the express one
        gate.set()
        assert await first is True and (await second).startswith("ec-worker")
        assert pool.admitted == 0
        pool.shutdown()

    asyncio.run(scenario())


def test_ordinary_threads_take_the_oldest_request_of_either_kind():
    async def scenario():
        pool = WorkerPool(workers=1, queue_size=8, express_workers=0)
        order: list[str] = []
        held, gate = await _hold_a_worker(pool)
        waiting = []
        for name, light in (("heavy-1", False), ("light-1", True), ("heavy-2", False), ("light-2", True)):
            waiting.append(asyncio.ensure_future(pool.run(order.append, name, light=light)))
            await asyncio.sleep(0.01)
        gate.set()
        await asyncio.gather(held, *waiting)
        assert order == ["heavy-1", "light-1", "heavy-2", "light-2"]  # arrival order: nobody starves
        pool.shutdown()

    asyncio.run(scenario())


def test_closing_answers_503_with_retry_after():
    with client_with(RETRY_AFTER_S=2) as client:
        client.app.state.pool.close()
        response = client.post("/ec/correct", json=request_body(1))
        assert response.status_code == 503 and response.headers["retry-after"] == "2"
        assert "shutting down" in response.json()["message"]
        assert client.get("/healthz").status_code == 200


def test_sigterm_stops_the_intake_then_hands_on_to_the_server():
    calls: list[str] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: calls.append("server's handler"))
    try:
        shutdown = GracefulShutdown(exit_after_s=30, on_signal=[lambda: calls.append("pool closed")],
                                    force_exit=lambda code: calls.append(f"exit {code}"))
        assert shutdown.install()
        signal.raise_signal(signal.SIGTERM)
        assert calls[0] == "server's handler"  # at once, from the handler
        assert shutdown.intake_stopped.wait(10)  # and the intake stops, from the watcher thread
        assert calls == ["server's handler", "pool closed"]
        shutdown.uninstall()  # the server finished its shutdown: the backstop stands down
    finally:
        signal.signal(signal.SIGTERM, previous)
    time.sleep(0.1)
    assert "exit 1" not in calls


def test_a_shutdown_that_overruns_is_ended_by_the_backstop():
    exited = threading.Event()
    steps: list[str] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        shutdown = GracefulShutdown(exit_after_s=0.2, before_forced_exit=[lambda: steps.append("helper killed")],
                                    force_exit=lambda code: (steps.append(f"exit {code}"), exited.set()))
        shutdown.install()
        signal.raise_signal(signal.SIGTERM)
        assert exited.wait(10)
        assert steps == ["helper killed", "exit 1"]
    finally:
        signal.signal(signal.SIGTERM, previous)
