"""SRT and WebVTT in and out: the cue layout rules, and round trips through POST /ec/correct/subtitle."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import srt
import webvtt
from fastapi.testclient import TestClient

from service.formats.cue_text import CueLayout
from service.formats.offsets import map_offset
from service.text_spans import apply_edits
from service.formats.subtitle import SubtitleError, correct_subtitle, parse_subtitle
from service.types import Edit, SegmentResult, TermLists

HOTWORDS = "회의\n안건, 스프린트\n킥오프"

SRT_FILE = """1
00:00:01,000 --> 00:00:03,200
<i>지금부터 훼의을</i>
시작하겠습니다

2
00:00:03,500 --> 00:00:05,000 X1:100 X2:600 Y1:50 Y2:90
{\\an8}오늘 <b>스프린트</b> 킥오프는
API 설계 리뷰입니다

3
00:00:05,500 --> 00:00:06,000

4
00:00:06,200 --> 00:00:08,900
<font color="#ffff00">Sprint planning</font> 다음 주 월요일

5
00:00:09,000 --> 00:00:11,000
OK, thank you.
"""

VTT_FILE = """WEBVTT - 주간 회의

NOTE 자동 생성 자막

STYLE
::cue(.yellow) { color: yellow; }

intro
00:00:01.000 --> 00:00:03.200 line:0 position:20% align:start
<v 민수><i>지금부터 훼의을</i>
시작하겠습니다

00:00:03.500 --> 00:00:05.000
<c.yellow>스프린트</c> 킥오프 &amp; 리뷰

00:00:05.500 --> 00:00:06.000

