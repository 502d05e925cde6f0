"""Hotword and lexicon terms found where the recogniser misheard them.

A recogniser writes what it heard, so a misheard term is close to the true one in *sound*: a merged or near
vowel (체조 → 채조, 요오드 → 요어드), a lax/tense/aspirated swap, a final consonant dropped or carried into the
next syllable (애완동물을 → 애완동무를), the term split across two eojeols or glued to its neighbour, or standing
inside a longer eojeol with its particle (야생동문에 → 야생동물에), a term said the way speech says it rather
than the way it is spelled (햇살 said 해쌀, 전화 said 저놔), an acronym written as the letters heard
(케이티엑스 → KTX). So the text is read as a row of syllable sounds, spaces ignored, and every window of about a
term's length is compared with the ways each term of that length is said: the cost is linear in the text's
length times the number of terms, never more.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Iterator, NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from service.loanword import ACRONYM, LETTER_NAMES, spoken
from service.particles import agree, undo_liaison
from service.phonology import (SPLIT_CODA, TAIL, TENSE, WEAKENS_H, compose, decompose, family_key, final_consonant,
                               key_distance, pronounce, sound_key)
from service.text import QUOTE_MARKS, is_hangul_syllable, is_latin_letter
from service.types import EditSource

# Terms shorter than this many sounds match too much by chance to be taken on sound alone.
MIN_TERM_SOUNDS = 3
# A word in Latin letters is read in Hangul from its spelling (service/loanword.py), and English spelling does not
# fix its sounds: a stretch must sound this much closer to that reading than to a term written in Hangul, and
# Latin letters in the text this much closer to the term's spelling (letters are not sounds: Jazz is no Java).
# Set on cvf_hot as a whole: of the Latin terms written in at a distance of 0.3 a sound or less, all but the
# Hangul loanwords the reference kept (라디오 for Radio) brought the output nearer; above it most took a word
# that only sounded alike (알려 for Valley). 0.5 and 0.7 give the same figures; 0.8 and more, worse over 1%.
LOANWORD_BUDGET_SHARE = 0.6
# At most this many places are proposed for one term in one text (the closest ones).
PLACES_PER_TERM = 2


@dataclass(frozen=True)
class TermMatch:
    """`text[start:end]` rewritten as `after`, around `term`, whose sound is `distance` jamo edits from the
    stretch it replaces (of `sounds` jamo in the term)."""

    start: int
    end: int
    after: str
    term: str
    distance: float
    sounds: int
    source: EditSource
    letters: int  # how many letters (as said: an acronym letter by the syllables of its name) the window covered


class _Row(NamedTuple):
    """One way of saying a term, as the index is built."""

    cost: float  # what saying the term this way adds to its distance
    letters: int  # the letters of the form it is a way of saying
    sounds: int  # ... and its sounds
    budget: float  # how far a stretch may sound from it, per sound
    in_latin: bool  # the form is written in Latin letters (heard only where the text has Latin letters)


@dataclass(frozen=True)
class TermIndex:
    """Terms with the sound keys of the ways each is said, grouped by length in letters, built once per
    request. A row is one way one term is said: `row_terms[r]` is its term, `keys[r]` its sound key."""

    terms: tuple[str, ...]
    said: tuple[str, ...]  # each term as it is said, in Hangul where it is written in Latin letters: its
    # particles follow this (KTX로, Gibson은)
    row_terms: tuple[int, ...]
    row_costs: tuple[float, ...]  # what saying the term this way adds to its distance
    row_sounds: tuple[int, ...]  # how many sounds the term has said this way
    keys: tuple[str, ...]
    loose_keys: tuple[str, ...]
    letters: tuple[int, ...]  # how many letters (syllables, Latin letters, digits) each term has as it is said
    sounds: tuple[int, ...]  # how many sounds each term has as it is said
    budgets: np.ndarray  # how far (in jamo edits) a stretch may sound from each row
    source: EditSource
    latin_words: tuple[bool, ...] = ()  # whether each term has a word (not an acronym) in Latin letters
    by_letters: dict[int, np.ndarray] = field(default_factory=dict, compare=False)
    # The same without the rows written in Latin letters: a text with none cannot sound like them.
    by_letters_said: dict[int, np.ndarray] = field(default_factory=dict, compare=False)
    # Terms written in Latin letters alone, by their lower case: a recogniser writes api for the API it heard.
    latin_terms: dict[str, int] = field(default_factory=dict, compare=False)

    @classmethod
    def build(cls, terms: tuple[str, ...], source: EditSource, max_distance: float) -> "TermIndex":
        written = (" ".join(t.strip().strip(QUOTE_MARKS).split()) for t in terms)
        said_as = {t: spoken(t) for t in dict.fromkeys(written) if t}
        usable = tuple(t for t, said in said_as.items() if len(sound_key(said)) >= MIN_TERM_SOUNDS)
        latin_words = tuple(is_latin_word_term(t) for t in usable)
        rows: dict[tuple[int, str], _Row] = {}  # by (term, sound key)
        for i, t in enumerate(usable):
            # A term with a word in Latin letters is also looked for as it is written, letter by letter (a
            # recogniser that writes Latin letters misspells them: Kuberntes); by its reading, a guess from its
            # spelling, or by its letters, it is held to a share of the budget.
            forms = dict.fromkeys((said_as[t], t) if latin_words[i] else (said_as[t],))
            budget = max_distance * (LOANWORD_BUDGET_SHARE if latin_words[i] else 1.0)
            for form in forms:
                form_sounds, form_letters = len(sound_key(form)), len(_letters(form))
                if form_sounds < MIN_TERM_SOUNDS:
                    continue
                in_latin = any(is_latin_letter(ch) for ch in form)
                for variant, cost in said_variants(form):
                    rows.setdefault((i, sound_key(variant)), _Row(cost, form_letters, form_sounds, budget, in_latin))
        by_letters: dict[int, list[int]] = {}
        by_letters_said: dict[int, list[int]] = {}  # the rows not in Latin letters
        for r, row in enumerate(rows.values()):
            by_letters.setdefault(row.letters, []).append(r)
            if not row.in_latin:
                by_letters_said.setdefault(row.letters, []).append(r)
        keys = tuple(key for _, key in rows)
        latin_terms = {t.lower(): i for i, t in enumerate(usable) if _LATIN_WORD.fullmatch(t)}
        # Every way of saying a term is held to the budget of the form it is a way of saying.
        return cls(usable, tuple(said_as[t] for t in usable), tuple(i for i, _ in rows),
                   tuple(row.cost for row in rows.values()), tuple(row.sounds for row in rows.values()), keys,
                   tuple(family_key(k) for k in keys),
                   tuple(len(_letters(said_as[t])) for t in usable), tuple(len(sound_key(said_as[t])) for t in usable),
                   np.array([row.budget * row.sounds for row in rows.values()], dtype=float), source,
                   latin_words,
                   {n: np.array(ids) for n, ids in by_letters.items()},
                   {n: np.array(ids) for n, ids in by_letters_said.items()}, latin_terms)

    def __bool__(self) -> bool:
        return bool(self.terms)


class TermIndexCache:
    """The term indexes of the last few term lists, shared by the requests that send them again. A meeting's
    client sends the same hotwords and lexicon with every request, and building the index of a 5,000-term
    lexicon takes longer than correcting a segment. Bounded in entries (an index of 5,000 terms holds about
    5 MB); safe to share between the pipeline's threads; 0 entries: every request builds its own."""

    def __init__(self, max_entries: int) -> None:
        self.index: Callable[[tuple[str, ...], EditSource, float], TermIndex] = \
            lru_cache(maxsize=max_entries)(TermIndex.build)

    def __len__(self) -> int:
        return self.index.cache_info().currsize  # type: ignore[attr-defined]


