"""One chat completion against an OpenAI-compatible endpoint, streamed or not, with the time to
first token and the mean token log-probability (the cascade's confidence) measured on the way."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..config.pools import Timeouts

OnDelta = Callable[[str], Awaitable[None]]


class EndpointFailure(Exception):
    """What went wrong at an endpoint. Retryable failures (connection errors, 5xx) may succeed
    on a second try; the others will not, though another endpoint may do better."""

    def __init__(self, kind: str, detail: str, *, retryable: bool, counts: bool = True):
        self.kind = kind
        self.detail = detail
        self.retryable = retryable
        self.counts = counts  # against the endpoint's breaker; a caller's 4xx does not
        super().__init__(f"{kind}: {detail}")


@dataclass
class Completion:
    text: str
    finish_reason: str | None
    ttft_s: float
    total_s: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    logprobs: list[float] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # OpenAI shape, complete

    @property
    def mean_logprob(self) -> float | None:
        return sum(self.logprobs) / len(self.logprobs) if self.logprobs else None


def _status_failure(status: int, body: str) -> EndpointFailure:
    snippet = body.strip().replace("\n", " ")[:200]
    if status >= 500:
        return EndpointFailure(f"http {status}", snippet or "server error", retryable=True)
    if status in (401, 403):
        return EndpointFailure(
            f"http {status}",
            f"the endpoint rejected the API key (check the pool's api_key_env): {snippet}",
            retryable=False,
        )
    if status in (404, 408, 429):  # model not on this server, its own timeout, rate limited
        return EndpointFailure(f"http {status}", snippet, retryable=status != 404)
    return EndpointFailure(f"http {status}", snippet, retryable=False, counts=False)


def _logprobs_of(choice: dict[str, Any]) -> list[float]:
    block = choice.get("logprobs") or {}
    return [float(t["logprob"]) for t in block.get("content") or [] if "logprob" in t]


async def chat_completion(
    client: httpx.AsyncClient,
    base_url: str,
    body: dict[str, Any],
    *,
    headers: dict[str, str],
    timeouts: Timeouts,
    on_delta: OnDelta | None = None,
) -> Completion:
    """POST /chat/completions. Streams when on_delta is given; raises EndpointFailure."""
    timeout = httpx.Timeout(timeouts.first_token_s, connect=timeouts.connect_s)
    url = f"{base_url}/chat/completions"
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeouts.total_s):
            if on_delta is None:
                return await _plain(client, url, body, headers, timeout, started)
            return await _streamed(client, url, body, headers, timeout, started, on_delta)
    except TimeoutError:
        raise EndpointFailure(
            "timeout", f"no complete answer within {timeouts.total_s:g}s (timeouts.total_s)", retryable=False
        ) from None
    except httpx.TimeoutException as exc:
        which = "connect_s" if isinstance(exc, httpx.ConnectTimeout) else "first_token_s"
        raise EndpointFailure(
            "timeout",
            f"{exc.__class__.__name__} (timeouts.{which})",
            retryable=isinstance(exc, httpx.ConnectTimeout),
        ) from None
    except httpx.ConnectError as exc:
        raise EndpointFailure("connect", str(exc) or "connection refused", retryable=True) from None
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError) as exc:
        raise EndpointFailure("connection lost", str(exc) or exc.__class__.__name__, retryable=True) from None


async def _plain(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    timeout: httpx.Timeout,
    started: float,
) -> Completion:
    response = await client.post(url, json={**body, "stream": False}, headers=headers, timeout=timeout)
    if response.status_code >= 400:
        raise _status_failure(response.status_code, response.text)
    elapsed = time.perf_counter() - started
    try:
        data = response.json()
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        tool_calls = list(choice["message"].get("tool_calls") or [])
        usage = data.get("usage") or {}
        logprobs = _logprobs_of(choice)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise EndpointFailure(
            "malformed",
            f"response is not an OpenAI chat completion "
            f"({exc.__class__.__name__}: {str(exc)[:80]}): "
            f"{response.text[:120]!r}",
            retryable=False,
        ) from None
    return Completion(
        text,
        choice.get("finish_reason"),
        elapsed,
        elapsed,
        usage.get("prompt_tokens"),
        usage.get("completion_tokens"),
        logprobs,
        tool_calls,
    )


async def _streamed(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    timeout: httpx.Timeout,
    started: float,
    on_delta: OnDelta,
) -> Completion:
    payload = {**body, "stream": True, "stream_options": {"include_usage": True}}
    pieces: list[str] = []
    logprobs: list[float] = []
    ttft: float | None = None
    finish: str | None = None
    usage: dict[str, Any] = {}
    calls: dict[int, dict[str, Any]] = {}
    done = False
    async with client.stream("POST", url, json=payload, headers=headers, timeout=timeout) as resp:
        if resp.status_code >= 400:
            raise _status_failure(resp.status_code, (await resp.aread()).decode(errors="replace"))
        async for line in resp.aiter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                break
            try:
                chunk = json.loads(data)
                usage = chunk.get("usage") or usage
                choices = chunk.get("choices") or []
                if not choices:
                    continue
                choice = choices[0]
                delta = (choice.get("delta") or {}).get("content") or ""
                _gather_calls(calls, (choice.get("delta") or {}).get("tool_calls") or [])
                logprobs.extend(_logprobs_of(choice))
                finish = choice.get("finish_reason") or finish
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise EndpointFailure(
                    "malformed",
                    f"stream chunk is not JSON of a chat "
                    f"completion chunk ({exc.__class__.__name__}): "
                    f"{data[:120]!r}",
                    retryable=False,
                ) from None
            if delta:
                if ttft is None:
                    ttft = time.perf_counter() - started
                pieces.append(delta)
                await on_delta(delta)
    if not done and finish is None:
        raise EndpointFailure(
            "broken stream",
            f"the stream ended after {len(pieces)} chunks without a finish_reason or [DONE]",
            retryable=False,
        )
    total = time.perf_counter() - started
    return Completion(
        "".join(pieces),
        finish,
        ttft if ttft is not None else total,
        total,
        usage.get("prompt_tokens"),
        usage.get("completion_tokens"),
        logprobs,
        [calls[i] for i in sorted(calls)],
    )


def _gather_calls(calls: dict[int, dict[str, Any]], deltas: list[dict[str, Any]]) -> None:
    """Tool calls arrive in pieces keyed by index (the id and name first, the arguments as
    text fragments); they are only whole, and only checked, once the stream has ended."""
    for delta in deltas:
        call = calls.setdefault(
            int(delta.get("index", len(calls))),
            {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
        )
        call["id"] = delta.get("id") or call["id"]
        function = delta.get("function") or {}
        call["function"]["name"] += function.get("name") or ""
        call["function"]["arguments"] += function.get("arguments") or ""