outro
00:00:06.200 --> 00:00:08.900 align:end
Thank you, 수고하셨습니다
"""


# -- the layout rules, with hand-made edits (no pipeline) ---------------------------------------------------
def test_layout_lifts_tags_and_joins_lines():
    layout = CueLayout.from_lines(["<i>지금부터 훼의을</i>", "시작하겠습니다"])
    assert layout.plain == "지금부터 훼의을 시작하겠습니다"
    assert [a.markup for a in layout.anchors] == ["<i>", "</i>"]
    assert layout.breaks == [8]


def test_layout_puts_tags_and_line_breaks_back_through_edits():
    layout = CueLayout.from_lines(["<i>지금부터 훼의을</i>", "시작하겠읍다"])
    edits = [Edit(5, 8, "훼의을", "회의를", "hotword"), Edit(9, 15, "시작하겠읍다", "시작하겠습니다", "spelling")]
    corrected = apply_edits(layout.plain, edits)
    assert layout.render(corrected, edits) == ["<i>지금부터 회의를</i>", "시작하겠습니다"]


def test_layout_moves_a_line_break_inside_an_edit_to_the_nearest_space():
    layout = CueLayout.from_lines(["지금부 훼의을", "시작하겠다"])
    edits = [Edit(0, 7, "지금부 훼의을", "지금부터 회의를", "nbest")]
    assert layout.render(apply_edits(layout.plain, edits), edits) == ["지금부터 회의를", "시작하겠다"]


def test_layout_breaks_at_the_nearest_space_left_or_keeps_one_line():
    layout = CueLayout.from_lines(["회의", "를 시작"])
    edits = [Edit(2, 3, " ", "", "spacing")]  # the space the break stood on is gone
    assert layout.render(apply_edits(layout.plain, edits), edits) == ["회의를", "시작"]
    layout = CueLayout.from_lines(["회의", "를"])
    assert layout.render("회의를", edits) == ["회의를"]  # no space left anywhere: one line


def test_layout_unchanged_cue_comes_back_verbatim():
    lines = ["{\\an8}<b>회의</b>  시작", "  OK  "]
    layout = CueLayout.from_lines(lines)
    assert layout.plain == "회의 시작 OK"
    assert layout.render(layout.plain, []) == lines


def test_offsets_insertions_respect_which_side_a_tag_sticks_to():
    edits = [Edit(2, 2, "", ".", "punctuation")]
    assert map_offset(2, edits, "previous") == 2  # a closing tag stays before the added period
    assert map_offset(2, edits, "next") == 3
    assert map_offset(2, [Edit(0, 4, "abcd", "abcdefgh", "x")]) == 4  # proportional inside a replacement


class Unchanged:
    def correct(self, segments, terms, observer=None):
        return [SegmentResult(s.id, s.text, s.text, 0.0, s.text, [], s.start, s.end, "unchanged") for s in segments]


def test_nothing_changed_gives_the_same_cues_back():
    document = parse_subtitle(SRT_FILE, "a.srt")
    outcome = correct_subtitle(Unchanged(), document, TermLists())
    assert outcome.changes == []
    assert list(srt.parse(outcome.text)) == list(srt.parse(SRT_FILE))
    vtt = correct_subtitle(Unchanged(), parse_subtitle(VTT_FILE, "a.vtt"), TermLists())
    assert vtt.text == webvtt.WebVTT.from_string(VTT_FILE).content


@pytest.mark.parametrize("text, line", [
    ("1\n00:00:01,000 --> 00:00:02,000\n안녕\n\n2\n00:00:0x,000 -> 00:00:03\n깨진 줄\n\n3\n00:00:04,000 --> 00:00:05,000\n끝\n", 5),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n안녕\n\n00:00:03.000 --> 00:00:0x.000\n깨진 큐\n", 6),
])
def test_broken_files_say_where(text, line):
    with pytest.raises(SubtitleError) as error:
        parse_subtitle(text)
    assert error.value.line == line


# -- through the endpoint, with the real pipeline ------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    from app import create_app
    with TestClient(create_app()) as test_client:
        yield test_client


def _post(client, name, content, **form):
    return client.post("/ec/correct/subtitle", files={"file": (name, content.encode("utf-8"))},
                       data={"hotwords": HOTWORDS, **form})


def _first_cue_fixed(text, opening):
    first, second = text.split("\n")
    return (first.startswith(opening + "회의") and first.endswith("</i>") and "훼의" not in first
            and second == "시작하겠습니다")


def _tags(text):
    return re.findall(r"<[^>]+>|\{\\[^}]+\}", text)


def test_srt_round_trip_keeps_cues_and_corrects_text(client):
    response = _post(client, "meeting.srt", SRT_FILE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-subrip")
    assert "meeting.corrected.srt" in response.headers["content-disposition"]
    before, after = list(srt.parse(SRT_FILE)), list(srt.parse(response.text))
    assert [(s.index, s.start, s.end, s.proprietary) for s in after] == \
           [(s.index, s.start, s.end, s.proprietary) for s in before]
    for b, a in zip(before, after):
        assert _tags(a.content) == _tags(b.content)  # styling survives
        assert a.content.count("\n") == b.content.count("\n")  # multi-line cues stay multi-line
    # The exact respelling is the pipeline's business (tests/test_pipeline*); here: corrected inside the tags,
    # on the first of its two lines.
    assert _first_cue_fixed(after[0].content, "<i>지금부터 ")
    assert after[2].content == ""  # the empty cue
    assert after[4].content == "OK, thank you."  # not Korean: untouched
    changed = sum(a.content != b.content for a, b in zip(after, before))
    assert int(response.headers["x-cues-changed"]) == changed >= 1
    assert int(response.headers["x-cues-total"]) == 5


def test_vtt_round_trip_keeps_identifiers_settings_and_header(client):
    response = _post(client, "meeting.vtt", VTT_FILE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/vtt")
    assert response.text.startswith("WEBVTT - 주간 회의\n")
    assert "NOTE 자동 생성 자막" in response.text and "::cue(.yellow)" in response.text
    before = webvtt.WebVTT.from_string(VTT_FILE).captions
    after = webvtt.WebVTT.from_string(response.text).captions
    assert [(c.identifier, c.start, c.end, str(c.settings)) for c in after] == \
           [(c.identifier, c.start, c.end, str(c.settings)) for c in before]
    assert _first_cue_fixed(after[0].raw_text, "<v 민수><i>지금부터 ")
    assert "<c.yellow>" in after[1].raw_text and "&amp;" in after[1].raw_text
    assert after[2].lines == []


def test_format_field_converts_srt_to_vtt(client):
    response = _post(client, "meeting.srt", SRT_FILE, format="vtt")
    assert response.status_code == 200
    captions = webvtt.WebVTT.from_string(response.text).captions
    assert len(captions) == 5
    assert captions[1].identifier == "2" and captions[1].start == "00:00:03.500"
    assert _first_cue_fixed(captions[0].raw_text, "<i>지금부터 ")


def test_broken_srt_is_a_422_that_names_the_line(client):
    broken = "1\n00:00:01,000 --> 00:00:02,000\n안녕\n\n2\n00:00:03,000 => 00:00:04,000\n깨진 줄\n"
    response = _post(client, "broken.srt", broken)
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["field"] == "file" and problem["line"] == 5
    assert "line 5" in response.json()["message"]


def test_vtt_without_header_is_a_422(client):
    response = _post(client, "broken.vtt", "00:00:01.000 --> 00:00:02.000\n안녕\n")
    assert response.status_code == 422
    assert "WEBVTT" in response.json()["message"]


def test_unknown_output_format_is_a_422(client):
    response = _post(client, "a.srt", SRT_FILE, format="ass")
    assert response.status_code == 422


def test_cp949_file_is_read(client):
    response = client.post("/ec/correct/subtitle",
                           files={"file": ("a.srt", "1\n00:00:01,000 --> 00:00:02,000\n훼의을 시작합니다\n".encode("cp949"))},
                           data={"hotwords": "회의"})
    assert response.status_code == 200
    assert list(srt.parse(response.text))[0].start == timedelta(seconds=1)
