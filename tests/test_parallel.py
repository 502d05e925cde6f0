"""The two-process pipeline gives exactly the one-process answers, in order."""
from __future__ import annotations

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
    import os
    import signal
    import subprocess
    import sys
    import time
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
        "    print(next(iter(shared._executor._processes)), flush=True)\n"
        "    time.sleep(60)\n")
    root = Path(__file__).resolve().parents[1]
    service = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=root,
                               env={**os.environ, "PYTHONPATH": str(root)})
    helper_pid = int(service.stdout.readline())
    os.kill(service.pid, signal.SIGKILL)  # no clean shutdown
    service.wait()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # a zombie waiting for its reaper counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"

    deadline = time.monotonic() + 10
    while alive(helper_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(helper_pid)


@pytest.fixture(scope="module")
def pipelines():
    settings = load_settings({"EC_PROCESSES": "2"})
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


def test_only_big_batches_go_to_the_helper(pipelines, monkeypatch):
    local, shared = pipelines
    sent: list[int] = []
    submit = shared._executor.submit

    def counting_submit(function, segments, terms):
        sent.append(len(segments))
        return submit(function, segments, terms)

    monkeypatch.setattr(shared._executor, "submit", counting_submit)
    assert shared.correct(_segments()[:3], TermLists()) == local.correct(_segments()[:3], TermLists())
    assert sent == []
    shared.correct(_segments()[:8], TermLists())
    assert sent == [4]
