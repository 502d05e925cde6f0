"""Test-wide set-up.

* One process per app: each app would otherwise start a helper process that loads its own models;
  `tests/test_parallel.py` covers the two-process path on its own.
* One Kiwi per test session: every app, pipeline and CLI run in the test process shares the Kiwi toolkit loaded
  first (one per worker count and typo threshold). Loading one takes seconds and about half a gigabyte, and the
  suite starts dozens of apps; what Kiwi answers does not depend on who asked before (its caches only memoise).
  Processes the tests start (live servers, helper processes) load their own, as in production.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("EC_PROCESSES", "1")

import service.resources  # noqa: E402  (after the environment default above)

_load_kiwi = service.resources.KiwiToolkit
_kiwis: dict[tuple, object] = {}


def shared_kiwi(**options):
    """`KiwiToolkit(**options)`, loaded once per distinct options for the whole session."""
    key = tuple(sorted(options.items()))
    if key not in _kiwis:
        _kiwis[key] = _load_kiwi(**options)
    return _kiwis[key]


@pytest.fixture(scope="session")
def kiwi_toolkit():
    """The session's Kiwi toolkit as the service loads it (tests of single stages use this one too)."""
    from config import load_settings
    settings = load_settings({})
    return shared_kiwi(num_workers=settings.KIWI_WORKERS, typo_cost_threshold=settings.TYPO_COST_THRESHOLD)


@pytest.fixture(scope="session", autouse=True)
def one_kiwi_per_session():
    patch = pytest.MonkeyPatch()
    patch.setattr(service.resources, "KiwiToolkit", shared_kiwi)
    yield
    patch.undo()
