"""Cold endpoints: woken within the caller's budget or in the background, idled back to cold,
and started as processes; and the cascade from a small model to a large one."""

from __future__ import annotations

import asyncio
import sys

import httpx
from doubles import DOUBLE, Double, fast_pool, make_config
from processes import free_port
from test_dispatch import USER, running


def sleepy_pool(s: Double, **extra) -> dict:
    return fast_pool("sleep", ["sleepy"], [s.url], temperature="cold", wake={"kind": "http"}, **extra)


async def test_a_cold_first_choice_is_woken_when_the_budget_allows(fresh: dict[str, Double]):
    s = fresh["s"]
    s.set(sleeping=True, wake_ms=300)
    config = make_config([sleepy_pool(s, idle_after_s=0.3)], dispatch={"health_interval_s": 0.1})
    async with running(config) as d:
        assert d.status()[0].state == "cold"
        out = await d.dispatch(USER, ["sleepy"], budget_ms=60_000)
        status = d.status()[0]
        assert out.woke and out.answer.startswith("s:")
        assert [a.outcome for a in out.attempts] == ["woken", "answered"]
        assert status.cold_starts_measured == 1 and 0.3 <= status.cold_start_s < 30
        for _ in range(200):  # idle_after_s passes: the pool puts it back to sleep
            if d.status()[0].state == "cold":
                break
            await asyncio.sleep(0.05)
        assert d.status()[0].state == "cold" and s.stats()["settings"]["sleeping"] is True


async def test_over_budget_a_warm_fallback_serves_and_the_cold_one_wakes(fresh: dict[str, Double]):
    s, a = fresh["s"], fresh["a"]
    s.set(sleeping=True, wake_ms=200)
    config = make_config([sleepy_pool(s, cold_start_s=20), fast_pool("p", ["small"], [a.url])])
    async with running(config) as d:
        out = await d.dispatch(USER, ["sleepy", "small"], budget_ms=500)
        assert out.model == "small" and not out.woke
        assert "over the 500 ms budget" in out.notes[0]
        for _ in range(200):
            if d.status()[0].state == "warm":
                break
            await asyncio.sleep(0.05)
        assert d.status()[0].state == "warm" and d.status()[0].cold_starts_measured == 1
        later = await d.dispatch(USER, ["sleepy", "small"], budget_ms=500)
    assert later.model == "sleepy" and not later.woke


async def test_a_command_wake_starts_the_server_and_idling_stops_it():
    port = free_port()
    argv = [sys.executable, DOUBLE, "--port", "{port}", "--name", "proc"]
    pool = fast_pool(
        "procs",
        ["sleepy"],
        [f"http://127.0.0.1:{port}/v1"],
        temperature="cold",
        wake={"kind": "command", "argv": argv, "ready_timeout_s": 120},
        idle_after_s=0.5,
    )
    async with running(make_config([pool], dispatch={"health_interval_s": 0.2})) as d:
        assert d.status()[0].state == "cold" and d.status()[0].reason == "not running"
        out = await d.dispatch(USER, ["sleepy"])
        assert out.woke and out.answer.startswith("proc:")
        took = d.status()[0].cold_start_s
        assert took is not None and took > 0
        for _ in range(300):
            if d.status()[0].state == "cold":
                break
            await asyncio.sleep(0.05)
        assert d.status()[0].state == "cold" and d.endpoints[0].process is None
    async with httpx.AsyncClient() as client:
        try:
            await client.get(f"http://127.0.0.1:{port}/health", timeout=2)
            stopped = False
        except httpx.ConnectError:
            stopped = True
    assert stopped


def cascade_config(a: Double, b: Double):
    return make_config(
        [fast_pool("p", ["small"], [a.url]), fast_pool("q", ["big"], [b.url])],
        routes=[{"name": "chat", "models": ["small", "big"]}],
        dispatch={"cascades": [{"route": "chat", "models": ["small", "big"], "threshold": -0.5}]},
    )


async def test_a_confident_small_model_keeps_the_turn(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    a.set(logprob=-0.1)
    async with running(cascade_config(a, b)) as d:
        out = await d.dispatch(USER, ["small", "big"], route="chat")
    assert out.model == "small" and [s.kept for s in out.cascade] == [True]
    assert abs(out.cascade[0].mean_logprob + 0.1) < 1e-9
    assert out.cost_saved_usd > 0 and out.cost_usd < out.cost_saved_usd


async def test_an_unsure_small_model_escalates(fresh: dict[str, Double]):
    a, b = fresh["a"], fresh["b"]
    a.set(logprob=-2.0)
    deltas: list[str] = []

    async def collect(delta: str) -> None:
        deltas.append(delta)

    async with running(cascade_config(a, b)) as d:
        out = await d.dispatch(USER, ["small", "big"], route="chat", on_delta=collect)
    assert out.model == "big" and out.answer.startswith("b:")
    assert [(s.model, s.kept) for s in out.cascade] == [("small", False), ("big", True)]
    assert abs(out.cascade[0].mean_logprob + 2.0) < 1e-9
    assert out.cost_saved_usd < 0  # the small model's answer was paid for and thrown away
    assert "".join(deltas) == out.answer  # only the kept answer was streamed
