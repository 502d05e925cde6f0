"""Worst cases within the limits, faults of the helper process, overload and shutdown, against a real server.

Starts uvicorn on 127.0.0.1 (a free port) as the README says to run it and measures, per part:

* cases: each worst request of `benchmarks/worst_cases.py` (1,000 space-free characters with hotwords;
  256 segments x 500 hotwords x 5,000 lexicon terms; 64 long n-best hypotheses) sent alone, then two at a time,
  beside a stream of one-segment requests: the worst request's time and its segments' statuses, the small
  requests' p50/p95 and how many of their segments timed out, the slowest /healthz, and the RSS of the server
  and its helper process before and after;
* memory: RSS idle, then after many distinct 1,000-character segments (the caches fill up and must stop);
* faults: kill -9 and SIGSTOP of the helper process: how soon /healthz says degraded and ok again, and what
  one-segment requests cost meanwhile;
* overload: many clients at once: /healthz p50/p99/max and how the excess is answered;
* shutdown: SIGTERM while worst requests run: how long until the process is gone, what the clients got.

/healthz is polled every 100 ms from a separate process (its timings are not the load generator's).
Timings depend on the machine and on what else runs on it; every figure says which run it comes from.

    python benchmarks/worst_case.py                      # every part (about 15 minutes, longer while the
                                                         # term matching is still cubic)
    python benchmarks/worst_case.py --parts cases,faults  # some parts
    python benchmarks/worst_case.py --cases many_terms --modes alone

Writes `benchmarks/results/worst_case.md` (or `worst_case-<tag>.md` with --tag) and prints the same tables.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import worst_cases  # noqa: E402
from benchmarks.load_test import free_port, percentile  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
# How the README says to run it: excess connections get 503 rather than a refused socket.
UVICORN_ARGS = ["--limit-concurrency", "512", "--backlog", "2048", "--timeout-keep-alive", "5"]


class Server:
    """A uvicorn process of the service and its helper, started and stopped by this script."""

    def __init__(self, env: dict[str, str] | None = None, log_name: str = "worst_case_server.log") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        environment.pop("EC_API_KEYS", None)
        self.log_path = Path("/tmp") / log_name
        self.log = open(self.log_path, "w")
        command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(self.port),
                   *UVICORN_ARGS]
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self.wait_healthy()

    def wait_healthy(self, timeout_s: float = 180.0, want: str = "ok") -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited; see {self.log_path}")
            try:
                answer = httpx.get(self.url + "/healthz", timeout=2)
                if answer.status_code == 200 and answer.json()["status"] == want:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"server not {want} within {timeout_s:.0f} s; see {self.log_path}")

    def helper(self) -> psutil.Process | None:
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return None
        # The executor's worker (spawned); not multiprocessing's resource tracker.
        workers = [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]
        return workers[0] if workers else None

    def rss_mb(self) -> tuple[float, float]:
        """(server, helper) resident memory in MB."""
        main = psutil.Process(self.process.pid).memory_info().rss / 2**20
        helper = self.helper()
        try:
            return main, (helper.memory_info().rss / 2**20 if helper else 0.0)
        except psutil.NoSuchProcess:
            return main, 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- /healthz from a separate process ------------------------------------------------------------------------
def _poll_health(url: str, stop: "multiprocessing.Event", out: "multiprocessing.Queue", interval: float) -> None:
    samples = []
    parent = os.getppid()
    with httpx.Client(timeout=10) as client:
        while not stop.is_set() and os.getppid() == parent:  # not beyond an interrupted run
            started = time.monotonic()
            try:
                answer = client.get(url + "/healthz")
                status = answer.json().get("status") if answer.status_code == 200 else str(answer.status_code)
            except (httpx.HTTPError, ValueError) as exc:
                status = type(exc).__name__
            samples.append((started, time.monotonic() - started, status))
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    out.put(samples)


class HealthPoller:
    def __init__(self, url: str, interval: float = 0.1) -> None:
        context = multiprocessing.get_context("spawn")
        self.stop_event, self.queue = context.Event(), context.Queue()
        self.process = context.Process(target=_poll_health, args=(url, self.stop_event, self.queue, interval),
                                       daemon=True)
        self.process.start()

    def finish(self) -> list[tuple[float, float, str]]:
        self.stop_event.set()
        samples = self.queue.get(timeout=60)
        self.process.join(10)
        return samples


# -- a stream of one-segment requests ---------------------------------------------------------------------------
async def small_stream(url: str, stop: asyncio.Event, clients: int = 2, pause_s: float = 0.05,
                       timeout_s: float = 30.0) -> dict:
    """`errors`: answers other than 200 and requests without an answer within `timeout_s`."""
    latencies, timeouts, errors, sent = [], 0, 0, 0

    async def client_loop(k: int) -> None:
        nonlocal timeouts, errors, sent
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            n = k
            while not stop.is_set():
                started = time.monotonic()
                try:
                    answer = await client.post(url + "/ec/correct", json=worst_cases.small(n))
                    latencies.append(time.monotonic() - started)
                    if answer.status_code != 200:
                        errors += 1
                    else:
                        timeouts += sum(s["status"] == "timeout" for s in answer.json()["segments"])
                except httpx.HTTPError:
                    errors += 1
                sent += 1
                n += clients
                await asyncio.sleep(pause_s)

    await asyncio.gather(*(client_loop(k) for k in range(clients)))
    return {"sent": sent, "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "max": max(latencies, default=float("nan")), "timeouts": timeouts, "errors": errors}


async def _run_case(url: str, body: dict, copies: int, give_up_s: float, min_stream_s: float = 5.0) -> dict:
    stop = asyncio.Event()
    stream = asyncio.create_task(small_stream(url, stop))
    await asyncio.sleep(1.0)  # the stream is flowing before the worst requests arrive

    async def worst() -> tuple[float, str, dict[str, int]]:
        async with httpx.AsyncClient(timeout=give_up_s) as client:
            started = time.monotonic()
            try:
                answer = await client.post(url + "/ec/correct", json=body)
            except httpx.TimeoutException:
                return time.monotonic() - started, "no answer", {}
            seconds = time.monotonic() - started
            statuses: dict[str, int] = {}
            if answer.status_code == 200:
                for segment in answer.json()["segments"]:
                    statuses[segment["status"]] = statuses.get(segment["status"], 0) + 1
            return seconds, f"HTTP {answer.status_code}", statuses

    started = time.monotonic()
    outcomes = await asyncio.gather(*(worst() for _ in range(copies)))
    await asyncio.sleep(max(0.0, min_stream_s - (time.monotonic() - started)))
    stop.set()
    return {"worst": outcomes, "small": await stream}


def part_cases(args: argparse.Namespace, lines: list[str]) -> None:
    give_up_s = args.budget + 60
    lines += ["## Worst cases beside a stream of one-segment requests", "",
              f"A fresh server for every row: `uvicorn app:app {' '.join(UVICORN_ARGS)}`, default settings "
              f"(budget {args.budget:g} s, 2 pipeline threads, a helper process). Two clients send one-segment "
              "requests back to back (50 ms apart) from 1 s before the worst requests until they are answered "
              f"(at least 5 s); a worst request unanswered after {give_up_s:g} s is given up (\"no answer\"), a "
              "one-segment request after 30 s (counted in its errors).", "",
              "| case | copies | worst time s (each) | worst answers | small p50 s | small p95 s | small max s "
              "| small sent | small timeout segs | small errors | /healthz max s | RSS idle → after MB (server; helper) |",
              "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name in args.cases:
        body = worst_cases.CASES[name]()
        for mode in args.modes:
            copies = 1 if mode == "alone" else 2
            server = Server()  # a fresh one: a request still running from the row before must not count
            try:
                idle = server.rss_mb()
                poller = HealthPoller(server.url)
                result = asyncio.run(_run_case(server.url, body, copies, give_up_s))
                health = poller.finish()
                rss = server.rss_mb()
            finally:
                server.stop()
            small = result["small"]
            answers = "; ".join(f"{code}: " + ", ".join(f"{k} {v}" for k, v in sorted(s.items()))
                                if s else code for _, code, s in result["worst"])
            row = (f"| {name} | {copies} | {' / '.join(f'{t:.1f}' for t, _, _ in result['worst'])} | {answers} "
                   f"| {small['p50']:.3f} | {small['p95']:.3f} | {small['max']:.2f} | {small['sent']} "
                   f"| {small['timeouts']} | {small['errors']} | {max(h[1] for h in health):.3f} "
                   f"| {idle[0]:.0f} → {rss[0]:.0f}; {idle[1]:.0f} → {rss[1]:.0f} |")
            lines.append(row)
            print(row, flush=True)
    lines.append("")


# -- memory -----------------------------------------------------------------------------------------------
def part_memory(args: argparse.Namespace, lines: list[str]) -> None:
    # A generous budget so every segment is really corrected (the caches see all of them).
    server = Server({"EC_REQUEST_BUDGET_S": "600"})
    try:
        idle = server.rss_mb()
        rows = [f"| idle | {idle[0]:.0f} | {idle[1]:.0f} | – |"]
        print(rows[0], flush=True)
        for request in range(args.memory_requests):
            body = worst_cases.long_segments(request, args.memory_segments)
            started = time.monotonic()
            answer = httpx.post(server.url + "/ec/correct", json=body, timeout=900)
            seconds = time.monotonic() - started
            statuses: dict[str, int] = {}
            for segment in answer.json()["segments"]:
                statuses[segment["status"]] = statuses.get(segment["status"], 0) + 1
            rss = server.rss_mb()
            rows.append(f"| after {(request + 1) * args.memory_segments} segments ({seconds:.0f} s; "
                        f"{', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}) | {rss[0]:.0f} "
                        f"| {rss[1]:.0f} | {max(rss[0] / idle[0], rss[1] / max(idle[1], 1)):.2f}x |")
            print(rows[-1], flush=True)
        lines += ["## Memory: distinct 1,000-character segments", "",
                  f"{args.memory_requests} requests of {args.memory_segments} distinct segments of 1,000 "
                  "characters each (no terms; budget 600 s so every segment is corrected).", "",
                  "| when | server RSS MB | helper RSS MB | vs idle |", "|---|---:|---:|---:|", *rows, ""]
    finally:
        server.stop()


# -- helper faults --------------------------------------------------------------------------------------------
def _health_timeline(samples: list[tuple[float, float, str]], since: float) -> tuple[float, float, float]:
    """(first "degraded", first "ok" after it, slowest answer), in seconds after `since` (nan: never)."""
    after = [(t - since, duration, status) for t, duration, status in samples if t >= since]
    degraded = next((t for t, _, status in after if status == "degraded"), float("nan"))
    back = next((t for t, _, status in after if t > degraded and status == "ok"), float("nan"))
    return degraded, back, max((duration for _, duration, _ in after), default=float("nan"))


async def _small_requests_for(url: str, seconds: float) -> dict:
    stop = asyncio.Event()
    stream = asyncio.create_task(small_stream(url, stop, clients=1, pause_s=0.2))
    await asyncio.sleep(seconds)
    stop.set()
    return await stream


def part_faults(args: argparse.Namespace, lines: list[str]) -> None:
    server = Server()
    rows = []
    try:
        for fault in ("kill -9", "SIGSTOP"):
            server.wait_healthy()
            helper = server.helper()
            poller = HealthPoller(server.url)
            time.sleep(1.0)
            struck = time.monotonic()
            os.kill(helper.pid, signal.SIGKILL if fault == "kill -9" else signal.SIGSTOP)
            # A big request right away (its half may be on the helper), then one-segment requests for 35 s.
            big_started = time.monotonic()
            big = httpx.post(server.url + "/ec/correct", json=worst_cases.many_terms(32, 10, 10), timeout=120)
            big_seconds = time.monotonic() - big_started
            big_statuses = sorted({s["status"] for s in big.json()["segments"]}) if big.status_code == 200 else []
            small = asyncio.run(_small_requests_for(server.url, 35.0))
            samples = poller.finish()
            degraded, back, slowest = _health_timeline(samples, struck)
            reason = ""
            try:
                reason = httpx.get(server.url + "/healthz", timeout=5).json().get("problems", {}).get("helper", "")
            except httpx.HTTPError:
                pass
            stopped_left = psutil.pid_exists(helper.pid) and helper.status() == psutil.STATUS_STOPPED \
                if fault == "SIGSTOP" else False
            rows.append(f"| {fault} | {degraded:.1f} | {back:.1f} | {slowest:.3f} | {big.status_code} in "
                        f"{big_seconds:.1f} s ({', '.join(big_statuses)}) | {small['p50']:.3f} / {small['p95']:.3f}"
                        f" / {small['max']:.2f} | {small['timeouts']} | {small['errors']} | "
                        f"{'yes' if stopped_left else 'no'} |")
            print(rows[-1], flush=True)
            if reason:
                print("  health still reports:", reason)
        lines += ["## Helper process faults", "",
                  "The helper is killed (or stopped) 1 s into polling; a 32-segment request follows at once (its "
                  "second half goes to the helper), then one-segment requests for 35 s.", "",
                  "| fault | degraded after s | ok again after s | /healthz max s | 32-segment request "
                  "| small p50 / p95 / max s | small timeout segs | small errors | stopped helper left behind |",
                  "|---|---:|---:|---:|---|---|---:|---:|---|", *rows, ""]
    finally:
        server.stop()


# -- overload --------------------------------------------------------------------------------------------
async def _overload(url: str, clients: int, seconds: float) -> dict:
    codes: dict[str, int] = {}
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds
    # An idle expiry below uvicorn's 5 s keep-alive, as in load_test.py: at the same 5 s the client now and
    # then sends on a connection the server is closing (a client-side ReadError, no request lost by the server).
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def one(k: int) -> None:
            n = k
            while time.monotonic() < stop_at:
                started = time.monotonic()
                try:
                    answer = await client.post(url + "/ec/correct", json=worst_cases.small(n))
                    key = str(answer.status_code)
                    if answer.status_code == 200 and answer.json()["segments"][0]["status"] == "timeout":
                        key = "200 timeout"
                    if answer.status_code == 503:
                        await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                latencies.append(time.monotonic() - started)
                codes[key] = codes.get(key, 0) + 1
                n += clients

        await asyncio.gather(*(one(k) for k in range(clients)))
    return {"codes": codes, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}


def part_overload(args: argparse.Namespace, lines: list[str]) -> None:
    server = Server()
    try:
        poller = HealthPoller(server.url)
        result = asyncio.run(_overload(server.url, args.clients, args.overload_s))
        samples = poller.finish()
        durations = [d for _, d, _ in samples]
        slowest_at = max(samples, key=lambda sample: sample[1])[0] - samples[0][0]
        statuses: dict[str, int] = {}
        for _, _, status in samples:
            statuses[status] = statuses.get(status, 0) + 1
        row = (f"| {args.clients} | {args.overload_s:.0f} | {', '.join(f'{k}: {v}' for k, v in sorted(result['codes'].items()))}"
               f" | {result['p50']:.3f} / {result['p99']:.3f} | {len(samples)} ({', '.join(f'{k} {v}' for k, v in statuses.items())})"
               f" | {statistics.median(durations):.3f} | {percentile(durations, 99):.3f} | {max(durations):.3f} "
               f"(at {slowest_at:.1f} s) |")
        print(row, flush=True)
        lines += ["## Overload", "",
                  f"{args.clients} clients post one-segment requests back to back for {args.overload_s:.0f} s "
                  "(after a 503 each waits its Retry-After).", "",
                  "| clients | seconds | answers | request p50 / p99 s | /healthz probes | /healthz p50 s "
                  "| /healthz p99 s | /healthz max s (when) |", "|---:|---:|---|---|---|---:|---:|---:|", row, ""]
    finally:
        server.stop()


# -- shutdown ---------------------------------------------------------------------------------------------------
async def _shutdown_run(server: Server, body: dict) -> dict:
    async with httpx.AsyncClient(timeout=120) as client:
        async def post(payload):
            try:
                answer = await client.post(server.url + "/ec/correct", json=payload)
                return str(answer.status_code)
            except httpx.HTTPError as exc:
                return type(exc).__name__

        worst = [asyncio.create_task(post(body)) for _ in range(2)]
        await asyncio.sleep(0.7)  # the worst requests hold both ordinary threads ...
        queued = [asyncio.create_task(post(payload)) for payload in (
            worst_cases.many_terms(64, 50, 50), worst_cases.many_terms(64, 50, 50),  # ... these two wait for one,
            worst_cases.small(1), worst_cases.small(2))]  # these two take the express thread
        await asyncio.sleep(0.8)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        while server.process.poll() is None and time.monotonic() - signalled < 120:
            await asyncio.sleep(0.05)
        exited = time.monotonic() - signalled
        answers = await asyncio.gather(*worst, *queued)
    helper_gone = server.helper() is None
    return {"exit_s": exited, "code": server.process.returncode, "worst": answers[:2], "queued": answers[2:],
            "helper_gone": helper_gone}


def part_shutdown(args: argparse.Namespace, lines: list[str]) -> None:
    rows = []
    for name in ("many_terms", "space_free"):
        server = Server()
        try:
            helper = server.helper()
            result = asyncio.run(_shutdown_run(server, worst_cases.CASES[name]()))
            time.sleep(2)
            helper_left = helper is not None and psutil.pid_exists(helper.pid)
            rows.append(f"| {name} x2 | {result['exit_s']:.2f} | {result['code']} "
                        f"| {', '.join(result['worst'])} | {', '.join(result['queued'])} "
                        f"| {'yes' if helper_left else 'no'} |")
            print(rows[-1], flush=True)
        finally:
            server.stop()
    lines += ["## SIGTERM", "",
              f"SIGTERM 1.5 s after two worst requests were sent and 0.8 s after two 64-segment requests (queued: "
              "both ordinary threads are busy) and two one-segment ones (express thread). Budget "
              f"{args.budget:g} s; the target is exit within budget + 2 s.", "",
              "| running | exit after s | exit code | worst requests got | 64-segment, 64-segment, small, small got "
              "| helper left behind |", "|---|---:|---:|---|---|---|", *rows, ""]


PARTS = {"cases": part_cases, "memory": part_memory, "faults": part_faults, "overload": part_overload,
         "shutdown": part_shutdown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    parser.add_argument("--cases", default=",".join(worst_cases.CASES))
    parser.add_argument("--modes", default="alone,two", help="alone, two (two copies at once)")
    parser.add_argument("--clients", type=int, default=150, help="overload: concurrent clients")
    parser.add_argument("--overload-s", type=float, default=30.0)
    parser.add_argument("--memory-requests", type=int, default=4)
    parser.add_argument("--memory-segments", type=int, default=256)
    parser.add_argument("--tag", default="", help="results go to worst_case-<tag>.md")
    args = parser.parse_args()
    args.cases = [c for c in args.cases.split(",") if c]
    args.modes = [m for m in args.modes.split(",") if m]
    from config import load_settings
    args.budget = load_settings().REQUEST_BUDGET_S
    lines = [f"# Worst cases, faults, overload, shutdown ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"`python benchmarks/worst_case.py {' '.join(sys.argv[1:])}` on this machine "
             f"({os.cpu_count()} cores, shared with other work while it ran: timings are noisy).", ""]
    for part in [p for p in args.parts.split(",") if p]:
        print(f"== {part}", flush=True)
        PARTS[part](args, lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (f"worst_case-{args.tag}.md" if args.tag else "worst_case.md")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
