"""Tool selection for multi-step tasks (issue 16): data/tool_tasks/ (scripts/build_tool_tasks.py),
tasks over the tools of real catalogues (NESTFUL, ToolTalk, tau2) among distractor servers.

    .venv/bin/python -m benchmarks.tool_tasks_bench [--split tune|held|both]

Per task: recall@5 (the share of its tools in the top 5), the share of its tools in the returned
set (k <= 10), and whether every step (every distinct tool) is in that set; then select_tools
over stdio at 500 tools (benchmarks/select_stdio.py). Prints one markdown section on stdout;
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent_router.app import quiet_model_loading
from agent_router.config import default_config
from agent_router.config.tools import ToolsSpec
from agent_router.embeddings import load_text_encoder, resolve_placement
from agent_router.tools.catalog import ToolEntry, from_definition
from agent_router.tools.index import ToolIndex, above_floor
from agent_router.tools.query import request_texts
from agent_router.tools.vectors import Embed, VectorStore, default_cache_dir

from .select_stdio import select_over_stdio
from .stats import summary_ms
from .tools_bench import cached

DATA = Path(__file__).resolve().parents[1] / "data" / "tool_tasks"
K = 10
HEADER = (
    "| selector | split | tasks | recall@5 | share in set (k<=10) | every step covered | tools returned |"
    "\n|---|---|---|---|---|---|---|"
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class TaskSet:
    tools: list[ToolEntry]
    tasks: list[dict]
    vectors: Callable[[list[str]], dict[str, np.ndarray]]

    @classmethod
    def load(cls, lookup: Callable[[list[str]], dict[str, np.ndarray]]) -> TaskSet:
        raw = json.loads((DATA / "catalog.json").read_text())["tools"]
        tools = [from_definition(t, t["server"], f"tools[{i}]") for i, t in enumerate(raw)]
        tasks = json.loads((DATA / "tasks.json").read_text())["tasks"]
        return cls(tools, tasks, lookup)

    def rows(self, split: str) -> list[dict]:
        return [t for t in self.tasks if split in ("both", t["split"])]

    def request(self, text: str) -> np.ndarray:
        texts = request_texts(text)
        found = self.vectors(texts)
        return np.stack([found[t] for t in texts])


def task_metrics(picked: list[list[str]], tasks: list[dict]) -> dict[str, float]:
    r5, share, covered, sizes = [], [], [], []
    for got, task in zip(picked, tasks, strict=True):
        want = set(task["steps"])
        r5.append(len(want & set(got[:5])) / len(want))
        share.append(len(want & set(got)) / len(want))
        covered.append(float(want <= set(got)))
        sizes.append(len(got))
    return {
        "recall@5": float(np.mean(r5)),
        "share": float(np.mean(share)),
        "covered": float(np.mean(covered)),
        "size": float(np.mean(sizes)),
    }


def select(index: ToolIndex, data: TaskSet, task: dict, *, parts: bool = True, k: int = K) -> list[str]:
    request = data.request(task["query"]) if parts else data.request(task["query"])[:1]
    ranked = index.search(request, task["query"], k)
    return [r.tool.key for r in above_floor(ranked, ToolsSpec().relative_floor)]


def score(index: ToolIndex, data: TaskSet, split: str, *, parts: bool = True) -> dict[str, float]:
    tasks = data.rows(split)
    return task_metrics([select(index, data, t, parts=parts) for t in tasks], tasks)


# (name, settings, whether the request's steps are matched too): each row adds one thing.
SELECTORS = (
    ("fusion, whole request only", ToolsSpec(server_weight=0, companions=False), False),
    ("+ steps", ToolsSpec(server_weight=0, companions=False), True),
    ("+ server context", ToolsSpec(companions=False), True),
    ("+ companions (the default)", ToolsSpec(), True),
)


def row(name: str, split: str, n: int, m: dict[str, float]) -> str:
    return (
        f"| {name} | {split} | {n} | {m['recall@5']:.3f} | {m['share']:.3f} | {m['covered']:.3f} "
        f"| {m['size']:.1f} |"
    )


def latency(index: ToolIndex, data: TaskSet) -> float:
    tasks = data.tasks[:200]
    requests = [data.request(t["query"]) for t in tasks]
    times = []
    for task, request in zip(tasks, requests, strict=True):
        start = time.perf_counter()
        index.search(request, task["query"], K)
        times.append(time.perf_counter() - start)
    return summary_ms(times)[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("tune", "held", "both"), default="both")
    args = parser.parse_args()
    quiet_model_loading()
    spec = default_config().encoders
    encoder = load_text_encoder(spec.text, resolve_placement(spec.device))
    store = VectorStore(default_cache_dir(), encoder.name)
    data = TaskSet.load(cached(store, encoder.encode))
    embed: Embed = encoder.encode

    def build(tools: ToolsSpec) -> ToolIndex:
        index = ToolIndex.configured(tools)
        index.rebuild(data.tools, store, embed)
        return index

    splits = ("tune", "held") if args.split == "both" else (args.split,)
    servers = len({t.server for t in data.tools})
    out = [
        f"Dev tasks `data/tool_tasks/` (scripts/build_tool_tasks.py): {len(data.tasks)} multi-step "
        f"tasks over {len(data.tools)} tools on {servers} servers (NESTFUL, ToolTalk, tau2 among "
        "agent-safety-bench-envs distractors). Settings were chosen on the tune split; the held "
        "split was scored once. k = 10; a task's steps are its distinct tools.",
        "",
        HEADER,
    ]
    for name, settings, parts in SELECTORS:
        index = build(settings)
        for split in splits:
            m = score(index, data, split, parts=parts)
            log(f"{name}, {split}: {m}")
            out.append(row(name, split, len(data.rows(split)), m))
    stdio50, stdio99 = asyncio.run(select_over_stdio())
    out += [
        "",
        f"Search p50 over {len(data.tools)} tools, steps matched (after embedding): "
        f"{latency(index, data):.2f} ms. select_tools over stdio (`agent-router serve`, 500 "
        f"synthetic tools, 200 new requests, k = 5, request embedded each time): p50 {stdio50:.2f} ms, "
        f"p99 {stdio99:.2f} ms (target p50 <= 15 ms).",
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
