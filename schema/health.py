from __future__ import annotations

from pydantic import BaseModel, Field


class HealthResponse(BaseModel):
    status: str = Field(description="`ok`, or `degraded` while the service runs short of something it had at "
                                    "start-up (the helper process dead, hung or restarting); `problems` says what")
    version: str
    tiers: dict[str, str]
    problems: dict[str, str] = {}


class RootResponse(BaseModel):
    name: str
    version: str
    docs: str
    health: str
    openapi: str
