"""Register agent-router with the OpenAI Agents SDK (`pip install openai-agents`).

Run: python examples/openai_agents_client.py "Write a function that parses ISO dates"
It asks the router directly; an Agent(mcp_servers=[router]) would let the model call it.
"""

from __future__ import annotations

import asyncio
import json
import sys

from agents.mcp import MCPServerStdio


async def main(text: str) -> None:
    async with MCPServerStdio(
        params={"command": "agent-router", "args": ["serve"]},
        use_structured_content=True,
        client_session_timeout_seconds=120,
    ) as router:
        result = await router.call_tool("route_turn", {"messages": [{"role": "user", "content": text}]})
        decision = result.structured_content or json.loads(result.content[0].text)
        print(decision["model"], "via", decision["route"])
        print("\n".join(decision["reasons"]))


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Book a table for two at 8pm"))
