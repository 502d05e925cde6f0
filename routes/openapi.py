"""The OpenAPI schema says what the service really answers (schemathesis holds us to it).

FastAPI documents a 422 body it does not send here (our handler names the field; see routes/errors.py) and
knows nothing of the middleware's answers. This post-processing, generic over every route, documents:
the error body (`ErrorResponse`) for 422 (a malformed request, including a body that is not JSON at all);
on operations with a body, 413 (size limits), 503 (the worker pool's back-pressure) and 400 only for what
really gets it, a Content-Length header that is not a number; 401 on everything but the health checks.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from routes.middleware import HEALTH_PATHS
from schema.errors import ErrorDetail, ErrorResponse

_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _response(description: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": _REF}}}
    if headers:
        response["headers"] = headers
    return response


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorDetail"] = ErrorDetail.model_json_schema(ref_template="#/components/schemas/{model}")
        error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error_schema.pop("$defs", {}))
        components["ErrorResponse"] = error_schema
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                for code in ("400", "401", "413", "422", "503"):  # a route's own entries get the error body
                    if code in responses and (code == "422" or "content" not in responses[code]):
                        responses[code] = {**responses[code], "content": _response("")["content"]}
                if "requestBody" in operation:
                    responses.setdefault("400", _response("Content-Length header that is not a number"))
                    responses.setdefault("413", _response("Body or a field over a configured bound"))
                    responses.setdefault("422", _response(
                        "Malformed request, or a body that is not JSON; the message names the field"))
                    responses.setdefault("503", _response(
                        "Every worker busy and the queue full; retry later",
                        {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}))
                if path not in HEALTH_PATHS:
                    responses.setdefault("401", _response("Missing or unknown X-API-Key (when keys are configured)"))
        for unused in ("HTTPValidationError", "ValidationError"):
            if unused in components and unused not in str(schema.get("paths")):
                components.pop(unused)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
