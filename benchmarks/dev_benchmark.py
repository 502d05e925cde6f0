"""The development benchmark: the dev cases of `../shared/data/dev/*.jsonl` through the correction service.

For every file it reports CER in → out (and the relative change), WER in → out, how many cases the system
changed and made worse, hotword recall, and the latency per segment (p50 / p95), for three systems run on the
same cases in the same run:

- ``no correction``: the ASR 1-best as it came;
- ``kiwi typo``: Kiwi's own typo correction (``typos="basic_with_continual_and_lengthening"``, joined back to
  text), one ``analyze`` per text, timed in this process;
- ``service``: the correction service. By default every case's ``request`` goes over HTTP, one segment per
  request, to a uvicorn server this script starts on 127.0.0.1 (``--in-process`` calls the pipeline directly).

It also measures throughput (segments per second) for requests of 1, 8 and 32 segments, on a fresh server (or a
fresh pipeline) so that the caches the quality run filled do not flatter it, and with different dev cases for
each batch size. Results go to ``benchmarks/results/`` as a Markdown file and a PNG chart.

Metrics are those of ``../shared/data/README.md``:

- CER: character error rate after removing the punctuation ``. , ? ! …`` and all whitespace (``jiwer.cer``,
  corpus-level over the file); WER: eojeol error rate after removing the punctuation (``jiwer.wer``).
- changed: share of cases whose output differs from the input under the CER normalisation (spacing-only changes
  do not count); ``chg+sp`` is the same under the WER normalisation (spacing changes count).
- worse: share of cases whose own CER went up; better: share whose own CER went down. right_broken: of the cases
  whose input was already the reference under the CER normalisation, the share whose output is not ("–" when no
  input was right). hot recall: share of ``hotword_targets`` present in the output (compared without whitespace;
  hotword file only).

Usage (from the repository root, in the project's venv)::

    python benchmarks/dev_benchmark.py                         # full run over HTTP; writes the results
    python benchmarks/dev_benchmark.py --in-process --limit 50 # quick tuning run
    python benchmarks/dev_benchmark.py --in-process --files hotword --show-errors 20
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import jiwer

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "dev"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results"
FILES = ("clean", "phonetic", "nbest", "hotword")
BATCH_SIZES = (1, 8, 32)
KIWI_TYPOS = "basic_with_continual_and_lengthening"
SYSTEMS = ("no correction", "kiwi typo", "service")

_PUNCTUATION = re.compile(r"[.,?!…]")
_WHITESPACE = re.compile(r"\s+")

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


# -- data and metrics -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One dev case: what the ASR said (the request's only segment), what was said, and the terms to recover."""

    id: str
    kind: str
    reference: str
    text: str
    hotword_targets: tuple[str, ...]
    request: dict[str, Any]


def load_cases(path: Path, limit: int | None = None) -> list[Case]:
    """Read one JSONL file of dev cases (at most `limit` of them)."""
    cases = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            raw = json.loads(line)
            cases.append(Case(raw["id"], raw.get("kind", path.stem), raw["reference"],
                              raw["request"]["segments"][0]["text"], tuple(raw.get("hotword_targets") or ()),
                              raw["request"]))
            if limit is not None and len(cases) >= limit:
                break
    return cases


def cer_norm(text: str) -> str:
    """The CER normalisation: punctuation and all whitespace removed."""
    return _WHITESPACE.sub("", _PUNCTUATION.sub("", text))


def wer_norm(text: str) -> str:
    """The WER normalisation: punctuation removed, eojeols separated by single spaces."""
    return " ".join(_PUNCTUATION.sub("", text).split())


def corpus_rate(measure: Callable[..., float], references: list[str], hypotheses: list[str]) -> float:
    """jiwer's corpus-level rate over the cases whose normalised reference is not empty."""
    pairs = [(r, h) for r, h in zip(references, hypotheses) if r]
    if not pairs:
        return 0.0
    return float(measure([r for r, _ in pairs], [h for _, h in pairs]))


