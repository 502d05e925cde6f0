"""Stage 1 — suspect spans: how doubtful each eojeol is, and whether it is a Korean word at all.

Two kinds of evidence: the recogniser's confidences (where it sent any) say where it was unsure, and Kiwi's
analysis says where the text is no Korean — a stretch Kiwi could not read (an unknown form, jamo written
apart), a particle that disagrees with its noun (가지을: Kiwi reads 을 as a noun), an ending followed by a noun
inside one eojeol (하겠읍다: 겠/EP 읍/NNG), a noun followed by an ending (생니린데: 니/NNG 리/EP) or an adnominal
ending by another ending (인는: 일/VV ᆫ/ETM 는/ETM); and a decoder's broken bytes (U+FFFD) are no Korean
either. A non-word is never right, so it is cheap to change; a word the recogniser was sure of is dear.
"""
from __future__ import annotations

from service.evidence import span_confidence
from service.kiwi_lm import Analysis, Morpheme, PlacedMorphemes
from service.particles import is_particle_form
from service.text import REPLACEMENT_CHARACTER, has_hangul, is_loose_jamo
from service.text_spans import eojeols
from service.types import SuspectSpan

# Tags Kiwi gives to what it could not read as Korean words.
_UNREAD_TAGS = {"UN", "W_SERIAL", "SW"}
_NOUN_TAGS = ("NNG", "NNP", "NNB", "NR", "NP")
# A pre-final or final ending closes a verb: no noun can follow it inside the eojeol (하겠읍다: 겠/EP 읍/NNG).
# (A noun after an adnominal ending is a compound or a missing space — 빨간불, 할말 — not a non-word.)
_CLOSING_ENDING_TAGS = ("EP", "EF")
# An ending needs a verb, an adjective or the copula before it: a noun followed by one inside an eojeol is a
# word spelled by ear that Kiwi read as best it could (인는: 인/NNG 는/EC for 있는, 생니린데: 니/NNG 리/EP).
# (Kiwi writes the copula after a noun as a morpheme of its own even where it is not spelled: 학교다.)
_ENDING_TAGS = ("EP", "EF", "EC", "ETM", "ETN")
# And an adnominal ending is followed by a noun, never by another ending or a stem inside the eojeol
# (인는 read 일/VV ᆫ/ETM 는/ETM in a sentence). Kiwi also reads right words as an adnominal before a final
# ending or a determiner (colloquial 할라구, 보낸이 for "the sender"): those tags are left out.
_NOT_AFTER_ADNOMINAL = ("ETM", "EC", "EP", "VV", "VA", "VX")


def find_suspect_spans(
    text: str, analysis: Analysis, confidences: list[float | None], low_confidence: float
) -> list[SuspectSpan]:
    """Every eojeol as a SuspectSpan with its doubt and whether it is a non-word."""
    spans: list[SuspectSpan] = []
    placed = PlacedMorphemes(analysis.morphemes)
    for word in eojeols(text):
        inside = placed.overlapping(word.start, word.end)
        # Broken bytes (U+FFFD, a decoding fault upstream) are never what was said.
        nonword = (has_hangul(word.text) and is_nonword(inside)) or REPLACEMENT_CHARACTER in word.text
        unknown = not nonword and any(m.oov for m in inside)
        confidence = span_confidence(confidences, word.start, word.end)
        doubt = max(0.0, min(1.0, 1.0 - confidence))
        if nonword:
            doubt = max(doubt, 1.0 - low_confidence)
        spans.append(SuspectSpan(word.start, word.end, word.text, doubt, nonword, unknown))
    return spans


def is_nonword(morphemes: list[Morpheme]) -> bool:
    """True when Kiwi's reading of one eojeol shows it is no Korean word."""
    for i, m in enumerate(morphemes):
        if m.tag in _UNREAD_TAGS and any(is_loose_jamo(ch) for ch in m.form):
            return True
        if m.oov and m.tag != "NNP":
            return True  # an unknown form Kiwi could not even take for a name
        if i and is_particle_form(m.form) and m.tag.startswith(("NNG", "NNB")) \
                and morphemes[i - 1].tag.startswith(_NOUN_TAGS):
            return True  # a particle read as a noun: it disagrees with the noun before it
        if i and m.tag.startswith(_NOUN_TAGS) and morphemes[i - 1].tag.startswith(_CLOSING_ENDING_TAGS) \
                and m.start == morphemes[i - 1].end:
            return True  # an ending cannot be followed by a noun inside one eojeol
        if i and m.tag.startswith(_ENDING_TAGS) and morphemes[i - 1].tag.startswith(_NOUN_TAGS) \
                and m.start == morphemes[i - 1].end:
            return True  # nor can a noun be followed by an ending
        if i and m.tag.startswith(_NOT_AFTER_ADNOMINAL) and morphemes[i - 1].tag == "ETM" \
                and morphemes[i - 1].start <= m.start <= morphemes[i - 1].end:
            return True  # an adnominal ending needs a noun after it
    return False

