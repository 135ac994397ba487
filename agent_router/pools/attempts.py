"""One endpoint tried for one turn: wake it when the plan says so, then call it with retries and
backoff, recording every attempt and keeping the endpoint's breaker and state current."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .dispatch_errors import DispatchFailed
from .endpoint import Endpoint, EndpointState
from .openai_call import Completion, EndpointFailure, OnDelta, chat_completion
from .policy import Candidate
from .results import Attempt
from .wake import WakeFailed
from .watch import EndpointWatch


async def try_endpoint(
    candidate: Candidate,
    messages: list[dict[str, Any]],
    attempts: list[Attempt],
    *,
    watch: EndpointWatch,
    max_tokens: int,
    on_delta: OnDelta | None,
    logprobs: bool,
    options: dict[str, Any] | None = None,
    stream_once: bool = False,
) -> Completion | None:
    """The endpoint's answer, or None when it gave up and the next candidate should try.
    `options` are the caller's own request fields (tools, tool_choice, sampling), sent as given.
    `stream_once`: a client reads the deltas as they come and cannot take them back, so a
    stream that breaks after its first delta raises DispatchFailed instead of starting again."""
    endpoint, pool = candidate.endpoint, candidate.endpoint.pool
    if candidate.wake and endpoint.state is not EndpointState.warm:
        t0 = time.perf_counter()
        try:
            took = await watch.ensure_awake(endpoint)
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
        **(options or {}),
        "model": endpoint.served_name(candidate.model),
        "messages": messages,
        "max_tokens": max_tokens,
    }
    if logprobs:
        body["logprobs"] = True
    timeouts = pool.timeouts_for(candidate.model)
    pause = pool.retry.backoff_s
    sent = 0

    async def counted(delta: str) -> None:
        nonlocal sent
        sent += 1
        assert on_delta is not None
        await on_delta(delta)

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
                watch.http(),
                endpoint.base_url,
                body,
                headers=headers,
                timeouts=timeouts,
                on_delta=counted if on_delta is not None else None,
            )
        except EndpointFailure as exc:
            endpoint.in_flight -= 1
            _failed(endpoint, exc)
            attempts.append(
                Attempt(
                    model=candidate.model,
                    endpoint=endpoint.name,
                    outcome=exc.kind,
                    detail=exc.detail,
                    ms=_ms(t0),
                )
            )
            if stream_once and sent:
                note = f" (the answer broke off after {sent} streamed chunk(s); not started again)"
                attempts[-1].detail += note
                raise DispatchFailed(attempts, []) from None
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


def _failed(endpoint: Endpoint, exc: EndpointFailure) -> None:
    if exc.counts:
        endpoint.breaker.failure()
        endpoint.failed += 1
    if exc.kind == "connect" and endpoint.state is EndpointState.warm:
        endpoint.set_state(
            EndpointState.cold if endpoint.can_wake else EndpointState.unhealthy,
            f"connection refused: {exc.detail}",
        )


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)
