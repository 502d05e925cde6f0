"""Issue 11's request-side limits: the format routes hold the same bounds as /ec/correct and say which
segments the budget skipped; every error has one shape; schema and behaviour agree; a download name cannot
climb directories; WebVTT-only markup stays out of SRT output."""
from __future__ import annotations

import pytest

from routes.formats import corrected_name
from tests.production_helpers import client_with, segment

def _srt(n: int, text: str = "회의를 시작합니다") -> str:
    return "".join(f"{i + 1}\n00:00:{i % 60:02d},000 --> 00:00:{i % 60:02d},500\n{text}\n\n" for i in range(n))


@pytest.fixture(scope="module")
def client():
    with client_with(MAX_SEGMENTS=4, MAX_TEXT_CHARS=50, MAX_NBEST=1, MAX_HOTWORDS=3, MAX_LEXICON=3) as c:
        yield c


def _bound(response, field: str, bound: int) -> None:
    assert response.status_code == 413, response.text
    detail = response.json()["detail"][0]
    assert (detail["field"], detail["bound"]) == (field, bound), detail
    assert response.json()["request_id"] == response.headers["x-request-id"]


# -- the same bounds on every correcting route -------------------------------------------------------------
def test_whisper_holds_the_segment_text_and_term_bounds(client):
    segments = [{"id": i, "text": "회의"} for i in range(5)]
    _bound(client.post("/ec/correct/whisper", json={"segments": segments}), "segments", 4)
    _bound(client.post("/ec/correct/whisper", json={"segments": [{"text": "회의" * 26}]}), "segments.0.text", 50)
    _bound(client.post("/ec/correct/whisper", json={"segments": [], "hotwords": "a,b,c,d"}), "hotwords", 3)
    assert client.post("/ec/correct/whisper", json={"segments": segments[:4]}).status_code == 200


def test_vosk_holds_the_segment_and_nbest_bounds_in_every_shape(client):
    one = {"text": "회의"}
    _bound(client.post("/ec/correct/vosk", json={"results": [one] * 5}), "results", 4)
    _bound(client.post("/ec/correct/vosk", json=[one] * 5), "body", 4)
    alternatives = [{"text": "회의", "confidence": 1.0}] * 5  # MAX_NBEST 1: four hypotheses accepted
    _bound(client.post("/ec/correct/vosk", json={"alternatives": alternatives}), "alternatives", 4)
    _bound(client.post("/ec/correct/vosk", json={"results": [one, {"alternatives": alternatives}]}),
           "results.1.alternatives", 4)
    _bound(client.post("/ec/correct/vosk", json=[one, {"text": "회의" * 26}]), "1.text", 50)
    _bound(client.post("/ec/correct/vosk", json={"alternatives": [{"text": "회의"}, {"text": "회의" * 26}]}),
           "alternatives.1.text", 50)
    _bound(client.post("/ec/correct/vosk", json={"text": "회의", "domain_lexicon": ["a", "b", "c", "d"]}),
           "domain_lexicon", 3)
    assert client.post("/ec/correct/vosk", json=[one] * 4).status_code == 200


def test_subtitle_holds_the_cue_bound(client):
    response = client.post("/ec/correct/subtitle", files={"file": ("a.srt", _srt(5).encode())})
    _bound(response, "file.cues", 4)
    response = client.post("/ec/correct/subtitle", files={"file": ("a.srt", _srt(1, "회의" * 26).encode())})
    _bound(response, "file.cues.0.text", 50)
    assert client.post("/ec/correct/subtitle", files={"file": ("a.srt", _srt(4).encode())}).status_code == 200


def test_correct_bounds_each_hypothesis_and_term_length(client):
    body = {"segments": [segment(0, "회의", nbest=[{"text": "회의" * 26}])]}
    _bound(client.post("/ec/correct", json=body), "segments.0.nbest.0.text", 50)
    _bound(client.post("/ec/correct", json={"segments": [], "hotwords": ["회" * 51]}), "hotwords.0", 50)


