"""Each pipeline stage on its own, with cases that could go wrong."""
from __future__ import annotations

import pytest

from config import ScoreWeights
from service.candidates import CandidateSet
from service.repairs import (agreement_repairs, ending_apart_repairs, past_heard_as_iss_repairs,
                             said_alike_particle_repairs, single_nasal_repairs, spelling_repairs,
                             split_ending_repairs, spoken_form_repairs)
from service.evidence import char_confidences
from service.guard import guard
from service.kiwi_lm import Analysis, KiwiToolkit
from service.particles import agree
from service.phonology import pronounce, sound_distance
from service.postprocess import drop_decoder_repeats, postprocess
from service.rerank import RerankItem, rerank
from service.spelling import compose_loose_jamo
from service.suspects import find_suspect_spans
from service.loanword import said_in_hangul, spoken
from service.terms import WEAK_H_COST, TermIndex, find_terms, said_variants
from service.types import EditFacts, SegmentInput, SpanEdit, WordEvidence


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


def test_the_particle_after_a_latin_word_is_left_as_written():
    # How Google or KTX ends when said is not in its letters (구글로, 케이티엑스로): nothing to agree with.
    assert agree("Google", "로") == "로" and agree("KTX", "로") == "로" and agree("UN", "은") == "은"


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


@pytest.mark.parametrize("text, nonword", [
    ("해낼 능력이 인는 사람", "인는"),     # read 일/VV ᆫ/ETM 는/ETM: an adnominal ending before another ending
    ("동생 생니린데 선물", "생니린데"),    # read 니/NNG 리/EP ᆫ데/EC: a noun before an ending
])
def test_an_ending_after_a_noun_or_another_adnominal_ending_is_no_word(kiwi, text, nonword):
    spans = find_suspect_spans(text, kiwi.analyze([text])[0], [None] * len(text), 0.7)
    assert [s.text for s in spans if s.nonword] == [nonword]
    right = text.replace("인는", "있는").replace("생니린데", "생일인데")
    spans = find_suspect_spans(right, kiwi.analyze([right])[0], [None] * len(right), 0.7)
    assert not any(s.nonword for s in spans)


def test_an_eojeol_with_broken_bytes_is_no_word_however_sure_the_recogniser_was(kiwi):
    text = "회의 자료는 제 책\ufffd\ufffd에 두었습니다"
    segment = SegmentInput("s", text, words=tuple(WordEvidence(w, confidence=0.97) for w in text.split()))
    spans = find_suspect_spans(text, kiwi.analyze([text])[0], char_confidences(segment), 0.7)
    assert [(s.text, s.nonword) for s in spans if s.nonword] == [("책\ufffd\ufffd에", True)]
    assert [s for s in spans if s.text == "책\ufffd\ufffd에"][0].doubt == pytest.approx(0.3)


# --- candidates ----------------------------------------------------------------------------------------

def _terms(text: str, *terms: str, source: str = "hotword", max_distance: float = 0.5) -> list[tuple[str, str]]:
    index = TermIndex.build(terms, source, max_distance)
    return [(text[m.start:m.end], m.after) for m in find_terms(text, index, lambda i: False)]


def test_a_misheard_noun_is_matched_by_sound_and_its_particle_given_back():
    # 훼의 sounds like 회의 (merged vowels); the particle is not touched when no particle follows.
    assert ("훼의", "회의") in _terms("지금부터 훼의을 시작", "회의", "안건", "스프린트")


def test_hotword_is_found_inside_a_compound():
    assert _terms("농협가드 청구서", "카드") == [("가드", "카드")]


def test_a_term_takes_back_the_final_consonant_liaison_carried_off():
    assert ("애완동무를", "애완동물을") in _terms("받은 애완동무를 돌본다", "애완동물")


