"""Spelling repairs of pronunciation-spelled words, as Kiwi typo definitions derived from the sound rules.

Kiwi's typo correction searches, inside its morphological lattice, for spellings whose "typo" would produce
the text. Feeding it the sound changes of `service.phonology` in reverse (궁물 may be 국물, 가치 may be 같이,
훼의 may be 회의) turns it into a pronunciation-to-spelling repairer that costs one analysis per sentence.
"""
from __future__ import annotations


from kiwipiepy import TypoDefinition, TypoTransformer, basic_typos_with_continual

from service.phonology import CODAS, ONSETS, TAIL, VOWELS, Syllable, compose, decompose, pronounce_syllables
from service.text import NON_WORD_MARKS, is_loose_jamo

# Vowel pairs the recogniser writes for one another (spelled → heard).
_VOWEL_CONFUSIONS = (
    ("ㅐ", "ㅔ"), ("ㅔ", "ㅐ"), ("ㅒ", "ㅖ"), ("ㅖ", "ㅒ"), ("ㅚ", "ㅙ"), ("ㅚ", "ㅞ"), ("ㅙ", "ㅚ"),
    ("ㅙ", "ㅞ"), ("ㅞ", "ㅚ"), ("ㅞ", "ㅙ"), ("ㅢ", "ㅣ"), ("ㅢ", "ㅡ"), ("ㅢ", "ㅔ"),
)
# Vowels close in the mouth that a recogniser mishears for one another (ㅓ/ㅗ, ㅡ/ㅜ, ㅕ/ㅛ).
_NEAR_VOWELS = (("ㅓ", "ㅗ"), ("ㅗ", "ㅓ"), ("ㅡ", "ㅜ"), ("ㅜ", "ㅡ"), ("ㅕ", "ㅛ"), ("ㅛ", "ㅕ"))
# Tensing happens after more than stops in speech (할 수 → 할 쑤, 작성 → 작썽): lax onsets heard tense.
_TENSED_ONSETS = (("ㄱ", "ㄲ"), ("ㄷ", "ㄸ"), ("ㅂ", "ㅃ"), ("ㅅ", "ㅆ"), ("ㅈ", "ㅉ"))
# Final consonants that differ only in aspiration or tension, spelled for one another before a vowel
# (쫓아 → 쫒아, 부엌에 → 부억에).
_CODA_FAMILIES = (("ㅊ", "ㅈ"), ("ㅈ", "ㅊ"), ("ㅋ", "ㄱ"), ("ㄲ", "ㄱ"), ("ㅌ", "ㄷ"), ("ㅍ", "ㅂ"), ("ㅆ", "ㅅ"),
                  ("ㅅ", "ㅆ"))
# The formal ending as it is said quickly or spelled by ear (하겠습니다 → 하겠슴다, 하겠읍니다), heard → spelled.
# Repaired by `ending_repairs`, not through Kiwi: kiwipiepy 0.24.1 crashes now and then when its typo model
# holds multi-syllable definitions and it analyses with more than one worker thread.
_ENDING_SPELLINGS = (("슴니다", "습니다"), ("읍니다", "습니다"), ("슴다", "습니다"), ("읍다", "습니다"),
                     ("슴니까", "습니까"), ("읍니까", "습니까"), ("슴까", "습니까"))


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


def spelled_by_ear_definitions(cost: float = 1.0) -> list[TypoDefinition]:
    """Spellings of what was heard right: a final consonant of the same family (쫓아 → 쫒아)."""
    # Written with the syllable after the consonant: Kiwi 0.24.1 crashes on some texts given bare final
    # consonants as typos.
    return [TypoDefinition([TAIL[spelled] + compose("ㅇ", vowel)], [TAIL[heard] + compose("ㅇ", vowel)], cost)
            for spelled, heard in _CODA_FAMILIES for vowel in VOWELS]


def respell_ending(word: str) -> str:
    """The formal ending spelled as it is written, where the eojeol ends in it spelled by ear
    (시작하겠읍니다 → 시작하겠습니다, 공유하겠슴다 → 공유하겠습니다)."""
    core = word.rstrip(NON_WORD_MARKS)
    for heard, spelled in _ENDING_SPELLINGS:
        if core.endswith(heard) and len(core) > len(heard):
            return core[: -len(heard)] + spelled + word[len(core):]
    return word


def sound_change_typos(cost: float = 1.0) -> TypoTransformer:
    """Kiwi's basic and liaison typos plus the reversed sound rules, merged and near vowels.

    Kiwi's lengthening typos (좋아아 → 좋아) are left out: they are a typist's habit, not a recogniser's, and
    undoing them deletes syllables the speaker said (모레에 → 모레).

    A new transformer for every Kiwi: kiwipiepy 0.24.1 prepares a transformer for the Kiwi that first uses
    it, and a second Kiwi using the same one crashes.
    """
    rules = TypoTransformer(sound_change_definitions(cost) + vowel_confusion_definitions(cost)
                            + mishearing_definitions(cost * 1.5) + spelled_by_ear_definitions(cost))
    return basic_typos_with_continual | rules


def compose_loose_jamo(word: str) -> str:
    """Jamo written apart composed into the syllables they belong to: a consonant after an open syllable is
    its final consonant (오ㄹ해 → 올해), a consonant and a vowel make a syllable (접ㅅㅣ → 접시). Jamo with no
    syllable to join (ㅋㅋ) stay as they are."""
    out: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if ch in ONSETS and nxt and nxt in VOWELS:
            after = word[i + 2] if i + 2 < len(word) else ""
            coda = after if after and after in CODAS and (i + 3 >= len(word) or word[i + 3] not in VOWELS) else ""
            out.append(compose(ch, nxt, coda))
            i += 3 if coda else 2
            continue
        previous = decompose(out[-1]) if out else None
        if ch in CODAS and previous is not None and not previous.coda and not is_loose_jamo(nxt):
            out[-1] = compose(previous.onset, previous.vowel, ch)
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)

