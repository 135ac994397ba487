"""Dispatch: send a turn to the endpoint the policy picks, retrying and falling back until one
answers, or through the route's cascade. The endpoints' life between turns is watch.py's."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ..config import RouterConfig
from ..config.pools import CascadeSpec, EndpointSpec, PoolSpec
from .attempts import try_endpoint
from .cascade import run_cascade
from .dispatch_errors import DispatchFailed, NoEndpoint
from .endpoint import Endpoint
from .openai_call import OnDelta
from .policy import Affinity, plan
from .results import Attempt, DispatchOutcome, EndpointStatus
from .watch import EndpointWatch


def _endpoints(config: RouterConfig) -> list[Endpoint]:
    found = [Endpoint.build(pool, spec) for pool in config.pools for spec in pool.endpoints]
    for model in config.models:  # the one-line form: models[].endpoint
        if model.endpoint is not None:
            pool = PoolSpec(name=f"model:{model.name}", models=[model.name])
            found.append(Endpoint.build(pool, EndpointSpec(url=model.endpoint)))
    return found


class Dispatcher:
    def __init__(self, config: RouterConfig):
        self.config = config
        self.spec = config.dispatch
        self.endpoints = _endpoints(config)
        self.watch = EndpointWatch(self.endpoints, health_interval_s=self.spec.health_interval_s)
        self.serving: dict[str, list[Endpoint]] = {}
        for endpoint in self.endpoints:
            for model in endpoint.models:
                self.serving.setdefault(model, []).append(endpoint)
        self.cascades: dict[str, CascadeSpec] = {c.route: c for c in self.spec.cascades}
        self.affinity = Affinity(self.spec.affinity_sessions)

    async def start(self) -> None:
        """Probe every endpoint once, then keep probing in the background."""
        await self.watch.start()

    async def aclose(self) -> None:
        await self.watch.aclose()

    @property
    def client(self) -> httpx.AsyncClient | None:
        """The HTTP client to the endpoints; None until start()."""
        return self.watch.client

    async def ensure_awake(self, endpoint: Endpoint) -> float:
        """Join a wake in progress or begin one; returns the seconds this caller waited."""
        return await self.watch.ensure_awake(endpoint)

    def status(self) -> list[EndpointStatus]:
        return self.watch.status()

    def dispatchable(self, model: str) -> bool:
        return bool(self.serving.get(model))

    async def dispatch(
        self,
        messages: list[dict[str, Any]],
        models: list[str],
        *,
        route: str | None = None,
        session_id: str | None = None,
        budget_ms: float | None = None,
        on_delta: OnDelta | None = None,
        max_tokens: int | None = None,
        options: dict[str, Any] | None = None,
        stream_once: bool = False,
    ) -> DispatchOutcome:
        """Answer the turn with the first model that can, or the route's cascade. `options`:
        request fields sent to the endpoint as they are (tools, tool_choice, temperature...);
        `stream_once`: an answer that broke off mid-stream fails rather than streams again."""
        budget = budget_ms if budget_ms is not None else self.spec.latency_budget_ms
        cascade = self.cascades.get(route) if route else None
        if cascade is None:
            return await self._serve(
                messages,
                models,
                session_id=session_id,
                budget_ms=budget,
                on_delta=on_delta,
                max_tokens=max_tokens,
                options=options,
                stream_once=stream_once,
            )

        async def step(step_models: list[str], step_delta: OnDelta | None, logprobs: bool) -> DispatchOutcome:
            return await self._serve(
                messages,
                step_models,
                session_id=session_id,
                budget_ms=budget,
                on_delta=step_delta,
                max_tokens=max_tokens,
                logprobs=logprobs,
                options=options,
                stream_once=stream_once,
            )

        biggest = self.config.model(cascade.models[-1])
        return await run_cascade(cascade, models, step, biggest=biggest, on_delta=on_delta)

    async def _serve(
        self,
        messages: list[dict[str, Any]],
        models: list[str],
        *,
        session_id: str | None,
        budget_ms: float | None,
        on_delta: OnDelta | None,
        max_tokens: int | None,
        logprobs: bool = False,
        options: dict[str, Any] | None = None,
        stream_once: bool = False,
    ) -> DispatchOutcome:
        served = [m for m in models if self.serving.get(m)]
        if not served:
            raise NoEndpoint(models)
        notes = [f"{m} has no endpoint; skipped" for m in models if m not in served]
        chosen = plan(served, self.serving, budget_ms=budget_ms, sticky=self.affinity.get(session_id))
        notes += chosen.notes
        for endpoint in chosen.wake_in_background:
            self.watch.wake_in_background(endpoint)
        attempts: list[Attempt] = []
        started = time.perf_counter()
        for candidate in chosen.candidates:
            model = self.config.model(candidate.model)
            done = await try_endpoint(
                candidate,
                messages,
                attempts,
                watch=self.watch,
                max_tokens=max_tokens or model.max_output_tokens,
                on_delta=on_delta,
                logprobs=logprobs,
                options=options,
                stream_once=stream_once,
            )
            if done is None:
                continue
            self.affinity.remember(session_id, candidate.endpoint.name)
            return DispatchOutcome(
                answer=done.text,
                tool_calls=done.tool_calls,
                model=candidate.model,
                endpoint=candidate.endpoint.name,
                finish_reason=done.finish_reason,
                ttft_ms=round((time.perf_counter() - started - done.total_s + done.ttft_s) * 1000, 3),
                total_ms=round((time.perf_counter() - started) * 1000, 3),
                prompt_tokens=done.prompt_tokens,
                completion_tokens=done.completion_tokens,
                mean_logprob=done.mean_logprob,
                woke=candidate.wake,
                affinity=candidate.affinity,
                attempts=attempts,
                cost_usd=model.cost.usd(done.prompt_tokens, done.completion_tokens),
                notes=notes,
            )
        raise DispatchFailed(attempts, notes)
