"""Prometheus metrics of one service process (`GET /metrics`).

Each app owns its registry (not prometheus_client's global one), so tests can build many apps in one process.
With several uvicorn workers each process counts its own requests; scrape every worker or set up
prometheus_client's multiprocess mode (see the README).
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from service.types import SegmentResult

# The *_created series double the output and say nothing a scraper does not know.
disable_created_metrics()

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("ec_http_requests_total", "HTTP requests by route template, method and status",
                                ("route", "method", "status"), registry=r)
        self.latency = Histogram("ec_http_request_duration_seconds", "HTTP request latency by route and status",
                                 ("route", "method", "status"), buckets=_LATENCY_BUCKETS, registry=r)
        self.segments = Counter("ec_segments_total", "Segments returned, by status (corrected, unchanged, "
                                "skipped_*, timeout)", ("status",), registry=r)
        self.edits = Counter("ec_edits_total", "Edits returned, by source", ("source",), registry=r)
        self.guard_refusals = Counter("ec_guard_refusals_total", "Changes the CER guard refused, by stage",
                                      ("stage",), registry=r)
        self.pipeline_seconds = Histogram("ec_pipeline_seconds", "Time in the correction pipeline per request "
                                          "(all chunks)", buckets=_LATENCY_BUCKETS, registry=r)
        self.stage_seconds = Histogram("ec_stage_seconds", "Time per pipeline stage and call", ("stage",),
                                       buckets=_LATENCY_BUCKETS, registry=r)
        self.queue_wait = Histogram("ec_queue_wait_seconds", "Time a request waited for a pipeline worker",
                                    buckets=_LATENCY_BUCKETS, registry=r)
        self.pool_in_flight = Gauge("ec_pool_in_flight", "Requests admitted to the worker pool (running or "
                                    "queued)", registry=r)
        self.pool_rejections = Counter("ec_pool_rejections_total", "Requests refused with 503 because the "
                                       "worker queue was full", registry=r)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method, str(status)).observe(seconds)

    def observe_stage(self, stage: str, seconds: float) -> None:
        """The observer the pipeline calls per stage (and the budget wrapper per chunk)."""
        self.stage_seconds.labels(stage).observe(seconds)

    def observe_results(self, results: list[SegmentResult]) -> None:
        for result in results:
            self.segments.labels(result.status).inc()
            for edit in result.edits:
                self.edits.labels(edit.source).inc()
            for refusal in result.guard_refusals:
                # Refusals read "<stage>: change rate ..."; the stage is the label, the rest is per-request.
                self.guard_refusals.labels(refusal.split(":", 1)[0].strip() or "unknown").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
