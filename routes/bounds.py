"""The configured bounds on what one request may ask for, checked the same way by every correcting route.

A request over a bound gets 413 naming the field (`BoundExceeded`), before any correction starts: segments
per request, characters per text, n-best hypotheses per segment and characters per hypothesis, hotwords and
lexicon terms. The routes differ only in what they call the fields (`segments`, `results`, `file.cues`).
"""
from __future__ import annotations

from typing import Sequence

from config import Settings
from routes.errors import BoundExceeded
from service.types import SegmentInput, TermLists


def max_nbest(settings: Settings) -> int:
    """Hypotheses accepted per segment (the pipeline itself reads the first MAX_NBEST; real recognisers send
    a few filler alternatives more)."""
    return settings.MAX_NBEST * 4


def check_terms(hotwords: Sequence[str], lexicon: Sequence[str], settings: Settings) -> TermLists:
    if len(hotwords) > settings.MAX_HOTWORDS:
        raise BoundExceeded("hotwords", settings.MAX_HOTWORDS, len(hotwords), "hotwords")
    if len(lexicon) > settings.MAX_LEXICON:
        raise BoundExceeded("domain_lexicon", settings.MAX_LEXICON, len(lexicon), "terms")
    for field, terms in (("hotwords", hotwords), ("domain_lexicon", lexicon)):
        for i, term in enumerate(terms):
            if len(term) > settings.MAX_TEXT_CHARS:
                raise BoundExceeded(f"{field}.{i}", settings.MAX_TEXT_CHARS, len(term), "characters")
    return TermLists(tuple(hotwords), tuple(lexicon))


def check_segments(segments: Sequence[SegmentInput], settings: Settings, field: str | None = "segments",
                   nbest_field: str = "nbest") -> None:
    """`field` names the list in the request (`segments`, `results`, `file.cues`); "" when the body itself is
    the list, None when the document is one segment."""
    if len(segments) > settings.MAX_SEGMENTS:
        raise BoundExceeded(field or "body", settings.MAX_SEGMENTS, len(segments), "segments")
    for i, segment in enumerate(segments):
        where = "" if field is None else f"{field}.{i}" if field else str(i)

        def name(*parts: str) -> str:
            return ".".join(p for p in (where, *parts) if p)

        if len(segment.text) > settings.MAX_TEXT_CHARS:
            raise BoundExceeded(name("text"), settings.MAX_TEXT_CHARS, len(segment.text), "characters")
        if len(segment.nbest) > max_nbest(settings):
            raise BoundExceeded(name(nbest_field), max_nbest(settings), len(segment.nbest), "hypotheses")
        for k, hypothesis in enumerate(segment.nbest):
            if len(hypothesis.text) > settings.MAX_TEXT_CHARS:
                raise BoundExceeded(name(nbest_field, str(k), "text"), settings.MAX_TEXT_CHARS,
                                    len(hypothesis.text), "characters")
