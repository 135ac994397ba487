"""Tool selection (issue 4): retrieval quality on ../shared/eval/tools_dev.json (BFCL v4) for the
embedding index, BM25 and their fusion; the outcome-aware gain on a held-out split, learned from
calls and feedback recorded in a real session memory; selection latency and index build over a
synthetic catalog of 10,000 tools; gateway overhead over a direct MCP call.

    .venv/bin/python -m benchmarks.tools_bench [--skip-scale] [--skip-gateway] [--tools N]

Prints one markdown section on stdout (python -m benchmarks tools writes it into
docs/benchmarks.md); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import numpy as np
from mcp import Client, StdioServerParameters

from agent_router.app import build_app, quiet_model_loading
from agent_router.config import MemorySpec, default_config
from agent_router.config.tools import StdioServerSpec, ToolsSpec
from agent_router.embeddings import load_text_encoder, resolve_placement
from agent_router.memory import MemoryStore, recorded_outcomes
from agent_router.server import build_server
from agent_router.tools.catalog import ToolEntry, from_definition
from agent_router.tools.gateway import Gateway
from agent_router.tools.index import ToolIndex
from agent_router.tools.query import request_texts
from agent_router.tools.texts import embed_text
from agent_router.tools.vectors import Embed, VectorStore, default_cache_dir
from agent_router.turns import parse_messages

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "tools_dev.json"
SPLIT_SEED = 7
WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6)
HEADER = "| retriever | queries | recall@1 | recall@5 | nDCG@5 |\n|---|---|---|---|---|"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def metrics(ranked: list[list[str]], expected: list[list[str]]) -> dict[str, float]:
    r1, r5, ndcg = [], [], []
    for got, want in zip(ranked, expected, strict=True):
        want_set = set(want)
        r1.append(len(want_set & set(got[:1])) / min(1, len(want_set)))
        r5.append(len(want_set & set(got[:5])) / len(want_set))
        dcg = sum(1 / math.log2(i + 2) for i, t in enumerate(got[:5]) if t in want_set)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(5, len(want_set))))
        ndcg.append(dcg / ideal)
    return {"recall@1": float(np.mean(r1)), "recall@5": float(np.mean(r5)), "nDCG@5": float(np.mean(ndcg))}


def cached(store: VectorStore, embed: Embed) -> Callable[[list[str]], dict[str, np.ndarray]]:
    """text -> vector through the store's hash cache: a second run embeds nothing."""

    def vectors(texts: list[str]) -> dict[str, np.ndarray]:
        by_hash = {hashlib.sha256(t.encode()).hexdigest()[:32]: t for t in texts}
        found = store.get_many(by_hash, embed)
        return {text: found[h] for h, text in by_hash.items()}

    return vectors


@dataclass
class DevSet:
    tools: list[ToolEntry]
    queries: list[dict]
    vectors: dict[str, np.ndarray]  # every text of request_texts(query) -> its vector
    tune: list[int]
    held: list[int]

    @classmethod
    def load(cls, lookup: Callable[[list[str]], dict[str, np.ndarray]]) -> DevSet:
        data = json.loads(DEV.read_text())
        tools = [from_definition(t, "bfcl", f"catalog[{i}]") for i, t in enumerate(data["catalog"])]
        name_of = {t["id"]: t["name"] for t in data["catalog"]}  # names are unique in this catalog
        queries = [{**q, "expected": [name_of[e] for e in q["expected"]]} for q in data["queries"]]
        vectors = lookup(sorted({t for q in queries for t in request_texts(q["query"])}))
        order = np.random.default_rng(SPLIT_SEED).permutation(len(queries))
        half = len(queries) // 2
        return cls(tools, queries, vectors, sorted(order[:half].tolist()), sorted(order[half:].tolist()))

    def request(self, i: int, parts: bool = True) -> np.ndarray:
        texts = request_texts(self.queries[i]["query"]) if parts else [self.queries[i]["query"]]
        return np.stack([self.vectors[t] for t in texts])

    def score(self, index: ToolIndex, rows: list[int], parts: bool = True) -> dict[str, float]:
        ranked = [
            [r.tool.name for r in index.search(self.request(i, parts), self.queries[i]["query"], 5)]
            for i in rows
        ]
        return metrics(ranked, [self.queries[i]["expected"] for i in rows])


