"""Hypothesis fusion: the text and its alternatives (an n-best list, or other recognisers' outputs) aligned into
one confusion network, eojeol slot by eojeol slot.

Every hypothesis is aligned to the text by its letters with spaces and sentence marks removed, so hypotheses
that space the same words differently line up (극복하는데 / 극복하는 데). Each of the text's eojeols becomes a
slot; what every hypothesis has in that place is an alternative, and the alternatives are weighted by how much
the hypotheses that carry them are believed: by their confidence or score when the recogniser sent one,
equally when not. Agreement between hypotheses is evidence even with no confidence at all.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Sequence

from rapidfuzz.distance import Levenshtein

from service.phonology import sound_distance
from service.spelling import respell_endings
from service.text import NON_WORD_MARKS, compact, ends_sentence, marks_around, scripts, strip_punctuation, words_of
from service.text_spans import Eojeol, eojeols
from service.types import Hypothesis, SpanEdit

_HANGUL_ONLY = frozenset({"hangul"})  # `scripts` of a word written in Hangul alone
# More than this share of all the hypotheses' belief is a majority.
MAJORITY = 0.5


@dataclass(frozen=True)
class Alternative:
    """What the hypotheses have in one slot: `text` as the best-believed of them wrote it (its spacing kept),
    `share` the fraction of all belief that carries these letters. `joins_next` / `joins_previous`: that
    hypothesis writes these letters in one word with what it has in the next / previous slot (the text split
    its word elsewhere: 훼 의를 heard for 회의를), so the space between the two slots goes with them."""

    text: str
    share: float
    joins_next: bool = False
    joins_previous: bool = False


@dataclass(frozen=True)
class Slot:
    """One eojeol of the text (text[start:end]) and the alternatives the hypotheses put in its place."""

    start: int
    end: int
    own_share: float  # the belief carrying the text's own letters here
    alternatives: tuple[Alternative, ...]  # other letters only, most believed first
    joined_share: float = 0.0  # the belief that writes this slot's letters in one word with the slot before


@dataclass(frozen=True)
class ConfusionNetwork:
    text: str
    slots: tuple[Slot, ...]
    choices: tuple[tuple[str, ...], ...]  # per alternative hypothesis, what it says in each slot (`content`)
    believed: bool = False  # the shares come from beliefs the recogniser sent (confidences or scores)


@dataclass(frozen=True)
class _Letters:
    """The letters of a text (no spaces, no sentence marks), where each stands in the raw text, and where
    its words end."""

    letters: str
    raw_index: tuple[int, ...]
    word_starts: frozenset[int]  # letter positions where a new word begins (0 and len included)

    @classmethod
    def of(cls, text: str) -> "_Letters":
        letters, raw_index, starts = [], [], {0}
        previous_space = False
        for i, ch in enumerate(text):
            if ch.isspace():
                previous_space = True
                continue
            if ch in NON_WORD_MARKS:
                continue
            if previous_space:
                starts.add(len(letters))
            previous_space = False
            letters.append(ch)
            raw_index.append(i)
        starts.add(len(letters))
        return cls("".join(letters), tuple(raw_index), frozenset(starts))


def content(text: str) -> str:
    """What a slot alternative says, for counting votes: its letters without spaces or marks."""
    return compact(strip_punctuation(text))


def hypothesis_weights(hypotheses: Sequence[Hypothesis], centrality: float = 0.0) -> list[float]:
    """How much each hypothesis is believed, relative to the others (they sum to 1).

    Confidences when every hypothesis has one; else scores (log-probabilities) through a softmax. With
    neither, agreement is the belief: a hypothesis close to all the others (little letter change to them on
    average) is likelier right in the places where they split than one far from all (exp(−centrality · mean
    change rate)); `centrality` 0 weighs them equally. A change rate is per letter of the longer of the two,
    the same both ways: measured against the shorter, a hypothesis cut off after a word would make every
    whole one look far from the rest and take nearly all the belief itself."""
    if not hypotheses:
        return []
    if all(h.confidence is not None for h in hypotheses):
        raw = [max(h.confidence, 1e-3) for h in hypotheses]  # type: ignore[arg-type]
    elif beliefs_sent(hypotheses):
        top = max(h.score for h in hypotheses)  # type: ignore[type-var]
        raw = [math.exp(max(-30.0, h.score - top)) for h in hypotheses]  # type: ignore[operator]
    elif centrality and len(hypotheses) > 2:
        letters = [content(h.text) for h in hypotheses]
        raw = []
        for i, mine in enumerate(letters):
            rates = [Levenshtein.distance(other, mine) / max(len(other), len(mine), 1)
                     for j, other in enumerate(letters) if j != i]
            raw.append(math.exp(-centrality * sum(rates) / len(rates)))
    else:
        raw = [1.0] * len(hypotheses)
    total = sum(raw)
    return [r / total for r in raw]


def _boundary_map(base: _Letters, other: _Letters) -> list[int]:
    """For every letter position of `base`, the position of `other` that lines up with it.

    Where the alignment leaves a choice — beside inserted letters, or inside a replaced stretch where the
    position is a guess in proportion — it is moved to where a word begins in `other` if one is that close,
    so a slot takes whole words of the hypothesis, unless that would leave a word of the text with none.
    """
    a, b = base.letters, other.letters
    mapped: list[int | None] = [None] * (len(a) + 1)
    choices: dict[int, tuple[int, int]] = {}
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            for k in range(op.src_start, op.src_end + 1):
                mapped[k] = op.dest_start + (k - op.src_start)
            continue
        span_src, span_dest = op.src_end - op.src_start, op.dest_end - op.dest_start
        for k in range(op.src_start, op.src_end + 1):
            if span_src == 0:
                low, high = op.dest_start, op.dest_end
            elif k in (op.src_start, op.src_end):
                low = high = op.dest_start if k == op.src_start else op.dest_end
            else:
                guess = op.dest_start + round((k - op.src_start) * span_dest / span_src)
                choices[k] = (max(op.dest_start, guess - 1), min(op.dest_end, guess + 1))
                mapped[k] = guess
                continue
            if low != high:
                choices[k] = (low, high)
            if mapped[k] is None:
                mapped[k] = low
    result = [m if m is not None else 0 for m in mapped]
    # The text's edges are no choice: what another hypothesis says before the text's first word or after its
    # last belongs to the first or last slot (a recogniser that stopped early or started late heard less).
    result[0], result[-1] = 0, len(b)
    choices.pop(0, None)
    choices.pop(len(a), None)
    word_starts = sorted(base.word_starts)
    word_index = {start: i for i, start in enumerate(word_starts)}
    for k, (low, high) in choices.items():
        if k not in word_index:
            continue
        starts = [p for p in range(low, high + 1) if p in other.word_starts]
        if not starts:
            continue
        snapped = min(starts, key=lambda p: (abs(p - result[k]), p))
        # Never so far that a Hangul word of the text is left with none of the hypothesis's letters where it
        # had some: one word of the hypothesis for two of the text's, both misspelled (발표를 for 바 포를), is
        # split between them, so the two become one edit (`within_word`), not a word dropped beside a word
        # replaced. (A word in another script is left empty: Hangul letters for it would be another script for
        # the same word, which only a term brings in, and the word beside would be left half repaired.)
        previous, following = word_starts[word_index[k] - 1], word_starts[word_index[k] + 1]
        before, after = result[previous], result[following]
        if (snapped == before < result[k] and scripts(a[previous:k]) == _HANGUL_ONLY) \
                or (result[k] < after == snapped and scripts(a[k:following]) == _HANGUL_ONLY):
            continue
        result[k] = snapped
    # Keep the map monotone (a snapped boundary never passes the next one).
    for k in range(1, len(result)):
        result[k] = max(result[k], result[k - 1])
    return result


def build_network(first: Hypothesis, hypotheses: Sequence[Hypothesis], centrality: float = 0.0,
                  sentence_ends: frozenset[int] = frozenset()) -> ConfusionNetwork:
    """Align `hypotheses` (the alternatives) to the text being corrected, `first`, one slot per eojeol of it.
    `sentence_ends`: where the text's sentences end with no mark to show it (after a final ending)."""
    text = first.text
    voters = list(hypotheses)
    weights = hypothesis_weights([first] + voters, centrality)
    base = _Letters.of(text)
    words = [(w, _Letters.of(w.text).letters) for w in eojeols(text)]
    bounds, position = [], 0
    for word, letters in words:
        bounds.append((position, position + len(letters)))
        position += len(letters)
    tallies: list[dict[str, float]] = [defaultdict(float) for _ in words]
    joined = [0.0] * len(words)
    choices: list[tuple[str, ...]] = []
    # Per slot and letters: the heaviest hypothesis's weight, and the alternative as it writes them (its share
    # is filled in once every hypothesis has voted).
    spellings: list[dict[str, tuple[float, Alternative]]] = [{} for _ in words]
    for (word, letters), tally in zip(words, tallies):
        tally[letters] += weights[0]
    for hypothesis, weight in zip(voters, weights[1:]):
        other = _Letters.of(hypothesis.text)
        mapping = _boundary_map(base, other)
        said_per_slot = [other.letters[mapping[begin]:mapping[end]] for begin, end in bounds]
        listening = _listening(said_per_slot, words, sentence_ends)
        heard = [bool(said) or listening[i] for i, said in enumerate(said_per_slot)]
        for i in range(len(words)):
            if not heard[i]:
                # Where this hypothesis was not listening it says nothing either way: no vote, no edit.
                said_per_slot[i] = words[i][1]
        # Between two slots that both carry letters, whether the hypothesis has no space there: one word of
        # its own that the text split.
        within_word = [0 < i < len(words) and heard[i - 1] and heard[i] and bool(said_per_slot[i - 1])
                       and bool(said_per_slot[i]) and mapping[bounds[i][0]] not in other.word_starts
                       for i in range(len(words) + 1)]
        for i, (begin, end) in enumerate(bounds):
            if not heard[i]:
                continue
            said = said_per_slot[i]
            tallies[i][said] += weight
            joined[i] += weight if within_word[i] else 0.0
            if said and said != words[i][1]:
                lo, hi = mapping[begin], mapping[end]
                last = i == len(bounds) - 1
                # The last slot keeps the hypothesis's closing mark: it closes the words it carries.
                stop = len(hypothesis.text) if last else other.raw_index[hi - 1] + 1
                raw = hypothesis.text[other.raw_index[lo]:stop].strip(" ").lstrip(NON_WORD_MARKS + " ")
                # The join goes with this slot's edit; with the previous slot's only where that slot has no
                # edit of this hypothesis to carry it.
                joins_previous = within_word[i] and said_per_slot[i - 1] == words[i - 1][1]
                best = spellings[i].get(said)
                if best is None or weight > best[0]:
                    spelling = raw if last else raw.strip(NON_WORD_MARKS + " ")
                    spellings[i][said] = (weight, Alternative(spelling, 0.0, within_word[i + 1], joins_previous))
        choices.append(tuple(said_per_slot))
    slots = []
    for (word, letters), tally, spelled, joined_share in zip(words, tallies, spellings, joined):
        others = sorted(((said, share) for said, share in tally.items() if said != letters),
                        key=lambda item: (-item[1], item[0]))
        alternatives = tuple(replace(spelled[said][1], share=share) if said else Alternative("", share)
                             for said, share in others)
        slots.append(Slot(word.start, word.end, tally[letters], alternatives, joined_share))
    return ConfusionNetwork(text, tuple(slots), tuple(choices), beliefs_sent([first] + voters))


