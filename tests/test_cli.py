"""`python -m cli correct` on a folder and on one file, in process (no server)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import srt

from cli.main import SCRIPT_NAME, main

ROOT = Path(__file__).resolve().parent.parent

SRT = "1\n00:00:01,000 --> 00:00:03,000\n<i>지금부터 훼의을</i>\n시작하겠습니다\n\n2\n00:00:03,500 --> 00:00:04,000\nOK\n"
VTT = "WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.500 align:start\n스프린트 킥오프 훼의를 시작합니다\n"
WHISPER = {"language": "ko", "text": " 훼의을 시작합니다.",
           "segments": [{"id": 0, "start": 0.0, "end": 2.0, "text": " 훼의을 시작합니다.", "avg_logprob": -0.5,
                         "no_speech_prob": 0.01}]}
REQUEST = {"request_id": "r1", "segments": [{"id": "s1", "text": "훼의을 시작합니다"}], "hotwords": ["회의"]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("subs")
    (root / "nested").mkdir()
    (root / "a.srt").write_text(SRT, encoding="utf-8")
    (root / "nested" / "b.vtt").write_text(VTT, encoding="utf-8")
    (root / "nested" / "w.json").write_text(json.dumps(WHISPER, ensure_ascii=False), encoding="utf-8")
    (root / "requests.jsonl").write_text(json.dumps(REQUEST, ensure_ascii=False) + "\n", encoding="utf-8")
    (root / "old.corrected.srt").write_text(SRT, encoding="utf-8")  # an earlier run's output: skipped
    (root / "notes.txt").write_text("not a subtitle", encoding="utf-8")
    (root / "broken.srt").write_text("1\n00:00:01,000 => 00:00:02,000\n깨짐\n", encoding="utf-8")
    hotwords = root.parent / f"{root.name}-hotwords.txt"
    hotwords.write_text("# 이번 회의\n회의\n킥오프, 스프린트\n", encoding="utf-8")
    return root, hotwords


@pytest.fixture(scope="module")
def folder_run(folder, tmp_path_factory):
    root, hotwords = folder
    out = tmp_path_factory.mktemp("out")
    import io
    from contextlib import redirect_stdout
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(["correct", str(root), "-o", str(out), "--hotwords-file", str(hotwords), "-q"])
    return code, buffer.getvalue(), out


def test_folder_is_written_into_the_output_folder(folder_run):
    code, summary, out = folder_run
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == ["a.srt", "nested/b.vtt", "nested/w.json", "requests.jsonl"]
    cues = list(srt.parse((out / "a.srt").read_text(encoding="utf-8")))
    # What the pipeline makes of 훼의을 is its own business; here: every file went through it.
    assert len(cues) == 2 and cues[1].content == "OK"
    assert cues[0].content.startswith("<i>지금부터 회의") and cues[0].content.endswith("</i>\n시작하겠습니다")
    vtt = (out / "nested" / "b.vtt").read_text(encoding="utf-8")
    assert "intro\n00:00:01.000 --> 00:00:02.500 align:start\n스프린트 킥오프 회의" in vtt and "훼의" not in vtt
    corrected = json.loads((out / "nested" / "w.json").read_text(encoding="utf-8"))
    assert corrected["segments"][0]["text"].startswith(" 회의") and corrected["segments"][0]["edits"]
    response = json.loads((out / "requests.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert response["request_id"] == "r1" and response["segments"][0]["corrected"].startswith("회의")


def test_folder_summary_says_what_changed_and_what_failed(folder_run):
    code, summary, out = folder_run
    assert code == 1  # broken.srt failed; the others were still written
    assert "FAILED" in summary and "broken.srt" in summary and "line 1" in summary
    assert "4 file(s) corrected, 1 failed" in summary
    assert "hotword" in summary
    assert "- 지금부터 훼의을 시작하겠습니다" in summary and "+ 지금부터 회의" in summary


# Installed into this interpreter's environment: its console script is beside it (pip writes both at once).
needs_install = pytest.mark.skipif(not (Path(sys.executable).parent / SCRIPT_NAME).exists(), reason="the project is not installed in this environment "
                                                           "(pip install -e .; scripts/test.sh does)")


@needs_install
def test_one_file_beside_itself_through_python_dash_m_from_another_folder(folder, tmp_path):
    root, hotwords = folder
    source = tmp_path / "one.srt"
    source.write_text(SRT, encoding="utf-8")
    (tmp_path / "hotwords.txt").write_text(hotwords.read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-m", "cli", "correct", "one.srt", "--hotwords-file", "hotwords.txt"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1/2" in done.stdout
    assert "files: 100%" in done.stderr  # the progress bar
    assert "지금부터 회의" in (tmp_path / "one.corrected.srt").read_text(encoding="utf-8")


@needs_install
def test_the_console_script_runs_from_another_folder(tmp_path):
    script = Path(sys.executable).parent / SCRIPT_NAME
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(script), "correct", "--help"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {SCRIPT_NAME} correct")


def test_a_missing_terms_file_is_one_line(tmp_path, capsys):
    source = tmp_path / "one.srt"
    source.write_text(SRT, encoding="utf-8")
    for option in ("--hotwords-file", "--lexicon-file"):
        assert main(["correct", str(source), option, str(tmp_path / "nope.txt")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.splitlines() == [f"python -m cli: error: {option} {tmp_path / 'nope.txt'}: no such file"]
    assert not (tmp_path / "one.corrected.srt").exists()


def test_a_bad_setting_is_one_line(tmp_path, capsys, monkeypatch):
    source = tmp_path / "one.srt"
    source.write_text(SRT, encoding="utf-8")
    monkeypatch.setenv("EC_GUARD_CER", "7")
    assert main(["correct", str(source), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "EC_GUARD_CER='7'" in err[0] and "allowed: a number from 0 to 1" in err[0]


@pytest.mark.parametrize("output, folder_name", [("newdir/", "newdir"), ("existing", "existing")])
def test_one_file_into_a_folder_keeps_its_name(folder, tmp_path, output, folder_name):
    source = tmp_path / "one.srt"
    source.write_text(SRT, encoding="utf-8")
    (tmp_path / "existing").mkdir()
    assert main(["correct", str(source), "-o", f"{tmp_path}/{output}", "--hotwords-file", str(folder[1]), "-q"]) == 0
    folder = tmp_path / folder_name
    assert folder.is_dir() and [p.name for p in folder.iterdir()] == ["one.srt"]
    cues = list(srt.parse((folder / "one.srt").read_text(encoding="utf-8")))
    assert len(cues) == 2 and cues[0].content.startswith("<i>지금부터 회의")


def test_one_file_to_a_file_name(tmp_path, capsys):
    source = tmp_path / "one.srt"
    source.write_text(SRT, encoding="utf-8")
    assert main(["correct", str(source), "-o", str(tmp_path / "fixed.srt"), "-q"]) == 0
    assert (tmp_path / "fixed.srt").is_file()


def test_missing_input_is_an_error(tmp_path, capsys):
    assert main(["correct", str(tmp_path / "nope.srt")]) == 2
    assert "does not exist" in capsys.readouterr().err
