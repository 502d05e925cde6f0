"""Whisper verbose_json and Vosk results through the pipeline, and the word-timing rule."""
from __future__ import annotations

import copy
import math

import pytest
from fastapi.testclient import TestClient

from service.formats import vosk, whisper
from service.formats.word_timing import TimedWord, retime
from service.types import Edit

# The shape faster-whisper documents for a transcription with word_timestamps=True (Segment._asdict() with
# Word entries), as the OpenAI verbose_json serialises it; the second segment is silence Whisper doubts.
FASTER_WHISPER = {
    "task": "transcribe", "language": "ko", "duration": 6.5,
    "text": " 지금부터 훼의을 시작하겠습니다. 음악",
    "segments": [
        {"id": 1, "seek": 0, "start": 0.0, "end": 4.2, "text": " 지금부터 훼의을 시작하겠습니다.",
         "tokens": [50364, 36055, 1546, 50574], "temperature": 0.0, "avg_logprob": -0.35,
         "compression_ratio": 0.92, "no_speech_prob": 0.01,
         "words": [{"start": 0.0, "end": 0.9, "word": " 지금부터", "probability": 0.97},
                   {"start": 0.9, "end": 1.8, "word": " 훼의을", "probability": 0.41},
                   {"start": 1.8, "end": 4.2, "word": " 시작하겠습니다.", "probability": 0.93}]},
        {"id": 2, "seek": 420, "start": 4.2, "end": 6.5, "text": " 음악", "tokens": [50574, 1], "temperature": 0.0,
         "avg_logprob": -1.2, "compression_ratio": 0.5, "no_speech_prob": 0.97,
         "words": [{"start": 4.2, "end": 6.5, "word": " 음악", "probability": 0.2}]},
    ],
}

VOSK_RESULT = {
    "alternatives": [
        {"confidence": 228.4, "text": "지금부터 훼의을 시작하겠습니다",
         "result": [{"start": 0.0, "end": 0.8, "word": "지금부터"}, {"start": 0.8, "end": 1.5, "word": "훼의을"},
                    {"start": 1.5, "end": 2.6, "word": "시작하겠습니다"}]},
        {"confidence": 226.1, "text": "지금부터 회의를 시작하겠습니다",
         "result": [{"start": 0.0, "end": 0.8, "word": "지금부터"}, {"start": 0.8, "end": 1.5, "word": "회의를"},
                    {"start": 1.5, "end": 2.6, "word": "시작하겠습니다"}]},
    ]
}


def test_word_timing_splits_the_replaced_span_in_proportion():
    words = [TimedWord("지금부", 0.0, 0.6), TimedWord("훼의을", 0.6, 1.2), TimedWord("시작", 1.2, 2.0)]
    original = "지금부 훼의을 시작"
    # Two words become three: "지금부 훼의을" -> "지금 부터 회의를" (2 + 2 + 3 letters over 0.0..1.2).
    edits = [Edit(0, 7, "지금부 훼의을", "지금 부터 회의를", "nbest")]
    out = retime(original, words, edits)
    assert [w.text for w in out] == ["지금", "부터", "회의를", "시작"]
    assert [(w.start, w.end) for w in out[:3]] == [(0.0, 0.343), (0.343, 0.686), (0.686, 1.2)]
    assert out[3] == type(out[3])("시작", 1.2, 2.0, (2,), False)
    assert all(w.changed and w.replaces == (0, 1) for w in out[:3])


def test_word_timing_keeps_untouched_words_and_handles_insertions():
    words = [TimedWord("회의", 0.0, 0.5), TimedWord("시작", 0.5, 1.0)]
    out = retime("회의 시작", words, [Edit(5, 5, "", ".", "punctuation")])
    assert [(w.text, w.start, w.end, w.changed) for w in out] == [("회의", 0.0, 0.5, False), ("시작.", 0.5, 1.0, True)]