# A weakened ㅎ is a close sound, not the same one: it costs what a swap within a family of close sounds costs.
WEAK_H_COST = 0.5


def said_variants(term: str) -> tuple[tuple[str, float], ...]:
    """The term as written, and respelled as it is also commonly said, which is how a recogniser may write
    it, each with what it adds to the term's distance: a 사이시옷 heard only as the tension it gives the next
    consonant (햇살 → 해쌀, 햇빛 → 해삧: the standard allows it, so nothing), and an onset ㅎ after a
    vowel or a sonorant weakened until it is not heard (전화 → 전와, 은행 → 은앵: said 저놔, 으냉), and the
    other way round, an ㅎ written where none was said, for the recogniser that heard 부냥 may write 분향 as
    well as 분양, or 이후 for 이웃 (a silent onset after a vowel or a sonorant, at what a weakened ㅎ costs)."""
    syllables = [decompose(ch) for ch in term]
    variants = [(term, 0.0)]
    sai_siot = list(syllables)
    weak_h = list(syllables)
    heard_h = list(syllables)
    for i in range(1, len(syllables)):
        left, right = syllables[i - 1], syllables[i]
        if left is None or right is None:
            continue
        if left.coda == "ㅅ" and right.onset in TENSE:
            sai_siot[i - 1] = replace(left, coda="")
            sai_siot[i] = replace(right, onset=TENSE[right.onset])
        if right.onset == "ㅎ" and left.coda in WEAKENS_H:
            weak_h[i] = replace(right, onset="ㅇ")
        if right.onset == "ㅇ" and left.coda in WEAKENS_H:
            heard_h[i] = replace(right, onset="ㅎ")
    for respelled, cost in ((sai_siot, 0.0), (weak_h, WEAK_H_COST), (heard_h, WEAK_H_COST)):
        if respelled != syllables:
            variants.append(("".join(ch if s is None else compose(s.onset, s.vowel, s.coda)
                                     for ch, s in zip(term, respelled)), cost))
    return tuple(variants)


