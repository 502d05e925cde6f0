"""Correct subtitle files and recogniser outputs in process, with the same pipeline the service runs.

    ec-cli correct INPUT [-o OUTPUT] [--hotwords-file F] [--lexicon-file F]      (or: python -m cli ...)

INPUT is one file or a folder. Files: `.srt`, `.vtt`, `.json` (Whisper verbose_json, a Vosk result, or an
/ec/correct request) and `.jsonl` (one /ec/correct request a line; answered one response a line). A file's
output goes to OUTPUT (a folder when it exists as one or ends with "/": the file keeps its name there), or
beside it as `NAME.corrected.EXT`; a folder's files go beside themselves or, with `-o DIR`, into DIR under the
same relative paths. Outputs of an earlier run (`NAME.corrected.EXT`) are never taken as inputs; a second run
writes them again.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

SCRIPT_NAME = "ec-cli"  # the console script pyproject.toml installs
SUFFIXES = (".srt", ".vtt", ".json", ".jsonl")
CORRECTED_MARK = ".corrected"


@dataclass
class FileReport:
    path: Path
    output: Path | None = None
    kind: str = ""
    segments: int = 0
    changed: int = 0
    punctuated: int = 0  # of the changed, those whose only change is a mark (status "punctuated")
    sources: Counter = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def read_terms(path: str | None) -> tuple[str, ...]:
    """One term a line (commas also separate); blank lines and lines starting with # are skipped."""
    if not path:
        return ()
    from schema.formats import split_terms
    lines = [line for line in Path(path).read_text(encoding="utf-8-sig").splitlines()
             if not line.lstrip().startswith("#")]
    return tuple(dict.fromkeys(split_terms("\n".join(lines))))


