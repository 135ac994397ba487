"""GET /metrics of a real `agent-router serve --http` subprocess, and its JSON stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import Client
from processes import LOOPBACK_NO_AUTH, config_file, serve_http, stop


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, the file its stderr goes to)."""
    folder = tmp_path_factory.mktemp("serve-logs")
    log_file = folder / "stderr.log"
    config = config_file(folder / "config.yaml", auth=LOOPBACK_NO_AUTH)
    proc, port = serve_http(log_file, "--log-level", "info", "--config", str(config))
    yield f"http://127.0.0.1:{port}", log_file
    stop(proc)


def _sample(text: str, prefix: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)]
    return sum(values)


async def test_metrics_move_after_route_turn(served: tuple[str, Path]) -> None:
    base, log_file = served
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        before = await http.get("/metrics")
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain")
        async with Client(f"{base}/mcp") as client:
            result = await client.call_tool(
                "route_turn",
                {
                    "messages": [
                        {
                            "role": "user",
                            "content": "Write a Python function that parses "
                            "ISO dates and add unit tests for it.",
                        }
                    ],
                    "session_id": "metrics-http",
                    "turn_id": "m1",
                },
            )
            assert not result.is_error
            model = result.structured_content["model"]
            await client.call_tool("check_action", {"action": {"type": "shell", "command": "history -c"}})
        after = (await http.get("/metrics")).text
    routed = f'agent_router_models_chosen_total{{model="{model}"}}'
    assert _sample(after, routed) == _sample(before.text, routed) + 1
    assert (
        _sample(after, "agent_router_routes_total") == _sample(before.text, "agent_router_routes_total") + 1
    )
    assert _sample(after, 'agent_router_verdicts_total{kind="action",outcome="deny"}') == 1
    assert _sample(after, 'agent_router_tool_call_seconds_count{outcome="ok",tool="route_turn"}') == 1
    # JSON lines on stderr, the line of the route_turn call naming its session and turn
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
    call = [
        line for line in lines if line.get("tool") == "route_turn" and line["logger"] == "agent_router.calls"
    ]
    assert call and call[0]["session_id"] == "metrics-http" and call[0]["turn_id"] == "m1"
