"""Observability: where traces go. Metrics and logs need no configuration."""

from __future__ import annotations

from pydantic import Field

from .routing import Strict


class ObservabilitySpec(Strict):
    otel_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP collector URL, e.g. http://localhost:4318; traces are "
        "exported only when this or OTEL_EXPORTER_OTLP_ENDPOINT is set and the 'otel' extra "
        "is installed",
    )
    service_name: str = Field("agent-router", min_length=1, description="service.name of the exported traces")
