"""agent-router: an MCP server between AI agents and the models they call."""

__version__ = "0.1.0"
