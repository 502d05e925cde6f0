"""Stage 4 — refine: spacing and sentence-final punctuation of the picked candidate.

The embedded refiner uses Kiwi. Spacing: Kiwi's spacing model proposes a respacing; a space it adds is kept
where the speaker's boundaries are clearly missing (no space at all, or a long eojeol holding a clear word
boundary), a space it removes only where the speaker's space cut a word (inside one morpheme, or before an
ending or a lone particle). Everywhere else the speaker's spacing stands: it is usually plausible, and two
good words are never glued, and the spans the caller protects (the terms the reranker wrote in) are left exactly
as they are. The final mark comes from what the sentence is (`sentence_mark`).
When KoBART is loaded, `service.neural` provides a refiner with the same `refine` method.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Protocol, Sequence

from service.kiwi_lm import Analysis, KiwiToolkit, Morpheme
from service.text import ends_with_mark, is_mark
from service.types import EditSource


@dataclass(frozen=True)
class Refinement:
    text: str
    final_mark: str
    source: EditSource  # what the edits it alone made are credited to: "spacing" (Kiwi) or "kobart"


# Character spans (start, end offsets in one text) whose spacing the refine stage must leave as it is.
Spans = Sequence[tuple[int, int]]


class Refiner(Protocol):
    name: str

    def refine(self, texts: list[str], protected: Sequence[Spans] | None = None) -> list[Refinement]:
        """Spacing, spelling and the final mark of each text. `protected`, when given, holds for each text the
        spans no spacing change may touch: the terms the reranker wrote in (a hotword such as 쿠버네티스), which
        a spacing model that does not know them would cut apart."""
        ...


# --- the final mark --------------------------------------------------------------------------------------
# Kiwi writes an ending's initial ㄹ/ㄴ/ㅂ/ㅁ as a conjoining final consonant (ᆯ U+11AF, ᆫ U+11AB, ᆸ U+11B8,
# ᆷ U+11B7), never as the compatibility jamo (ㄹ U+3139): the endings below are spelled as Kiwi spells them.

# Endings that ask by their form: -ㄹ까(요), -니, -냐, -나(요), -ㄴ가(요), -습니까, -ㄹ지요 …
_ASKING = frozenset({
    "ᆯ까", "을까", "까", "ᆯ까요", "을까요", "까요", "ᆯ까나", "ᆸ니까", "습니까", "니", "니요", "냐", "느냐", "으냐",
    "냐구", "나", "나요", "ᆫ가", "은가", "는가", "ᆫ가요", "은가요", "는가요", "던가", "던가요", "ᆫ감", "는감",
    "려나", "으려나", "ᆫ지요", "은지요", "는지요", "ᆯ지요", "을지요", "ᆯ런지요"})
# -ㄹ래(요) asks what the listener wants (밥 먹을래, …해 줄래, …하실래요) unless the speaker says what they
# themselves want (나 먼저 갈래).
_WANTING = frozenset({"ᆯ래", "을래", "ᆯ래요", "을래요"})
# Endings of an embedded question (…는지, …ㄹ지): a sentence ending in one leaves its main verb unsaid
# ("어디 갈지 (모르겠다)") and states a doubt; a question word before one belongs to the embedded clause.
_WHETHER = frozenset({"ᆫ지", "은지", "는지", "ᆯ지", "을지", "던지", "ᆯ런지", "을런지"})
# Endings that never ask: statements, exclamations, promises, proposals, commands.
_STATING = _WHETHER | frozenset({
    "다", "ᆫ다", "는다", "ᆸ니다", "습니다", "ᆸ디다", "네", "네요", "네여", "군요", "구나", "구먼", "ᆯ게", "을게",
    "ᆯ게요", "을게요", "ᆯ께", "을께", "ᆯ께요", "을께요", "자", "ᆸ시다", "읍시다", "어라", "아라", "라", "렴", "으렴",
    "ᆸ시오", "십시오", "으십시오", "니까", "으니까", "니까요", "으니까요", "거든", "거든요", "잖아", "잖아요",
    "더라고", "더라고요", "다니까", "ᆫ다니까", "ᆯ걸", "을걸", "ᆯ걸요", "단다", "ᆫ단다", "답니다", "랍니다",
    "ᆫ답니다", "지요", "야지", "어야지", "아야지", "여야지"})
# The plain endings (반말) of statements that ask with a rising voice: 할 수 있어, 알아, 알지.
_PLAIN = frozenset({"어", "아", "여", "지"})
# Clause endings after which a question word is no longer the main clause's: embedded questions (…는지,
# …ㄹ까 보다), quoted questions (…냐고), concessive and background clauses (…든, …거나, …는데, …지만, …어도:
# "어디서 일하든 상관없어요", "몇 달을 좋아했는데 달라진 게 없어요", "뭘 입어도 잘 어울려요").
_CLOSES_QUESTION_WORD = _WHETHER | frozenset({
    "냐", "느냐", "으냐", "냐고", "느냐고", "으냐고", "ᆫ가", "는가", "은가", "나", "ᆯ까", "을까", "든", "든지",
    "던", "건", "거나", "ᆫ들", "는데", "ᆫ데", "은데", "지만", "어도", "아도", "여도"})
_QUESTION_WORDS = frozenset({
    ("뭐", "NP"), ("뭣", "NP"), ("무엇", "NP"), ("어디", "NP"), ("누구", "NP"), ("언제", "NP"), ("언제", "MAG"),
    ("왜", "MAG"), ("어째서", "MAG"), ("어찌", "MAG"), ("얼마나", "MAG"), ("어떻게", "MAG"), ("무슨", "MM"),
    ("뭔", "MM"), ("어느", "MM"), ("어떤", "MM"), ("몇", "MM"), ("몇", "NR"), ("웬", "MM"), ("얼마", "NNG"), ("며칠", "NNG"),
    ("웬일", "NNG"), ("어떻", "VA"), ("어떻", "VA-I"), ("어떡하", "VV"), ("어쩌", "VV")})
# A question word followed by these is indefinite, not asking: 언제든지, 누구나, 뭔가, 누구도, 무엇보다.
_INDEFINITE_AFTER = frozenset({"든", "든지", "이든", "이든지", "나", "이나", "라도", "도", "ᆫ가", "인가", "보다",
                               "ᆫ들"})
# Question words in set phrases that do not ask: 어느 정도 (to some extent), 어떨 때 (sometimes), 어쩔 수 없다
# (it cannot be helped), 얼마 안 되다 (not long).
_INDEFINITE_PHRASES = frozenset({("어느", "정도"), ("어떻", "때"), ("어쩌", "수"), ("얼마", "안")})
_FIRST_PERSON = frozenset({("나", "NP"), ("내", "NP"), ("저", "NP"), ("제", "NP"), ("우리", "NP"), ("저희", "NP")})
# Requests and prohibitions (…해 줘, …해 주세요, …하지 마): commands, whatever question word they hold
# ("몇 가지만 기억해 주세요", "누가 불렀는지 알려줘").
_REQUEST_AUXILIARIES = frozenset({("주", "VX"), ("달", "VX"), ("말", "VX")})
# Verbs that are honorific in themselves (eat, sleep, stay), with no separate -시-.
_HONORIFIC_VERBS = frozenset({("드시", "VV"), ("잡수시", "VV"), ("주무시", "VV"), ("계시", "VV")})
# Morphemes that carry no words (marks, symbols, brackets) and are skipped when reading the ending.
_NOT_WORDS = ("SF", "SP", "SE", "SSO", "SSC", "SW", "SO", "SC")


@dataclass(frozen=True)
class _Ending:
    """The last sentence of a text as Kiwi read it: its final ending and the morphemes before it."""

    form: str | None  # None: the text ends in a noun or a particle (a fragment), not in an ending
    body: tuple[Morpheme, ...]  # the last sentence, final ending excluded
    earlier: tuple[Morpheme, ...]  # what came before the last sentence

    @property
    def predicate(self) -> tuple[str, str]:
        return (self.body[-1].form, self.body[-1].tag) if self.body else ("", "")


def _read_ending(morphemes: Sequence[Morpheme]) -> _Ending:
    words = [m for m in morphemes if not m.tag.startswith(_NOT_WORDS)]
    form, end = None, len(words)
    if words and words[-1].tag in ("EF", "EC"):
        form, end = words[-1].form, len(words) - 1
    elif len(words) > 1 and words[-1].form == "요" and words[-2].tag in ("EF", "EC"):
        # Kiwi reads the polite 요 after some endings as a particle: …ㄴ가 + 요 is …ㄴ가요.
        form, end = words[-2].form + "요", len(words) - 2
    # Sentences run together without marks: only the last one decides the mark. It starts after the last
    # final ending that is followed by a new word (not by a particle, an ending or the copula that make it a
    # quotation: "왜 울어 라는 곡").
    start = 0
    for i in range(end - 1):
        if words[i].tag == "EF" and not words[i + 1].tag.startswith(("J", "E", "VCP")):
            start = i + 1
    return _Ending(form, tuple(words[start:end]), tuple(words[:start]))


def _last_index(morphemes: Sequence[Morpheme], test) -> int:
    """The index of the last morpheme that passes `test`, -1 for none."""
    return max((i for i, m in enumerate(morphemes) if test(i, m)), default=-1)


def _what_before_a_verb(m: Morpheme, following: Sequence[Morpheme]) -> bool:
    """뭐 right before an action verb is its object, "what" (뭐 입어, 뭐 먹지), though Kiwi reads it as the
    interjection "well" (뭐 그렇지, 뭐 괜찮아: before an adjective it is one)."""
    return ((m.form, m.tag) == ("뭐", "IC") and bool(following) and following[0].tag.startswith("VV")
            and following[0].start > m.end)  # a word of its own: 뭐든 is "anything"


def _asking_question_word(ending: _Ending) -> bool:
    """A question word (뭐, 어디, 언제, 왜, 어떻게 …) in the main clause of the last sentence, used as one.
    (A sentence ending in …는지/…ㄹ지 never gets here: `sentence_mark` reads it as stating first.)"""
    body = ending.body
    closed = _last_index(body, lambda j, m: (m.tag in ("EC", "EF") and m.form in _CLOSES_QUESTION_WORD)
                         or _whether_apart(body, j))
    for i in range(closed + 1, len(body)):
        m = body[i]
        following = body[i + 1:i + 4]
        if (m.form, m.tag) not in _QUESTION_WORDS and not _what_before_a_verb(m, following):
            continue
        # 몇 개나, 몇 번이나: after 몇 and its counter, (이)나 is "as many as", and the question stands.
        counted = m.form == "몇" and len(following) > 1 and following[1].form in ("나", "이나")
        if not counted and any(f.form in _INDEFINITE_AFTER and f.tag.startswith(("J", "E", "VCP"))
                               for f in following):
            continue
        if any((m.form, f.form) in _INDEFINITE_PHRASES and not _phrase_is_asked(following, j)
               for j, f in enumerate(following[:2])):
            continue
        return True
    return False


def _whether_apart(body: Sequence[Morpheme], j: int) -> bool:
    """…ㄹ 지 / …는 지 written apart: Kiwi reads the bound noun 지 after an adnominal ending, and the embedded
    question (뭘 살 지 몰라) closes the question word before it as …ㄹ지 does."""
    return (j > 0 and (body[j].form, body[j].tag) == ("지", "NNB") and body[j - 1].tag == "ETM"
            and body[j].start > body[j - 1].end)


def _phrase_is_asked(following: Sequence[Morpheme], j: int) -> bool:
    """어느 정도 is "somewhat" as an adverb (어느 정도 알아) but asks "how much" as a noun with a particle or the
    copula (어느 정도야, 어느 정도가 좋아, 어느 정도로 켜)."""
    return (following[j].form == "정도" and j + 1 < len(following)
            and following[j + 1].tag.startswith(("J", "VCP")))


def _starts_with_or(ending: _Ending) -> bool:
    """The last sentence opens with "or": 아니면 (Kiwi reads 아니 + 면), or follows one ending in 아님."""
    body, earlier = ending.body, ending.earlier
    if body and body[0].form == "아니면":
        return True
    if len(body) > 2 and (body[0].form, body[0].tag, body[1].form) == ("아니", "VCN", "면"):
        return True
    return len(earlier) > 1 and (earlier[-2].form, earlier[-2].tag, earlier[-1].form) == ("아니", "VCN", "ᆷ")


def _noun_alternatives(ending: _Ending) -> bool:
    """"A야 B야" / "A이야 B야": Kiwi reads the first 야 as a particle between two nouns and only the second as the
    copula's ending; side by side they ask which of the two."""
    body = ending.body
    if ending.form != "야" or ending.predicate != ("이", "VCP"):
        return False
    return any(m.tag == "JX" and m.form in ("야", "이야") and body[i - 1].tag.startswith(("N", "SL", "SN"))
               and body[i + 1].tag.startswith(("N", "SL", "SN"))
               for i, m in enumerate(body[1:-1], start=1))


