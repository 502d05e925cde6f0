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
does not overlap the chosen ones, while one clears the step margin (a sentence spelled by ear has several
small repairs, each worth less than the first decision to change the sentence at all). An edit that alone
scored a whole margin below the text is not weighed again. Once a bundle is taken, each round also weighs
dropping one of its edits, and giving those an untaken edit overlaps up for it where it has more evidence than
they have together.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from config import ScoreWeights
from service.candidates import CandidateSet
from service.fusion import MAJORITY
from service.kiwi_lm import Analysis, PlacedMorphemes
from service.text import ends_with_mark
from service.text_spans import apply_edits, apply_edits_placed, overlap
from service.types import EditFacts, EditSource, SpanEdit

TERM_SOURCES = ("hotword", "lexicon")
# The confidence above which the recogniser's certainty grows steeply dearer to overrule (`letters_sure`).
SURE_CONFIDENCE = 0.75


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
    term_spans: tuple[tuple[int, int], ...] = ()  # where the chosen meeting terms stand in `text`


def edit_features(source: EditSource, facts: EditFacts) -> dict[str, float]:
    """The named facts of one edit the reranker weighs (each has a weight of the same name in ScoreWeights).

    - one bias per source, so each kind of evidence has its own prior;
    - letters rewritten, and by how much the recogniser was sure of them: linear in its confidence and in the
      log-odds above `SURE_CONFIDENCE` (a word it was nearly certain of is almost never a mistake); a
      non-word's confidence does not count (a non-word is never right, however sure the recogniser was);
    - letters added or removed: the language model's score falls with every word, so without a price per
      letter it would favour dropping words the recogniser heard (not paid for words an n-best alternative
      adds where the text's own letters hold as much belief, nor charged for letters a majority of the
      hypotheses' belief drops, nor either for a repair by rule);
    - the share of the hypotheses' belief for the new letters and for the replaced ones (apart when the
      recogniser sent those beliefs and when they come from agreement alone);
    - how far the two sound apart, and whether they sound the same (a respelling of what was heard);
    - what is replaced: a non-word, an unknown form;
    - a term's closeness in sound to what it replaces; Kiwi's typo cost; a repair by rule of what can only
      be a non-word (a particle made to agree with its noun, an ending spelled by ear, jamo apart); the
      particle 의 and 에, said alike, written for one another.
    A change of spacing alone is one flat feature of its own.
    """
    is_term = facts.term_distance is not None and source in TERM_SOURCES
    if facts.letters_changed == 0 and not is_term:
        return {"spacing_only": 1.0}
    letters = float(facts.letters_changed)
    # A repair by rule respells the same morphemes (라벨으로 → 라벨로, 하겠읍니다 → 하겠습니다): the letters it adds
    # or removes are no words, which is what the price per letter stands in for.
    length_change = 0.0 if facts.rule_repair else float(facts.length_change)
    if source == "nbest" and length_change > 0 and facts.votes_for <= facts.votes_against:
        # Words another hypothesis adds that the text's own belief outweighs or matches (one recogniser's
        # invented sentence) earn nothing for their length.
        length_change = 0.0
    elif source == "nbest" and length_change < 0 and facts.votes_for > MAJORITY:
        # Letters most of the belief says were never said (the text's recogniser invented them) cost nothing
        # to drop: the price stands in for the language model's taste for fewer words, not for a vote.
        length_change = 0.0
    features = {f"source_{source}": 1.0, "letters": letters, "length_change": length_change}
    confidence = None if facts.nonword else facts.confidence
    if confidence is not None:
        p = min(max(confidence, 0.01), 0.995)
        excess = math.log(p / (1.0 - p)) - math.log(SURE_CONFIDENCE / (1.0 - SURE_CONFIDENCE))
        features["letters_confidence"] = letters * p
        features["letters_sure"] = letters * max(0.0, excess)
    # Shares from the recogniser's own beliefs and shares from agreement alone are calibrated apart.
    votes = "votes_believed" if facts.believed else "votes"
    features.update({f"{votes}_for": facts.votes_for, f"{votes}_against": facts.votes_against})
    features.update(sound_distance=facts.sound_distance, pronounced=float(facts.pronounced),
                    nonword=float(facts.nonword), unknown=float(facts.unknown),
                    typo_cost=facts.typo_cost, rule_repair=float(facts.rule_repair),
                    particle_said_alike=float(facts.particle_said_alike))
    if is_term:
        assert facts.term_distance is not None
        features["term_closeness"] = 1.0 - facts.term_distance / max(facts.term_sounds, 1)
        features["term_distance"] = facts.term_distance
        features["term_common"] = float(facts.term_common)
    return features


