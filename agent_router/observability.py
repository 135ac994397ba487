"""What the router is doing, for the people running it: Prometheus metrics in a registry of
their own (never the global one, so two servers in a process do not collide), JSON log lines
that carry the session and turn of the tool call they belong to, and OpenTelemetry spans
around each tool call (no-ops unless an exporter is configured)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from .config.observability import ObservabilitySpec

log = logging.getLogger("agent_router.observability")
tracer = trace.get_tracer("agent_router")

session_var: ContextVar[str | None] = ContextVar("session_id", default=None)
turn_var: ContextVar[str | None] = ContextVar("turn_id", default=None)
tool_var: ContextVar[str | None] = ContextVar("tool", default=None)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Model answers take from well under a second to minutes on a cold pool.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.routes = Counter(
            "agent_router_routes",
            "Routed turns by the route that fired ('default' when none did)",
            ["route"],
            registry=r,
        )
        self.models = Counter(
            "agent_router_models_chosen", "Routed turns by chosen model", ["model"], registry=r
        )
        self.selections = Counter("agent_router_tool_selections", "select_tools calls", registry=r)
        self.tools = Counter(
            "agent_router_tools_selected", "Tools returned by select_tools", ["tool"], registry=r
        )
        self.verdicts = Counter(
            "agent_router_verdicts",
            "Safety verdicts by what was judged and the outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.dispatch = Histogram(
            "agent_router_dispatch_seconds",
            "Time to the whole answer of a dispatched turn",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "agent_router_dispatch_ttft_seconds",
            "Time to the first token of a dispatched turn",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.endpoints = Gauge(
            "agent_router_endpoint_state",
            "1 for the state each model endpoint is in now",
            ["endpoint", "pool", "state"],
            registry=r,
        )
        self.errors = Counter("agent_router_errors", "Errors by kind", ["kind"], registry=r)
        self.calls = Histogram(
            "agent_router_tool_call_seconds", "MCP tool calls served", ["tool", "outcome"], registry=r
        )
        # Children by label values: looking one up in prometheus_client takes a lock and a few
        # dictionary builds, on every tool call and routed turn.
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (metric, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def served(self, tool: str, outcome: str, seconds: float) -> None:
        """One MCP tool call done; failures are also counted by kind."""
        self._child(self.calls, tool, outcome).observe(seconds)
        if outcome != "ok":
            self.error(outcome)

    def routed(self, route: str | None, model: str) -> None:
        self._child(self.routes, route or "default").inc()
        self._child(self.models, model).inc()

    def selected(self, keys: Iterable[str]) -> None:
        self.selections.inc()
        for key in keys:
            self.tools.labels(key).inc()

    def judged(self, kind: str, outcome: str) -> None:
        self.verdicts.labels(kind, outcome).inc()

    def dispatched(self, model: str, total_ms: float, ttft_ms: float | None) -> None:
        self.dispatch.labels(model).observe(total_ms / 1000)
        if ttft_ms is not None:
            self.ttft.labels(model).observe(ttft_ms / 1000)

    def error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    def exposition(self, endpoints: Iterable[Any] = ()) -> bytes:
        """The text format; endpoint states are read now, so a scrape never shows a stale one."""
        self.endpoints.clear()
        for e in endpoints:
            self.endpoints.labels(e.name, e.pool, e.state).set(1)
        return generate_latest(self.registry)


def tracing_enabled() -> bool:
    """Whether a TracerProvider is installed (setup_tracing, or the embedding process). Until
    one is, spans are no-ops that still cost about 10 us of a tool call to make."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider)


class ToolCall:
    """One tool call observed: everything logged inside names its tool, session and turn, and a
    span wraps it when tracing is on. A class rather than a generator-based context manager:
    it sits on the path of every call, where each microsecond counts against the MCP layer."""

    __slots__ = ("name", "session_id", "turn_id", "outcome", "_tokens", "_span_scope", "_span")

    def __init__(self, name: str, session_id: str | None, turn_id: str | None):
        self.name = name
        self.session_id = session_id
        self.turn_id = turn_id
        self.outcome = "ok"
        self._span_scope: Any = None
        self._span: Any = None

    def __enter__(self) -> ToolCall:
        self._tokens = (session_var.set(self.session_id), turn_var.set(self.turn_id), tool_var.set(self.name))
        if tracing_enabled():
            attributes = {
                k: v
                for k, v in (
                    ("agent_router.session_id", self.session_id),
                    ("agent_router.turn_id", self.turn_id),
                )
                if v is not None
            }
            self._span_scope = tracer.start_as_current_span(f"tool {self.name}", attributes=attributes)
            self._span = self._span_scope.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self._span_scope is not None:
                self._span.set_attribute("agent_router.outcome", self.outcome)
                self._span_scope.__exit__(*exc_info)
        finally:
            session_token, turn_token, tool_token = self._tokens
            tool_var.reset(tool_token)
            turn_var.reset(turn_token)
            session_var.reset(session_token)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log shippers; session and turn are null outside a call."""

    EXTRAS = ("duration_ms", "outcome")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "session_id": session_var.get(),
            "turn_id": turn_var.get(),
            "tool": tool_var.get(),
        }
        for key in self.EXTRAS:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(fmt: str, level: int) -> None:
    """Logs go to stderr in both formats: on stdio transport stdout belongs to the protocol."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("agent_router").setLevel(level)


_tracing: str | None = None


def setup_tracing(spec: ObservabilitySpec) -> str | None:
    """Install an OTLP exporter when one is configured; returns where spans go, or None.
    Without opentelemetry-sdk (the 'otel' extra) spans stay no-ops and a warning says why."""
    global _tracing
    endpoint = spec.otel_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint or _tracing is not None:
        return _tracing
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "traces are not exported to %s: install the 'otel' extra (pip install 'agent-router[otel]')",
            endpoint,
        )
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": spec.service_name}))
    url = endpoint.rstrip("/")
    url = url if url.endswith("/v1/traces") else f"{url}/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    trace.set_tracer_provider(provider)
    _tracing = url
    log.info("exporting traces to %s", url)
    return url