def _listening(said_per_slot: Sequence[str], words: Sequence[tuple[Eojeol, str]],
               sentence_ends: frozenset[int]) -> list[bool]:
    """Per slot, whether nothing from this hypothesis there says the text's word (`words`: each eojeol and its
    letters) was never said: between words it heard; beyond them, where the words it leaves out at the text's
    edge are whole sentences (an invented sentence; `sentence_ends` marks those with no final mark) or the
    one word there is heard in its neighbour (left none of the hypothesis's letters, as a word in another
    script is, though the neighbour's alternative sounds like the two together). A hypothesis that stopped
    early or started late, or heard a word or two of a longer text, says nothing of the words it did not
    reach."""
    heard = [i for i, said in enumerate(said_per_slot) if said]
    if not heard:
        return [False] * len(said_per_slot)
    first, last = heard[0], heard[-1]

    def heard_in_neighbour(i: int, neighbour: int) -> bool:
        joined = words[min(i, neighbour)][1] + words[max(i, neighbour)][1]
        said = said_per_slot[neighbour]
        return sound_distance(joined, said) < sound_distance(words[neighbour][1], said)

    def closes_sentence(word: Eojeol) -> bool:
        return ends_sentence(word.text) or word.end - len(marks_around(word.text)[1]) in sentence_ends

    listening = [first <= i <= last for i in range(len(said_per_slot))]
    if first > 0:
        listening[:first] = [closes_sentence(words[first - 1][0])] * first
        listening[first - 1] = listening[first - 1] or heard_in_neighbour(first - 1, first)
    if last < len(said_per_slot) - 1:
        listening[last + 1:] = [closes_sentence(words[last][0])] * (len(said_per_slot) - last - 1)
        listening[last + 1] = listening[last + 1] or heard_in_neighbour(last + 1, last)
    return listening


