"""SRT and WebVTT files through the pipeline: same cues out as in (count, order, timings, indices, identifiers,
cue settings, styling), only the words corrected.

Parsing and writing are the `srt` and `webvtt-py` libraries' (strict modes, so a broken file is reported, not
silently dropped); this module only swaps cue text.
"""
from __future__ import annotations

import ast
import re
from datetime import timedelta
from dataclasses import dataclass, field
from typing import Callable, Literal

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from service.formats.cue_text import CueLayout
from service.formats.runner import Corrector, TextCorrection, correct_texts
from service.types import Edit, SegmentInput, TermLists

SubtitleFormat = Literal["srt", "vtt"]
FORMATS: tuple[str, ...] = ("srt", "vtt")
MEDIA_TYPES = {"srt": "application/x-subrip; charset=utf-8", "vtt": "text/vtt; charset=utf-8"}


class SubtitleError(ValueError):
    """A file that cannot be read as the subtitle format it claims to be; `line` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass
class Cue:
    """A cue as the pipeline sees it: an id, timings in seconds, and its text layout."""

    id: str
    start: float
    end: float
    layout: CueLayout


@dataclass
class SubtitleDocument:
    format: str
    cues: list[Cue]
    native: object  # list[srt.Subtitle] or webvtt.WebVTT, written back with the corrected lines
    eol: str = "\n"


@dataclass
class CueChange:
    index: int
    id: str
    before: str
    after: str
    edits: list[Edit] = field(default_factory=list)


@dataclass
class SubtitleOutcome:
    text: str
    format: str
    cues: int
    changes: list[CueChange]


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM); subtitle files made on Korean Windows are often CP949."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SubtitleError("the file is neither UTF-8 nor CP949 text")


def detect_format(text: str, filename: str | None = None) -> str:
    """By the file's content first (a WebVTT file must start with WEBVTT), then by its extension."""
    if text.lstrip("\ufeff").startswith("WEBVTT"):
        return "vtt"
    suffix = (filename or "").rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    if suffix == "vtt":
        return "vtt"  # claims to be WebVTT but lacks the header: parse_vtt says so
    return "srt"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_srt(text: str) -> SubtitleDocument:
    body = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not body.strip():
        raise SubtitleError("the file has no subtitles")
    try:
        subtitles = list(srt.parse(body, ignore_errors=False))
    except srt.SRTParseError as exc:
        # The library reports the stretch it could not match; its first lines are the broken block.
        snippet = " / ".join(exc.unmatched_content.strip().splitlines()[:2])[:80]
        raise SubtitleError(f"the subtitle block starting here is not valid SRT ({snippet!r})",
                            _line_of(body, exc.expected_start)) from exc
    except (ValueError, TypeError) as exc:
        raise SubtitleError(f"not a valid SRT file ({exc})") from exc
    if not subtitles:
        raise SubtitleError("the file has no subtitles")
    cues = [Cue(str(s.index), s.start.total_seconds(), s.end.total_seconds(),
                CueLayout.from_lines(s.content.split("\n") if s.content else [])) for s in subtitles]
    return SubtitleDocument("srt", cues, subtitles, "\r\n" if "\r\n" in text else "\n")


def _vtt_block_line(text: str, message: str) -> int | None:
    """The line where the block named in webvtt-py's "Invalid cue block [...]" message starts."""
    match = re.search(r"(\[.*\])\s*$", message, re.DOTALL)
    if not match:
        return None
    try:
        block = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return None
    lines = text.split("\n")
    for i in range(len(lines)):
        if lines[i:i + len(block)] == block:
            return i + 1
    return None


def parse_vtt(text: str) -> SubtitleDocument:
    body = text.lstrip("\ufeff").replace("\r\n", "\n")
    try:
        document = webvtt.WebVTT.from_string(body, strict=True)
    except MalformedFileError as exc:
        raise SubtitleError("not a WebVTT file: the first line must start with WEBVTT", 1) from exc
    except MalformedCaptionError as exc:
        raise SubtitleError(f"not a valid WebVTT cue ({str(exc)[:120]})", _vtt_block_line(body, str(exc))) from exc
    except (ValueError, TypeError) as exc:
        raise SubtitleError(f"not a valid WebVTT file ({exc})") from exc
    if not document.captions:
        raise SubtitleError("the file has no cues")
    cues = [Cue(c.identifier or str(i + 1), c.start_in_seconds, c.end_in_seconds, CueLayout.from_lines(c.lines))
            for i, c in enumerate(document.captions)]
    return SubtitleDocument("vtt", cues, document, "\r\n" if "\r\n" in text else "\n")