def test_a_term_takes_back_its_final_consonant_and_the_weak_h_of_hada():
    # 발전하는 is said 발저나는: the ㄴ is the term's, and what is left is 하다 without its ㅎ or a word of its own.
    assert sorted(_terms("경제가 빠르게 발저나는 중이다", "발전")) == [("발저나는", "발전 아는"), ("발저나는", "발전하는")]
    # After a stop there is no weak ㅎ: the particle is 을.
    assert _terms("받은 애완동무를 돌본다", "애완동물") == [("애완동무를", "애완동물을")]
    # 로 after a noun ending in ㄹ is its own particle, not the noun's ㄹ carried over.
    assert _terms("모두 회이실로 모였다", "회의실") == [("회이실", "회의실")]


def test_what_follows_a_term_may_be_a_word_of_its_own_that_took_its_final_consonant():
    # 회의실 안에 is said 회의시라네: the ㄹ is the term's, and 안에 a word of its own, not 하다.
    assert ("회이시란에", "회의실 안에") in _terms("다들 회이시란에 모였다", "회의실")
    # No second reading where what follows cannot be 하다: 에 is the particle.
    assert _terms("다들 회이시레 모였다", "회의실") == [("회이시레", "회의실에")]


def test_only_an_open_syllable_gives_a_final_consonant_away():
    # 값을 is said 갑슬: the window keeps the first half of the double consonant, the particle took the second.
    assert _terms("물건 갑슬 올렸다", "값") == [("갑슬", "값을")]
    # 이썬|나요 has its own ㄴ before ㄴ again: no consonant was carried, and 이번 + 아요 would be no reading.
    assert _terms("다들 이썬나요", "이번") == []


def test_a_term_is_not_cut_out_of_a_syllable_that_took_a_carried_sound():
    # 화면에 is said 화며네: no term may start at 네.
    assert all(before != "에 열" for before, _ in _terms("화면에 열다섯 개", "내일"))


def test_unrelated_terms_are_not_proposed():
    assert _terms("점심 먹자", "스프린트", "킥오프") == []


def test_term_matching_is_linear_in_the_text_length():
    # A space-free text of 1,000 syllables with many terms: every window is compared once per term length.
    text = "가나다라마바사아자차" * 100
    index = TermIndex.build(tuple(f"{a}{b}{c}" for a in "하허호" for b in "투티타" for c in "크키"), "hotword", 0.5)
    assert find_terms(text, index, lambda i: False) == []


def test_acronyms_are_matched_by_how_their_letters_are_said():
    assert _terms("유엔 평화 유지군", "UN") == [("유엔", "UN")]


def test_the_acronym_inside_a_term_is_matched_by_how_its_letters_are_said():
    # 아르고CD is said 아르고씨디: the whole of 씨디 is the term's, so its particle is not glued after a stray 디.
    assert _terms("새 버전은 아르고 씨디로 배포해요", "아르고CD") == [("아르고 씨디", "아르고CD")]


def test_quotation_marks_around_a_term_are_no_part_of_it():
    # A term list copied from a document: the marks are not written into the subtitle.
    assert _terms("쿠버 내티스에 올렸다", '"쿠버네티스"') == [("쿠버 내티스", "쿠버네티스")]
    assert _terms("쿠버 내티스에 올렸다", " '쿠버네티스 ") == [("쿠버 내티스", "쿠버네티스")]
    assert _terms("쿠버 내티스에 올렸다", '""') == []


@pytest.mark.parametrize("word, said", [
    ("Docker", "도커"), ("Google", "구글"), ("Excel", "엑셀"), ("zone", "존"), ("Kelly", "켈리"),
    ("server", "서버"), ("Notion", "노션"), ("Jenkins", "젠킨스"), ("Hub", "허브"), ("finger", "핑거"),
])
def test_a_latin_word_is_read_as_a_korean_loanword(word, said):
    # c before e is s, a final e is silent, ll and an l after a consonant are said twice, an r after a vowel is
    # not said, tion is 션, u in a closed syllable is 어, ng before a vowel is said twice.
    assert said_in_hangul(word) == said


