"""Model pools: dispatch overhead over calling the same warm endpoint directly with httpx, time
to first token overhead, 1,000 turns with one of three endpoints killed mid-run, and, when
llama-server is installed (make e2e), its real cold start and the prefix-cache effect of
session affinity on time to first token.

    .venv/bin/python -m benchmarks.pools_bench [--turns 1000] [--samples 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from agent_router.config import parse_config
from agent_router.pools import Dispatcher

from .stats import summary_ms

# The benchmark drives the same test double and llama-server launcher as the tests.
TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "pools")]
from doubles import start_double  # noqa: E402
from llama_paths import llama_argv, llama_server, smollm2_gguf  # noqa: E402
from processes import free_port  # noqa: E402

USER = [{"role": "user", "content": "what is two plus two"}]


def config(pools: list[dict], **extra) -> object:
    return parse_config(
        {
            "models": [{"name": "m"}, {"name": "fallback"}],
            "pools": pools,
            "defaults": {"model": "m"},
            "memory": {"enabled": False},
            **extra,
        }
    )


async def direct(client: httpx.AsyncClient, url: str, stream: bool) -> tuple[float, float]:
    """(ttft, total) of one call made with httpx alone."""
    body = {"model": "m", "messages": USER, "max_tokens": 1024, "stream": stream}
    t0 = time.perf_counter()
    if not stream:
        r = await client.post(f"{url}/chat/completions", json=body)
        r.json()["choices"][0]["message"]["content"]
        total = time.perf_counter() - t0
        return total, total
    ttft = None
    async with client.stream("POST", f"{url}/chat/completions", json=body) as r:
        async for line in r.aiter_lines():
            if line.startswith("data:") and ttft is None and '"content"' in line:
                ttft = time.perf_counter() - t0
    return ttft or 0.0, time.perf_counter() - t0


async def overhead(samples: int) -> list[str]:
    a = start_double("a")
    try:
        d = Dispatcher(config([{"name": "p", "models": ["m"], "endpoints": [{"url": a.url}]}]))
        await d.start()
        client = httpx.AsyncClient()
        own: list[float] = []
        via: list[float] = []
        own_ttft: list[float] = []
        via_ttft: list[float] = []

        async def ignore(_: str) -> None:
            pass

        for i in range(samples + 50):  # interleaved, so drift hits both alike; 50 warm-up
            ttft0, total0 = await direct(client, a.url, stream=False)
            t0 = time.perf_counter()
            await d.dispatch(USER, ["m"])
            total1 = time.perf_counter() - t0
            s_ttft0, _ = await direct(client, a.url, stream=True)
            out = await d.dispatch(USER, ["m"], on_delta=ignore)
            if i >= 50:
                own.append(total0)
                via.append(total1)
                own_ttft.append(s_ttft0)
                via_ttft.append(out.ttft_ms / 1000)
        await client.aclose()
        await d.aclose()
    finally:
        a.stop()
    o50, o99 = summary_ms(own)
    v50, v99 = summary_ms(via)
    t50, _ = summary_ms(own_ttft)
    u50, _ = summary_ms(via_ttft)
    return [
        f"| dispatch overhead p50 (direct {o50:.2f} ms, dispatched {v50:.2f} ms) | "
        f"{v50 - o50:.2f} ms | <= 2 ms |",
        f"| dispatch overhead p99 (direct {o99:.2f} ms, dispatched {v99:.2f} ms) | "
        f"{v99 - o99:.2f} ms | <= 5 ms |",
        f"| TTFT overhead p50 (direct {t50:.2f} ms, dispatched {u50:.2f} ms) | "
        f"{u50 - t50:.2f} ms | <= 2 ms |",
    ]


async def kill_one(turns: int) -> list[str]:
    logs = Path(tempfile.mkdtemp(prefix="pools-bench-"))
    servers = [start_double(n, "--log", str(logs / f"{n}.jsonl"), "--delay-ms", "5") for n in "xyz"]
    try:
        pool = {
            "name": "p",
            "models": ["m"],
            "endpoints": [{"url": s.url} for s in servers],
            "retry": {"attempts": 2, "backoff_s": 0.01},
        }
        d = Dispatcher(config([pool]))
        await d.start()
        gate = asyncio.Semaphore(16)
        answers: dict[int, str] = {}
        failures: list[str] = []
        done = 0

        async def turn(i: int) -> None:
            nonlocal done
            async with gate:
                try:
                    out = await d.dispatch([{"role": "user", "content": f"turn-{i}"}], ["m"])
                    answers[i] = out.answer
                except Exception as exc:  # noqa: BLE001 - a lost turn is what we count
                    failures.append(f"{i}: {exc}")
                done += 1
                if done == turns // 3:
                    servers[0].proc.kill()

        t0 = time.perf_counter()
        await asyncio.gather(*(turn(i) for i in range(turns)))
        took = time.perf_counter() - t0
        await d.aclose()
    finally:
        for s in servers:
            s.stop()
    served = Counter()
    for log in logs.glob("*.jsonl"):
        for line in log.read_text().splitlines():
            served[json.loads(line)["turn"][0].strip()] += 1
    right = sum(1 for i, text in answers.items() if text.endswith(f" turn-{i}"))
    twice = sum(1 for c in served.values() if c > 1)
    return [
        f"| {turns} turns, endpoint x killed after {turns // 3}: answered | "
        f"{len(answers)} ({right} with their own answer) in {took:.1f} s | all |",
        f"| ... lost | {len(failures)} | 0 |",
        f"| ... answered twice (server logs) | {twice} | 0 |",
    ]


async def llama() -> list[str]:
    binary, gguf = llama_server(), smollm2_gguf()
    if binary is None or gguf is None:
        return ["| llama-server | not installed (make e2e) | |"]
    ports = [free_port(), free_port()]
    pool = {
        "name": "llama",
        "temperature": "cold",
        "models": ["m"],
        "endpoints": [{"url": f"http://127.0.0.1:{p}/v1"} for p in ports],
        "wake": {"kind": "command", "argv": llama_argv(binary, gguf)},
        "timeouts": {"first_token_s": 120, "total_s": 300},
    }
    d = Dispatcher(config([pool]))
    await d.start()
    try:
        prefix = " ".join(f"Rule {i}: answer politely and briefly." for i in range(120))
        rows = []
        first = await d.dispatch([{"role": "user", "content": "hi"}], ["m"], max_tokens=4)
        await d.ensure_awake(d.endpoints[1])
        starts = [e.cold_start_s for e in d.endpoints]
        rows.append(
            f"| llama-server cold start (process start + model load), 2 endpoints | "
            f"{starts[0]:.2f} s, {starts[1]:.2f} s (first turn {first.total_ms:.0f} ms "
            f"end to end) | measured |"
        )
        same, moved = [], []

        async def ignore(_: str) -> None:
            pass

        for k in range(3):
            system = {"role": "system", "content": f"Session {k}. {prefix}"}
            turn1 = [system, {"role": "user", "content": "Say hello."}]
            one = await d.dispatch(turn1, ["m"], session_id=f"s{k}", on_delta=ignore, max_tokens=8)
            turn2 = [
                *turn1,
                {"role": "assistant", "content": one.answer},
                {"role": "user", "content": "Say goodbye."},
            ]
            two = await d.dispatch(turn2, ["m"], session_id=f"s{k}", on_delta=ignore, max_tokens=8)
            other = next(e.name for e in d.endpoints if e.name != one.endpoint)
            d.affinity.remember(f"m{k}", other)  # as if a balancer had moved the session
            three = await d.dispatch(turn2, ["m"], session_id=f"m{k}", on_delta=ignore, max_tokens=8)
            assert two.endpoint == one.endpoint and three.endpoint == other
            same.append(two.ttft_ms)
            moved.append(three.ttft_ms)
        rows.append(
            f"| TTFT of turn 2 (~{one.prompt_tokens or 0} prompt tokens) on the session's "
            f"endpoint (prefix cache) vs another | {sorted(same)[1]:.0f} ms vs "
            f"{sorted(moved)[1]:.0f} ms (median of 3) | affinity helps |"
        )
        return rows
    finally:
        await d.aclose()


async def run(args: argparse.Namespace) -> None:
    rows = ["| measure | result | target |", "|---|---|---|"]
    rows += await overhead(args.samples)
    rows += await kill_one(args.turns)
    rows += await llama()
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=500)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