# A word of Latin letters, whole (not a piece of a longer one).
_LATIN_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?![A-Za-z])")
# A word in Latin letters that is not an acronym: two lower-case letters together (Docker, iPhone).
_LATIN_WORD_PIECE = re.compile(r"[a-z]{2}")


def _letters(text: str) -> list[int]:
    """Positions of the characters that carry sound: Hangul syllables, letters and digits."""
    return [i for i, ch in enumerate(text) if is_hangul_syllable(ch) or ch.isalnum()]


@lru_cache(maxsize=4096)
def _letter_key(char: str) -> str:
    return sound_key(char) if is_hangul_syllable(char) else char.lower()


def _letter_keys(text: str) -> list[tuple[str, int]]:
    """The sound key of every non-space character of `text` as it is said within its eojeol (pronounce keeps
    one syllable per character, so the keys line up with the characters), with how many syllables it is said
    in. Eojeol by eojeol: a term that starts an eojeol does not take the previous eojeol's final consonant (받은
    애완동물, not 바드내완동물). The letters of an acronym are keyed as they are said (KTX로: 케이, 티, 엑스, 로),
    so a term the speaker said is found where the recogniser wrote its letters."""
    keys = []
    for word in text.split():
        said = pronounce(word)
        acronym = _acronym_letters(word)
        keys.extend((sound_key(LETTER_NAMES[c]), len(LETTER_NAMES[c])) if i in acronym
                    else (_letter_key(s) if is_hangul_syllable(c) else _letter_key(c), 1)
                    for i, (c, s) in enumerate(zip(word, said)))
    return keys


def _acronym_letters(word: str) -> set[int]:
    """Positions in `word` of the letters of its acronyms."""
    return {i for run in ACRONYM.finditer(word) for i in range(run.start(), run.end())}


def _cuts_latin_word(text: str, position: int) -> bool:
    return 0 < position < len(text) and is_latin_letter(text[position - 1]) and is_latin_letter(text[position])


