"""Stage 3 — rerank: choose which proposed edits to make, by language models plus the evidence for each edit.

score(edits) = LM(text with the edits) + Σ evidence(edit)
gain = score(chosen) − score(no edit); the text changes only when gain ≥ the configured margin.

The language-model part is Kiwi's log-probability of the whole sentence, joined by the seq2seq and masked-LM
scorers when the neural tier is loaded. The evidence of an edit is what the recogniser and the request say
about it (`evidence`): the price of overwriting letters the recogniser may have been sure of, lowered where
what it wrote is no Korean word or exactly how the new spelling is said; the share of the other hypotheses
that carry the new letters; a meeting term that sounds like the stretch it replaces; Kiwi's typo cost.

The search is greedy and batched: first every single edit and every bundle (a whole hypothesis, the fused
consensus) is scored; the best is taken if it clears the margin; then, round by round, one more edit that
does not overlap the chosen ones, while one clears the margin again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from config import ScoreWeights
from service.candidates import CandidateSet
from service.kiwi_lm import Analysis
from service.text_spans import apply_edits, apply_edits_placed
from service.types import EditFacts, EditSource, SpanEdit

TERM_SOURCES = ("hotword", "lexicon")


class SentenceScorer(Protocol):
    """A language model that scores candidate sentences given the original (higher is better)."""

    name: str
    weight_key: str

    def score(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]: ...


@dataclass(frozen=True)
class RerankItem:
    """One segment's choice: its text and the proposals for it."""

    text: str
    proposals: CandidateSet


@dataclass(frozen=True)
class RerankOutcome:
    text: str  # the text with the chosen edits (the original when nothing cleared the margin)
    edits: tuple[SpanEdit, ...]  # the chosen edits, in the original's offsets
    gain: float  # score advantage over the original (0 when nothing was chosen)


def _change_cost(confidence: float | None, weights: ScoreWeights) -> float:
    """The price of overwriting one letter the recogniser was `confidence` sure of.

    Linear in the confidence, plus a steep log-odds term above `sure_confidence`: a word the recogniser was
    nearly certain of is almost never a mistake, whatever the language model prefers. A recogniser that sent
    no confidence is neither sure nor unsure: one flat price (`unsure`).
    """
    if confidence is None:
        return weights.unsure
    p = min(max(confidence, 0.01), 0.995)
    excess = math.log(p / (1.0 - p)) - math.log(weights.sure_confidence / (1.0 - weights.sure_confidence))
    return weights.confidence * p + weights.sure * max(0.0, excess)


def evidence(source: EditSource, facts: EditFacts, weights: ScoreWeights) -> float:
    """What speaks for one edit (positive) and against it (negative), before any language model."""
    is_term = facts.term_distance is not None and source in TERM_SOURCES
    if facts.letters_changed == 0 and not is_term:
        return -weights.spacing  # moving a space changes no letter and no sound
    # A non-word is never right, however sure the recogniser was of it: its confidence does not count.
    cost = facts.letters_changed * _change_cost(None if facts.nonword else facts.confidence, weights)
    if facts.pronounced and facts.confidence is not None:
        # The recogniser wrote exactly how the new spelling is said: its confidence was in the sound, which
        # the respelling keeps. (With no confidence sent there is nothing to discount.)
        cost *= weights.pronounced_discount
    if facts.nonword:
        cost *= weights.nonword_discount  # a non-word is never right
    elif facts.unknown:
        cost *= weights.unknown_discount
    # The other hypotheses offered these letters: less of a leap than an outside guess, and the more belief
    # they carry, the smaller the leap.
    cost *= 1.0 - weights.nbest_trust * facts.votes_for
    if is_term:
        cost *= 1.0 - (weights.hotword_trust if source == "hotword" else weights.lexicon_trust)
    # The language model's score falls with every word: without a price per letter it would favour dropping
    # words the recogniser heard.
    score = -cost - weights.sound * facts.sound_distance + weights.length * facts.length_change
    score += weights.votes * (facts.votes_for - facts.votes_against)
    if is_term:
        # A term the meeting announced is a prior of its own; the closer it sounds, the likelier it is what
        # was said.
        bonus = weights.hotword if source == "hotword" else weights.lexicon
        closeness = 1.0 - facts.term_distance / max(facts.term_sounds, 1)
        score += bonus * closeness + weights.sound * facts.sound_distance  # the term prices its own sound
        score -= weights.term_distance * facts.term_distance
    score -= weights.typo * facts.typo_cost
    if facts.agreement:
        score += weights.agreement
    if facts.nonword:
        score += weights.nonword  # what it replaces is no Korean word: leaving it is never right either
    return score


