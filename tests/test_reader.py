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


@pytest.mark.parametrize("text, mark", [
    ("벌써 회의가 끝난 거야", "?"),            # the explanatory …ㄴ 거야 asks to confirm
    ("중요한 건 포기하지 않는 거야", "."),     # … but not in a pseudo-cleft
    ("내가 먼저 연락한 거야", "."),            # … nor when the speaker explains their own act
    ("내일 다시 올 거야", "."),                # …ㄹ 거야 is an intention
])
def test_the_explanatory_geoya_asks_only_about_what_happened(kiwi, text, mark):
    assert mark_of(kiwi, text) == mark


@pytest.mark.parametrize("text, mark", [
    ("이 정도면 발표 자료는 충분하겠지", "?"),  # plain …겠지 asks the listener to agree
    ("회의실 예약은 다 끝난 거지", "?"),        # … as does …ㄴ 거지
    ("모두 내일 회의에 올 거지", "?"),
    ("내가 너무 서둘렀던 거겠지", "."),         # the speaker musing about themselves states
    ("이 정도면 충분하겠지요", "."),            # the polite …겠지요 is a statement as a rule
])
def test_plain_geitji_and_geoji_seek_agreement(kiwi, text, mark):
    assert mark_of(kiwi, text) == mark


@pytest.mark.parametrize("text, mark", [
    ("점심은 국수야 김밥이야", "?"),           # A야 B야: Kiwi reads the first 야 as a particle
    ("아니면 다음 주야", "?"),                 # "or …" (Kiwi reads 아니 + 면)
    ("창문 좀 열지 그래", "?"),                # …지 그래: "why don't you"
    ("좀 쉬시지 그러세요", "?"),
    ("서류 좀 보내 주시겠어요", "?"),          # the listener's will
    ("시원한 물 한 잔 드시겠어요", "?"),       # an honorific verb with no separate -시-
    ("많이 피곤하시겠어요", "."),              # a guess about a state
    ("저는 물을 마시겠어요", "."),             # the speaker's own will, no honorific
    ("오늘 저녁에 시간 있으세요", "?"),        # what the listener has
    ("여기서 잠깐 기다리고 있으세요", "."),    # the auxiliary 있다: a request
    ("이 파일 열 수가 있어", "?"),             # …ㄹ 수(가) 있어 with no first-person subject
    ("회의가 몇 시에 끝나는지 아세요", "?"),   # …는지 아세요: "do you know whether …" (Kiwi reads 아 + 세요)
    ("다음부터는 더 잘 아세요", "."),
])
def test_evidence_that_a_plain_or_polite_ending_asks(kiwi, text, mark):
    assert mark_of(kiwi, text) == mark


@pytest.mark.parametrize("text, mark", [
    ("몇 명이나 왔어", "?"),                   # 몇 + counter + (이)나 still asks
    ("화면 밝기는 어느 정도야", "?"),          # 어느 정도 as a noun asks "how much"
    ("이제 어느 정도 익숙해졌어", "."),        # … as an adverb it is "somewhat"
    ("뭘 입어도 잘 어울려요", "."),            # a question word inside a concessive clause
    ("오늘 친구 만나는데 뭐 입어", "?"),       # 뭐 before a verb is "what", though Kiwi reads an interjection
    ("화면 끌 때는 뭐 눌러", "?"),
    ("뭐 괜찮아", "."),                        # … before an adjective it is one ("well")
    ("아까 전화 왔는데 뭔 얘기가 나왔어", "?"),  # 뭔, the spoken 무슨
    ("주말에 어디서 만날 지 아직 몰라요", "."),     # …ㄹ 지 written apart closes the question word as …ㄹ지
    ("졸업한 지 얼마나 됐어", "?"),            # … and one after it still asks
])
def test_question_words_that_ask_and_that_do_not(kiwi, text, mark):
    assert mark_of(kiwi, text) == mark


