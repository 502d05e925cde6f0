"""How each pipeline stage's time grows with the size of its input (issue 11): finds super-linear paths.

Runs the pipeline in process (one process, no server) on the worst cases of `benchmarks/worst_cases.py` at
growing sizes and prints each stage's seconds per size; a stage whose time grows faster than its input
(x4 or more when the input doubles) is super-linear. `--profile` adds cProfile's top functions at the largest
size. `--no-term-matching` replaces the term matcher (`terms.find_terms`, as the candidate stage calls it)
with one that finds nothing, to see the other stages.

    python benchmarks/profile_stages.py                         # all three shapes, several sizes
    python benchmarks/profile_stages.py --shape long_nbest --profile
"""
from __future__ import annotations

import argparse
import cProfile
import collections
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import worst_cases  # noqa: E402

# shape -> (what grows, sizes, request builder)
SHAPES = {
    "space_free": ("characters", (125, 250, 500, 1000), lambda n: worst_cases.space_free(n)),
    "many_terms": ("segments", (32, 64, 128, 256), lambda n: worst_cases.many_terms(n, 500, 5000)),
    "many_terms_lexicon": ("lexicon terms", (625, 1250, 2500, 5000), lambda n: worst_cases.many_terms(32, 500, n)),
    "long_nbest": ("characters per text and hypothesis", (125, 250, 500, 1000),
                   lambda n: worst_cases.long_nbest(1, 64, n)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", default=",".join(SHAPES))
    parser.add_argument("--sizes", default="", help="comma-separated sizes instead of the shape's own")
    parser.add_argument("--no-term-matching", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest size")
    args = parser.parse_args()

    from config import load_settings
    from schema.correct import CorrectionRequest
    from service import candidates
    from service.pipeline import CorrectionPipeline
    from service.resources import load_resources

    settings = load_settings({"EC_PROCESSES": "1"})
    pipeline = CorrectionPipeline(load_resources(settings), settings)
    if args.no_term_matching:
        candidates.find_terms = lambda text, index, particle_follows: []
    for shape in args.shape.split(","):
        what, sizes, build = SHAPES[shape]
        if args.sizes:
            sizes = tuple(int(s) for s in args.sizes.split(","))
        print(f"== {shape}: seconds per stage as the {what} grow")
        for size in sizes:
            request = CorrectionRequest.model_validate(build(size))
            segments, terms = [s.to_input() for s in request.segments], request.terms()
            stages: dict[str, float] = collections.defaultdict(float)
            profiler = cProfile.Profile() if args.profile and size == sizes[-1] else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            pipeline.correct(segments, terms, observer=lambda stage, s: stages.__setitem__(stage, stages[stage] + s))
            if profiler:
                profiler.disable()
            total = time.perf_counter() - started
            print(f"  {size:>6}: total {total:7.2f}  " + "  ".join(f"{k} {v:.2f}" for k, v in stages.items()),
                  flush=True)
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
                print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
