"""Stage 2 — candidates: span edits that may correct the text, each with the facts that speak for it.

Four sources propose edits, all in the text's own offsets:
- **nbest** — hypothesis fusion: the text and its alternatives (an n-best list, other recognisers' outputs)
  aligned into one confusion network (`service/fusion.py`); every other alternative of a slot is an edit,
  with the share of belief that carries it;
- **hotword / lexicon** — terms that sound like a stretch of the text (`service/terms.py`);
- **spelling** — what the recogniser spelled by ear and what can only be a non-word (`service/repairs.py`):
  Kiwi's readings with the sound rules reversed, respellings by sound, rule repairs.
Bundles group the edits that belong together: each Kiwi reading's repairs, each alternative hypothesis as a
whole, and the slot-by-slot consensus of all of them. `propose` is the stage's one entry point; the reranker
chooses (`service/rerank.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Callable, Sequence

from rapidfuzz.distance import Levenshtein

from service.fusion import ConfusionNetwork, build_network, content, fusion_bundles, fusion_edits
from service.kiwi_lm import Analysis, KiwiToolkit, in_slices
from service.particles import particle_positions
from service.phonology import sound_distance
from service.repairs import (agreement_repairs, eojeol_windows, ending_apart_repairs, past_heard_as_iss_repairs,
                             rule_repairs, said_alike_particle_repairs, single_nasal_repairs,
                             sound_alike_repairs, spelling_repairs, split_ending_repairs, spoken_form_repairs)
from service.spelling import respell_endings
from service.suspects import is_nonword
from service.terms import TermIndex, TermMatch, find_terms, is_latin_word_term, terms_present
from service.text import REPLACEMENT_CHARACTER, scripts
from service.types import EditFacts, EditSource, Hypothesis, Offer, SpanEdit, SuspectSpan

# Segments whose Kiwi work is batched together between two looks at the clock, in characters.
CHUNK_CHARS = 2000
# Texts longer than this get fewer edits weighed (`weighable_edits`), but never fewer than MIN_WEIGHED_EDITS.
LONG_TEXT = 200
MIN_WEIGHED_EDITS = 8
# When two sources propose the same edit, the edit is named after the more specific one (a meeting term
# the n-best list also offers is the term's doing).
_SOURCE_PRIORITY: tuple[EditSource, ...] = ("hotword", "lexicon", "nbest", "spelling")


@dataclass(frozen=True)
class CandidateRequest:
    """What the candidate stage knows of one segment."""

    text: str
    first: Hypothesis  # the text itself as the recogniser's hypothesis (its confidence or score)
    alternatives: tuple[Hypothesis, ...]  # the other hypotheses worth hearing (no fillers, not the text)
    confidences: Sequence[float | None]  # per character of `text`
    suspects: Sequence[SuspectSpan]
    analysis: Analysis  # Kiwi's reading of `text`

    @property
    def offered(self) -> tuple[str, ...]:
        """The texts of the other hypotheses: what the guard also measures a pick from."""
        return tuple(h.text for h in self.alternatives)


@dataclass
class CandidateSet:
    """One segment's proposals: single edits, and bundles of them (indexes into `edits`) that go together."""

    edits: list[SpanEdit] = field(default_factory=list)
    bundles: list[tuple[int, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class ProposalLimits:
    """How much the stage proposes; set from the service's settings (config.py, where each default is)."""

    spelling_readings: int  # Kiwi's readings of each text with the sound rules reversed
    max_edits: int  # span edits per segment the reranker weighs
    centrality: float  # how much agreement with the other hypotheses weighs them (service/fusion.py)
    respell_doubt: float  # eojeols at least this doubtful (or no word) are respelled by their sound
    respellings: int = 2  # ... into at most this many spellings Kiwi reads as words


def propose(requests: Sequence[CandidateRequest], kiwi: KiwiToolkit, hotwords: TermIndex, lexicon: TermIndex,
            limits: ProposalLimits,
            still_in_time: Callable[[], bool] = lambda: True) -> list[CandidateSet | None]:
    """Every segment's proposals; None for a segment reached after `still_in_time()` turned false.

    Segments go through Kiwi in groups of about `CHUNK_CHARS` characters (Kiwi's batches keep its threads
    busy), and the time is checked before every group and every segment.
    """
    sets: list[CandidateSet | None] = []
    for chunk in in_slices(requests, CHUNK_CHARS, lambda r: len(r.text)):
        if not still_in_time():
            sets.extend([None] * len(chunk))
            continue
        sets.extend(_propose_chunk(chunk, kiwi, hotwords, lexicon, limits, still_in_time))
    return sets


def weighable_edits(max_edits: int, text_length: int) -> int:
    """How many edits the reranker may weigh for a text this long: every option it scores is one language-
    model reading of the whole text, so a long text gets fewer (its reranking costs no more than a short
    one's, about `max_edits` readings of `LONG_TEXT` characters a round)."""
    if text_length <= LONG_TEXT:
        return max_edits
    return max(MIN_WEIGHED_EDITS, max_edits * LONG_TEXT // text_length)


def _propose_chunk(requests: list[CandidateRequest], kiwi: KiwiToolkit, hotwords: TermIndex,
                   lexicon: TermIndex, limits: ProposalLimits,
                   still_in_time: Callable[[], bool]) -> list[CandidateSet | None]:
    # Kiwi's typo search has one cost budget per text, so a sentence spelled by ear all through gets only
    # its cheapest repairs from a reading of the whole; each eojeol is also read in a window of its
    # neighbours, with a budget of its own.
    windows = [eojeol_windows(r.text, [(s.start, s.end) for s in r.suspects
                                       if s.nonword or s.unknown or s.doubt >= limits.respell_doubt])
               for r in requests]
    # The typo searches are begun first and collected last: a long text's search holds one of Kiwi's threads
    # while the hypotheses are aligned and the terms matched here, and the readings of the respellings and the
    # repairs by rule go to the other.
    collect_readings = kiwi.begin_typo_readings([r.text for r in requests], top_n=limits.spelling_readings)
    collect_window_readings = kiwi.begin_typo_readings([w.text for ws in windows for w in ws], top_n=1)
    fusion_and_terms = [_fusion_and_terms(r, hotwords, lexicon, limits) if still_in_time() else None
                        for r in requests]
    respellings = iter(sound_alike_repairs([r.suspects for r in requests], kiwi, limits.respell_doubt,
                                           limits.respellings))
    by_rule = [_repairs_by_rule(r, kiwi) for r in requests]
    # A repair by rule that leaves a non-word (읻씀니다 → 읻씁니다: the stem is still spelled by ear) is no
    # repair of it: it is weighed as any respelling, and a whole one (있습니다) can win over it.
    unrepaired = still_nonwords(kiwi, [after for repairs in by_rule for *_, after in repairs])
    common = common_words(kiwi, [m.term for f in fusion_and_terms if f is not None for m in f.matches])
    readings = collect_readings()
    window_readings = iter(collect_window_readings())
    sets: list[CandidateSet | None] = []
    for request, found, text_readings, text_windows, text_by_rule in zip(requests, fusion_and_terms, readings,
                                                                         windows, by_rule):
        if found is None or not still_in_time():
            sets.append(None)
            continue
        network = found.network
        facts = _FactFinder(request, contested_confidences(request.confidences, network))
        proposals = _ProposalPool(facts, found.hotwords_present)
        if network is not None:
            for slot_edits in fusion_edits(network):
                proposals.add_all(slot_edits)
        for match in found.matches:
            proposals.add(match.start, match.end, match.after, match.source, term_distance=match.distance,
                          term_sounds=match.sounds, term_chars=len(match.term), term_common=match.term in common)
        reading_keys = []
        for reading in text_readings:
            reading_keys.append([proposals.add(start, end, after, "spelling", typo_cost=cost)
                                 for start, end, after, cost in spelling_repairs(request.text, reading, kiwi.join)])
        local_keys = []
        for window in text_windows:
            [reading] = next(window_readings)
            for start, end, after, cost in spelling_repairs(window.text, reading, kiwi.join):
                if (start, end) == window.center:
                    local_keys.append(proposals.add(start + window.offset, end + window.offset, after,
                                                    "spelling", typo_cost=cost))
        reading_keys.append(local_keys)
        for start, end, after in next(respellings):
            proposals.add(start, end, after, "spelling")
        for start, end, after in text_by_rule:
            proposals.add(start, end, after, "spelling", rule_repair=after not in unrepaired, nonword=True)
        # 의 and 에 are said alike: both readings are words, and the sentence chooses.
        for start, end, after in said_alike_particle_repairs(request.text, request.analysis):
            proposals.add(start, end, after, "spelling", particle_said_alike=True)
        # A nasal heard doubled, the past tense heard as a verb of its own: both readings are words as a rule,
        # and the sentence chooses.
        for start, end, after in (single_nasal_repairs(request.text)
                                  + ending_apart_repairs(request.text, request.analysis, kiwi.join)):
            proposals.add(start, end, after, "spelling")
        candidate_set = proposals.finish(weighable_edits(limits.max_edits, len(request.text)))
        # Each Kiwi reading's repairs belong together (a sentence spelled by ear has several), as does each
        # hypothesis and the consensus.
        candidate_set.bundles = proposals.bundles(candidate_set, reading_keys)
        if network is not None:
            candidate_set.bundles += fusion_bundles(network, candidate_set.edits)
        sets.append(candidate_set)
    return sets


@dataclass(frozen=True)
class _FusionAndTerms:
    """What a segment's other hypotheses and the meeting's terms offer: found from the text alone, while Kiwi's
    typo searches of it run."""

    network: ConfusionNetwork | None
    matches: list[TermMatch]
    # Where a hotword stands in the text as it is written. Only hotwords: the meeting names them as its own
    # words, while a lexicon is a field's whole vocabulary (사용, 확인), whose every occurrence held fast would
    # keep a hypothesis from righting the words around it.
    hotwords_present: list[tuple[int, int]]


def _fusion_and_terms(request: CandidateRequest, hotwords: TermIndex, lexicon: TermIndex,
                      limits: ProposalLimits) -> _FusionAndTerms:
    network = (build_network(request.first, request.alternatives, limits.centrality,
                             frozenset(m.end for m in request.analysis.morphemes if m.tag == "EF"))
               if request.alternatives else None)
    particles = particle_positions(request.analysis.morphemes)
    word_starts = {m.start for m in request.analysis.morphemes}
    common_nouns = {m.start: m.end for m in request.analysis.morphemes if m.tag == "NNG" and not m.oov}
    matches = [m for index in (hotwords, lexicon)
               for m in find_terms(request.text, index, particles.__contains__, word_starts.__contains__)
               if not _over_a_common_noun(m, common_nouns)]
    return _FusionAndTerms(network, matches, terms_present(request.text, hotwords))


def _over_a_common_noun(match: TermMatch, common_nouns: dict[int, int]) -> bool:
    """A Latin word term over a common noun of the text (Kiwi's reading: where each starts and ends). Said just
    as the term (라디오 for Radio), it is the word heard right and written the Korean way; said otherwise (모드
    for Node, 목록 for Mongo), it is a Korean word, and the term's reading, a guess from its spelling, is no
    evidence against it. On 1,500 right corpus sentences each sent with ten English product names as hotwords,
    eight such nouns were rewritten without this."""
    noun_end = common_nouns.get(match.start)
    return noun_end is not None and noun_end <= match.end and is_latin_word_term(match.term)


# --- facts ---------------------------------------------------------------------------------------------

class _FactFinder:
    """The facts every edit of one segment shares the sources of: confidences, suspects, sounds."""

    def __init__(self, request: CandidateRequest, contested: Sequence[float | None]) -> None:
        self.request = request
        self.contested = contested

    def __call__(self, start: int, end: int, after: str, **source_facts) -> EditFacts:
        """The facts of an edit, its letters as sure as the hypotheses leave them (`contested_confidences`)."""
        text = self.request.text
        before = text[start:end]
        overlapping = [s for s in self.request.suspects if s.start < max(end, start + 1) and s.end > start]
        distance = sound_distance(before, after)
        old, new = content(before), content(after)
        facts = {"nonword": any(s.nonword for s in overlapping), "unknown": any(s.unknown for s in overlapping)}
        facts.update(source_facts)
        return EditFacts(
            letters_changed=Levenshtein.distance(old, new),
            length_change=len(new) - len(old),
            confidence=_mean_confidence(self.contested, start, end),
            pronounced=distance == 0.0,
            sound_distance=distance,
            # A word dropped is no change of script.
            script_change=bool(old and new) and scripts(old) != scripts(new),
            **facts,
        )

    def as_source_sees(self, source: EditSource, facts: EditFacts, start: int, end: int) -> EditFacts:
        """An edit's facts as one source alone knows them: only the n-best source hears the hypotheses contest
        the letters; a spelling repair or a term knows the recogniser's own confidences."""
        if source == "nbest":
            return facts
        return replace(facts, confidence=_mean_confidence(self.request.confidences, start, end))


def _mean_confidence(confidences: Sequence[float | None], start: int, end: int) -> float | None:
    values = [c for c in confidences[start:end] if c is not None]
    return sum(values) / len(values) if values else None


def contested_confidences(confidences: Sequence[float | None],
                          network: ConfusionNetwork | None) -> list[float | None]:
    """Per character, the recogniser's confidence, lowered where the hypotheses disagree: a slot that only
    part of the belief carries is no surer than that part (the n-best posterior of its letters)."""
    adjusted = list(confidences)
    if network is None:
        return adjusted
    for slot in network.slots:
        if not slot.alternatives:
            continue
        for i in range(slot.start, slot.end):
            c = adjusted[i]
            adjusted[i] = slot.own_share if c is None else min(c, slot.own_share)
    return adjusted


class _ProposalPool:
    """Edits of one segment, one per (span, replacement): the strongest source that proposed it names it, with
    the facts of every source that proposed it merged (a term the n-best list also offers has both), and each
    source's own view kept beside them."""

    def __init__(self, facts: _FactFinder, hotwords_present: Sequence[tuple[int, int]] = ()) -> None:
        self.facts = facts
        self.hotwords_present = hotwords_present
        self.edits: dict[tuple[int, int, str], SpanEdit] = {}

    def keeps_the_terms(self, start: int, end: int, after: str) -> bool:
        """Whether an edit leaves every hotword written in the text whole: one it cuts or rewrites is the
        meeting's word, right as it stands (도커 is not respelled 독허 because the two sound alike)."""
        text = self.facts.request.text
        for term_start, term_end in self.hotwords_present:
            if term_start >= end or term_end <= start:
                continue
            if term_start < start or term_end > end or text[term_start:term_end] not in after:
                return False
        return True

    def add(self, start: int, end: int, after: str, source: EditSource,
            **source_facts) -> tuple[int, int, str] | None:
        """Pool one edit; its key (None when it changes nothing or is no correction at all)."""
        text = self.facts.request.text
        # Whatever proposes it, an edit writes no formal ending spelled by ear (기능임니다): a non-word is never
        # right, and a stem respelled (읻씀니다 → 있슴니다) or a hypothesis's word can still end in one.
        after = respell_endings(after)
        if text[start:end] == after or REPLACEMENT_CHARACTER in after:
            return None  # a recogniser's broken bytes are never an alternative
        if not self.keeps_the_terms(start, end, after):
            return None
        key = (start, end, after)
        known = self.edits.get(key)
        if known is None:
            facts = self.facts(start, end, after, **source_facts)
            # Words the text lacks (a 1-best cut short, completed from the other hypotheses) are no other
            # script for its own, whatever they are written in.
            brings_words = len(after.split()) >= len(text[start:end].split()) + 2
            if facts.script_change and source not in ("hotword", "lexicon") and not brings_words:
                # Another script for the same words (천 → 1000, 아이티 → IT) is a style, not a correction; only
                # a meeting term may bring one in.
                return None
            self.edits[key] = SpanEdit(start, end, after, source, facts)
            return key
        again = offered_again(known, source, source_facts)
        if all(offer.source != source for offer in known.offers()):
            # Each source's own view is kept apart too, the first's among them (its facts as yet unpooled):
            # pooled with an n-best alternative's votes, a spelling repair's own evidence is lost.
            views = known.other_offers or (Offer(known.source,
                                                 self.facts.as_source_sees(known.source, known.facts, start, end)),)
            own = Offer(source, self.facts.as_source_sees(source, self.facts(start, end, after, **source_facts),
                                                          start, end))
            again = replace(again, other_offers=views + (own,))
        self.edits[key] = again
        return key

    def add_all(self, edits: list[tuple[int, int, str, dict]]) -> None:
        for start, end, after, source_facts in edits:
            self.add(start, end, after, "nbest", **source_facts)

    def finish(self, max_edits: int) -> CandidateSet:
        edits = list(self.edits.values())
        # The strongest first, by the kind of evidence, when there are more than the reranker may weigh.
        edits.sort(key=lambda e: (-e.facts.votes_for, e.facts.term_distance if e.facts.term_distance is not None
                                  else 99.0, e.facts.typo_cost, e.start))
        return CandidateSet(edits[:max_edits])

    def bundles(self, kept: CandidateSet, groups: list[list[tuple[int, int, str] | None]]) -> list[tuple[int, ...]]:
        """Each group of pooled edits as a bundle of indexes into the kept edits (groups of two or more)."""
        index = {(e.start, e.end, e.after): i for i, e in enumerate(kept.edits)}
        bundles = (tuple(sorted({index[k] for k in group if k in index})) for group in groups)
        return list(dict.fromkeys(b for b in bundles if len(b) > 1))


_NO_FACTS = {f.name: f.default for f in fields(EditFacts)}


def offered_again(known: SpanEdit, source: EditSource, source_facts: dict) -> SpanEdit:
    """An edit already pooled, offered again by `source` with its own facts: the stronger source names it, and
    what the new source knows adds to what was known. A fact it leaves at its default says nothing (but a
    term's distance of 0 is a fact: a term that sounds exactly like what it replaces)."""
    merged = {name: value for name, value in source_facts.items() if value != _NO_FACTS.get(name)}
    # A repair another source also offers is no guess of Kiwi's typo model: its typo price goes.
    merged["typo_cost"] = source_facts.get("typo_cost", 0.0) if known.facts.typo_cost else 0.0
    stronger = min(known.source, source, key=_SOURCE_PRIORITY.index)
    return replace(known, source=stronger, facts=replace(known.facts, **merged))


def _repairs_by_rule(request: CandidateRequest, kiwi: KiwiToolkit) -> list[tuple[int, int, str]]:
    """What these repair is a non-word by construction: a particle that disagrees with its noun, jamo apart, an
    ending spelled by ear, a particle or ending spelled as speech says it (no written Korean)."""
    return (agreement_repairs(request.text, request.analysis) + rule_repairs(request.text)
            + split_ending_repairs(request.text, request.analysis)
            + past_heard_as_iss_repairs(request.text, request.analysis, kiwi.join)
            + spoken_form_repairs(request.text, request.analysis))


def still_nonwords(kiwi: KiwiToolkit, texts: list[str]) -> set[str]:
    """The texts Kiwi still reads as no Korean (one Kiwi call; none for no texts)."""
    unique = list(dict.fromkeys(texts))
    return {text for text, reading in zip(unique, kiwi.analyze(unique)) if is_nonword(list(reading.morphemes))}


def common_words(kiwi: KiwiToolkit, terms: list[str]) -> set[str]:
    """The terms Kiwi knows as one ordinary word (a noun it does not take for a name or an unknown form): a
    recogniser knows them too, so it mishears them less often than the names and jargon terms are there for."""
    unique = list(dict.fromkeys(terms))
    return {term for term, reading in zip(unique, kiwi.analyze(unique))
            if len(reading.morphemes) == 1 and not reading.morphemes[0].oov
            and reading.morphemes[0].tag in ("NNG", "MAG")}


