from __future__ import annotations

from pydantic import BaseModel


class HealthResponse(BaseModel):
    status: str
    version: str
    tiers: dict[str, str]
    problems: dict[str, str] = {}


class RootResponse(BaseModel):
    name: str
    version: str
    docs: str
    health: str
    openapi: str
