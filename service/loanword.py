"""How a Korean speaker says what is written in Latin letters: a meeting sends its acronyms and English names
as hotwords (KTX, Docker, NextGen), and a Korean recogniser writes what it heard in Hangul (케이티엑스, 도커,
넥스트젠). `spoken` writes a text's Latin letters as they are said: an acronym letter by letter, a word as a
loanword.

`said_in_hangul` reads the spelling the way Korean loanwords render English: letters to sounds (c before e, i,
y is s; ph is f; x is ks; a final e is silent; an r after a vowel is not said), then sounds to Hangul
syllables (a consonant no vowel follows takes the vowel ㅡ — 스트 — or closes the syllable before it: m, n,
ng, l always, and p, k, t after a short vowel: 컵, 북, 캣). English spelling does not fix its sounds, so the
reading is an approximation; the term matcher compares sounds with a budget, so near is enough. Linear in
the word's length.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from service.phonology import compose

# Letters to sounds, longest spelling first. A sound is a consonant (by the jamo that starts a syllable with
# it), a vowel (by its jamo), or a glide ("y", "w") that colours the vowel after it.
# Internal sounds beside the jamo: "f" (said ㅍ, but never closing a syllable), "l" (said ㄹ, doubled between
# vowels and after a consonant: 밸리, 슬랙), "sh" (ㅅ with a y-glide: 셰), "ng" (ㅇ closing a syllable).
_CONSONANT_SPELLINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tch", ("ㅊ",)), ("sch", ("sh",)), ("sh", ("sh",)), ("ch", ("ㅊ",)), ("ph", ("f",)), ("th", ("ㅅ",)),
    ("ck", ("ㅋ",)), ("ng", ("ng",)), ("qu", ("ㅋ", "w")), ("wh", ("w",)), ("gh", ()), ("x", ("ㅋ", "ㅅ")),
    ("b", ("ㅂ",)), ("c", ("ㅋ",)), ("d", ("ㄷ",)), ("f", ("f",)), ("g", ("ㄱ",)), ("h", ("ㅎ",)), ("j", ("ㅈ",)),
    ("k", ("ㅋ",)), ("l", ("l",)), ("m", ("ㅁ",)), ("n", ("ㄴ",)), ("p", ("ㅍ",)), ("q", ("ㅋ",)), ("r", ("ㄹ",)),
    ("s", ("ㅅ",)), ("t", ("ㅌ",)), ("v", ("ㅂ",)), ("z", ("ㅈ",)),
)
_VOWEL_SPELLINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("eau", ("ㅗ",)), ("ee", ("ㅣ",)), ("ea", ("ㅣ",)), ("ie", ("ㅣ",)), ("oo", ("ㅜ",)), ("ou", ("ㅜ",)),
    ("oa", ("ㅗ",)), ("au", ("ㅗ",)), ("aw", ("ㅗ",)), ("ew", ("y", "ㅜ")), ("eu", ("y", "ㅜ")), ("ue", ("ㅜ",)),
    ("ai", ("ㅔ", "ㅣ")), ("ay", ("ㅔ", "ㅣ")), ("ei", ("ㅔ", "ㅣ")), ("ey", ("ㅔ", "ㅣ")), ("oi", ("ㅗ", "ㅣ")),
    ("oy", ("ㅗ", "ㅣ")), ("ow", ("ㅗ",)),
    ("a", ("ㅏ",)), ("e", ("ㅔ",)), ("i", ("ㅣ",)), ("o", ("ㅗ",)), ("u", ("ㅜ",)), ("y", ("ㅣ",)),
)
_SPELLINGS = _VOWEL_SPELLINGS + _CONSONANT_SPELLINGS
_VOWEL_LETTERS = frozenset("aeiouy")
_GLIDED = {("y", "ㅏ"): "ㅑ", ("y", "ㅓ"): "ㅕ", ("y", "ㅗ"): "ㅛ", ("y", "ㅜ"): "ㅠ", ("y", "ㅔ"): "ㅖ",
           ("y", "ㅐ"): "ㅒ", ("y", "ㅣ"): "ㅣ", ("w", "ㅏ"): "ㅘ", ("w", "ㅓ"): "ㅝ", ("w", "ㅔ"): "ㅞ",
           ("w", "ㅐ"): "ㅙ", ("w", "ㅣ"): "ㅟ", ("w", "ㅗ"): "ㅗ", ("w", "ㅜ"): "ㅜ"}
# Consonants that close a syllable when no vowel follows: always (m, n, ng, l), or after a short vowel (p, k,
# t, and b before another consonant: 컵, 북, 캣, 깁슨).
_ALWAYS_CODA = {"ㅁ": "ㅁ", "ㄴ": "ㄴ", "ng": "ㅇ", "l": "ㄹ"}
_SHORT_VOWEL_CODA = {"ㅍ": "ㅂ", "ㅋ": "ㄱ", "ㅌ": "ㅅ"}
# The vowel a consonant takes when it stands alone: ㅡ, but ㅣ after the sounds said with the tongue raised.
_LONE_VOWEL = {"ㅊ": "ㅣ", "ㅈ": "ㅣ", "sh": "ㅣ"}


def _letters_to_sounds(word: str) -> list[str]:
    """The word's sounds: consonant jamo (or "ng", "sh"), vowel jamo, glides. One pass over the letters."""
    sounds: list[str] = []
    i, n = 0, len(word)
    while i < n:
        letter, following = word[i], word[i + 1] if i + 1 < n else ""
        before = word[i - 1] if i else ""
        # A final e after a consonant is silent (zone; the last e of Kubernetes is not final), as is an r after
        # a vowel that no vowel follows (server, Carpanedo).
        if letter == "e" and i == n - 1 and n > 3 and before not in _VOWEL_LETTERS:
            break
        if letter == "r" and before and before in _VOWEL_LETTERS and following not in _VOWEL_LETTERS:
            if sounds and sounds[-1] in ("ㅔ", "ㅣ", "ㅜ") and before in "eiu":
                sounds[-1] = "ㅓ"  # er, ir, ur are said 어 (server 서버)
            i += 1
            continue
        if letter == "y" and (not before or before in _VOWEL_LETTERS and before not in "ae") \
                and following and following in _VOWEL_LETTERS:
            sounds.append("y")
            i += 1
            continue
        if letter == "w" and following and following in _VOWEL_LETTERS:
            sounds.append("w")
            i += 1
            continue
        if letter == "c" and following and following in "eiy":
            if not (sounds and sounds[-1] == "ㅅ"):  # the c of xc is in the x (Excel: 엑셀)
                sounds.append("ㅅ")
            i += 1
            continue
        if word.startswith("tion", i):
            sounds.extend(("sh", "ㅓ", "ㄴ"))  # 션
            i += 4
            continue
        if i and i == n - 2 and word.startswith("ey", i):
            sounds.append("ㅣ")  # valley, money
            break
        after_next = word[i + 2] if i + 2 < n else ""
        if letter == "u" and following and following not in _VOWEL_LETTERS and after_next not in _VOWEL_LETTERS:
            sounds.append("ㅓ")  # u in a closed syllable is said 어 (hub 허브, crust 크러스트)
            i += 1
            continue
        spelled = next(((s, v) for s, v in _SPELLINGS if word.startswith(s, i)), None)
        if spelled is None:
            i += 1
            continue
        letters, value = spelled
        if len(value) > 1:
            sounds.extend(value)
        elif value and not (sounds and sounds[-1] == value[0] and not _is_vowel(value[0])):
            sounds.append(value[0])  # a doubled consonant (ll, ss, tt) is one sound
        i += len(letters)
    return sounds


