"""A downstream stdio MCP server that shows the environment it was started with."""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("env")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def environment() -> dict[str, str]:
    """The server process's environment variables."""
    return dict(os.environ)


if __name__ == "__main__":
    server.run()
