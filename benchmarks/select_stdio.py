"""select_tools over stdio (issue 16's target: p50 <= 15 ms for a catalog of 500 tools): the
router started as `agent-router serve` with a synthetic catalog in a tools file, called by a
real MCP client over stdio, each request new to it (so the encoder runs every time)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import yaml
from mcp import Client, StdioServerParameters

from agent_router.config import default_config

from .stats import summary_ms
from .tools_bench import synthetic_catalog, synthetic_queries


async def select_over_stdio(n_tools: int = 500, calls: int = 200) -> tuple[float, float]:
    """p50 and p99 in ms of select_tools (k = 5) over stdio, after a warm-up of 20 calls."""
    queries = synthetic_queries(calls + 20, seed=16)
    with tempfile.TemporaryDirectory() as folder:
        catalog = Path(folder) / "catalog.json"
        catalog.write_text(json.dumps([t.definition() for t in synthetic_catalog(n_tools)]))
        config = Path(folder) / "config.yaml"
        data = default_config().model_dump(mode="json")
        data["tools"] = {**data["tools"], "files": [str(catalog)]}
        data["memory"] = {**data["memory"], "enabled": False}  # the selection alone
        config.write_text(yaml.safe_dump(data))
        cli = str(Path(sys.executable).with_name("agent-router"))
        params = StdioServerParameters(command=cli, args=["serve", "--config", str(config)])
        async with Client(params) as client:
            times = []
            for n, query in enumerate(queries):
                start = time.perf_counter()
                result = await client.call_tool("select_tools", {"query": f"{query} ({n})", "k": 5})
                if result.is_error:
                    raise RuntimeError(f"select_tools failed: {result.content}")
                if n >= 20:
                    times.append(time.perf_counter() - start)
    return summary_ms(times)
