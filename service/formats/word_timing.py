"""Word timings after an edit, so a client can rebuild word-level highlighting.

The rule: when a span of words is replaced, the new words share the replaced span's time, from the first
replaced word's start to the last one's end, split in proportion to their lengths (letters, not spaces).
Words no edit touches keep their own text and times.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Sequence

from service.text import compact
from service.text_spans import apply_edits
from service.types import Edit


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class RetimedWord:
    text: str
    start: float | None
    end: float | None
    replaces: tuple[int, ...]  # indices of the original words this one stands for
    changed: bool = False


def locate_words(text: str, words: Sequence[TimedWord]) -> list[tuple[int, int]]:
    """Each word's character span in `text`, in order (a word not found gets an empty span where it would be)."""
    spans, cursor = [], 0
    for word in words:
        needle = word.text.strip()
        at = text.find(needle, cursor) if needle else -1
        if at < 0:
            spans.append((cursor, cursor))
            continue
        spans.append((at, at + len(needle)))
        cursor = at + len(needle)
    return spans


class _WordIndex:
    """The words' spans with their starts and ends sorted (spans are in text order, so both are), for finding
    the words an edit touches by bisection: O(log W) an edit instead of a scan of every word."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def touched(self, edit: Edit) -> list[int]:
        spans = self.spans
        # Candidates: words that do not end before the edit starts and do not start after it ends.
        first = bisect_left(self.ends, edit.start)
        last = bisect_right(self.starts, edit.end)
        touched = [i for i in range(first, last)
                   if (spans[i][0] < edit.end and spans[i][1] > edit.start)
                   or (edit.start == edit.end and spans[i][0] <= edit.start <= spans[i][1])]
        if touched or not spans:
            return touched
        before = bisect_right(self.ends, edit.start) - 1  # the last word ending at or before the edit
        return [before if before >= 0 else 0]


def _split_time(start: float | None, end: float | None, texts: list[str]) -> list[tuple[float | None, float | None]]:
    if start is None or end is None or not texts:
        return [(start, end)] * len(texts)
    weights = [max(1, len(compact(t))) for t in texts]
    total, out, acc = sum(weights), [], 0
    for w in weights:
        t0 = start + (end - start) * acc / total
        acc += w
        t1 = start + (end - start) * acc / total
        out.append((round(t0, 3), round(t1, 3)))
    return out


def retime(original: str, words: Sequence[TimedWord], edits: Sequence[Edit]) -> list[RetimedWord]:
    """The words of `original` after `edits` (offsets in `original`), with timings by the rule above."""
    if not words:
        return []
    spans = locate_words(original, words)
    index = _WordIndex(spans)
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    groups: list[list[int]] = []  # [first word, last word], merged where they share a word
    members: list[list[Edit]] = []  # the edits of each group
    for edit in ordered:
        touched = index.touched(edit)
        if not touched:
            continue
        lo, hi = min(touched), max(touched)
        if groups and lo <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], hi)
            members[-1].append(edit)
        else:
            groups.append([lo, hi])
            members.append([edit])
    out: list[RetimedWord] = []
    next_word = 0
    for (lo, hi), inside in zip(groups, members):
        out.extend(RetimedWord(words[i].text, words[i].start, words[i].end, (i,)) for i in range(next_word, lo))
        region_start, region_end = spans[lo][0], spans[hi][1]
        region_start = min([region_start] + [e.start for e in inside])
        region_end = max([region_end] + [e.end for e in inside])
        shifted = [Edit(e.start - region_start, e.end - region_start, e.before, e.after, e.source, e.score)
                   for e in inside]
        new_texts = apply_edits(original[region_start:region_end], shifted).split()
        times = _split_time(words[lo].start, words[hi].end, new_texts)
        replaced = tuple(range(lo, hi + 1))
        out.extend(RetimedWord(t, t0, t1, replaced, True) for t, (t0, t1) in zip(new_texts, times))
        next_word = hi + 1
    out.extend(RetimedWord(words[i].text, words[i].start, words[i].end, (i,)) for i in range(next_word, len(words)))
    return out