def _is_vowel(sound: str) -> bool:
    return len(sound) == 1 and "ㅏ" <= sound <= "ㅣ"


def _sounds_to_hangul(sounds: list[str]) -> str:
    syllables: list[list[str]] = []  # [onset, vowel, coda]
    onset, glide = "ㅇ", ""
    previous_short = False  # the last syllable's vowel was a single short one (it may take p, k, t as coda)
    for k, sound in enumerate(sounds):
        following = sounds[k + 1] if k + 1 < len(sounds) else ""
        if _is_vowel(sound):
            vowel = _GLIDED.get((glide, sound), sound)
            if onset == "sh":
                vowel = _GLIDED.get(("y", sound), sound)
            syllables.append([_onset(onset), vowel, ""])
            previous_short = not (k and _is_vowel(sounds[k - 1]))
            onset, glide = "ㅇ", ""
        elif sound in ("y", "w"):
            glide = sound
        elif sound == "l" and onset != "ㅇ":
            # An l after a consonant closes the consonant's own syllable (슬랙, 애플, 구글).
            syllables.append([_onset(onset), "ㅡ", "ㄹ"])
            onset = "ㄹ" if _is_vowel(following) or following in ("y", "w") else "ㅇ"
        elif _is_vowel(following) or following in ("y", "w"):
            if sound == "l" and syllables and not syllables[-1][2]:
                syllables[-1][2] = "ㄹ"  # an l between vowels is said twice (밸리, 갈라)
            if sound == "ng":
                if syllables and not syllables[-1][2]:
                    syllables[-1][2] = "ㅇ"
                sound = "ㄱ"  # finger: 핑거
            if onset != "ㅇ":
                syllables.append([_onset(onset), _LONE_VOWEL.get(onset, "ㅡ"), ""])
            onset = sound
        else:
            if onset == "ㅇ" and syllables and not syllables[-1][2] and following != "l":
                coda = _ALWAYS_CODA.get(sound) or (_SHORT_VOWEL_CODA.get(sound) if previous_short else None)
                if sound == "ㅂ" and previous_short and following:
                    coda = "ㅂ"
                if coda:
                    syllables[-1][2] = coda
                    continue
            if onset != "ㅇ":
                syllables.append([_onset(onset), _LONE_VOWEL.get(onset, "ㅡ"), ""])
            onset = sound
    if onset != "ㅇ":
        syllables.append([_onset(onset), _LONE_VOWEL.get(onset, "ㅡ"), ""])
    return "".join(compose(o, v, c) for o, v, c in syllables)


