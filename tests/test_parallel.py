"""The two-process pipeline gives exactly the one-process answers, in order, and survives its helper's faults."""
from __future__ import annotations

import os
import signal
import time

import pytest

from config import load_settings
from service.parallel import TwoProcessPipeline
from service.pipeline import CorrectionPipeline
from service.resources import load_resources
from service.types import Hypothesis, SegmentInput, TermLists, WordEvidence

TEXTS = ["지금부 훼의을 시작하겠읍다", "오늘 저녁에 친구들과 영화를 보기로 했어요", "방버블 모르게써 좀 알려줘",
         "다음 주에 스프린뜨 계획을 세우자", "", "hello", "내일 아침에 보고서를 재출할게요", "회의를 시작하겠습니다",
         "가치 가자", "궁물이 맛있어요"]


def _segments() -> list[SegmentInput]:
    segments = []
    for i, text in enumerate(TEXTS):
        words = tuple(WordEvidence(w, 0.4 if i % 2 else 0.9) for w in text.split())
        segments.append(SegmentInput(f"seg{i}", text, words=words, nbest=(Hypothesis(text, 1),)))
    return segments


# First in the file: it runs before the module's own helper process starts (fewer processes at once).
def test_the_helper_does_not_outlive_a_killed_service(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "killed_server.py"
    script.write_text(
        "import sys, time\n"
        "from config import load_settings\n"
        "from service.parallel import TwoProcessPipeline\n"
        "if __name__ == '__main__':\n"
        "    settings = load_settings({'EC_PROCESSES': '2'})\n"
        # Only the helper's lifetime is under test: the killed service needs no models of its own.
        "    shared = TwoProcessPipeline(None, settings, 4)\n"
        "    shared.warm_up()\n"
        "    print(shared._helper.pid, flush=True)\n"
        "    time.sleep(60)\n")
    root = Path(__file__).resolve().parents[1]
    service = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=root,
                               env={**os.environ, "PYTHONPATH": str(root)})
    helper_pid = int(service.stdout.readline())
    os.kill(service.pid, signal.SIGKILL)  # no clean shutdown
    service.wait()

    deadline = time.monotonic() + 10
    while _alive(helper_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(helper_pid)


@pytest.fixture(scope="module")
def pipelines():
    settings = load_settings({"EC_PROCESSES": "2", "EC_EXPRESS_MAX_CHARS": "0"})  # small batches too
    local = CorrectionPipeline(load_resources(settings), settings)
    shared = TwoProcessPipeline(local, settings, min_segments=4)
    shared.warm_up()
    yield local, shared
    shared.close()


def test_two_processes_give_the_one_process_answers_in_order(pipelines):
    local, shared = pipelines
    terms = TermLists(hotwords=("회의", "스프린트"))
    expected = local.correct(_segments(), terms)
    got = shared.correct(_segments(), terms)
    assert [r.id for r in got] == [f"seg{i}" for i in range(len(TEXTS))]
    assert got == expected


def test_only_big_batches_go_to_the_helper_with_the_deadline(pipelines, monkeypatch):
    local, shared = pipelines
    _wait_until_healthy(shared)
    helper = shared._helper
    sent: list[tuple[int, float | None]] = []
    submit = helper.submit

    def counting_submit(segments, terms, deadline):
        sent.append((len(segments), deadline))
        return submit(segments, terms, deadline)

    monkeypatch.setattr(helper, "submit", counting_submit)
    assert shared.correct(_segments()[:3], TermLists()) == local.correct(_segments()[:3], TermLists())
    assert sent == []
    deadline = time.monotonic() + 300
    shared.correct(_segments()[:8], TermLists(), deadline=deadline)
    assert sent == [(4, deadline)]
    # A batch as small (in characters) as an express request stays here, however many segments it has.
    monkeypatch.setattr(shared, "settings", shared.settings.model_copy(update={"EXPRESS_MAX_CHARS": 10_000}))
    shared.correct(_segments()[:8], TermLists(), deadline=deadline)
    assert sent == [(4, deadline)]


def _wait_until_healthy(shared: TwoProcessPipeline, within_s: float = 90.0) -> None:
    give_up = time.monotonic() + within_s
    while shared.problems() and time.monotonic() < give_up:
        time.sleep(0.2)
    assert shared.problems() == {}, shared.problems()


def test_a_killed_helper_is_reported_replaced_and_its_work_done_here(pipelines):
    local, shared = pipelines
    _wait_until_healthy(shared)
    old_pid = shared._helper.pid
    os.kill(old_pid, signal.SIGKILL)
    terms = TermLists(hotwords=("회의",))
    # Every segment comes back, right, whether or not the watchdog has noticed yet.
    assert shared.correct(_segments(), terms) == local.correct(_segments(), terms)
    give_up = time.monotonic() + 10
    while not shared.problems() and time.monotonic() < give_up:
        time.sleep(0.1)
    problems = shared.problems()
    assert "helper" in problems and str(old_pid) in problems["helper"], problems
    assert shared.correct(_segments(), terms) == local.correct(_segments(), terms)  # while degraded
    _wait_until_healthy(shared)
    assert shared._helper.pid != old_pid
    assert shared.correct(_segments(), terms) == local.correct(_segments(), terms)


def test_a_stopped_helper_does_not_hold_a_batch_until_its_deadline(pipelines):
    local, shared = pipelines
    _wait_until_healthy(shared)
    stopped_pid = shared._helper.pid
    os.kill(stopped_pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 300
        # Sent to the helper before the watchdog knows; the watchdog sees it stopped, kills it, and this
        # process corrects the half that was on it.
        got = shared.correct(_segments(), TermLists(), deadline=deadline)
        assert time.monotonic() < deadline
        assert got == local.correct(_segments(), TermLists())
        assert "stopped" in shared.problems().get("helper", "") or not _alive(stopped_pid)
    finally:
        if _alive(stopped_pid):
            os.kill(stopped_pid, signal.SIGKILL)
    give_up = time.monotonic() + 10
    while _alive(stopped_pid) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not _alive(stopped_pid)  # killed, not left stopped
    _wait_until_healthy(shared)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its reaper counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