def row(name: str, queries: str, m: dict[str, float]) -> str:
    return f"| {name} | {queries} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['nDCG@5']:.3f} |"


def quality(dev: DevSet, build: Callable[[ToolsSpec], ToolIndex]) -> tuple[list[str], float]:
    """Retrieval table; the lexical weight is the best on the tune half by recall@5 + nDCG@5."""
    tune_scores = {w: dev.score(build(ToolsSpec(lexical_weight=w)), dev.tune) for w in WEIGHTS}
    for w, m in tune_scores.items():
        log(f"tune half, lexical weight {w}: {m}")
    best = max(WEIGHTS, key=lambda w: tune_scores[w]["recall@5"] + tune_scores[w]["nDCG@5"])
    everyone, held = f"all {len(dev.queries)}", f"held-out {len(dev.held)}"
    lines = [HEADER]
    for name, weight, parts in (
        ("embedding", 0.0, True),
        ("BM25", 1.0, True),
        (f"fusion (w={best})", best, True),
        (f"fusion (w={best}), whole request only", best, False),
    ):
        index = build(ToolsSpec(lexical_weight=weight))
        lines.append(row(name, everyone, dev.score(index, list(range(len(dev.queries))), parts)))
        lines.append(row(name, held, dev.score(index, dev.held, parts)))
    return lines, best


async def record_tune_half(memory: MemoryStore, dev: DevSet, index: ToolIndex) -> None:
    """What an agent served by the router leaves in memory for each tune query: the turn, the
    select_tools offer, a call of each needed tool that was offered (or of the top offer, the
    wrong tool, when none was), and the user's feedback on the turn (+1 right, -1 wrong)."""
    for i in dev.tune:
        query, sid = dev.queries[i]["query"], f"tune-{i}"
        offer = index.search(dev.request(i), query, 5)
        names = [r.tool.name for r in offer]
        await memory.record_turn(sid, "t1", parse_messages([{"role": "user", "content": query}]), None)
        await memory.record_tool_selection(sid, None, query, [{"server": "bfcl", "name": n} for n in names])
        right = [n for n in dev.queries[i]["expected"] if n in names]
        for name in right or names[:1]:
            await memory.record_tool_call(sid, "bfcl", name, {}, result={"content": []}, error=None)
        await memory.record_feedback(sid, "t1", 1.0 if right else -1.0)


async def outcome_rows(dev: DevSet, build: Callable[[ToolsSpec], ToolIndex], embed: Embed) -> list[str]:
    """The held-out half before and after relearning the tune half from memory, as at start-up:
    with the config's defaults, and with each of the two mechanisms alone."""
    spec = ToolsSpec()
    seen = {t for i in dev.tune for t in dev.queries[i]["expected"]}
    overlap = [i for i in dev.held if set(dev.queries[i]["expected"]) & seen]
    before = build(spec)
    with tempfile.TemporaryDirectory() as folder:
        memory = await MemoryStore.open(MemorySpec(), url=f"sqlite+aiosqlite:///{folder}/memory.db")
        try:
            await record_tune_half(memory, dev, before)
            calls = await memory.successful_tool_uses(limit=100_000)
            everything = await recorded_outcomes(memory.database, limit=100_000)
        finally:
            await memory.aclose()
    variants = {
        "calls alone": (calls, spec),
        "calls and feedback": (everything, spec),
        "calls and feedback, moving tools only": (everything, spec.model_copy(update={"repeat_weight": 0.0})),
        "calls and feedback, repeats only": (everything, spec.model_copy(update={"outcome_rate": 0.0})),
    }
    learned = {}
    for name, (uses, variant) in variants.items():
        gateway = Gateway(variant, embed, "bench")
        gateway.index = build(variant)
        await gateway.learn(uses)
        learned[name] = gateway.index
    lines = [HEADER]
    for subset, rows in (
        (f"held-out {len(dev.held)}", dev.held),
        (f"held-out {len(overlap)} whose tool the tune half used", overlap),
    ):
        lines.append(row("before learning", subset, dev.score(before, rows)))
        for name, index in learned.items():
            lines.append(row(f"after: {name} from memory", subset, dev.score(index, rows)))
    return lines


