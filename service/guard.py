"""Stage 5 — guard: refuse a proposed change that rewrites too much of what it started from.

The measure is jiwer's character error rate of the proposal against the text before the step, with
whitespace removed (moving spaces is not rewriting), in letters or in sound, whichever is smaller: respelling
a pronunciation-spelled sentence (방버블 모르게써 → 방법을 모르겠어) rewrites many letters but not one
sound, while a hallucinated rewrite changes both. Where the recogniser offered other hypotheses beside the
text (an n-best list, other recognisers' outputs), the change is measured from the nearest of them too: a
proposal close to one of them is a choice among what was heard, however far it is from the 1-best.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import jiwer

from service.loanword import spoken
from service.phonology import pronounce
from service.text import compact


@dataclass(frozen=True)
class GuardDecision:
    text: str  # what the step may keep: its proposal, or the text it started from
    accepted: bool
    cer: float
    reason: str = ""  # why a proposal was refused (the stage, the change rate and the limit)


def _cer(before: str, after: str) -> float:
    reference, hypothesis = compact(before), compact(after)
    if not reference:
        return 0.0 if not hypothesis else 1.0
    if reference == hypothesis:
        return 0.0
    return float(jiwer.cer(reference, hypothesis))


def change_rate(before: str, after: str) -> float:
    # In sound, Latin letters are what they are said as: writing KTX for the 케이티엑스 heard changes no sound.
    return min(_cer(before, after), _cer(pronounce(spoken(before)), pronounce(spoken(after))))


def guard(before: str, after: str, max_cer: float, stage: str = "", offered: Sequence[str] = ()) -> GuardDecision:
    """Keep `after` only when it changes at most `max_cer` of the characters of `before` or of one of the
    hypotheses `offered` beside it."""
    rate = min(change_rate(source, after) for source in (before, *offered))
    if rate > max_cer:
        return GuardDecision(before, False, rate, f"{stage}: change rate {rate:.2f} > {max_cer}")
    return GuardDecision(after, True, rate)


def guard_batch(befores: list[str], afters: list[str], max_cer: float, stage: str,
                offered: Sequence[Sequence[str]] | None = None) -> list[GuardDecision]:
    """The guard over a batch of one stage's proposals (with each one's offered hypotheses, if any); every
    refusal says why."""
    offered = offered if offered is not None else [()] * len(befores)
    return [guard(b, a, max_cer, stage, o) for b, a, o in zip(befores, afters, offered)]
