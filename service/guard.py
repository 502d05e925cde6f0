"""Stage 5 — guard: refuse a proposed change that rewrites too much of what it started from.

The measure is jiwer's character error rate of the proposal against the text before the step, with
whitespace removed (moving spaces is not rewriting), in letters or in sound, whichever is smaller: respelling
a pronunciation-spelled sentence (방버블 모르게써 → 방법을 모르겠어) rewrites many letters but not one
sound, while a hallucinated rewrite changes both.
"""
from __future__ import annotations

from dataclasses import dataclass

import jiwer

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
    return min(_cer(before, after), _cer(pronounce(before), pronounce(after)))


def guard(before: str, after: str, max_cer: float, stage: str = "") -> GuardDecision:
    """Keep `after` only when it changes at most `max_cer` of `before`'s characters."""
    rate = change_rate(before, after)
    if rate > max_cer:
        return GuardDecision(before, False, rate, f"{stage}: change rate {rate:.2f} > {max_cer}")
    return GuardDecision(after, True, rate)


def guard_batch(befores: list[str], afters: list[str], max_cer: float, stage: str) -> list[GuardDecision]:
    """The guard over a batch of one stage's proposals; every refusal says why."""
    return [guard(b, a, max_cer, stage) for b, a in zip(befores, afters)]
