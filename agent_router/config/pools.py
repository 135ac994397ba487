"""Model pools: the OpenAI-compatible endpoints that serve each model, how to wake a cold one,
and how hard to try before giving up on an endpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import Field, field_validator, model_validator

from .routing import Strict

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PoolTemperature(StrEnum):
    warm = "warm"
    cold = "cold"


def check_base_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL; write e.g. http://127.0.0.1:8000/v1")
    return url.rstrip("/")


class EndpointSpec(Strict):
    url: str = Field(description="OpenAI-compatible base URL ending in /v1, e.g. http://host:8000/v1")
    models: list[str] = Field(
        default_factory=list, description="models it serves; empty means every model of the pool"
    )
    served_names: dict[str, str] = Field(
        default_factory=dict,
        description="model -> the name the server knows it by (vLLM --served-model-name)",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return check_base_url(url)


class HttpCall(Strict):
    method: Literal["GET", "POST", "PUT"] = "POST"
    path: str | None = Field(None, description="under the endpoint's server root, e.g. /wake_up")
    url: str | None = Field(None, description="an absolute URL instead, e.g. a scaler's webhook")

    @model_validator(mode="after")
    def _one_target(self) -> HttpCall:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of path (on the endpoint's server) or url")
        if self.url is not None:
            check_base_url(self.url)
        return self


class HttpWake(Strict):
    """vLLM's sleep mode (POST /wake_up, POST /sleep) or a scaler's webhooks."""

    kind: Literal["http"]
    wake: HttpCall = Field(default_factory=lambda: HttpCall(path="/wake_up"))
    sleep: HttpCall | None = Field(
        default_factory=lambda: HttpCall(path="/sleep"),
        description="sent after idle_after_s; null keeps it up",
    )
    ready_timeout_s: float = Field(300.0, gt=0, description="longest wait for the health check")


class CommandWake(Strict):
    """Starts a server process per endpoint; idling stops the process it started."""

    kind: Literal["command"]
    argv: list[str] = Field(min_length=1, description="{host} and {port} are the endpoint's")
    ready_timeout_s: float = Field(300.0, gt=0, description="longest wait for the health check")

    @field_validator("argv")
    @classmethod
    def _no_blank(cls, argv: list[str]) -> list[str]:
        if not argv[0].strip():
            raise ValueError("argv[0] is blank; name the program to run")
        return argv


WakeSpec = Annotated[HttpWake | CommandWake, Field(discriminator="kind")]


class Timeouts(Strict):
    connect_s: float = Field(2.0, gt=0)
    first_token_s: float = Field(30.0, gt=0, description="longest wait for the first byte or token")
    total_s: float = Field(120.0, gt=0, description="longest a whole answer may take")


class RetrySpec(Strict):
    attempts: int = Field(2, ge=1, description="tries per endpoint on connection errors and 5xx")
    backoff_s: float = Field(0.05, ge=0, description="first pause, doubled each retry")
    backoff_max_s: float = Field(1.0, ge=0)


class BreakerSpec(Strict):
    failures: int = Field(3, ge=1, description="consecutive failures that open the breaker")
    reset_after_s: float = Field(10.0, gt=0, description="then one trial goes")


class PoolSpec(Strict):
    name: str = Field(min_length=1)
    temperature: PoolTemperature = Field(
        PoolTemperature.warm, description="cold pools start asleep and are woken on demand"
    )
    models: list[str] = Field(default_factory=list)
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    api_key_env: str | None = Field(
        None,
        description="NAME of the environment variable holding "
        "the API key; the key itself never goes in this file",
    )
    wake: WakeSpec | None = None
    cold_start_s: float = Field(30.0, ge=0, description="assumed wake time until one is measured")
    idle_after_s: float | None = Field(None, gt=0, description="idle endpoints go back to cold")
    max_in_flight: int = Field(8, ge=1, description="above this an endpoint counts as overloaded")
    timeouts: Timeouts = Field(default_factory=Timeouts)
    model_timeouts: dict[str, Timeouts] = Field(default_factory=dict, description="per model")
    retry: RetrySpec = Field(default_factory=RetrySpec)
    breaker: BreakerSpec = Field(default_factory=BreakerSpec)

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, name: str | None) -> str | None:
        if name is not None and not _ENV_NAME.match(name):
            raise ValueError(
                "give the NAME of an environment variable (e.g. OPENAI_API_KEY), not the key itself"
            )
        return name

    def models_of(self, endpoint: EndpointSpec) -> list[str]:
        return endpoint.models or self.models

    def timeouts_for(self, model: str) -> Timeouts:
        return self.model_timeouts.get(model, self.timeouts)


class CascadeSpec(Strict):
    """Small model first; its answer stands when its mean token log-probability clears the bar."""

    route: str = Field(description="the route whose turns cascade")
    models: list[str] = Field(min_length=2, description="cheapest first")
    threshold: float = Field(-0.5, le=0, description="mean token logprob needed to keep an answer")


class DispatchSpec(Strict):
    health_interval_s: float = Field(10.0, gt=0, description="how often endpoints are probed")
    latency_budget_ms: float | None = Field(
        None, ge=0, description="default caller budget: a cold model is awaited only within it"
    )
    affinity_sessions: int = Field(10_000, ge=0, description="sessions remembered")
    cascades: list[CascadeSpec] = Field(default_factory=list)


def pool_issues(
    pools: list[PoolSpec], dispatch: DispatchSpec, *, known: set[str], routes: set[str]
) -> Iterator[tuple[str, str]]:
    """Cross-references the pydantic models cannot see: endpoint and cascade model names."""
    for i, pool in enumerate(pools):
        for j, endpoint in enumerate(pool.endpoints):
            for k, name in enumerate(endpoint.models):
                if name not in pool.models:
                    yield (
                        f"pools[{i}].endpoints[{j}].models[{k}]",
                        f"{name!r} is not a model of pool {pool.name!r}; add it to the "
                        "pool's models or remove it here",
                    )
        for name in pool.model_timeouts:
            if name not in pool.models:
                yield (f"pools[{i}].model_timeouts.{name}", f"{name!r} is not a model of pool {pool.name!r}")
        if pool.wake is not None and not pool.endpoints:
            yield f"pools[{i}].wake", "a wake action needs endpoints to wake"
    seen: set[str] = set()
    for i, cascade in enumerate(dispatch.cascades):
        if cascade.route not in routes:
            yield (
                f"dispatch.cascades[{i}].route",
                f"unknown route {cascade.route!r}; known routes: {', '.join(sorted(routes))}",
            )
        if cascade.route in seen:
            yield f"dispatch.cascades[{i}].route", f"{cascade.route!r} has two cascades"
        seen.add(cascade.route)
        for j, name in enumerate(cascade.models):
            if name not in known:
                yield (
                    f"dispatch.cascades[{i}].models[{j}]",
                    f"unknown model {name!r}; known models: {', '.join(sorted(known))}",
                )
