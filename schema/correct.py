"""Request and response models of POST /ec/correct (the HTTP edge; the pipeline uses dataclasses)."""
from __future__ import annotations

import math
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from service.types import (Edit, EditSource, Hypothesis, SegmentInput, SegmentResult, SegmentStatus, TermLists,
                           WordEvidence)


def _not_boolean(value: Any) -> Any:
    # JSON's true/false are not numbers (pydantic would read them as 1/0).
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


def _finite_or_none(value: Any) -> Any:
    value = _not_boolean(value)
    if isinstance(value, (int, float)) and not math.isfinite(value):
        return None
    return value


def _clamp_probability(value: Any) -> Any:
    value = _finite_or_none(value)
    if isinstance(value, (int, float)):
        return min(1.0, max(0.0, float(value)))
    return value


# A probability as real recognisers send it: negative or above 1 is clamped, NaN/Infinity treated as absent.
Probability = Annotated[Optional[float], BeforeValidator(_clamp_probability)]
# Any other number: NaN/Infinity treated as absent.
Number = Annotated[Optional[float], BeforeValidator(_finite_or_none)]
# A whole number (an n-best rank); true/false refused like everywhere else.
Integer = Annotated[Optional[int], BeforeValidator(_not_boolean)]


class _Tolerant(BaseModel):
    """Unknown fields are accepted and ignored: the frontend adds fields as it evolves."""

    model_config = ConfigDict(extra="ignore")


class TokenIn(_Tolerant):
    text: str
    t0: Number = None
    t1: Number = None
    f0: Number = None
    f1: Number = None
    logprob: Number = None
    confidence: Probability = None


class WordIn(_Tolerant):
    text: str
    t0: Number = None
    t1: Number = None
    logprob: Number = None
    confidence: Probability = None


class HypothesisIn(_Tolerant):
    text: str
    rank: Integer = None
    score: Number = None
    confidence: Probability = None
    tokens: list[Any] = Field(default_factory=list)


class SegmentIn(_Tolerant):
    id: str
    text: str
    start: Number = None
    end: Number = None
    confidence: Probability = None
    no_speech_prob: Probability = None
    frame_entropy: Number = None
    tokens: list[TokenIn] = Field(default_factory=list)
    words: list[WordIn] = Field(default_factory=list)
    nbest: list[HypothesisIn] = Field(default_factory=list)

    def to_input(self) -> SegmentInput:
        def evidence(unit: TokenIn | WordIn) -> WordEvidence:
            return WordEvidence(unit.text, unit.confidence, unit.logprob, unit.t0, unit.t1)

        nbest = tuple(Hypothesis(h.text, h.rank if h.rank is not None else i + 1, h.score, h.confidence)
                      for i, h in enumerate(self.nbest))
        return SegmentInput(self.id, self.text, self.start, self.end, self.confidence, self.no_speech_prob,
                            tuple(evidence(w) for w in self.words), tuple(evidence(t) for t in self.tokens), nbest)


SPEC_EXAMPLE: dict[str, Any] = {
    "request_id": "req_20241226_143022_a1b2c3d4",
    "model_version": {"av_asr": "av-asr-0.9.3"},
    "media": {"duration_sec": 10.5, "sample_rate": 16000, "fps": 25},
    "encoders": {"audio": {"name": "wav2vec2", "frame_hop_ms": 20, "feat_dim": 768}},
    "decoder": {"type": "enhanced_ctc_beam", "beam_size": 5, "lm_weight": 0.6, "blank_id": 0,
                "confidence_threshold": 0.01},
    "segments": [{
        "id": "seg_00000", "start": 0.0, "end": 2.0,
        "text": "지금부 훼의을 시작하겠읍다",
        "confidence": 0.893, "no_speech_prob": 0.02, "frame_entropy": 0.156,
        "tokens": [{"text": "지금", "t0": 0.0, "t1": 0.4, "f0": 0, "f1": 10, "logprob": -0.023, "confidence": 0.95}],
        "words": [{"text": "지금부터", "t0": 0.0, "t1": 0.6, "logprob": -0.034, "confidence": 0.93}],
        "nbest": [
            {"rank": 1, "text": "지금부터 회의를 시작하겠습니다", "score": -2.456, "confidence": 0.893, "tokens": []},
            {"rank": 2, "text": "지금부터 홈페이지를 시작하겠습니다", "score": -4.123, "confidence": 0.156, "tokens": []},
        ],
    }],
    "hotwords": ["회의", "안건", "스프린트", "킥오프"],
    "domain_lexicon": ["회의", "회의실", "회의록", "발표", "프로젝트"],
}


class CorrectionRequest(_Tolerant):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [SPEC_EXAMPLE]})

    request_id: Optional[str] = None
    model_version: Optional[dict[str, Any]] = None
    media: Optional[dict[str, Any]] = None
    encoders: Optional[dict[str, Any]] = None
    decoder: Optional[dict[str, Any]] = None
    segments: list[SegmentIn]
    hotwords: list[str] = Field(default_factory=list)
    domain_lexicon: list[str] = Field(default_factory=list)

    def terms(self) -> TermLists:
        return TermLists(tuple(self.hotwords), tuple(self.domain_lexicon))


class EditOut(BaseModel):
    start: int
    end: int
    before: str
    after: str
    source: EditSource
    score: float = 0.0

    @classmethod
    def of(cls, edit: Edit) -> "EditOut":
        return cls(start=edit.start, end=edit.end, before=edit.before, after=edit.after, source=edit.source,
                   score=edit.score)


class SegmentOut(BaseModel):
    id: str
    start: Optional[float] = None
    end: Optional[float] = None
    original: str
    picked_candidate: str
    gain: float
    corrected: str
    edits: list[EditOut]
    status: SegmentStatus = "corrected"

    @classmethod
    def of(cls, result: SegmentResult) -> "SegmentOut":
        return cls(id=result.id, start=result.start, end=result.end, original=result.original,
                   picked_candidate=result.picked_candidate, gain=result.gain, corrected=result.corrected,
                   edits=[EditOut.of(e) for e in result.edits], status=result.status)


class CorrectionResponse(BaseModel):
    request_id: Optional[str] = None
    model_version: Optional[dict[str, Any]] = None
    segments: list[SegmentOut]
