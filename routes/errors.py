"""Client mistakes become 4xx answers that name the field; nothing a client sends becomes a 500."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class BoundExceeded(Exception):
    """A request over a configured bound (413)."""

    def __init__(self, field: str, bound: int, actual: int, what: str) -> None:
        self.field, self.bound, self.actual = field, bound, actual
        super().__init__(f"{field}: {actual} {what}, more than the bound of {bound}")


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) if parts else "body"


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
        return JSONResponse(status_code=422, content={"detail": problems, "message": summary})

    @app.exception_handler(BoundExceeded)
    async def on_bound(request: Request, exc: BoundExceeded) -> JSONResponse:
        return JSONResponse(status_code=413, content={
            "detail": [{"field": exc.field, "message": str(exc), "bound": exc.bound, "actual": exc.actual}],
            "message": str(exc)})
