"""Set the reranker's weights on whole benchmark files: a coordinate search over `ScoreWeights` (and the gain
margin), judged by one objective over every file of `../shared/data/real` and `../shared/data/dev`.

The candidate stage does not depend on the weights, so every case's proposals are made once; each trial only
reranks (language-model scores are memoised across trials) and guards, and scores the picks by CER as
`../shared/data/README.md` defines it. The objective is the mean relative CER reduction over the files,
minus steep penalties wherever a file's worse, right_broken, clean-changed or hot-recall figure misses the
goal the issues set. Cases are split into two halves by a hash of their id: the search sees only the first
half, and the second half's figures are printed beside it, so a weight that only fits its own cases shows.

    python benchmarks/tune_weights.py                 # search; prints the best weights as JSON
    python benchmarks/tune_weights.py --evaluate      # the current weights' figures, both halves
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.dev_benchmark import SystemRun, load_cases, score  # noqa: E402

DATA = REPO_ROOT.parent / "shared" / "data"
# file: (CER reduction aimed at, worse cap, right_broken cap, hot recall goal); shares of the file's cases.
GOALS: dict[str, tuple[float, float, float, float | None]] = {
    "real/cvf_nbest": (0.30, 0.03, 0.02, None),
    "real/cvf_hot": (0.35, 0.01, 0.01, 0.80),
    "real/cvf_text": (0.05, 0.01, 0.01, None),
    "real/kss_text": (0.03, 0.01, 0.01, None),
    "real/kss_hot": (0.15, 0.01, 0.01, 0.50),
    "dev/clean": (1.0, 0.004, 0.004, None),
    "dev/phonetic": (0.80, 0.02, 0.01, None),
    "dev/nbest": (0.90, 0.02, 0.01, None),
    "dev/hotword": (0.80, 0.01, 0.01, 0.95),
    # Right sentences of the corpus, sent as they are: every change is an over-correction.
    "corpus/sentences": (1.0, 0.005, 0.005, None),
    # Other right sentences, each sent with hotwords that are not in it (nouns of yet other sentences), as a
    # meeting's terms come with every request: a term written over a right word is an over-correction. Its
    # cap is where the hot files' recall goals leave it: the terms the hot files recover are mostly ordinary
    # words written over other ordinary words, the very edits that break these sentences (README, "How the
    # weights were set").
    "corpus/with_terms": (1.0, 0.05, 0.05, None),
    # The same sentences with the rarest tenth of those nouns as their terms (names and jargon).
    "corpus/with_rare_terms": (1.0, 0.05, 0.05, None),
}
CORPUS_SAMPLE = 1000
DISTRACTORS = 10  # hotwords per sentence of corpus/with_terms
# Short of its aim a file's CER reduction counts double what it counts beyond (up to half the aim again):
# no file may buy another's miss. A point of worse or right_broken over its cap costs as much as a whole
# file's aim.
BEYOND = 0.3
PENALTY = 100.0
RECALL_PENALTY = 5.0


def half_of(case_id: str) -> int:
    return hashlib.sha1(case_id.encode()).digest()[0] & 1


@lru_cache(maxsize=1)
def _nouns_with_costs(sentences: tuple[str, ...]) -> dict[str, float]:
    """The nouns (two letters or more) Kiwi reads in `sentences`, each with what its language model charges for
    the noun read alone; read once for both files that draw their terms from them."""
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    nouns = sorted({t.form for tokens in kiwi.tokenize(list(sentences)) for t in tokens
                    if t.tag in ("NNG", "NNP") and len(t.form) >= 2})
    return {noun: -results[0][1] for noun, results in zip(nouns, kiwi.analyze(nouns))}


def cases_of(name: str, limit: int | None) -> list[Any]:
    """A benchmark file's cases. `corpus/sentences` is a seeded sample of the corpus, each sentence its own
    reference (no recogniser touched it); `corpus/with_terms` is a disjoint sample, each sentence sent with
    `DISTRACTORS` hotwords drawn from the nouns Kiwi reads in a third, disjoint set of sentences;
    `corpus/with_rare_terms` the same sentences with hotwords drawn from the rarest tenth of those nouns."""
    if not name.startswith("corpus/"):
        return load_cases(DATA / f"{name}.jsonl", limit)
    import random

    from benchmarks.dev_benchmark import Case

    sentences = [s.strip() for s in (DATA / "corpus" / "sentences.txt").read_text(encoding="utf-8").splitlines()
                 if s.strip()]
    size = min(limit or CORPUS_SAMPLE, CORPUS_SAMPLE)
    first = random.Random(20261127).sample(sentences, CORPUS_SAMPLE)
    if name == "corpus/sentences":
        return [Case(f"corpus-{i}", "clean", s, s, (), {"segments": [{"id": "s", "text": s}]})
                for i, s in enumerate(first[:size])]
    taken = set(first)
    rest = random.Random(20261128).sample([s for s in sentences if s not in taken], CORPUS_SAMPLE + 3000)
    costs = _nouns_with_costs(tuple(rest[CORPUS_SAMPLE:]))
    nouns = sorted(costs)
    if name == "corpus/with_rare_terms":
        # The rarest tenth: names and jargon, the terms a meeting really sends, which the language model knows
        # least and so guards least.
        nouns = sorted(nouns, key=costs.__getitem__)[len(nouns) * 9 // 10:]
    pick = random.Random(7)
    return [Case(f"with-terms-{i}", "clean", s, s, (),
                 {"segments": [{"id": "s", "text": s}], "hotwords": pick.sample(nouns, DISTRACTORS)})
            for i, s in enumerate(rest[:size])]


def proposed(pipeline: Any, case: Any) -> Any:
    """The case's segment through the pipeline's stages up to the candidates (no time budget): its work, with
    `proposals` set unless it was not admitted (`status` set). The candidates do not depend on the weights."""
    from schema.correct import CorrectionRequest
    from service.pipeline import _Deadline

    body = CorrectionRequest.model_validate(case.request)
    work = pipeline._admit(body.segments[0].to_input())
    if work.status is None:
        pipeline._find_suspects([work])
        pipeline._propose([work], body.terms(), _Deadline(None))
    return work


class Harness:
    def __init__(self, files: list[str], limit: int | None) -> None:
        from config import load_settings
        from service.pipeline import CorrectionPipeline
        from service.resources import load_resources

        self.settings = load_settings()
        self.pipeline = CorrectionPipeline(load_resources(self.settings), self.settings)
        self.memo: dict[str, Any] = {}
        self.files: dict[str, list[tuple[Any, Any]]] = {}
        started = time.monotonic()
        for name in files:
            self.files[name] = [(case, proposed(self.pipeline, case)) for case in cases_of(name, limit)]
        print(f"proposals for {sum(len(w) for w in self.files.values())} cases in "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr)

    def analyze(self, texts: list[str]) -> list[Any]:
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            self.memo.update(zip(missing, self.pipeline.resources.kiwi.analyze(missing)))
        return [self.memo[t] for t in texts]

    def outputs(self, name: str, weights: Any, margin: float) -> list[str]:
        from service.guard import guard
        from service.rerank import RerankItem, rerank

        works = self.files[name]
        active = [(i, w) for i, (_, w) in enumerate(works) if w.status is None]
        outcomes = rerank([RerankItem(w.text, w.proposals) for _, w in active], self.analyze,
                          self.pipeline.resources.scorers, weights, margin, self.settings.RERANK_ROUNDS,
                          self.settings.STEP_MARGIN)
        out = [w.text for _, w in works]
        for (i, work), outcome in zip(active, outcomes):
            out[i] = guard(work.text, outcome.text, self.settings.GUARD_CER, "rerank", work.request.offered).text
        return out

    def figures(self, name: str, weights: Any, margin: float) -> dict[int, dict[str, float]]:
        """Each half's figures, as dev_benchmark's `score` defines them (0 where it has none)."""
        works = self.files[name]
        outputs = self.outputs(name, weights, margin)
        result = {}
        for half in (0, 1):
            rows = [(c, o) for (c, _), o in zip(works, outputs) if half_of(c.id) == half]
            if not rows:
                result[half] = {"rel": 0.0, "worse": 0.0, "broken": 0.0, "recall": None, "cer_out": 0.0}
                continue
            scores = score([c for c, _ in rows], SystemRun("service", [o for _, o in rows]))
            result[half] = {"rel": scores.rel or 0.0, "worse": scores.worse, "broken": scores.right_broken or 0.0,
                            "recall": scores.hot_recall, "cer_out": scores.cer_out}
        return result


def objective(figures: dict[str, dict[str, float]]) -> float:
    total = 0.0
    for name, f in figures.items():
        aim, worse_cap, broken_cap, recall_goal = GOALS[name]
        reached = -f["rel"] / aim
        total += 2.0 * min(reached, 1.0) + BEYOND * min(max(reached - 1.0, 0.0), 0.5)
        total -= PENALTY * max(0.0, f["worse"] - worse_cap)
        total -= PENALTY * max(0.0, f["broken"] - broken_cap)
        if recall_goal is not None and f["recall"] is not None:
            total -= RECALL_PENALTY * max(0.0, recall_goal - f["recall"])
    return total / len(figures)


def evaluate(harness: Harness, weights: Any, margin: float) -> tuple[float, float, dict]:
    per_file = {name: harness.figures(name, weights, margin) for name in harness.files}
    tuned = objective({name: f[0] for name, f in per_file.items()})
    held_out = objective({name: f[1] for name, f in per_file.items()})
    return tuned, held_out, per_file


def report(per_file: dict) -> None:
    for name, halves in per_file.items():
        cells = []
        for half in (0, 1):
            f = halves[half]
            recall = f"  recall {f['recall']:.1%}" if f["recall"] is not None else ""
            cells.append(f"rel {f['rel']:+.1%}  worse {f['worse']:.1%}  broken {f['broken']:.1%}{recall}")
        print(f"{name:14s} | {cells[0]:46s} | {cells[1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default=",".join(GOALS))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--evaluate", action="store_true", help="only print the current weights' figures")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated weight names to search (default: all)")
    args = parser.parse_args(argv)
    harness = Harness(args.files.split(","), args.limit)
    weights, margin = harness.settings.WEIGHTS, harness.settings.GAIN_MARGIN
    tuned, held_out, per_file = evaluate(harness, weights, margin)
    print(f"current: objective {tuned:+.4f} (held-out half {held_out:+.4f})")
    report(per_file)
    if args.evaluate:
        return 0
    names = [name for name in type(weights).model_fields if name not in ("lm", "seq2seq", "mlm")]
    if args.only:
        names = args.only.split(",")
    best = tuned
    for _ in range(args.passes):
        for name in names + ["margin"]:
            for step in (-2.0, -1.0, 1.0, 2.0):
                # Weights may have either sign: they move by a step in the language model's units.
                if name == "margin":
                    trial_weights, trial_margin = weights, max(0.0, margin + step)
                else:
                    trial_weights = weights.model_copy(update={name: getattr(weights, name) + step})
                    trial_margin = margin
                score, held, _ = evaluate(harness, trial_weights, trial_margin)
                if score > best + 1e-4:
                    best, weights, margin = score, trial_weights, trial_margin
                    print(f"  {name} → {getattr(weights, name) if name != 'margin' else margin:.3f}: "
                          f"objective {score:+.4f} (held-out {held:+.4f})", file=sys.stderr)
    tuned, held_out, per_file = evaluate(harness, weights, margin)
    print(f"best: objective {tuned:+.4f} (held-out half {held_out:+.4f}); margin {margin:.3f}")
    report(per_file)
    print(json.dumps(weights.model_dump(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