def evidence(source: EditSource, facts: EditFacts, weights: ScoreWeights) -> float:
    """What speaks for one edit (positive) and against it (negative), before any language model."""
    return sum(getattr(weights, name) * value for name, value in edit_features(source, facts).items())


def edit_evidence(edit: SpanEdit, weights: ScoreWeights) -> float:
    """The evidence of the best-founded view of an edit: pooled, or as one of the sources that proposed it
    saw it alone. Two sources that agree are no weaker than either: where an n-best alternative the other
    hypotheses outvote is also Kiwi's repair of a word spelled by ear (어떠케 → 어떻게), the pooled facts would
    let the votes against it silence the repair, which is as well founded as when Kiwi offers it alone."""
    return max(evidence(offer.source, offer.facts, weights) for offer in edit.offers())


@dataclass
class _Search:
    """One segment's greedy search state."""

    item: RerankItem
    evidences: list[float]
    chosen: tuple[int, ...] = ()
    score: float = 0.0
    baseline: float = 0.0
    original: PlacedMorphemes | None = None  # Kiwi's reading of the original text, looked up by place
    open: bool = True
    hopeless: frozenset[int] = frozenset()  # edits that alone fell a whole margin below the text as it was
    bundled: frozenset[int] = frozenset()  # chosen edits that came in with a bundle, not on their own score

    def text_of(self, indexes: tuple[int, ...]) -> str:
        return apply_edits(self.item.text, [self.item.proposals.edits[i] for i in indexes])

    def language_features(self, indexes: tuple[int, ...], reading: Analysis) -> dict[str, float]:
        """What the language model says of the text with these edits, beside its score:

        - `term_own`: how much more (or less) likely it finds the terms' own words than the words they
          replace, apart from their context — a meeting term is announced, so its rarity (Kiwi splits an
          unknown name into unlikely pieces) is weighed apart from how it fits its context;
        - `creates_unknown`: forms Kiwi does not know that the edits bring in, less those they take out.
        """
        features = {"lm": reading.score}
        if not indexes or self.original is None:
            return features
        edits = [self.item.proposals.edits[i] for i in indexes]
        _, places = apply_edits_placed(self.item.text, edits)
        edited = PlacedMorphemes(reading.morphemes)
        term_own, unknowns = 0.0, 0
        for edit, where in zip(edits, places):
            if where is None:
                continue
            now, before = edited.overlapping(*where), self.original.overlapping(edit.start, edit.end)
            if edit.source in TERM_SOURCES:
                term_own += sum(m.score for m in now) - sum(m.score for m in before)
            unknowns += sum(m.oov for m in now) - sum(m.oov for m in before)
        features.update(term_own=term_own, creates_unknown=float(unknowns))
        return features

    def swaps(self) -> list[tuple[int, ...]]:
        """The chosen edits with those a bundle brought in given up for an untaken edit that overlaps them
        and has more evidence than they have together: a bundle is taken for what it gets right as a whole,
        and one of its edits may stand on a span that a better-founded edit of its own wants."""
        if not self.bundled:
            return []
        edits = self.item.proposals.edits
        out = []
        for index, edit in enumerate(edits):
            if index in self.chosen or index in self.hopeless:
                continue
            overlapped = {c for c in self.chosen if overlap(edit, edits[c])}
            if overlapped and overlapped <= self.bundled \
                    and self.evidences[index] > sum(self.evidences[c] for c in overlapped):
                out.append(tuple(sorted(set(self.chosen) - overlapped | {index})))
        return out

    def compatible(self, index: int, chosen: tuple[int, ...]) -> bool:
        edit = self.item.proposals.edits[index]
        return index not in chosen and not any(overlap(edit, self.item.proposals.edits[c]) for c in chosen)