def _alternative_question(ending: _Ending) -> bool:
    """The same predicate and ending twice, each with its own alternative, ask to choose: "A야 B야",
    "A가 편해 B가 편해"; or the last clause starts with 아니면 ("or …"), or picks one of several (A랑 B 중 … 더)."""
    body = ending.body
    if not body:
        return False
    if _starts_with_or(ending) or _noun_alternatives(ending):
        return True
    if any(m.form == "중" and m.tag == "NNB" for m in body) and ("더", "MAG") in {(m.form, m.tag) for m in body}:
        return True
    words = ending.earlier + body
    for i in range(len(words) - 2, 0, -1):  # the nearest earlier clause with the same predicate and ending
        if (words[i].form, words[i].tag) == ending.predicate and words[i + 1].form == ending.form \
                and words[i + 1].tag in ("EF", "EC"):
            last_clause = [m.form for m in words[i + 2:]] + [ending.form]
            return [m.form for m in words[:i + 2]][-len(last_clause):] != last_clause  # "좋아 좋아" repeats
    return False


def _first_person_subject(body: Sequence[Morpheme]) -> bool:
    """I/we do it: a first-person pronoun not inside a relative clause (내가 좋아하는 노래 is not a subject)."""
    relative = _last_index(body, lambda j, m: m.tag == "ETM" and j + 1 < len(body) and body[j + 1].tag != "NNB")
    return any((m.form, m.tag) in _FIRST_PERSON for m in body[relative + 1:])


