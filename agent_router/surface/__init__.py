"""The MCP tools and resources, one module per concern, each with a register(server) function."""
