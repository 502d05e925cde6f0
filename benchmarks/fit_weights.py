"""Fit the reranker's weights (`config.ScoreWeights`) on whole benchmark files.

Every weight prices one named fact of an edit (`service.rerank.edit_features`) or of the language model's
reading of the edited text (`_Search.language_features`). This script makes every case's proposals, scores each
single edit and each bundle (a whole hypothesis, the fused consensus) by whether it brings the text closer to
what was said (CER, as `../shared/data/README.md` defines it), and fits one logistic regression over all of
them: the log-odds that an edit is right. Dividing by the language model's coefficient puts every weight in
the language model's units (log-probability), so `score = LM + Σ evidence` is that log-odds, rescaled.

Cases are split into two halves by a hash of their id; the fit sees the first half and reports how well it
ranks the second, so weights that only fit their own cases show.

    python benchmarks/fit_weights.py                   # fit; prints the weights as JSON (paste into config.py)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.dev_benchmark import case_cer, cer_norm  # noqa: E402
from benchmarks.tune_weights import GOALS, cases_of, half_of, proposed  # noqa: E402

FIXED = ("seq2seq", "mlm")  # the neural scorers' weights: not fitted here (no weights to load)
# What each fact must say, whatever the data's accidents: +1 only ever for an edit, -1 only ever against it.
# (A non-word is never right; the recogniser's certainty, Kiwi's typo cost, an unknown form brought in, a
# sound or a script changed never speak for an edit.) A fit that wants the other sign gets 0 for that fact.
SIGNS = {"lm": +1, "nonword": +1, "rule_repair": +1, "votes_for": +1, "votes_believed_for": +1,
         "votes_believed_against": -1, "term_closeness": +1, "term_own": +1, "term_common": -1,
         "pronounced": +1, "letters": -1, "letters_confidence": -1, "letters_sure": -1, "votes_against": -1,
         "sound_distance": -1, "typo_cost": -1, "creates_unknown": -1,
         "term_distance": -1, "spacing_only": -1}


def rows_of(files: list[str], limit: int | None) -> tuple[list[dict[str, float]], list[float], list[int]]:
    """Feature rows, CER changes and halves of every single edit and bundle of every case."""
    from config import load_settings
    from service.kiwi_lm import PlacedMorphemes
    from service.pipeline import CorrectionPipeline
    from service.rerank import RerankItem, _Search, edit_features
    from service.resources import load_resources

    settings = load_settings()
    pipeline = CorrectionPipeline(load_resources(settings), settings)
    kiwi = pipeline.resources.kiwi
    features, deltas, halves = [], [], []
    for name in files:
        for case in cases_of(name, limit):
            work = proposed(pipeline, case)
            if work.status is not None:
                continue
            proposals = work.proposals
            search = _Search(RerankItem(work.text, proposals), [])
            options = [(i,) for i in range(len(proposals.edits))] + [tuple(sorted(b)) for b in proposals.bundles]
            if not options:
                continue
            texts = [search.text_of(option) for option in options]
            readings = kiwi.analyze([work.text] + texts)
            search.original = PlacedMorphemes(readings[0].morphemes)
            base_language = search.language_features((), readings[0])
            reference = cer_norm(case.reference)
            base_cer = case_cer(reference, cer_norm(work.text))
            for option, text, reading in zip(options, texts, readings[1:]):
                delta = case_cer(reference, cer_norm(text)) - base_cer
                if abs(delta) < 1e-12:
                    continue
                row: dict[str, float] = {}
                for i in option:
                    edit = proposals.edits[i]
                    for feature, value in edit_features(edit.source, edit.facts).items():
                        row[feature] = row.get(feature, 0.0) + value
                language = search.language_features(option, reading)
                for feature, value in language.items():
                    row[feature] = row.get(feature, 0.0) + value - base_language.get(feature, 0.0)
                features.append(row)
                deltas.append(delta)
                halves.append(half_of(case.id))
    return features, deltas, halves


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 30) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method (no intercept: each source has its bias)."""
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + l2 * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_signed(x: np.ndarray, y: np.ndarray, names: list[str], l2: float) -> np.ndarray:
    """`fit_logistic` with the signs of SIGNS kept: a fact whose weight comes out the wrong way is dropped
    (weight 0) and the rest refitted, until every sign holds."""
    active = list(range(len(names)))
    while True:
        w = np.zeros(len(names))
        w[active] = fit_logistic(x[:, active], y, l2)
        wrong = [i for i in active if SIGNS.get(names[i], 0) * w[i] < 0]
        if not wrong:
            return w
        active = [i for i in active if i not in wrong]


def precision_table(scores: np.ndarray, good: np.ndarray) -> list[tuple[float, int, float]]:
    rows = []
    for threshold in (0.0, 1.0, 2.0, 3.0, 4.0):
        taken = scores >= threshold
        rows.append((threshold, int(taken.sum()), float(good[taken].mean()) if taken.any() else 0.0))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default=",".join(GOALS))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args(argv)
    from config import ScoreWeights

    features, deltas, halves = rows_of(args.files.split(","), args.limit)
    names = sorted({name for row in features for name in row} | {"lm"})
    x = np.array([[row.get(name, 0.0) for name in names] for row in features])
    good = np.array([d < 0 for d in deltas], dtype=float)
    half = np.array(halves)
    print(f"{len(x)} edits and bundles, {int(good.sum())} right", file=sys.stderr)
    w = fit_signed(x[half == 0], good[half == 0], names, args.l2)
    lm = w[names.index("lm")]
    if lm <= 0:
        raise SystemExit(f"the language model's coefficient came out {lm:.3f}: nothing to scale by")
    weights = {name: round(float(value / lm), 4) for name, value in zip(names, w)}
    for which in (0, 1):
        scores = x[half == which] @ (w / lm)
        print(f"half {which} ({'fitted' if which == 0 else 'held out'}): gain ≥ t → taken, share right:",
              "  ".join(f"{t:.0f}: {n} {p:.1%}" for t, n, p in precision_table(scores, good[half == which])),
              file=sys.stderr)
    known = set(ScoreWeights.model_fields)
    missing = sorted(set(weights) - known)
    if missing:
        print(f"features with no weight in ScoreWeights: {missing}", file=sys.stderr)
    weights.update({name: getattr(ScoreWeights(), name) for name in FIXED if name in known})
    print(json.dumps(weights, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
