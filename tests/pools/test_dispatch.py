"""Dispatch against real HTTP servers: retries, breaker, fallback, timeouts, bad answers,
API keys, streaming, affinity and load."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from doubles import Double, fast_pool, make_config
from processes import free_port

from agent_router.config import RouterConfig
from agent_router.pools import Dispatcher, DispatchFailed, NoEndpoint

USER = [{"role": "user", "content": "what is two plus two"}]


@asynccontextmanager
async def running(config: RouterConfig) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(config)
    await dispatcher.start()
    try:
        yield dispatcher
    finally:
        await dispatcher.aclose()


def status_of(dispatcher: Dispatcher, name: str) -> dict:
    return next(s.model_dump() for s in dispatcher.status() if s.name.endswith(name))


async def test_plain_and_streamed_answers_come_back_with_timings(fresh: dict[str, Double]):
    a = fresh["a"]
    a.set(token_delay_ms=20)
    async with running(make_config([fast_pool("p", ["small"], [a.url])])) as d:
        plain = await d.dispatch(USER, ["small"])
        deltas: list[str] = []

        async def collect(delta: str) -> None:
            deltas.append(delta)

        streamed = await d.dispatch(USER, ["small"], on_delta=collect)
    assert plain.answer == "a: what is two plus two"
    assert plain.endpoint == f"p@127.0.0.1:{a.port}" and plain.model == "small"
    assert streamed.answer == plain.answer == "".join(deltas) and len(deltas) == 6
    # five gaps of 20 ms between six tokens: the first token arrives well before the last
    assert streamed.ttft_ms < streamed.total_ms - 50
    assert streamed.completion_tokens == 6 and streamed.finish_reason == "stop"
    assert [x.outcome for x in streamed.attempts] == ["answered"]


async def test_a_5xx_is_retried_on_the_same_endpoint(fresh: dict[str, Double]):
    a = fresh["a"]
    a.set(fail=1, fail_status=503)
    async with running(make_config([fast_pool("p", ["small"], [a.url])])) as d:
        out = await d.dispatch(USER, ["small"])
    assert [x.outcome for x in out.attempts] == ["http 503", "answered"]
    assert out.answer.startswith("a:")


async def test_refused_connections_fall_back_to_the_next_endpoint(fresh: dict[str, Double]):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    b = fresh["b"]
    async with running(make_config([fast_pool("p", ["small"], [dead, b.url])])) as d:
        assert status_of(d, str(b.port))["state"] == "warm"
        assert d.status()[0].state == "unhealthy"  # the health check saw the dead one
        out = await d.dispatch(USER, ["small"])
    assert out.answer.startswith("b:")


async def test_the_breaker_opens_after_repeated_failures(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    a.set(fail=-1)
    b.set(delay_ms=30)  # a looks less loaded until it fails
    pool = fast_pool(
        "p",
        ["small"],
        [a.url, b.url],
        breaker={"failures": 2, "reset_after_s": 60},
        retry={"attempts": 1, "backoff_s": 0},
    )
    async with running(make_config([pool])) as d:
        first = await d.dispatch(USER, ["small"])
        second = await d.dispatch(USER, ["small"])
        assert status_of(d, str(a.port))["breaker"] == "open"
        before = a.stats()["requests"]
        third = await d.dispatch(USER, ["small"])
        assert a.stats()["requests"] == before  # the open breaker kept the turn away from a
    assert all(o.answer.startswith("b:") for o in (first, second, third))
    assert [x.outcome for x in first.attempts] == ["http 500", "answered"]
    assert [x.endpoint for x in third.attempts] == [third.endpoint]


async def test_malformed_json_names_the_endpoint_and_falls_back(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    a.set(malformed=True)
    async with running(make_config([fast_pool("p", ["small"], [a.url])])) as d:
        with pytest.raises(DispatchFailed, match=rf"p@127.0.0.1:{a.port} \(small\): malformed"):
            await d.dispatch(USER, ["small"])
    config = make_config([fast_pool("p", ["small"], [a.url]), fast_pool("q", ["big"], [b.url])])
    async with running(config) as d:
        out = await d.dispatch(USER, ["small", "big"])
    assert out.model == "big" and out.attempts[0].outcome == "malformed"


async def test_a_broken_stream_is_not_taken_as_an_answer(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    a.set(break_stream=True)

    async def ignore(delta: str) -> None:
        pass

    async with running(make_config([fast_pool("p", ["small"], [a.url, b.url])])) as d:
        d.endpoints[1].in_flight = 5  # make a the first choice
        out = await d.dispatch(USER, ["small"], on_delta=ignore)
        d.endpoints[1].in_flight = 0
    assert out.answer.startswith("b:")
    assert out.attempts[0].outcome in ("broken stream", "connection lost")


async def test_a_stream_read_as_it_comes_is_not_started_again(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    a.set(break_stream=True)
    before = b.stats()["requests"]
    deltas: list[str] = []

    async def keep(delta: str) -> None:
        deltas.append(delta)

    async with running(make_config([fast_pool("p", ["small"], [a.url, b.url])])) as d:
        d.endpoints[1].in_flight = 5  # make a the first choice
        with pytest.raises(DispatchFailed, match="broke off after 3 streamed chunk"):
            await d.dispatch(USER, ["small"], on_delta=keep, stream_once=True)
        d.endpoints[1].in_flight = 0
    assert deltas == ["a:", " what", " is"]  # only a's beginning: b never started a second answer
    assert b.stats()["requests"] == before


async def test_a_hung_endpoint_times_out_and_the_turn_moves_on(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    a.set(hang=True)
    timeouts = {"connect_s": 2, "first_token_s": 0.5, "total_s": 5}
    config = make_config(
        [fast_pool("p", ["small"], [a.url], timeouts=timeouts), fast_pool("q", ["big"], [b.url])]
    )
    async with running(config) as d:
        out = await d.dispatch(USER, ["small", "big"])
    assert out.attempts[0].outcome == "timeout" and "first_token_s" in out.attempts[0].detail
    assert out.answer.startswith("b:")


async def test_the_api_key_comes_from_the_named_variable(
    fresh: dict[str, Double], monkeypatch: pytest.MonkeyPatch
):
    a = fresh["a"]
    a.set(require_key="sk-test-123")
    monkeypatch.delenv("AR_TEST_KEY", raising=False)
    config = make_config([fast_pool("p", ["small"], [a.url], api_key_env="AR_TEST_KEY")])
    async with running(config) as d:
        assert "AR_TEST_KEY" in d.status()[0].reason
        with pytest.raises(DispatchFailed, match="environment variable AR_TEST_KEY"):
            await d.dispatch(USER, ["small"])
        monkeypatch.setenv("AR_TEST_KEY", "sk-test-123")
        out = await d.dispatch(USER, ["small"])
        shown = d.status()[0].model_dump_json()
    assert out.answer.startswith("a:")
    assert "sk-test-123" not in shown and '"api_key_set":true' in shown


async def test_a_model_without_endpoints_cannot_be_dispatched(fresh: dict[str, Double]):
    async with running(make_config([fast_pool("p", ["small"], [fresh["a"].url])])) as d:
        with pytest.raises(NoEndpoint, match="'offline'"):
            await d.dispatch(USER, ["offline"])
        out = await d.dispatch(USER, ["offline", "small"])
    assert out.notes == ["offline has no endpoint; skipped"]


async def test_a_session_returns_to_its_endpoint_until_it_is_overloaded(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    config = make_config([fast_pool("p", ["small"], [a.url, b.url], max_in_flight=1)])
    async with running(config) as d:
        first = await d.dispatch(USER, ["small"], session_id="s1")
        again = [await d.dispatch(USER, ["small"], session_id="s1") for _ in range(4)]
        assert {o.endpoint for o in again} == {first.endpoint} and all(o.affinity for o in again)
        # a slow turn of the same session occupies its endpoint: the next one goes elsewhere
        home = a if first.answer.startswith("a:") else b
        home.set(delay_ms=1500)
        slow = asyncio.create_task(d.dispatch(USER, ["small"], session_id="s1"))
        while not any(e.in_flight for e in d.endpoints):
            await asyncio.sleep(0.01)
        assert next(e.name for e in d.endpoints if e.in_flight) == first.endpoint
        moved = await d.dispatch(USER, ["small"], session_id="s1")
        assert (await slow).endpoint == first.endpoint
    assert moved.endpoint != first.endpoint and not moved.affinity


async def test_metrics_feed_load_figures(fresh: dict[str, Double]):
    async with running(make_config([fast_pool("p", ["small"], [fresh["a"].url])])) as d:
        figures = d.status()[0]
    assert figures.kv_cache_usage == 0.25 and figures.queue_depth == 0.0