# A synthetic catalog shaped like real MCP tool lists: a verb on an object of a domain, one to
# four sentences of description (about 80-300 characters), two to six described parameters.
DOMAINS = [
    "github",
    "jira",
    "slack",
    "gmail",
    "calendar",
    "drive",
    "stripe",
    "shopify",
    "notion",
    "postgres",
    "kubernetes",
    "aws",
    "weather",
    "maps",
    "spotify",
    "zendesk",
    "hubspot",
    "linear",
    "figma",
    "sentry",
    "datadog",
    "twilio",
    "dropbox",
    "salesforce",
    "airtable",
    "trello",
    "asana",
    "confluence",
    "gitlab",
    "docker",
    "redis",
    "s3",
    "bigquery",
    "openai",
    "youtube",
    "twitter",
    "reddit",
    "wikipedia",
    "arxiv",
    "finance",
]
VERBS = [
    "get",
    "list",
    "create",
    "update",
    "delete",
    "search",
    "archive",
    "export",
    "import",
    "summarize",
    "assign",
    "close",
    "reopen",
    "comment_on",
    "tag",
    "share",
    "move",
    "copy",
    "validate",
    "schedule",
    "cancel",
    "approve",
    "merge",
    "sync",
    "count",
]
OBJECTS = [
    "issue",
    "pull_request",
    "file",
    "folder",
    "invoice",
    "customer",
    "order",
    "ticket",
    "event",
    "email",
    "message",
    "channel",
    "repository",
    "branch",
    "commit",
    "page",
    "record",
    "table",
    "pod",
    "deployment",
    "bucket",
    "alert",
    "dashboard",
    "contact",
    "deal",
    "playlist",
    "track",
    "video",
    "report",
    "subscription",
    "refund",
    "product",
    "user",
    "team",
    "project",
    "task",
    "comment",
    "label",
    "webhook",
    "secret",
]
FIELDS = [
    "title",
    "status",
    "owner",
    "created date",
    "due date",
    "priority",
    "labels",
    "size",
    "amount",
    "currency",
    "description",
    "url",
    "author",
    "region",
    "version",
    "tags",
]
PARAMETERS = [
    ("id", "string", "Identifier of the {o}."),
    ("query", "string", "Free-text search over {o} {f}s."),
    ("limit", "integer", "Most {o}s to return. Default 20, at most 100."),
    ("cursor", "string", "Opaque cursor from the previous page of results."),
    ("since", "string", "Only {o}s changed after this ISO 8601 time."),
    ("fields", "array", "Which {o} fields to include, e.g. {f}."),
    ("dry_run", "boolean", "Check the request without changing anything."),
    ("owner", "string", "Account or organisation that owns the {o}."),
    ("sort", "string", "Sort order: {f}, ascending or descending."),
    ("body", "string", "Text of the {o} in Markdown."),
]
SENTENCES = [
    "{V} a {o} in {d} by its identifier or by a search over its {f}.",
    "Returns each {o} with its {f}, {f2} and a link to open it in {d}.",
    "Use this when the user asks about a {d} {o} rather than a local one.",
    "Fails with a clear error when the {o} does not exist or the token lacks access.",
    "Results are paginated; pass the cursor of the previous page to continue.",
    "Changes are visible to everyone with access to the {d} workspace.",
]


