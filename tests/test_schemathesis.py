"""Schemathesis against the service's own OpenAPI schema: no 5xx, and every answer (status, content type,
headers, body) is what the schema documents. Bounded: a fixed number of examples per operation, derandomised
so a failure reproduces.

Operations that take multipart uploads (subtitle files) are left out: generated multipart bodies are slow to
build and their failures are about form encoding rather than the service; the subtitle routes have their own
tests. Every JSON operation in the schema, present or added later, is covered.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from tests.production_helpers import app_with, running

# The schema is read from the app at collection; its lifespan (models, pool) runs in the module fixture below,
# so collecting this module without running it starts nothing.
_app = app_with(MAX_SEGMENTS=8, MAX_TEXT_CHARS=200, REQUEST_BUDGET_S=5.0)


def _is_multipart(ctx) -> bool:
    body = (ctx.operation.definition.raw or {}).get("requestBody", {})
    return any(media.startswith("multipart/") for media in body.get("content", {}))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app).exclude(func=_is_multipart)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module", autouse=True)
def _lifespan():
    with running(_app):  # the lifespan runs once; schemathesis then calls the app in-process
        yield


# 40 examples per operation in the ordinary run; EC_SCHEMATHESIS_EXAMPLES=300 for the long one (README).
EXAMPLES = int(os.environ.get("EC_SCHEMATHESIS_EXAMPLES", "40"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_openapi_conformance(case):
    case.call_and_validate(checks=CHECKS)

