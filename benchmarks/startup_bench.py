"""Start-up and steady-state overheads against issue 13's targets: importing the server module,
`agent-router route` (wall time and peak memory), spawning `agent-router serve` over stdio to
the first route_turn answer, get_context on a 1,000-message session with the collector as the
server runs it, and the MCP layer's share of an in-process route_turn. Prints a markdown table.

    .venv/bin/python -m benchmarks.startup_bench

Processes are timed from outside, each a fresh interpreter, after one untimed run that warms
the ONNX cache and the bytecode; figures are medians with the worst run beside them."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mcp import Client, StdioServerParameters

from agent_router.app import App, build_app
from agent_router.collector import settle_start_up
from agent_router.config import RouterConfig, load_config
from agent_router.server import build_server
from agent_router.turns import parse_messages

from .stats import percentile, summary_ms

CLI = str(Path(sys.executable).with_name("agent-router"))
RUNS = 5
SESSION_TURNS = 500  # two messages each: the agent's last answer and the user's next request
CONTEXT_CALLS = 200
TEXTS = [f"write a python function number {n} that parses a json config file" for n in range(50)]
ROUNDS = 10
MCP_SHARE_BEFORE_MS = 2.2  # issue 13, measured on main before this work
IMPORT = (
    "import time; t, c = time.perf_counter(), time.process_time(); import agent_router.server; "
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float  # user + system: what a loaded machine cannot stretch, unlike the wall
    peak_mib: float


def timed_process(command: list[str]) -> Run:
    """One child process, measured by its own rusage (wait4)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        stderr = child.stderr.read().decode()[-2000:] if child.stderr else ""
        raise RuntimeError(f"{command} failed: {stderr}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def import_times() -> list[tuple[float, float]]:
    """(wall, cpu) seconds of the import alone, in fresh interpreters."""
    runs = []
    for _ in range(RUNS):
        done = subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, text=True, check=True)
        wall, cpu = done.stdout.split()
        runs.append((float(wall), float(cpu)))
    return runs


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def first_answers(db: Path) -> tuple[list[float], list[float]]:
    """Seconds from spawning `agent-router serve` (stdio) to the first route_turn answer, and
    the CPU seconds of each server's whole life (counted once it has exited)."""
    times, cpu = [], []
    for n in range(RUNS):
        before = children_cpu_s()
        started = time.perf_counter()
        params = StdioServerParameters(command=CLI, args=["serve", "--db", f"sqlite+aiosqlite:///{db}"])
        async with Client(params) as client:
            result = await client.call_tool("route_turn", {"messages": [user(TEXTS[n])]})
            times.append(time.perf_counter() - started)
        cpu.append(children_cpu_s() - before)
        assert not result.is_error, result.content
    return times, cpu


async def started_app(config: RouterConfig) -> App:
    """The App as the server's lifespan leaves it: built, started, its start-up heap frozen."""
    app = build_app(config)
    await app.start()
    settle_start_up()
    return app


class FullCollections:
    """Full collections (generation 2) while the block runs, and the longest one."""

    def __init__(self) -> None:
        self.count = 0
        self.longest_s = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.longest_s = max(self.longest_s, time.perf_counter() - self._started)

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


@dataclass
class ContextTimes:
    store_s: list[float]  # the memory store's get_context, what the tool runs
    tool_s: list[float]  # the get_context tool through the MCP client
    collections: FullCollections  # during the store's calls
    result_kib: float


