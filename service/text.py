"""The text vocabulary every stage shares: which characters are marks, what counts as Hangul, and the
normalisations under which two texts are compared. Defined once here; stages import, never redefine."""
from __future__ import annotations

import re
import unicodedata

# The sentence marks: what CER/WER scoring ignores, what an edit splits off a corrected word.
SENTENCE_MARKS = ".,?!…"
# The marks a sentence may end with, as the refine stage adds them.
FINAL_MARKS = ".?!…"
# Everything that is not part of a word when words are compared (quotes, brackets, middle dots, tildes too).
NON_WORD_MARKS = ".,?!…·~\"'“”‘’()[]"
# Quotation marks: a term list copied from a document may keep them, but they are no part of the term.
QUOTE_MARKS = "\"'“”‘’「」『』"
# What a decoder writes for bytes it could not read.
REPLACEMENT_CHARACTER = "\ufffd"
_NON_WORD = re.compile("[" + re.escape(NON_WORD_MARKS) + "]")
_SPACE_BEFORE_MARK = re.compile(r"\s+([.,?!…])")


def is_hangul_syllable(char: str) -> bool:
    """A precomposed Hangul syllable (가 … 힣); conjoining and compatibility jamo are not syllables."""
    return "가" <= char <= "힣"


def is_loose_jamo(char: str) -> bool:
    """A compatibility jamo (ㄱ … ㅣ): a consonant or vowel written apart from any syllable."""
    return bool(char) and "\u3131" <= char <= "\u318e"


def is_latin_letter(char: str) -> bool:
    """A letter of the Latin alphabet as recognisers write it (ASCII: A … Z, a … z)."""
    return char.isascii() and char.isalpha()


def has_hangul(text: str) -> bool:
    return any(is_hangul_syllable(ch) for ch in text)


def compact(text: str) -> str:
    """The text with all whitespace removed: spacing is not spelling."""
    return "".join(text.split())


def strip_punctuation(text: str) -> str:
    """Words only: every non-word mark replaced by a space, single spaces."""
    return " ".join(words_of(text))


def words_of(text: str) -> list[str]:
    """The words of a text, marks aside: two texts with the same words differ only in their marks."""
    return _NON_WORD.sub(" ", text).split()


def scripts(text: str) -> frozenset[str]:
    """Which scripts the letters of `text` are written in: "hangul", "latin", "digit", "other"."""
    found = set()
    for ch in text:
        if is_hangul_syllable(ch) or is_loose_jamo(ch):
            found.add("hangul")
        elif ch.isdigit():
            found.add("digit")
        elif is_latin_letter(ch):
            found.add("latin")
        elif ch.isalpha():
            found.add("other")
    return frozenset(found)


def marks_around(word: str) -> tuple[str, str]:
    """The marks a word is wrapped in ('"회의를,' → ('"', ',')): what a rewrite of the word keeps."""
    stripped = strip_punctuation(word)
    if not stripped:
        return "", ""
    first = word.find(stripped.split()[0][0])
    last = word.rfind(stripped.split()[-1][-1])
    return word[:first], word[last + 1:]


def collapse_whitespace(text: str) -> str:
    """Single spaces, none before a sentence mark."""
    return _SPACE_BEFORE_MARK.sub(r"\1", " ".join(text.split()))


def is_control(char: str) -> bool:
    """A control character or a line or paragraph separator: it breaks the text like a space, never a letter."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def is_mark(char: str) -> bool:
    """Any punctuation or symbol character (. ; : > ) ~ … and the like)."""
    return unicodedata.category(char)[0] in "PS"


def ends_sentence(text: str) -> bool:
    """True when the text ends a sentence: a final mark last, closing quotes and brackets aside."""
    text = text.rstrip().rstrip(QUOTE_MARKS + ")]")
    return bool(text) and text[-1] in FINAL_MARKS


def ends_with_mark(text: str) -> bool:
    """True when the text (trailing spaces aside) already ends in a mark of any kind."""
    text = text.rstrip()
    return bool(text) and is_mark(text[-1])
