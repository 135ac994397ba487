"""What action a model's tool call is judged as: a shell tool by its command, Anthropic's
computer tool by its input, any other as a tool_call of the request's own tools."""

from __future__ import annotations

from agent_router.config.endpoints import EndpointsSpec
from agent_router.core.call_guards import action_of


def test_tool_calls_are_judged_as_the_actions_they_take():
    spec = EndpointsSpec()
    assert action_of("bash", '{"command": "rm -rf /"}', spec)["command"] == "rm -rf /"
    assert action_of("bash", '{"command": "rm -rf /"}', spec)["type"] == "shell"
    computer = action_of("computer", '{"action": "left_click", "coordinate": [10, 20]}', spec)
    assert computer == {"action": "left_click", "coordinate": [10, 20]}
    call = action_of("get_weather", '{"city": "Lisbon"}', spec)
    assert call == {
        "type": "tool_call",
        "server": "request",
        "tool": "get_weather",
        "arguments": {"city": "Lisbon"},
    }
    assert action_of("get_weather", "not json", spec)["arguments"] == {"arguments": "not json"}