def _suggestion(ending: _Ending) -> bool:
    """…하는 건 어떨까요: a polite proposal in the speaker's musing -ㄹ까요, written with a period (on the whole
    sentence corpus 48 "." to 12 "?"). Asked straight at the listener (…하는 게 어때, …어때요, …어떠세요) the
    same proposal is a question and takes "?" (55 "?" to 2 ".")."""
    body = ending.body
    return (ending.form in ("ᆯ까요", "을까요") and len(body) >= 3 and body[-1].form == "어떻"
            and body[-2].tag in ("JX", "JKS") and body[-3].form in ("거", "것"))


def _asks_only_in_form(ending: _Ending) -> bool:
    """Endings shaped like a question that are something else: …ㄹ 테니 (since …), …하게나 (a command)."""
    body = ending.body
    if len(body) < 2 or body[-1].tag != "VCP":
        return False
    return ((ending.form == "니" and body[-2].form in ("터", "테"))
            or (ending.form == "나" and body[-2].form == "게" and body[-2].tag == "EC"))


def _speaker_wants(ending: _Ending, question_word: bool) -> bool:
    """-ㄹ래 says what the speaker wants when the speaker is its subject (나 먼저 갈래); otherwise it asks what
    the listener wants (밥 먹을래, 같이 갈래, …해 줄래, 뭐 먹을래)."""
    return (not question_word and ending.predicate[0] not in ("주", "시")
            and _first_person_subject(ending.body))


