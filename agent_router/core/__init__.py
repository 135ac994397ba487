"""The operations of agent-router, one per capability, below every entry point: the MCP tools,
the CLI, replay and the benchmarks call these, so they all run the same code. Each takes typed
values (a Turn, a Caller, ids) and returns the typed result the MCP tool returns; each owns its
recording in session memory, its metrics and what happens when memory fails (core/recorder.py).
Operations that route or select split a pure `decide` part from the recording around it, so
that replay decides through the very code the server runs."""
