"""Stage 3 — rerank: score whole-sentence candidates by language models plus the recogniser's evidence.

score(candidate) = Σ weight·LM(candidate) + evidence(candidate, original)
gain = score(best) − score(original); the best replaces the original only when gain ≥ the configured margin.

The language-model part is Kiwi's own log-probability, joined by the seq2seq and masked-LM scorers when the
neural tier is loaded. The evidence part charges for changing what the recogniser was sure of and for
changing how the sentence sounds, and credits agreement with the n-best list and with the meeting's terms.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, Sequence

from rapidfuzz.distance import Levenshtein

from config import ScoreWeights
from service.alignment import changed_regions
from service.candidates import introduces_term
from service.phonology import pronounce, sound_distance
from service.text import compact, strip_punctuation
from service.types import Candidate, Hypothesis

_DEFAULT_CONFIDENCE = 0.85
# Moving a space changes no sound and no letter: it is charged a small fixed price, not by confidence.
_SPACE_EDIT_COST = 0.75


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
    segment_confidence: float | None = None


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
    baseline: ScoredCandidate
    best: ScoredCandidate  # the baseline again when nothing beat it by the margin
    gain: float
    accepted: bool

    @property
    def picked(self) -> str:
        return self.best.candidate.text


def _change_cost(confidence: float, weights: ScoreWeights) -> float:
    """The price of overwriting one character the recogniser was `confidence` sure of.

    Linear in the confidence, plus a steep log-odds term above `sure_confidence`: a word the recogniser was
    nearly certain of is almost never a mistake, whatever the language model prefers.
    """
    p = min(max(confidence, 0.01), 0.995)
    excess = math.log(p / (1.0 - p)) - math.log(weights.sure_confidence / (1.0 - weights.sure_confidence))
    return weights.confidence * p + weights.sure * max(0.0, excess)


def _nbest_support(item: RerankItem) -> list[tuple[str, float]]:
    """Each hypothesis (spaces removed) with how much the recogniser believed it, relative to its 1-best."""
    reference = item.segment_confidence
    supports = []
    for hypothesis in item.nbest:
        if hypothesis.confidence is not None and reference:
            belief = min(1.0, hypothesis.confidence / reference)
        else:
            belief = 1.0 / (1.0 + max(hypothesis.rank - 1, 1))
        supports.append((compact(hypothesis.text), belief))
    return supports


def _count_terms(text: str, terms: tuple[str, ...]) -> int:
    return sum(text.count(term) for term in terms if term)


def evidence_score(item: RerankItem, candidate: str, weights: ScoreWeights) -> float:
    """Evidence for `candidate` against the original (0 for the original itself)."""
    original = item.original
    if candidate == original:
        return 0.0
    cost = 0.0
    nbest_words = {w for h in item.nbest for w in strip_punctuation(h.text).split()}
    support = _nbest_support(item)
    supported = 0
    for region in changed_regions(original, candidate):
        before = original[region.src_start:region.src_end]
        after = candidate[region.dest_start:region.dest_end]
        if not before.strip() and not after.strip():
            cost += _SPACE_EDIT_COST
            continue
        confidences = [c for i in range(region.src_start, region.src_end)
                       if not original[i].isspace() and (c := item.confidences[i]) is not None]
        if not confidences and region.src_start > 0 and item.confidences[region.src_start - 1] is not None:
            confidences = [item.confidences[region.src_start - 1]]  # an insertion: priced by its neighbour
        confidence = sum(confidences) / len(confidences) if confidences else _DEFAULT_CONFIDENCE
        letters_changed = max(1, Levenshtein.distance(compact(before), compact(after)))
        region_cost = letters_changed * _change_cost(confidence, weights)
        if compact(before) == pronounce(after):
            # The recogniser wrote exactly how `after` is said: its confidence was in the sound, which the
            # respelling keeps.
            region_cost *= weights.pronounced_discount
        compact_after = compact(after)
        trust = max((t for text, t in support if compact_after and compact_after in text), default=0.0)
        # The recogniser itself offered these characters: less of a leap than an outside guess, and the
        # more it believed the hypothesis that offered them, the smaller the leap.
        region_cost *= 1.0 - weights.nbest_trust * trust
        # A term the meeting announced is a prior of its own: the recogniser may well have been sure of the
        # sound-alike it wrote instead.
        if introduces_term(before, after, item.hotwords):
            region_cost *= 1.0 - weights.hotword_trust
        elif introduces_term(before, after, item.lexicon):
            region_cost *= 1.0 - weights.lexicon_trust
        cost += region_cost
    original_words = set(strip_punctuation(original).split())
    for word in strip_punctuation(candidate).split():
        if word not in original_words and word in nbest_words:
            supported += 1
    score = -cost
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
        baseline = scored[0]
        best = max(scored, key=lambda s: s.total)  # the first of equals: ties keep the baseline
        gain = best.total - baseline.total
        accepted = best.candidate.text != item.baseline.text and gain >= margin
        outcomes.append(RerankOutcome(baseline, best if accepted else baseline,
                                      gain if accepted else 0.0, accepted))
    return outcomes
