"""What a meeting's terms cost each request: one-segment requests that all carry the same hotwords and lexicon,
as a meeting's client sends them, timed with the term indexes kept between requests (`TERM_INDEXES`, the
default) and with every request building its own (`TERM_INDEXES=0`).

Runs the pipeline in process (no server), the two settings in turn, on the meeting sentences of
`benchmarks/worst_cases.py` with 500 hotwords and 5,000 lexicon terms (the request limits), and prints the
p50 / p95 milliseconds of a request for each. Timings depend on the machine and what else runs on it.

    python benchmarks/meeting_terms.py
    python benchmarks/meeting_terms.py --hotwords 50 --lexicon 500 --requests 100
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import worst_cases  # noqa: E402
from benchmarks.dev_benchmark import percentile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hotwords", type=int, default=500)
    parser.add_argument("--lexicon", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per setting and turn")
    parser.add_argument("--turns", type=int, default=2, help="times each setting is timed, in turn")
    args = parser.parse_args()

    from config import load_settings
    from service.pipeline import CorrectionPipeline
    from service.resources import load_resources
    from service.types import SegmentInput, TermLists

    terms = TermLists(tuple(worst_cases.terms(args.hotwords, "hot")), tuple(worst_cases.terms(args.lexicon, "lex")))
    texts = [worst_cases.SENTENCES[i % len(worst_cases.SENTENCES)] for i in range(args.requests)]
    pipelines = {}
    default = load_settings({}).TERM_INDEXES
    for kept in (default, 0):
        settings = load_settings({"EC_PROCESSES": "1", "EC_TERM_INDEXES": str(kept)})
        pipelines[kept] = CorrectionPipeline(load_resources(settings), settings)
    for pipeline in pipelines.values():  # warm: Kiwi's caches filled for these texts, as in a long meeting
        for text in texts:
            pipeline.correct([SegmentInput("s", text)], terms)
    print(f"{args.requests} one-segment requests, each with {args.hotwords} hotwords and {args.lexicon} lexicon "
          f"terms (the same ones), in process")
    for turn in range(args.turns):
        for kept, pipeline in pipelines.items():
            seconds = []
            for text in texts:
                started = time.perf_counter()
                pipeline.correct([SegmentInput("s", text)], terms)
                seconds.append(time.perf_counter() - started)
            print(f"  turn {turn + 1}, TERM_INDEXES={kept}: p50 {percentile(seconds, 50) * 1000:.1f} ms, "
                  f"p95 {percentile(seconds, 95) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
