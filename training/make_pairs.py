"""Clean sentences → (source, target) pairs with ASR-like noise, for fine-tuning the KoBART refiner.

    python -m training.make_pairs --sentences FILE --out PAIRS.jsonl [--per-sentence 2] [--keep-ratio 0.1]

Each source is its target with one or two of the recogniser's typical errors: words written as they are
pronounced (방법을 → 방버블, via service.phonology.pronounce), merged vowels (ㅐ/ㅔ, ㅚ/ㅙ/ㅞ, ㅢ/ㅣ), spacing
dropped or inserted, and misheard syllables (a consonant of the same family, a near vowel). A share of pairs
is left clean (source == target) so the model also learns to leave a right subtitle alone.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from service.phonology import compose, decompose, pronounce

logger = logging.getLogger("training.make_pairs")

_MERGED = {"ㅐ": "ㅔ", "ㅔ": "ㅐ", "ㅒ": "ㅖ", "ㅖ": "ㅒ", "ㅚ": "ㅙ", "ㅙ": "ㅞ", "ㅞ": "ㅚ", "ㅢ": "ㅣ"}
_ONSET_FAMILY = {"ㄱ": "ㅋ", "ㅋ": "ㄱ", "ㄲ": "ㄱ", "ㄷ": "ㅌ", "ㅌ": "ㄷ", "ㄸ": "ㄷ", "ㅂ": "ㅍ", "ㅍ": "ㅂ",
                 "ㅃ": "ㅂ", "ㅅ": "ㅆ", "ㅆ": "ㅅ", "ㅈ": "ㅊ", "ㅊ": "ㅈ", "ㅉ": "ㅈ"}
_NEAR_VOWEL = {"ㅓ": "ㅗ", "ㅗ": "ㅓ", "ㅡ": "ㅜ", "ㅜ": "ㅡ", "ㅕ": "ㅛ", "ㅛ": "ㅕ"}


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    noise: tuple[str, ...]


def _respell_syllable(text: str, rng: random.Random, change: Callable[[str, str, str], tuple[str, str, str] | None]) -> str | None:
    """Apply `change(onset, vowel, coda)` to one randomly chosen syllable it applies to; None if none does."""
    positions = list(range(len(text)))
    rng.shuffle(positions)
    for i in positions:
        syllable = decompose(text[i])
        if syllable is None:
            continue
        changed = change(syllable.onset, syllable.vowel, syllable.coda)
        if changed is not None:
            return text[:i] + compose(*changed) + text[i + 1:]
    return None


def pronunciation_spelling(text: str, rng: random.Random) -> str | None:
    """One word written as it sounds, sound changes across the word included (방법을 → 방버블)."""
    words = text.split(" ")
    options = [i for i, w in enumerate(words) if pronounce(w) != w and pronounce(w).isalnum()]
    if not options:
        return None
    i = rng.choice(options)
    words[i] = pronounce(words[i])
    return " ".join(words)


def merged_vowel(text: str, rng: random.Random) -> str | None:
    return _respell_syllable(text, rng, lambda o, v, c: (o, _MERGED[v], c) if v in _MERGED else None)


def misheard_syllable(text: str, rng: random.Random) -> str | None:
    def change(onset: str, vowel: str, coda: str):
        if onset in _ONSET_FAMILY and rng.random() < 0.5:
            return _ONSET_FAMILY[onset], vowel, coda
        if vowel in _NEAR_VOWEL:
            return onset, _NEAR_VOWEL[vowel], coda
        return None
    return _respell_syllable(text, rng, change)


def spacing(text: str, rng: random.Random) -> str | None:
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if spaces and rng.random() < 0.7:
        i = rng.choice(spaces)
        return text[:i] + text[i + 1:]
    inner = [i for i in range(1, len(text)) if text[i - 1] != " " and text[i] != " "
             and decompose(text[i - 1]) and decompose(text[i])]
    if not inner:
        return None
    i = rng.choice(inner)
    return text[:i] + " " + text[i:]


NOISES: dict[str, Callable[[str, random.Random], str | None]] = {
    "pronunciation": pronunciation_spelling,
    "merged_vowel": merged_vowel,
    "spacing": spacing,
    "misheard": misheard_syllable,
}


def make_pairs(sentences: list[str], per_sentence: int = 2, keep_ratio: float = 0.1, max_noises: int = 2,
               seed: int = 13) -> list[Pair]:
    """Noisy copies of every sentence (deduplicated), plus clean identity pairs at `keep_ratio`."""
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for target in (" ".join(s.split()) for s in sentences):
        if not target:
            continue
        if rng.random() < keep_ratio:
            pairs.append(Pair(target, target, ()))
        seen = {target}
        for _ in range(per_sentence * 3):  # a few tries: some noises do not apply to every sentence
            if len(seen) > per_sentence:
                break
            source, applied = target, []
            for name in rng.sample(list(NOISES), k=rng.randint(1, max_noises)):
                noisy = NOISES[name](source, rng)
                if noisy is not None and noisy != source:
                    source, applied = noisy, applied + [name]
            if source not in seen:
                seen.add(source)
                pairs.append(Pair(source, target, tuple(applied)))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.make_pairs", description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", required=True, type=Path, help="UTF-8 file, one clean sentence a line")
    parser.add_argument("--out", required=True, type=Path, help="JSONL of {source, target, noise}")
    parser.add_argument("--per-sentence", type=int, default=2, help="noisy variants per sentence")
    parser.add_argument("--keep-ratio", type=float, default=0.1, help="share of sentences also kept clean")
    parser.add_argument("--max-noises", type=int, default=2, help="most noise kinds applied to one source")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        sentences = args.sentences.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        print(f"cannot read --sentences: {exc}", file=sys.stderr)
        return 2
    pairs = make_pairs(sentences, args.per_sentence, args.keep_ratio, args.max_noises, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(asdict(pair), ensure_ascii=False) + "\n")
    logger.info("wrote %d pairs from %d sentences to %s", len(pairs), len(sentences), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
