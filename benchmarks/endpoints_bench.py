"""Model endpoints (issue 18): what a call through /v1/chat/completions adds over calling the
model endpoint directly, non-streaming and time to first token, with the built-in routes (routing
by embeddings), session memory and the guards all in the path; then concurrent streaming clients
for a while, each answer checked to arrive whole and once; then LiteLLM's proxy in front of the
same endpoint, measured the same way, for comparison.

The router is a real `agent-router serve --http` process in front of the test double; the
client is httpx in this process, calls interleaved so that drift hits both sides alike. LiteLLM
runs from its own virtual environment (`build/litellm-venv`, made with pip on first use, or the
`litellm` executable that LITELLM_BIN names): it pins dependencies of its own.

    .venv/bin/python -m benchmarks.endpoints_bench [--samples 300] [--clients 32] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
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
from processes import free_port, serve_http, stop  # noqa: E402

WARM_UP = 30
LITELLM = "litellm[proxy]==1.108.7"
LITELLM_VENV = Path(__file__).resolve().parents[1] / "build" / "litellm-venv"
LITELLM_KEY = "sk-bench-0123456789abcdef0123456789"  # a master key it accepts as strong enough


def config_file(folder: Path, double_url: str, *, memory: bool) -> Path:
    """The built-in config (its models and routes), every model served by the double."""
    data = yaml.safe_load(resources.files("agent_router").joinpath("default_config.yaml").read_text())
    names = [m["name"] for m in data["models"]]
    data["pools"] = [{"name": "bench", "models": names, "endpoints": [{"url": double_url}]}]
    data["memory"] = {"enabled": memory, "url": f"sqlite+aiosqlite:///{folder}/memory.db"}
    # Loopback without keys (authentication costs are the auth bench's), and no request rate
    # limit: the bench measures the path, not the limiter.
    data["auth"] = {"mode": "none"}
    data["limits"] = {"requests_per_second": 1_000_000, "burst": 1_000_000}
    path = folder / f"config-{'memory' if memory else 'no-memory'}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def call(
    client: httpx.AsyncClient, url: str, text: str, *, stream: bool, model: str = "auto"
) -> tuple[float, str]:
    """(time to the first content, or to the whole answer when not streaming; the answer)."""
    body = {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream}
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


async def overhead(
    direct_url: str,
    router_url: str,
    samples: int,
    label: str = "",
    *,
    model: str = "auto",
    through: str = "the router",
    headers: dict[str, str] | None = None,
    target: str = "<= 3 ms",
) -> list[str]:
    own: list[float] = []
    via: list[float] = []
    own_ttft: list[float] = []
    via_ttft: list[float] = []
    async with httpx.AsyncClient(timeout=60, headers=headers) as client:
        for i in range(samples + WARM_UP):
            text = f"what is {i} plus {i + 1}, and why"  # a new turn each time: no cached embedding
            d_total, _ = await call(client, direct_url, text, stream=False, model=model)
            r_total, _ = await call(client, router_url, text, stream=False, model=model)
            d_first, _ = await call(client, direct_url, text + "?", stream=True, model=model)
            r_first, _ = await call(client, router_url, text + "?", stream=True, model=model)
            if i >= WARM_UP:
                own.append(d_total)
                via.append(r_total)
                own_ttft.append(d_first)
                via_ttft.append(r_first)
    o50, o99 = summary_ms(own)
    v50, v99 = summary_ms(via)
    t50, _ = summary_ms(own_ttft)
    u50, _ = summary_ms(via_ttft)
    return [
        f"| added latency p50, non-streaming{label} (direct {o50:.2f} ms, through {through} "
        f"{v50:.2f} ms) | {v50 - o50:.2f} ms | {target} |",
        f"| added latency p99, non-streaming{label} (direct {o99:.2f} ms, through {through} "
        f"{v99:.2f} ms) | {v99 - o99:.2f} ms | |",
        f"| TTFT overhead p50, streaming{label} (direct {t50:.2f} ms, through {through} {u50:.2f} ms) "
        f"| {u50 - t50:.2f} ms | {target} |",
    ]


def litellm_bin() -> Path:
    """LiteLLM's executable: LITELLM_BIN, or its own venv under build/, made on first use."""
    named = os.environ.get("LITELLM_BIN")
    if named:
        return Path(named)
    binary = LITELLM_VENV / "bin" / "litellm"
    if not binary.exists():
        print(f"installing {LITELLM} into {LITELLM_VENV}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        subprocess.run([str(LITELLM_VENV / "bin" / "pip"), "install", "-q", LITELLM], check=True)
    return binary


async def litellm_rows(folder: Path, double_url: str, samples: int) -> list[str]:
    """LiteLLM's proxy in front of the same double, as its docs start it (one worker, a master
    key), measured like the router."""
    config = folder / "litellm.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model_list": [
                    {
                        "model_name": "double",
                        "litellm_params": {"model": "openai/double", "api_base": double_url, "api_key": "x"},
                    }
                ],
                "general_settings": {"master_key": LITELLM_KEY},
            }
        )
    )
    port = free_port()
    with open(folder / "litellm.log", "wb") as log:
        proc = subprocess.Popen(
            [str(litellm_bin()), "--config", str(config), "--port", str(port)], stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}/v1"
    headers = {"authorization": f"Bearer {LITELLM_KEY}"}
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                async with httpx.AsyncClient(timeout=10, headers=headers) as client:
                    await call(client, url, "ready?", stream=False, model="double")
                break
            except (httpx.HTTPError, KeyError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(
                        f"LiteLLM did not start: {(folder / 'litellm.log').read_text()[-2000:]}"
                    ) from None
                await asyncio.sleep(1)
        return await overhead(
            double_url,
            url,
            samples,
            ", LiteLLM proxy",
            model="double",
            through="LiteLLM",
            headers=headers,
            target="the router's at most this",
        )
    finally:
        stop(proc)


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
                rows += await overhead(
                    double.url, router_url, args.samples, label, target="<= 3 ms" if memory else "breakdown"
                )
                if memory:
                    rows += await concurrent(router_url, args.clients, args.seconds)
            finally:
                stop(proc)
        rows += await litellm_rows(folder, double.url, args.samples)
    finally:
        double.stop()
    print("\n".join(rows))
    print(
        "\nThrough the router each turn is routed by the built-in routes (embedding the new "
        "text), recorded with its answer in a new SQLite session (off the caller's clock, but "
        "on the same two cores), and its answer checked. The double answers in well under a "
        "millisecond, so the direct figures are the loopback HTTP cost alone. The rows with "
        "memory off show what session memory costs on these cores. LiteLLM's rows: its proxy "
        f"({LITELLM}) in front of the same double, forwarding to a named model, with no "
        "routing, memory or guards."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
