"""The whole pipeline in process, on the embedded tier (real Kiwi models)."""
from __future__ import annotations

import pytest

import service.pipeline as pipeline_module
from config import load_settings
from service.candidates import CandidateRequest, ProposalLimits, propose
from service.evidence import char_confidences
from service.fusion import fusion_voters
from service.pipeline import CorrectionPipeline
from service.resources import load_resources
from service.suspects import find_suspect_spans
from service.types import Hypothesis, SegmentInput, TermLists, WordEvidence


@pytest.fixture(scope="module")
def pipeline() -> CorrectionPipeline:
    settings = load_settings({})
    return CorrectionPipeline(load_resources(settings), settings)


def _segment(text: str, confidences: list[float], nbest: list[str] = (), seg_id: str = "s0") -> SegmentInput:
    words = tuple(WordEvidence(w, c) for w, c in zip(text.split(), confidences))
    hyps = tuple(Hypothesis(t, i + 1) for i, t in enumerate([text, *nbest]))
    return SegmentInput(seg_id, text, 0.0, 1.0, min(confidences), 0.01, words, (), hyps)


def _bare(text: str) -> str:
    return "".join(ch for ch in text if ch not in " .?!,")


def test_a_right_sentence_is_left_alone(pipeline):
    text = "오늘 저녁에 친구들과 영화를 보기로 했어요"
    [result] = pipeline.correct([_segment(text, [0.93, 0.9, 0.88, 0.95, 0.9, 0.92])], TermLists())
    assert _bare(result.corrected) == _bare(text)
    assert all(edit.source in ("punctuation", "spacing") for edit in result.edits)


def test_a_low_confidence_noun_is_restored_from_a_hotword(pipeline):
    text = "다음 주에 스프린뜨 계획을 세우자"
    [result] = pipeline.correct([_segment(text, [0.95, 0.93, 0.31, 0.9, 0.92])],
                                TermLists(hotwords=("스프린트", "킥오프", "회고")))
    assert "스프린트" in result.corrected
    assert any(e.source == "hotword" and e.after.startswith("스프린트") for e in result.edits)


def test_particles_follow_the_restored_noun(pipeline):
    text = "오늘 훼의을 일찍 끝내자"
    [result] = pipeline.correct([_segment(text, [0.95, 0.3, 0.9, 0.93])], TermLists(hotwords=("회의",)))
    assert "회의를" in result.corrected


def test_a_pronunciation_spelled_sentence_is_respelled(pipeline):
    text = "방버블 모르게써 좀 알려줘"
    [result] = pipeline.correct([_segment(text, [0.35, 0.45, 0.9, 0.92])], TermLists())
    assert _bare(result.corrected) == _bare("방법을 모르겠어 좀 알려줘")


def test_an_nbest_span_is_taken_where_the_one_best_is_wrong(pipeline):
    text = "내일 아침에 보고서를 재출할게요"
    alternative = "내일 아침에 보고서를 제출할게요"
    [result] = pipeline.correct([_segment(text, [0.95, 0.93, 0.92, 0.4], [alternative])], TermLists())
    assert _bare(result.corrected) == _bare(alternative)
    assert [e.before for e in result.edits if e.source not in ("punctuation", "spacing")] == ["재출할게요"]


def test_filler_alternatives_are_never_taken(pipeline):
    text = "회의록은 내가 정리할게"
    swapped = "내가 회의록은 정리할게"
    [result] = pipeline.correct([_segment(text, [0.9, 0.9, 0.9], [swapped, text + "."])], TermLists())
    assert _bare(result.corrected) == _bare(text)


