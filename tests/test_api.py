"""The HTTP contract of ../shared/SPEC.md, through FastAPI's TestClient and the real app (models loaded once).

These tests build their own requests: they do not need ../shared/data.
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from app import app, create_app
from schema.correct import SPEC_EXAMPLE

_PUNCTUATION = re.compile(r"[.,?!…]")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:  # the lifespan (model loading, warm-up) runs once for the module
        yield test_client


def correct(client: TestClient, body: Any) -> dict[str, Any]:
    response = client.post("/ec/correct", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def segment(id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": id, "text": text, **extra}


def message_of(response) -> str:
    """Everything the error body says, as one string (the field names are in it somewhere)."""
    return json.dumps(response.json(), ensure_ascii=False)


def names(response, field: str, bound: int | None = None) -> bool:
    """Whether the error names the field (a dotted path like `segments.0.text`; `segments[0].text` also
    counts) and, when given, the bound as a number of its own."""
    message = message_of(response)
    path = re.escape(field).replace(r"\.0\.", r"(?:\.0\.|\[0\]\.)")
    named = re.search(rf"(?<![\w.]){path}(?![\w])", message) is not None
    return named and (bound is None or re.search(rf"(?<!\d){bound}(?!\d)", message) is not None)


def without_punctuation(text: str) -> str:
    return _PUNCTUATION.sub("", text).strip()


# -- the SPEC example ---------------------------------------------------------------------------------------------
def test_spec_example_echoes_request_and_segment(client: TestClient) -> None:
    body = correct(client, SPEC_EXAMPLE)
    assert body["request_id"] == SPEC_EXAMPLE["request_id"]
    assert body["model_version"] == SPEC_EXAMPLE["model_version"]
    assert [s["id"] for s in body["segments"]] == ["seg_00000"]
    out = body["segments"][0]
    assert out["original"] == SPEC_EXAMPLE["segments"][0]["text"]
    for key in ("start", "end", "original", "picked_candidate", "gain", "corrected", "edits"):
        assert key in out


def test_spec_example_is_corrected(client: TestClient) -> None:
    out = correct(client, SPEC_EXAMPLE)["segments"][0]
    assert without_punctuation(out["corrected"]) == "지금부터 회의를 시작하겠습니다"


def test_edit_offsets_index_the_original(client: TestClient) -> None:
    out = correct(client, SPEC_EXAMPLE)["segments"][0]
    assert out["edits"], "the SPEC example needs corrections, so it has edits"
    for edit in out["edits"]:
        assert 0 <= edit["start"] <= edit["end"] <= len(out["original"])
        assert out["original"][edit["start"]:edit["end"]] == edit["before"]
        assert edit["source"]


# -- malformed requests: 4xx naming the field ---------------------------------------------------------------------
@pytest.mark.parametrize(("body", "field"), [
    pytest.param({"request_id": "r"}, "segments", id="missing-segments"),
    pytest.param({"segments": [{"text": "안녕하세요"}]}, "segments.0.id", id="segment-without-id"),
    pytest.param({"segments": [{"id": "s1"}]}, "segments.0.text", id="segment-without-text"),
    pytest.param({"segments": [{"id": "s1", "text": 123}]}, "segments.0.text", id="text-not-a-string"),
    pytest.param({"segments": {"id": "s1", "text": "안녕하세요"}}, "segments", id="segments-not-a-list"),
])
def test_malformed_request_names_the_field(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/ec/correct", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert names(response, field), response.text


def test_broken_json_is_a_4xx_about_the_body(client: TestClient) -> None:
    response = client.post("/ec/correct", content='{"segments": [{"id": "s1", "text": "안녕'.encode(),
                           headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert names(response, "body"), response.text


def test_openapi_documents_the_status_an_unparseable_body_really_gets(client: TestClient) -> None:
    broken = client.post("/ec/correct", content=b'{"segments": [', headers={"Content-Type": "application/json"})
    responses = client.get("/openapi.json").json()["paths"]["/ec/correct"]["post"]["responses"]
    assert broken.status_code == 422 and "malformed" in responses["422"]["description"].lower()
    # No other status claims unparseable bodies.
    others = {code: r["description"] for code, r in responses.items() if code != "422"}
    assert not any(word in d.lower() for d in others.values() for word in ("pars", "json", "malformed")), others
    # What 400 does document is really answered.
    bad_length = client.post("/ec/correct", content=b"{}", headers={"Content-Type": "application/json",
                                                                     "Content-Length": "ten"})
    assert bad_length.status_code == 400 and "Content-Length" in responses["400"]["description"]


# -- bounds: 413 naming the field and the bound -------------------------------------------------------------------
def test_too_many_segments_is_413(client: TestClient) -> None:
    bound = client.app.state.settings.MAX_SEGMENTS
    response = client.post("/ec/correct", json={"segments": [segment(f"s{i}", "네") for i in range(bound + 1)]})
    assert response.status_code == 413, response.text
    assert names(response, "segments", bound), response.text


def test_too_long_text_is_413(client: TestClient) -> None:
    bound = client.app.state.settings.MAX_TEXT_CHARS
    response = client.post("/ec/correct", json={"segments": [segment("s1", "가" * (bound + 1))]})
    assert response.status_code == 413, response.text
    assert names(response, "segments.0.text", bound), response.text


def test_bounds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC_MAX_SEGMENTS", "3")
    monkeypatch.setenv("EC_MAX_TEXT_CHARS", "20")
    with TestClient(create_app()) as small:
        many = small.post("/ec/correct", json={"segments": [segment(f"s{i}", "네") for i in range(4)]})
        assert many.status_code == 413, many.text
        assert names(many, "segments", 3), many.text
        long = small.post("/ec/correct", json={"segments": [segment("s1", "가" * 21)]})
        assert long.status_code == 413, long.text
        assert names(long, "segments.0.text", 20), long.text
        within = small.post("/ec/correct", json={"segments": [segment(f"s{i}", "네") for i in range(3)]})
        assert within.status_code == 200, within.text


# -- a tolerant reader ----------------------------------------------------------------------------------------------
def test_unknown_fields_are_accepted(client: TestClient) -> None:
    body = copy.deepcopy(SPEC_EXAMPLE)
    body["client"] = {"name": "frontend", "build": 7}
    body["decoder"]["features"] = {"lip": True, "audio": "wav2vec2"}
    body["encoders"]["video"] = {"name": "lipnet", "fps": 25}
    body["segments"][0]["speaker"] = "A"
    for entry in body["segments"][0]["nbest"]:
        entry["source"] = "beam"
        entry["method"] = "ctc"
    body["segments"][0]["words"][0]["extra"] = [1, 2, 3]
    out = correct(client, body)
    assert [s["id"] for s in out["segments"]] == ["seg_00000"]


@pytest.mark.parametrize("confidence", [-0.4, 1.7])
def test_out_of_range_confidences_are_clamped_not_refused(client: TestClient, confidence: float) -> None:
    body = copy.deepcopy(SPEC_EXAMPLE)
    body["segments"][0]["confidence"] = confidence
    body["segments"][0]["words"][0]["confidence"] = confidence
    body["segments"][0]["tokens"][0]["confidence"] = confidence
    body["segments"][0]["nbest"][1]["confidence"] = confidence
    out = correct(client, body)
    assert [s["id"] for s in out["segments"]] == ["seg_00000"]


# -- every segment back, in order -------------------------------------------------------------------------------
def test_every_segment_comes_back_in_order(client: TestClient) -> None:
    segments = [
        segment("a", "오늘 회의는 세 시에 시작합니다"),
        segment("b", ""),
        segment("c", "   "),
        segment("d", "OK thank you"),
        segment("e", "으 음 네", no_speech_prob=0.99),
        segment("f", "지금부 훼의을 시작하겠읍다"),
    ]
    out = correct(client, {"segments": segments, "hotwords": ["회의"]})["segments"]
    assert [s["id"] for s in out] == ["a", "b", "c", "d", "e", "f"]
    assert [s["original"] for s in out] == [s["text"] for s in segments]
    by_id = {s["id"]: s for s in out}
    assert by_id["d"]["corrected"] == "OK thank you"
    assert by_id["e"]["corrected"] == "으 음 네"


@pytest.mark.parametrize("text", ["", " ", "   \t "])
def test_empty_or_blank_text_comes_back_empty(client: TestClient, text: str) -> None:
    out = correct(client, {"segments": [segment("s1", text)]})["segments"][0]
    assert out["corrected"].strip() == ""
    assert out["edits"] == []


def test_a_right_sentence_comes_back_unchanged(client: TestClient) -> None:
    text = "오늘 날씨가 정말 좋네요"
    out = correct(client, {"segments": [segment("s1", text, confidence=0.95)]})["segments"][0]
    assert out["corrected"].rstrip(".?!…") == text
    assert all(e["source"] == "punctuation" or e["before"] == e["after"] for e in out["edits"])


# -- health, root, docs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/healthz", "/v2/health", "/openapi.json", "/docs"])
def test_get_pages_answer_200(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_health_says_which_tiers_are_loaded(client: TestClient) -> None:
    health = client.get("/v2/health").json()
    assert health["status"] == "ok"
    assert health["tiers"].get("kiwi") == "loaded"


def test_openapi_request_example_is_the_spec_example(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/ec/correct"]["post"]
    content = operation["requestBody"]["content"]["application/json"]
    examples = []
    if "example" in content:
        examples.append(content["example"])
    examples += [e.get("value", e) for e in (content.get("examples") or {}).values()]
    ref = content["schema"].get("$ref", "")
    if ref:
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        examples += component.get("examples", [])
        if "example" in component:
            examples.append(component["example"])
    assert SPEC_EXAMPLE in examples