def test_latin_letters_are_spoken_piece_by_piece():
    assert spoken("KTX로") == "케이티엑스로"
    assert spoken("GitHub에") == "깃허브에"  # two words in one: Git, Hub
    assert spoken("OpenAI") == said_in_hangul("Open") + "에이아이"  # a word and an acronym
    assert spoken("회의 3시") == "회의 3시"


def test_a_latin_term_is_found_where_it_was_heard_in_hangul():
    assert _terms("젠킨스 빌드가 깨졌어요", "Jenkins") == [("젠킨스", "Jenkins")]
    # Said in Hangul but written in Latin letters, the term takes its eojeol's start and no piece of a word.
    assert _terms("서버가 다운됐어요", "Docker") == []
    assert _terms("오늘파이썬으로", "Python") == []


def test_a_term_written_in_the_letters_of_an_acronym_is_found():
    # The speaker said 케이티엑스; the recogniser heard the letters K, T and X.
    assert _terms("내일 KTX로 출발해요", "케이티엑스") == [("KTX", "케이티엑스")]
    # Letters inside a longer Latin word are no acronym.
    assert _terms("KTXYZ 목록", "케이티엑스") == []


def test_a_term_is_found_where_its_sai_siot_was_heard_only_as_tension():
    # 햇살 is said 해쌀: a recogniser writes 해살.
    assert _terms("따뜻한 해살 아래", "햇살", max_distance=0.2) == [("해살", "햇살")]
    assert said_variants("햇살") == (("햇살", 0.0), ("해쌀", 0.0))


def test_a_final_consonant_heard_in_the_particle_is_the_terms():
    # 기술을 is said 기수를; the recogniser wrote 기수를, the term's ㄹ carried into the particle.
    text = "새로운 기수를 배웠다"
    index = TermIndex.build(("기술",), "hotword", 0.15)
    particle = text.index("를")
    found = [(text[m.start:m.end], m.after) for m in find_terms(text, index, lambda i: i == particle)]
    assert found == [("기수를", "기술을")]
    # Where no particle follows, the next syllable's consonant is its own: too far from the term.
    assert find_terms(text, index, lambda i: False) == []


def test_a_term_keeps_the_final_consonant_its_particle_took():
    # 해살이 is said 해사리: compared as 해살, it is half a sound from 햇살 (said 해쌀).
    assert _terms("해살이 비친다", "햇살", max_distance=0.1) == [("해살", "햇살")]


def test_a_term_is_found_where_its_weak_h_was_not_heard():
    # 전화 is said 저놔 in running speech, closer than the spelling says.
    assert _terms("어제 저놔가 왔다", "전화", max_distance=0.2) == [("저놔", "전화")]
    # The weakened ㅎ costs half a sound: it is a close sound, not the same one.
    assert said_variants("전화")[1] == ("전와", WEAK_H_COST) and WEAK_H_COST > 0
    # No ㅎ is weakened after a stop (축하 is said 추카).
    assert said_variants("축하") == (("축하", 0.0),)


def test_a_term_is_found_where_the_recogniser_wrote_an_h_nobody_said():
    # 분양 is said 부냥, as is 분향 in running speech: a recogniser that heard 부냥 may write either word.
    assert _terms("이번 분향 일정이 나왔다", "분양", max_distance=0.2) == [("분향", "분양")]
    assert said_variants("분양")[1] == ("분향", WEAK_H_COST)
    assert ("이훗", WEAK_H_COST) in said_variants("이웃")  # between vowels as well
    # After a stop the silent onset is said with the coda moved onto it (독일 is 도길): no ㅎ is heard there.
    assert said_variants("독일") == (("독일", 0.0),)


@pytest.mark.parametrize("text, repaired", [("그 영화 별러였어", "별로였어"), ("내가 산 고야", "거야"),
                                            ("일 끝나고 머라고 싶어요", "뭐라고")])
def test_a_morpheme_kiwi_reads_where_nothing_is_written_stays_unwritten(kiwi, text, repaired):
    # Kiwi reads a copula that speech drops (별로였어, 거야) and the 하 of 뭐라고 (뭐라 하고); rejoined they
    # would be spelled out (별로이였어, 뭐라고하고).
    reading = kiwi.typo_readings([text], top_n=1)[0][0]
    assert [after for _, _, after, _ in spelling_repairs(text, reading, kiwi.join)] == [repaired]