def case_cer(reference: str, hypothesis: str) -> float:
    """CER of one case (both already normalised); an empty reference counts any output as all wrong."""
    if not reference:
        return float(bool(hypothesis))
    return float(jiwer.cer(reference, hypothesis))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class SystemRun:
    """One system's outputs on one file, and the seconds each output took (empty when not timed)."""

    system: str
    outputs: list[str]
    seconds: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Scores:
    """One row of a file's table."""

    system: str
    cer_in: float
    cer_out: float
    wer_in: float
    wer_out: float
    changed: float
    changed_spacing: float
    worse: float
    better: float
    right_broken: float | None  # None: no input of the file was right
    hot_recall: float | None
    p50_ms: float | None
    p95_ms: float | None
    worse_ids: tuple[int, ...] = ()
    right_broken_ids: tuple[int, ...] = ()

    @property
    def rel(self) -> float | None:
        """Relative change of the CER (−0.8 is −80 %); None when the input had no errors (clean)."""
        return (self.cer_out - self.cer_in) / self.cer_in if self.cer_in else None


def score(cases: list[Case], run: SystemRun) -> Scores:
    """The metrics of one system's outputs on one file's cases."""
    refs_c = [cer_norm(c.reference) for c in cases]
    ins_c = [cer_norm(c.text) for c in cases]
    outs_c = [cer_norm(o) for o in run.outputs]
    refs_w = [wer_norm(c.reference) for c in cases]
    ins_w = [wer_norm(c.text) for c in cases]
    outs_w = [wer_norm(o) for o in run.outputs]
    n = len(cases)
    cer_ins = [case_cer(r, i) for r, i in zip(refs_c, ins_c)]
    cer_outs = [case_cer(r, o) for r, o in zip(refs_c, outs_c)]
    # the tolerance keeps float noise from counting as a change of a case's CER
    worse_ids = tuple(i for i in range(n) if cer_outs[i] > cer_ins[i] + 1e-9)
    better_count = sum(cer_outs[i] < cer_ins[i] - 1e-9 for i in range(n))
    right_ids = [i for i in range(n) if ins_c[i] == refs_c[i]]
    right_broken_ids = tuple(i for i in right_ids if outs_c[i] != refs_c[i])
    targets = [(t, outs_c[i]) for i, c in enumerate(cases) for t in c.hotword_targets]
    hot_recall = sum(cer_norm(t) in out for t, out in targets) / len(targets) if targets else None
    ms = [s * 1000.0 for s in run.seconds]
    return Scores(
        system=run.system,
        cer_in=corpus_rate(jiwer.cer, refs_c, ins_c),
        cer_out=corpus_rate(jiwer.cer, refs_c, outs_c),
        wer_in=corpus_rate(jiwer.wer, refs_w, ins_w),
        wer_out=corpus_rate(jiwer.wer, refs_w, outs_w),
        changed=sum(o != i for o, i in zip(outs_c, ins_c)) / n,
        changed_spacing=sum(o != i for o, i in zip(outs_w, ins_w)) / n,
        worse=len(worse_ids) / n,
        better=better_count / n,
        right_broken=len(right_broken_ids) / len(right_ids) if right_ids else None,
        hot_recall=hot_recall,
        p50_ms=percentile(ms, 50) if ms else None,
        p95_ms=percentile(ms, 95) if ms else None,
        worse_ids=worse_ids,
        right_broken_ids=right_broken_ids,
    )


# -- the peers ------------------------------------------------------------------------------------------------
class KiwiTypoPeer:
    """Kiwi's own typo correction: one analyze per text, the best reading joined back to text."""

    def __init__(self) -> None:
        from kiwipiepy import Kiwi

        self.kiwi = Kiwi(num_workers=1)
        self.correct("지금부 훼의을 시작하겠읍다")  # the typo model initialises lazily on first use

    def correct(self, text: str) -> str:
        if not text.strip():
            return text
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            tokens = self.kiwi.analyze(text, top_n=1, typos=KIWI_TYPOS)[0][0]
        return self.kiwi.join(tokens)

    def run(self, cases: list[Case]) -> SystemRun:
        outputs, seconds = [], []
        for case in cases:
            start = time.perf_counter()
            outputs.append(self.correct(case.text))
            seconds.append(time.perf_counter() - start)
        return SystemRun("kiwi typo", outputs, seconds)