# The jamo that starts a syllable with each of the internal sounds.
_ONSET_OF = {"sh": "ㅅ", "ng": "ㅇ", "f": "ㅍ", "l": "ㄹ"}


def _onset(sound: str) -> str:
    return _ONSET_OF.get(sound, sound)


# How Korean speakers say the letters of an acronym (UN is 유엔: a recogniser writes what it heard).
LETTER_NAMES = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        ("에이", "비", "씨", "디", "이", "에프", "지", "에이치", "아이", "제이", "케이", "엘", "엠",
                         "엔", "오", "피", "큐", "알", "에스", "티", "유", "브이", "더블유", "엑스", "와이", "제트")))
# An acronym: a run of 2–6 capitals with no other Latin letter beside it (the KTX of KTX로, the CD of 아르고CD).
ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{2,6}(?![A-Za-z])")
# A run of Latin letters (accents allowed: Cochamó), and its pieces: capitals said as letters (the SAN of
# SANParks, the AI of OpenAI), and words, one capital at most at their head (Next, Gen; Open).
_LATIN_RUN = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_PIECE = re.compile(r"[A-Z]{2,6}(?![a-z])|[A-Z]?[a-z]+|[A-Z]+")


def spoken(text: str) -> str:
    """The text with its Latin letters written as they are said (KTX로 → 케이티엑스로, Docker → 도커, OpenAI →
    오펜에이아이); anything else as written."""
    return _LATIN_RUN.sub(lambda run: "".join(_said_piece(p) for p in _PIECE.findall(_ascii(run.group()))), text)


def _said_piece(piece: str) -> str:
    if piece.isupper() and len(piece) <= 6:
        return "".join(LETTER_NAMES[ch] for ch in piece)
    return said_in_hangul(piece)


def _ascii(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if ch.isascii())


@lru_cache(maxsize=4096)
def said_in_hangul(word: str) -> str:
    """A word of Latin letters as a Korean speaker says it, in Hangul (Docker → 도커, crust → 크러스트,
    Schengen → 솅겐); "" for a word with no letter it can read."""
    plain = re.sub(r"[^a-z]", "", _ascii(word).lower())
    return _sounds_to_hangul(_letters_to_sounds(plain)) if plain else ""
