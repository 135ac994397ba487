"""Health checks over HTTP: /health (vLLM, llama-server, SGLang), else /v1/models (hosted APIs),
vLLM's /is_sleeping for sleep mode, and /metrics for load where the server exposes it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .endpoint import Endpoint, EndpointState
from .metrics import parse_metrics

PROBE_TIMEOUT = httpx.Timeout(5.0, connect=1.0)


@dataclass(frozen=True)
class Probe:
    state: EndpointState
    reason: str


async def probe(client: httpx.AsyncClient, endpoint: Endpoint) -> Probe:
    """What the endpoint is now. Refused connections read as cold when the pool can wake it."""
    try:
        headers = endpoint.headers()
    except KeyError as exc:
        return Probe(
            EndpointState.unhealthy, f"environment variable {exc.args[0]} (the pool's api_key_env) is not set"
        )
    try:
        response = await client.get(f"{endpoint.root_url}/health", timeout=PROBE_TIMEOUT)
        if response.status_code == 404:
            response = await client.get(f"{endpoint.base_url}/models", headers=headers, timeout=PROBE_TIMEOUT)
        if response.status_code == 503 and endpoint.state is EndpointState.waking:
            return Probe(EndpointState.waking, "loading")
        if response.status_code >= 400:
            return Probe(
                EndpointState.unhealthy,
                f"health check answered {response.status_code}: {response.text[:120]}",
            )
        if endpoint.can_wake and await _sleeping(client, endpoint):
            return Probe(EndpointState.cold, "in sleep mode")
    except httpx.ConnectError:
        if endpoint.can_wake:
            return Probe(EndpointState.cold, "not running")
        return Probe(EndpointState.unhealthy, "connection refused")
    except httpx.HTTPError as exc:
        return Probe(EndpointState.unhealthy, f"health check failed: {exc.__class__.__name__}")
    return Probe(EndpointState.warm, "healthy")


async def _sleeping(client: httpx.AsyncClient, endpoint: Endpoint) -> bool:
    response = await client.get(f"{endpoint.root_url}/is_sleeping", timeout=PROBE_TIMEOUT)
    if response.status_code != 200:
        return False
    try:
        return bool(response.json().get("is_sleeping"))
    except (ValueError, AttributeError):
        return False


async def read_load(client: httpx.AsyncClient, endpoint: Endpoint) -> None:
    """Queue depth and KV-cache use from /metrics; a server without it is not asked again."""
    if endpoint.metrics_supported is False:
        return
    try:
        response = await client.get(f"{endpoint.root_url}/metrics", timeout=PROBE_TIMEOUT)
    except httpx.HTTPError:
        return
    endpoint.metrics_supported = response.status_code == 200
    if endpoint.metrics_supported:
        endpoint.load = parse_metrics(response.text)