def _took_liaison(char: str, key: str) -> bool:
    """A syllable written with a silent onset (ㅇ) but said with a consonant carried over from before it."""
    syllable = decompose(char)
    return syllable is not None and syllable.onset == "ㅇ" and bool(key) and "\u1100" <= key[0] <= "\u1112"


def _ending_key(text: str, positions: list[int], keys: list[str], n: int) -> str:
    """The sound key of letter n said as the end of a stretch: after the syllable before it (its tension and
    assimilation kept) but before nothing (its final consonant its own, not carried into what follows)."""
    char = text[positions[n]]
    if not is_hangul_syllable(char):
        return keys[n]
    before = text[positions[n - 1]] if n > 0 and positions[n - 1] == positions[n] - 1 else ""
    return _letter_key(pronounce(before + char)[-1] if is_hangul_syllable(before) else char)


def _carried_coda(text: str, positions: list[int], after: int) -> str:
    """The final consonant a window ending just before letter `after` may have lost to liaison, as the sound
    key of a coda: the written onset of the next syllable of the same eojeol, where the window ends in an
    open syllable (애완동무|를 was heard as 애완동물을: its ㄹ is the term's)."""
    if after >= len(positions) or after == 0 or positions[after] != positions[after - 1] + 1:
        return ""
    last, following = decompose(text[positions[after - 1]]), decompose(text[positions[after]])
    if last is None or following is None or last.coda or following.onset == "ㅇ":
        return ""
    return TAIL.get(following.onset, "")


def _windows(syllables: list[int], breaks: list[bool], cut_sound: list[bool],
             sizes: set[int]) -> Iterator[tuple[int, int, int]]:
    """Every window (first letter, letters, syllables said) whose letters are said in one of `sizes` syllables,
    running over no mark (`breaks`) and starting on no carried sound (`cut_sound`)."""
    longest = max(sizes)
    for first in range(len(syllables)):
        if cut_sound[first]:
            continue
        said = 0
        for last in range(first, len(syllables)):
            if last > first and breaks[last - 1]:
                break
            said += syllables[last]
            if said > longest:
                break
            if said in sizes:
                yield first, last - first + 1, said


def _window_keys(keys: list[str], ending_keys: list[str], first: int, size: int, carried: str) -> set[str]:
    """The ways the window of `size` letters from letter `first` may be heard: as it is said in the text; with
    its last syllable said as the end of a stretch (해살|이 is said 해사리: the term 햇살 keeps its ㄹ); with
    the final consonant `carried` into the particle after it given back."""
    key = "".join(keys[first:first + size])
    last = first + size - 1
    said = {key, key[:len(key) - len(keys[last])] + ending_keys[last]}
    if carried:
        said.add(key + carried)
    return said


def _eojeol_ends(text: str) -> list[int]:
    """For every position of `text`, where the eojeol it stands in (or the space it is) ends."""
    ends = [len(text)] * (len(text) + 1)
    for i in range(len(text) - 1, -1, -1):
        ends[i] = i if text[i].isspace() else ends[i + 1]
    return ends


