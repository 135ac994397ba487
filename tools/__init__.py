"""Tool selection and the MCP gateway (installed as agent_router.tools)."""
