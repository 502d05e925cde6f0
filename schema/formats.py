"""HTTP edge of the format endpoints: Whisper verbose_json and Vosk results, validated tolerantly.

Every model keeps unknown fields (`extra="allow"`): the answer is the client's own document with the text
corrected, so fields this service does not know (`seek`, `tokens`, `temperature`, `spk`...) must come back.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from schema.correct import EditOut, Number, Probability, _not_boolean


def split_terms(value: Any) -> Any:
    """Terms as a list, or as one string separated by newlines or commas (form fields, files)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[\n,]", value) if t.strip()]
    return value


# The schema says what the validator accepts: a list, one string to split, or null (no terms).
Terms = Annotated[list[str], BeforeValidator(split_terms), WithJsonSchema({
    "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "null"}],
    "description": "a list of terms, or one string of terms separated by newlines or commas"})]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class WhisperWord(_Open):
    word: str
    start: Number = None
    end: Number = None
    probability: Probability = None


class WhisperSegment(_Open):
    id: Annotated[Optional[Union[int, str]], BeforeValidator(_not_boolean)] = None
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
    status: str  # corrected, unchanged, skipped_*, or timeout (the time budget left it as it was)


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


# What makes an object a Vosk result: at least one of these keys with a value that holds a hypothesis. The
# validator and the JSON schema (`anyOf` of these branches) say the same, so `{}` is refused by both.
_HYPOTHESIS_KEYS: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "result": {"type": "array"},
    "alternatives": {"type": "array", "minItems": 1},
}


def _one_of_keys(keys: dict[str, dict[str, Any]]):
    def extra(schema: dict[str, Any]) -> None:
        schema["anyOf"] = [{"required": [key], "properties": {key: rule}} for key, rule in keys.items()]
    return extra


class VoskUtterance(_Open):
    model_config = ConfigDict(extra="allow", json_schema_extra=_one_of_keys(_HYPOTHESIS_KEYS))

    text: Optional[str] = None
    result: Optional[list[VoskWord]] = None
    alternatives: Optional[list[VoskAlternative]] = None

    def _holds_a_hypothesis(self) -> bool:
        return self.text is not None or self.result is not None or bool(self.alternatives)

    @model_validator(mode="after")
    def _has_a_hypothesis(self) -> "VoskUtterance":
        if not self._holds_a_hypothesis():
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


def _vosk_request_schema(schema: dict[str, Any]) -> None:
    _one_of_keys({**_HYPOTHESIS_KEYS, "results": {"type": "array"}})(schema)
    schema["examples"] = [VOSK_EXAMPLE]


class VoskRequest(VoskUtterance):
    """One final result, or several as `results`; `hotwords` and `domain_lexicon` ride along."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_vosk_request_schema)

    results: Optional[list[VoskUtterance]] = None
    hotwords: Terms = Field(default_factory=list)
    domain_lexicon: Terms = Field(default_factory=list)

    def _holds_a_hypothesis(self) -> bool:
        return super()._holds_a_hypothesis() or self.results is not None

    def document(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"hotwords", "domain_lexicon"})
