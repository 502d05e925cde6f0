"""Spelling repairs of pronunciation-spelled words, as Kiwi typo definitions derived from the sound rules.

Kiwi's typo correction searches, inside its morphological lattice, for spellings whose "typo" would produce
the text. Feeding it the sound changes of `service.phonology` in reverse (궁물 may be 국물, 가치 may be 같이,
훼의 may be 회의) turns it into a pronunciation-to-spelling repairer that costs one analysis per sentence.
"""
from __future__ import annotations

from functools import lru_cache

from kiwipiepy import TypoDefinition, TypoTransformer, basic_typos_with_continual

from service.phonology import (CODAS, ONSETS, TAIL, VOWELS, WEAKENS_H, Syllable, compose, decompose,
                               pronounce_syllables)
from service.text import NON_WORD_MARKS, is_loose_jamo
from service.text_spans import EOJEOL

# Vowel pairs the recogniser writes for one another (spelled → heard).
_VOWEL_CONFUSIONS = (
    ("ㅐ", "ㅔ"), ("ㅔ", "ㅐ"), ("ㅒ", "ㅖ"), ("ㅖ", "ㅒ"), ("ㅚ", "ㅙ"), ("ㅚ", "ㅞ"), ("ㅙ", "ㅚ"),
    ("ㅙ", "ㅞ"), ("ㅞ", "ㅚ"), ("ㅞ", "ㅙ"), ("ㅢ", "ㅣ"), ("ㅢ", "ㅡ"), ("ㅢ", "ㅔ"),
)
# Vowels close in the mouth that a recogniser mishears for one another (ㅓ/ㅗ, ㅡ/ㅜ, ㅕ/ㅛ).
_NEAR_VOWELS = (("ㅓ", "ㅗ"), ("ㅡ", "ㅜ"), ("ㅕ", "ㅛ"))  # each read both ways
# ㅓ lies between ㅗ and ㅏ and drifts to ㅏ when it is said quickly (저는 heard 자는), and its glide is lost or
# heard where there is none (무역 heard 무억, 지었다 heard 지였다); the rounded ㅗ and ㅜ differ in height alone
# (다소 heard 다수), and so do the front ㅔ and ㅣ (시장에 heard 시장이, 그렇게 heard 그렇기). Wider steps than the
# near vowels, so dearer typos: Kiwi takes them only where the sentence wants them more.
_OPEN_VOWELS = (("ㅓ", "ㅏ"), ("ㅓ", "ㅕ"), ("ㅗ", "ㅜ"), ("ㅔ", "ㅣ"))  # each read both ways
# Tensing happens after more than stops in speech (할 수 → 할 쑤, 작성 → 작썽): lax onsets heard tense. A
# recogniser also loses the tension that was said (나쁜 heard 나븐, 일찍 heard 일직), so each pair is a
# confusion both ways.
_TENSED_ONSETS = (("ㄱ", "ㄲ"), ("ㄷ", "ㄸ"), ("ㅂ", "ㅃ"), ("ㅅ", "ㅆ"), ("ㅈ", "ㅉ"))
# Final ㄴ and ㅇ before a consonant differ only in where the tongue closes, which the ear barely tells apart and
# the lips do not show (연구 heard 영구, 공부 heard 곤부). Before a vowel they do not meet: ㄴ moves on to start
# the next syllable (산이 [사니]) and ㅇ stays (상이). ㅁ closes the lips, which a lip-reading recogniser sees.
_NASAL_CODAS = (("ㄴ", "ㅇ"),)
# ㅎ between voiced sounds is barely said (건강해 → [건강애], 굉장히 → [굉장이]): an onset ㅎ heard as none.
_WEAK_ONSETS = (("ㅎ", "ㅇ"),)
# Final consonants that differ only in aspiration or tension, spelled for one another before a vowel
# (쫓아 → 쫒아, 부엌에 → 부억에).
_CODA_FAMILIES = (("ㅊ", "ㅈ"), ("ㅈ", "ㅊ"), ("ㅋ", "ㄱ"), ("ㄲ", "ㄱ"), ("ㅌ", "ㄷ"), ("ㅍ", "ㅂ"), ("ㅆ", "ㅅ"),
                  ("ㅅ", "ㅆ"))
