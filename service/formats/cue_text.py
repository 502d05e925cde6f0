"""A subtitle cue's text split into what the pipeline should read and what it must not touch.

Cue text carries styling (`<i>`, `<b>`, `<font color=..>`, `<c.yellow>`, `<v Speaker>`, `{\\an8}`), character
references (`&amp;`) and line breaks. The pipeline sees only the words: tags and references are lifted out as
anchors at character offsets of the plain text, and line breaks become the spaces they stand for. After
correction, every anchor is carried through the edits (`offsets.map_offset`) and put back, so styling survives
and a two-line cue stays two lines wherever the corrected text still has a space to break at.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Sequence

from service.formats.offsets import OffsetMap
from service.text import is_control
from service.types import Edit

# HTML-like tags (SRT and WebVTT), ASS override blocks that SRT files borrow ({\an8}, {\i1}), and character
# references. A lone "<" followed by a space is text, not a tag.
_MARKUP = re.compile(r"<[^<>\s][^<>]*>|\{\\[^{}]*\}|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _is_closing(tag: str) -> bool:
    return tag.startswith("</") or tag in ("{\\i0}", "{\\b0}", "{\\u0}", "{\\s0}")


@dataclass(frozen=True)
class Anchor:
    offset: int  # position in the plain text
    markup: str  # the tag or reference itself, written back verbatim
    order: int  # original order, for anchors that land on the same position


@dataclass
class CueLayout:
    """The plain text of a cue plus where its markup and line breaks were."""

    lines: tuple[str, ...]
    plain: str
    anchors: list[Anchor] = field(default_factory=list)
    # Offsets of the spaces in `plain` that were line breaks; -1-k for a break with no space to stand on
    # (a line holding only markup), recorded as an anchor "\n" instead.
    breaks: list[int] = field(default_factory=list)

    @classmethod
    def from_lines(cls, lines: Sequence[str]) -> "CueLayout":
        plain: list[str] = []
        anchors: list[Anchor] = []
        breaks: list[int] = []
        pending_space = False
        pending_break = False
        order = 0
        for number, line in enumerate(lines):
            if number > 0:
                pending_space = pending_space or bool(plain)
                pending_break = True
                if not plain:  # a break before any text: keep it as markup at the start
                    anchors.append(Anchor(0, "\n", order))
                    order += 1
                    pending_break = False
            cursor = 0
            for match in list(_MARKUP.finditer(line)) + [None]:
                chunk = line[cursor:match.start()] if match else line[cursor:]
                for ch in unicodedata.normalize("NFC", chunk):
                    if ch.isspace() or is_control(ch):
                        pending_space = pending_space or bool(plain)
                        continue
                    if pending_space:
                        if pending_break:
                            breaks.append(len(plain))
                            pending_break = False
                        plain.append(" ")
                        pending_space = False
                    plain.append(ch)
                if match is None:
                    break
                tag = match.group(0)
                # An opening tag after a space belongs to the next word; a closing one to the previous word.
                offset = len(plain) + (1 if pending_space and not _is_closing(tag) else 0)
                if offset > len(plain):
                    if pending_break:
                        breaks.append(len(plain))
                        pending_break = False
                    plain.append(" ")
                    pending_space = False
                anchors.append(Anchor(offset, tag, order))
                order += 1
                cursor = match.end()
        if pending_break:  # trailing lines with no text left: their breaks stay as markup at the end
            anchors.append(Anchor(len(plain), "\n", order))
        text = "".join(plain)
        if text.endswith(" "):  # a space only created by a tag at the very end; the pipeline strips it
            text = text[:-1]
            breaks = [b for b in breaks if b < len(text)]
            anchors = [Anchor(min(a.offset, len(text)), a.markup, a.order) for a in anchors]
        return cls(tuple(lines), text, anchors, breaks)

    def render(self, corrected: str, edits: Sequence[Edit]) -> list[str]:
        """The cue's lines for `corrected` (= `plain` with `edits` applied), markup and line breaks restored."""
        if corrected == self.plain:
            return list(self.lines)
        insertions: list[tuple[int, int, str]] = []
        offsets = OffsetMap(edits)
        for anchor in self.anchors:
            sticks_to = "previous" if _is_closing(anchor.markup) else "next"
            position = min(offsets(anchor.offset, sticks_to), len(corrected))
            insertions.append((position, anchor.order, anchor.markup))
        chars = list(corrected)
        spaces = [i for i, ch in enumerate(corrected) if ch == " "]  # free spaces, in order
        for break_at in self.breaks:
            target = offsets(break_at, "next")
            if not spaces:  # the correction joined the lines into one word: one line it is
                continue
            # The space nearest to where the break was (a respelled word may move it a character or two); of
            # two as near, the earlier.
            at = bisect_left(spaces, target)
            nearest = [k for k in (at - 1, at) if 0 <= k < len(spaces)]
            k = min(nearest, key=lambda k: (abs(spaces[k] - target), spaces[k]))
            chars[spaces.pop(k)] = "\n"
        out: list[str] = []
        insertions.sort()
        k = 0
        for i, ch in enumerate(chars + [""]):
            while k < len(insertions) and insertions[k][0] == i:
                out.append(insertions[k][2])
                k += 1
            out.append(ch)
        return "".join(out).split("\n")