def no_correction(cases: list[Case]) -> SystemRun:
    return SystemRun("no correction", [c.text for c in cases])


# -- the service: over HTTP or in process ---------------------------------------------------------------------
class Service:
    """What the benchmark needs from the service: correct one request, returning each segment's `corrected`.

    `encode` prepares a request before the clock starts (over HTTP: the client's JSON encoding is not the
    service's time); `send` is what gets timed.
    """

    def encode(self, request: dict[str, Any]) -> Any:
        return request

    def send(self, encoded: Any) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def run(self, cases: list[Case]) -> SystemRun:
        """One request per case (one segment), each timed."""
        outputs, seconds = [], []
        for case in cases:
            encoded = self.encode(case.request)
            start = time.perf_counter()
            corrected = self.send(encoded)
            seconds.append(time.perf_counter() - start)
            outputs.append(corrected[0])
        return SystemRun("service", outputs, seconds)


class InProcessService(Service):
    """The pipeline called directly (no HTTP, no server): for quick tuning runs."""

    def __init__(self) -> None:
        from config import load_settings
        from service.pipeline import CorrectionPipeline
        from service.resources import load_resources

        settings = load_settings()
        self.pipeline = CorrectionPipeline(load_resources(settings), settings)
        self.send({"segments": [{"id": "warm", "text": "지금부 훼의을 시작하겠읍다"}], "hotwords": ["회의"]})

    def send(self, request: dict[str, Any]) -> list[str]:
        from schema.correct import CorrectionRequest

        body = CorrectionRequest.model_validate(request)
        results = self.pipeline.correct([s.to_input() for s in body.segments], body.terms())
        return [r.corrected for r in results]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _venv_python() -> str:
    candidate = REPO_ROOT / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


