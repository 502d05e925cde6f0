"""Shared by the production tests: apps with chosen settings that share one loaded set of models.

Loading Kiwi takes seconds; every app built here reuses the resources of the first one (the lifespan hook
still runs: pool, pipeline, warm-up), so a test can afford its own app with its own settings.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
from fastapi.testclient import TestClient

import app as app_module
from config import Settings, load_settings, with_overrides

ROOT = Path(__file__).resolve().parent.parent
_resources = None
_load_resources = app_module.load_resources


def settings_with(**overrides) -> Settings:
    # Empty environment: the tests do not depend on the EC_* variables of whoever runs them. One process per
    # app (tests/test_parallel.py covers the helper process).
    return with_overrides(load_settings({}), **{"PROCESSES": 1, **overrides})


def _shared_resources(settings: Settings):
    global _resources
    if _resources is None:
        _resources = _load_resources(settings)
    return _resources


def app_with(**overrides):
    """An app with these settings (its lifespan not yet run)."""
    return app_module.create_app(settings_with(**overrides))


@contextmanager
def running(application) -> Iterator[TestClient]:
    """Run an app's lifespan, sharing the models loaded once for all these tests."""
    app_module.load_resources = _shared_resources
    try:
        with TestClient(application, raise_server_exceptions=False) as client:
            yield client
    finally:
        app_module.load_resources = _load_resources


@contextmanager
def client_with(**overrides) -> Iterator[TestClient]:
    with running(app_with(**overrides)) as client:
        yield client


def segment(i: int, text: str, **extra) -> dict:
    return {"id": f"seg_{i:05d}", "start": float(i), "end": float(i) + 1.5, "text": text, **extra}


# Hand-written cases (the benchmark data is never used by tests).
SENTENCES = [
    ("지금부 훼의을 시작하겠읍다", ["지금부터 회의를 시작하겠습니다"]),
    ("오늘 안껀은 스프린트 킥오프 입니다", ["오늘 안건은 스프린트 킥오프입니다"]),
    ("다음 주 발표 자료를 준비해 주세요", []),
    ("프로젝트 일정이 조금 느저지고 있습니다", ["프로젝트 일정이 조금 늦어지고 있습니다"]),
    ("회의실 예약은 제가 할게요", []),
    ("회의록은 오늘 안에 공유하겠습니다", []),
    ("이번 분기 목표를 다시 정리해 보겠슴니다", ["이번 분기 목표를 다시 정리해 보겠습니다"]),
    ("질문 있으시면 말씀해 주세요", []),
]
TERMS = {"hotwords": ["회의", "안건", "스프린트", "킥오프"], "domain_lexicon": ["회의실", "회의록", "발표", "프로젝트"]}


def request_body(n: int, request_id: str = "req_test") -> dict:
    segments = []
    for i in range(n):
        text, alternatives = SENTENCES[i % len(SENTENCES)]
        nbest = [{"rank": 1, "text": text, "score": -2.0, "confidence": 0.8}]
        nbest += [{"rank": r + 2, "text": t, "score": -3.0 - r, "confidence": 0.5} for r, t in enumerate(alternatives)]
        segments.append(segment(i, text, confidence=0.8, no_speech_prob=0.02, nbest=nbest))
    return {"request_id": request_id, "model_version": {"av_asr": "test"}, "segments": segments, **TERMS}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(env: dict[str, str] | None = None, workers: int = 1, timeout_s: float = 60.0) -> Iterator[str]:
    """A real uvicorn on 127.0.0.1 (a free port), stopped afterwards; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