def beliefs_sent(hypotheses: Sequence[Hypothesis]) -> bool:
    """Whether the recogniser said how much it believed each hypothesis (else agreement is the belief)."""
    return all(h.confidence is not None for h in hypotheses) or all(h.score is not None for h in hypotheses)


def is_filler(words: list[str], better: Sequence[list[str]], independent: bool = False) -> bool:
    """A filler alternative only reorders the words of a better-ranked hypothesis or adds or removes marks:
    it carries no letters of its own, and counting it would let a frontend's padding outvote a recogniser.
    From another recogniser (`independent`) the same words, with other marks or none, are that recogniser
    agreeing, and vote; reordered words still do not. `words` and `better` are hypotheses' words, marks
    stripped (`words_of`)."""
    if words in better:
        return not independent
    return any(sorted(words) == sorted(other) for other in better)


def _another_recogniser(source: str | None, words: list[str],
                        better: Sequence[tuple[Hypothesis, list[str]]]) -> bool:
    """An entry from `source` names a recogniser that none of the better entries with the same `words` has (a
    frontend that sends several recognisers' outputs names each)."""
    same = [h.source for h, other in better if other == words]
    return source is not None and all(s is not None and s != source for s in same)


def fusion_voters(text: str, nbest: Sequence[Hypothesis], segment_confidence: float | None,
                  limit: int) -> tuple[Hypothesis, list[Hypothesis]]:
    """The text as a hypothesis (with the belief the recogniser put in it) and the alternatives worth
    aligning with it: best ranks first, at most `limit`, none that is the text's own entry or a filler of a
    better one."""
    ranked = sorted(nbest, key=lambda h: h.rank)
    # The text's own entry: the best-ranked one with the text's words (the frontend may strip marks from the
    # text and not from the list).
    words = words_of(text)
    own = next((h for h in ranked if words_of(h.text) == words), None)
    first = Hypothesis(text, 1, own.score if own else None,
                       own.confidence if own and own.confidence is not None else segment_confidence,
                       own.source if own else None)
    kept: list[Hypothesis] = []
    seen: list[tuple[Hypothesis, list[str]]] = [(first, words)]  # each with its words, read once
    # With no belief sent, each entry is what one recogniser wrote (an ensemble frontend); a recogniser's own
    # n-best list comes with its scores, and only a `source` of its own makes an entry another recogniser's.
    ensemble = not beliefs_sent(ranked)
    for hypothesis in ranked:
        if hypothesis is own:
            continue
        # Read with its formal endings as they are written (기능임니다 → 기능입니다): another recogniser that spells
        # an ending by ear votes for the word, not for the non-word.
        candidate = replace(hypothesis, text=respell_endings(hypothesis.text.strip()))
        if not candidate.text:
            continue
        candidate_words = words_of(candidate.text)
        independent = ensemble or _another_recogniser(candidate.source, candidate_words, seen)
        # A repeat from another recogniser is one more agreeing; in one recogniser's list it is padding.
        if not independent and any(h.text == candidate.text for h, _ in seen):
            continue
        filler = is_filler(candidate_words, [other for _, other in seen], independent)
        seen.append((candidate, candidate_words))
        if not filler and len(kept) < limit:
            kept.append(candidate)
    return first, kept