class HttpService(Service):
    """A uvicorn server of `app:app` started by this script on 127.0.0.1, spoken to over one keep-alive connection."""

    def __init__(self, start_timeout: float = 300.0) -> None:
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="benchmark_server_", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [_venv_python(), "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning", "--no-access-log"],
            cwd=REPO_ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.connection: http.client.HTTPConnection | None = None
        try:
            self._wait_healthy(start_timeout)
        except BaseException:
            self.close()
            raise

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self._log_tail()}")
            try:
                status, _ = self._request("GET", "/v2/health")
                if status == 200:
                    return
            except OSError:
                self.connection = None
            time.sleep(0.25)
        raise TimeoutError(f"the server did not become healthy in {timeout:.0f} s:\n{self._log_tail()}")

    def _log_tail(self, chars: int = 4000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")[-chars:]

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        try:
            return self._request_once(method, path, body)
        except (BrokenPipeError, ConnectionResetError):  # RemoteDisconnected is a ConnectionResetError
            # uvicorn closes a keep-alive connection left idle past its timeout (5 s), as it is while the peers
            # run on a large file: send once more on a new connection, unless the server itself is gone.
            self.connection = None
            if self.process.poll() is not None:
                raise
            return self._request_once(method, path, body)

    def _request_once(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except OSError:
            self.connection.close()
            raise

    def encode(self, request: dict[str, Any]) -> bytes:
        return json.dumps(request, ensure_ascii=False).encode("utf-8")

    def send(self, body: bytes) -> list[str]:
        status, payload = self._request("POST", "/ec/correct", body)
        if status != 200:
            raise RuntimeError(f"POST /ec/correct answered {status}: {payload[:500]!r}")
        return [s["corrected"] for s in json.loads(payload)["segments"]]

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def start_service(in_process: bool) -> Service:
    return InProcessService() if in_process else HttpService()


# -- throughput -----------------------------------------------------------------------------------------------
def merge_requests(cases: Sequence[Case], terms_of: Sequence[Case] | None = None) -> dict[str, Any]:
    """One request carrying the segments of several cases (unique ids) and the union of the hotwords and lexicons
    of `terms_of` (by default, of those cases)."""
    hotwords: dict[str, None] = {}
    lexicon: dict[str, None] = {}
    for case in terms_of if terms_of is not None else cases:
        hotwords.update(dict.fromkeys(case.request.get("hotwords") or ()))
        lexicon.update(dict.fromkeys(case.request.get("domain_lexicon") or ()))
    segments = [{**case.request["segments"][0], "id": f"seg_{i:05d}"} for i, case in enumerate(cases)]
    return {"request_id": f"throughput-{len(cases)}-{cases[0].id}", "segments": segments,
            "hotwords": list(hotwords), "domain_lexicon": list(lexicon)}


def throughput_batches(cases: list[Case], batch_sizes: Sequence[int], segments: int) -> dict[int, list[dict[str, Any]]]:
    """For each batch size, `segments` segments in requests of that size.

    The work per segment is the same for every size: the segments are cut into groups of the largest size, and
    every request carries the union of its group's hotwords and lexicons (a request of 1 segment carries the same
    terms as the request of 32 it is part of). Each size gets different cases when the pool is large enough (so
    no size profits from caches another warmed), with the files mixed in turn.
    """
    pool = _interleave(cases)
    group = max(batch_sizes)
    batches: dict[int, list[dict[str, Any]]] = {}
    for k, size in enumerate(batch_sizes):
        offset = (k * segments) % len(pool)
        chosen = [pool[(offset + j) % len(pool)] for j in range(segments)]
        requests = []
        for g in range(0, segments, group):
            members = chosen[g:g + group]
            requests += [merge_requests(members[j:j + size], members) for j in range(0, len(members), size)]
        batches[size] = requests
    return batches


def _interleave(cases: list[Case]) -> list[Case]:
    """The cases with the files taken in turn (clean, phonetic, nbest, hotword, clean, ...)."""
    by_kind: dict[str, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    columns = list(by_kind.values())
    return [column[i] for i in range(max(map(len, columns))) for column in columns if i < len(column)]


def measure_throughput(service: Service, batches: dict[int, list[dict[str, Any]]]) -> dict[int, float]:
    """Segments per second for each batch size, requests sent one after another."""
    rates = {}
    for size, requests in batches.items():
        encoded = [service.encode(r) for r in requests]
        start = time.perf_counter()
        done = sum(len(service.send(e)) for e in encoded)
        rates[size] = done / (time.perf_counter() - start)
    return rates


# -- reporting ------------------------------------------------------------------------------------------------
COLUMNS = ("system", "CER in", "CER out", "rel", "WER in", "WER out", "changed", "chg+sp", "worse", "better",
           "right_broken", "hot recall", "p50 ms", "p95 ms")


def format_pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"


def format_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def table_rows(rows: list[Scores]) -> list[list[str]]:
    return [[r.system, f"{r.cer_in:.4f}", f"{r.cer_out:.4f}", format_pct(r.rel, signed=True), f"{r.wer_in:.4f}",
             f"{r.wer_out:.4f}", format_pct(r.changed), format_pct(r.changed_spacing), format_pct(r.worse),
             format_pct(r.better), format_pct(r.right_broken), format_pct(r.hot_recall), format_ms(r.p50_ms),
             format_ms(r.p95_ms)] for r in rows]


SUMMARY_COLUMNS = ("file", "system", "CER in → out", "rel", "WER in → out", "changed", "worse", "hot recall",
                   "p50 ms")


def summary_rows(results: dict[str, list[Scores]]) -> list[list[str]]:
    """All files in one table (the one the README quotes)."""
    return [[name, r.system, f"{r.cer_in:.3f} → {r.cer_out:.3f}", format_pct(r.rel, signed=True),
             f"{r.wer_in:.3f} → {r.wer_out:.3f}", format_pct(r.changed), format_pct(r.worse), format_pct(r.hot_recall),
             format_ms(r.p50_ms)]
            for name, rows in results.items() for r in rows]


def text_table(rows: list[list[str]], header: Sequence[str] = COLUMNS) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w) for i, (x, w) in enumerate(zip(line, widths)))
             for line in [list(header), *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[list[str]], header: Sequence[str] = COLUMNS, left: int = 1) -> str:
    """A Markdown table: the first `left` columns left-aligned (names), the others right-aligned (numbers)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    what: str
    value: str
    goal: str
    met: bool | None  # None: not measurable in this run


def check_targets(results: dict[str, list[Scores]], throughput: dict[int, float], http: bool) -> list[Target]:
    """The issue's targets, as far as this run can show them."""
    def service(name: str) -> Scores | None:
        return next((r for r in results.get(name, []) if r.system == "service"), None)

    def kiwi(name: str) -> Scores | None:
        return next((r for r in results.get(name, []) if r.system == "kiwi typo"), None)

    targets: list[Target] = []
    if clean := service("clean"):
        targets.append(Target("clean changed", format_pct(clean.changed), "≤ 0.5%", clean.changed <= 0.005))
        targets.append(Target("clean worse", format_pct(clean.worse), "≤ 0.5%", clean.worse <= 0.005))
    for name, goal in (("phonetic", -0.80), ("nbest", -0.90), ("hotword", -0.75)):
        if (row := service(name)) and row.rel is not None:
            targets.append(Target(f"{name} CER rel", format_pct(row.rel, signed=True), f"≤ {goal * 100:.0f}%", row.rel <= goal))
    if (row := service("hotword")) and row.hot_recall is not None:
        targets.append(Target("hotword recall", format_pct(row.hot_recall), "≥ 95%", row.hot_recall >= 0.95))
    p50s = [(s.p50_ms, k.p50_ms) for name in results if (s := service(name)) and (k := kiwi(name))]
    if p50s:
        service_p50 = statistics.median(s for s, _ in p50s)
        kiwi_p50 = statistics.median(k for _, k in p50s)
        ratio = service_p50 / kiwi_p50 if kiwi_p50 else float("inf")
        label = "p50 service / kiwi typo" + ("" if http else " (in process, not HTTP)")
        targets.append(Target(label, f"{ratio:.1f}× ({service_p50:.2f} / {kiwi_p50:.3f} ms)", "≤ 20×",
                              ratio <= 20 if http else None))
    if 1 in throughput and 32 in throughput:
        ratio = throughput[32] / throughput[1]
        targets.append(Target("throughput b32 / b1", f"{ratio:.2f}×", "≥ 1.8×", ratio >= 1.8))
    return targets


def met_label(target: Target) -> str:
    return {True: "yes", False: "**no**", None: "n/a"}[target.met]


def report_header(title: str, args: argparse.Namespace) -> list[str]:
    """A case-file benchmark report's first lines: what ran, where, when, on which data."""
    mode = ("in process (pipeline called directly)" if args.in_process
            else "over HTTP (uvicorn on 127.0.0.1, one segment per request)")
    return [
        f"# {title}",
        "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- service: {mode}; commit {git_commit()}",
        f"- data: `{display_path(args.data)}`" + (f", first {args.limit} cases per file" if args.limit else ""),
    ]


def markdown_report(results: dict[str, list[Scores]], counts: dict[str, int], throughput: dict[int, float],
                    targets: list[Target], args: argparse.Namespace, chart: Path | None) -> str:
    parts = report_header("Development benchmark", args) + [
        "- CER: punctuation `. , ? ! …` and all whitespace removed; WER: punctuation removed; corpus-level (jiwer). "
        "changed: output ≠ input under the CER normalisation; chg+sp: under the WER normalisation (spacing counts). "
        "p50/p95: latency per segment (service: one segment per request; kiwi typo: one analyze + join in process).",
        "",
    ]
    parts += ["## Summary", "", markdown_table(summary_rows(results), SUMMARY_COLUMNS, left=2), ""]
    for name, rows in results.items():
        parts += [f"## {name} ({counts[name]} cases)", "", markdown_table(table_rows(rows)), ""]
    if throughput:
        parts += ["## Throughput", "",
                  f"{args.throughput_segments} segments per batch size, requests sent one after another to a fresh "
                  "service; the segments are cut into groups of 32 dev cases (files in turn) and every request "
                  "carries the union of its group's hotwords and lexicons, so a segment costs the same work at "
                  "every batch size.", "", markdown_table(
            [[str(size), f"{rate:.1f}", f"{rate / throughput[min(throughput)]:.2f}×"] for size, rate in throughput.items()],
            ("segments per request", "segments / s", "vs batch of 1")), ""]
    if targets:
        parts += ["## Targets", "", markdown_table([[t.what, t.value, t.goal, met_label(t)] for t in targets],
                                                   ("target", "measured", "goal", "met")), ""]
    if chart is not None:
        parts += [f"![CER relative change per file]({chart.name})", ""]
    return "\n".join(parts)


def grouped_bars(axes: Any, groups: list[str], systems: list[str], value: Callable[[str, str], float],
                  fmt: str) -> None:
    """One group of bars per entry of `groups`, one bar per system, labelled with its value."""
    width = 0.8 / max(len(systems), 1)
    for k, system in enumerate(systems):
        xs = [i + (k - (len(systems) - 1) / 2) * width for i in range(len(groups))]
        bars = axes.bar(xs, [value(g, system) for g in groups], width, label=system)
        axes.bar_label(bars, fmt=fmt, fontsize=7, padding=2)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(groups)), groups)


