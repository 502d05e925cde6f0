"""What a reader sees: the final mark, spacing, spoken repeats, and the status of a segment (real Kiwi models)."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from config import load_settings
from service.edits import segment_status
from service.kiwi_lm import KiwiToolkit
from service.pipeline import CorrectionPipeline
from service.postprocess import drop_decoder_repeats, ensure_final_punctuation
from service.refine import KiwiRefiner, final_mark
from service.resources import load_resources
from service.types import SEGMENT_STATUSES, SegmentInput, TermLists


@pytest.fixture(scope="module")
def kiwi() -> KiwiToolkit:
    toolkit = KiwiToolkit(num_workers=1)
    toolkit.warm_up()
    return toolkit


@pytest.fixture(scope="module")
def refiner(kiwi) -> KiwiRefiner:
    return KiwiRefiner(kiwi)


@pytest.fixture(scope="module")
def pipeline() -> CorrectionPipeline:
    settings = load_settings({})
    return CorrectionPipeline(load_resources(settings), settings)


def mark_of(kiwi: KiwiToolkit, text: str) -> str:
    return final_mark(text, kiwi.analyze([text])[0])


# --- the final mark --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "무엇을 도와드릴까요",        # -ㄹ까요
    "너 밥 먹었니",               # -니
    "회의실은 어디에 있나요",      # -나요
    "회의는 몇 시에 시작합니까",   # -습니까
    "지금 출발하는 건가",          # -ㄴ가
    "이 노래 검색해 줄래",          # -ㄹ래 asking the listener to act
    "같이 점심 먹을래",             # -ㄹ래 asking what the listener wants
    "어디서 만날지요",              # -ㄹ지요
])
def test_question_endings_ask(kiwi, text):
    assert mark_of(kiwi, text) == "?"


@pytest.mark.parametrize("text", [
    "회의를 시작하겠습니다",
    "오늘은 날씨가 좋네요",
    "제가 내일 다시 연락드릴게요",
    "이번 주는 정말 바빴다",
    "나는 먼저 집에 갈래",           # -ㄹ래 with the speaker as its subject: what I want
    "내일 비가 올지 모르겠어",       # an embedded -ㄹ지 under a main verb that states
    "내일 비가 올지",                # a whether-clause whose main verb was left unsaid
    "이 노래 누가 불렀는지 알려줘",  # a question word inside an embedded question of a request
])
def test_statement_endings_state(kiwi, text):
    assert mark_of(kiwi, text) == "."


@pytest.mark.parametrize("text, mark", [
    ("어디 가세요", "?"), ("조심히 들어가세요", "."),       # -세요: a question word decides
    ("언제 오셨어요", "?"), ("어제 오셨어요", "."),         # -어요 with and without a question word
    ("이거 얼마예요", "?"), ("이거 제 가방이에요", "."),    # -예요/-에요 after a noun
    ("왜 그렇게 생각해", "?"), ("나도 그렇게 생각해", "."),  # plain -어
    ("언제든지 연락 주세요", "."),                           # 언제든지 is "any time", not "when"
])
def test_the_ambiguous_endings_ask_only_with_a_question_word(kiwi, text, mark):
    assert mark_of(kiwi, text) == mark


def test_two_alternatives_side_by_side_ask_but_a_repeated_clause_does_not(kiwi):
    assert mark_of(kiwi, "커피가 좋아 차가 좋아") == "?"
    assert mark_of(kiwi, "좋아 좋아") == "."


def test_the_endings_are_matched_as_kiwi_spells_them(kiwi):
    """Kiwi writes the ㄹ of -ㄹ래 / -ㄹ지요 as the conjoining jamo U+11AF: an entry in compatibility jamo
    (U+3139) would never match."""
    forms = [m.form for m in kiwi.analyze(["같이 갈래"])[0].morphemes if m.tag == "EF"]
    assert forms and forms[-1].startswith("\u11af")
    assert mark_of(kiwi, "같이 갈래") == "?"


@pytest.mark.parametrize("text", ["넣어보세요;", "하지 마세요>", "정말 그래요~", "글쎄요…", "(웃음)", "그러니까:"])
def test_a_text_that_ends_in_a_mark_of_any_kind_gets_no_second_one(kiwi, text):
    assert mark_of(kiwi, text) == ""
    assert ensure_final_punctuation(text, ".") == text


def test_the_pipeline_adds_no_mark_after_a_mark(pipeline):
    results = pipeline.correct([SegmentInput("a", "이 버튼을 눌러 보세요;"), SegmentInput("b", "어디 가세요")],
                               TermLists())
    assert results[0].corrected == "이 버튼을 눌러 보세요;" and results[0].status == "unchanged"
    assert results[1].corrected == "어디 가세요?"


# --- spacing ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("unspaced, spaced", [
    ("지금부터회의를시작하겠습니다", "지금부터 회의를 시작하겠습니다"),
    ("내일오후에다시이야기합시다", "내일 오후에 다시 이야기합시다"),
])
def test_a_text_without_any_space_gets_its_boundaries_back(refiner, unspaced, spaced):
    assert refiner.refine([unspaced])[0].text == spaced


def test_a_long_eojeol_is_split_at_a_clear_boundary_only(refiner):
    # 회의를시작하겠습니다: a particle before a verb, clearly two words; the rest of the sentence is spaced.
    assert refiner.refine(["오늘 회의를시작하겠습니다"])[0].text == "오늘 회의를 시작하겠습니다"


@pytest.mark.parametrize("text", [
    "부모님 선물을 준비하도록 해",      # the auxiliary may be spaced or not: the speaker's choice stands
    "말로만 축하하기 보다는 직접 가자",  # a spaced particle is not glued to the word before it
    "받은 메일함에서 진에어에서 온건 삭제하면 안돼",
    "어머어머 궁금하네요",
    "사랑해봤어",                       # a short text without spaces is often one word
])
def test_a_plausibly_spaced_sentence_keeps_its_spacing(refiner, text):
    assert refiner.refine([text])[0].text == text


def test_a_space_that_cut_a_word_is_removed(refiner):
    assert refiner.refine(["연애가 사치인 사람 은 없어요"])[0].text == "연애가 사치인 사람은 없어요"


def test_a_long_space_free_text_stays_cheap_and_spaced(refiner):
    text = "지금부터회의를시작하겠습니다오늘안건은세가지입니다" * 40
    refined = refiner.refine([text])[0].text
    assert "".join(refined.split()) == text and refined.count(" ") > 100


# --- repeats ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("speech", ["잘 가 잘 가", "네 네 네", "가자 가자 빨리 가자"])
def test_spoken_repeats_come_back_whole(pipeline, speech):
    [result] = pipeline.correct([SegmentInput("a", speech)], TermLists())
    assert result.corrected.rstrip(".?!") == speech


def test_a_decoder_loop_is_removed_from_the_neural_output(kiwi):
    from service.neural.refiner import KoBartRefiner, Proposal

    class LoopingGenerator:
        def generate(self, texts):
            return [Proposal("회의를 시작 회의를 시작 회의를 시작 하겠습니다.") for _ in texts]

    refiner = KoBartRefiner(LoopingGenerator(), KiwiRefiner(kiwi), max_cer=0.35)
    [refinement] = refiner.refine(["회의를 시작 하겠습니다"])
    assert refinement.text == "회의를 시작 하겠습니다" and refinement.source == "kobart"
    assert drop_decoder_repeats("네 네 네 네 네", "네 네") == "네 네"


# --- status ----------------------------------------------------------------------------------------------

def test_status_names_what_changed():
    assert segment_status("회의를 시작합니다", "회의를 시작합니다") == "unchanged"
    assert segment_status("회의를 시작합니다", "회의를 시작합니다.") == "punctuated"
    assert segment_status("회의를시작합니다", "회의를 시작합니다.") == "corrected"
    assert segment_status("훼의를 시작합니다", "회의를 시작합니다.") == "corrected"
    assert {"punctuated", "unchanged", "corrected"} <= set(SEGMENT_STATUSES)


def test_a_final_mark_alone_is_punctuated_not_unchanged(pipeline):
    [result] = pipeline.correct([SegmentInput("a", "오늘 날씨가 정말 좋네요")], TermLists())
    assert result.corrected == "오늘 날씨가 정말 좋네요." and result.status == "punctuated"
    assert [e.source for e in result.edits] == ["punctuation"]


def test_the_cli_counts_what_the_response_says(tmp_path):
    from cli.main import main

    source = tmp_path / "requests.jsonl"
    source.write_text(json.dumps({"segments": [{"id": "a", "text": "오늘 날씨가 정말 좋네요"},
                                               {"id": "b", "text": "이 버튼을 눌러 보세요;"}]},
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    summary = io.StringIO()
    with redirect_stdout(summary):
        assert main(["correct", str(source), "-q"]) == 0
    statuses = [s["status"] for s in json.loads((tmp_path / "requests.corrected.jsonl").read_text())["segments"]]
    assert statuses == ["punctuated", "unchanged"]
    assert "1/2     changed (1 punctuation only)" in summary.getvalue()