def _speaker_is_subject(body: Sequence[Morpheme]) -> bool:
    """A first-person pronoun marked as subject or topic (내가, 나는, 저도): the speaker talks about themselves.
    Stricter than `_first_person_subject`, which also counts a possessive 내 ("내 메모")."""
    return any((m.form, m.tag) in _FIRST_PERSON and i + 1 < len(body) and body[i + 1].tag in ("JKS", "JX")
               for i, m in enumerate(body))


def _explanatory_question(ending: _Ending) -> bool:
    """Plain …는 거야 / …ㄴ 거야 (the explanatory 것이다 after a present or past clause) asks the listener to
    confirm an inference: "자동으로 되는 거야", "벌써 다 끝난 거야". It states in a pseudo-cleft ("중요한 건 …는
    거야") and when the speaker explains their own act ("내가 한 거야"); …ㄹ 거야 is a prediction or an
    intention and states."""
    body = ending.body
    if ending.form != "야" or len(body) < 4 or ending.predicate != ("이", "VCP"):
        return False
    if body[-2].form not in ("거", "것") or body[-2].tag != "NNB":
        return False
    if body[-3].tag != "ETM" or body[-3].form not in ("는", "ᆫ", "은", "던"):
        return False
    cleft = any(m.form in ("거", "것") and m.tag == "NNB" and body[i + 1].tag == "JX"
                and body[i + 1].form in ("ᆫ", "은", "는") for i, m in enumerate(body[:-3]))
    return not cleft and not _speaker_is_subject(body)


