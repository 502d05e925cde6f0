"""Test-wide settings: one process per app (each app would otherwise start a helper process that loads its
own models); `tests/test_parallel.py` covers the two-process path on its own."""
from __future__ import annotations

import os

os.environ.setdefault("EC_PROCESSES", "1")
