"""Stage 2 — candidates: span edits that may correct the text, each with the facts that speak for it.

Four sources propose edits, all in the text's own offsets:
- **nbest** — hypothesis fusion: the text and its alternatives (an n-best list, other recognisers' outputs)
  aligned into one confusion network (`service/fusion.py`); every other alternative of a slot is an edit,
  with the share of belief that carries it;
- **hotword / lexicon** — terms that sound like a stretch of the text (`service/terms.py`);
- **spelling** — Kiwi's readings of the text with pronunciation and typo repairs (`service/spelling.py`'s typo
  model), one edit per eojeol, and the non-word repairs that need no model: a particle made to agree with its
  noun, jamo written apart composed into syllables.
Bundles group the edits that belong together: each alternative hypothesis as a whole, and the slot-by-slot
consensus of all of them. `propose` is the stage's one entry point; the reranker chooses
(`service/rerank.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from rapidfuzz.distance import Levenshtein

from service.fusion import ConfusionNetwork, build_network, content
from service.kiwi_lm import Analysis, KiwiToolkit
from service.particles import agree, is_case_particle, particle_positions, particle_tag
from service.phonology import compose, decompose, sound_distance
from service.spelling import compose_loose_jamo, respell_ending, sound_alike_spellings
from service.suspects import is_nonword
from service.terms import TermIndex, find_terms
from service.text import compact, scripts, strip_punctuation
from service.text_spans import eojeols
from service.types import EditFacts, EditSource, Hypothesis, SpanEdit, SuspectSpan

_NOUN_TAGS = ("NNG", "NNP", "NNB", "NR", "NP", "XSN")
REPLACEMENT_CHARACTER = "\ufffd"
# Segments whose Kiwi work is batched together between two looks at the clock, in characters.
CHUNK_CHARS = 2000
# Texts longer than this get fewer edits weighed (`weighable_edits`), but never fewer than MIN_WEIGHED_EDITS.
LONG_TEXT = 200
MIN_WEIGHED_EDITS = 8
# Eojeols of one segment respelled by their sound at most (the most doubtful first): a long garbled segment
# must not cost thousands of Kiwi readings.
MAX_RESPELLED_EOJEOLS = 24
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


@dataclass
class CandidateSet:
    """One segment's proposals: single edits, and bundles of them (indexes into `edits`) that go together."""

    edits: list[SpanEdit] = field(default_factory=list)
    bundles: list[tuple[int, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class ProposalLimits:
    spelling_readings: int = 2
    max_edits: int = 48
    centrality: float = 8.0  # how much agreement with the other hypotheses weighs them (service/fusion.py)
    respell_doubt: float = 0.3  # eojeols at least this doubtful (or no word) are respelled by their sound
    respellings: int = 2  # ... into at most this many spellings Kiwi reads as words


def propose(requests: Sequence[CandidateRequest], kiwi: KiwiToolkit, hotwords: TermIndex, lexicon: TermIndex,
            limits: ProposalLimits = ProposalLimits(),
            still_in_time: Callable[[], bool] = lambda: True) -> list[CandidateSet | None]:
    """Every segment's proposals; None for a segment reached after `still_in_time()` turned false.

    Segments go through Kiwi in groups of about `CHUNK_CHARS` characters (Kiwi's batches keep its threads
    busy), and the time is checked before every group and every segment.
    """
    sets: list[CandidateSet | None] = []
    for chunk in _chunks(requests):
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


def _chunks(requests: Sequence[CandidateRequest]) -> list[list[CandidateRequest]]:
    chunks: list[list[CandidateRequest]] = [[]]
    size = 0
    for request in requests:
        if chunks[-1] and size + len(request.text) > CHUNK_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(request)
        size += len(request.text)
    return [c for c in chunks if c]


def _propose_chunk(requests: list[CandidateRequest], kiwi: KiwiToolkit, hotwords: TermIndex,
                   lexicon: TermIndex, limits: ProposalLimits,
                   still_in_time: Callable[[], bool]) -> list[CandidateSet | None]:
    readings = kiwi.typo_readings([r.text for r in requests], top_n=limits.spelling_readings)
    # Kiwi's typo search has one cost budget per text, so a sentence spelled by ear all through gets only
    # its cheapest repairs from a reading of the whole; each eojeol is also read in a window of its
    # neighbours, with a budget of its own.
    windows = [eojeol_windows(r.text) for r in requests]
    window_readings = iter(kiwi.typo_readings([w.text for ws in windows for w in ws], top_n=1))
    respellings = iter(sound_alike_repairs(requests, kiwi, limits))
    sets: list[CandidateSet | None] = []
    for request, text_readings, text_windows in zip(requests, readings, windows):
        if not still_in_time():
            sets.append(None)
            continue
        network = (build_network(request.first, request.alternatives, limits.centrality)
                   if request.alternatives else None)
        facts = _FactFinder(request, contested_confidences(request.confidences, network))
        proposals = _ProposalPool(facts)
        if network is not None:
            for slot_edits in fusion_edits(network):
                proposals.add_all(slot_edits)
        particles = particle_positions(request.analysis.morphemes)
        matches = [m for index in (hotwords, lexicon) for m in find_terms(request.text, index, particles.__contains__)]
        common = common_words(kiwi, [m.term for m in matches])
        for match in matches:
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
        # What these repair is a non-word by construction: a particle that disagrees with its noun, jamo
        # apart, an ending spelled by ear.
        for start, end, after in agreement_repairs(request.text, request.analysis):
            proposals.add(start, end, after, "spelling", rule_repair=True, nonword=True)
        for start, end, after in rule_repairs(request.text) + split_ending_repairs(request.text, request.analysis):
            proposals.add(start, end, after, "spelling", rule_repair=True, nonword=True)
        candidate_set = proposals.finish(weighable_edits(limits.max_edits, len(request.text)))
        # Each Kiwi reading's repairs belong together (a sentence spelled by ear has several), as does each
        # hypothesis and the consensus.
        candidate_set.bundles = proposals.bundles(candidate_set, reading_keys)
        if network is not None:
            candidate_set.bundles += fusion_bundles(network, request.text, candidate_set.edits)
        sets.append(candidate_set)
    return sets


# --- facts ---------------------------------------------------------------------------------------------

class _FactFinder:
    """The facts every edit of one segment shares the sources of: confidences, suspects, sounds."""

    def __init__(self, request: CandidateRequest, confidences: Sequence[float | None]) -> None:
        self.request = request
        self.confidences = confidences

    def __call__(self, start: int, end: int, after: str, **source_facts) -> EditFacts:
        text = self.request.text
        before = text[start:end]
        values = [c for c in self.confidences[start:end] if c is not None]
        overlapping = [s for s in self.request.suspects if s.start < max(end, start + 1) and s.end > start]
        distance = sound_distance(before, after)
        old, new = compact(strip_punctuation(before)), compact(strip_punctuation(after))
        facts = {"nonword": any(s.nonword for s in overlapping), "unknown": any(s.unknown for s in overlapping)}
        facts.update(source_facts)
        return EditFacts(
            letters_changed=Levenshtein.distance(old, new),
            length_change=len(new) - len(old),
            confidence=sum(values) / len(values) if values else None,
            pronounced=distance == 0.0,
            sound_distance=distance,
            script_change=scripts(old) != scripts(new),
            **facts,
        )


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
    """Edits of one segment, one per (span, replacement): the first source to propose it keeps it, with the
    facts of every source that proposed it merged (a term the n-best list also offers has both)."""

    def __init__(self, facts: _FactFinder) -> None:
        self.facts = facts
        self.edits: dict[tuple[int, int, str], SpanEdit] = {}

    def add(self, start: int, end: int, after: str, source: EditSource,
            **source_facts) -> tuple[int, int, str] | None:
        """Pool one edit; its key (None when it changes nothing or is no correction at all)."""
        text = self.facts.request.text
        if text[start:end] == after or REPLACEMENT_CHARACTER in after:
            return None  # a recogniser's broken bytes are never an alternative
        key = (start, end, after)
        known = self.edits.get(key)
        if known is None:
            facts = self.facts(start, end, after, **source_facts)
            if facts.script_change and source not in ("hotword", "lexicon"):
                # Another script for the same words (천 → 1000, 아이티 → IT) is a style, not a correction; only
                # a meeting term may bring one in.
                return None
            self.edits[key] = SpanEdit(start, end, after, source, facts)
            return key
        merged = {name: value for name, value in source_facts.items() if value}
        # A repair another source also offers is no guess of Kiwi's typo model: its typo price goes.
        merged["typo_cost"] = source_facts.get("typo_cost", 0.0) if known.facts.typo_cost else 0.0
        stronger = min(known.source, source, key=_SOURCE_PRIORITY.index)
        self.edits[key] = replace(known, source=stronger, facts=replace(known.facts, **merged))
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


# --- fusion ---------------------------------------------------------------------------------------------

def fusion_edits(network: ConfusionNetwork) -> list[list[tuple[int, int, str, dict]]]:
    """Per slot, the alternatives the other hypotheses put there, with the text's own marks kept around them."""
    per_slot = []
    text = network.text
    for slot in network.slots:
        own = text[slot.start:slot.end]
        lead, trail = _marks_around(own)
        edits = []
        for alternative in slot.alternatives:
            after = (lead + alternative.text + trail) if alternative.text else ""
            edits.append((slot.start, slot.end, after,
                          {"votes_for": alternative.share, "votes_against": slot.own_share,
                           "believed": network.believed}))
        per_slot.append(edits)
    return per_slot


def fusion_bundles(network: ConfusionNetwork, text: str, edits: list[SpanEdit]) -> list[tuple[int, ...]]:
    """Each alternative hypothesis as a bundle of the slot edits it makes, and the consensus: in every slot,
    the alternative the hypotheses believe more than the text's own letters."""
    by_slot_content: dict[tuple[int, str], int] = {}
    for i, edit in enumerate(edits):
        if edit.source == "nbest" or edit.facts.votes_for:
            by_slot_content.setdefault((edit.start, content(edit.after)), i)
    bundles: list[tuple[int, ...]] = []
    for choices in network.choices:
        bundle = tuple(i for slot, said in zip(network.slots, choices)
                       if (i := by_slot_content.get((slot.start, said))) is not None)
        if bundle:
            bundles.append(bundle)
    consensus = tuple(i for slot in network.slots if slot.alternatives
                      and slot.alternatives[0].share > slot.own_share
                      and (i := by_slot_content.get((slot.start, content(slot.alternatives[0].text)))) is not None)
    if consensus:
        bundles.append(consensus)
    return list(dict.fromkeys(b for b in bundles if len(b) > 1))


def _marks_around(word: str) -> tuple[str, str]:
    stripped = strip_punctuation(word)
    if not stripped:
        return "", ""
    first = word.find(stripped.split()[0][0])
    last = word.rfind(stripped.split()[-1][-1])
    return word[:first], word[last + 1:]


# --- spelling and non-word repairs -------------------------------------------------------------------------

@dataclass(frozen=True)
class EojeolWindow:
    """One eojeol with its neighbours: `text` starts at `offset` of the sentence; the eojeol itself is
    text[center[0]:center[1]]."""

    text: str
    offset: int
    center: tuple[int, int]


def eojeol_windows(text: str) -> list[EojeolWindow]:
    words = eojeols(text)
    windows = []
    for i, word in enumerate(words):
        first, last = words[max(0, i - 1)], words[min(len(words) - 1, i + 1)]
        windows.append(EojeolWindow(text[first.start:last.end], first.start,
                                    (word.start - first.start, word.end - first.start)))
    return windows


def spelling_repairs(text: str, reading: Analysis, join) -> list[tuple[int, int, str, float]]:
    """One repair per eojeol in which Kiwi undid a typo, with its typo cost. Only the repaired morphemes and
    their neighbours are rejoined; the rest of the eojeol stays as written (joining all of it would also
    contract what was right: 되었으나 → 됐으나)."""
    repairs = []
    for word in eojeols(text):
        inside = [m for m in reading.morphemes if m.start < word.end and m.end > word.start]
        if not inside or all(m.typo_cost == 0 for m in inside):
            continue
        if inside[0].start < word.start or inside[-1].end > word.end:
            continue  # a reading that runs across a space is not a repair of this eojeol alone
        repaired = [i for i, m in enumerate(inside) if m.typo_cost]
        first, last = max(0, repaired[0] - 1), min(len(inside) - 1, repaired[-1] + 1)
        # Morphemes that share a syllable (시키 + 어 in 시켜) are rejoined together or not at all.
        while first > 0 and inside[first - 1].end > inside[first].start:
            first -= 1
        while last + 1 < len(inside) and inside[last + 1].start < inside[last].end:
            last += 1
        if last + 1 < len(inside) and is_case_particle(inside[last + 1].form):
            last += 1  # the particle after a respelled noun is rejoined too, so that it agrees (회의를)
        head, tail = text[word.start:inside[first].start], text[inside[last].end:word.end]
        # A particle Kiwi misread as a noun is joined as the particle it is: Kiwi's join picks its form.
        rejoined = [replace(m, tag=particle_tag(m.form, m.tag, i > 0 and inside[i - 1].tag.startswith(_NOUN_TAGS)))
                    for i, m in enumerate(inside[first:last + 1], first)]
        # Kiwi's join may space the morphemes apart; the respelling keeps the speaker's spacing (spacing is
        # the refine stage's business, and a split like 회의 을 is not a repair).
        rebuilt = compact(head + join(rejoined) + tail)
        if rebuilt != word.text:
            repairs.append((word.start, word.end, rebuilt, sum(m.typo_cost for m in inside)))
    return repairs


def agreement_repairs(text: str, analysis: Analysis) -> list[tuple[int, int, str]]:
    """A particle right after a noun, in Kiwi's reading, that disagrees with the noun's final sound
    (세 가지을 → 세 가지를). Only particles: a verb or ending after a noun is left as it is (일정 가서)."""
    repairs = []
    particles = particle_positions(analysis.morphemes)
    morphemes = analysis.morphemes
    for word in eojeols(text):
        for i, m in enumerate(morphemes):
            if not (word.start < m.start < word.end) or m.start not in particles or not is_case_particle(m.form):
                continue
            before = morphemes[i - 1] if i else None
            if before is None or before.end != m.start or not before.tag.startswith(_NOUN_TAGS):
                continue
            noun, suffix = text[word.start:m.start], text[m.start:word.end]
            agreed = agree(noun, suffix)
            if agreed != suffix:
                repairs.append((word.start, word.end, noun + agreed))
    return repairs


def sound_alike_repairs(requests: Sequence[CandidateRequest], kiwi: KiwiToolkit,
                        limits: ProposalLimits) -> list[list[tuple[int, int, str]]]:
    """Per request, doubtful eojeols respelled as they sound (`sound_alike_spellings`): the spellings Kiwi
    reads as words, with no form it does not know, that its language model prefers to the eojeol as written
    (the best `limits.respellings` of them). One Kiwi call for the whole batch."""
    asked: list[tuple[int, int, int, str, str, str]] = []  # request, start, end, lead, trail, written core
    for r, request in enumerate(requests):
        doubtful = [s for s in request.suspects if s.nonword or s.doubt >= limits.respell_doubt]
        doubtful.sort(key=lambda s: (not s.nonword, -s.doubt, s.start))
        for span in doubtful[:MAX_RESPELLED_EOJEOLS]:
            lead, trail = _marks_around(span.text)
            core = span.text[len(lead):len(span.text) - len(trail)]
            asked.append((r, span.start, span.end, lead, trail, core))
    variants = [sound_alike_spellings(core, 24) for *_, core in asked]
    texts = list(dict.fromkeys([core for *_, core in asked] + [v for vs in variants for v in vs]))
    readings = dict(zip(texts, kiwi.analyze(texts)))
    repairs: list[list[tuple[int, int, str]]] = [[] for _ in requests]
    for (r, start, end, lead, trail, core), options in zip(asked, variants):
        written = readings[core].score
        words = [(readings[v].score, v) for v in options
                 if readings[v].score > written and not any(m.oov for m in readings[v].morphemes)
                 and not is_nonword(list(readings[v].morphemes))]
        for _, spelled in sorted(words, reverse=True)[:limits.respellings]:
            repairs[r].append((start, end, lead + spelled + trail))
    return repairs


# The polite imperative and its kin attach to a verb's stem; after an adnominal -ㄹ/-을 they are no Korean.
_STEM_ENDINGS = ("세요", "셔요", "십시오", "시죠")


def split_ending_repairs(text: str, analysis: Analysis) -> list[tuple[int, int, str]]:
    """An ending heard as a word of its own after an adnominal -ㄹ (생각할 세요, 입을 세요): joined to its
    stem as it is written (생각하세요, 입으세요)."""
    repairs = []
    words = eojeols(text)
    for before, word in zip(words, words[1:]):
        if not word.text.startswith(_STEM_ENDINGS):
            continue
        last = [m for m in analysis.morphemes if before.start <= m.start < before.end]
        if not last or last[-1].tag != "ETM" or last[-1].end != before.end or last[-1].form not in ("ᆯ", "을"):
            continue
        stem = before.text
        if last[-1].form == "을" and stem.endswith("을"):
            stem = stem[:-1] + "으"
        else:
            syllable = decompose(stem[-1])
            if syllable is None or syllable.coda != "ㄹ":
                continue
            stem = stem[:-1] + compose(syllable.onset, syllable.vowel)
        repairs.append((before.start, word.end, stem + word.text))
    return repairs


def common_words(kiwi: KiwiToolkit, terms: list[str]) -> set[str]:
    """The terms Kiwi knows as one ordinary word (a noun it does not take for a name or an unknown form): a
    recogniser knows them too, so it mishears them less often than the names and jargon terms are there for."""
    unique = list(dict.fromkeys(terms))
    return {term for term, reading in zip(unique, kiwi.analyze(unique))
            if len(reading.morphemes) == 1 and not reading.morphemes[0].oov
            and reading.morphemes[0].tag in ("NNG", "MAG")}


def rule_repairs(text: str) -> list[tuple[int, int, str]]:
    """Repairs that need no model: jamo written apart composed into syllables (오ㄹ해 → 올해, 접ㅅㅣ → 접시),
    the formal ending spelled by ear respelled (시작하겠읍니다 → 시작하겠습니다)."""
    repairs = []
    for word in eojeols(text):
        repaired = respell_ending(compose_loose_jamo(word.text))
        if repaired != word.text:
            repairs.append((word.start, word.end, repaired))
    return repairs