# The formal ending as it is said quickly or spelled by ear (하겠습니다 → 하겠슴다, 하겠읍니다), heard → spelled.
# Repaired by rule (`respell_ending`), not through Kiwi: kiwipiepy 0.24.1 crashes now and then when its typo
# model holds multi-syllable definitions and it analyses with more than one worker thread.
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


def _both_ways(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(way for pair in pairs for way in (pair, pair[::-1]))


def mishearing_definitions(cost: float = 1.5, open_cost: float = 2.0) -> list[TypoDefinition]:
    """Confusions of the ear rather than of the rules, anywhere: near vowels, onsets heard tense or lax and
    final ㄴ/ㅇ before a consonant at `cost`; the wider vowel steps and a weak ㅎ heard as none at `open_cost`."""
    # A final consonant is written with the syllable after it: Kiwi 0.24.1 crashes on some texts given bare
    # final consonants as typos (as `spelled_by_ear_definitions` notes).
    return ([TypoDefinition([a], [b], cost) for a, b in _both_ways(_NEAR_VOWELS)]
            + [TypoDefinition([a], [b], open_cost) for a, b in _both_ways(_OPEN_VOWELS)]
            + [TypoDefinition([a], [b], cost, "any") for a, b in _both_ways(_TENSED_ONSETS)]
            + [TypoDefinition([TAIL[a] + compose(onset, vowel)], [TAIL[b] + compose(onset, vowel)], cost)
               for a, b in _both_ways(_NASAL_CODAS) for onset in ONSETS if onset != "ㅇ" for vowel in VOWELS]
            + [TypoDefinition([spelled], [heard], open_cost, "any") for spelled, heard in _WEAK_ONSETS])


def spelled_by_ear_definitions(cost: float = 1.0) -> list[TypoDefinition]:
    """Spellings of what was heard right: a final consonant of the same family (쫓아 → 쫒아)."""
    # Written with the syllable after the consonant: Kiwi 0.24.1 crashes on some texts given bare final
    # consonants as typos.
    return [TypoDefinition([TAIL[spelled] + compose("ㅇ", vowel)], [TAIL[heard] + compose("ㅇ", vowel)], cost)
            for spelled, heard in _CODA_FAMILIES for vowel in VOWELS]


def respell_ending(word: str) -> str:
    """The formal ending spelled as it is written, where the eojeol ends in it spelled by ear
    (시작하겠읍니다 → 시작하겠습니다, 공유하겠슴다 → 공유하겠습니다, 보내면됨니다 → 보내면됩니다: the -ㅂ니다
    ending is always said -ㅁ니다)."""
    core = word.rstrip(NON_WORD_MARKS)
    for heard, spelled in _ENDING_SPELLINGS:
        if core.endswith(heard) and len(core) > len(heard):
            return core[: -len(heard)] + spelled + word[len(core):]
    if core.endswith(("니다", "니까")) and len(core) > 2:
        said = decompose(core[-3])
        if said is not None and said.coda == "ㅁ":
            return core[:-3] + compose(said.onset, said.vowel, "ㅂ") + core[-2:] + word[len(core):]
    return word


def respell_endings(text: str) -> str:
    """`respell_ending` on every eojeol of `text`, its spacing kept."""
    return EOJEOL.sub(lambda word: respell_ending(word.group()), text)


def sound_change_typos(cost: float = 1.0) -> TypoTransformer:
    """Kiwi's basic and liaison typos plus the reversed sound rules, merged and near vowels.

    Kiwi's lengthening typos (좋아아 → 좋아) are left out: they are a typist's habit, not a recogniser's, and
    undoing them deletes syllables the speaker said (모레에 → 모레).

    A new transformer for every Kiwi: kiwipiepy 0.24.1 prepares a transformer for the Kiwi that first uses
    it, and a second Kiwi using the same one crashes.
    """
    rules = TypoTransformer(sound_change_definitions(cost) + vowel_confusion_definitions(cost)
                            + mishearing_definitions(cost * 1.5, cost * 2.0) + spelled_by_ear_definitions(cost))
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


# --- spellings that sound like what was written --------------------------------------------------------------

# Onsets said tense after the word before (할 수 → 할 쑤, 생길 거예요 → 생길 꺼예요): at the start of an eojeol
# the tense one may be the lax one respelled.
_LAX_OF_TENSE = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}
# Vowels said alike: after ㅈ, ㅊ, ㅉ the glide of ㅕ is not heard (졌 is said 젔).
_SAID_ALIKE_VOWELS = {"ㅐ": ("ㅔ",), "ㅔ": ("ㅐ",), "ㅙ": ("ㅚ", "ㅞ"), "ㅚ": ("ㅙ", "ㅞ"), "ㅞ": ("ㅚ", "ㅙ")}
_PALATAL_ONSETS = ("ㅈ", "ㅊ", "ㅉ")
# At most this many positions of one eojeol respelled at once.
_MAX_RESPELLED = 3