def test_whisper_evidence_maps_logprobs_and_probabilities():
    first, silent = whisper.segments_of(FASTER_WHISPER)
    assert first.id == "1" and first.text == "지금부터 훼의을 시작하겠습니다."
    assert first.confidence == pytest.approx(math.exp(-0.35))
    assert [w.confidence for w in first.words] == [0.97, 0.41, 0.93]
    assert [w.text for w in first.words] == ["지금부터", "훼의을", "시작하겠습니다."]
    assert silent.no_speech_prob == 0.97


def test_vosk_alternatives_become_the_nbest_list():
    (segment,) = vosk.segments_of(VOSK_RESULT)
    assert segment.text == "지금부터 훼의을 시작하겠습니다"
    assert [(h.rank, h.text, h.score) for h in segment.nbest] == [
        (1, "지금부터 훼의을 시작하겠습니다", 228.4), (2, "지금부터 회의를 시작하겠습니다", 226.1)]
    assert (segment.start, segment.end) == (0.0, 2.6)


@pytest.fixture(scope="module")
def client():
    from app import create_app
    with TestClient(create_app()) as test_client:
        yield test_client


def test_whisper_endpoint_answers_in_the_same_shape(client):
    body = {**copy.deepcopy(FASTER_WHISPER), "hotwords": ["회의", "안건"], "domain_lexicon": "회의록, 발표"}
    response = client.post("/ec/correct/whisper", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    first, silent = out["segments"]
    assert first["text"] == " 지금부터 회의를 시작하겠습니다."
    assert out["text"] == " 지금부터 회의를 시작하겠습니다. 음악"
    assert out["changed_segments"] == 1 and "hotwords" not in out
    for edit in first["edits"]:  # offsets in the segment's text as sent
        assert first["original_text"][edit["start"]:edit["end"]] == edit["before"]
    assert any(e["after"] == "회의를" for e in first["edits"])
    # Unknown fields come back; the silent segment is left alone.
    assert first["seek"] == 0 and first["tokens"] == [50364, 36055, 1546, 50574] and out["duration"] == 6.5
    assert silent["text"] == " 음악" and silent["edits"] == []
    words = first["words"]
    assert [w["word"] for w in words] == [" 지금부터", " 회의를", " 시작하겠습니다."]
    assert (words[1]["start"], words[1]["end"], words[1]["corrected"]) == (0.9, 1.8, True)
    assert words[0] == FASTER_WHISPER["segments"][0]["words"][0]


def test_whisper_endpoint_names_a_missing_field(client):
    response = client.post("/ec/correct/whisper", json={"segments": [{"id": 0, "start": 0.0}]})
    assert response.status_code == 422
    assert "segments.0.text" in response.json()["message"]


def test_vosk_endpoint_single_result_with_word_confidences(client):
    body = {"result": [{"conf": 0.99, "start": 0.0, "end": 0.8, "word": "지금부터"},
                       {"conf": 0.38, "start": 0.8, "end": 1.5, "word": "훼의을"},
                       {"conf": 0.97, "start": 1.5, "end": 2.6, "word": "시작하겠습니다"}],
            "text": "지금부터 훼의을 시작하겠습니다", "hotwords": "회의"}
    response = client.post("/ec/correct/vosk", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["text"] == "지금부터 회의를 시작하겠습니다"  # no period added to a recogniser segment
    assert out["result"][1] == {"word": "회의를", "start": 0.8, "end": 1.5, "conf": 0.38, "corrected": True}
    assert out["original_text"] == "지금부터 훼의을 시작하겠습니다"


def test_vosk_endpoint_alternatives_and_lists(client):
    response = client.post("/ec/correct/vosk", json=[VOSK_RESULT, {"text": ""}])
    assert response.status_code == 200, response.text
    first, empty = response.json()
    assert first["alternatives"][0]["text"] == "지금부터 회의를 시작하겠습니다"
    assert first["alternatives"][1] == VOSK_RESULT["alternatives"][1]
    assert empty["edits"] == []
    bad = client.post("/ec/correct/vosk", json={"result": [{"start": 0.0}]})
    assert bad.status_code == 422
