"""Each pipeline stage on its own, with cases that could go wrong."""
from __future__ import annotations

import pytest

from service import candidates as cand
from service.evidence import char_confidences
from service.guard import guard
from service.kiwi_lm import KiwiToolkit
from service.particles import agree
from service.phonology import pronounce, sound_distance
from service.postprocess import drop_decoder_repeats, postprocess
from service.suspects import find_suspect_spans
from service.types import Hypothesis, SegmentInput, SuspectSpan, WordEvidence


@pytest.fixture(scope="module")
def kiwi(kiwi_toolkit) -> KiwiToolkit:
    return kiwi_toolkit  # the session's (tests/conftest.py): loading another takes seconds and half a gigabyte


# --- phonology -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelled, said", [
    ("방법을", "방버블"),      # liaison
    ("국물", "궁물"),          # nasalisation
    ("같이", "가치"),          # palatalisation
    ("축하", "추카"),          # aspiration
    ("좋아", "조아"),          # ㅎ dropped before a vowel
    ("신라", "실라"),          # lateralisation
    ("학교", "학꾜"),          # tensing after a stop
    ("값이", "갑시"),          # double coda split over the boundary
])
def test_pronounce_applies_the_standard_sound_changes(spelled, said):
    assert pronounce(spelled) == said


def test_sound_distance_is_small_for_sound_alikes_and_large_otherwise():
    assert sound_distance("훼의", "회의") == 0  # merged vowels sound the same
    assert sound_distance("방버블", "방법을") == 0
    assert sound_distance("생깍", "생각") < 1  # tension alone is a half step
    assert sound_distance("회의", "점심") >= 4


# --- particles -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("noun, suffix, expected", [
    ("회의", "을", "를"), ("방법", "를", "을"), ("출장", "가", "이"), ("코타", "은", "는"),
    ("서울", "으로", "로"), ("학교", "과", "와"), ("회의", "기간은", "기간은"),
])
def test_particle_follows_the_final_sound_of_the_noun(noun, suffix, expected):
    assert agree(noun, suffix) == expected


# --- evidence ------------------------------------------------------------------------------------------

def test_words_grouped_across_spaces_are_aligned_by_characters():
    segment = SegmentInput("s", "지금부터 회의를 시작", words=(
        WordEvidence("지금부터회의를", confidence=0.3), WordEvidence("시작", confidence=0.9)))
    confidences = char_confidences(segment)
    assert confidences[4] is None  # the space
    assert confidences[0] == pytest.approx(0.3) and confidences[6] == pytest.approx(0.3)
    assert confidences[-1] == pytest.approx(0.9)


def test_logprob_stands_in_for_a_missing_confidence():
    segment = SegmentInput("s", "회의", words=(WordEvidence("회의", logprob=-2.0),))
    assert char_confidences(segment)[0] == pytest.approx(0.135, abs=1e-3)


# --- suspects ------------------------------------------------------------------------------------------

def test_low_confidence_eojeol_is_suspect_and_a_confident_one_is_not(kiwi):
    text = "오늘 훼의를 시작"
    segment = SegmentInput("s", text, words=(
        WordEvidence("오늘", confidence=0.95), WordEvidence("훼의를", confidence=0.35),
        WordEvidence("시작", confidence=0.93)))
    spans = find_suspect_spans(text, kiwi.analyze([text])[0], char_confidences(segment), 0.7)
    by_text = {s.text: s for s in spans}
    assert by_text["훼의를"].doubt == pytest.approx(0.65)
    assert by_text["오늘"].doubt < 0.1


# --- candidates ----------------------------------------------------------------------------------------

def _all_doubtful(text: str) -> list[SuspectSpan]:
    from service.text_spans import eojeols
    return [SuspectSpan(w.start, w.end, w.text, 0.9) for w in eojeols(text)]


