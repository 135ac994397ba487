"""Tool retrieval on ../shared/eval/tools_dev.json (BFCL v4): recall@1, recall@5, nDCG@5 for the
embedding index, BM25 and their fusion; the outcome-aware gain on a held-out split; selection
latency over 10,000 tools and the index build time.

    .venv/bin/python -m benchmarks.tools_bench [--skip-scale] [--skip-gateway]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import numpy as np
from mcp import Client, StdioServerParameters

from agent_router.app import build_app, quiet_model_loading
from agent_router.config import default_config
from agent_router.config.tools import StdioServerSpec
from agent_router.embeddings import MiniLMEncoder, resolve_placement
from agent_router.server import build_server
from agent_router.tools.catalog import from_definition
from agent_router.tools.index import ToolIndex
from agent_router.tools.vectors import VectorStore, default_cache_dir

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "tools_dev.json"
SPLIT_SEED = 7


def metrics(ranked: list[list[str]], expected: list[list[str]]) -> dict[str, float]:
    r1, r5, ndcg = [], [], []
    for got, want in zip(ranked, expected, strict=True):
        want_set = set(want)
        r1.append(len(want_set & set(got[:1])) / min(1, len(want_set)))
        r5.append(len(want_set & set(got[:5])) / len(want_set))
        dcg = sum(1 / math.log2(i + 2) for i, t in enumerate(got[:5]) if t in want_set)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(5, len(want_set))))
        ndcg.append(dcg / ideal)
    return {
        "recall@1": float(np.mean(r1)),
        "recall@5": float(np.mean(r5)),
        "nDCG@5": float(np.mean(ndcg)),
    }


def evaluate(index: ToolIndex, queries: list[dict], vectors: np.ndarray) -> dict[str, float]:
    ranked = [
        [r.tool.name for r in index.search(vectors[i], q["query"], 5)]
        for i, q in enumerate(queries)
    ]
    return metrics(ranked, [q["expected"] for q in queries])


def split(queries: list[dict]) -> tuple[list[int], list[int]]:
    order = np.random.default_rng(SPLIT_SEED).permutation(len(queries))
    half = len(queries) // 2
    return sorted(order[:half].tolist()), sorted(order[half:].tolist())


def row(name: str, m: dict[str, float]) -> str:
    return f"| {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['nDCG@5']:.3f} |"


def retrieval(encoder: MiniLMEncoder, store: VectorStore) -> None:
    data = json.loads(DEV.read_text())
    tools = [from_definition(t, "bfcl", f"catalog[{i}]") for i, t in enumerate(data["catalog"])]
    name_of = {t["id"]: t["name"] for t in data["catalog"]}  # names are unique in this catalog
    queries = [{**q, "expected": [name_of[e] for e in q["expected"]]} for q in data["queries"]]
    qv = np.stack(encoder.encode([q["query"] for q in queries]))

    def build(weight: float) -> ToolIndex:
        index = ToolIndex(lexical_weight=weight)
        index.rebuild(tools, store, encoder.encode)
        return index

    tune, held = split(queries)
    tq, hq = [queries[i] for i in tune], [queries[i] for i in held]
    best_w, best = 0.0, -1.0
    for w in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        m = evaluate(build(w), tq, qv[tune])
        score = m["recall@5"] + m["nDCG@5"]
        print(f"tune split, lexical weight {w}: {m}")
        if score > best:
            best_w, best = w, score
    print(f"\nchosen lexical weight {best_w} (tuned on {len(tune)} queries)\n")
    print("| retriever | recall@1 | recall@5 | nDCG@5 |\n|---|---|---|---|")
    for name, w in (("embedding", 0.0), ("BM25", 1.0), (f"fusion (w={best_w})", best_w)):
        print(row(f"{name}, all {len(queries)}", evaluate(build(w), queries, qv)))
        print(row(f"{name}, held-out {len(held)}", evaluate(build(w), hq, qv[held])))

    # Outcome-aware: successful calls from the tune half reinforce their tools, then the held-out
    # half is scored. A second set of queries for the same tools is the realistic case (an agent
    # asks for similar things again); tools never seen in the tune half are unaffected.
    index = build(best_w)
    before = evaluate(index, hq, qv[held])
    for i in tune:
        for name in queries[i]["expected"]:
            index.reinforce(f"bfcl/{name}", qv[i])
    after = evaluate(index, hq, qv[held])
    seen = {t for i in tune for t in queries[i]["expected"]}
    overlap = [j for j, i in enumerate(held) if set(queries[i]["expected"]) & seen]
    print(
        f"\noutcome-aware (rate {index.outcome_rate}), reinforced from the {len(tune)} tune queries"
    )
    print("| held-out | recall@1 | recall@5 | nDCG@5 |\n|---|---|---|---|")
    print(row(f"before, all {len(held)}", before))
    print(row(f"after, all {len(held)}", after))
    sub_q, sub_v = [hq[j] for j in overlap], qv[held][overlap]
    print(
        row(
            f"before, {len(overlap)} whose tool was used before",
            evaluate(build(best_w), sub_q, sub_v),
        )
    )
    print(row(f"after, {len(overlap)} whose tool was used before", evaluate(index, sub_q, sub_v)))


def scale(encoder: MiniLMEncoder) -> None:
    data = json.loads(DEV.read_text())
    base = data["catalog"]
    rng = np.random.default_rng(0)
    words = " ".join(t["description"] for t in base).split()
    tools = []
    for i in range(10_000):
        t = base[i % len(base)]
        noise = " ".join(rng.choice(words, 6))
        tools.append(
            from_definition(
                {**t, "name": f"{t['name']}_{i}", "description": f"{t['description']} {noise}"},
                f"server{i % 40}",
                f"synthetic[{i}]",
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        store = VectorStore(Path(folder), encoder.name)
        index = ToolIndex()
        start = time.perf_counter()
        index.rebuild(tools, store, encoder.encode)
        build_s = time.perf_counter() - start
        changed = [
            t
            if t.server != "server3"
            else from_definition(
                {
                    "name": t.name,
                    "description": t.description + " (v2)",
                    "parameters": t.input_schema,
                },
                t.server,
                "changed",
            )
            for t in tools
        ]
        before = store.embedded
        start = time.perf_counter()
        index.rebuild(changed, store, encoder.encode)
        resync_s = time.perf_counter() - start
        resynced = store.embedded - before
    queries = [q["query"] for q in data["queries"][:200]]
    qv = encoder.encode(queries)
    for v, q in zip(qv[:20], queries[:20], strict=True):  # warm-up
        index.search(v, q, 5)
    times = []
    for v, q in zip(qv, queries, strict=True):
        start = time.perf_counter()
        index.search(v, q, 5)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        f"\n10,000 tools: index build {build_s:.1f} s (both views embedded); re-sync after one "
        f"server of {sum(t.server == 'server3' for t in tools)} tools changed: {resync_s:.1f} s, "
        f"{resynced} texts re-embedded"
    )
    print(
        "select over 10,000 tools after the query is embedded: "
        f"p50 {statistics.median(times):.2f} ms, "
        f"p95 {times[int(len(times) * 0.95)]:.2f} ms ({len(times)} queries)"
    )


async def gateway_overhead(calls: int = 300) -> None:
    """p50 of get_current_time on mcp-server-time through the router (an MCP client session on
    the router, which forwards over its own stdio session) against the same call made directly."""
    command = str(Path(sys.executable).parent / "mcp-server-time")
    config = default_config()
    tools = config.tools.model_copy(
        update={
            "servers": [
                StdioServerSpec(name="time", command=command, args=["--local-timezone", "UTC"])
            ]
        }
    )
    app = await anyio.to_thread.run_sync(build_app, config.model_copy(update={"tools": tools}))
    arguments = {"timezone": "Europe/Paris"}

    async def timed(call: Callable[[], Awaitable[object]]) -> list[float]:
        for _ in range(20):  # warm-up
            await call()
        out = []
        for _ in range(calls):
            start = time.perf_counter()
            await call()
            out.append((time.perf_counter() - start) * 1000)
        return out

    try:
        await app.start()
        async with (
            Client(build_server(app=app)) as router,
            Client(
                StdioServerParameters(command=command, args=["--local-timezone", "UTC"])
            ) as direct,
        ):
            via = await timed(
                lambda: router.call_tool(
                    "call_tool",
                    {"server": "time", "name": "get_current_time", "arguments": arguments},
                )
            )
            plain = await timed(lambda: direct.call_tool("get_current_time", arguments))
    finally:
        await app.aclose()
    p50_via, p50_plain = statistics.median(via), statistics.median(plain)
    print(
        f"\ngateway: get_current_time via the router p50 {p50_via:.2f} ms, direct p50 "
        f"{p50_plain:.2f} ms, overhead p50 {p50_via - p50_plain:.2f} ms ({calls} calls each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-gateway", action="store_true")
    args = parser.parse_args()
    quiet_model_loading()
    if not args.skip_gateway:
        anyio.run(gateway_overhead)
    if not DEV.exists():
        print(f"skipped: {DEV} does not exist")
        return
    spec = default_config().encoders
    encoder = MiniLMEncoder.from_spec(
        spec.text.model, resolve_placement(spec.device), spec.text.max_tokens
    )
    retrieval(encoder, VectorStore(default_cache_dir(), encoder.name))
    if not args.skip_scale:
        scale(encoder)


if __name__ == "__main__":
    main()
