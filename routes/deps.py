"""How routes reach what the lifespan hook loaded (never import-time globals)."""
from __future__ import annotations

from fastapi import Request

from config import Settings
from service.resources import ServiceResources


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_resources(request: Request) -> ServiceResources:
    return request.app.state.resources