def test_whisper_and_vosk_say_which_segments_the_budget_skipped():
    with client_with(REQUEST_BUDGET_S=0.0) as client:
        whisper = client.post("/ec/correct/whisper", json={"segments": [{"id": 0, "text": "훼의을 시작"},
                                                                         {"id": 1, "text": "회의"}]})
        assert whisper.status_code == 200
        assert [s["status"] for s in whisper.json()["segments"]] == ["timeout", "timeout"]
        assert [s["text"] for s in whisper.json()["segments"]] == ["훼의을 시작", "회의"]
        vosk = client.post("/ec/correct/vosk", json=[{"text": "훼의을 시작"}, {"text": ""}])
        assert [u["status"] for u in vosk.json()] == ["timeout", "timeout"]
    with client_with() as client:
        whisper = client.post("/ec/correct/whisper", json={"segments": [{"text": "지금부터 훼의을 시작하겠습니다"},
                                                                         {"text": ""}], "hotwords": ["회의"]})
        assert [s["status"] for s in whisper.json()["segments"]] == ["corrected", "skipped_empty"]
        single = client.post("/ec/correct/vosk", json={"text": "지금부터 회의를 시작하겠습니다"})
        assert single.json()["status"] == "unchanged"


def test_nan_in_a_clients_extra_fields_comes_back_as_null_not_a_500(client):
    raw = '{"segments": [{"text": "회의", "temperature": NaN}], "duration": Infinity}'
    response = client.post("/ec/correct/whisper", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["duration"] is None and response.json()["segments"][0]["temperature"] is None
    vosk = client.post("/ec/correct/vosk", content='[{"text": "회의", "conf": -Infinity}]',
                       headers={"content-type": "application/json"})
    assert vosk.status_code == 200 and vosk.json()[0]["conf"] is None


# -- one error shape ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, says", [
    (b'{"segments": [{"id": "a", "text": "\xff\xfe"}]}', "UTF-8"),
    (b'\xff\xfe{"segments": []}', "not valid JSON"),  # a UTF-16 byte-order mark: read as UTF-16
    (b'{"segments": [], "model_version": {"n": ' + b"7" * 4301 + b"}}", "4,300 digits"),
])
def test_unparseable_bodies_are_422_with_message_and_request_id(client, raw, says):
    response = client.post("/ec/correct", content=raw, headers={"content-type": "application/json",
                                                                "x-request-id": "bad-body-1"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"][0]["field"] == "body" and says in body["message"]
    assert body["request_id"] == "bad-body-1"


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=xyz"])
def test_broken_multipart_bodies_are_422_too(client, content_type):
    response = client.post("/ec/correct/subtitle", content=b"garbage", headers={"content-type": content_type})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "body" and "multipart" in response.json()["message"]


def test_every_error_carries_message_and_request_id(client):
    answers = [client.post("/ec/correct", json={"segments": "no"}),  # validation
               client.post("/ec/correct", json={"segments": [segment(i, "회의") for i in range(5)]}),  # bound
               client.get("/no-such-route"), client.delete("/ec/correct"),  # framework
               client.post("/ec/correct/subtitle", files={"file": ("a.srt", b"not a subtitle")})]  # unreadable file
    assert [a.status_code for a in answers] == [422, 413, 404, 405, 422]
    for answer in answers:
        body = answer.json()
        assert body["message"] and body["request_id"] == answer.headers["x-request-id"], body


def test_openapi_documents_unparseable_bodies_as_422_not_400(client):
    operation = client.get("/openapi.json").json()["paths"]["/ec/correct"]["post"]["responses"]
    assert "Content-Length" in operation["400"]["description"]
    assert "422" in operation


def test_boolean_rank_is_refused_like_other_numbers(client):
    body = {"segments": [segment(0, "회의", nbest=[{"text": "회의", "rank": False}])]}
    response = client.post("/ec/correct", json=body)
    assert response.status_code == 422 and "segments.0.nbest.0.rank" in response.json()["message"]
    body["segments"][0]["nbest"][0]["rank"] = 2
    assert client.post("/ec/correct", json=body).status_code == 200
    whisper = client.post("/ec/correct/whisper", json={"segments": [{"id": True, "text": "회의"}]})
    assert whisper.status_code == 422 and "segments.0.id" in whisper.json()["message"]


# -- the schema says what the routes do ------------------------------------------------------------------
def _request_schema(client, path: str) -> dict:
    spec = client.get("/openapi.json").json()
    ref = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return spec, ref


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_term_strings_are_in_the_schema_and_accepted(client):
    for path, body in (("/ec/correct/whisper", {"segments": [{"text": "훼의을 시작"}]}),
                       ("/ec/correct/vosk", {"text": "훼의을 시작"})):
        spec, ref = _request_schema(client, path)
        schema = _resolve(spec, ref if path.endswith("whisper") else ref["anyOf"][0])
        lexicon = schema["properties"]["domain_lexicon"]
        assert {"type": "string"} in lexicon["anyOf"], lexicon
        assert client.post(path, json={**body, "domain_lexicon": "회의록, 발표", "hotwords": "회의"}).status_code == 200


def test_empty_vosk_object_is_refused_by_schema_and_route(client):
    spec, ref = _request_schema(client, "/ec/correct/vosk")
    for branch in ref["anyOf"]:
        schema = _resolve(spec, branch if "$ref" in branch else branch.get("items", branch))
        # Every shape the route accepts requires one of the keys that hold a hypothesis: {} matches none.
        assert schema["anyOf"] and all(option.get("required") for option in schema["anyOf"]), schema
    for body in ({}, [{}], {"results": [{}]}, {"alternatives": []}, {"text": None}):
        response = client.post("/ec/correct/vosk", json=body)
        assert response.status_code == 422, (body, response.text)
    assert client.post("/ec/correct/vosk", json={"text": ""}).status_code == 200


# -- files out ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("uploaded, expected", [
    ("../../etc/passwd", "passwd.corrected.srt"),
    ("..\\..\\windows\\system.ini", "system.corrected.srt"),
    ("회의록.srt", "회의록.corrected.srt"),
    ('a"b\r\nX-Evil: 1.srt', "abX-Evil 1.corrected.srt"),
    ("..", "subtitles.corrected.srt"),
    ("/", "subtitles.corrected.srt"),
    (".hidden.srt", "hidden.corrected.srt"),
])
def test_download_name_is_a_plain_file_name(uploaded, expected):
    assert corrected_name(uploaded, "srt") == expected


