"""The id of the request being served, visible to every log line written while serving it.

A context variable rather than a thread-local: the middleware sets it in the request's task, and the worker
pool copies the context into its threads, so the pipeline's own log lines carry the id too.
"""
from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# A client may bring its own id (a trace across services); anything else is replaced, so a header cannot
# inject text into the logs.
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def accept_or_make_request_id(client_value: str | None) -> str:
    if client_value and _CLIENT_ID.fullmatch(client_value):
        return client_value
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()