@lru_cache(maxsize=1)
def _boundary_spellings() -> dict[tuple[str, str, bool], tuple[tuple[str, str], ...]]:
    """How a syllable boundary is said → the (coda, next onset) spellings said that way, keyed by the coda
    and onset heard and whether the next vowel is ㅣ (palatalisation)."""
    table: dict[tuple[str, str, bool], set[tuple[str, str]]] = {}
    for coda in ("",) + tuple(CODAS):
        for onset in ONSETS:
            for vowel in ("ㅏ", "ㅣ"):
                said = pronounce_syllables([Syllable("ㄱ", "ㅏ", coda), Syllable(onset, vowel, "")])
                table.setdefault((said[0].coda, said[1].onset, vowel == "ㅣ"), set()).add((coda, onset))
    return {key: tuple(sorted(value)) for key, value in table.items()}


@lru_cache(maxsize=1)
def _final_spellings() -> dict[str, tuple[str, ...]]:
    """How a final consonant is said at the end of an eojeol → the codas said that way."""
    table: dict[str, set[str]] = {}
    for coda in ("",) + tuple(CODAS):
        said = pronounce_syllables([Syllable("ㄱ", "ㅏ", coda)])[0].coda
        table.setdefault(said, set()).add(coda)
    return {key: tuple(sorted(value)) for key, value in table.items()}


@lru_cache(maxsize=4096)
def sound_alike_spellings(word: str, limit: int = 48) -> tuple[str, ...]:
    """Spellings of a Hangul eojeol that are said as it is written, respelled in at most three places
    (드러와써 → 들어왔어, 상처반는 → 상처받는, 쉽께 → 쉽게): what a recogniser that spells by ear would have
    heard. The fewest changes first; at most `limit` of them."""
    syllables = [decompose(ch) for ch in word]
    if not syllables or any(s is None for s in syllables) or len(syllables) > 12:
        return ()
    # Each choice rewrites some positions: (index, onset?, vowel?, coda?) with None for "as written".
    choices: list[list[dict[int, Syllable]]] = []
    boundaries = _boundary_spellings()
    for i in range(len(syllables) - 1):
        left, right = syllables[i], syllables[i + 1]
        options = []
        for coda, onset in boundaries.get((left.coda, right.onset, right.vowel == "ㅣ"), ()):
            if (coda, onset) != (left.coda, right.onset):
                options.append({i: Syllable(left.onset, left.vowel, coda),
                                i + 1: Syllable(onset, right.vowel, right.coda)})
        choices.append(options)
    last = syllables[-1]
    choices.append([{len(syllables) - 1: Syllable(last.onset, last.vowel, coda)}
                    for coda in _final_spellings().get(last.coda, ()) if coda != last.coda])
    first = syllables[0]
    if first.onset in _LAX_OF_TENSE:
        choices.append([{0: Syllable(_LAX_OF_TENSE[first.onset], first.vowel, first.coda)}])
    for i, s in enumerate(syllables):
        vowels = list(_SAID_ALIKE_VOWELS.get(s.vowel, ()))
        if s.onset in _PALATAL_ONSETS and s.vowel == "ㅓ":
            vowels.append("ㅕ")
        choices.append([{i: Syllable(s.onset, v, s.coda)} for v in vowels])
    found: dict[str, int] = {}
    frontier: list[tuple[list[Syllable], int, int]] = [(list(syllables), 0, 0)]
    while frontier:
        current, changed, start = frontier.pop(0)
        for k in range(start, len(choices)):
            for option in choices[k]:
                merged = list(current)
                clash = False
                for index, new in option.items():
                    was = current[index]
                    # Positions another choice already rewrote keep their onset/coda from it where they
                    # differ from the written one (a boundary rewrites a coda and the next onset).
                    onset = new.onset if new.onset != syllables[index].onset else was.onset
                    vowel = new.vowel if new.vowel != syllables[index].vowel else was.vowel
                    coda = new.coda if new.coda != syllables[index].coda else was.coda
                    if (onset != was.onset and was.onset != syllables[index].onset) or \
                            (coda != was.coda and was.coda != syllables[index].coda):
                        clash = True
                    merged[index] = Syllable(onset, vowel, coda)
                if clash:
                    continue
                spelled = "".join(compose(s.onset, s.vowel, s.coda) for s in merged)
                if spelled != word and spelled not in found:
                    found[spelled] = changed + 1
                    if changed + 1 < _MAX_RESPELLED:
                        frontier.append((merged, changed + 1, k + 1))
        if len(found) >= limit * 4:
            break
    return tuple(sorted(found, key=lambda s: (found[s], s))[:limit])


