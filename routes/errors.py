"""Client mistakes become 4xx answers that name the field; nothing a client sends becomes a 500.

Every error answer has one shape (`schema/errors.py`): `detail` (a list naming the fields at fault, or the
framework's string for 404/405), `message` (one line for a person) and `request_id` (to quote in a report).
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from observability.context import request_id_var


class BoundExceeded(Exception):
    """A request over a configured bound (413)."""

    def __init__(self, field: str, bound: int, actual: int, what: str) -> None:
        self.field, self.bound, self.actual = field, bound, actual
        super().__init__(f"{field}: {actual} {what}, more than the bound of {bound}")


def error_body(problems: list[dict[str, Any]] | str, message: str) -> dict[str, Any]:
    return {"detail": problems, "message": message, "request_id": request_id_var.get()}


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) if parts else "body"


def _unreadable_body(cause: BaseException | None) -> str:
    """Why a body the framework could not parse was unreadable, in words (its parser's own message)."""
    if isinstance(cause, UnicodeDecodeError):
        return (f"body is not valid UTF-8 (byte 0x{cause.object[cause.start]:02x} at offset {cause.start})"
                if cause.start < len(cause.object) else "body is not valid UTF-8")
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        return "body holds an integer of more than 4,300 digits"
    if cause is not None and str(cause):
        return f"body could not be parsed ({str(cause)[:200]})"
    return "body could not be parsed"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            field = _field_path(tuple(error.get("loc", ())))
            message = error.get("msg", "invalid")
            if error.get("type") == "json_invalid":
                field = "body"
                message = f"body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
            problems.append({"field": field, "message": message, "type": error.get("type")})
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse(status_code=422, content=error_body(problems, summary))

    @app.exception_handler(BoundExceeded)
    async def on_bound(request: Request, exc: BoundExceeded) -> JSONResponse:
        return JSONResponse(status_code=413, content=error_body(
            [{"field": exc.field, "message": str(exc), "bound": exc.bound, "actual": exc.actual}], str(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The framework's 400s are all bodies it could not parse: FastAPI's "error parsing the body" (invalid
            # UTF-8, an integer of more than 4,300 digits) and Starlette's broken multipart bodies. The same
            # kind of mistake as malformed JSON, answered the same way (422).
            message = _unreadable_body(exc.__cause__) if exc.__cause__ is not None else \
                f"body could not be parsed ({exc.detail})"
            return JSONResponse(status_code=422, content=error_body(
                [{"field": "body", "message": message, "type": "body_unreadable"}], f"body: {message}"))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse(status_code=exc.status_code, content=error_body(detail, detail),
                            headers=getattr(exc, "headers", None))
