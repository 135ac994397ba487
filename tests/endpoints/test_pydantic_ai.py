"""PydanticAI's OpenAI chat model pointed at the router: an agent loop with a tool, the
destructive call blocked in the path, the harmless one run."""

from __future__ import annotations

import pytest
from endpoints.router_process import Router
from pools.doubles import Double
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider


@pytest.fixture
def model(router: Router, double: Double) -> OpenAIChatModel:
    return OpenAIChatModel("auto", provider=OpenAIProvider(base_url=router.v1, api_key="unused"))


async def test_the_agent_never_runs_a_destructive_command(model: OpenAIChatModel):
    ran: list[str] = []
    agent = Agent(model, instructions="You run commands.")

    @agent.tool_plain
    def run_command(command: str) -> str:
        """Run a shell command on the user's machine."""
        ran.append(command)
        return "done"

    result = await agent.run('[[tool:run_command {"command": "rm -rf /"}]]')
    assert ran == []
    assert "blocked the tool call run_command" in result.output


async def test_the_agent_runs_a_harmless_tool(model: OpenAIChatModel):
    asked: list[str] = []
    agent = Agent(model)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather forecast for a city."""
        asked.append(city)
        return f"sunny in {city}"

    result = await agent.run('[[tool:get_weather {"city": "Lisbon"}]]')
    assert asked == ["Lisbon"]
    assert result.output == "m: tool said sunny in Lisbon"