def find_inputs(folder: Path) -> list[Path]:
    """Every correctable file under `folder`, except outputs of an earlier run (NAME.corrected.EXT)."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in SUFFIXES and not p.stem.endswith(CORRECTED_MARK))


def output_for(source: Path, root: Path | None, out_dir: Path | None) -> Path:
    if out_dir is not None and root is not None:
        return out_dir / source.relative_to(root)
    return source.with_name(f"{source.stem}{CORRECTED_MARK}{source.suffix}")


class Corrector:
    """Reads one file, runs it through the pipeline, writes the result; counts what changed."""

    def __init__(self, pipeline: Any, hotwords: tuple[str, ...], lexicon: tuple[str, ...],
                 batch_size: int, on_segments: Callable[[str, int], None], on_progress: Callable[[int], None]):
        self.pipeline = pipeline
        self.hotwords, self.lexicon = hotwords, lexicon
        self.batch_size = batch_size
        self.on_segments, self.on_progress = on_segments, on_progress

    def _terms(self, extra_hotwords=(), extra_lexicon=()):
        from service.types import TermLists
        return TermLists(tuple(dict.fromkeys((*self.hotwords, *extra_hotwords))),
                         tuple(dict.fromkeys((*self.lexicon, *extra_lexicon))))

    def run(self, source: Path, target: Path) -> FileReport:
        report = FileReport(source, target)
        suffix = source.suffix.lower()
        if suffix in (".srt", ".vtt"):
            text = self._subtitle(source, report)
        elif suffix == ".jsonl":
            text = self._requests(source, report)
        else:
            text = self._json(source, report)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="")
        return report

    def _subtitle(self, source: Path, report: FileReport) -> str:
        from service.formats import subtitle
        document = subtitle.parse_subtitle(subtitle.decode(source.read_bytes()), source.name)
        report.kind, report.segments = document.format, len(document.cues)
        self.on_segments(source.name, len(document.cues))
        outcome = subtitle.correct_subtitle(self.pipeline, document, self._terms(), None, self.batch_size,
                                            self.on_progress)
        for change in outcome.changes:
            report.changed += 1
            report.sources.update(e.source for e in change.edits)
            report.examples.append((change.before, change.after))
        return outcome.text

    def _json(self, source: Path, report: FileReport) -> str:
        from schema.correct import CorrectionRequest
        from schema.formats import VoskRequest, VoskUtterance, WhisperRequest
        from service.formats import vosk, whisper
        doc = json.loads(source.read_text(encoding="utf-8-sig"))
        if whisper.looks_like_whisper(doc):
            request = WhisperRequest.model_validate(doc)
            document = request.document()
            segments = whisper.segments_of(document)
            report.kind = "whisper"
            self.on_segments(source.name, len(segments))
            out = whisper.correct_whisper(self.pipeline, document, self._terms(request.hotwords,
                                          request.domain_lexicon), self.batch_size, self.on_progress)
            self._count(report, out["segments"])
        elif vosk.looks_like_vosk(doc):
            if isinstance(doc, list):
                document, terms = [VoskUtterance.model_validate(u).model_dump(exclude_unset=True) for u in doc], self._terms()
            else:
                request = VoskRequest.model_validate(doc)
                document, terms = request.document(), self._terms(request.hotwords, request.domain_lexicon)
            report.kind = "vosk"
            self.on_segments(source.name, len(vosk.segments_of(document)))
            out = vosk.correct_vosk(self.pipeline, document, terms, self.batch_size, self.on_progress)
            self._count(report, vosk.utterances(out))
        else:
            request = CorrectionRequest.model_validate(doc)
            report.kind = "request"
            self.on_segments(source.name, len(request.segments))
            out = self._correct_request(request, report)
        return json.dumps(out, ensure_ascii=False, indent=2) + "\n"

    def _requests(self, source: Path, report: FileReport) -> str:
        from schema.correct import CorrectionRequest
        report.kind = "requests"
        requests = []
        for number, line in enumerate(source.read_text(encoding="utf-8-sig").splitlines(), 1):
            if line.strip():
                try:
                    requests.append(CorrectionRequest.model_validate_json(line))
                except ValueError as exc:
                    raise ValueError(f"line {number}: {str(exc).splitlines()[0]}") from exc
        self.on_segments(source.name, sum(len(r.segments) for r in requests))
        lines = [json.dumps(self._correct_request(r, report), ensure_ascii=False) for r in requests]
        return "".join(line + "\n" for line in lines)

    def _correct_request(self, request: Any, report: FileReport) -> dict[str, Any]:
        """As POST /ec/correct answers it (the pipeline's own output, final punctuation included)."""
        from schema.correct import CorrectionResponse, SegmentOut
        terms = self._terms(request.hotwords, request.domain_lexicon)
        inputs = [s.to_input() for s in request.segments]
        results = []
        for first in range(0, len(inputs), self.batch_size):
            batch = inputs[first:first + self.batch_size]
            results.extend(self.pipeline.correct(batch, terms))
            self.on_progress(len(batch))
        report.segments += len(results)
        for r in results:  # counted by the status the response carries, so the two agree
            if r.status in ("corrected", "punctuated"):
                report.changed += 1
                report.punctuated += r.status == "punctuated"
                report.sources.update(e.source for e in r.edits)
                report.examples.append((r.original, r.corrected))
        return CorrectionResponse(request_id=request.request_id, model_version=request.model_version,
                                  segments=[SegmentOut.of(r) for r in results]).model_dump()

    @staticmethod
    def _count(report: FileReport, segments: list[dict[str, Any]]) -> None:
        report.segments = len(segments)
        for segment in segments:
            edits = segment.get("edits") or []
            if edits:
                report.changed += 1
                report.sources.update(e["source"] for e in edits)
                after = segment.get("text") if "text" in segment else segment["alternatives"][0]["text"]
                report.examples.append((str(segment.get("original_text", "")).strip(), str(after).strip()))


class UsageError(Exception):
    """A mistake in the command line or its files, reported as one line (exit status 2)."""


def build_pipeline():
    """The service's pipeline, in this process (no server): settings, models, pipeline, as app.py does."""
    from config import ConfigError, load_settings
    from service.pipeline import CorrectionPipeline
    from service.resources import load_resources
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return CorrectionPipeline(load_resources(settings), settings), settings


def terms_from(option: str, path: str | None) -> tuple[str, ...]:
    try:
        return read_terms(path)
    except FileNotFoundError:
        raise UsageError(f"{option} {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{option} {path}: a folder, not a file of terms") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{option} {path}: cannot be read as UTF-8 text ({exc})") from None


def single_target(source: Path, output: str | None) -> Path:
    """Where one file's correction goes: OUTPUT, into OUTPUT when it is a folder, or beside the source."""
    if output is None:
        return output_for(source, None, None)
    out = Path(output)
    if out.is_dir() or output.endswith(("/", os.sep)):
        return out / source.name
    return out


def summarise(reports: list[FileReport], show: int) -> str:
    lines = []
    for r in reports:
        if r.error:
            lines.append(f"FAILED  {r.path}: {r.error}")
            continue
        only_marks = f" ({r.punctuated} punctuation only)" if r.punctuated else ""
        lines.append(f"{r.changed:>4}/{r.segments:<5} changed{only_marks}  {r.path} ({r.kind}) -> {r.output}")
        for before, after in r.examples[:show]:
            lines.append(f"          - {before}")
            lines.append(f"          + {after}")
    done = [r for r in reports if not r.error]
    sources = sum((r.sources for r in done), Counter())
    lines.append(f"{len(done)} file(s) corrected, {len(reports) - len(done)} failed; "
                 f"{sum(r.changed for r in done)} of {sum(r.segments for r in done)} cues/segments changed"
                 + (f"; edits by source: {', '.join(f'{k} {v}' for k, v in sources.most_common())}" if sources else ""))
    return "\n".join(lines)


def cmd_correct(args: argparse.Namespace) -> int:
    source = Path(args.input)
    if not source.exists():
        raise UsageError(f"{source} does not exist")
    out = Path(args.output) if args.output else None
    if source.is_dir():
        files = find_inputs(source)
        if out is not None and out.exists() and not out.is_dir():
            raise UsageError(f"-o {out} must be a folder when INPUT is a folder")
        jobs = [(f, output_for(f, source, out)) for f in files]
    else:
        if source.suffix.lower() not in SUFFIXES:
            raise UsageError(f"{source}: not one of {', '.join(SUFFIXES)}")
        jobs = [(source, single_target(source, args.output))]
    if not jobs:
        print(f"no {', '.join(SUFFIXES)} files under {source}", file=sys.stderr)
        return 1
    hotwords = terms_from("--hotwords-file", args.hotwords_file)
    lexicon = terms_from("--lexicon-file", args.lexicon_file)
    pipeline, settings = build_pipeline()
    quiet = args.quiet
    file_bar = tqdm(total=len(jobs), desc="files", unit="file", position=0, disable=quiet, file=sys.stderr)
    segment_bar = tqdm(total=0, desc="segments", unit="seg", position=1, leave=False, disable=quiet,
                       file=sys.stderr)

    def on_segments(name: str, total: int) -> None:
        segment_bar.set_description(name[-30:], refresh=False)
        segment_bar.reset(total=total)

    corrector = Corrector(pipeline, hotwords, lexicon, args.batch_size, on_segments, segment_bar.update)
    reports = []
    for path, target in jobs:
        try:
            reports.append(corrector.run(path, target))
        except Exception as exc:  # one broken file must not stop a folder; it is reported in the summary
            reports.append(FileReport(path, None, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
        file_bar.update(1)
    segment_bar.close()
    file_bar.close()
    print(summarise(reports, args.show))
    return 1 if any(r.error for r in reports) else 0


def main(argv: list[str] | None = None) -> int:
    prog = SCRIPT_NAME if sys.argv and Path(sys.argv[0]).name == SCRIPT_NAME else "python -m cli"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    correct = commands.add_parser("correct", help="correct a file or every such file in a folder")
    correct.add_argument("input", metavar="INPUT", help="an .srt, .vtt, .json or .jsonl file, or a folder")
    correct.add_argument("-o", "--output", metavar="OUTPUT",
                         help="output file, or a folder (an existing one, or a path ending in /)")
    correct.add_argument("--hotwords-file", metavar="F", help="terms likely in the recording, one a line")
    correct.add_argument("--lexicon-file", metavar="F", help="domain vocabulary, one term a line")
    correct.add_argument("--batch-size", type=int, default=32, help="segments per pipeline call (default 32)")
    correct.add_argument("--show", type=int, default=3, metavar="N",
                         help="changed cues/segments to show per file in the summary (default 3)")
    correct.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        if args.command == "correct":
            return cmd_correct(args)
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    return 2
