"""Dispatch: send a turn to the endpoint the policy picks, retrying and falling back until one
answers, and keep every endpoint's state current between turns."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import httpx

from ..config import ModelSpec, RouterConfig
from ..config.pools import CascadeSpec, EndpointSpec, PoolSpec
from ..errors import RouterError
from .endpoint import Endpoint, EndpointState
from .health import probe, read_load
from .openai_call import Completion, EndpointFailure, OnDelta, chat_completion
from .policy import Affinity, Candidate, plan
from .results import Attempt, CascadeStep, DispatchOutcome, EndpointStatus
from .wake import WakeFailed, put_to_sleep, stop_process, wake

log = logging.getLogger("agent_router.pools")


class DispatchError(RouterError):
    """No model answered the turn."""


class NoEndpoint(DispatchError):
    """None of the models asked for is served by any endpoint in the config."""

    def __init__(self, models: list[str]):
        self.models = models
        super().__init__(
            f"no endpoint serves {', '.join(repr(m) for m in models)}: give the "
            "model an endpoint (pools[].endpoints, or models[].endpoint)"
        )


class DispatchFailed(DispatchError):
    """Every candidate failed; the attempts say which endpoint failed how."""

    def __init__(self, attempts: list[Attempt], notes: list[str]):
        self.attempts = attempts
        self.notes = notes
        tried = (
            "; ".join(f"{a.endpoint} ({a.model}): {a.outcome} {a.detail}".strip() for a in attempts)
            or "no endpoint was available"
        )
        super().__init__(f"no endpoint answered: {tried}")


def _endpoints(config: RouterConfig) -> list[Endpoint]:
    found = [Endpoint.build(pool, spec) for pool in config.pools for spec in pool.endpoints]
    for model in config.models:  # the one-line form: models[].endpoint
        if model.endpoint is not None:
            pool = PoolSpec(name=f"model:{model.name}", models=[model.name])
            found.append(Endpoint.build(pool, EndpointSpec(url=model.endpoint)))
    return found


def _cost(model: ModelSpec, prompt: int | None, completion: int | None) -> float:
    return ((prompt or 0) * model.cost.input_per_mtok + (completion or 0) * model.cost.output_per_mtok) / 1e6


class Dispatcher:
    def __init__(self, config: RouterConfig):
        self.config = config
        self.spec = config.dispatch
        self.endpoints = _endpoints(config)
        self.serving: dict[str, list[Endpoint]] = {}
        for endpoint in self.endpoints:
            for model in endpoint.models:
                self.serving.setdefault(model, []).append(endpoint)
        self.cascades: dict[str, CascadeSpec] = {c.route: c for c in self.spec.cascades}
        self.affinity = Affinity(self.spec.affinity_sessions)
        self.client: httpx.AsyncClient | None = None
        self._loop: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # ---- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Probe every endpoint once, then keep probing in the background."""
        self.client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128)
        )
        if self.endpoints:
            await self.check_all()
            self._loop = asyncio.create_task(self._keep_watch())

    async def aclose(self) -> None:
        tasks = [t for t in [self._loop, *self._background] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(stop_process(e) for e in self.endpoints))
        if self.client is not None:
            await self.client.aclose()

    async def check_all(self) -> None:
        await asyncio.gather(
            *(
                self._check(e)
                for e in self.endpoints
                if e.state not in (EndpointState.waking, EndpointState.draining)
            )
        )

    async def _check(self, endpoint: Endpoint) -> None:
        assert self.client is not None
        result = await probe(self.client, endpoint)
        if endpoint.state in (EndpointState.waking, EndpointState.draining):
            return  # a wake or sleep began while we probed; it owns the state
        endpoint.set_state(result.state, result.reason)
        if result.state is EndpointState.warm:
            await read_load(self.client, endpoint)

    async def _keep_watch(self) -> None:
        while True:
            await asyncio.sleep(self.spec.health_interval_s)
            try:
                await self.check_all()
                self._idle_to_cold()
            except Exception:  # noqa: BLE001 - one bad round must not stop the watch
                log.exception("endpoint health round failed")

    def _idle_to_cold(self) -> None:
        now = time.monotonic()
        for e in self.endpoints:
            idle = e.pool.idle_after_s
            if (
                idle is not None
                and e.can_wake
                and e.state is EndpointState.warm
                and not e.in_flight
                and now - e.last_used >= idle
            ):
                self._in_background(put_to_sleep(self._http(), e))

    def _in_background(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _http(self) -> httpx.AsyncClient:
        if self.client is None:
            raise RuntimeError("the dispatcher is not started (call start() first)")
        return self.client

    async def ensure_awake(self, endpoint: Endpoint) -> float:
        """Join a wake in progress or begin one; returns the seconds this caller waited."""
        started = time.monotonic()
        if endpoint.waking is None or endpoint.waking.done():
            endpoint.waking = self._in_background(self._wake(endpoint))
        await asyncio.shield(endpoint.waking)
        return time.monotonic() - started

    async def _wake(self, endpoint: Endpoint) -> None:
        while endpoint.state is EndpointState.draining:  # let a sleep finish before waking
            await asyncio.sleep(0.05)
        took = await wake(self._http(), endpoint)
        log.info("woke %s in %.2fs", endpoint.name, took)
        await read_load(self._http(), endpoint)

    # ---- dispatch --------------------------------------------------------------------------

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
    ) -> DispatchOutcome:
        """Answer the turn with the first model that can, or the route's cascade."""
        budget = budget_ms if budget_ms is not None else self.spec.latency_budget_ms
        cascade = self.cascades.get(route) if route else None
        if cascade is not None:
            return await self._cascade(cascade, messages, models, session_id, budget, on_delta, max_tokens)
        return await self._serve(messages, models, session_id, budget, on_delta, max_tokens)

    async def _serve(
        self,
        messages: list[dict[str, Any]],
        models: list[str],
        session_id: str | None,
        budget_ms: float | None,
        on_delta: OnDelta | None,
        max_tokens: int | None,
        logprobs: bool = False,
    ) -> DispatchOutcome:
        served = [m for m in models if self.serving.get(m)]
        if not served:
            raise NoEndpoint(models)
        notes = [f"{m} has no endpoint; skipped" for m in models if m not in served]
        chosen = plan(served, self.serving, budget_ms, self.affinity.get(session_id))
        notes += chosen.notes
        for endpoint in chosen.wake_in_background:
            self._in_background(self.ensure_awake(endpoint)).add_done_callback(_quiet)
        attempts: list[Attempt] = []
        started = time.perf_counter()
        for candidate in chosen.candidates:
            done = await self._try(candidate, messages, attempts, on_delta, max_tokens, logprobs)
            if done is None:
                continue
            self.affinity.remember(session_id, candidate.endpoint.name)
            model = self.config.model(candidate.model)
            return DispatchOutcome(
                answer=done.text,
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
                cost_usd=_cost(model, done.prompt_tokens, done.completion_tokens),
                notes=notes,
            )
        raise DispatchFailed(attempts, notes)

    async def _try(
        self,
        candidate: Candidate,
        messages: list[dict[str, Any]],
        attempts: list[Attempt],
        on_delta: OnDelta | None,
        max_tokens: int | None,
        logprobs: bool,
    ) -> Completion | None:
        """Retries one endpoint with backoff; None when it gave up and the next should try."""
        endpoint, pool = candidate.endpoint, candidate.endpoint.pool
        if candidate.wake and endpoint.state is not EndpointState.warm:
            t0 = time.perf_counter()
            try:
                took = await self.ensure_awake(endpoint)
            except WakeFailed as exc:
                attempts.append(
                    Attempt(
                        model=candidate.model,
                        endpoint=endpoint.name,
                        outcome="wake failed",
                        detail=str(exc),
                        ms=_ms(t0),
                    )
                )
                return None
            attempts.append(
                Attempt(
                    model=candidate.model,
                    endpoint=endpoint.name,
                    outcome="woken",
                    detail=f"waited {took:.2f}s",
                    ms=_ms(t0),
                )
            )
        try:
            headers = endpoint.headers()
        except KeyError as exc:
            attempts.append(
                Attempt(
                    model=candidate.model,
                    endpoint=endpoint.name,
                    outcome="missing api key",
                    detail=f"environment variable {exc.args[0]} (pools {pool.name!r} api_key_env) is not set",
                    ms=0.0,
                )
            )
            return None
        body: dict[str, Any] = {
            "model": endpoint.served_name(candidate.model),
            "messages": messages,
            "max_tokens": max_tokens or self.config.model(candidate.model).max_output_tokens,
        }
        if logprobs:
            body["logprobs"] = True
        timeouts = pool.timeouts_for(candidate.model)
        pause = pool.retry.backoff_s
        for attempt in range(pool.retry.attempts):
            if not endpoint.breaker.acquire():
                attempts.append(
                    Attempt(model=candidate.model, endpoint=endpoint.name, outcome="breaker open", ms=0.0)
                )
                return None
            t0 = time.perf_counter()
            endpoint.in_flight += 1
            try:
                done = await chat_completion(
                    self._http(), endpoint.base_url, body, headers, timeouts, on_delta
                )
            except EndpointFailure as exc:
                endpoint.in_flight -= 1
                self._failed(endpoint, exc)
                attempts.append(
                    Attempt(
                        model=candidate.model,
                        endpoint=endpoint.name,
                        outcome=exc.kind,
                        detail=exc.detail,
                        ms=_ms(t0),
                    )
                )
                if not exc.retryable or attempt + 1 == pool.retry.attempts:
                    return None
                await asyncio.sleep(pause)
                pause = min(pause * 2, pool.retry.backoff_max_s)
                continue
            endpoint.in_flight -= 1
            endpoint.breaker.success()
            endpoint.served += 1
            endpoint.last_used = time.monotonic()
            if endpoint.state is EndpointState.unhealthy:
                endpoint.set_state(EndpointState.warm, "answered a turn")
            attempts.append(
                Attempt(model=candidate.model, endpoint=endpoint.name, outcome="answered", ms=_ms(t0))
            )
            return done
        return None

    def _failed(self, endpoint: Endpoint, exc: EndpointFailure) -> None:
        if exc.counts:
            endpoint.breaker.failure()
            endpoint.failed += 1
        if exc.kind == "connect" and endpoint.state is EndpointState.warm:
            endpoint.set_state(
                EndpointState.cold if endpoint.can_wake else EndpointState.unhealthy,
                f"connection refused: {exc.detail}",
            )

    async def _cascade(
        self,
        cascade: CascadeSpec,
        messages: list[dict[str, Any]],
        models: list[str],
        session_id: str | None,
        budget_ms: float | None,
        on_delta: OnDelta | None,
        max_tokens: int | None,
    ) -> DispatchOutcome:
        """Cheapest model first; keep its answer when confident enough, else escalate. Only the
        last step streams: an answer that may be thrown away is not shown to the user."""
        steps: list[CascadeStep] = []
        attempts: list[Attempt] = []
        spent = 0.0
        last = len(cascade.models) - 1
        for i, name in enumerate(cascade.models):
            tail = [m for m in models if m not in cascade.models] if i == last else []
            try:
                outcome = await self._serve(
                    messages,
                    [name, *tail],
                    session_id,
                    budget_ms,
                    on_delta if i == last else None,
                    max_tokens,
                    logprobs=i < last,
                )
            except (NoEndpoint, DispatchFailed) as exc:
                attempts += getattr(exc, "attempts", [])
                steps.append(
                    CascadeStep(
                        model=name,
                        endpoint=None,
                        mean_logprob=None,
                        threshold=cascade.threshold,
                        kept=False,
                        cost_usd=0.0,
                    )
                )
                if i == last:
                    raise DispatchFailed(attempts, [str(exc)]) from None
                continue
            attempts += outcome.attempts
            spent += outcome.cost_usd
            confidence = outcome.mean_logprob
            confident = confidence is not None and confidence >= cascade.threshold
            kept = i == last or confident
            steps.append(
                CascadeStep(
                    model=outcome.model,
                    endpoint=outcome.endpoint,
                    mean_logprob=outcome.mean_logprob,
                    threshold=cascade.threshold,
                    kept=kept,
                    cost_usd=outcome.cost_usd,
                )
            )
            if kept:
                biggest = self.config.model(cascade.models[-1])
                outcome.cost_saved_usd = (
                    _cost(biggest, outcome.prompt_tokens, outcome.completion_tokens) - spent
                )
                outcome.cost_usd = spent
                outcome.cascade, outcome.attempts = steps, attempts
                if on_delta is not None and i < last:
                    await on_delta(outcome.answer)
                return outcome
        raise AssertionError("the last cascade step always returns or raises")

    # ---- status ----------------------------------------------------------------------------

    def status(self) -> list[EndpointStatus]:
        return [
            EndpointStatus(
                name=e.name,
                pool=e.pool.name,
                url=e.base_url,
                models=e.models,
                state=e.state,
                reason=e.reason,
                breaker=e.breaker.state,
                in_flight=e.in_flight,
                served=e.served,
                failed=e.failed,
                queue_depth=e.load.waiting,
                running=e.load.running,
                kv_cache_usage=e.load.kv_cache_usage,
                cold_start_s=round(e.cold_start_s, 3) if e.cold_starts else None,
                cold_starts_measured=len(e.cold_starts),
                api_key_env=e.pool.api_key_env,
                api_key_set=bool(os.environ.get(e.pool.api_key_env)) if e.pool.api_key_env else None,
            )
            for e in self.endpoints
        ]


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


def _quiet(task: asyncio.Task[Any]) -> None:
    """Background wakes report through endpoint state; their exceptions need no other home."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("background wake failed: %s", task.exception())