def write_chart(results: dict[str, list[Scores]], throughput: dict[int, float], path: Path) -> None:
    """Bar charts: the CER relative change per file and system (files whose input had errors), how often each
    system changed and worsened the clean file, and the service's throughput per batch size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def row(name: str, system: str) -> Scores | None:
        return next((r for r in results[name] if r.system == system), None)

    systems = [s for s in SYSTEMS if any(r.system == s for rows in results.values() for r in rows)]
    noisy = [n for n in results if any(r.rel is not None for r in results[n])]
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 4.2), gridspec_kw={"width_ratios": [3, 1.4, 1.4]})
    grouped_bars(left, noisy, systems, lambda n, s: ((r := row(n, s)) and r.rel or 0.0) * 100, "%.0f")
    left.set_ylabel("CER relative change, %")
    left.set_title("CER in → out (lower is better)")
    left.legend(fontsize=8)
    if "clean" in results:
        measures = {"changed": lambda r: r.changed, "worse": lambda r: r.worse}
        grouped_bars(middle, list(measures), systems,
                      lambda m, s: measures[m](r) * 100 if (r := row("clean", s)) else 0.0, "%.1f")
        middle.set_ylabel("share of cases, %")
        middle.set_title("clean: over-correction")
    else:
        middle.axis("off")
    if throughput:
        sizes = list(throughput)
        bars = right.bar([str(s) for s in sizes], [throughput[s] for s in sizes], color="tab:green")
        right.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
        right.set_xlabel("segments per request")
        right.set_ylabel("segments / s")
        right.set_title("Service throughput")
    else:
        right.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def show_errors(name: str, cases: list[Case], run: SystemRun, scores: Scores, k: int) -> None:
    """For tuning: up to `k` cases whose output is not the reference, and every case that got worse."""
    wrong = [i for i, c in enumerate(cases) if cer_norm(run.outputs[i]) != cer_norm(c.reference)]
    print(f"\n-- {name}: {len(wrong)} of {len(cases)} outputs differ from the reference; first {min(k, len(wrong))}:")
    for i in wrong[:k]:
        print_case(cases[i], run.outputs[i])
    print(f"-- {name}: {len(scores.worse_ids)} cases got worse:")
    for i in scores.worse_ids:
        print_case(cases[i], run.outputs[i])


def print_case(case: Case, output: str) -> None:
    print(f"  {case.id}\n    ref: {case.reference}\n    in : {case.text}\n    out: {output}")


def git_commit() -> str:
    """HEAD's short hash, marked when tracked files differ from it; the results the benchmarks write
    (`benchmarks/results/`) do not count, or every run that rewrites them would mark itself."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)benchmarks/results"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path, REPO_ROOT)
    except ValueError:
        return str(path)


