"""POST /ec/correct: validate, run the pipeline, shape the response."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from config import Settings
from routes.bounds import check_segments, check_terms
from routes.deps import get_settings
from routes.dispatch import correct_segments
from schema.correct import CorrectionRequest, CorrectionResponse, SegmentOut

router = APIRouter(tags=["correction"])


@router.post("/ec/correct", response_model=CorrectionResponse,
             summary="Correct a request of ASR segments",
             responses={413: {"description": "over a configured bound"},
                        422: {"description": "malformed request; the message names the field"}})
async def correct(
    body: CorrectionRequest,
    request: Request,
    settings: Settings = Depends(get_settings),
) -> CorrectionResponse:
    terms = check_terms(body.hotwords, body.domain_lexicon, settings)
    segments = [s.to_input() for s in body.segments]
    check_segments(segments, settings)
    # Through the bounded worker pool and within the time budget (503 when full; "timeout" segments when late).
    results = await correct_segments(request, segments, terms)
    return CorrectionResponse(request_id=body.request_id, model_version=body.model_version,
                              segments=[SegmentOut.of(r) for r in results])
