"""The worst requests within the configured bounds (issue 11), built deterministically, no data files needed.

* `space_free`: one segment of 1,000 Korean characters without a single space (recognisers that drop word
  boundaries send exactly that), with misheard terms and two hotwords;
* `many_terms`: 256 distinct segments with word confidences and n-best, 500 hotwords, 5,000 lexicon terms;
* `long_nbest`: segments of about 1,000 characters, each with 64 n-best hypotheses as long (each differs from
  the text in a few words, as a recogniser's beam does);
* `long_segments`: distinct 1,000-character space-free segments without terms (for the memory bound);
* `small`: the one-segment requests a frontend sends all the time.
"""
from __future__ import annotations

import random
from typing import Any

SENTENCES = [
    "지금부 훼의을 시작하겠읍다", "오늘 안껀은 스프린뜨 킥오프 입니다", "다음 주 발표 자료를 준비해 주세요",
    "프로젝트 일정이 조금 느저지고 있습니다", "회의실 예약은 제가 할게요", "회의록은 오늘 안에 공유하겠습니다",
    "이번 분기 목표를 다시 정리해 보겠슴니다", "질문 있으시면 말씀해 주세요", "방버블 모르게써 좀 알려줘",
    "내일 아침에 보고서를 재출할게요", "고객 요구 사항을 먼저 확인해야 합니다", "디자인 시안은 금요일까지 나옵니다",
]
FIXES = {"훼의": "회의", "안껀": "안건", "스프린뜨": "스프린트", "느저지고": "늦어지고"}
# Syllables common in Korean nouns: generated terms look like real ones to the sound matcher.
SYLLABLES = list("가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후"
                 "기니디리미비시이지치키티피히개내대래매배새애재채케테페해건견경공관국권금기남념단당대도동"
                 "력련령례론룡류률리림망면명모목무문물미민박반방배백번법변병보복본부분비사산상생서석선설성"
                 "세소속송수순술시식신실심안압앙애약양어언업여역연열염영예오온완왕외요용우운원위유육윤은음"
                 "의이인일임자작장재전절점정제조종주준중증지직진질집차참창채책처천철청체초총최추축출충취측"
                 "치칙친칠침카타탈탐탑태택토통퇴투특파판패편평폐포표품풍피필하학한할함합항해핵행향허험혁현형"
                 "혜호혼홍화확환활황회획효후훈휘휴흥희")


def _rng(salt: str) -> random.Random:
    return random.Random(f"worst-case/{salt}")


def terms(n: int, salt: str) -> list[str]:
    rng = _rng(salt)
    out: dict[str, None] = {}
    while len(out) < n:
        out["".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))] = None
    return list(out)


def _segment(i: int, text: str, rng: random.Random, nbest: list[str] | None = None) -> dict[str, Any]:
    words = [{"text": w, "confidence": round(rng.uniform(0.35, 0.99), 3)} for w in text.split()]
    hypotheses = [{"rank": 1, "text": text, "score": -2.0, "confidence": 0.8}]
    hypotheses += [{"rank": r + 2, "text": t, "score": -3.0 - r * 0.1, "confidence": round(0.6 - r * 0.005, 3)}
                   for r, t in enumerate(nbest or [])]
    return {"id": f"seg_{i:05d}", "start": float(i), "end": float(i) + 2.0, "text": text, "confidence": 0.8,
            "no_speech_prob": 0.02, "words": words, "nbest": hypotheses}


def _meeting_text(chars: int, rng: random.Random, spaces: bool = True, avoid: tuple[str, ...] = ()) -> str:
    separator = " " if spaces else ""
    sentences = [s for s in SENTENCES if not any(term in s for term in avoid)]
    parts: list[str] = []
    while len(separator.join(parts)) < chars:
        sentence = rng.choice(sentences)
        parts.append(sentence if spaces else sentence.replace(" ", ""))
    return separator.join(parts)[:chars].strip()


def space_free(chars: int = 1000) -> dict[str, Any]:
    rng = _rng("space-free")
    hotwords = ["회의", "스프린트"]
    # Only misheard forms (훼의, 스프린뜨): a hotword spelled right in the text would end the search early.
    text = _meeting_text(chars, rng, spaces=False, avoid=tuple(hotwords))
    segment = {"id": "seg_00000", "start": 0.0, "end": 120.0, "text": text, "confidence": 0.8}
    return {"request_id": "worst-space-free", "segments": [segment], "hotwords": hotwords}


def many_terms(segments: int = 256, hotwords: int = 500, lexicon: int = 5000) -> dict[str, Any]:
    rng = _rng("many-terms")
    hot, lex = terms(hotwords, "hotwords"), terms(lexicon, "lexicon")
    out = []
    for i in range(segments):
        # A base sentence with a generated term (sometimes misheard: one syllable changed) and a unique word,
        # so no segment is a cache hit for another.
        term = rng.choice(hot if i % 2 else lex)
        heard = term if rng.random() < 0.5 else term[:-1] + rng.choice(SYLLABLES)
        text = f"{rng.choice(SENTENCES)} {heard}에 대해 {''.join(rng.choice(SYLLABLES) for _ in range(3))} 논의합니다"
        alternative = text.replace(heard, term)
        out.append(_segment(i, text, rng, [alternative] if alternative != text else []))
    return {"request_id": "worst-many-terms", "segments": out, "hotwords": hot, "domain_lexicon": lex}


def long_nbest(segments: int = 1, hypotheses: int = 64, chars: int = 1000) -> dict[str, Any]:
    rng = _rng("long-nbest")
    out = []
    for i in range(segments):
        text = _meeting_text(chars, rng)
        words = text.split()
        alternatives = []
        for _ in range(hypotheses - 1):
            changed = list(words)
            for at in rng.sample(range(len(words)), 3):
                fixed = changed[at]
                for wrong, right in FIXES.items():
                    fixed = fixed.replace(wrong, right)
                changed[at] = fixed if fixed != changed[at] else changed[at][:-1] + rng.choice(SYLLABLES)
            alternatives.append(" ".join(changed)[:chars])
        out.append(_segment(i, text, rng, alternatives))
    return {"request_id": "worst-long-nbest", "segments": out, "hotwords": ["회의", "스프린트", "안건"]}


def long_segments(request: int, segments: int = 256, chars: int = 1000) -> dict[str, Any]:
    """Distinct 1,000-character space-free segments without terms (every request new text: the caches must
    stop growing). Without terms, term matching (cubic in a space-free word until issue 8) is not reached."""
    rng = _rng(f"long-{request}")
    out = [{"id": f"seg_{i:05d}", "text": _meeting_text(chars - 8, rng, spaces=False) + f"{request:03d}{i:04d}"}
           for i in range(segments)]
    return {"request_id": f"long-{request}", "segments": out}


def small(n: int) -> dict[str, Any]:
    rng = _rng(f"small-{n}")
    text = SENTENCES[n % len(SENTENCES)]
    return {"request_id": f"small-{n}", "segments": [_segment(0, text, rng)], "hotwords": ["회의", "안건", "스프린트"]}


CASES = {"space_free": space_free, "many_terms": many_terms, "long_nbest": long_nbest}