def _suggests_instead(ending: _Ending) -> bool:
    """…하지 그래 / …하시지 그러세요 ("why don't you …"): a suggestion asked as a question."""
    body = ending.body
    if not body or body[-1].form not in ("그렇", "그러"):
        return False
    # Kiwi reads that 지 as a clause ending or, taking 그래 for a new sentence, as a final one.
    before = body[-2] if len(body) >= 2 else ending.earlier[-1] if ending.earlier else None
    return before is not None and before.form == "지" and before.tag in ("EC", "EF")


def _asks_listeners_will(ending: _Ending) -> bool:
    """…해 주시겠어요, …남기시겠어요: honorific -시- and -겠- on an action verb with no subject named ask what the
    listener will do. On a state (피곤하시겠어요) or with a subject of its own (할머니께서 좋아하시겠어요) -겠- is the
    speaker's guess and states."""
    body = ending.body
    if ending.form not in ("어요", "어") or len(body) < 2 or (body[-1].form, body[-1].tag) != ("겠", "EP"):
        return False
    if (body[-2].form, body[-2].tag) in _HONORIFIC_VERBS:  # 드시겠어요: the honorific is in the verb itself
        verb = body[-2]
    elif body[-2].form in ("시", "으시") and len(body) >= 3:
        verb = body[-3]
    else:
        return False
    action = (verb.tag == "VV" and verb.form != "되") or (verb.tag == "VX" and verb.form in ("주", "보", "드리"))
    return action and not any(m.tag == "JKS" for m in body)


def _asks_what_listener_has(ending: _Ending) -> bool:
    """…있으세요 on the 있다 of having (시간 있으세요, 질문 있으세요, 하실 수 있으세요): the honorific makes the
    listener its subject, and one does not order someone to have; a person who stays is 계세요, and 가 있으세요
    (an auxiliary 있다) is the command."""
    body = ending.body
    if ending.form in ("세요", "으세요"):
        return bool(body) and (body[-1].form, body[-1].tag) == ("있", "VA")
    return (ending.form == "어요" and len(body) >= 2 and body[-1].form in ("시", "으시")
            and (body[-2].form, body[-2].tag) == ("있", "VA"))


def _seeks_agreement(ending: _Ending) -> bool:
    """Plain …겠지 and …ㄴ 거지 ask the listener to agree: "괜찮겠지", "벌써 끝난 거지", "내일 올 거지". On the whole
    sentence corpus writers end them with "?" 82 to 22 and 29 to 0. With the speaker as the subject (내가 …한
    거겠지) …겠지 is a musing and states."""
    body = ending.body
    if ending.form != "지" or len(body) < 2:
        return False
    guess = (body[-1].form, body[-1].tag) == ("겠", "EP")
    explains = ending.predicate == ("이", "VCP") and body[-2].form in ("거", "것") and body[-2].tag == "NNB"
    return (guess or explains) and not _speaker_is_subject(body)


