"""Computer-use safety checks (installed as agent_router.safety)."""