def test_low_confidence_noun_is_restored_from_a_hotword_with_its_particle():
    index = cand.TermIndex.build(("회의", "안건", "스프린트"), "hotword", 0.34)
    edits = cand.term_edits("지금부터 훼의을 시작", _all_doubtful("지금부터 훼의을 시작"), index, 0.3)
    assert [(e.start, e.end, e.after) for e in edits] == [(5, 8, "회의를")]


def test_hotword_is_found_inside_a_compound():
    index = cand.TermIndex.build(("카드",), "hotword", 0.34)
    edits = cand.term_edits("농협가드 청구서", _all_doubtful("농협가드 청구서"), index, 0.3)
    assert [e.after for e in edits] == ["농협카드"]


def test_a_confident_word_is_not_replaced_by_a_term_that_only_sounds_close():
    index = cand.TermIndex.build(("코타",), "hotword", 0.34)
    assert cand.term_edits("코다는", [SuspectSpan(0, 3, "코다는", 0.02)], index, 0.3) == []
    # ...but a doubtful one is
    assert [e.after for e in cand.term_edits("코다는", [SuspectSpan(0, 3, "코다는", 0.6)], index, 0.3)] == ["코타는"]


def test_unrelated_terms_are_not_proposed():
    index = cand.TermIndex.build(("스프린트", "킥오프"), "hotword", 0.34)
    assert cand.term_edits("점심 먹자", _all_doubtful("점심 먹자"), index, 0.3) == []


def test_nbest_is_aligned_span_by_span():
    edits = cand.nbest_span_edits("지금부 훼의을 시작하겠읍다", "지금부터 회의를 시작하겠습니다")
    assert [(e.start, e.end, e.after) for e in edits] == [
        (0, 3, "지금부터"), (4, 7, "회의를"), (8, 14, "시작하겠습니다")]


def test_filler_alternatives_are_recognised():
    assert cand.is_filler("회의를 지금부터 시작", ["지금부터 회의를 시작"])  # swapped words
    assert cand.is_filler("지금부터 회의를 시작.", ["지금부터 회의를 시작"])  # a period added
    assert not cand.is_filler("지금부터 회의를 시작해", ["지금부터 회의를 시작"])


def test_nbest_alternatives_skip_fillers_and_the_text_itself():
    nbest = (Hypothesis("가 나 다", 1), Hypothesis("나 가 다", 2), Hypothesis("가 나 다.", 3), Hypothesis("가 너 다", 4))
    assert [h.text for h in cand.nbest_alternatives("가 나 다", nbest, 8)] == ["가 너 다"]


def test_spelling_edits_repair_pronunciation_spelling(kiwi):
    text = "방법을 모르게써"
    readings = kiwi.typo_readings([text], top_n=1)[0]
    edits = cand.spelling_edits(text, readings[0], kiwi.join)
    assert cand.apply_edits(text, edits) == "방법을 모르겠어"


# --- guard ---------------------------------------------------------------------------------------------

def test_guard_refuses_a_rewrite_and_keeps_the_earlier_text():
    decision = guard("오늘 회의는 세 시에 시작합니다", "내일 저녁은 집에서 먹겠습니다", 0.35)
    assert not decision.accepted and decision.text == "오늘 회의는 세 시에 시작합니다"


def test_guard_accepts_a_respelling_that_keeps_the_sound():
    decision = guard("방버블 모르게써", "방법을 모르겠어", 0.35)
    assert decision.accepted and decision.text == "방법을 모르겠어"


# --- post-processing -----------------------------------------------------------------------------------

def test_repeated_phrases_from_the_decoder_are_removed_but_emphasis_stays():
    assert drop_decoder_repeats("회의를 시작 회의를 시작 하겠습니다") == "회의를 시작 하겠습니다"
    assert drop_decoder_repeats("네 네 네 알겠습니다") == "네 알겠습니다"
    assert drop_decoder_repeats("정말 정말 좋아") == "정말 정말 좋아"


def test_postprocess_fixes_whitespace_and_adds_one_final_mark():
    assert postprocess("  회의를   시작합니다 ", ".") == "회의를 시작합니다."
    assert postprocess("회의를 시작합니까 ?", "?") == "회의를 시작합니까?"
