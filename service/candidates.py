"""Stage 2 — candidates: alternatives for the suspect spans, assembled into whole sentences.

Three sources propose span edits:
- hotword and domain-lexicon terms that sound like an eojeol's leading noun (`term_edits`);
- the recogniser's own n-best hypotheses, aligned span by span (`nbest_span_edits`);
- spelling repairs of pronunciation-spelled words (`spelling_repair`, through Kiwi's typo model).
`sentence_candidates` combines them into whole sentences for the reranker.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from service.kiwi_lm import Analysis
from service.particles import agree
from service.phonology import compose, decompose, family_key, final_consonant, key_distance, sound_key
from service.text import compact, strip_punctuation
from service.text_spans import apply_edits, eojeols
from service.types import Candidate, Hypothesis, SpanEdit, SuspectSpan


@dataclass(frozen=True)
class TermIndex:
    """Hotwords or lexicon terms with their sound keys, built once per request.

    `best_for_word` remembers each eojeol's answer: the candidate sentences of one request share most words.
    """

    terms: tuple[str, ...]
    keys: tuple[str, ...]
    family_keys: tuple[str, ...]  # keys with tension/aspiration folded: their distance bounds the real one
    budgets: np.ndarray  # how far (in jamo edits) a piece may sound from each term
    source: str
    best_for_word: dict[str, tuple[float, str] | None] = field(default_factory=dict, compare=False)

    @classmethod
    def build(cls, terms: tuple[str, ...], source: str, max_distance: float) -> "TermIndex":
        usable = tuple(t for t in dict.fromkeys(t.strip() for t in terms if t and t.strip()) if sound_key(t))
        keys = tuple(sound_key(t) for t in usable)
        budgets = np.array([max_distance * len(k) for k in keys], dtype=float)
        return cls(usable, keys, tuple(family_key(k) for k in keys), budgets, source)


def introduces_term(before: str, after: str, terms: tuple[str, ...]) -> bool:
    """True when `after` holds one of `terms` that `before` did not."""
    return any(term and term in after and term not in before for term in terms)


# --- n-best --------------------------------------------------------------------------------------------

def is_filler(hypothesis: str, better: list[str]) -> bool:
    """A filler alternative only reorders words or adds/removes punctuation of a better-ranked hypothesis."""
    bare = strip_punctuation(hypothesis)
    words = bare.split()
    for other in better:
        other_bare = strip_punctuation(other)
        if bare == other_bare:
            return True
        other_words = other_bare.split()
        if sorted(words) == sorted(other_words) and words != other_words:
            return True
    return False


def nbest_alternatives(text: str, nbest: tuple[Hypothesis, ...], limit: int) -> list[Hypothesis]:
    """The n-best hypotheses worth scoring: not the text itself, not fillers, best ranks first."""
    kept: list[Hypothesis] = []
    seen = [text]
    for hypothesis in sorted(nbest, key=lambda h: h.rank)[: limit + 1]:
        candidate = hypothesis.text.strip()
        if not candidate or candidate in seen:
            continue
        if is_filler(candidate, seen):
            seen.append(candidate)
            continue
        seen.append(candidate)
        kept.append(Hypothesis(candidate, hypothesis.rank, hypothesis.score, hypothesis.confidence))
    return kept


def _eojeol_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def nbest_span_edits(text: str, hypothesis: str) -> list[SpanEdit]:
    """Where `hypothesis` differs from `text`, one edit per differing stretch, widened to whole eojeols."""
    regions: list[tuple[int, int, int, int]] = []
    for op in Levenshtein.opcodes(text, hypothesis):
        if op.tag == "equal":
            continue
        start, end = _eojeol_bounds(text, op.src_start, op.src_end)
        h_start, h_end = _eojeol_bounds(hypothesis, op.dest_start, op.dest_end)
        if regions and start <= regions[-1][1]:
            previous = regions[-1]
            regions[-1] = (previous[0], max(previous[1], end), previous[2], max(previous[3], h_end))
        else:
            regions.append((start, end, h_start, h_end))
    return [SpanEdit(s, e, hypothesis[hs:he], "nbest") for s, e, hs, he in regions
            if text[s:e] != hypothesis[hs:he]]


# --- hotwords and lexicon ------------------------------------------------------------------------------

def _undo_liaison(term: str, suffix: str) -> str:
    """If the term's final consonant was carried into the suffix (방버블 → 방법 + 블), give it back (을)."""
    coda = final_consonant(term)
    first = decompose(suffix[0]) if suffix else None
    if not coda or first is None or first.onset == "ㅇ":
        return suffix
    carried = {"ㄺ": "ㄱ", "ㄻ": "ㅁ", "ㄼ": "ㅂ", "ㄳ": "ㅅ", "ㅄ": "ㅅ", "ㄵ": "ㅈ", "ㄽ": "ㅅ", "ㄾ": "ㅌ",
               "ㄿ": "ㅍ"}.get(coda, coda)
    plain = {"ㄲ": "ㄱ", "ㅆ": "ㅅ"}.get(carried, carried)
    if first.onset in (carried, plain, {"ㄷ": "ㅈ", "ㅌ": "ㅊ"}.get(carried, "")):
        return compose("ㅇ", first.vowel, first.coda) + suffix[1:]
    return suffix