# -- main -----------------------------------------------------------------------------------------------------
def case_file_parser(doc: str, data: Path, files: Sequence[str], out: Path, what: str) -> argparse.ArgumentParser:
    """The arguments every benchmark over JSONL case files takes: where they are, which, how many, where the
    results go, and whether the service runs over HTTP or in this process."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=data, help=f"directory of the {what} *.jsonl files")
    parser.add_argument("--files", default=",".join(files), help="comma-separated file names (without .jsonl)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many cases per file")
    parser.add_argument("--out", type=Path, default=out, help="where the Markdown and the chart go")
    parser.add_argument("--in-process", action="store_true", help="call the pipeline directly instead of over HTTP")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = case_file_parser(__doc__, DEFAULT_DATA, FILES, DEFAULT_OUT, "dev")
    parser.add_argument("--show-errors", type=int, default=0, metavar="K",
                        help="print up to K wrong outputs per file, and every case that got worse")
    parser.add_argument("--throughput-segments", type=int, default=256, metavar="N",
                        help="segments sent for each batch size (0: skip the throughput measurement)")
    parser.add_argument("--no-write", action="store_true", help="print only; write nothing to --out")
    return parser.parse_args(argv)


def output_stem(args: argparse.Namespace, base: str = "dev_benchmark", all_files: Sequence[str] = FILES) -> str:
    """`base` for the full HTTP run over `all_files` (the committed result); `base-<tags>` for quick or partial
    runs, which `benchmarks/results/.gitignore` keeps out of git."""
    tags = []
    if args.in_process:
        tags.append("inprocess")
    if args.limit:
        tags.append(f"limit{args.limit}")
    if args.files != ",".join(all_files):
        tags.append(args.files.replace(",", "+"))
    return base + "".join(f"-{t}" for t in tags)


def iterate_files(args: argparse.Namespace) -> Iterator[tuple[str, list[Case]]]:
    for name in [f.strip() for f in args.files.split(",") if f.strip()]:
        path = args.data / f"{name}.jsonl"
        if not path.exists():
            raise SystemExit(f"no such file: {path}")
        yield name, load_cases(path, args.limit)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    files = dict(iterate_files(args))
    started = time.perf_counter()
    print(f"loading the kiwi typo peer and the service ({'in process' if args.in_process else 'HTTP'}) ...", flush=True)
    kiwi = KiwiTypoPeer()
    results: dict[str, list[Scores]] = {}
    service = start_service(args.in_process)
    try:
        for name, cases in files.items():
            runs = [no_correction(cases), kiwi.run(cases), service.run(cases)]
            results[name] = [score(cases, run) for run in runs]
            print(f"\n== {name} ({len(cases)} cases)\n{text_table(table_rows(results[name]))}", flush=True)
            if args.show_errors:
                show_errors(name, cases, runs[-1], results[name][-1], args.show_errors)
    finally:
        service.close()

    throughput: dict[int, float] = {}
    if args.throughput_segments > 0:
        print(f"\nthroughput: {args.throughput_segments} segments per batch size, on a fresh service ...", flush=True)
        batches = throughput_batches([c for cases in files.values() for c in cases], BATCH_SIZES,
                                     args.throughput_segments)
        fresh = start_service(args.in_process)
        try:
            throughput = measure_throughput(fresh, batches)
        finally:
            fresh.close()
        for size, rate in throughput.items():
            print(f"  batch {size:>2}: {rate:7.1f} segments/s ({rate / throughput[1]:.2f}× batch 1)")

    targets = check_targets(results, throughput, http=not args.in_process)
    print("\ntargets:\n" + text_table([[t.what, t.value, t.goal, met_label(t)] for t in targets],
                                      ("target", "measured", "goal", "met")))
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = output_stem(args)
        chart = args.out / f"{stem}.png"
        write_chart(results, throughput, chart)
        report = args.out / f"{stem}.md"
        report.write_text(markdown_report(results, {n: len(c) for n, c in files.items()}, throughput, targets, args,
                                          chart), encoding="utf-8")
        print(f"\nwrote {display_path(report)} and {display_path(chart)}")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
