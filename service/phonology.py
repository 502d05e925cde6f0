"""Korean pronunciation: how a spelling is said, and how far apart two spellings sound.

The recogniser writes what it hears, so a misheard or pronunciation-spelled word is close to the true one
*in pronunciation*, not in spelling (방법을 is said 방버블; 같이 is said 가치). Comparing pronunciations,
not letters, is what lets a hotword or a repair be recognised as a sound-alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Callable

import jamo
from rapidfuzz.distance import Levenshtein

from service.text import is_hangul_syllable

# Codas as they are pronounced before a consonant or at the end (the seven representative sounds).
_NEUTRAL_CODA = {
    "ㄲ": "ㄱ", "ㅋ": "ㄱ", "ㄳ": "ㄱ", "ㄺ": "ㄱ",
    "ㅅ": "ㄷ", "ㅆ": "ㄷ", "ㅈ": "ㄷ", "ㅊ": "ㄷ", "ㅌ": "ㄷ", "ㅎ": "ㄷ",
    "ㅍ": "ㅂ", "ㅄ": "ㅂ", "ㄿ": "ㅂ",
    "ㄵ": "ㄴ", "ㄶ": "ㄴ", "ㄻ": "ㅁ",
    "ㄼ": "ㄹ", "ㄽ": "ㄹ", "ㄾ": "ㄹ", "ㅀ": "ㄹ",
}
# A double coda before a vowel keeps its first part and carries the second over (읽어 → 일거, 값이 → 갑시).
SPLIT_CODA = {
    "ㄳ": ("ㄱ", "ㅅ"), "ㄵ": ("ㄴ", "ㅈ"), "ㄶ": ("ㄴ", "ㅎ"), "ㄺ": ("ㄹ", "ㄱ"), "ㄻ": ("ㄹ", "ㅁ"),
    "ㄼ": ("ㄹ", "ㅂ"), "ㄽ": ("ㄹ", "ㅅ"), "ㄾ": ("ㄹ", "ㅌ"), "ㄿ": ("ㄹ", "ㅍ"), "ㅀ": ("ㄹ", "ㅎ"),
    "ㅄ": ("ㅂ", "ㅅ"),
}
_ASPIRATE = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅂ": "ㅍ", "ㅈ": "ㅊ", "ㅅ": "ㅆ"}
TENSE = {"ㄱ": "ㄲ", "ㄷ": "ㄸ", "ㅂ": "ㅃ", "ㅅ": "ㅆ", "ㅈ": "ㅉ"}
_NASAL = {"ㄱ": "ㅇ", "ㄷ": "ㄴ", "ㅂ": "ㅁ"}
# The sonorant codas after which an onset ㅎ is barely said in running speech (전화 is said 저놔, 은행 으냉,
# 발전하는 발저나는); between vowels it weakens as much.
WEAK_H_AFTER = ("ㄴ", "ㄹ", "ㅁ", "ㅇ")
# The codas of the syllables after which an onset ㅎ is barely said: none (a vowel), or a sonorant.
WEAKENS_H = ("", *WEAK_H_AFTER)
# Vowels most speakers no longer tell apart; the recogniser confuses them freely.
_MERGED_VOWEL = {"ㅐ": "ㅔ", "ㅒ": "ㅖ", "ㅙ": "ㅞ", "ㅚ": "ㅞ", "ㅢ": "ㅣ"}
# Consonants that differ only in tension or aspiration sound close; a substitution between them is cheap.
_CONSONANT_FAMILY = {
    **dict.fromkeys("ㄱㄲㅋ", "ㄱ"), **dict.fromkeys("ㄷㄸㅌ", "ㄷ"), **dict.fromkeys("ㅂㅃㅍ", "ㅂ"),
    **dict.fromkeys("ㅅㅆ", "ㅅ"), **dict.fromkeys("ㅈㅉㅊ", "ㅈ"),
}


ONSETS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
CODAS = "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
# Compatibility jamo → conjoining jamo by position, looked up once (the jamo library's converter is slow).
LEAD = {c: jamo.hcj_to_jamo(c, "lead") for c in ONSETS}
MEDIAL = {c: jamo.hcj_to_jamo(c, "vowel") for c in VOWELS}
TAIL = {c: jamo.hcj_to_jamo(c, "tail") for c in CODAS}


@dataclass(frozen=True)
class Syllable:
    """One Hangul syllable in compatibility jamo; `coda` is "" when open."""

    onset: str
    vowel: str
    coda: str = ""


@lru_cache(maxsize=16384)
def decompose(char: str) -> Syllable | None:
    """Split a Hangul syllable into onset, vowel and coda; None for anything else."""
    if not is_hangul_syllable(char):
        return None
    parts = jamo.j2hcj(jamo.h2j(char))
    return Syllable(parts[0], parts[1], parts[2] if len(parts) == 3 else "")


@lru_cache(maxsize=16384)
def compose(onset: str, vowel: str, coda: str = "") -> str:
    return jamo.j2h(LEAD[onset], MEDIAL[vowel], TAIL[coda] if coda else None)


def final_consonant(word: str) -> str:
    """The coda of the last syllable ("" when the word ends in a vowel or is not Hangul)."""
    syllable = decompose(word[-1]) if word else None
    return syllable.coda if syllable else ""


def pronounce_syllables(syllables: list[Syllable]) -> list[Syllable]:
    """Apply the standard sound changes across the boundaries of one run of syllables."""
    out = [Syllable(s.onset, s.vowel, s.coda) for s in syllables]
    for i in range(len(out) - 1):
        left, right = out[i], out[i + 1]
        coda, onset = left.coda, right.onset
        if not coda:
            continue
        # ㅎ at the end meets the next onset: aspiration, loss before a vowel, ㄴ before ㄴ.
        if coda in ("ㅎ", "ㄶ", "ㅀ"):
            kept = {"ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}[coda]
            if onset in ("ㄱ", "ㄷ", "ㅈ"):
                out[i], out[i + 1] = Syllable(left.onset, left.vowel, kept), Syllable(_ASPIRATE[onset], right.vowel, right.coda)
            elif onset == "ㅅ":
                out[i], out[i + 1] = Syllable(left.onset, left.vowel, kept), Syllable("ㅆ", right.vowel, right.coda)
            elif onset == "ㅇ":
                out[i] = Syllable(left.onset, left.vowel, "")
                out[i + 1] = Syllable(kept or "ㅇ", right.vowel, right.coda)
            elif onset == "ㄴ":
                out[i] = Syllable(left.onset, left.vowel, kept or "ㄴ")
            else:
                out[i] = Syllable(left.onset, left.vowel, kept or "ㄷ")
            continue
        # An onset ㅎ after a stop makes it aspirated (축하 → 추카, 입학 → 이팍).
        if onset == "ㅎ":
            stop = coda
            if coda in SPLIT_CODA:
                kept, stop = SPLIT_CODA[coda]
            else:
                kept = ""
            base = _NEUTRAL_CODA.get(stop, stop)
            if base in ("ㄱ", "ㄷ", "ㅂ") or stop == "ㅈ":
                out[i] = Syllable(left.onset, left.vowel, kept)
                out[i + 1] = Syllable(_ASPIRATE["ㅈ" if stop == "ㅈ" else base], right.vowel, right.coda)
                continue
        # Liaison: a coda moves into an empty onset; ㄷ/ㅌ before 이 palatalise (같이 → 가치).
        if onset == "ㅇ" and coda != "ㅇ":
            if coda in SPLIT_CODA:
                kept, moved = SPLIT_CODA[coda]
            else:
                kept, moved = "", coda
            if right.vowel == "ㅣ" and moved in ("ㄷ", "ㅌ"):
                moved = "ㅈ" if moved == "ㄷ" else "ㅊ"
            if moved == "ㅆ" or moved == "ㄲ":
                pass
            out[i] = Syllable(left.onset, left.vowel, kept)
            out[i + 1] = Syllable(moved, right.vowel, right.coda)
            continue
        neutral = _NEUTRAL_CODA.get(coda, coda)
        next_onset = onset
        # Nasalisation: a stop before ㄴ/ㅁ becomes a nasal; ㄹ after a non-ㄹ coda becomes ㄴ.
        if next_onset == "ㄹ" and neutral not in ("ㄹ", "ㄴ"):
            next_onset = "ㄴ"
        if neutral in _NASAL and next_onset in ("ㄴ", "ㅁ"):
            neutral = _NASAL[neutral]
        # Lateralisation: ㄴ next to ㄹ becomes ㄹ (신라 → 실라, 칼날 → 칼랄).
        if neutral == "ㄴ" and next_onset == "ㄹ":
            neutral = "ㄹ"
        elif neutral == "ㄹ" and next_onset == "ㄴ":
            next_onset = "ㄹ"
        # Tensing after a stop (학교 → 학꾜).
        if neutral in ("ㄱ", "ㄷ", "ㅂ") and next_onset in TENSE:
            next_onset = TENSE[next_onset]
        out[i] = Syllable(left.onset, left.vowel, neutral)
        out[i + 1] = Syllable(next_onset, right.vowel, right.coda)
    if out and out[-1].coda:
        last = out[-1]
        out[-1] = Syllable(last.onset, last.vowel, _NEUTRAL_CODA.get(last.coda, last.coda))
    return out


def text_cache(short_entries: int = 16384, long_entries: int = 256, short_chars: int = 64,
               long_chars: int = 2048) -> Callable[[Callable[[str], str]], Callable[[str], str]]:
    """An LRU cache for a function of one string whose result is about as long as its argument, bounded in
    memory: `short_entries` results for arguments of up to `short_chars` characters (the words and pieces term
    matching asks about over and over), `long_entries` for up to `long_chars` (whole sentences, asked about
    again by the rerank passes and the guard); longer arguments are not cached. Filled with distinct arguments
    of the longest cached lengths (the worst case), pronounce, sound_key and family_key hold about 17, 22 and
    22 MB (measured with tracemalloc, arguments included); the usual words and sentences far less."""
    def decorate(function: Callable[[str], str]) -> Callable[[str], str]:
        short, long = lru_cache(maxsize=short_entries)(function), lru_cache(maxsize=long_entries)(function)

        @wraps(function)
        def cached(text: str) -> str:
            n = len(text)
            return short(text) if n <= short_chars else long(text) if n <= long_chars else function(text)

        cached.caches = (short, long)  # type: ignore[attr-defined]
        return cached
    return decorate


@text_cache()
def pronounce(text: str) -> str:
    """The text as it is said, in Hangul (방법을 → 방버블, 국물 → 궁물); spaces are sound-neutral and dropped."""
    out: list[str] = []
    run: list[Syllable] = []

    def flush() -> None:
        out.extend(compose(s.onset, s.vowel, s.coda) for s in pronounce_syllables(run))
        run.clear()

    for char in text:
        syllable = decompose(char)
        if syllable is not None:
            run.append(syllable)
        elif char.isspace():
            continue
        else:
            flush()
            out.append(char)
    flush()
    return "".join(out)


@text_cache()
def sound_key(text: str) -> str:
    """The pronunciation as a string of conjoining jamo, one character per sound, with merged vowels folded
    and the silent onset ㅇ dropped.

    Two spellings with the same key sound the same to the recogniser; the edit distance between keys
    measures how different they sound.
    """
    keys: list[str] = []
    for char in pronounce(text):
        syllable = decompose(char)
        if syllable is None:
            if char.isalnum():
                keys.append(char.lower())
            continue
        if syllable.onset != "ㅇ":
            keys.append(LEAD[syllable.onset])
        keys.append(MEDIAL[_MERGED_VOWEL.get(syllable.vowel, syllable.vowel)])
        if syllable.coda:
            keys.append(TAIL[syllable.coda])
    return "".join(keys)


@text_cache(short_chars=192, long_chars=6144)  # keys run about 2.5 jamo a syllable
def family_key(key: str) -> str:
    """A sound key with close sounds folded — tension and aspiration (ㄱ/ㄲ/ㅋ), the vowels a recogniser hears
    for one another (ㅓ/ㅗ, ㅡ/ㅜ, ㅕ/ㅛ, ㅔ/ㅖ) — and a coda the same as the onset it may move to: a looser
    key, never farther apart."""
    return "".join(_FAMILY_OF_KEY.get(k, k) for k in key)


# Vowels close in the mouth that recognisers confuse (the ear's confusions, beyond the merged vowels).
_NEAR_VOWEL = {"ㅗ": "ㅓ", "ㅜ": "ㅡ", "ㅛ": "ㅕ", "ㅖ": "ㅔ"}
_FAMILY_OF_KEY = {
    **{LEAD[c]: LEAD[f] for c, f in _CONSONANT_FAMILY.items()},
    **{TAIL[c]: LEAD[f] for c, f in _CONSONANT_FAMILY.items()
       if c not in ("ㄸ", "ㅃ", "ㅉ")},
    **{MEDIAL[v]: MEDIAL[f] for v, f in _NEAR_VOWEL.items()},
}


def key_distance(key_a: str, key_b: str) -> float:
    """Edit distance between two sound keys; a swap within a family of close sounds costs half."""
    if key_a == key_b:
        return 0.0
    exact = Levenshtein.distance(key_a, key_b)
    if exact <= 1:
        return float(exact) if family_key(key_a) != family_key(key_b) else 0.5
    loose = Levenshtein.distance(family_key(key_a), family_key(key_b))
    return (exact + loose) / 2.0


def sound_distance(a: str, b: str) -> float:
    """How different `a` and `b` sound, in jamo edits."""
    return key_distance(sound_key(a), sound_key(b))
