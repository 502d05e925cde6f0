"""POST /ec/correct: validate, run the pipeline, shape the response."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from config import Settings
from routes.deps import get_settings
from routes.dispatch import correct_segments
from routes.errors import BoundExceeded
from schema.correct import CorrectionRequest, CorrectionResponse, SegmentOut

router = APIRouter(tags=["correction"])


def check_bounds(body: CorrectionRequest, settings: Settings) -> None:
    if len(body.segments) > settings.MAX_SEGMENTS:
        raise BoundExceeded("segments", settings.MAX_SEGMENTS, len(body.segments), "segments")
    for i, segment in enumerate(body.segments):
        if len(segment.text) > settings.MAX_TEXT_CHARS:
            raise BoundExceeded(f"segments.{i}.text", settings.MAX_TEXT_CHARS, len(segment.text), "characters")
        if len(segment.nbest) > settings.MAX_NBEST * 4:
            raise BoundExceeded(f"segments.{i}.nbest", settings.MAX_NBEST * 4, len(segment.nbest), "hypotheses")
    if len(body.hotwords) > settings.MAX_HOTWORDS:
        raise BoundExceeded("hotwords", settings.MAX_HOTWORDS, len(body.hotwords), "hotwords")
    if len(body.domain_lexicon) > settings.MAX_LEXICON:
        raise BoundExceeded("domain_lexicon", settings.MAX_LEXICON, len(body.domain_lexicon), "terms")


@router.post("/ec/correct", response_model=CorrectionResponse,
             summary="Correct a request of ASR segments",
             responses={413: {"description": "over a configured bound"},
                        422: {"description": "malformed request; the message names the field"}})
async def correct(
    body: CorrectionRequest,
    request: Request,
    settings: Settings = Depends(get_settings),
) -> CorrectionResponse:
    check_bounds(body, settings)
    segments = [s.to_input() for s in body.segments]
    # Through the bounded worker pool and within the time budget (503 when full; "timeout" segments when late).
    results = await correct_segments(request, segments, body.terms())
    return CorrectionResponse(request_id=body.request_id, model_version=body.model_version,
                              segments=[SegmentOut.of(r) for r in results])
