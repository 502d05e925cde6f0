"""Particle agreement: after a replaced noun, the particle follows the noun's final sound (회의를, not 회의을)."""
from __future__ import annotations

from service.phonology import final_consonant
from service.text import is_hangul_syllable

# (after a consonant, after a vowel). Longer forms first so 이랑 is not read as 이 + 랑.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("이에요", "예요"), ("이라고", "라고"), ("이라서", "라서"), ("이지만", "지만"), ("이든지", "든지"),
    ("으로서", "로서"), ("으로써", "로써"), ("으로", "로"), ("이랑", "랑"), ("이나", "나"), ("이야", "야"),
    ("이며", "며"), ("이고", "고"), ("이면", "면"), ("이라", "라"), ("이다", "다"), ("이여", "여"),
    ("이", "가"), ("을", "를"), ("은", "는"), ("과", "와"), ("아", "야"),
)


def agree(noun: str, suffix: str) -> str:
    """Rewrite the particle at the start of `suffix` to agree with the last sound of `noun`."""
    if not suffix or not noun:
        return suffix
    coda = final_consonant(noun)
    ends_in_vowel = coda == "" and is_hangul_syllable(noun[-1])
    for consonant_form, vowel_form in _PAIRS:
        for form in (consonant_form, vowel_form):
            if suffix.startswith(form):
                rest = suffix[len(form):]
                if form in ("으로", "로", "으로서", "로서", "으로써", "로써"):
                    # ㄹ-final nouns take the vowel form (서울로, 교실로).
                    wanted = vowel_form if ends_in_vowel or coda == "ㄹ" else consonant_form
                elif not is_hangul_syllable(noun[-1]):
                    return suffix
                else:
                    wanted = vowel_form if ends_in_vowel else consonant_form
                return wanted + rest
    return suffix
