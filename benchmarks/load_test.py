"""Load test: N concurrent clients POST the dev cases to /ec/correct for a fixed time; report req/s, latency
percentiles, errors and lost segments, plus /healthz latency measured while the service is busy.

By default it starts its own server on 127.0.0.1 (``--workers`` uvicorn worker processes) and stops it
afterwards; ``--url`` targets a server already running on this machine (127.0.0.1/localhost only).

A "lost segment" is a segment of a request that is missing from its 200 answer (ids compared in order); an
"error" is any non-200 answer or a transport failure. Segments the time budget did not reach (status
"timeout") are counted separately: they are answered, not lost.

Usage (repository root, project venv)::

    python benchmarks/load_test.py --workers 1 --clients 32 --duration 60
    python benchmarks/load_test.py --workers 2 --clients 32 --duration 60
    python benchmarks/load_test.py --compare 1,2            # both, one after the other, and the ratio

Results go to ``benchmarks/results/load_<workers>w.json`` (and ``load_compare.md`` with ``--compare``).
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = str(ROOT.parent / "shared" / "data" / "dev" / "*.jsonl")
RESULTS = ROOT / "benchmarks" / "results"


def load_requests(pattern: str) -> list[dict]:
    requests = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as handle:
            requests += [json.loads(line)["request"] for line in handle if line.strip()]
    if not requests:
        raise SystemExit(f"no requests found in {pattern}")
    return requests


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EC_API_KEYS", None)
    command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]
    log = open(log_path, "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    healthy_in_a_row = 0
    while healthy_in_a_row < 3:  # with several workers, give every one time to finish its lifespan
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"server did not start; see {log_path}")
        try:
            healthy_in_a_row = healthy_in_a_row + 1 if httpx.get(url + "/healthz", timeout=1).status_code == 200 else 0
        except httpx.HTTPError:
            healthy_in_a_row = 0
        time.sleep(0.5)
    time.sleep(2.0 * workers)
    return process, url


def health_probe(url: str, duration: float, out: "multiprocessing.Queue") -> None:
    """GET /healthz every 250 ms while the load runs (after a second, so the load is on)."""
    samples = []
    time.sleep(1.0)
    stop_at = time.monotonic() + duration - 1.5
    with httpx.Client(base_url=url, timeout=10) as client:
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            try:
                status = client.get("/healthz").status_code
            except httpx.HTTPError:
                status = 0
            samples.append((time.perf_counter() - t0, status))
            time.sleep(0.25)
    out.put(samples)


async def run_load(url: str, requests: list[dict], clients: int, duration: float) -> dict:
    stats = {"latencies": [], "errors": 0, "error_kinds": {}, "segments_sent": 0, "segments_answered": 0,
             "lost_segments": 0, "timeout_segments": 0, "health": []}
    # One connection per client, and an idle expiry below uvicorn's 5 s keep-alive: otherwise a connection
    # the server is just closing can be picked for a request (a client-side race, not a service error).
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.monotonic()
        stop_at = started + duration

        async def one_client(index: int) -> None:
            i = index
            while time.monotonic() < stop_at:
                body = requests[i % len(requests)]
                i += clients
                sent_ids = [s["id"] for s in body["segments"]]
                t0 = time.perf_counter()
                try:
                    response = await client.post("/ec/correct", json=body)
                except httpx.HTTPError as exc:
                    stats["errors"] += 1
                    kind = type(exc).__name__
                    stats["error_kinds"][kind] = stats["error_kinds"].get(kind, 0) + 1
                    stats["segments_sent"] += len(sent_ids)
                    stats["lost_segments"] += len(sent_ids)
                    continue
                stats["latencies"].append(time.perf_counter() - t0)
                stats["segments_sent"] += len(sent_ids)
                if response.status_code != 200:
                    stats["errors"] += 1
                    kind = str(response.status_code)
                    stats["error_kinds"][kind] = stats["error_kinds"].get(kind, 0) + 1
                    stats["lost_segments"] += len(sent_ids)
                    continue
                answered = response.json()["segments"]
                got_ids = [s["id"] for s in answered]
                stats["segments_answered"] += len(got_ids)
                if got_ids != sent_ids:
                    stats["lost_segments"] += sum(1 for a, b in zip(sent_ids, got_ids) if a != b) + \
                        max(0, len(sent_ids) - len(got_ids))
                stats["timeout_segments"] += sum(1 for s in answered if s["status"] == "timeout")

        # The health probe runs in its own process: in this one, the 32 clients' event loop would add its own
        # scheduling delay to the measurement.
        probe_results: multiprocessing.Queue = multiprocessing.Queue()
        probe = multiprocessing.Process(target=health_probe, args=(url, duration, probe_results))
        probe.start()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.monotonic() - started
        health = probe_results.get(timeout=30)
        probe.join(timeout=10)
    latencies = stats.pop("latencies")
    stats.pop("health")
    return {
        **stats,
        "requests": len(latencies),
        "seconds": round(elapsed, 1),
        "rps": round(len(latencies) / elapsed, 1),
        "latency_ms": {q: round(percentile(latencies, float(q[1:])) * 1000, 1) for q in ("p50", "p95", "p99")},
        "healthz_ms": {"n": len(health), "p50": round(percentile([h for h, _ in health], 50) * 1000, 1),
                       "p99": round(percentile([h for h, _ in health], 99) * 1000, 1),
                       "max": round(max((h for h, _ in health), default=float("nan")) * 1000, 1),
                       "non_200": sum(1 for _, s in health if s != 200)},
    }


def run_one(args: argparse.Namespace, workers: int, requests: list[dict]) -> dict:
    process = None
    url = args.url
    if url is None:
        process, url = start_server(workers, Path(f"/tmp/ec_load_{workers}w.log"))
    elif urlparse(url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("--url must be a local server (127.0.0.1 or localhost)")
    try:
        print(f"load: {args.clients} clients, {args.duration:.0f} s, {workers} worker(s), {len(requests)} requests "
              f"to cycle, {url}", flush=True)
        result = asyncio.run(run_load(url, requests, args.clients, args.duration))
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    result = {"workers": workers, "clients": args.clients, "cpu_count": os.cpu_count(), **result}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"load_{workers}w.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA, help="glob of JSONL files with a `request` per line")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the spawned server")
    parser.add_argument("--compare", help="comma-separated worker counts to run one after the other, e.g. 1,2")
    parser.add_argument("--url", help="a server already running on 127.0.0.1 (then --workers is only a label)")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, 256))  # bounded: this is a local test, not a flood
    args.duration = max(1.0, min(args.duration, 600.0))
    requests = load_requests(args.data)
    if not args.compare:
        run_one(args, args.workers, requests)
        return
    results = [run_one(args, int(w), requests) for w in args.compare.split(",")]
    lines = ["| workers | req/s | p50 ms | p95 ms | p99 ms | errors | lost segments | timeout segments | "
             "/healthz max ms |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['workers']} | {r['rps']} | {r['latency_ms']['p50']} | {r['latency_ms']['p95']} | "
                     f"{r['latency_ms']['p99']} | {r['errors']} | {r['lost_segments']} | {r['timeout_segments']} | "
                     f"{r['healthz_ms']['max']} |")
    if len(results) >= 2:
        lines.append(f"\n{results[-1]['workers']} vs {results[0]['workers']} workers: "
                     f"{results[-1]['rps'] / results[0]['rps']:.2f}x requests per second "
                     f"({args.clients} clients, {args.duration:.0f} s each, {os.cpu_count()} CPUs).")
    (RESULTS / "load_compare.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