def parse_subtitle(text: str, filename: str | None = None) -> SubtitleDocument:
    return parse_vtt(text) if detect_format(text, filename) == "vtt" else parse_srt(text)


def segments_of(document: SubtitleDocument) -> list[SegmentInput]:
    # Cues carry no recogniser evidence: the pipeline falls back to its language model and the term lists.
    return [SegmentInput(id=cue.id, text=cue.layout.plain, start=cue.start, end=cue.end) for cue in document.cues]


def write_subtitle(document: SubtitleDocument, cue_lines: list[list[str]], output_format: str | None = None) -> str:
    """The document with each cue's lines replaced, in `output_format` (default: the document's own)."""
    output_format = output_format or document.format
    if document.format == "srt":
        subtitles = [srt.Subtitle(s.index, s.start, s.end, "\n".join(lines), s.proprietary)
                     for s, lines in zip(document.native, cue_lines)]
        if output_format == "srt":
            text = srt.compose(subtitles, reindex=False)
        else:
            captions = [webvtt.Caption(_vtt_time(s.start.total_seconds()), _vtt_time(s.end.total_seconds()),
                                       lines, identifier=str(s.index))
                        for s, lines in zip(subtitles, cue_lines)]
            text = webvtt.WebVTT(captions=captions).content
    else:
        vtt = document.native
        for caption, lines in zip(vtt.captions, cue_lines):
            caption.lines = list(lines)
        if output_format == "vtt":
            text = vtt.content
        else:
            subtitles = [srt.Subtitle(i + 1, timedelta(seconds=c.start_in_seconds),
                                      timedelta(seconds=c.end_in_seconds), "\n".join(srt_lines(c.lines)))
                         for i, c in enumerate(vtt.captions)]
            text = srt.compose(subtitles, reindex=False)
    return text.replace("\n", document.eol) if document.eol != "\n" else text


# WebVTT markup SRT does not have: voice (<v Bob>), class (<c.yellow>), language, ruby and timestamp tags.
# SRT players would show them as text; the styling SRT shares (<i>, <b>, <u>) stays.
_VTT_ONLY_TAG = re.compile(r"</?(?:v|c|lang|ruby|rt)(?:[.\s][^<>]*)?>|<\d{2,}:\d{2}(?::\d{2})?\.\d{3}>")


def srt_lines(vtt_lines: list[str]) -> list[str]:
    """A WebVTT cue's lines for an SRT file: WebVTT-only tags removed (a line left empty by that goes too)."""
    out = []
    for line in vtt_lines:
        cleaned = _VTT_ONLY_TAG.sub("", line)
        if cleaned.strip() or not line.strip():
            out.append(cleaned)
    return out


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def correct_subtitle(
    corrector: Corrector,
    document: SubtitleDocument,
    terms: TermLists,
    output_format: str | None = None,
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
) -> SubtitleOutcome:
    corrections = correct_texts(corrector, segments_of(document), terms, batch_size, on_progress=on_progress)
    return render_subtitle(document, corrections, output_format)


def render_subtitle(document: SubtitleDocument, corrections: list[TextCorrection],
                    output_format: str | None = None) -> SubtitleOutcome:
    """The document with each cue's text replaced by its correction, layout and markup restored."""
    cue_lines: list[list[str]] = []
    changes: list[CueChange] = []
    for i, (cue, correction) in enumerate(zip(document.cues, corrections)):
        lines = cue.layout.render(correction.text, correction.edits)
        cue_lines.append(lines)
        if correction.changed:
            changes.append(CueChange(i, cue.id, cue.layout.plain, correction.text, correction.edits))
    text = write_subtitle(document, cue_lines, output_format)
    return SubtitleOutcome(text, output_format or document.format, len(document.cues), changes)