def _knowing(ending: _Ending) -> bool:
    """The predicate is 알다 (to know). After an embedded question Kiwi reads 아세요 as the interjection 아 and
    the ending 세요 (…는지 아세요, "do you know whether …"): that 아 is 알다 too."""
    predicate, body = ending.predicate, ending.body
    if predicate[0] == "알" and predicate[1].startswith("VV"):
        return True
    return (predicate == ("아", "IC") and ending.form in ("세요", "으세요") and len(body) >= 2
            and body[-2].tag == "EC" and body[-2].form in _WHETHER)


def _asks_without_question_word(ending: _Ending) -> bool:
    """The evidence for a question in a sentence whose ending both states and asks (…어, …야, …어요)."""
    body, predicate = ending.body, ending.predicate
    if (_alternative_question(ending) or _explanatory_question(ending) or _suggests_instead(ending)
            or _asks_listeners_will(ending) or _asks_what_listener_has(ending) or _seeks_agreement(ending)):
        return True
    # 혹시 "by any chance", unless it means "in case" (혹시 …하면, 혹시 모를) or "maybe" (혹시 …일 수도)
    in_case = _last_index(body, lambda j, m: (m.tag == "EC" and m.form.endswith("면")) or m.form == "모르"
                          or (m.form == "수" and j + 1 < len(body) and body[j + 1].form == "도"))
    if any(m.form == "혹시" for m in body[in_case + 1:]):
        return True
    if _knowing(ending):  # …는지 알아요, 그 사람 알아
        if any(m.tag == "EC" and m.form in _WHETHER for m in body):
            return True
        if ending.form in _PLAIN and not _first_person_subject(body):
            return True
    # …할 수 있어, …한 적 있어 (수가 있어, 적도 있어) in plain speech with no first-person subject: "can (you) …",
    # "have (you) ever …"
    if ending.form not in _PLAIN or predicate[0] != "있" or _first_person_subject(body):
        return False
    noun = len(body) - 3 if len(body) >= 3 and body[-2].tag.startswith("J") else len(body) - 2
    return noun >= 0 and (body[noun].form, body[noun].tag) in (("수", "NNB"), ("적", "NNB"))


def _insisting_request(ending: _Ending) -> bool:
    """…해 주라: the plain -라 imperative on the auxiliary 주다 in direct speech, an insistent request.

    The one ending class measured (on the whole sentence corpus, not on any sentence) where writers put "!" more
    often than ".": 53 "!" to 14 "." among 67. In every wider class of exclamations, commands, proposals,
    promises and greetings "." is as common or more (…구나/…군요 74 "." to 14 "!", interjection-led 72 to 50,
    the other -라 imperatives 150 to 12, …해 줘 460 to 379, …ㄹ게(요) 197 to 132, thanks and greetings 28 to
    15), so those keep the period: where "!" is not the usual mark, the plain one misleads a reader least.
    """
    return ending.form == "라" and ending.predicate == ("주", "VX")


def sentence_mark(analysis: Analysis) -> str:
    """'?' when the sentence asks, '!' for an insistent …주라, '.' otherwise, from Kiwi's reading of its ending
    and the words before it.

    The ending decides where its form does (…까, …니, …나요, …습니까 ask; …다, …네요, …ㄹ게 state). The
    endings that both state and ask (…어, …야, …지, …어요, …세요, …예요) ask only with evidence: a question word
    in the main clause, an alternative question (A야 B야, 아니면 …), 혹시 ("by any chance"), …알아 ("do you
    know …"), …ㄹ 수 있어 / …ㄴ 적 있어 with no first-person subject ("can …", "have you ever …"), the
    explanatory …는 거야 ("is it that …"), plain …겠지 / …ㄴ 거지 ("… right?"), …하지 그래 ("why don't you …"),
    …해 주시겠어요 (the listener's will) or …있으세요 (what the listener has). Without evidence such a sentence
    is read as a statement: a statement is what a subtitle holds most often, and a reader misled by a wrong "?"
    is worse off than by a missing one.
    """
    ending = _read_ending(analysis.morphemes)
    if ending.form in _ASKING:
        return "." if _suggestion(ending) or _asks_only_in_form(ending) else "?"
    if _insisting_request(ending):
        return "!"
    if ending.form in _STATING:
        return "."
    question_word = _asking_question_word(ending)
    if ending.form in _WANTING:
        return "." if _speaker_wants(ending, question_word) else "?"
    if ending.predicate in _REQUEST_AUXILIARIES:
        return "."
    if question_word:  # the musing …ㄹ까요 of `_suggestion` is an asking form, read above
        return "?"
    return "?" if _asks_without_question_word(ending) else "."


