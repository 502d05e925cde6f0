"""The records that flow through the pipeline (plain dataclasses; pydantic stays at the HTTP edge)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

# What became of a segment (the response's `status`): `punctuated` when only marks changed.
SegmentStatus = Literal["corrected", "punctuated", "unchanged", "skipped_empty", "skipped_no_speech",
                        "skipped_not_korean", "timeout"]
# Which evidence proposed an edit (the response's `edits[].source`).
EditSource = Literal["hotword", "lexicon", "nbest", "spelling", "spacing", "punctuation", "kobart", "refine"]
SEGMENT_STATUSES: tuple[str, ...] = get_args(SegmentStatus)
EDIT_SOURCES: tuple[str, ...] = get_args(EditSource)


@dataclass(frozen=True)
class WordEvidence:
    """A recogniser word or token: its text and how sure the recogniser was (0..1, already clamped)."""

    text: str
    confidence: float | None = None
    logprob: float | None = None
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class Hypothesis:
    """One entry of the recogniser's n-best list, or another recogniser's output (`source` names it)."""

    text: str
    rank: int
    score: float | None = None
    confidence: float | None = None
    source: str | None = None


@dataclass(frozen=True)
class SegmentInput:
    id: str
    text: str
    start: float | None = None
    end: float | None = None
    confidence: float | None = None
    no_speech_prob: float | None = None
    words: tuple[WordEvidence, ...] = ()
    tokens: tuple[WordEvidence, ...] = ()
    nbest: tuple[Hypothesis, ...] = ()


@dataclass(frozen=True)
class TermLists:
    """The terms this meeting is likely to contain."""

    hotwords: tuple[str, ...] = ()
    domain_lexicon: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditFacts:
    """What is known about one proposed edit, for the reranker to weigh (`service/rerank.py`)."""

    letters_changed: int  # letters (not spaces) rewritten
    length_change: int = 0  # letters added (positive) or removed (negative)
    confidence: float | None = None  # the recogniser's confidence in what is replaced; None: it sent none
    nonword: bool = False  # what is replaced is no Korean word
    unknown: bool = False  # what is replaced holds a form Kiwi does not know (a name, or a non-word)
    pronounced: bool = False  # the two sound the same: a respelling of what was heard
    script_change: bool = False  # letters of another script come in or go (일만 → 1만, 아이티 → IT)
    sound_distance: float = 0.0  # how far apart the two sound, in jamo edits
    votes_for: float = 0.0  # share of the hypotheses' belief that carries the new letters here
    votes_against: float = 0.0  # share that carries the replaced letters
    believed: bool = False  # those shares come from beliefs the recogniser sent, not from agreement
    term_distance: float | None = None  # a term's sound distance from the stretch it replaces
    term_sounds: int = 0  # the term's length in sounds (jamo)
    term_chars: int = 0  # the term's length in characters: `after` starts with the term
    term_common: bool = False  # the term is an ordinary word Kiwi knows (not a name or jargon)
    typo_cost: float = 0.0  # Kiwi's cost for the spelling repair
    rule_repair: bool = False  # a repair by rule of a non-word: particle agreement, an ending, jamo apart
    particle_said_alike: bool = False  # the particle 의 for 에 or the other way round (said alike)


@dataclass(frozen=True)
class Offer:
    """One source's proposal of an edit, with the facts that source alone gives it."""

    source: EditSource
    facts: EditFacts


@dataclass(frozen=True)
class SpanEdit:
    """Replace text[start:end] with `after`; `source` says which evidence proposed it, `facts` what speaks for
    and against it (pooled from every source that proposed it); where more than one did, `other_offers` holds
    each source's own view of it, with the facts that source alone gives."""

    start: int
    end: int
    after: str
    source: EditSource
    facts: EditFacts = EditFacts(0)
    other_offers: tuple[Offer, ...] = ()

    def offers(self) -> tuple[Offer, ...]:
        """The pooled view of the edit, then each source's own."""
        return (Offer(self.source, self.facts),) + self.other_offers


@dataclass(frozen=True)
class SuspectSpan:
    """A stretch of the text that may be wrong: an eojeol and how doubtful it is."""

    start: int
    end: int
    text: str
    doubt: float  # 0 = surely right, 1 = surely wrong
    nonword: bool = False  # no Korean word: Kiwi cannot read it, or its particle disagrees with its noun
    unknown: bool = False  # a form Kiwi does not know (a name, a foreign word — or a non-word)


@dataclass(frozen=True)
class Edit:
    """One change in the response: character offsets in `original`."""

    start: int
    end: int
    before: str
    after: str
    source: EditSource
    score: float = 0.0


@dataclass
class SegmentResult:
    id: str
    original: str
    picked_candidate: str
    gain: float
    corrected: str
    edits: list[Edit] = field(default_factory=list)
    start: float | None = None
    end: float | None = None
    status: SegmentStatus = "corrected"
    guard_refusals: list[str] = field(default_factory=list)