# --- the network's edits ------------------------------------------------------------------------------

def fusion_edits(network: ConfusionNetwork) -> list[list[tuple[int, int, str, dict]]]:
    """Per slot, the alternatives the other hypotheses put there, with the text's own marks kept around them;
    nothing in its place (the word dropped) only where a majority of the belief has nothing there."""
    per_slot = []
    text, slots = network.text, network.slots
    for index, slot in enumerate(slots):
        own = text[slot.start:slot.end]
        lead, trail = marks_around(own)
        edits = []
        if slot.joined_share:
            # The space before this slot, where hypotheses write one word across it: a change of spacing
            # alone, offered beside the letters that come with it so the language model can tell the
            # two apart (메 일로 → 메일로, not the 매일로 another hypothesis spells).
            edits.append((slots[index - 1].end, slot.start, "",
                          {"votes_for": slot.joined_share, "votes_against": 1.0 - slot.joined_share,
                           "believed": network.believed}))
        for alternative in slot.alternatives:
            if not alternative.text and alternative.share <= MAJORITY:
                # A word is dropped only where most of the belief heard nothing there: one recogniser that
                # missed a word (or gave it to the slot beside) is no sign that it was never said.
                continue
            start, end = slot.start, slot.end
            words, opening, closing = alternative.text, lead, trail
            if slot is slots[-1]:
                # A sentence's close is the text's where it has none (a subtitle cue adds no mark), else the
                # hypothesis's, which closes the words it brings.
                _, own_close = marks_around(words)
                words = words[:len(words) - len(own_close)] if own_close else words
                closing = (own_close or trail) if trail else ""
            # Letters the hypothesis writes in one word with the slot beside take the space between (and the
            # text's marks there) with them: 회 이를 → 회의를, never a particle left standing alone (회 의를).
            if words and alternative.joins_next and index + 1 < len(slots):
                end, closing = slots[index + 1].start, ""
            if words and alternative.joins_previous and index > 0:
                start, opening = slots[index - 1].end, ""
            after = (opening + words + closing) if words else ""
            edits.append((start, end, after,
                          {"votes_for": alternative.share, "votes_against": slot.own_share,
                           "believed": network.believed}))
        per_slot.append(edits)
    return per_slot


