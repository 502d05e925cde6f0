"""Health checks and the root page (the frontend warms the service up through all three)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from config import Settings
from routes.deps import get_resources, get_settings
from schema.health import HealthResponse, RootResponse
from service.resources import ServiceResources

router = APIRouter(tags=["health"])


def _health(resources: ServiceResources, settings: Settings) -> HealthResponse:
    return HealthResponse(status="ok", version=settings.VERSION, tiers=dict(resources.tiers),
                          problems=dict(resources.problems))


@router.get("/healthz", response_model=HealthResponse)
async def healthz(resources: ServiceResources = Depends(get_resources),
                  settings: Settings = Depends(get_settings)) -> HealthResponse:
    return _health(resources, settings)


@router.get("/v2/health", response_model=HealthResponse)
async def health_v2(resources: ServiceResources = Depends(get_resources),
                    settings: Settings = Depends(get_settings)) -> HealthResponse:
    return _health(resources, settings)


@router.get("/", response_model=RootResponse)
async def root(request: Request, settings: Settings = Depends(get_settings)) -> RootResponse:
    return RootResponse(name="korean-subtitle-correction", version=settings.VERSION, docs="/docs",
                        health="/v2/health", openapi="/openapi.json")
