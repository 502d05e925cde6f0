"""HTTP edge of the format endpoints: Whisper verbose_json and Vosk results, validated tolerantly.

Every model keeps unknown fields (`extra="allow"`): the answer is the client's own document with the text
corrected, so fields this service does not know (`seek`, `tokens`, `temperature`, `spk`...) must come back.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from schema.correct import EditOut, Number, Probability


def split_terms(value: Any) -> Any:
    """Terms as a list, or as one string separated by newlines or commas (form fields, files)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[\n,]", value) if t.strip()]
    return value


Terms = Annotated[list[str], BeforeValidator(split_terms)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class WhisperWord(_Open):
    word: str
    start: Number = None
    end: Number = None
    probability: Probability = None


class WhisperSegment(_Open):
    id: Optional[Union[int, str]] = None
    start: Number = None
    end: Number = None
    text: str
    avg_logprob: Number = None
    no_speech_prob: Probability = None
    words: Optional[list[WhisperWord]] = None


WHISPER_EXAMPLE: dict[str, Any] = {
    "task": "transcribe", "language": "ko", "duration": 4.2,
    "text": " 지금부터 훼의을 시작하겠습니다.",
    "segments": [{
        "id": 0, "seek": 0, "start": 0.0, "end": 4.2, "text": " 지금부터 훼의을 시작하겠습니다.",
        "tokens": [50364, 36055], "temperature": 0.0, "avg_logprob": -0.42, "compression_ratio": 0.9,
        "no_speech_prob": 0.01,
        "words": [
            {"word": " 지금부터", "start": 0.0, "end": 0.9, "probability": 0.97},
            {"word": " 훼의을", "start": 0.9, "end": 1.8, "probability": 0.41},
            {"word": " 시작하겠습니다.", "start": 1.8, "end": 4.2, "probability": 0.93},
        ],
    }],
    "hotwords": ["회의", "안건"],
    "domain_lexicon": ["회의록", "발표"],
}


class WhisperRequest(_Open):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [WHISPER_EXAMPLE]})

    text: Optional[str] = None
    language: Optional[str] = None
    segments: list[WhisperSegment]
    hotwords: Terms = Field(default_factory=list)
    domain_lexicon: Terms = Field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The transcription as the client sent it, without this service's own fields."""
        return self.model_dump(exclude_unset=True, exclude={"hotwords", "domain_lexicon"})


class WhisperSegmentOut(WhisperSegment):
    original_text: str
    edits: list[EditOut]


class WhisperResponse(_Open):
    text: Optional[str] = None
    language: Optional[str] = None
    segments: list[WhisperSegmentOut]
    changed_segments: int


class VoskWord(_Open):
    word: str
    start: Number = None
    end: Number = None
    conf: Probability = None


class VoskAlternative(_Open):
    text: str = ""
    confidence: Number = None
    result: list[VoskWord] = Field(default_factory=list)


class VoskUtterance(_Open):
    text: Optional[str] = None
    result: Optional[list[VoskWord]] = None
    alternatives: Optional[list[VoskAlternative]] = None

    @model_validator(mode="after")
    def _has_a_hypothesis(self) -> "VoskUtterance":
        if self.text is None and self.result is None and not self.alternatives and not getattr(self, "results", None):
            raise ValueError("a Vosk result needs `text`, `result` or `alternatives`")
        return self


VOSK_EXAMPLE: dict[str, Any] = {
    "result": [
        {"conf": 0.98, "start": 0.0, "end": 0.8, "word": "지금부터"},
        {"conf": 0.42, "start": 0.8, "end": 1.5, "word": "훼의을"},
        {"conf": 0.95, "start": 1.5, "end": 2.6, "word": "시작하겠습니다"},
    ],
    "text": "지금부터 훼의을 시작하겠습니다",
    "hotwords": ["회의"],
}


class VoskRequest(VoskUtterance):
    """One final result, or several as `results`; `hotwords` and `domain_lexicon` ride along."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [VOSK_EXAMPLE]})

    results: Optional[list[VoskUtterance]] = None
    hotwords: Terms = Field(default_factory=list)
    domain_lexicon: Terms = Field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"hotwords", "domain_lexicon"})
