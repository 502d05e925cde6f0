"""Spelling repairs of pronunciation-spelled words, as Kiwi typo definitions derived from the sound rules.

Kiwi's typo correction searches, inside its morphological lattice, for spellings whose "typo" would produce
the text. Feeding it the sound changes of `service.phonology` in reverse (궁물 may be 국물, 가치 may be 같이,
훼의 may be 회의) turns it into a pronunciation-to-spelling repairer that costs one analysis per sentence.
"""
from __future__ import annotations

from functools import lru_cache

from kiwipiepy import TypoDefinition, TypoTransformer, basic_typos_with_continual

from service.phonology import CODAS, ONSETS, TAIL, VOWELS, Syllable, compose, pronounce_syllables

# Vowel pairs the recogniser writes for one another (spelled → heard).
_VOWEL_CONFUSIONS = (
    ("ㅐ", "ㅔ"), ("ㅔ", "ㅐ"), ("ㅒ", "ㅖ"), ("ㅖ", "ㅒ"), ("ㅚ", "ㅙ"), ("ㅚ", "ㅞ"), ("ㅙ", "ㅚ"),
    ("ㅙ", "ㅞ"), ("ㅞ", "ㅚ"), ("ㅞ", "ㅙ"), ("ㅢ", "ㅣ"), ("ㅢ", "ㅡ"), ("ㅢ", "ㅔ"),
)
# Vowels close in the mouth that a recogniser mishears for one another (ㅓ/ㅗ, ㅡ/ㅜ, ㅕ/ㅛ).
_NEAR_VOWELS = (("ㅓ", "ㅗ"), ("ㅗ", "ㅓ"), ("ㅡ", "ㅜ"), ("ㅜ", "ㅡ"), ("ㅕ", "ㅛ"), ("ㅛ", "ㅕ"))
# Tensing happens after more than stops in speech (할 수 → 할 쑤, 작성 → 작썽): lax onsets heard tense.
_TENSED_ONSETS = (("ㄱ", "ㄲ"), ("ㄷ", "ㄸ"), ("ㅂ", "ㅃ"), ("ㅅ", "ㅆ"), ("ㅈ", "ㅉ"))


def sound_change_definitions(cost: float = 1.0) -> list[TypoDefinition]:
    """Every boundary sound change (coda + next syllable) the forward rules produce, as spelled → said."""
    definitions: list[TypoDefinition] = []
    for coda in CODAS:
        for onset in ONSETS:
            for vowel in VOWELS:
                said = pronounce_syllables([Syllable("ㄱ", "ㅏ", coda), Syllable(onset, vowel, "")])
                said_coda, said_next = said[0].coda, said[1]
                if said_coda == coda and said_next.onset == onset:
                    continue
                spelled = TAIL[coda] + compose(onset, vowel)
                heard = (TAIL[said_coda] if said_coda else "") + compose(said_next.onset, vowel)
                if onset == "ㅇ" and not said_coda:
                    # Plain liaison is Kiwi's own continual-typo rule.
                    continue
                definitions.append(TypoDefinition([spelled], [heard], cost))
    return definitions


def vowel_confusion_definitions(cost: float = 1.0) -> list[TypoDefinition]:
    return [TypoDefinition([spelled], [heard], cost) for spelled, heard in _VOWEL_CONFUSIONS]


def mishearing_definitions(cost: float = 1.5) -> list[TypoDefinition]:
    """Confusions of the ear rather than of the rules: near vowels and tensed onsets, anywhere."""
    return ([TypoDefinition([spelled], [heard], cost) for spelled, heard in _NEAR_VOWELS]
            + [TypoDefinition([spelled], [heard], cost, "any") for spelled, heard in _TENSED_ONSETS])


@lru_cache(maxsize=4)
def sound_change_typos(cost: float = 1.0) -> TypoTransformer:
    """Kiwi's basic and liaison typos plus the reversed sound rules, merged and near vowels.

    Kiwi's lengthening typos (좋아아 → 좋아) are left out: they are a typist's habit, not a recogniser's, and
    undoing them deletes syllables the speaker said (모레에 → 모레).
    """
    rules = TypoTransformer(sound_change_definitions(cost) + vowel_confusion_definitions(cost)
                            + mishearing_definitions(cost * 1.5))
    return basic_typos_with_continual | rules