def fusion_bundles(network: ConfusionNetwork, edits: list[SpanEdit]) -> list[tuple[int, ...]]:
    """Each alternative hypothesis as a bundle of the slot edits it makes, and the consensus: in every slot,
    the alternative the hypotheses believe more than the text's own letters."""
    ends = [slot.end for slot in network.slots]
    by_slot_content: dict[tuple[int, str], int] = {}
    for i, edit in enumerate(edits):
        carries_letters = content(edit.after) or content(network.text[edit.start:edit.end])
        if carries_letters and (edit.source == "nbest" or edit.facts.votes_for):
            # The slot an edit stands in: the first that ends after it starts (an edit that takes the space
            # before its slot starts where the slot before ends). A join alone is no slot's alternative.
            by_slot_content.setdefault((bisect_right(ends, edit.start), content(edit.after)), i)
    bundles: list[tuple[int, ...]] = []
    for choices in network.choices:
        bundle = tuple(i for index, said in enumerate(choices)
                       if (i := by_slot_content.get((index, said))) is not None)
        if bundle:
            bundles.append(bundle)
    consensus = tuple(i for index, slot in enumerate(network.slots) if slot.alternatives
                      and slot.alternatives[0].share > slot.own_share
                      and (i := by_slot_content.get((index, content(slot.alternatives[0].text)))) is not None)
    if consensus:
        bundles.append(consensus)
    return list(dict.fromkeys(b for b in bundles if len(b) > 1))