def test_particle_agreement_after_a_noun_and_never_after_a_verb(kiwi):
    for text, expected in (("세 가지을 골랐다", [("가지을", "가지를")]), ("일정 가서 만나자", [])):
        analysis = kiwi.analyze([text])[0]
        assert [(text[s:e], after) for s, e, after in agreement_repairs(text, analysis)] == expected


def test_the_particles_said_alike_are_offered_for_one_another_after_a_noun_only(kiwi):
    # 의 is said [에]: after a noun each is the other's alternative; a noun ending in the syllable is none (회의).
    for text, expected in (("동생은 학교의 갔다", [("학교의", "학교에")]), ("형의 책을 읽었다", [("형의", "형에")]),
                           ("공원에 가자", [("공원에", "공원의")]), ("오늘 회의 끝났다", [])):
        analysis = kiwi.analyze([text])[0]
        assert [(text[s:e], after) for s, e, after in said_alike_particle_repairs(text, analysis)] == expected


@pytest.mark.parametrize("text, expected", [
    ("내일두 비가 온대", [("내일두", "내일도")]),  # the particle 도 said 두
    ("우산을 챙기구 나가", [("챙기구", "챙기고")]),  # the ending -고 said -구
    ("버스루 갈게", [("버스루", "버스로")]),
    ("잠시 기다려 주십시요.", [("주십시요.", "주십시오.")]),  # the formal imperative heard with 요
    ("친구 모두 만두 먹으러 대구 가요", []),  # words that end in 구, 두: no particle, no ending
])
def test_spoken_forms_of_particles_and_endings_are_spelled_as_written(kiwi, text, expected):
    analysis = kiwi.analyze([text])[0]
    assert [(text[s:e], after) for s, e, after in spoken_form_repairs(text, analysis)] == expected


@pytest.mark.parametrize("text, expected", [
    ("옷을 입을 세요", [("입을 세요", "입으세요")]),  # the ending as a word of its own
    ("노래를 부를세요", [("부를세요", "부르세요")]),  # ... or glued to the adnominal
    ("창문을 열어놓은세요", [("열어놓은세요", "열어놓으세요")]),
    ("오늘 할일이 많다", []), ("그는 아는 세요리사", []),  # a noun after an adnominal is Korean
    ("지금은 좀 바쁜 되요.", [("바쁜 되요.", "바쁜데요.")]),  # -ㄴ데요 heard as the verb 되다
    ("비가 오는 돼요", [("오는 돼요", "오는데요")]),
    ("그러면 안 돼요", []),  # 안 is no adnominal
])
def test_an_ending_heard_after_an_adnominal_is_joined_to_its_stem(kiwi, text, expected):
    analysis = kiwi.analyze([text])[0]
    assert [(text[s:e], after) for s, e, after in split_ending_repairs(text, analysis)] == expected


@pytest.mark.parametrize("text, expected", [
    ("크게 다퉈 써요.", [("다퉈 써요.", "다퉜어요.")]),
    ("머리를 잘라 쓰죠", [("잘라 쓰죠", "잘랐죠")]),  # the ending after 쓰 is kept
    ("벌써 집을 떠날 써요", [("떠날 써요", "떠났어요")]),
    ("시험에 합격에 써요", [("합격에 써요", "합격했어요")]),
    ("공책에 이름을 써요", []),  # an object before 쓰다: nothing heard apart
    ("빨리 오게 써요", []),  # -게 is no connective the past tense is heard after
])
def test_the_past_tense_heard_apart_is_offered_joined(kiwi, text, expected):
    analysis = kiwi.analyze([text])[0]
    assert [(text[s:e], after) for s, e, after in ending_apart_repairs(text, analysis, kiwi.join)] == expected


