"""Production readiness (issue 5): worker pool and back-pressure, time budget, access control, CORS,
observability, determinism. Hand-written requests only; no file outside the repository."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from observability.context import request_id_var
from observability.logs import JsonFormatter, RequestIdFilter
from tests.production_helpers import ROOT, client_with, live_server, request_body
from service.budget import correct_within_budget
from service.types import Edit, SegmentInput, SegmentResult, TermLists
from service.worker_pool import PoolSaturated, WorkerPool


# -- the event loop stays free: /healthz while the pool is busy -----------------------------------------------
def test_healthz_answers_fast_while_busy_correcting():
    env = {**os.environ, "EC_WORKERS": "2", "EC_QUEUE_SIZE": "8", "PYTHONPATH": str(ROOT)}
    env.pop("EC_API_KEYS", None)
    with live_server(env) as url:
        busy: list[tuple[float, float]] = []

        def heavy(n: int) -> int:
            body = request_body(256)
            for i, s in enumerate(body["segments"]):  # unique texts: no cache may make this request cheap
                s["text"] += " " + chr(0xAC00 + n * 256 + i) + "씨"
            started = time.monotonic()
            status = httpx.post(url + "/ec/correct", json=body, timeout=120).status_code
            busy.append((started, time.monotonic()))
            return status

        with ThreadPoolExecutor(4) as executor:
            futures = [executor.submit(heavy, n) for n in range(4)]
            time.sleep(0.3)  # the heavy requests are in the pool now
            probes = []
            with httpx.Client(base_url=url, timeout=5) as probe:
                while not all(f.done() for f in futures) and len(probes) < 50:
                    started = time.monotonic()
                    assert probe.get("/healthz").status_code == 200
                    probes.append((started, time.monotonic()))
                    time.sleep(0.05)
            assert [f.result() for f in futures] == [200] * 4
        # Only probes that ran entirely while correction was going on count (otherwise this proves nothing) ...
        first_start, last_end = min(s for s, _ in busy), max(e for _, e in busy)
        during = [end - start for start, end in probes if first_start < start and end < last_end]
        assert len(during) >= 3, (probes, busy)
        # ... and they answered well within the 200 ms a health checker allows.
        assert max(during) < 0.2, during


# -- bounded pool: 503 + Retry-After when full --------------------------------------------------------------------
class BlockingPipeline:
    """Stands in for the pipeline: holds its worker until released."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def correct(self, segments, terms, observer=None, deadline=None):
        self.entered.set()
        assert self.release.wait(30)
        return [SegmentResult(s.id, s.text, s.text, 0.0, s.text, [], s.start, s.end, "unchanged") for s in segments]


def test_full_queue_answers_503_with_retry_after():
    with client_with(WORKERS=1, QUEUE_SIZE=0, RETRY_AFTER_S=3, EXPRESS_MAX_CHARS=0) as client:
        blocking = BlockingPipeline()
        client.app.state.pipeline = blocking
        with ThreadPoolExecutor(1) as executor:
            first = executor.submit(client.post, "/ec/correct", json=request_body(1))
            assert blocking.entered.wait(10)
            refused = client.post("/ec/correct", json=request_body(1))
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "3"
            assert "queue is full" in refused.json()["message"]
            assert client.get("/healthz").status_code == 200  # health is not behind the pool
            blocking.release.set()
            assert first.result().status_code == 200
        assert client.post("/ec/correct", json=request_body(1)).status_code == 200  # the slot came back
        assert "ec_pool_rejections_total 1.0" in client.get("/metrics").text


def test_worker_pool_bounds_admissions_and_carries_the_request_id():
    async def scenario():
        pool = WorkerPool(workers=1, queue_size=1)
        gate = threading.Event()
        token = request_id_var.set("rid-42")
        try:
            first = asyncio.ensure_future(pool.run(gate.wait, 10))
            second = asyncio.ensure_future(pool.run(request_id_var.get))
            await asyncio.sleep(0.05)
            assert pool.admitted == 2
            with pytest.raises(PoolSaturated):
                await pool.run(lambda: None)
            gate.set()
            assert await first is True
            assert await second == "rid-42"  # the worker thread saw the request's context
            assert pool.admitted == 0
        finally:
            request_id_var.reset(token)
            pool.shutdown()

    asyncio.run(scenario())


