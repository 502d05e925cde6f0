"""The benchmarks' own arithmetic: the minimum-Bayes-risk pick and the per-case shares of `score`.

Hand-written examples only (the benchmark data under ../shared is not needed). Under the CER normalisation
"학교에 갔다" is the five characters 학교에갔다, so one substituted character costs 0.2.
"""
from __future__ import annotations

import argparse

import pytest

from benchmarks.dev_benchmark import Case, SystemRun, output_stem, score
from benchmarks.real_benchmark import FILES, REPORT_NAME, mbr_pick

RIGHT = "학교에 갔다"
ONE_OFF = "학교에 같다"  # 0.2 from RIGHT
TWO_OFF = "학교애 같다"  # 0.2 from ONE_OFF, 0.4 from RIGHT


def test_mbr_picks_the_hypothesis_closest_to_the_others():
    # risks: ONE_OFF 0.2 + 0.2 = 0.4; RIGHT 0.2 + 0.4 = 0.6; TWO_OFF 0.4 + 0.2 = 0.6
    assert mbr_pick(RIGHT, [ONE_OFF, TWO_OFF]) == ONE_OFF


def test_mbr_counts_the_repeated_one_best_once():
    # A rank-1 copy of the 1-best is no extra vote: counted twice, the 1-best's risk would stay 0.6 while
    # ONE_OFF's rose from 0.4 to 0.6, and the tie would go to the 1-best.
    assert mbr_pick(TWO_OFF, [TWO_OFF, ONE_OFF, RIGHT]) == ONE_OFF


def test_mbr_breaks_ties_towards_the_one_best_then_rank():
    assert mbr_pick(ONE_OFF, [ONE_OFF, RIGHT]) == ONE_OFF  # 0.2 each: the 1-best stays
    # RIGHT and "학교에 갔다." normalise alike (risk 0.2 each, ONE_OFF 0.4): the better rank wins
    assert mbr_pick(ONE_OFF, [RIGHT, "학교에 갔다."]) == RIGHT


def test_mbr_without_nbest_is_the_one_best():
    assert mbr_pick(ONE_OFF, []) == ONE_OFF


def _case(reference: str, text: str) -> Case:
    return Case(id=text, kind="test", reference=reference, text=text, hotword_targets=(),
                request={"segments": [{"id": "s0", "text": text}]})


def test_score_counts_better_worse_and_right_broken():
    cases = [_case(RIGHT, RIGHT),      # right, left right
             _case(RIGHT, RIGHT + "."),  # right (punctuation does not count), broken
             _case(RIGHT, ONE_OFF),    # wrong, corrected
             _case(RIGHT, TWO_OFF)]    # wrong, left as it was
    outputs = [RIGHT, ONE_OFF, RIGHT, TWO_OFF]
    scores = score(cases, SystemRun("test", outputs))
    assert scores.better == pytest.approx(1 / 4)
    assert scores.worse == pytest.approx(1 / 4)
    assert scores.right_broken == pytest.approx(1 / 2)
    assert scores.right_broken_ids == (1,)
    assert scores.worse_ids == (1,)


def test_right_broken_is_none_without_right_inputs():
    scores = score([_case(RIGHT, ONE_OFF)], SystemRun("test", [RIGHT]))
    assert scores.right_broken is None
    assert scores.better == 1.0


def test_only_the_full_http_run_writes_the_committed_report_name():
    def stem(in_process=False, limit=None, files=",".join(FILES)):
        args = argparse.Namespace(in_process=in_process, limit=limit, files=files)
        return output_stem(args, REPORT_NAME, FILES)

    assert stem() == "real_benchmark"
    assert stem(in_process=True, limit=50) == "real_benchmark-inprocess-limit50"
    assert stem(files="cvf_hot,kss_hot") == "real_benchmark-cvf_hot+kss_hot"
