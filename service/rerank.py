"""Stage 3 — rerank: score whole-sentence candidates by language models plus the recogniser's evidence.

score(candidate) = Σ weight·LM(candidate) + evidence(candidate, original)
gain = score(best) − score(original); the best replaces the original only when gain ≥ the configured margin.

The language-model part is Kiwi's own log-probability, joined by the seq2seq and masked-LM scorers when the
neural tier is loaded. The evidence part charges for changing what the recogniser was sure of and for
changing how the sentence sounds, and credits agreement with the n-best list and with the meeting's terms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from rapidfuzz.distance import Levenshtein

from config import ScoreWeights
from service.candidates import strip_punctuation
from service.phonology import sound_distance
from service.types import Candidate, Hypothesis

_DEFAULT_CONFIDENCE = 0.85
# Moving a space changes no sound and no letter: it is charged a small fixed price, not by confidence.
_SPACE_EDIT_COST = 0.75
_NBEST_SUPPORT_DISCOUNT = 0.5


class SentenceScorer(Protocol):
    """A language model that scores candidate sentences given the original (higher is better)."""

    name: str
    weight_key: str

    def score(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]: ...


@dataclass(frozen=True)
class RerankItem:
    """One segment's reranking problem: candidates against a baseline (the text to beat).

    Evidence is always measured against `original`, the recogniser's text; the baseline is the original in
    the first pass and the current pick in later passes.
    """

    original: str
    baseline: Candidate
    candidates: list[Candidate]
    confidences: list[float | None]
    nbest: tuple[Hypothesis, ...]
    hotwords: tuple[str, ...]
    lexicon: tuple[str, ...]


@dataclass(frozen=True)
class ScoredCandidate:
    candidate: Candidate
    language: float
    evidence: float

    @property
    def total(self) -> float:
        return self.language + self.evidence


@dataclass(frozen=True)
class RerankOutcome:
    original: ScoredCandidate  # the baseline, scored
    best: ScoredCandidate  # the baseline again when nothing beat it by the margin
    gain: float
    accepted: bool
    ranked: tuple[ScoredCandidate, ...]

    @property
    def picked(self) -> str:
        return self.best.candidate.text


def _count_terms(text: str, terms: tuple[str, ...]) -> int:
    return sum(text.count(term) for term in terms if term)


def evidence_score(item: RerankItem, candidate: str, weights: ScoreWeights) -> float:
    """Evidence for `candidate` against the original (0 for the original itself)."""
    original = item.original
    if candidate == original:
        return 0.0
    cost = 0.0
    nbest_words = {w for h in item.nbest for w in strip_punctuation(h.text).split()}
    nbest_compact = "\n".join("".join(h.text.split()) for h in item.nbest)
    supported = 0
    for op in Levenshtein.opcodes(original, candidate):
        if op.tag == "equal":
            continue
        before = original[op.src_start:op.src_end]
        after = candidate[op.dest_start:op.dest_end]
        if not before.strip() and not after.strip():
            cost += _SPACE_EDIT_COST
            continue
        changed = [item.confidences[i] for i in range(op.src_start, op.src_end) if not original[i].isspace()]
        if not changed:  # a pure insertion: priced by the confidence of the character it follows
            neighbour = item.confidences[op.src_start - 1] if op.src_start > 0 else None
            changed = [neighbour] * max(1, len(after.strip()))
        op_cost = sum(_DEFAULT_CONFIDENCE if c is None else c for c in changed)
        if after.strip() and "".join(after.split()) in nbest_compact:
            # The recogniser itself offered these characters: less of a leap than an outside guess.
            op_cost *= _NBEST_SUPPORT_DISCOUNT
        cost += op_cost
    original_words = set(strip_punctuation(original).split())
    for word in strip_punctuation(candidate).split():
        if word not in original_words and word in nbest_words:
            supported += 1
    score = -weights.confidence * cost
    score -= weights.sound * sound_distance(original, candidate)
    score += weights.nbest_rank * supported
    score += weights.hotword * (_count_terms(candidate, item.hotwords) - _count_terms(original, item.hotwords))
    score += weights.lexicon * (_count_terms(candidate, item.lexicon) - _count_terms(original, item.lexicon))
    return score


def rerank(
    items: list[RerankItem],
    kiwi_scores,
    scorers: Sequence[SentenceScorer],
    weights: ScoreWeights,
    margin: float,
) -> list[RerankOutcome]:
    """Score every candidate of every item in one batch per language model; pick each item's best."""
    flat_originals: list[str] = []
    flat_texts: list[str] = []
    for item in items:
        for candidate in [item.baseline] + item.candidates:
            flat_originals.append(item.original)
            flat_texts.append(candidate.text)
    language = [weights.lm * s for s in kiwi_scores(flat_texts)]
    for scorer in scorers:
        extra = scorer.score(flat_originals, flat_texts)
        weight = getattr(weights, scorer.weight_key)
        language = [a + weight * b for a, b in zip(language, extra)]

    outcomes: list[RerankOutcome] = []
    position = 0
    for item in items:
        pool = [item.baseline] + item.candidates
        scored = []
        for candidate in pool:
            scored.append(ScoredCandidate(candidate, language[position],
                                          evidence_score(item, candidate.text, weights)))
            position += 1
        original = scored[0]
        ranked = tuple(sorted(scored, key=lambda s: s.total, reverse=True))
        best = ranked[0]
        gain = best.total - original.total
        accepted = best.candidate.text != item.baseline.text and gain >= margin
        outcomes.append(RerankOutcome(original, best if accepted else original,
                                      gain if accepted else 0.0, accepted, ranked))
    return outcomes
