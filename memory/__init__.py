"""Session memory in SQL (installed as agent_router.memory)."""
