"""Health checks and the root page (the frontend warms the service up through all three).

`status` is "ok", or "degraded" while the service runs short of something it had at start-up (the helper
process: dead, hung or restarting); `problems` says what, and the answer is still 200, since the service
still corrects (in one process) and a platform that restarted it would only make matters worse.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from config import Settings
from routes.deps import get_resources, get_settings
from schema.health import HealthResponse, RootResponse
from service.resources import ServiceResources

router = APIRouter(tags=["health"])


def _health(request: Request, resources: ServiceResources, settings: Settings) -> HealthResponse:
    pipeline_problems = getattr(request.app.state.pipeline, "problems", None)
    running = pipeline_problems() if callable(pipeline_problems) else {}
    return HealthResponse(status="degraded" if running else "ok", version=settings.VERSION,
                          tiers=dict(resources.tiers), problems={**resources.problems, **running})


@router.get("/healthz", response_model=HealthResponse)
async def healthz(request: Request, resources: ServiceResources = Depends(get_resources),
                  settings: Settings = Depends(get_settings)) -> HealthResponse:
    return _health(request, resources, settings)


@router.get("/v2/health", response_model=HealthResponse)
async def health_v2(request: Request, resources: ServiceResources = Depends(get_resources),
                    settings: Settings = Depends(get_settings)) -> HealthResponse:
    return _health(request, resources, settings)


@router.get("/", response_model=RootResponse)
async def root(request: Request, settings: Settings = Depends(get_settings)) -> RootResponse:
    return RootResponse(name="korean-subtitle-correction", version=settings.VERSION, docs="/docs",
                        health="/v2/health", openapi="/openapi.json")