def test_download_header_has_no_directory(client):
    response = client.post("/ec/correct/subtitle", files={"file": ("../../etc/passwd", _srt(1).encode())})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''passwd.corrected.srt"


def test_webvtt_voice_and_class_tags_stay_out_of_srt(client):
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Bob>회의를 <c.loud>시작</c>합니다</v>\n\n"
           "00:00:03.000 --> 00:00:04.000\n<v.first 민수>\n<i>안녕하세요</i>\n")
    response = client.post("/ec/correct/subtitle", files={"file": ("a.vtt", vtt.encode())}, data={"format": "srt"})
    assert response.status_code == 200, response.text
    assert "<v" not in response.text and "<c" not in response.text and "</v>" not in response.text
    assert "회의를 시작합니다" in response.text and "<i>안녕하세요</i>" in response.text
    assert "\n\n\n" not in response.text  # the line that held only a voice tag is gone, not left blank



# -- format work linear in its input (a cue full of tags, a segment of thousands of words) -----------------
def test_offset_map_agrees_with_map_offset_everywhere():
    import random

    from service.formats.offsets import OffsetMap, map_offset
    from service.types import Edit

    rng = random.Random(7)
    for _ in range(2000):
        n = rng.randint(0, 20)
        text = "".join(rng.choice("가나 ") for _ in range(n))
        edits, position = [], 0
        while position <= n:
            if rng.random() < 0.3:
                end = min(n, position + rng.randint(0, 3))
                edits.append(Edit(position, end, text[position:end], "다" * rng.randint(0, 4), "x"))
                position = end + 1
            else:
                position += rng.randint(1, 3)
        rng.shuffle(edits)
        mapped = OffsetMap(edits)
        for at in range(n + 1):
            for side in ("next", "previous"):
                assert mapped(at, side) == map_offset(at, edits, side), (text, edits, at, side)


def test_retiming_many_words_maps_each_edit_to_its_own_words():
    from service.formats.word_timing import TimedWord, retime
    from service.types import Edit

    words = [TimedWord("가나", float(i), float(i) + 1) for i in range(5000)]
    original = " ".join(w.text for w in words)
    edits = [Edit(i * 30, i * 30 + 2, "가나", "다라", "x") for i in range(100)]  # every tenth word
    out = retime(original, words, edits)
    assert len(out) == 5000
    changed = [i for i, w in enumerate(out) if w.changed]
    assert changed == [i * 10 for i in range(100)] and all(out[i].text == "다라" for i in changed)
    assert all(out[i].replaces == (i,) for i in range(5000))