def final_mark(text: str, analysis: Analysis) -> str:
    """The mark to add at the end of `text`: none when it already ends in a mark of any kind (; : > ) ~ …)."""
    if not text.strip() or ends_with_mark(text):
        return ""
    return sentence_mark(analysis)


# --- spacing ---------------------------------------------------------------------------------------------
# An eojeol this long (in characters, marks aside) has probably lost a boundary: Korean eojeols are 3–4
# syllables on average and rarely 7 or more in spaced text. Shorter ones are left as the speaker spaced them.
LONG_EOJEOL = 7
# A text of at least this many characters with no space at all has clearly lost its boundaries; a shorter
# one ("사랑해봤어", "안녕하세요") is often one word and is left alone.
UNSPACED_MIN = 10


def _space_positions(text: str) -> tuple[str, set[int]]:
    """The text without whitespace, and the positions in it before which the text had a space."""
    letters: list[str] = []
    spaces: set[int] = set()
    for ch in text.strip():
        if ch.isspace():
            spaces.add(len(letters))
        else:
            letters.append(ch)
    return "".join(letters), spaces


def _length(word: str) -> int:
    """Characters that are not marks: "흘렀네," is three long."""
    return sum(not is_mark(ch) for ch in word)


def _with_spaces(letters: str, spaces: set[int]) -> str:
    return "".join((" " if i in spaces and i else "") + ch for i, ch in enumerate(letters))


def _align(proposal: str, letters: str) -> tuple[dict[int, int], set[int]] | None:
    """Where each character of Kiwi's respacing `proposal` stands in the text without whitespace (`letters`),
    and before which positions the proposal puts a space. Kiwi's spacing model may slip a stray character into
    a long text (a lone ᆯ); such characters are skipped. None when the proposal does not hold the letters in
    order (then it is not a respacing). One pass over the proposal."""
    index: dict[int, int] = {}
    spaces: set[int] = set()
    matched, space_pending = 0, False
    for at, ch in enumerate(proposal):
        if ch.isspace():
            space_pending = True
        elif matched < len(letters) and ch == letters[matched]:
            index[at] = matched
            if space_pending and matched:
                spaces.add(matched)
            space_pending = False
            matched += 1
    return (index, spaces) if matched == len(letters) else None


def _morpheme_boundaries(index: dict[int, int], reading: Analysis
                         ) -> tuple[dict[int, Morpheme], dict[int, Morpheme], set[int]]:
    """For Kiwi's reading of its proposal, by position in the text without whitespace (`index` maps the
    proposal's offsets there): the morpheme that ends just before it, the morpheme that starts at it, and the
    positions that fall inside a morpheme."""
    ending_at: dict[int, Morpheme] = {}
    starting_at: dict[int, Morpheme] = {}
    inside: set[int] = set()
    for m in reading.morphemes:
        if m.end <= m.start or m.start not in index or (m.end - 1) not in index:
            continue
        first, last = index[m.start], index[m.end - 1]
        ending_at.setdefault(last + 1, m)
        starting_at.setdefault(first, m)
        inside.update(range(first + 1, last + 1))
    return ending_at, starting_at, inside


def _clear_boundary(before: Morpheme | None, after: Morpheme | None) -> bool:
    """A boundary every writer spaces: a particle or an ending followed by a new content word. Boundaries that
    writers space or not as they like are not clear: compound nouns (메일함), auxiliary verbs (해 주세요),
    dependent nouns (할 거예요, 올 때)."""
    if before is None or after is None:
        return False
    if after.tag.startswith(("J", "E", "XS", "VX", "VCP", "NNB")):
        return False
    return before.tag.startswith("J") or before.tag in ("EF", "EC", "ETM")