def find_terms(text: str, index: TermIndex, particle_follows: Callable[[int], bool],
               word_starts: Callable[[int], bool] = lambda i: True) -> list[TermMatch]:
    """Every stretch of `text` that sounds like a term of `index`, rewritten as the term (with the rest of its
    eojeol where that must change with it: a consonant given back, a particle made to agree); the closest
    places first, at most PLACES_PER_TERM per term, never two overlapping places for one term (one place may
    be rewritten in more than one way: the reader of the sentence chooses).
    `particle_follows(i)` says whether a particle starts at i, `word_starts(i)` whether a morpheme does (in
    Kiwi's reading of the text)."""
    if not index or not text:
        return []
    positions = _letters(text)
    if not positions:
        return []
    non_space = [i for i, ch in enumerate(text) if not ch.isspace()]
    keys_by_char = dict(zip(non_space, _letter_keys(text)))
    keys = [keys_by_char[p][0] for p in positions]
    syllables = [keys_by_char[p][1] for p in positions]
    ending_keys = [_ending_key(text, positions, keys, n) for n in range(len(positions))]
    # The final consonant a window ending before letter n may take back from it: only from a particle, where a
    # noun's final consonant moves on.
    carried_before = [_carried_coda(text, positions, n) if n < len(positions) and particle_follows(positions[n])
                      else "" for n in range(len(positions) + 1)]
    # A window never runs over a mark or a symbol: only over letters and the spaces between them.
    breaks = [any(not (ch.isspace()) for ch in text[a + 1:b]) for a, b in zip(positions, positions[1:])]
    # Nor does it start on a syllable whose first sound belongs to the syllable before it (화면에 is said
    # 화며네: a term cannot start at 네).
    cut_sound = [_took_liaison(text[p], keys[n]) and p > 0 and not text[p - 1].isspace()
                 for n, p in enumerate(positions)]
    # Where a term already stands, written right, no other term is written over it.
    present = bytearray(len(text))
    for start, end in terms_present(text, index):
        present[start:end] = b"\x01" * (end - start)
    eojeol_ends = _eojeol_ends(text)
    best: dict[int, list[TermMatch]] = {}
    rows_by_letters = index.by_letters if any(is_latin_letter(ch) for ch in text) else index.by_letters_said
    for length, ids in rows_by_letters.items():
        windows: dict[str, list[tuple[int, int, int]]] = {}
        # A window a letter shorter than the term only for terms of three letters or more (주 is no 주의);
        # letters counted as they are said (KTX is five).
        sizes = {length - 1 if length >= 3 else length, length, length + 1}
        for first, size, said in _windows(syllables, breaks, cut_sound, sizes):
            for key in _window_keys(keys, ending_keys, first, size, carried_before[first + size]):
                windows.setdefault(key, []).append((first, size, said))
        if not windows:
            continue
        window_keys = list(windows)
        budgets = index.budgets[ids]
        cutoff = int(math.ceil(budgets.max()))
        loose = process.cdist([family_key(k) for k in window_keys], [index.loose_keys[i] for i in ids],
                              scorer=Levenshtein.distance, score_cutoff=cutoff, dtype=np.int32, workers=1)
        for w, t in zip(*np.nonzero(loose <= budgets[None, :])):
            row = int(ids[t])
            term_id = index.row_terms[row]
            distance = key_distance(window_keys[w], index.keys[row]) + index.row_costs[row]
            if distance > index.budgets[row]:
                continue
            for first, size, said in windows[window_keys[w]]:
                start, stop = positions[first], positions[first + size - 1] + 1
                if any(present[start:stop]):
                    continue
                if start > 0 and not text[start - 1].isspace() and any(ch.isspace() for ch in text[start:stop]):
                    continue  # a term split over two eojeols begins one (쿠버 네티스), not the middle of one
                if index.latin_words[term_id] and is_hangul_syllable(text[start]) and not _stands_alone(
                        text, start, stop, eojeol_ends[stop], word_starts):
                    continue
                if _cuts_latin_word(text, start) or _cuts_latin_word(text, stop):
                    continue  # nor does it take a piece of a Latin word (the IT of ITEM)
                best.setdefault(term_id, []).extend(
                    _rewrites(text, start, stop, eojeol_ends[stop], said, term_id, distance, index.row_sounds[row],
                              index, particle_follows))
    for term_id, match in _cased_differently(text, index):
        best.setdefault(term_id, []).append(match)
    matches: list[TermMatch] = []
    for term_id, found in best.items():
        # At the same distance and length, a place whose rest stays as written before one that needs a
        # consonant given back.
        found.sort(key=lambda m: (m.distance, abs(m.letters - index.letters[term_id]), m.after != m.term, m.start))
        kept: dict[tuple[int, int], list[TermMatch]] = {}
        for match in found:
            place = (match.start, match.end)
            if place in kept:
                # Another reading of the rest of the same match (회의실 안에 beside 회의실한에).
                if match.distance == kept[place][0].distance and all(match.after != k.after for k in kept[place]):
                    kept[place].append(match)
            elif len(kept) < PLACES_PER_TERM and all(match.end <= s or match.start >= e for s, e in kept):
                kept[place] = [match]
        matches.extend(m for readings in kept.values() for m in readings)
    matches.sort(key=lambda m: (m.distance / max(m.sounds, 1), m.start))
    return matches


