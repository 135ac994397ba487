"""Model endpoints (issue 18): what a call through /v1/chat/completions adds over calling the
model endpoint directly, non-streaming and time to first token, with the built-in routes (routing
by embeddings), session memory and the guards all in the path; then concurrent streaming clients
for a while, each answer checked to arrive whole and once.

The router is a real `agent-router serve --http` process in front of the test double; the
client is httpx in this process, calls interleaved so that drift hits both sides alike.

    .venv/bin/python -m benchmarks.endpoints_bench [--samples 300] [--clients 32] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import httpx
import yaml

from .stats import summary_ms

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "pools")]
from doubles import start_double  # noqa: E402
from processes import serve_http, stop  # noqa: E402

WARM_UP = 30


def config_file(folder: Path, double_url: str, *, memory: bool) -> Path:
    """The built-in config (its models and routes), every model served by the double."""
    data = yaml.safe_load(resources.files("agent_router").joinpath("default_config.yaml").read_text())
    names = [m["name"] for m in data["models"]]
    data["pools"] = [{"name": "bench", "models": names, "endpoints": [{"url": double_url}]}]
    data["memory"] = {"enabled": memory, "url": f"sqlite+aiosqlite:///{folder}/memory.db"}
    path = folder / f"config-{'memory' if memory else 'no-memory'}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def call(client: httpx.AsyncClient, url: str, text: str, *, stream: bool) -> tuple[float, str]:
    """(time to the first content, or to the whole answer when not streaming; the answer)."""
    body = {"model": "auto", "messages": [{"role": "user", "content": text}], "stream": stream}
    t0 = time.perf_counter()
    if not stream:
        r = await client.post(f"{url}/chat/completions", json=body)
        r.raise_for_status()
        return time.perf_counter() - t0, r.json()["choices"][0]["message"]["content"]
    first: float | None = None
    pieces: list[str] = []
    async with client.stream("POST", f"{url}/chat/completions", json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data:") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[5:])
            if "error" in chunk:
                raise RuntimeError(chunk["error"]["message"])
            choices = chunk.get("choices") or []
            content = choices[0].get("delta", {}).get("content") if choices else None
            if content:
                first = first if first is not None else time.perf_counter() - t0
                pieces.append(content)
    return first or time.perf_counter() - t0, "".join(pieces)


async def overhead(direct_url: str, router_url: str, samples: int, label: str = "") -> list[str]:
    own: list[float] = []
    via: list[float] = []
    own_ttft: list[float] = []
    via_ttft: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        for i in range(samples + WARM_UP):
            text = f"what is {i} plus {i + 1}, and why"  # a new turn each time: no cached embedding
            d_total, _ = await call(client, direct_url, text, stream=False)
            r_total, _ = await call(client, router_url, text, stream=False)
            d_first, _ = await call(client, direct_url, text + "?", stream=True)
            r_first, _ = await call(client, router_url, text + "?", stream=True)
            if i >= WARM_UP:
                own.append(d_total)
                via.append(r_total)
                own_ttft.append(d_first)
                via_ttft.append(r_first)
    o50, o99 = summary_ms(own)
    v50, v99 = summary_ms(via)
    t50, _ = summary_ms(own_ttft)
    u50, _ = summary_ms(via_ttft)
    target = "<= 3 ms" if not label else "breakdown"
    return [
        f"| added latency p50, non-streaming{label} (direct {o50:.2f} ms, through the router "
        f"{v50:.2f} ms) | {v50 - o50:.2f} ms | {target} |",
        f"| added latency p99, non-streaming{label} (direct {o99:.2f} ms, through the router "
        f"{v99:.2f} ms) | {v99 - o99:.2f} ms | |",
        f"| TTFT overhead p50, streaming{label} (direct {t50:.2f} ms, through the router {u50:.2f} ms) "
        f"| {u50 - t50:.2f} ms | {target} |",
    ]


async def concurrent(router_url: str, clients: int, seconds: float) -> list[str]:
    """Each client streams turns back to back; an answer must be exactly the double's echo of
    its own turn: a drop, a mix-up or a repeat counts against it."""
    finished = 0
    dropped: list[str] = []
    wrong: list[str] = []
    deadline = time.monotonic() + seconds

    async def one(c: int, client: httpx.AsyncClient) -> None:
        nonlocal finished
        n = 0
        while time.monotonic() < deadline:
            text = f"client {c} turn {n}"
            try:
                _, answer = await call(client, router_url, text, stream=True)
            except (httpx.HTTPError, RuntimeError) as exc:
                dropped.append(f"{text}: {exc}")
            else:
                if answer != f"double: {text}":
                    wrong.append(f"{text}: {answer!r}")
                finished += 1
            n += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(*(one(c, client) for c in range(clients)))
    return [
        f"| {clients} concurrent streaming clients for {seconds:g} s: answers whole and once "
        f"| {finished} answered, {len(dropped)} dropped, {len(wrong)} wrong or repeated "
        f"| none dropped, none twice |"
    ]


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="endpoints-bench-"))
    double = start_double("double")
    rows = ["| measure | result | target |", "|---|---|---|"]
    try:
        for memory in (True, False):
            proc, port = serve_http(
                folder / "router.log", "--config", str(config_file(folder, double.url, memory=memory))
            )
            try:
                router_url = f"http://127.0.0.1:{port}/v1"
                httpx.get(f"{router_url}/models", timeout=120).raise_for_status()
                label = "" if memory else ", memory off"
                rows += await overhead(double.url, router_url, args.samples, label)
                if memory:
                    rows += await concurrent(router_url, args.clients, args.seconds)
            finally:
                stop(proc)
    finally:
        double.stop()
    print("\n".join(rows))
    print(
        "\nThrough the router each turn is routed by the built-in routes (embedding the new "
        "text), recorded with its answer in a new SQLite session (off the caller's clock, but "
        "on the same two cores), and its answer checked. The double answers in well under a "
        "millisecond, so the direct figures are the loopback HTTP cost alone. The rows with "
        "memory off show what session memory costs on these cores."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
