"""GET /metrics: Prometheus text format (behind the API key when keys are configured)."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    service_metrics = request.app.state.metrics
    return Response(service_metrics.render(), media_type=service_metrics.content_type)