def _closest_term_rewrite(word: str, index: TermIndex) -> tuple[float, str] | None:
    """The eojeol rewritten around the term that sounds most like part of it, with its sound distance."""
    if any(term in word for term in index.terms):
        return None
    # The term may stand anywhere in the eojeol (농협가드 → 농협카드), followed by its particles. Every piece
    # of the eojeol is compared with every term at once (rapidfuzz, in C++); the loose (family) distance never
    # exceeds the real one, so it safely picks the few pairs worth a closer look.
    pieces = [(b, e) for b in range(len(word)) for e in range(b + 1, len(word) + 1)]
    piece_keys = [sound_key(word[b:e]) for b, e in pieces]
    loose = process.cdist([family_key(k) for k in piece_keys], index.family_keys, scorer=Levenshtein.distance,
                          workers=1)
    word_key = sound_key(word)
    best: tuple[tuple, str] | None = None
    for piece_at, term_at in zip(*np.nonzero(loose <= index.budgets[None, :] + 1.0)):
        term, budget = index.terms[term_at], index.budgets[term_at]
        if key_distance(piece_keys[piece_at], index.keys[term_at]) > budget + 1.0:
            continue
        begin, split = pieces[piece_at]
        for suffix in {word[split:], _undo_liaison(term, word[split:])}:
            replacement = word[:begin] + term + agree(term, suffix)
            if replacement == word:
                continue
            distance = key_distance(sound_key(replacement), word_key)
            if distance > budget:
                continue
            rank = (distance, abs(len(replacement) - len(word)), replacement)
            if best is None or rank < best[0]:
                best = (rank, replacement)
    return None if best is None else (best[0][0], best[1])


def term_edits(text: str, suspects: list[SuspectSpan], index: TermIndex, min_doubt: float) -> list[SpanEdit]:
    """Rewrite each doubtful eojeol around a term that sounds like part of it, its particle made to agree."""
    if not index.terms:
        return []
    edits: list[SpanEdit] = []
    for span in suspects:
        if not span.has_noun:
            continue
        if span.text not in index.best_for_word:
            index.best_for_word[span.text] = _closest_term_rewrite(span.text, index)
        best = index.best_for_word[span.text]
        if best is not None and (span.doubt >= min_doubt or best[0] == 0.0):
            distance, replacement = best
            edits.append(SpanEdit(span.start, span.end, replacement, index.source, -distance))
    return edits


# --- spelling repairs -----------------------------------------------------------------------------------

def spelling_edits(text: str, reading: Analysis, join) -> list[SpanEdit]:
    """One edit per eojeol in which Kiwi undid a typo; the rest of the text stays as it was written."""
    edits: list[SpanEdit] = []
    for word in eojeols(text):
        inside = [m for m in reading.morphemes if m.start < word.end and m.end > word.start]
        if not inside or all(m.typo_cost == 0 for m in inside):
            continue
        if inside[0].start < word.start or inside[-1].end > word.end:
            continue  # a reading that runs across a space is not a repair of this eojeol alone
        head, tail = text[word.start:inside[0].start], text[inside[-1].end:word.end]
        # Kiwi's join may space the morphemes apart; the respelling keeps the speaker's spacing (spacing is
        # the refine stage's business, and a split like 회의 을 is not a repair).
        rebuilt = compact(head + join(list(inside)) + tail)
        if rebuilt != word.text:
            edits.append(SpanEdit(word.start, word.end, rebuilt, "spelling",
                                  -sum(m.typo_cost for m in inside)))
    return edits


# --- assembling sentences ------------------------------------------------------------------------------

def non_overlapping(edits: list[SpanEdit]) -> list[SpanEdit]:
    """The best-scored edits that do not overlap one another."""
    chosen: list[SpanEdit] = []
    for edit in sorted(edits, key=lambda e: (-e.score, e.start)):
        if all(edit.end <= c.start or edit.start >= c.end for c in chosen):
            chosen.append(edit)
    return chosen


def with_term_edits(candidate: Candidate, edits: list[SpanEdit]) -> Candidate | None:
    if not edits:
        return None
    return Candidate(apply_edits(candidate.text, edits), candidate.edits + tuple(edits),
                     candidate.sources | {e.source for e in edits})
