"""Register agent-router with LangChain's MCP adapters.

langchain-mcp-adapters pins mcp<2, so run it from an environment of its own:
    python3 -m venv /tmp/lc && /tmp/lc/bin/pip install langchain-mcp-adapters
    /tmp/lc/bin/python examples/langchain_client.py /path/to/.venv/bin/agent-router
"""

from __future__ import annotations

import asyncio
import json
import sys

from langchain_mcp_adapters.client import MultiServerMCPClient


async def main(command: str) -> None:
    client = MultiServerMCPClient({"router": {"command": command, "args": ["serve"], "transport": "stdio"}})
    tools = {tool.name: tool for tool in await client.get_tools()}
    answer = await tools["route_turn"].ainvoke(
        {"messages": [{"role": "user", "content": "Write a Python function that merges two dictionaries"}]}
    )
    # The adapter hands back the tool's content blocks; the decision is their JSON text.
    blocks = [answer] if isinstance(answer, str) else [b["text"] for b in answer if b.get("type") == "text"]
    decision = json.loads(blocks[0])
    print(json.dumps({"tools": sorted(tools), "model": decision["model"], "route": decision["route"]}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "agent-router"))