def test_segments_come_back_in_order_with_their_ids_and_skips_are_marked(pipeline):
    segments = [
        _segment("안녕하세요 반갑습니다", [0.9, 0.9], seg_id="a"),
        SegmentInput("b", "   "),
        SegmentInput("c", "hello world 123"),
        SegmentInput("d", "음 음 음", no_speech_prob=0.97),
        _segment("회의를 시작하겠습니다", [0.9, 0.9], seg_id="e"),
    ]
    results = pipeline.correct(segments, TermLists())
    assert [r.id for r in results] == ["a", "b", "c", "d", "e"]
    assert results[1].corrected == "   " and results[1].status == "skipped_empty"
    assert results[2].corrected == "hello world 123" and results[2].status == "skipped_not_korean"
    assert results[3].corrected == "음 음 음" and results[3].status == "skipped_no_speech"


def test_edits_index_the_original_text(pipeline):
    text = "지금부 훼의을 시작하겠읍다"
    [result] = pipeline.correct([_segment(text, [0.5, 0.3, 0.4], ["지금부터 회의를 시작하겠습니다"])],
                                TermLists(hotwords=("회의",)))
    for edit in result.edits:
        assert result.original[edit.start:edit.end] == edit.before
    assert _bare(result.corrected) == "지금부터회의를시작하겠습니다"



def test_the_candidate_stage_proposes_for_the_segments_it_reaches_in_time_and_none_after(pipeline):
    settings, kiwi = pipeline.settings, pipeline.resources.kiwi
    texts = ["지금부 훼의을 시작하겠읍다", "오늘 회이는 여기까지 하겟습니다", "다음 안건으로 너머가겠습니다"]
    requests = []
    for text, analysis in zip(texts, kiwi.analyze(texts)):
        segment = SegmentInput("s", text)
        confidences = char_confidences(segment)
        first, alternatives = fusion_voters(text, segment.nbest, segment.confidence, settings.MAX_NBEST)
        requests.append(CandidateRequest(text, first, tuple(alternatives), confidences,
                                         find_suspect_spans(text, analysis, confidences, settings.LOW_CONFIDENCE),
                                         analysis))
    hotwords = pipeline.resources.term_indexes.index(("회의",), "hotword", settings.HOTWORD_MAX_DISTANCE)
    lexicon = pipeline.resources.term_indexes.index((), "lexicon", settings.LEXICON_MAX_DISTANCE)
    limits = ProposalLimits(settings.SPELLING_READINGS, settings.MAX_PROPOSALS, settings.FUSION_CENTRALITY,
                            settings.RESPELL_DOUBT)
    outcomes = []
    for looks_in_time in range(12):
        looks = iter(range(100))
        sets = propose(requests, kiwi, hotwords, lexicon, limits, lambda: next(looks) < looks_in_time)
        assert len(sets) == len(requests)
        reached = [s is not None for s in sets]
        assert reached == sorted(reached, reverse=True)  # the segments it reached in time, then none
        outcomes.append(sum(reached))
    assert outcomes[0] == 0 and outcomes[-1] == len(requests) and len(set(outcomes)) > 2  # partway too
    full = propose(requests, kiwi, hotwords, lexicon, limits)
    assert all(s is not None and s.edits for s in full)


@pytest.mark.parametrize("looks_in_time", [0, 5, 1000])
def test_segments_the_deadline_overtakes_come_back_unchanged_as_timeout_in_order(pipeline, monkeypatch,
                                                                                 looks_in_time):
    # A clock that runs out after a given number of looks at it.
    looks = iter(range(10_000))
    monkeypatch.setattr(pipeline_module.time, "monotonic", lambda: 0.0 if next(looks) < looks_in_time else 2.0)
    texts = ["지금부 훼의을 시작하겠읍다", "오늘 회이는 여기까지 하겟습니다", "다음 안건으로 너머가겠습니다"]
    results = pipeline.correct([SegmentInput(f"s{i}", t) for i, t in enumerate(texts)],
                               TermLists(hotwords=("회의",)), deadline=1.0)
    assert [r.id for r in results] == ["s0", "s1", "s2"]
    for result, text in zip(results, texts):
        if looks_in_time < 1000:
            assert result.status == "timeout" and result.corrected == result.original == text and not result.edits
        else:
            assert result.status == "corrected" and result.corrected != text