async def context_times(app: App, client: Client) -> ContextTimes:
    """A session of 2 x SESSION_TURNS messages recorded through route_turn, then get_context
    for a small model, from the store as the tool calls it and through the client."""
    sid = f"bench-{os.getpid()}"
    for n in range(SESSION_TURNS):
        turn = [
            {
                "role": "assistant",
                "content": f"done with step {n - 1}; the cache key is built after the refresh",
            },
            user(
                f"step {n}: the traceback mentions a KeyError on 'user_{n}' after the refresh; what changed?"
            ),
        ]
        result = await client.call_tool(
            "route_turn", {"messages": turn, "session_id": sid, "turn_id": f"t{n}"}
        )
        assert not result.is_error, result.content
    assert app.memory is not None, app.memory_down
    await app.memory.index_session(sid)  # the background embedding of the turns, done first
    store = []
    with FullCollections() as collections:
        for _ in range(CONTEXT_CALLS):
            started = time.perf_counter()
            await app.memory.get_context(sid, "small-chat")
            store.append(time.perf_counter() - started)
    tool, size = [], 0
    for _ in range(CONTEXT_CALLS // 4):
        started = time.perf_counter()
        result = await client.call_tool("get_context", {"session_id": sid, "model": "small-chat"})
        tool.append(time.perf_counter() - started)
        assert not result.is_error, result.content
        size = len(json.dumps(result.structured_content))
    return ContextTimes(store, tool, collections, size / 1024)


async def mcp_share(app: App, client: Client) -> tuple[list[float], list[float]]:
    """route_turn through the client against app.router.route on the same texts, alternated,
    with the encoder's cache warm for both, so the difference is the MCP layer."""
    for text in TEXTS:
        await client.call_tool("route_turn", {"messages": [user(text)]})
    calls, routes = [], []
    for _ in range(ROUNDS):
        for text in TEXTS:
            started = time.perf_counter()
            await client.call_tool("route_turn", {"messages": [user(text)]})
            calls.append(time.perf_counter() - started)
            started = time.perf_counter()
            await app.router.route(parse_messages([user(text)]), [])
            routes.append(time.perf_counter() - started)
    return calls, routes


@dataclass
class InProcess:
    context: ContextTimes
    calls_s: list[float]
    routes_s: list[float]


async def in_process(config: RouterConfig) -> InProcess:
    app = await started_app(config)
    try:
        async with Client(build_server(app=app)) as client:
            context = await context_times(app, client)
            calls, routes = await mcp_share(app, client)
    finally:
        await app.aclose()
    return InProcess(context, calls, routes)


def row(measure: str, seconds: list[float], target: str, unit: str = "s") -> tuple[str, str, str]:
    if unit == "ms":
        p50, p99 = summary_ms(seconds)
        return measure, f"{p50:.1f} ms (p99 {p99:.1f})", target
    return measure, f"{statistics.median(seconds):.2f} s (worst {max(seconds):.2f})", target


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "memory.db"
        timed_process([CLI, "route", "warm the caches"])  # ONNX graph and bytecode, untimed
        imports = import_times()
        rows.append(
            row(
                "import agent_router.server (fresh interpreter), wall",
                [wall for wall, _ in imports],
                f"<= 0.5 s (CPU {statistics.median(cpu for _, cpu in imports):.2f} s)",
            )
        )
        route = [timed_process([CLI, "route", TEXTS[n]]) for n in range(RUNS)]
        rows.append(
            row(
                '`agent-router route "text"`, wall',
                [r.wall_s for r in route],
                f"<= 2 s (CPU {statistics.median(r.cpu_s for r in route):.2f} s)",
            )
        )
        peak = [r.peak_mib for r in route]
        rows.append(
            (
                '`agent-router route "text"`, peak resident memory',
                f"{statistics.median(peak):.0f} MiB (worst {max(peak):.0f})",
                "<= 400 MiB",
            )
        )
        spawn, spawn_cpu = asyncio.run(first_answers(db))
        rows.append(
            row(
                "spawn `agent-router serve` (stdio) to the first route_turn answer, wall",
                spawn,
                f"<= 2 s (CPU of the server's whole life {statistics.median(spawn_cpu):.2f} s)",
            )
        )
        config = load_config()
        config = config.model_copy(
            update={"memory": config.memory.model_copy(update={"url": f"sqlite+aiosqlite:///{db}"})}
        )
        measured = asyncio.run(in_process(config))
    context = measured.context
    collections = context.collections
    rows.append(
        row(
            f"get_context, {2 * SESSION_TURNS}-message session, SQLite, in process: the store's "
            f"call ({collections.count} full collections meanwhile, longest "
            f"{collections.longest_s * 1000:.0f} ms)",
            context.store_s,
            "<= 30 ms p99",
            "ms",
        )
    )
    rows.append(
        row(
            f"the same through the MCP client (a {context.result_kib:.0f} KiB result, checked against "
            "its output schema by the client)",
            context.tool_s,
            "(for comparison)",
            "ms",
        )
    )
    calls, routes = measured.calls_s, measured.routes_s
    share = statistics.median(calls) - statistics.median(routes)
    mean_share = statistics.mean(calls) - statistics.mean(routes)
    rows.append(
        (
            "route_turn in process: MCP layer (client call minus router.route), median / mean",
            f"{share * 1000:.2f} / {mean_share * 1000:.2f} ms; the mean is "
            f"{mean_share * 1000 / MCP_SHARE_BEFORE_MS:.2f}x the {MCP_SHARE_BEFORE_MS} ms before "
            f"(router.route {statistics.median(routes) * 1000:.2f} ms, "
            f"call p99 {percentile(calls, 99) * 1000:.1f} ms)",
            "<= 0.5x",
        )
    )
    print("| measure | result | target |\n|---|---|---|")
    for measure, value, target in rows:
        print(f"| {measure} | {value} | {target} |")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nLoad average (1, 5, 15 min) at the end: {load}. Wall times stretch with the load of a "
        "shared machine; the CPU seconds beside them do not, much."
    )


if __name__ == "__main__":
    main()
