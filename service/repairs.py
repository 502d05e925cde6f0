"""Repairs of what the recogniser spelled by ear, and of what can only be a non-word (the spelling source of
the candidate stage, `service/candidates.py`):

- Kiwi's readings with the sound rules reversed as typos (`service/spelling.py`), of the whole text and of
  every eojeol in a window of its neighbours (`spelling_repairs`, `eojeol_windows`);
- doubtful eojeols respelled as they sound, and non-words one confusion of the ear away, kept where Kiwi reads
  the respelling as words (`sound_alike_repairs`);
- rules: a case particle made to agree with its noun (`agreement_repairs`), jamo composed and the formal ending
  respelled (`rule_repairs`), an ending heard as a word of its own joined to its stem (`split_ending_repairs`);
- the particles 의 and 에, which are said alike, written for one another (`said_alike_particle_repairs`);
- particles and endings spelled as they are said in speech, written as they are spelled (`spoken_form_repairs`);
- a nasal heard doubled across a syllable boundary written single (`single_nasal_repairs`);
- the past tense heard as a word of its own (다퉈 써요 → 다퉜어요: `ending_apart_repairs`).

Each returns (start, end, replacement[, typo cost]) in the text's own offsets.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

from service.kiwi_lm import Analysis, KiwiToolkit, Morpheme, PlacedMorphemes
from service.particles import agree, is_case_particle, particle_positions, particle_tag
from service.phonology import compose, decompose
from service.spelling import compose_loose_jamo, misheard_spellings, respell_ending, sound_alike_spellings
from service.suspects import is_nonword
from service.text import compact, marks_around
from service.text_spans import eojeols
from service.types import SuspectSpan

_NOUN_TAGS = ("NNG", "NNP", "NNB", "NR", "NP", "XSN")
# Eojeols of one segment respelled by their sound at most (the most doubtful first): a long garbled segment
# must not cost thousands of Kiwi readings.
MAX_RESPELLED_EOJEOLS = 24


@dataclass(frozen=True)
class EojeolWindow:
    """One eojeol with its neighbours: `text` starts at `offset` of the sentence; the eojeol itself is
    text[center[0]:center[1]]."""

    text: str
    offset: int
    center: tuple[int, int]


def eojeol_windows(text: str, only: Sequence[tuple[int, int]] | None = None) -> list[EojeolWindow]:
    """Each eojeol (or each of `only`, given as spans) with its neighbours."""
    words = eojeols(text)
    wanted = None if only is None else set(only)
    windows = []
    for i, word in enumerate(words):
        if wanted is not None and (word.start, word.end) not in wanted:
            continue
        first, last = words[max(0, i - 1)], words[min(len(words) - 1, i + 1)]
        windows.append(EojeolWindow(text[first.start:last.end], first.start,
                                    (word.start - first.start, word.end - first.start)))
    return windows


def _unwritten(morpheme: Morpheme) -> bool:
    return morpheme.end <= morpheme.start


def spelling_repairs(text: str, reading: Analysis, join) -> list[tuple[int, int, str, float]]:
    """One repair per eojeol in which Kiwi undid a typo, with its typo cost. Only the repaired morphemes and
    their neighbours are rejoined; the rest of the eojeol stays as written (joining all of it would also
    contract what was right: 되었으나 → 됐으나)."""
    repairs = []
    placed = PlacedMorphemes(reading.morphemes)
    for word in eojeols(text):
        inside = [m for m in placed.touching(word.start, word.end)
                  if (m.start < word.end and m.end > word.start)
                  or (_unwritten(m) and word.start <= m.start <= word.end)]
        if not inside or all(m.typo_cost == 0 for m in inside):
            continue
        if inside[0].start < word.start or inside[-1].end > word.end:
            continue  # a reading that runs across a space is not a repair of this eojeol alone
        repaired = [i for i, m in enumerate(inside) if m.typo_cost]
        first, last = max(0, repaired[0] - 1), min(len(inside) - 1, repaired[-1] + 1)
        # Morphemes that share a syllable (시키 + 어 in 시켜) are rejoined together or not at all.
        while first > 0 and inside[first - 1].end > inside[first].start:
            first -= 1
        while last + 1 < len(inside) and inside[last + 1].start < inside[last].end:
            last += 1
        if last + 1 < len(inside) and is_case_particle(inside[last + 1].form):
            last += 1  # the particle after a respelled noun is rejoined too, so that it agrees (회의를)
        head, tail = text[word.start:inside[first].start], text[inside[last].end:word.end]
        # A particle Kiwi misread as a noun is joined as the particle it is: Kiwi's join picks its form.
        # A morpheme Kiwi reads where the speaker wrote nothing (the copula of 별로네요, the 하 of 뭐라고 for
        # 뭐라 하고) stays unwritten unless the repair is in it: Kiwi's join would spell it out (별로이네요).
        rejoined = [replace(m, tag=particle_tag(m.form, m.tag, i > 0 and inside[i - 1].tag.startswith(_NOUN_TAGS)))
                    for i, m in enumerate(inside[first:last + 1], first) if m.typo_cost or not _unwritten(m)]
        # Kiwi's join may space the morphemes apart; the respelling keeps the speaker's spacing (spacing is
        # the refine stage's business, and a split like 회의 을 is not a repair).
        rebuilt = compact(head + join(rejoined) + tail)
        if rebuilt != word.text:
            repairs.append((word.start, word.end, rebuilt, sum(m.typo_cost for m in inside)))
    return repairs


def agreement_repairs(text: str, analysis: Analysis) -> list[tuple[int, int, str]]:
    """A particle right after a noun, in Kiwi's reading, that disagrees with the noun's final sound
    (세 가지을 → 세 가지를). Only particles: a verb or ending after a noun is left as it is (일정 가서)."""
    repairs = []
    particles = particle_positions(analysis.morphemes)
    morphemes = analysis.morphemes
    placed = PlacedMorphemes(morphemes)
    for word in eojeols(text):
        for i in placed.near(word.start, word.end):
            m = morphemes[i]
            if not (word.start < m.start < word.end) or m.start not in particles or not is_case_particle(m.form):
                continue
            before = morphemes[i - 1] if i else None
            if before is None or before.end != m.start or not before.tag.startswith(_NOUN_TAGS):
                continue
            noun, suffix = text[word.start:m.start], text[m.start:word.end]
            agreed = agree(noun, suffix)
            if agreed != suffix:
                repairs.append((word.start, word.end, noun + agreed))
    return repairs


def sound_alike_repairs(suspects: Sequence[Sequence[SuspectSpan]], kiwi: KiwiToolkit, min_doubt: float,
                        per_eojeol: int) -> list[list[tuple[int, int, str]]]:
    """Per text (given by its suspect spans), the non-words and eojeols at least `min_doubt` doubtful respelled
    as they sound (`sound_alike_spellings`), and the non-words also one confusion of the ear away
    (`misheard_spellings`): the spellings Kiwi reads as words, with no form it does not know, that its language
    model prefers to the eojeol as written (the best `per_eojeol` of them). One Kiwi call for the whole batch."""
    asked: list[tuple[int, int, int, str, str, str, bool]] = []  # request, span, lead, trail, core, non-word
    for r, spans in enumerate(suspects):
        doubtful = [s for s in spans if s.nonword or s.doubt >= min_doubt]
        doubtful.sort(key=lambda s: (not s.nonword, -s.doubt, s.start))
        for span in doubtful[:MAX_RESPELLED_EOJEOLS]:
            lead, trail = marks_around(span.text)
            core = span.text[len(lead):len(span.text) - len(trail)]
            asked.append((r, span.start, span.end, lead, trail, core, span.nonword))
    # Weighed with their formal endings as they are written: a respelled stem keeps an ending spelled by ear
    # (읻씀니다 → 있슴니다), and Kiwi would judge the non-word. A non-word is never right, so it is also read
    # one confusion of the ear away (공브했어요 → 공부했어요), which Kiwi's typo search of the sentence may pass over.
    variants = [tuple(dict.fromkeys(respell_ending(v) for v in sound_alike_spellings(core, 24)
                                    + (misheard_spellings(core) if nonword else ())))
                for *_, core, nonword in asked]
    texts = list(dict.fromkeys([core for *_, core, _ in asked] + [v for vs in variants for v in vs]))
    readings = dict(zip(texts, kiwi.analyze(texts)))
    repairs: list[list[tuple[int, int, str]]] = [[] for _ in suspects]
    for (r, start, end, lead, trail, core, _), options in zip(asked, variants):
        written = readings[core].score
        words = [(readings[v].score, v) for v in options
                 if readings[v].score > written and not any(m.oov for m in readings[v].morphemes)
                 and not is_nonword(list(readings[v].morphemes))]
        for _, spelled in sorted(words, reverse=True)[:per_eojeol]:
            repairs[r].append((start, end, lead + spelled + trail))
    return repairs


# The genitive 의 is said [에] (표준 발음법 제5항), so a recogniser that writes what it hears writes either for
# either; only the sentence tells them apart (간밤의 꿈, 적들에 맞서). Each is the other's alternative.
_SAID_ALIKE_PARTICLES = {("의", "JKG"): "에", ("에", "JKB"): "의"}


def said_alike_particle_repairs(text: str, analysis: Analysis) -> list[tuple[int, int, str]]:
    """An eojeol that ends in the particle 의 or 에 right after a noun, with the other particle (회의의 ↔ 회의에):
    both are words, so it is the language model that chooses, not the rule."""
    repairs = []
    morphemes = analysis.morphemes
    placed = PlacedMorphemes(morphemes)
    for word in eojeols(text):
        _, trail = marks_around(word.text)
        core_end = word.end - len(trail)
        for i in placed.near(word.start, core_end):
            m = morphemes[i]
            swapped = _SAID_ALIKE_PARTICLES.get((m.form, m.tag))
            if swapped is None or m.end != core_end or not (word.start < m.start) or i == 0:
                continue
            before = morphemes[i - 1]
            if before.end != m.start or not before.tag.startswith(_NOUN_TAGS) or m.end - m.start != 1:
                continue
            repairs.append((word.start, word.end, text[word.start:m.start] + swapped + text[m.end:word.end]))
    return repairs


# A final ㄴ or ㅁ before the same consonant is said as one long nasal (안내 is 아내 held a little longer), and a
# final nasal carried into a vowel sounds much the same (않아요 [아나요] beside 않나요): the nasal each final
# consonant doubles. Not ㄹ: a single ㄹ between vowels is a flap, ㄹㄹ a held [l], and the ear tells them apart.
_DOUBLED_NASAL = {"ㄴ": "ㄴ", "ㄶ": "ㄴ", "ㅁ": "ㅁ"}


def single_nasal_repairs(text: str) -> list[tuple[int, int, str]]:
    """Each eojeol with a nasal written twice across a syllable boundary (coda and next onset), once for
    each way of hearing it single: the coda dropped (안내를 → 아내를) or the onset taken back to the vowel it
    starts (않나요 → 않아요). Both spellings are words as a rule, so the sentence chooses."""
    repairs = []
    for word in eojeols(text):
        syllables = [decompose(ch) for ch in word.text]
        for i in range(len(syllables) - 1):
            left, right = syllables[i], syllables[i + 1]
            if left is None or right is None or _DOUBLED_NASAL.get(left.coda) != right.onset:
                continue
            head, tail = word.text[:i], word.text[i + 2:]
            if left.coda == right.onset:
                repairs.append((word.start, word.end, head + compose(left.onset, left.vowel)
                                + word.text[i + 1] + tail))
            repairs.append((word.start, word.end, head + word.text[i] + compose("ㅇ", right.vowel, right.coda)
                            + tail))
    return repairs


# Particles and endings whose ㅗ speech raises to ㅜ (오늘두, 가지구, 집으루) and the formal imperative heard
# with 요 (하십시요): (the end of Kiwi's form, its tag) → (the last syllable written, the one to spell).
# Kiwi reads the spoken forms as the particle or ending they are, so they are no non-words to it.
_SPOKEN_FORMS = {("두", "JX"): ("두", "도"), ("두", "EC"): ("두", "도"), ("구", "EC"): ("구", "고"),
                 ("루", "JKB"): ("루", "로"), ("ᆸ시요", "EF"): ("요", "오")}


def spoken_form_repairs(text: str, analysis: Analysis) -> list[tuple[int, int, str]]:
    """An eojeol that ends in a particle or an ending spelled as speech says it, spelled as it is written
    (오늘두 → 오늘도, 재미없구 → 재미없고, 하십시요 → 하십시오)."""
    repairs = []
    placed = PlacedMorphemes(analysis.morphemes)
    for word in eojeols(text):
        _, trail = marks_around(word.text)
        core = text[word.start:word.end - len(trail)]
        last = [m for m in placed.touching(word.start, word.end - len(trail))
                if word.start < m.end == word.end - len(trail)]
        if not last:
            continue
        written, spelled = next((pair for (end, tag), pair in _SPOKEN_FORMS.items()
                                 if last[-1].tag == tag and last[-1].form.endswith(end)), ("", ""))
        if written and core.endswith(written):
            repairs.append((word.start, word.end, core[:-len(written)] + spelled + trail))
    return repairs


# The polite imperative and its kin attach to a verb's stem; after an adnominal -ㄹ/-을 they are no Korean.
_STEM_ENDINGS = ("세요", "셔요", "십시오", "시죠")


# The adnominal endings a stem ending is heard after, and the final consonant each adds to an open stem.
_ADNOMINALS = {"ᆯ": "ㄹ", "을": "ㄹ", "ᆫ": "ㄴ", "은": "ㄴ"}
# The ending -ㄴ데요/-는데요 heard as the verb 되다 of its own after the adnominal it begins with (바쁜 되요):
# no verb follows an adnominal, and ㅙ/ㅚ and ㅔ differ by a glide alone.
_HEARD_AS_VERB = {"되요": "데요", "돼요": "데요"}
_PLAIN_ADNOMINALS = ("ᆫ", "은", "는")


def split_ending_repairs(text: str, analysis: Analysis) -> list[tuple[int, int, str]]:
    """An ending heard after an adnominal -ㄹ/-ㄴ, as a word of its own or in the same eojeol (생각할 세요,
    입을 세요, 부를세요, 놓은세요): joined to its stem as it is written (생각하세요, 입으세요, 부르세요, 놓으세요);
    -ㄴ데요 heard as 되요 after its adnominal (바쁜 되요 → 바쁜데요)."""
    repairs = []
    words = eojeols(text)
    placed = PlacedMorphemes(analysis.morphemes)
    for i, word in enumerate(words):
        near = placed.touching(word.start, word.end)
        closing = [m for m in near if word.start < m.end == word.end and m.tag == "ETM"]
        if closing and closing[-1].form in _PLAIN_ADNOMINALS and i + 1 < len(words):
            _, trail = marks_around(words[i + 1].text)
            ending = _HEARD_AS_VERB.get(words[i + 1].text[:len(words[i + 1].text) - len(trail)])
            if ending is not None:
                repairs.append((word.start, words[i + 1].end, word.text + ending + trail))
        adnominals = [m for m in near if word.start < m.end <= word.end and m.tag == "ETM" and m.form in _ADNOMINALS]
        for m in adnominals:
            if m.end < word.end:  # in the same eojeol: the ending follows the adnominal
                if not text[m.end:word.end].startswith(_STEM_ENDINGS):
                    continue
                span_end, ending = word.end, text[m.end:word.end]
            else:  # as a word of its own: the next eojeol is the ending
                if i + 1 >= len(words) or not words[i + 1].text.startswith(_STEM_ENDINGS):
                    continue
                span_end, ending = words[i + 1].end, words[i + 1].text
            stem = _without_adnominal(text[word.start:m.end], m.form)
            if stem is not None:
                repairs.append((word.start, span_end, stem + ending))
    return repairs


def _without_adnominal(written: str, form: str) -> str | None:
    """The stem as written before an adnominal ending (입을 → 입으, 부를 → 부르, 놓은 → 놓으); None when the
    adnominal is not where Kiwi says."""
    if len(form) == 1 and form in ("을", "은"):
        return written[:-1] + "으" if written.endswith(form) and len(written) > 1 else None
    syllable = decompose(written[-1]) if written else None
    if syllable is None or syllable.coda != _ADNOMINALS[form]:
        return None
    return written[:-1] + compose(syllable.onset, syllable.vowel)


def rule_repairs(text: str) -> list[tuple[int, int, str]]:
    """Repairs that need no model: jamo written apart composed into syllables (오ㄹ해 → 올해, 접ㅅㅣ → 접시),
    the formal ending spelled by ear respelled (시작하겠읍니다 → 시작하겠습니다)."""
    repairs = []
    for word in eojeols(text):
        repaired = respell_ending(compose_loose_jamo(word.text))
        if repaired != word.text:
            repairs.append((word.start, word.end, repaired))
    return repairs


# The past tense -었/-았 ends in ㅆ, which a recogniser hears as the start of a word of its own, the verb 쓰다,
# after the verb's connective (-어/-아) or its adnominal (-ㄴ/-ㄹ): 다퉈 써요, 떠날 써요 for 다퉜어요, 떠났어요;
# and after a noun with 에 for 했 (합격에 써요 for 합격했어요, the ㅎ weak after a sonorant). After an adnominal
# it is also heard as 있다 (보낼 있어요 for 보냈어요).
_AFTER_ADNOMINAL = {(form, "ETM") for form in _ADNOMINALS}
_PAST_HEARD_AFTER = {("어", "EC"), ("아", "EC"), ("여", "EC")} | _AFTER_ADNOMINAL
_VERB_TAGS = ("VV", "VA", "VX", "XSV", "XSA")


def ending_apart_repairs(text: str, analysis: Analysis, join: Callable[[list[Morpheme]], str]
                         ) -> list[tuple[int, int, str]]:
    """Two eojeols, a verb's connective or adnominal (or a noun with 에) and the past tense heard apart as 쓰다,
    joined as the one word they were heard for, conjugated by Kiwi. Both readings are words as a rule (돈을
    아껴 써요 is right), so the sentence chooses."""
    return _past_heard_apart(text, analysis, join, "쓰", _PAST_HEARD_AFTER, after_noun_with_e=True)


def past_heard_as_iss_repairs(text: str, analysis: Analysis, join: Callable[[list[Morpheme]], str]
                              ) -> list[tuple[int, int, str]]:
    """An adnominal and the past tense heard apart as 있다 (보낼 있어요, 볼 있어), joined (보냈어요, 봤어).
    What it repairs is no Korean: 있다 never follows an adnominal across a space without a bound noun between
    (보낼 수 있어요; not once in the 47,189 sentences of the project's corpus). After a connective 있다 is a
    verb of its own (남아 있다), so it is not offered there."""
    return _past_heard_apart(text, analysis, join, "있", _AFTER_ADNOMINAL, after_noun_with_e=False)


def _past_heard_apart(text: str, analysis: Analysis, join: Callable[[list[Morpheme]], str], heard_as: str,
                      heard_after: set[tuple[str, str]], after_noun_with_e: bool) -> list[tuple[int, int, str]]:
    repairs = []
    words = eojeols(text)
    placed = PlacedMorphemes(analysis.morphemes)

    def within(start: int, end: int) -> list[Morpheme]:
        return [m for m in placed.touching(start, end) if start <= m.start < end and m.end <= end]

    for word, following in zip(words, words[1:]):
        _, trail = marks_around(following.text)
        own, after = within(word.start, word.end), within(following.start, following.end - len(trail))
        if (len(own) < 2 or len(after) < 2 or after[0].form != heard_as
                or after[0].tag.split("-")[0] not in _VERB_TAGS):
            continue
        endings = [Morpheme("었", "EP", following.start, following.start)] + list(after[1:])
        last = own[-1]
        if (last.form, last.tag) in heard_after and any(m.tag.split("-")[0] in _VERB_TAGS for m in own[:-1]):
            stem = list(own[:-1])
        elif after_noun_with_e and (last.form, last.tag) == ("에", "JKB") and own[-2].tag.startswith("NN"):
            stem = list(own[:-1]) + [Morpheme("하", "XSV", last.start, last.end)]
        else:
            continue
        joined = join(stem + endings)
        if joined and joined != text[word.start:following.end - len(trail)]:
            repairs.append((word.start, following.end, joined + trail))
    return repairs
