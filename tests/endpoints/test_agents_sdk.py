"""The OpenAI Agents SDK running an agent loop whose model is the router: a destructive call
the model asks for is blocked in the path, so the agent's own tool never runs."""

from __future__ import annotations

import pytest
from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from endpoints.router_process import Router
from openai import AsyncOpenAI
from pools.doubles import Double


@pytest.fixture
def model(router: Router, double: Double) -> OpenAIChatCompletionsModel:
    set_tracing_disabled(True)  # traces would be exported to OpenAI
    client = AsyncOpenAI(base_url=router.v1, api_key="unused", max_retries=0)
    return OpenAIChatCompletionsModel(model="auto", openai_client=client)


async def test_the_agent_never_runs_a_destructive_command(model: OpenAIChatCompletionsModel):
    ran: list[str] = []

    @function_tool
    def run_command(command: str) -> str:
        """Run a shell command on the user's machine."""
        ran.append(command)
        return "done"

    agent = Agent(name="ops", instructions="You run commands.", model=model, tools=[run_command])
    result = await Runner.run(agent, '[[tool:run_command {"command": "rm -rf /"}]]', max_turns=3)
    assert ran == []
    assert "blocked the tool call run_command" in str(result.final_output)


async def test_the_agent_runs_a_harmless_tool_and_reads_its_result(model: OpenAIChatCompletionsModel):
    asked: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """The weather forecast for a city."""
        asked.append(city)
        return f"sunny in {city}"

    agent = Agent(name="weather", instructions="Answer with the forecast.", model=model, tools=[get_weather])
    result = await Runner.run(agent, '[[tool:get_weather {"city": "Lisbon"}]]', max_turns=3)
    assert asked == ["Lisbon"]
    assert result.final_output == "m: tool said sunny in Lisbon"