@pytest.mark.parametrize("text, expected", [
    ("그해 겨울은 혼자 보낼 있어요.", [("보낼 있어요.", "보냈어요.")]),
    ("그 영화를 세 번이나 볼 있어", [("볼 있어", "봤어")]),  # conjugated by Kiwi, not glued
    ("그는 의자에 앉은 있었다", [("앉은 있었다", "앉았었다")]),
    ("벽에 그림이 걸려 있다", []),  # after a connective 있다 is a verb of its own
    ("내일은 갈 수 있어요", []),  # a bound noun between: nothing heard apart
    ("할 말이 있어요", []),
])
def test_the_past_tense_heard_as_iss_after_an_adnominal_is_offered_joined(kiwi, text, expected):
    analysis = kiwi.analyze([text])[0]
    assert [(text[s:e], after) for s, e, after in past_heard_as_iss_repairs(text, analysis, kiwi.join)] == expected


def test_repairs_are_found_wherever_they_stand_in_a_long_text(kiwi):
    # Each repair looks up the morphemes of one eojeol by place: the same repairs at the end of a long text as
    # at its start, and none of one eojeol's offered for another.
    sentence = "세 가지을 골랐고 동생은 학교의 갔다 우산을 챙기구 지금은 좀 바쁜 되요 크게 다퉈 써요 혼자 보낼 있어요 "
    text = sentence * 12
    analysis = kiwi.analyze([text])[0]
    for repairs in (agreement_repairs(text, analysis), said_alike_particle_repairs(text, analysis),
                    spoken_form_repairs(text, analysis), split_ending_repairs(text, analysis),
                    ending_apart_repairs(text, analysis, kiwi.join),
                    past_heard_as_iss_repairs(text, analysis, kiwi.join)):
        assert repairs
        by_copy = [[(s % len(sentence), e % len(sentence) or len(sentence), after) for s, e, after in repairs
                    if s // len(sentence) == k] for k in range(12)]
        assert all(found == by_copy[0] for found in by_copy)
        assert all(text[s:e].split() and len(text[s:e].split()) <= 2 for s, e, _ in repairs)


def test_a_doubled_nasal_is_offered_single_both_ways_and_a_doubled_r_is_not():
    text = "안내와 함마 달리기 않나요"
    assert [(text[s:e], after) for s, e, after in single_nasal_repairs(text)] == [
        ("안내와", "아내와"), ("안내와", "안애와"), ("함마", "하마"), ("함마", "함아"), ("않나요", "않아요")]


def test_jamo_written_apart_are_composed_but_laughter_stays():
    assert compose_loose_jamo("오ㄹ해") == "올해" and compose_loose_jamo("접ㅅㅣ") == "접시"
    assert compose_loose_jamo("ㅋㅋ") == "ㅋㅋ"


# --- guard ---------------------------------------------------------------------------------------------

def test_guard_refuses_a_rewrite_and_keeps_the_earlier_text():
    decision = guard("오늘 회의는 세 시에 시작합니다", "내일 저녁은 집에서 먹겠습니다", 0.35)
    assert not decision.accepted and decision.text == "오늘 회의는 세 시에 시작합니다"


def test_guard_accepts_a_respelling_that_keeps_the_sound():
    decision = guard("방버블 모르게써", "방법을 모르겠어", 0.35)
    assert decision.accepted and decision.text == "방법을 모르겠어"


def test_guard_hears_an_acronym_as_its_letters_names():
    # 케이티엑스 → KTX rewrites most letters of a short cue but no sound; an acronym for other words is refused.
    decision = guard("케이티엑스로 가요", "KTX로 가요", 0.5)
    assert decision.accepted and decision.cer == 0
    assert not guard("부산에 가요", "KTX로 가요", 0.5).accepted


def test_guard_accepts_a_pick_close_to_a_hypothesis_the_recogniser_offered():
    text, heard = "어제 만난 사람은 누구야", "내일 회의는 열 시에 시작합니다"
    # Far from the text, but one of the hypotheses sent with it says nearly the same: a choice, not an invention.
    decision = guard(text, "내일 회의는 열 시에 시작합니다.", 0.5, "rerank", offered=("내일 회의는 열시에 시작합니다", heard))
    assert decision.accepted and decision.cer < 0.1  # the period alone
    # A rewrite far from the text and from every hypothesis is still refused.
    decision = guard(text, "다음 주에 다시 이야기합시다", 0.5, "rerank", offered=(heard,))
    assert not decision.accepted and decision.text == text


# --- post-processing -----------------------------------------------------------------------------------

def test_a_phrase_the_decoder_repeated_is_cut_back_to_what_it_was_given():
    assert drop_decoder_repeats("회의를 시작 회의를 시작 하겠습니다", "회의를 시작하겠습니다") == "회의를 시작 하겠습니다"
    assert drop_decoder_repeats("네 네 네 네 알겠습니다", "네 네 알겠습니다") == "네 네 알겠습니다"


@pytest.mark.parametrize("speech", ["잘 가 잘 가", "네 네 네", "정말 정말 좋아", "가자 가자 빨리 가자"])
def test_repetition_the_recogniser_heard_is_speech_and_stays(speech):
    assert drop_decoder_repeats(speech, speech) == speech
    assert postprocess(speech, ".") == speech + "."


def test_a_repeat_the_source_wrote_without_spaces_is_not_a_loop():
    assert drop_decoder_repeats("정말 정말 좋아", "정말정말 좋아") == "정말 정말 좋아"


def test_postprocess_fixes_whitespace_and_adds_one_final_mark():
    assert postprocess("  회의를   시작합니다 ", ".") == "회의를 시작합니다."
    assert postprocess("회의를 시작합니까 ?", "?") == "회의를 시작합니까?"


def test_an_edit_that_alone_falls_a_margin_below_the_text_is_not_weighed_again():
    read: list[str] = []

    def analyze(texts: list[str]) -> list[Analysis]:
        # A language model that likes one word and hates another, and remembers what it was asked to read.
        read.extend(texts)
        return [Analysis((), 20.0 * t.count("좋은") - 50.0 * t.count("나쁜")) for t in texts]

    edits = [SpanEdit(0, 1, "좋은", "spelling"), SpanEdit(2, 3, "나쁜", "spelling"), SpanEdit(4, 5, "좋은", "spelling")]
    [outcome] = rerank([RerankItem("그 말 저 말", CandidateSet(edits))], analyze, [], ScoreWeights(), margin=10.0,
                       rounds=4)
    assert outcome.text == "좋은 말 좋은 말"
    # The edit that alone cost far more than the margin was read in the first round, never beside the others.
    assert sum("나쁜" in t for t in read) == 1


def test_an_edit_a_bundle_brought_gives_its_span_up_to_a_better_founded_edit():
    weak = EditFacts(1)  # a respelling Kiwi's typo reading brought, and nothing else speaks for
    term = EditFacts(1, term_distance=1.0, term_sounds=6, term_chars=2, sound_distance=1.0)

    def correct(overlapping: SpanEdit, liking: float) -> str:
        def analyze(texts: list[str]) -> list[Analysis]:
            return [Analysis((), 20.0 * t.split().count("이") + liking * t.split().count("좋은")) for t in texts]

        edits = [SpanEdit(0, 1, "이", "spelling", weak), SpanEdit(4, 5, "이", "spelling", weak), overlapping]
        [outcome] = rerank([RerankItem("그 말 저 말", CandidateSet(edits, bundles=[(0, 1)]))], analyze, [],
                           ScoreWeights(), margin=10.0, rounds=4, step_margin=10.0)
        return outcome.text

    # The bundle scores best at first; the hotword then takes the first word from it and keeps the second.
    assert correct(SpanEdit(0, 1, "좋은", "hotword", term), liking=15.0) == "좋은 말 이 말"
    # An edit no better founded than the one it would displace does not break the bundle up, even where the
    # language model alone would have it.
    assert correct(SpanEdit(0, 1, "좋은", "spelling", weak), liking=35.0) == "이 말 이 말"
