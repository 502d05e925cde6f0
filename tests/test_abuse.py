"""Hand-written abuse cases against POST /ec/correct: every one is a 2xx or a 4xx that names the field, never
a 5xx, and the service keeps answering afterwards."""
from __future__ import annotations

import json
import math
import unicodedata

import pytest

from routes.middleware import json_depth
from tests.production_helpers import client_with, request_body, segment


@pytest.fixture(scope="module")
def client():
    with client_with(MAX_BODY_BYTES=200_000, MAX_JSON_DEPTH=32) as c:
        yield c


def post_raw(client, body: bytes | str, content_type: str = "application/json", **headers):
    return client.post("/ec/correct", content=body, headers={"content-type": content_type, **headers})


def strict_json(response) -> dict:
    """Parse refusing NaN/Infinity: the response must be JSON any client can read."""
    def refuse(token):
        raise ValueError(f"non-standard JSON number {token}")
    return json.loads(response.text, parse_constant=refuse)


def test_huge_body_refused_before_parsing(client):
    response = post_raw(client, b"[" * 300_000)
    assert response.status_code == 413
    detail = response.json()["detail"][0]
    assert detail["field"] == "body" and detail["bound"] == 200_000


def test_huge_body_without_content_length_is_counted_while_streaming(client):
    def chunks():
        for _ in range(50):
            yield b" " * 10_000  # 500 kB in chunked transfer encoding, no Content-Length

    response = client.post("/ec/correct", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_declared_content_length_over_the_bound_is_refused_unread(client):
    response = post_raw(client, b"{}", **{"content-length": "999999999"})
    assert response.status_code == 413


@pytest.mark.parametrize("depth", [33, 1_000, 30_000])
def test_deeply_nested_json(client, depth):
    for body in ('{"segments": ' + "[" * depth + "]" * depth + "}",
                 '{"segments": [], "model_version": ' + '{"a":' * depth + "1" + "}" * depth + "}"):
        response = post_raw(client, body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["bound"] == 32


def test_nesting_within_the_bound_is_fine(client):
    body = '{"segments": [], "model_version": ' + '{"a":' * 20 + "1" + "}" * 20 + "}"
    assert post_raw(client, body).status_code == 200


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(b'{"a": "[[[[{{{{\\"[[[", "b": [1, [2]]}') == 3
    assert json_depth(b'{"a": "\\\\", "b": [[[]]]}') == 4
    assert json_depth(b'"[[["') == 0


def test_nfd_hangul_is_processed_as_nfc(client):
    nfc = request_body(4)
    nfd = json.loads(json.dumps(nfc))
    for s in nfd["segments"]:
        s["text"] = unicodedata.normalize("NFD", s["text"])
        for h in s["nbest"]:
            h["text"] = unicodedata.normalize("NFD", h["text"])
    assert nfd["segments"][0]["text"] != nfc["segments"][0]["text"]
    a, b = client.post("/ec/correct", json=nfc), client.post("/ec/correct", json=nfd)
    assert a.status_code == b.status_code == 200
    assert a.json()["segments"] == b.json()["segments"]
    for s in b.json()["segments"]:
        assert unicodedata.is_normalized("NFC", s["original"]) and unicodedata.is_normalized("NFC", s["corrected"])


def test_emoji_and_control_characters(client):
    texts = ["회의를 시작하겠습니다 😀👍🏽", "회의\x00를\x07 시작\u200b하겠\r\n습니다", "\x1b[31m빨간\x1b[0m 글씨",
             "👨‍👩‍👧‍👦", "\ufeff안녕하세요\u2028반갑습니다"]
    body = {"segments": [segment(i, t) for i, t in enumerate(texts)]}
    response = client.post("/ec/correct", json=body)
    assert response.status_code == 200
    out = strict_json(response)["segments"]
    assert [s["id"] for s in out] == [s["id"] for s in body["segments"]]
    for s in out:
        assert not any(unicodedata.category(ch) == "Cc" for ch in s["corrected"]), s


def test_invisible_characters_leave_no_trace_in_the_subtitle(client):
    """A zero-width space is a word boundary and comes back as a space; a byte-order mark, a word joiner and a
    soft hyphen come back as nothing; the joiner of an emoji sequence stays."""
    texts = ["회의를\u200b시작합니다", "\ufeff회의를 시작\u2060합니다", "회\u00ad의를 시작합니다", "가족 👨\u200d👩\u200d👧"]
    out = client.post("/ec/correct", json={"segments": [segment(i, t) for i, t in enumerate(texts)]}).json()
    corrected = [s["corrected"] for s in out["segments"]]
    assert [c.rstrip(".") for c in corrected[:3]] == ["회의를 시작합니다"] * 3
    assert "\u200d" in corrected[3]


def test_an_alternative_brings_in_no_character_the_text_would_lose(client):
    """The n-best hypotheses are cleaned as the text is: one whose better words carry a control character or a
    zero-width space cannot put it into the subtitle."""
    alternatives = ["예산\u200b안을 검토합니다", "예산안\x07을 검토합니다"]
    body = {"segments": [{"id": str(k), "text": "예상안을 검토합니다",
                          "nbest": [{"rank": 1, "text": "예상안을 검토합니다"},
                                    {"rank": 2, "text": alternative}, {"rank": 3, "text": alternative}]}
                         for k, alternative in enumerate(alternatives)]}
    for segment_out in client.post("/ec/correct", json=body).json()["segments"]:
        assert "\u200b" not in segment_out["corrected"] and "\x07" not in segment_out["corrected"]


@pytest.mark.parametrize("hotword", ["쿠버\u200b네티스", "쿠버네티스\x07", "\ufeff쿠버네티스"])
def test_a_term_brings_in_no_invisible_or_control_character(client, hotword):
    body = {"segments": [{"id": "a", "text": "쿠버내티스 클러스터를 점검합니다"}], "hotwords": [hotword]}
    corrected = client.post("/ec/correct", json=body).json()["segments"][0]["corrected"]
    assert corrected.startswith("쿠버네티스 ")


def test_bad_utf8_is_4xx(client):
    assert post_raw(client, b'{"segments": [{"id": "a", "text": "\xff\xfe"}]}').status_code in (400, 422)
    assert post_raw(client, b'\xff\xfe{"segments": []}').status_code in (400, 422)


def test_lone_surrogates_become_replacement_characters(client):
    # Kiwi cannot read a lone surrogate and no UTF-8 response can carry one (the echoed id would break it).
    raw = ('{"request_id": "r\\udfff", "segments": [{"id": "\\ud800", "text": "\\ud800 회의를 시작하겠\\udc00습니다 '
           '\\ud83d\\ude00"}]}')
    response = post_raw(client, raw)
    assert response.status_code == 200
    body = response.json()
    assert body["request_id"] == "r\ufffd" and body["segments"][0]["id"] == "\ufffd"
    assert body["segments"][0]["original"].startswith("\ufffd") and "\U0001F600" in body["segments"][0]["original"]


@pytest.mark.parametrize("text", ["Hello world, this is a test", "1234 5678 90", "3.14159", "   ", "",
                                  "!!!???...", "ABC 123 def"])
def test_latin_number_and_empty_text_come_back_unchanged(client, text):
    response = client.post("/ec/correct", json={"segments": [segment(0, text)]})
    assert response.status_code == 200
    out = response.json()["segments"][0]
    assert out["edits"] == [] and out["status"].startswith("skipped")
    assert out["corrected"].strip() == text.strip()


def test_duplicate_segment_ids_each_get_an_answer(client):
    body = {"segments": [segment(0, "지금부 훼의을 시작하겠읍다"), segment(0, "회의실 예약은 제가 할게요"),
                         segment(0, "지금부 훼의을 시작하겠읍다")], "hotwords": ["회의"]}
    body["segments"][1]["id"] = body["segments"][2]["id"] = body["segments"][0]["id"]
    response = client.post("/ec/correct", json=body)
    assert response.status_code == 200
    out = response.json()["segments"]
    assert [s["original"] for s in out] == [s["text"] for s in body["segments"]]
    assert out[0] == out[2]


def test_start_after_end_is_accepted_and_echoed(client):
    body = {"segments": [segment(0, "회의를 시작하겠습니다", start=5.0, end=1.0)]}
    body["segments"][0].update(start=5.0, end=1.0)
    response = client.post("/ec/correct", json=body)
    assert response.status_code == 200
    out = response.json()["segments"][0]
    assert (out["start"], out["end"]) == (5.0, 1.0)


def test_nan_and_infinity_are_treated_as_absent(client):
    raw = ('{"segments": [{"id": "a", "text": "지금부 훼의을 시작하겠읍다", "start": NaN, "end": Infinity, '
           '"confidence": -Infinity, "no_speech_prob": NaN, "words": [{"text": "지금부", "confidence": NaN, '
           '"logprob": -Infinity}], "nbest": [{"text": "지금부터 회의를 시작하겠습니다", "score": NaN}]}], '
           '"hotwords": ["회의"]}')
    response = post_raw(client, raw)
    assert response.status_code == 200
    out = strict_json(response)["segments"][0]
    assert out["start"] is None and out["end"] is None and math.isfinite(out["gain"])


@pytest.mark.parametrize("body, field", [
    ({"segments": "not a list"}, "segments"),
    ({"segments": [{"text": "회의"}]}, "segments.0.id"),
    ({"segments": [{"id": "a"}]}, "segments.0.text"),
    ({"segments": [{"id": "a", "text": 5}]}, "segments.0.text"),
    ({"segments": [{"id": "a", "text": "회의", "confidence": True}]}, "segments.0.confidence"),
    ({}, "segments"),
])
def test_wrong_types_are_422_naming_the_field(client, body, field):
    response = client.post("/ec/correct", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]


def test_over_the_bounds_names_the_field(client):
    too_many = {"segments": [segment(i, "회의") for i in range(257)]}
    response = client.post("/ec/correct", json=too_many)
    assert response.status_code == 413 and response.json()["detail"][0]["field"] == "segments"
    too_long = {"segments": [segment(0, "회의" * 600)]}
    response = client.post("/ec/correct", json=too_long)
    assert response.status_code == 413 and response.json()["detail"][0]["field"] == "segments.0.text"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_is_4xx(client, content_type):
    assert post_raw(client, json.dumps(request_body(1)), content_type).status_code in (400, 415, 422)


def test_service_still_answers_after_the_abuse(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/ec/correct", json=request_body(2)).status_code == 200
    metrics = client.get("/metrics").text
    assert 'status="500"' not in metrics
