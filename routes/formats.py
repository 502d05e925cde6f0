"""Subtitle files and recogniser outputs in and out: POST /ec/correct/subtitle, /whisper, /vosk.

Thin like routes/correct.py: validate, turn the document into segments (service/formats), correct them
through `routes.dispatch.correct_segments` (the bounded worker pool and time budget every correcting route
shares), and write the corrections back into the client's own format.
"""
from __future__ import annotations

import math
import re
from typing import Any, Literal, Optional, Union
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from config import Settings
from routes.deps import get_settings
from routes.dispatch import correct_segments
from routes.bounds import check_segments, check_terms
from routes.errors import BoundExceeded, error_body
from schema.formats import VoskRequest, VoskUtterance, WhisperRequest, WhisperResponse, split_terms
from service.formats import subtitle as subtitles
from service.formats import vosk, whisper
from service.formats.runner import settle_all
from service.types import SegmentResult, TermLists

router = APIRouter(tags=["formats"])


def _finite(value: Any) -> Any:
    """NaN and Infinity (which Python's parser accepts in a client's extra fields) as null: valid JSON out."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _json(document: Any) -> JSONResponse:
    """The answer as a JSONResponse, rendered (in its constructor) by the worker thread that calls this."""
    try:
        return JSONResponse(document)
    except ValueError:  # NaN or Infinity somewhere
        return JSONResponse(_finite(document))


def _unreadable(field: str, message: str, line: Optional[int] = None) -> JSONResponse:
    problem: dict[str, Any] = {"field": field, "message": message}
    if line is not None:
        problem["line"] = line
    return JSONResponse(status_code=422, content=error_body([problem], f"{field}: {message}"))


# Characters no file name should carry into a Content-Disposition header or a client's file system.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"*:<>?|]+')


def corrected_name(filename: str, fmt: str) -> str:
    """The download's file name: the upload's base name (no directories: `../../etc/passwd` is `passwd`),
    without characters a file system or a header would trip over, then `.corrected.<fmt>`."""
    base = _UNSAFE_NAME.sub("", re.split(r"[/\\]", filename)[-1]).strip().lstrip(".")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'subtitles'}.corrected.{fmt}"


@router.post(
    "/ec/correct/subtitle",
    summary="Correct an SRT or WebVTT file",
    response_class=Response,
    responses={200: {"content": {"application/x-subrip": {}, "text/vtt": {}},
                     "description": "the corrected file; `X-Cues-Changed` says how many cues changed"},
               413: {"description": "file or term list over a configured bound"},
               422: {"description": "the file is not valid SRT/WebVTT; the message says where"}},
)
async def correct_subtitle(
    request: Request,
    file: UploadFile = File(..., description="an .srt or .vtt file (UTF-8 or CP949)"),
    hotwords: Optional[str] = Form(None, description="terms likely in this recording, newline- or comma-separated"),
    domain_lexicon: Optional[str] = Form(None, description="domain vocabulary, newline- or comma-separated"),
    format: Optional[Literal["srt", "vtt"]] = Form(None, description="output format (default: the input's)"),
    settings: Settings = Depends(get_settings),
) -> Response:
    data = await file.read(settings.MAX_BODY_BYTES + 1)
    if len(data) > settings.MAX_BODY_BYTES:
        raise BoundExceeded("file", settings.MAX_BODY_BYTES, len(data), "bytes")
    terms = check_terms(split_terms(hotwords), split_terms(domain_lexicon), settings)
    try:
        document = await run_in_threadpool(
            lambda: subtitles.parse_subtitle(subtitles.decode(data), file.filename))
    except subtitles.SubtitleError as exc:
        return _unreadable("file", str(exc), exc.line)
    segments = subtitles.segments_of(document)
    check_segments(segments, settings, "file.cues")

    def render(results: list[SegmentResult]) -> tuple[subtitles.SubtitleOutcome, int]:
        corrections = settle_all(segments, results)
        return (subtitles.render_subtitle(document, corrections, format),
                sum(1 for c in corrections if c.status == "timeout"))

    outcome, timed_out = await correct_segments(request, segments, terms, finish=render)
    name = corrected_name(file.filename or "subtitles", outcome.format)
    headers = {
        "X-Cues-Total": str(outcome.cues),
        "X-Cues-Changed": str(len(outcome.changes)),
        # Cues the time budget left uncorrected (returned as they were).
        "X-Cues-Timed-Out": str(timed_out),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    }
    return Response(outcome.text.encode("utf-8"), media_type=subtitles.MEDIA_TYPES[outcome.format],
                    headers=headers)


@router.post("/ec/correct/whisper", response_model=WhisperResponse, response_model_exclude_unset=False,
             summary="Correct a Whisper verbose_json transcription",
             responses={413: {"description": "over a configured bound"},
                        422: {"description": "not in Whisper's verbose_json shape; the message names the field"}})
async def correct_whisper(
    body: WhisperRequest,
    request: Request,
    settings: Settings = Depends(get_settings),
) -> Response:
    terms = check_terms(body.hotwords, body.domain_lexicon, settings)
    document = body.document()
    segments = whisper.segments_of(document)
    check_segments(segments, settings, "segments")
    # The answer (a copy of the document, words retimed) is built on the worker thread, not the event loop.
    return await correct_segments(request, segments, terms, finish=lambda results: _json(
        whisper.apply_corrections(document, settle_all(segments, results))))


@router.post("/ec/correct/vosk",
             summary="Correct a Vosk recogniser result (or a list of them)",
             responses={413: {"description": "over a configured bound"},
                        422: {"description": "not a Vosk result; the message names the field"}})
async def correct_vosk(
    body: Union[VoskRequest, list[VoskUtterance]],
    request: Request,
    settings: Settings = Depends(get_settings),
) -> Response:
    if isinstance(body, list):
        terms, document, field = TermLists(), [u.model_dump(exclude_unset=True) for u in body], ""
    else:
        terms, document = check_terms(body.hotwords, body.domain_lexicon, settings), body.document()
        field = "results" if body.results is not None else None
    segments = vosk.segments_of(document)
    check_segments(segments, settings, field, nbest_field="alternatives")
    return await correct_segments(request, segments, terms, finish=lambda results: _json(
        vosk.apply_corrections(document, settle_all(segments, results))))