def test_a_proposal_asked_at_the_listener_takes_a_question_mark_the_musing_one_a_period(kiwi):
    assert mark_of(kiwi, "회의 시간을 바꾸는 게 어때") == "?"
    assert mark_of(kiwi, "회의 시간을 바꾸는 건 어떨까요") == "."


def test_only_the_insistent_jura_request_takes_an_exclamation_mark(kiwi):
    assert mark_of(kiwi, "빨리 그 노래 틀어주라") == "!"
    assert mark_of(kiwi, "그 노래 틀어줘") == "."
    assert mark_of(kiwi, "아 그랬구나") == "."       # exclamatory endings keep the period (measured)
    assert mark_of(kiwi, "우리 같이 가자") == "."


def test_an_exclamation_mark_is_a_punctuation_edit_like_the_others(pipeline):
    [result] = pipeline.correct([SegmentInput("a", "빨리 그 노래 틀어주라")], TermLists())
    assert result.corrected == "빨리 그 노래 틀어주라!" and result.status == "punctuated"
    assert [(e.after, e.source) for e in result.edits] == [("!", "punctuation")]


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


# A word Kiwi does not know: its spacing model cuts it (오케스트 레이 션) where no space was.
UNKNOWN_TERM = "오케스트레이션"
UNSPACED_WITH_TERM = UNKNOWN_TERM + "을적용해주세요"


def test_spacing_leaves_a_protected_span_as_it_is(refiner):
    assert UNKNOWN_TERM not in refiner.refine([UNSPACED_WITH_TERM])[0].text  # the harm, unprotected
    [kept] = refiner.refine([UNSPACED_WITH_TERM], [[(0, len(UNKNOWN_TERM))]])
    assert kept.text == UNKNOWN_TERM + "을 적용해 주세요"  # the rest is still spaced
    # A space inside a protected span stays, though spacing removes it elsewhere; each text has its own spans.
    cut = "우리 동네 도서관 은 조용해요"
    assert refiner.refine([cut])[0].text == "우리 동네 도서관은 조용해요"
    texts = [cut, UNSPACED_WITH_TERM]
    first, second = refiner.refine(texts, [[(cut.index("도서관 은"), cut.index("도서관 은") + 5)], []])
    assert first.text == cut and UNKNOWN_TERM not in second.text
    with pytest.raises(ValueError):
        refiner.refine(texts, [[]])


def test_the_pipeline_protects_the_terms_the_reranker_wrote(pipeline, monkeypatch):
    real = pipeline.resources.refiner
    calls = []

    class Recording:
        name = real.name

        def refine(self, texts, protected=None):
            calls.append((texts, protected))
            return real.refine(texts, protected)

    monkeypatch.setattr(pipeline.resources, "refiner", Recording())
    misheard = "오케스트래이션을적용해주세요"
    [result] = pipeline.correct([SegmentInput("a", misheard)], TermLists(hotwords=(UNKNOWN_TERM,)))
    assert UNKNOWN_TERM in result.corrected
    [(texts, protected)] = calls
    assert [texts[0][a:b].startswith(UNKNOWN_TERM) for a, b in protected[0]] == [True]
    # A segment with no term edit protects nothing.
    calls.clear()
    pipeline.correct([SegmentInput("b", "지금부터회의를시작하겠습니다")], TermLists(hotwords=(UNKNOWN_TERM,)))
    assert calls[0][1] == [[]]


def test_the_neural_refiner_keeps_a_protected_term_or_falls_back(kiwi):
    from service.neural.refiner import KoBartRefiner, Proposal

    class SplittingGenerator:
        def generate(self, texts):
            return [Proposal("오케스트 레이 션을 적용해 주세요.") for _ in texts]

    refiner = KoBartRefiner(SplittingGenerator(), KiwiRefiner(kiwi), max_cer=0.35)
    assert refiner.refine([UNSPACED_WITH_TERM])[0].source == "kobart"
    [kept] = refiner.refine([UNSPACED_WITH_TERM], [[(0, len(UNKNOWN_TERM))]])
    assert kept.text == UNKNOWN_TERM + "을 적용해 주세요" and kept.source == "spacing"


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