# -- per-request time budget ---------------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ChunkCountingPipeline:
    """Each call costs one second of the fake clock and 'corrects' by appending a mark."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock, self.calls = clock, []

    def correct(self, segments, terms, observer=None, deadline=None):
        self.calls.append([s.id for s in segments])
        self.clock.now += 1.0
        return [SegmentResult(s.id, s.text, s.text + "!", 1.0, s.text + "!", [Edit(0, 0, "", "!", "test")],
                              s.start, s.end, "corrected") for s in segments]


def test_budget_returns_finished_chunks_and_the_rest_unchanged():
    clock = FakeClock()
    pipeline = ChunkCountingPipeline(clock)
    segments = [SegmentInput(f"s{i}", f"텍스트 {i}", start=float(i), end=float(i + 1)) for i in range(7)]
    stages = []
    results = correct_within_budget(pipeline, segments, TermLists(), deadline=2.5, chunk_size=2, clock=clock,
                                    observer=lambda stage, seconds: stages.append((stage, seconds)))
    # Two chunks fit (t=2.0); a third would end at 3.0 > 2.5, so it is not started.
    assert pipeline.calls == [["s0", "s1"], ["s2", "s3"]]
    assert [r.id for r in results] == [s.id for s in segments]
    assert [r.status for r in results] == ["corrected"] * 4 + ["timeout"] * 3
    for result, segment in zip(results[4:], segments[4:]):
        assert result.original == result.corrected == result.picked_candidate == segment.text
        assert result.edits == [] and result.gain == 0.0
        assert (result.start, result.end) == (segment.start, segment.end)
    assert stages == [("pipeline_chunk", 1.0), ("pipeline_chunk", 1.0)]


def test_budget_already_spent_returns_everything_unchanged():
    clock = FakeClock()
    clock.now = 10.0
    pipeline = ChunkCountingPipeline(clock)
    results = correct_within_budget(pipeline, [SegmentInput("a", "안녕")], TermLists(), deadline=5.0, clock=clock)
    assert pipeline.calls == [] and [r.status for r in results] == ["timeout"]


def test_zero_budget_over_http_marks_segments_timeout_not_an_error():
    with client_with(REQUEST_BUDGET_S=0.0) as client:
        body = request_body(5)
        response = client.post("/ec/correct", json=body)
        assert response.status_code == 200
        segments = response.json()["segments"]
        assert [s["id"] for s in segments] == [s["id"] for s in body["segments"]]
        for out, sent in zip(segments, body["segments"]):
            assert out["status"] == "timeout"
            assert out["original"] == out["corrected"] == sent["text"] and out["edits"] == []
        assert 'ec_segments_total{status="timeout"} 5.0' in client.get("/metrics").text


def test_chunking_does_not_change_results():
    with client_with(BUDGET_CHUNK_SEGMENTS=256) as whole, client_with(BUDGET_CHUNK_SEGMENTS=1) as chunked:
        body = request_body(12)
        a, b = whole.post("/ec/correct", json=body), chunked.post("/ec/correct", json=body)
        assert a.status_code == b.status_code == 200
        assert a.content == b.content


# -- access control ----------------------------------------------------------------------------------------
def test_api_keys_guard_every_route_but_health():
    with client_with(API_KEYS=("key-one", "key-two")) as client:
        for path in ("/healthz", "/v2/health"):
            assert client.get(path).status_code == 200
        guarded = [("GET", "/"), ("GET", "/metrics"), ("GET", "/docs"), ("GET", "/openapi.json"),
                   ("POST", "/ec/correct"), ("GET", "/no-such-route")]
        for method, path in guarded:
            kwargs = {"json": request_body(1)} if method == "POST" else {}
            for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": "key-one "}, {"X-API-Key": ""}):
                response = client.request(method, path, headers=headers, **kwargs)
                assert response.status_code == 401, (method, path, headers)
                assert response.json()["detail"][0]["field"] == "X-API-Key"
                assert "x-request-id" in response.headers
            for key in ("key-one", "key-two"):
                response = client.request(method, path, headers={"X-API-Key": key}, **kwargs)
                assert response.status_code == (404 if path == "/no-such-route" else 200), (method, path)


def test_no_api_keys_configured_means_open():
    with client_with() as client:
        assert client.get("/").status_code == 200


def test_cors_is_closed_by_default_and_follows_configuration():
    origin = {"Origin": "https://subtitles.example"}
    with client_with() as client:
        response = client.get("/", headers=origin)
        assert "access-control-allow-origin" not in response.headers
    with client_with(CORS_ORIGINS=("https://subtitles.example",), API_KEYS=("k",)) as client:
        preflight = client.options("/ec/correct", headers={**origin, "Access-Control-Request-Method": "POST",
                                                           "Access-Control-Request-Headers": "X-API-Key"})
        assert preflight.status_code == 200  # answered before the key check: browsers send no key here
        assert preflight.headers["access-control-allow-origin"] == "https://subtitles.example"
        assert client.get("/", headers={**origin, "X-API-Key": "k"}).headers["access-control-allow-origin"] == \
            "https://subtitles.example"
        other = client.get("/", headers={"Origin": "https://evil.example", "X-API-Key": "k"})
        assert "access-control-allow-origin" not in other.headers


# -- observability -----------------------------------------------------------------------------------------------
def test_request_id_header_is_echoed_or_made():
    with client_with() as client:
        ids = {client.get("/healthz").headers["x-request-id"] for _ in range(3)}
        assert len(ids) == 3
        assert client.get("/healthz", headers={"X-Request-ID": "trace-abc.1"}).headers["x-request-id"] == "trace-abc.1"
        injected = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
        assert injected != "bad id\twith spaces" and len(injected) == 32


def test_metrics_count_requests_segments_edits_and_stages():
    with client_with() as client:
        assert client.post("/ec/correct", json=request_body(8)).status_code == 200
        assert client.post("/ec/correct", json={"segments": "no"}).status_code == 422
        client.get("/healthz")
        response = client.get("/metrics")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        text = response.text
        assert 'ec_http_requests_total{method="POST",route="/ec/correct",status="200"} 1.0' in text
        assert 'ec_http_requests_total{method="POST",route="/ec/correct",status="422"} 1.0' in text
        assert 'ec_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
        assert 'ec_http_request_duration_seconds_count{method="POST",route="/ec/correct",status="200"} 1.0' in text
        segment_counts = {line.split('"')[1]: float(line.split()[-1]) for line in text.splitlines()
                          if line.startswith("ec_segments_total{")}
        assert sum(segment_counts.values()) == 8 and segment_counts.get("corrected", 0) >= 1
        assert "ec_edits_total{source=" in text
        assert "ec_pipeline_seconds_count 1.0" in text
        assert 'ec_stage_seconds_count{stage="pipeline_chunk"}' in text
        assert "ec_guard_refusals_total" in text and "ec_queue_wait_seconds_count 1.0" in text


def test_json_logs_carry_the_request_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        with client_with() as client:
            client.post("/ec/correct", json=request_body(1), headers={"X-Request-ID": "log-trace-7"})
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in entries if e["logger"] == "ec.access" and e["request_id"] == "log-trace-7"]
    assert len(access) == 1
    assert access[0]["status"] == 200 and access[0]["route"] == "/ec/correct" and access[0]["duration_ms"] > 0
    assert all("request_id" in e for e in entries)


def test_unexpected_error_is_a_json_500_with_the_request_id():
    class Exploding:
        def correct(self, segments, terms, observer=None, deadline=None):
            raise RuntimeError("boom")

    with client_with() as client:
        client.app.state.pipeline = Exploding()
        response = client.post("/ec/correct", json=request_body(1), headers={"X-Request-ID": "r-500"})
        assert response.status_code == 500
        assert response.json()["request_id"] == "r-500" and "boom" not in response.text
        assert client.post("/ec/correct", json=request_body(1)).status_code == 500  # the pool slot was freed


# -- determinism -------------------------------------------------------------------------------------------
def test_same_request_same_bytes_across_calls():
    with client_with() as client:
        body = request_body(16)
        first = client.post("/ec/correct", json=body).content
        for _ in range(3):
            assert client.post("/ec/correct", json=body).content == first


_RUN_ONCE = """
import hashlib, sys
sys.path.insert(0, "tests")
from tests.production_helpers import client_with, request_body
with client_with() as client:
    digest = hashlib.sha256()
    for n in (1, 5, 16):
        digest.update(client.post("/ec/correct", json=request_body(n)).content)
print(digest.hexdigest())
"""


def test_same_bytes_across_restarts_and_hash_seeds():
    def run(seed: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen([sys.executable, "-c", _RUN_ONCE], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)

    processes = [run("1"), run("2")]  # different set/dict-of-str orders, as two restarts would have
    outputs = [p.communicate(timeout=120)[0].strip() for p in processes]
    assert all(len(o) == 64 for o in outputs), outputs
    assert outputs[0] == outputs[1]