def _cased_differently(text: str, index: TermIndex) -> Iterator[tuple[int, TermMatch]]:
    """Latin words of `text` that are a Latin term of `index` written in other cases (api, Kpi for API, KPI): the
    same letters, so the same sound, at a distance of nothing."""
    if not index.latin_terms:
        return
    for word in _LATIN_WORD.finditer(text):
        term_id = index.latin_terms.get(word.group().lower())
        if term_id is not None and word.group() != index.terms[term_id]:
            yield term_id, TermMatch(word.start(), word.end(), index.terms[term_id], index.terms[term_id], 0.0,
                                     index.sounds[term_id], index.source, index.letters[term_id])


def is_latin_word_term(term: str) -> bool:
    """Whether a term has a word in Latin letters that is not an acronym (Docker, iPhone; not KTX)."""
    return _LATIN_WORD_PIECE.search(term) is not None


def _stands_alone(text: str, start: int, stop: int, end: int, word_starts: Callable[[int], bool]) -> bool:
    """Whether the stretch text[start:stop] may be written as a word in Latin letters: a word said in Hangul
    but written in Latin letters begins its eojeol and ends where the eojeol or a morpheme does (깁스|는 →
    Gibson은), not in the middle of a word (파|이썬으로, 다루|이 바드야)."""
    return (start == 0 or text[start - 1].isspace()) and (stop == end or word_starts(stop))


def terms_present(text: str, *indexes: TermIndex) -> list[tuple[int, int]]:
    """Where a term of the indexes stands in `text` as it is written: the meeting said these words are right.
    One search of the text per term."""
    return [(at, at + len(term)) for index in indexes for term in index.terms for at in _occurrences(text, term)]


def _occurrences(text: str, term: str) -> list[int]:
    found, at = [], text.find(term)
    while at >= 0:
        found.append(at)
        at = text.find(term, at + 1)
    return found


def _rewrites(text: str, start: int, stop: int, end: int, size: int, term_id: int, distance: float, sounds: int,
              index: TermIndex, particle_follows: Callable[[int], bool]) -> list[TermMatch]:
    """The stretch text[start:stop] replaced by the term; where the rest of its eojeol (up to `end`) must
    change with it — a consonant the term lost to liaison given back, a particle made to agree with the term
    (애완동무를 → 애완동물을; 국과이자 → 국가이자, where 이자 is no particle) — the rewrite takes it in. One
    rewrite for each reading of the rest (`undo_liaison`)."""
    term, said = index.terms[term_id], index.said[term_id]
    suffix = text[stop:end]
    readings = undo_liaison(said, suffix)
    # Only a window that ends in an open syllable (or in the first half of the term's double final consonant:
    # 갑|슬 for 값을) can have lost the term's final consonant to what follows. One that ends in a consonant of
    # its own before that consonant again is misaligned (이썬|나요: 이번 + 아요 is no reading): no rewrite there.
    last = decompose(text[stop - 1])
    kept = SPLIT_CODA.get(final_consonant(said), ("",))[0]
    if readings != (suffix,) and (last is None or last.coda not in ("", kept)):
        return []
    particle = particle_follows(stop)
    rewrites = []
    for restored in readings:
        if particle:
            restored = agree(said, restored)
        stretch_end = end
        if restored == suffix:
            stretch_end, restored = stop, ""  # the rest is left to other edits (국게|무역선은: 국제, and 무역선은)
        after = term + restored
        if after != text[start:stretch_end]:
            rewrites.append(TermMatch(start, stretch_end, after, term, distance, sounds,
                                      index.source, size))
    return rewrites