@dataclass
class _Search:
    """One segment's greedy search state."""

    item: RerankItem
    evidences: list[float]
    chosen: tuple[int, ...] = ()
    score: float = 0.0
    baseline: float = 0.0
    reading: Analysis | None = None  # Kiwi's reading of the original text
    open: bool = True

    def text_of(self, indexes: tuple[int, ...]) -> str:
        return apply_edits(self.item.text, [self.item.proposals.edits[i] for i in indexes])

    def term_prior(self, indexes: tuple[int, ...], reading: Analysis) -> float:
        """How much more (or less) likely the language model finds the terms' own words than the words they
        replace, apart from their context. A meeting term is announced: its rarity is no evidence against it
        (Kiwi splits an unknown name into unlikely pieces), only how it fits its context is."""
        edits = [self.item.proposals.edits[i] for i in indexes]
        if self.reading is None or not any(e.source in TERM_SOURCES for e in edits):
            return 0.0
        _, placed = apply_edits_placed(self.item.text, edits)
        total = 0.0
        for edit, where in zip(edits, placed):
            if edit.source not in TERM_SOURCES or where is None:
                continue
            total += _own_score(reading, *where) - _own_score(self.reading, edit.start, edit.end)
        return total

    def compatible(self, index: int, chosen: tuple[int, ...]) -> bool:
        edit = self.item.proposals.edits[index]
        return index not in chosen and all(edit.end <= other.start or edit.start >= other.end
                                           for other in (self.item.proposals.edits[c] for c in chosen))


def _own_score(reading: Analysis, start: int, end: int) -> float:
    return sum(m.score for m in reading.morphemes if m.start < end and m.end > start)


def rerank(items: Sequence[RerankItem], analyze: Callable[[list[str]], list[Analysis]],
           scorers: Sequence[SentenceScorer], weights: ScoreWeights, margin: float,
           rounds: int) -> list[RerankOutcome]:
    """Choose each item's edits (batched: one language-model call per round for all items)."""
    searches = [_Search(item, [evidence(e.source, e.facts, weights) for e in item.proposals.edits])
                for item in items]
    readings = analyze([s.item.text for s in searches])
    for search, reading in zip(searches, readings):
        search.reading = reading
    baselines = _language(searches, [[()] for _ in searches], analyze, scorers, weights)
    for search, (score,) in zip(searches, baselines):
        search.baseline = search.score = score
    for round_number in range(rounds):
        options: list[list[tuple[int, ...]]] = []
        for search in searches:
            if not search.open:
                options.append([])
                continue
            edits = search.item.proposals.edits
            singles = [tuple(sorted(search.chosen + (i,))) for i in range(len(edits))
                       if search.compatible(i, search.chosen)]
            bundles = [b for b in search.item.proposals.bundles if not search.chosen] if round_number == 0 else []
            options.append(list(dict.fromkeys(singles + [tuple(sorted(b)) for b in bundles])))
        if not any(options):
            break
        language = _language(searches, options, analyze, scorers, weights)
        for search, choices, scores in zip(searches, options, language):
            if not choices:
                search.open = False
                continue
            totals = [lm + sum(search.evidences[i] for i in choice) for choice, lm in zip(choices, scores)]
            best = max(range(len(choices)), key=lambda k: totals[k])
            if totals[best] - search.score >= margin:
                search.chosen, search.score = choices[best], totals[best]
            else:
                search.open = False
    outcomes = []
    for search in searches:
        edits = tuple(search.item.proposals.edits[i] for i in search.chosen)
        text = search.text_of(search.chosen)
        gain = search.score - search.baseline if search.chosen else 0.0
        outcomes.append(RerankOutcome(text, edits, gain))
    return outcomes


def _language(searches: Sequence[_Search], options: Sequence[Sequence[tuple[int, ...]]],
              analyze: Callable[[list[str]], list[Analysis]], scorers: Sequence[SentenceScorer],
              weights: ScoreWeights) -> list[list[float]]:
    """The weighted language-model score of every option of every search, in one batch per model."""
    originals, texts, owners = [], [], []
    for search, choices in zip(searches, options):
        for choice in choices:
            originals.append(search.item.text)
            texts.append(search.text_of(choice))
            owners.append((search, choice))
    if not texts:
        return [[] for _ in searches]
    flat = [weights.lm * (reading.score - weights.term_prior * search.term_prior(choice, reading))
            for reading, (search, choice) in zip(analyze(texts), owners)]
    for scorer in scorers:
        weight = getattr(weights, scorer.weight_key)
        flat = [a + weight * b for a, b in zip(flat, scorer.score(originals, texts))]
    out, position = [], 0
    for choices in options:
        out.append(flat[position:position + len(choices)])
        position += len(choices)
    return out