# --- spellings a recogniser may have misheard -------------------------------------------------------------

def _spelled_for_heard(pairs: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, ...]]:
    """(spelled, heard) pairs as heard → the spellings it may stand for."""
    table: dict[str, list[str]] = {}
    for spelled, heard in pairs:
        table.setdefault(heard, []).append(spelled)
    return {heard: tuple(spelled) for heard, spelled in table.items()}


_MISHEARD_VOWELS = _spelled_for_heard(_VOWEL_CONFUSIONS + _both_ways(_NEAR_VOWELS) + _both_ways(_OPEN_VOWELS))
_MISHEARD_ONSETS = _spelled_for_heard(_both_ways(_TENSED_ONSETS))
_MISHEARD_CODAS = _spelled_for_heard(_both_ways(_NASAL_CODAS) + _CODA_FAMILIES)


@lru_cache(maxsize=4096)
def misheard_spellings(word: str, limit: int = 24) -> tuple[str, ...]:
    """Spellings of a Hangul eojeol one confusion of the ear away (the vowels, onsets and final consonants that
    `mishearing_definitions`, `vowel_confusion_definitions` and `spelled_by_ear_definitions` give Kiwi):
    공브했어요 → 공부했어요, 두서관 → 도서관, 전와 → 전화, 깝자기 → 갑자기. For an eojeol Kiwi cannot read as words,
    whose typo search of the sentence may keep a reading of unknown pieces; at most `limit`, vowels first (the
    commonest confusion), then onsets, then final consonants."""
    syllables = [decompose(ch) for ch in word]
    if not syllables or any(s is None for s in syllables) or len(syllables) > 12:
        return ()
    vowels, onsets, codas = [], [], []
    for i, s in enumerate(syllables):
        assert s is not None
        vowels += [(i, Syllable(s.onset, v, s.coda)) for v in _MISHEARD_VOWELS.get(s.vowel, ())]
        onsets += [(i, Syllable(o, s.vowel, s.coda)) for o in _MISHEARD_ONSETS.get(s.onset, ())]
        previous = syllables[i - 1] if i else None
        if previous is not None and previous.coda in WEAKENS_H:  # a weak ㅎ between voiced sounds (전와)
            onsets += [(i, Syllable(spelled, s.vowel, s.coda)) for spelled, heard in _WEAK_ONSETS if heard == s.onset]
        following = syllables[i + 1] if i + 1 < len(syllables) else None
        # Final ㄴ and ㅇ meet only before a consonant; a coda's family is spelled for it before a vowel.
        before_vowel = following is not None and following.onset == "ㅇ"
        codas += [(i, Syllable(s.onset, s.vowel, c)) for c in _MISHEARD_CODAS.get(s.coda, ())
                  if ((c, s.coda) in _CODA_FAMILIES) == before_vowel]
    out: dict[str, None] = {}
    for i, syllable in vowels + onsets + codas:
        respelled = word[:i] + compose(syllable.onset, syllable.vowel, syllable.coda) + word[i + 1:]
        out.setdefault(respelled, None)
        if len(out) >= limit:
            break
    return tuple(out)
