"""Particle agreement: after a replaced noun, the particle follows the noun's final sound (회의를, not 회의을)."""
from __future__ import annotations

from typing import Iterable, Protocol

from service.phonology import SPLIT_CODA, WEAK_H_AFTER, compose, decompose, final_consonant
from service.text import is_hangul_syllable


class Tagged(Protocol):
    form: str
    tag: str
    start: int


# (after a consonant, after a vowel). Longer forms first so 이랑 is not read as 이 + 랑.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("이에요", "예요"), ("이라고", "라고"), ("이라서", "라서"), ("이지만", "지만"), ("이든지", "든지"),
    ("으로서", "로서"), ("으로써", "로써"), ("으로", "로"), ("이랑", "랑"), ("이나", "나"), ("이야", "야"),
    ("이며", "며"), ("이고", "고"), ("이면", "면"), ("이라", "라"), ("이다", "다"), ("이여", "여"),
    ("이", "가"), ("을", "를"), ("은", "는"), ("과", "와"), ("아", "야"),
)


_PARTICLE_FORMS = frozenset(form for pair in _PAIRS for form in pair)
# The case particles whose two forms are nothing but the noun's final sound: a disagreement between them
# and their noun is no other reading (이고, 이나, 이며 … may be the copula or an ending, not a particle).
_CASE_PARTICLES = frozenset(("을", "를", "이", "가", "은", "는", "과", "와", "으로", "로"))
# Tags Kiwi gives a particle it misreads after a noun whose final sound it disagrees with (가지을 → 을/NNG).
_MISREAD_PARTICLE_TAGS = ("NNG", "NNB", "NNP")


def is_particle_form(form: str) -> bool:
    return form in _PARTICLE_FORMS


def is_case_particle(form: str) -> bool:
    return form in _CASE_PARTICLES


# The tag Kiwi gives each case particle when it reads it as one (its join then picks the form that agrees).
_CASE_PARTICLE_TAGS = {"을": "JKO", "를": "JKO", "이": "JKS", "가": "JKS", "은": "JX", "는": "JX",
                       "과": "JC", "와": "JC", "으로": "JKB", "로": "JKB"}


def particle_tag(form: str, tag: str, after_noun: bool) -> str:
    """The tag a morpheme should have: a case particle Kiwi misread as a noun after a noun (가지을: 을/NNG)
    gets its particle tag back; anything else keeps its own."""
    if after_noun and form in _CASE_PARTICLE_TAGS and tag in _MISREAD_PARTICLE_TAGS:
        return _CASE_PARTICLE_TAGS[form]
    return tag


def particle_positions(morphemes: Iterable[Tagged]) -> frozenset[int]:
    """Where a particle starts, by Kiwi's tags: a J* morpheme, or a particle form misread as a noun because it
    disagrees with the noun before it. A verb or an ending is never a particle (일정 가서: 가/VV)."""
    return frozenset(m.start for m in morphemes
                     if m.tag.startswith("J") or (m.form in _PARTICLE_FORMS and m.tag in _MISREAD_PARTICLE_TAGS))


def agree(noun: str, suffix: str) -> str:
    """Rewrite the particle at the start of `suffix` to agree with the last sound of `noun`."""
    if not suffix or not noun:
        return suffix
    if not is_hangul_syllable(noun[-1]):
        return suffix  # how a Latin word or a number ends when said is not in its letters: as written
    coda = final_consonant(noun)
    ends_in_vowel = coda == ""
    for consonant_form, vowel_form in _PAIRS:
        for form in (consonant_form, vowel_form):
            if suffix.startswith(form):
                rest = suffix[len(form):]
                if form in ("으로", "로", "으로서", "로서", "으로써", "로써"):
                    # ㄹ-final nouns take the vowel form (서울로, 교실로).
                    wanted = vowel_form if ends_in_vowel or coda == "ㄹ" else consonant_form
                else:
                    wanted = vowel_form if ends_in_vowel else consonant_form
                return wanted + rest
    return suffix


_PLAIN = {"ㄲ": "ㄱ", "ㅆ": "ㅅ"}
_PALATAL = {"ㄷ": "ㅈ", "ㅌ": "ㅊ"}


# After a sonorant, the ㅎ of 하다 is hardly said (발전하는 is said 발저나는). No ending or particle that joins a
# noun starts with 아/애 but the vocative, so what is left after the consonant is given back is either 하다
# without its ㅎ or a word of its own (회의실 안에, said 회의시라네).
_OF_HADA = ("ㅏ", "ㅐ")


def undo_liaison(noun: str, suffix: str) -> tuple[str, ...]:
    """The readings of `suffix` with the noun's final consonant given back where it was carried into it
    (방버블 → 방법 + 을): one reading, or two where what is left is 하다 that lost its weak ㅎ or a word of
    its own, set apart by a space (발저나는 → 발전 + 하는 or " 아는"; 회의시란에 → 회의실 + 한에 or " 안에"): the
    sentence chooses between them. The suffix as it is where nothing was carried."""
    coda = final_consonant(noun)
    first = decompose(suffix[0]) if suffix else None
    if not coda or first is None or first.onset == "ㅇ":
        return (suffix,)
    if coda == "ㄹ" and first.onset == "ㄹ" and first.vowel == "ㅗ" and not first.coda:
        return (suffix,)  # 로 is the particle of a noun ending in ㄹ (회의실로), not a carried ㄹ
    # A double coda carries its second part over (값이 → 갑시).
    carried = SPLIT_CODA[coda][1] if coda in SPLIT_CODA else coda
    if first.onset not in (carried, _PLAIN.get(carried, carried), _PALATAL.get(carried, "")):
        return (suffix,)
    rest = compose("ㅇ", first.vowel, first.coda) + suffix[1:]
    if coda in WEAK_H_AFTER and first.vowel in _OF_HADA:
        return (compose("ㅎ", first.vowel, first.coda) + suffix[1:], " " + rest)
    return (rest,)