def _cuts_a_word(position: int, eojeol_length: int, starting_at: dict[int, Morpheme], inside: set[int]) -> bool:
    """The space before an eojeol of `eojeol_length` characters at `position` splits what is one word: Kiwi
    reads one morpheme across it (작 곡한), or the eojeol is an ending (을까) or a lone one-syllable particle
    (사람 은). Longer particles are left spaced: writers space 보다는 and 부터 as often as not."""
    if position in inside:
        return True
    after = starting_at.get(position)
    if after is None:
        return False
    return after.tag.startswith("E") or (after.tag.startswith("J") and eojeol_length == 1)


def _inner_positions(text: str, protected: Spans) -> set[int]:
    """The positions in the text without whitespace (as `_space_positions` counts them) that lie strictly
    inside one of the `protected` character spans of `text`: where a space would cut the span. One pass over the
    text, then each span's length."""
    letters_before = [0] * (len(text) + 1)
    for i, ch in enumerate(text):
        letters_before[i + 1] = letters_before[i] + (not ch.isspace())
    inner: set[int] = set()
    for start, end in protected:
        start, end = max(0, start), min(len(text), end)
        if start < end:
            inner.update(range(letters_before[start] + 1, letters_before[end]))
    return inner


def respace(text: str, proposal: str, reading: Analysis, protected: Spans = ()) -> str:
    """`text` with those changes of Kiwi's respacing `proposal` (read as `reading`) that restore lost word
    boundaries or undo a space that cut a word; all other spaces as the speaker put them.

    A space is added inside an eojeol where the text has no space at all (and is not a short word), or where
    the eojeol is long and the boundary is clear; a space is removed only where it cut a word. Inside a
    `protected` span (character offsets in `text`) nothing changes at all. Whitespace comes back as single
    spaces.
    """
    letters, spaces = _space_positions(text)
    aligned = _align(proposal, letters)
    if aligned is None:  # the spacing model only moves spaces; anything else is not spacing
        return text
    index, proposed = aligned
    ending_at, starting_at, inside = _morpheme_boundaries(index, reading)
    unspaced = not spaces and _length(letters) >= UNSPACED_MIN
    added = sorted(proposed - spaces)
    kept = set(spaces)
    bounds = [0, *sorted(spaces), len(letters)]
    for k in range(len(bounds) - 1):
        start, end = bounds[k], bounds[k + 1]
        inside_eojeol = added[bisect_right(added, start):bisect_left(added, end)]
        if unspaced:
            kept.update(inside_eojeol)
        elif _length(letters[start:end]) >= LONG_EOJEOL:
            kept.update(p for p in inside_eojeol if _clear_boundary(ending_at.get(p), starting_at.get(p)))
        # A space Kiwi removes while it re-cuts the words around it (여친 핸폰번호 → 여친핸 폰 번호) is not a
        # glue of two pieces of one word: it stays.
        if k and start not in proposed and _cuts_a_word(start, end - start, starting_at, inside) \
                and bisect_right(added, bounds[k - 1]) == bisect_left(added, end):
            kept.discard(start)
    if protected:
        frozen = _inner_positions(text, protected)
        kept = (kept - frozen) | (spaces & frozen)
    return _with_spaces(letters, kept)


class KiwiRefiner:
    name = "kiwi"

    def __init__(self, kiwi: KiwiToolkit) -> None:
        self.kiwi = kiwi

    def refine(self, texts: list[str], protected: Sequence[Spans] | None = None) -> list[Refinement]:
        spans = protected if protected is not None else [()] * len(texts)
        if len(spans) != len(texts):
            raise ValueError(f"{len(spans)} span lists for {len(texts)} texts")
        proposals = self.kiwi.respace(texts)
        readings = self.kiwi.analyze(proposals)
        respaced = [respace(t, p, r, s) for t, p, r, s in zip(texts, proposals, readings, spans)]
        analyses = self.kiwi.analyze(respaced)
        return [Refinement(text, final_mark(text, analysis), "spacing")
                for text, analysis in zip(respaced, analyses)]
