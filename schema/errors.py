"""The error body every 4xx/5xx answer of the service has (documented in the OpenAPI schema)."""
from __future__ import annotations

from typing import Optional, Union

from pydantic import BaseModel, ConfigDict


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str
    message: str
    type: Optional[str] = None
    bound: Optional[int] = None
    actual: Optional[int] = None


class ErrorResponse(BaseModel):
    """`detail` is a list naming the fields at fault; framework errors (400, 404, 405) carry a plain string."""

    model_config = ConfigDict(extra="allow")

    detail: Union[list[ErrorDetail], str]
    message: Optional[str] = None
    request_id: Optional[str] = None
