"""Production middleware: request ids, access log and metrics; API keys; CORS; body size and JSON depth.

Pure ASGI middleware (no BaseHTTPMiddleware): it sees every route, including ones added later, and costs
nothing per request beyond what it checks. Order, outermost first:

    request context (id, log, metrics, last-resort 500) → CORS → API key → body limit → the app

CORS sits outside the key check so a browser's preflight is answered and a 401 still carries CORS headers.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from array import array
from itertools import accumulate
from typing import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.routing import Match

from config import Settings
from observability.context import accept_or_make_request_id, request_id_var
from observability.metrics import ServiceMetrics
from service.worker_pool import PoolSaturated

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("ec.access")
error_log = logging.getLogger("ec.error")

HEALTH_PATHS = frozenset({"/healthz", "/v2/health"})
# Keys this module leaves in the request scope's state: when the body was read (the time budget starts
# there) and whether the client disconnected before sending it all.
BODY_READ_AT = "ec_body_read_at"
CLIENT_GONE = "ec_client_gone"
# The status logged and counted for a request whose client left before it could be answered (nginx's 499).
CLIENT_CLOSED_REQUEST = 499


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _send_json(send: Send, status: int, body: dict, headers: Iterable[tuple[str, str]] = ()) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


def _error(field: str, message: str, **extra: object) -> dict:
    return {"detail": [{"field": field, "message": message, **extra}], "message": f"{field}: {message}",
            "request_id": request_id_var.get()}


def _route_template(scope: Scope) -> str:
    """The route's path template (bounded label cardinality), also for requests refused before routing."""
    route = scope.get("route")
    if route is None and scope.get("app") is not None:
        for candidate in _leaf_routes(scope["app"].router):
            if candidate.matches(scope)[0] != Match.NONE:
                route = candidate
                break
    return getattr(route, "path", None) or "unmatched"


def _leaf_routes(router) -> Iterable:
    """The routes themselves, also those of included routers (which FastAPI wraps in an object of its own)."""
    for route in router.routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner)
        else:
            yield route


class RequestContextMiddleware:
    """A request id (the client's `X-Request-ID` when well-formed, else a new one) for the logs and the
    response header; one access-log line and the request metrics per request; a JSON 500 (never a traceback)
    when something below fails."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_or_make_request_id(_header(scope, b"x-request-id"))
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"x-request-id", request_id.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if status["sent"]:
                raise
            await _send_json(send_with_id, 500, _error("server", "internal error; quote the request id"))
        finally:
            if not status["sent"] and scope.get("state", {}).get(CLIENT_GONE):
                status["code"] = CLIENT_CLOSED_REQUEST
            seconds = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.observe_request(route, scope.get("method", ""), status["code"], seconds)
            access_log.info("%s %s %d %.1f ms", scope.get("method"), scope.get("path"), status["code"],
                            seconds * 1000, extra={"route": route, "status": status["code"],
                                                   "duration_ms": round(seconds * 1000, 1)})
            request_id_var.reset(token)


class ApiKeyMiddleware:
    """Every route but the health checks needs `X-API-Key` with one of the configured keys (401 otherwise).

    Keys are compared as SHA-256 digests with `hmac.compare_digest`, against every key, so neither the
    timing nor the length of a wrong key tells anything about the right ones."""

    def __init__(self, app: ASGIApp, keys: Iterable[str], open_paths: frozenset[str] = HEALTH_PATHS) -> None:
        self.app = app
        self.digests = [hashlib.sha256(k.encode("utf-8")).digest() for k in keys if k]
        self.open_paths = open_paths

    def _allowed(self, provided: str | None) -> bool:
        digest = hashlib.sha256((provided or "").encode("utf-8", "surrogateescape")).digest()
        matched = False
        for known in self.digests:
            matched |= hmac.compare_digest(digest, known)
        return matched and provided is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.open_paths or not self.digests:
            await self.app(scope, receive, send)
            return
        if not self._allowed(_header(scope, b"x-api-key")):
            await _send_json(send, 401, _error("X-API-Key", "missing or unknown API key"),
                             headers=[("WWW-Authenticate", 'ApiKey header="X-API-Key"')])
            return
        await self.app(scope, receive, send)


_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but the brackets (to delete)
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes


# A \uXXXX escape of a UTF-16 surrogate that is not half of a pair: Python's parser lets it through as a lone
# surrogate, which Kiwi cannot read and no UTF-8 response can carry (any echoed field would become a 500).
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def replace_lone_surrogates(body: bytes) -> bytes:
    """Lone surrogate escapes become U+FFFD (the replacement character), as a UTF-8 decoder would do."""
    return _LONE_SURROGATE.sub(rb"\\ufffd", body) if b"\\u" in body else body


def json_depth(body: bytes) -> int:
    """How deep a JSON document nests, in linear time and without recursion (so before the parser does)."""
    if body.count(b"[") + body.count(b"{") == 0:
        return 0
    # Escaped backslashes first, then escaped quotes; every quote left opens or closes a string.
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[0::2])
    steps = array("b", outside_strings.translate(None, _BRACKETS).translate(_DEPTH_STEP))
    return max(accumulate(steps), default=0)


class BodyLimitMiddleware:
    """The body is read here, up to `MAX_BODY_BYTES` (413 beyond, before any parsing; a declared
    Content-Length over the bound is refused without reading), and JSON deeper than `MAX_JSON_DEPTH` is
    refused (422) before the parser and the response encoder would recurse through it. Lone UTF-16 surrogate
    escapes are replaced (see `replace_lone_surrogates`)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int) -> None:
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _send_json(send, 400, _error("Content-Length", "not a number"))
                return
            if int(declared) > self.max_bytes:
                await self._too_large(send, int(declared))
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The client left before its body was complete: nothing to answer, and not a server error.
                scope.setdefault("state", {})[CLIENT_GONE] = True
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send, size)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # The time budget starts here: a client that uploads slowly spends its own time, not the budget.
        scope.setdefault("state", {})[BODY_READ_AT] = time.monotonic()
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if body and (content_type == "application/json" or content_type.endswith("+json")):
            body = replace_lone_surrogates(body)
            depth = json_depth(body)
            if depth > self.max_depth:
                await _send_json(send, 422, _error(
                    "body", f"JSON nested {depth} levels deep, more than the bound of {self.max_depth}",
                    bound=self.max_depth, actual=depth))
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, actual: int) -> None:
        await _send_json(send, 413, _error("body", f"{actual} bytes, more than the bound of {self.max_bytes}",
                                           bound=self.max_bytes, actual=actual),
                         headers=[("Connection", "close")])


def install_production(app: FastAPI, settings: Settings, metrics: ServiceMetrics) -> None:
    """Metrics, middleware and the 503 handler; called once by `create_app`."""
    app.state.metrics = metrics

    @app.exception_handler(PoolSaturated)
    async def on_saturated(request: Request, exc: PoolSaturated) -> JSONResponse:
        metrics.pool_rejections.inc()
        return JSONResponse(status_code=503, content=_error("service", str(exc)),
                            headers={"Retry-After": str(exc.retry_after_s)})

    # add_middleware puts each one outside the ones before it: innermost first.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.MAX_BODY_BYTES, max_depth=settings.MAX_JSON_DEPTH)
    if settings.API_KEYS:
        app.add_middleware(ApiKeyMiddleware, keys=settings.API_KEYS)
    if settings.CORS_ORIGINS:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.CORS_ORIGINS), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"], max_age=600)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
