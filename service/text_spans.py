"""Eojeols (space-separated words) with their character offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass

_EOJEOL = re.compile(r"\S+")


@dataclass(frozen=True)
class Eojeol:
    start: int
    end: int
    text: str


def eojeols(text: str) -> list[Eojeol]:
    return [Eojeol(m.start(), m.end(), m.group()) for m in _EOJEOL.finditer(text)]


def replace_span(text: str, start: int, end: int, replacement: str) -> str:
    return text[:start] + replacement + text[end:]