def synthetic_catalog(n: int, seed: int = 0) -> list[ToolEntry]:
    rng = np.random.default_rng(seed)
    servers = max(1, n // 40)  # 40 tools a server, each a distinct verb and object on it
    pairs = [(v, o) for v in VERBS for o in OBJECTS]
    names = [rng.permutation(len(pairs)) for _ in range(servers)]
    tools = []
    for i in range(n):
        server = i % servers
        d = DOMAINS[server % len(DOMAINS)]
        v, o = pairs[names[server][i // servers]]
        f, f2 = rng.choice(FIELDS, 2, replace=False)
        words = {"d": d, "V": v.replace("_", " ").capitalize(), "o": o.replace("_", " "), "f": f, "f2": f2}
        extra = rng.choice(len(SENTENCES) - 1, rng.integers(0, 4), replace=False) + 1
        description = " ".join(SENTENCES[s].format(**words) for s in [0, *extra])
        chosen = rng.choice(len(PARAMETERS), rng.integers(2, 7), replace=False)
        properties = {
            PARAMETERS[p][0]: {"type": PARAMETERS[p][1], "description": PARAMETERS[p][2].format(**words)}
            for p in chosen
        }
        tools.append(
            from_definition(
                {
                    "name": f"{v}_{o}",
                    "description": description,
                    "inputSchema": {"type": "object", "properties": properties},
                },
                f"{d}-{server}",
                f"synthetic[{i}]",
            )
        )
    return tools


def synthetic_queries(n: int, seed: int = 1) -> list[str]:
    """Requests like an agent's: most of one sentence, a fifth of two or three."""
    rng = np.random.default_rng(seed)

    def one() -> str:
        v, o = VERBS[rng.integers(len(VERBS))], OBJECTS[rng.integers(len(OBJECTS))]
        d, f = DOMAINS[rng.integers(len(DOMAINS))], rng.choice(FIELDS)
        return f"Please {v.replace('_', ' ')} the {o.replace('_', ' ')} in {d} that mentions {f}."

    return [" ".join(one() for _ in range(1 if rng.random() < 0.8 else rng.integers(2, 4))) for _ in range(n)]


def scale(encoder_embed: Embed, encoder_name: str, n: int) -> list[str]:
    tools = synthetic_catalog(n)
    chars = statistics.median(len(t.description) for t in tools)
    view = statistics.median(len(embed_text(t)) for t in tools)
    changed_server = tools[3].server
    with tempfile.TemporaryDirectory() as folder:
        store = VectorStore(Path(folder), encoder_name)
        index = ToolIndex()
        wall, cpu = time.perf_counter(), time.process_time()
        index.rebuild(tools, store, encoder_embed)
        build_s, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
        log(f"{n} tools: build {build_s:.1f} s wall, {build_cpu:.1f} s CPU")
        changed = [
            t
            if t.server != changed_server
            else from_definition(
                {"name": t.name, "description": "(v2) " + t.description, "inputSchema": t.input_schema},
                t.server,
                "changed",
            )
            for t in tools
        ]
        before = store.embedded
        start = time.perf_counter()
        index.rebuild(changed, store, encoder_embed)
        resync_s = time.perf_counter() - start
        resynced = store.embedded - before
    size = sum(t.server == changed_server for t in tools)
    queries = synthetic_queries(200)
    requests = [np.stack(encoder_embed(request_texts(q))) for q in queries]
    for v, q in zip(requests[:20], queries[:20], strict=True):  # warm-up
        index.search(v, q, 5)
    times = sorted(_search_times(index, requests, queries))
    _remember(index, requests[0].shape[-1])
    remembered = _search_times(index, requests, queries)
    return [
        f"| select_tools search over {n:,} tools after the request is embedded ({len(times)} "
        f"requests, a fifth of several sentences) | p50 {statistics.median(times):.2f} ms, p95 "
        f"{times[int(len(times) * 0.95)]:.2f} ms | p50 <= 5 ms |",
        f"| same, with {len(index.learning().past):,} past requests remembered (outcome-aware, full ring) | "
        f"p50 {statistics.median(remembered):.2f} ms | p50 <= 5 ms |",
        f"| index build, {n:,} synthetic tools (median description {chars:.0f} chars, embedded "
        f"text {view:.0f} chars), one text per tool | {build_s:.1f} s wall, {build_cpu:.1f} s CPU "
        f"| <= 90 s |",
        f"| re-sync after one server of {size} tools changed | {resync_s:.2f} s, {resynced} texts "
        f"re-embedded, none of the other {n - size} | incremental |",
    ]


def _search_times(index: ToolIndex, requests: list[np.ndarray], queries: list[str]) -> list[float]:
    times = []
    for v, q in zip(requests, queries, strict=True):
        start = time.perf_counter()
        index.search(v, q, 5)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _remember(index: ToolIndex, dimension: int) -> None:
    """Fill the index's memory of past requests (random unit vectors, each served by a random
    tool): what outcome learning can add to a selection at most."""
    rng = np.random.default_rng(2)
    for _ in range(index.learning().past.capacity):
        vector = rng.standard_normal(dimension).astype(np.float32)
        index.reinforce(index.tools[rng.integers(len(index))].key, vector)


async def gateway_overhead(calls: int = 300) -> str:
    """p50 of get_current_time on mcp-server-time through the router (an MCP client session on
    the router, which forwards over its own stdio session) against the same call made directly."""
    command = str(Path(sys.executable).parent / "mcp-server-time")
    config = default_config()
    tools = config.tools.model_copy(
        update={"servers": [StdioServerSpec(name="time", command=command, args=["--local-timezone", "UTC"])]}
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
            Client(StdioServerParameters(command=command, args=["--local-timezone", "UTC"])) as direct,
        ):
            via = await timed(
                lambda: router.call_tool(
                    "call_tool", {"server": "time", "name": "get_current_time", "arguments": arguments}
                )
            )
            plain = await timed(lambda: direct.call_tool("get_current_time", arguments))
    finally:
        await app.aclose()
    p50_via, p50_plain = statistics.median(via), statistics.median(plain)
    return (
        f"| gateway: mcp-server-time `get_current_time` via the router vs direct ({calls} calls "
        f"each) | p50 {p50_via:.2f} vs {p50_plain:.2f} ms: overhead {p50_via - p50_plain:.2f} ms "
        f"| <= 3 ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-gateway", action="store_true")
    parser.add_argument("--tools", type=int, default=10_000, help="size of the synthetic catalog")
    args = parser.parse_args()
    quiet_model_loading()
    spec = default_config().encoders
    encoder = load_text_encoder(spec.text, resolve_placement(spec.device))
    out = [
        f"Text encoder: {type(encoder).__name__} ({encoder.name}), batches of texts of similar "
        "length; one embedded text per tool (name and description head), BM25 over every word."
    ]
    if DEV.exists():
        store = VectorStore(default_cache_dir(), encoder.name)
        lookup = cached(store, encoder.encode)
        dev = DevSet.load(lookup)

        def build(tools: ToolsSpec) -> ToolIndex:
            index = ToolIndex.configured(tools)
            index.rebuild(dev.tools, store, encoder.encode)
            return index

        table, best = quality(dev, build)
        out += [
            "",
            f"Dev set `../shared/eval/tools_dev.json` (BFCL v4): {len(dev.tools)} tools, "
            f"{len(dev.queries)} queries. The lexical weight ({best}) was chosen on the "
            f"seed-{SPLIT_SEED} tune half ({len(dev.tune)} queries); the held-out half was not "
            "used for any choice.",
            "",
            *table,
            "",
            "Outcome-aware (after OATS): the tune half is played through a real session memory "
            "(SQLite): offer, calls, feedback; a fresh index relearns it from memory as at "
            "start-up, then the held-out half is scored.",
            "",
            *anyio.run(outcome_rows, dev, build, lambda texts: [lookup(texts)[t] for t in texts]),
        ]
    else:
        out += ["", f"Retrieval quality and outcome-aware rows: skipped ({DEV} does not exist)."]
    rows = []
    if not args.skip_scale:
        rows += scale(encoder.encode, encoder.name, args.tools)
    if not args.skip_gateway:
        rows.append(anyio.run(gateway_overhead))
    if rows:
        out += ["", "| measure | figure | target |", "|---|---|---|", *rows]
    print("\n".join(out))


if __name__ == "__main__":
    main()