def rerank(items: Sequence[RerankItem], analyze: Callable[[list[str]], list[Analysis]],
           scorers: Sequence[SentenceScorer], weights: ScoreWeights, margin: float,
           rounds: int, step_margin: float | None = None,
           still_in_time: Callable[[], bool] = lambda: True) -> list[RerankOutcome]:
    """Choose each item's edits (batched: one language-model call per round for all items). Out of time,
    the search stops after the round it is in: what it chose so far stands."""
    analyze = _as_sentences(analyze)
    searches = [_Search(item, [edit_evidence(e, weights) for e in item.proposals.edits])
                for item in items]
    readings = analyze([s.item.text for s in searches])
    for search, reading in zip(searches, readings):
        search.original = PlacedMorphemes(reading.morphemes)
    baselines = _language(searches, [[()] for _ in searches], analyze, scorers, weights)
    for search, (score,) in zip(searches, baselines):
        search.baseline = search.score = score
    for round_number in range(rounds):
        if round_number and not still_in_time():
            break
        options: list[list[tuple[int, ...]]] = []
        for search in searches:
            if not search.open:
                options.append([])
                continue
            edits = search.item.proposals.edits
            singles = [tuple(sorted(search.chosen + (i,))) for i in range(len(edits))
                       if i not in search.hopeless and search.compatible(i, search.chosen)]
            bundles = [b for b in search.item.proposals.bundles if not search.chosen] if round_number == 0 else []
            # An edit taken with a bundle may be dropped again (a hypothesis is right in most places, not all).
            dropped = [tuple(c for c in search.chosen if c != i) for i in search.chosen] if len(search.chosen) > 1 else []
            options.append(list(dict.fromkeys(singles + [tuple(sorted(b)) for b in bundles] + dropped
                                              + search.swaps())))
        if not any(options):
            break
        language = _language(searches, options, analyze, scorers, weights)
        for search, choices, scores in zip(searches, options, language):
            if not choices:
                search.open = False
                continue
            totals = [lm + sum(search.evidences[i] for i in choice) for choice, lm in zip(choices, scores)]
            if round_number == 0:
                # An edit that alone scores a whole margin below the text is not weighed again: what the
                # edits taken after it change of its context does not make up that much (a cost, not a choice).
                search.hopeless = frozenset(choice[0] for choice, total in zip(choices, totals)
                                            if len(choice) == 1 and total < search.baseline - margin)
            best = max(range(len(choices)), key=lambda k: totals[k])
            needed = margin if not search.chosen or step_margin is None else step_margin
            if set(choices[best]) < set(search.chosen):
                needed = 0.0  # dropping an edit needs only to help
            if totals[best] - search.score >= needed and totals[best] > search.score:
                if not search.chosen and len(choices[best]) > 1:
                    search.bundled = frozenset(choices[best])
                search.chosen, search.score = choices[best], totals[best]
                search.bundled &= frozenset(search.chosen)
            else:
                search.open = False
    outcomes = []
    for search in searches:
        edits = tuple(search.item.proposals.edits[i] for i in search.chosen)
        text, placed = apply_edits_placed(search.item.text, edits)
        gain = search.score - search.baseline if search.chosen else 0.0
        terms = tuple((where[0], where[0] + edit.facts.term_chars) for edit, where in zip(edits, placed)
                      if where is not None and edit.source in TERM_SOURCES and edit.facts.term_chars)
        outcomes.append(RerankOutcome(text, edits, gain, terms))
    return outcomes


def _as_sentences(analyze: Callable[[list[str]], list[Analysis]]) -> Callable[[list[str]], list[Analysis]]:
    """Kiwi reading and scoring each text as the finished sentence a segment is: one without a final mark gets a
    period for the reading (not for the output). Unfinished, a text may end in a connective as well as in a
    final ending, so the language model took 들어와서 (coming in, and …) for a 들어와써 said at the end of a
    sentence as readily as 들어왔어 (came in); with the period it weighs the ending as the sentence's last."""
    return lambda texts: analyze([text if ends_with_mark(text) else text + "." for text in texts])


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
    flat = [sum(getattr(weights, name) * value for name, value in search.language_features(choice, reading).items())
            for reading, (search, choice) in zip(analyze(texts), owners)]
    for scorer in scorers:
        weight = getattr(weights, scorer.weight_key)
        flat = [a + weight * b for a, b in zip(flat, scorer.score(originals, texts))]
    out, position = [], 0
    for choices in options:
        out.append(flat[position:position + len(choices)])
        position += len(choices)
    return out
