"""Unicode normalisation of everything a request carries, before any stage sees it.

Some clients (macOS, some web inputs) send Hangul decomposed (NFD: conjoining jamo). The pipeline compares
texts with hotwords, n-best hypotheses and recogniser words, so all of them must be in the same form; NFC
is the form Kiwi and the terms lists use. The pipeline normalises the text, n-best, words, tokens and terms
on admission, so an NFD request gives the same answer as its NFC twin.
"""
from __future__ import annotations

import dataclasses
import unicodedata

from service.text import collapse_whitespace, is_control
from service.types import SegmentInput, TermLists


# Invisible characters that some editors and web inputs leave in text: a zero-width space marks a word boundary
# (a space for a reader); a byte-order mark, a word joiner or a soft hyphen inside a line marks nothing. Python
# does not count any of them as whitespace, so left in they would sit between words as symbols. The joiners
# of emoji sequences and of other scripts (U+200C, U+200D) are kept.
_ZERO_WIDTH_SPACE = "\u200b"
_INVISIBLE_MARKS = "\ufeff\u2060\u00ad"  # byte-order mark (zero-width no-break space), word joiner, soft hyphen
_INVISIBLE_IN_TEXT = str.maketrans({_ZERO_WIDTH_SPACE: " ", **dict.fromkeys(_INVISIBLE_MARKS)})
_INVISIBLE_IN_TERMS = str.maketrans(dict.fromkeys(_ZERO_WIDTH_SPACE + _INVISIBLE_MARKS))


def clean_text(text: str) -> str:
    """NFC, control characters and zero-width spaces as spaces, other invisible marks dropped, single spaces,
    no space before punctuation."""
    text = nfc(text).translate(_INVISIBLE_IN_TEXT)
    text = "".join(" " if is_control(ch) else ch for ch in text)
    return collapse_whitespace(text)


def nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def normalise_segment(segment: SegmentInput) -> SegmentInput:
    return dataclasses.replace(
        segment,
        text=nfc(segment.text),
        words=tuple(dataclasses.replace(w, text=nfc(w.text)) for w in segment.words),
        tokens=tuple(dataclasses.replace(t, text=nfc(t.text)) for t in segment.tokens),
        # The hypotheses are cleaned as the text is: an alternative must not bring in what the text loses.
        nbest=tuple(dataclasses.replace(h, text=clean_text(h.text)) for h in segment.nbest),
    )


def clean_term(term: str) -> str:
    """A hotword or lexicon term as it will be written into a subtitle: NFC, with no invisible or control
    character (a term is one written form: a zero-width space pasted into it joins, it does not split), single
    spaces."""
    term = nfc(term).translate(_INVISIBLE_IN_TERMS)
    return " ".join("".join(ch for ch in term if ch.isspace() or not is_control(ch)).split())


def normalise_terms(terms: TermLists) -> TermLists:
    return TermLists(tuple(clean_term(t) for t in terms.hotwords),
                     tuple(clean_term(t) for t in terms.domain_lexicon))
