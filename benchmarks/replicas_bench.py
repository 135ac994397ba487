"""Several replicas behind HAProxy (issue 19): route_turn throughput through the load balancer
with 1, 2 and 3 `agent-router serve --http` replicas, and route_turn latency under 32
concurrent callers through HAProxy in front of 3 replicas against one process called directly.

    .venv/bin/python -m benchmarks.replicas_bench

The replicas are those of tests/replicas (cluster.py): API keys, one PostgreSQL database
created for the run and Redis for the rate limits. Every turn's text is new (no vector cache
hit) and names no session, so a call is routing alone: the text encoder on the CPU. The 32
callers run in this benchmark's own process (one MCP client each) on the same cores as the
replicas, so on a small machine they take a share of the CPU the replicas would use."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .stats import summary_ms

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "replicas")]
from cluster import (  # noqa: E402
    Cluster,
    cluster_config,
    create_database,
    drop_database,
    keyed_client,
    missing_parts,
)

CALLERS = 32
CALLS = 320  # per configuration and round, shared among the callers
ROUNDS = 3
WARM_CALLS = 64
TENANTS = {"bench": {"requests_per_second": 1_000_000, "burst": 1_000_000}}


async def load(url: str, key: str, *, calls: int, tag: str) -> tuple[float, list[float]]:
    """`calls` route_turn calls from CALLERS concurrent clients; (seconds in all, each call's)."""
    times: list[float] = []
    queue = iter(range(calls))

    async def caller() -> None:
        async with keyed_client(url, key) as client:
            for n in queue:
                text = f"{tag} {n}: why does my python loop raise IndexError on the last item"
                started = time.perf_counter()
                result = await client.call_tool(
                    "route_turn", {"messages": [{"role": "user", "content": text}]}
                )
                times.append(time.perf_counter() - started)
                assert not result.is_error, result.content

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    return time.perf_counter() - started, times


async def measure(cluster: Cluster, key: str) -> list[str]:
    balancers = {count: cluster.start_balancer(count) for count in (1, 2, 3)}
    urls = {count: f"http://127.0.0.1:{port}/mcp" for count, port in balancers.items()}
    for count, url in urls.items():
        await load(url, key, calls=WARM_CALLS, tag=f"warm{count}")
    rates: dict[int, list[float]] = {count: [] for count in urls}
    callers_cpu: list[float] = []  # the callers' own CPU seconds per second of the load
    for round_ in range(ROUNDS):  # the configurations in turn, so drift falls on each alike
        for count, url in urls.items():
            cpu = time.process_time()
            seconds, _ = await load(url, key, calls=CALLS, tag=f"lb{count}-{round_}")
            callers_cpu.append((time.process_time() - cpu) / seconds)
            rates[count].append(CALLS / seconds)
    median = {count: statistics.median(values) for count, values in rates.items()}
    rows = [
        f"| {count} | {median[count]:.0f} | {min(values):.0f} to {max(values):.0f} | "
        f"{median[count] / median[1]:.2f}x |"
        for count, values in rates.items()
    ]
    _, alone = await load(cluster.replicas[0].url, key, calls=2 * CALLS, tag="direct")
    _, balanced = await load(urls[3], key, calls=2 * CALLS, tag="p99")
    alone_p50, alone_p99 = summary_ms(alone)
    lb_p50, lb_p99 = summary_ms(balanced)
    return [
        f"route_turn (routing alone, a new text each call) from {CALLERS} concurrent MCP clients "
        f"over streamable HTTP with API keys: {ROUNDS} rounds of {CALLS} calls per configuration, "
        f"taken in turn, after {WARM_CALLS} to warm up; {os.cpu_count()} cores shared by the "
        "replicas, HAProxy and the callers (and, on these machines, other work).",
        "",
        "| replicas behind HAProxy | route_turn calls/s (median) | range over rounds | vs 1 replica |",
        "|---|---|---|---|",
        *rows,
        "",
        f"| {CALLERS} concurrent callers, {2 * CALLS} calls | p50 | p99 |",
        "|---|---|---|",
        f"| one process, called directly | {alone_p50:.1f} ms | {alone_p99:.1f} ms |",
        f"| HAProxy, 3 replicas | {lb_p50:.1f} ms | {lb_p99:.1f} ms |",
        "",
        f"The callers' process itself used {statistics.median(callers_cpu):.2f} CPU seconds a "
        f"second of the load (of {os.cpu_count()}), which the replicas did not have. "
        f"p99 through the load balancer: {lb_p99 / alone_p99:.2f}x the single process "
        "(target: within 2x). Every replica runs its own text encoder on these cores, which one "
        "replica and the callers already keep busy: more replicas add no CPU, so throughput "
        "stays about flat. The target of 2 replicas >= 1.7x one assumes the encoders remote "
        "(issue 19, item 3) or a core per replica.",
    ]


def main() -> None:
    missing = missing_parts()
    if missing is not None:
        print(f"Not measured: {missing}.")
        return
    name, url = asyncio.run(create_database())
    with tempfile.TemporaryDirectory(prefix="replicas-bench-") as tmp:
        folder = Path(tmp)
        cluster = Cluster(folder, name, url, cluster_config(folder, url, tenants=TENANTS))
        try:
            cluster.start_replicas(3)
            key = cluster.new_key("bench")
            lines = asyncio.run(measure(cluster, key))
        finally:
            cluster.stop()
            asyncio.run(drop_database(name))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
