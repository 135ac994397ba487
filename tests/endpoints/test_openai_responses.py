"""/v1/responses through the `openai` SDK and the OpenAI Agents SDK's default model
(OpenAIResponsesModel), against a real router process."""

from __future__ import annotations

import openai
import pytest
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from endpoints.router_process import Router
from openai import AsyncOpenAI
from pools.doubles import Double

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather forecast for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture
def client(router: Router, double: Double) -> openai.OpenAI:
    return openai.OpenAI(base_url=router.v1, api_key="unused", max_retries=0)


def test_a_response_is_routed_and_answered(client: openai.OpenAI, double: Double):
    raw = client.responses.with_raw_response.create(
        model="auto", instructions="Be terse.", input="what is two plus two"
    )
    response = raw.parse()
    assert response.output_text == "m: what is two plus two"
    assert response.status == "completed" and response.model == "small"
    assert raw.headers["x-agent-router-session"].startswith("conv-")
    sent = double.stats()["last_request"]["messages"]
    assert sent == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "what is two plus two"},
    ]


def test_a_streamed_response_sends_the_events_in_order(client: openai.OpenAI):
    events = list(client.responses.create(model="auto", input="count one two", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "m: count one two" == events[-1].response.output_text


def test_a_function_call_and_its_output_go_round(client: openai.OpenAI, double: Double):
    first = client.responses.create(
        model="auto", input='[[tool:get_weather {"city": "Lisbon"}]]', tools=[WEATHER]
    )
    call = first.output[-1]
    assert call.type == "function_call" and call.name == "get_weather"
    assert call.arguments == '{"city": "Lisbon"}'
    second = client.responses.create(
        model="auto",
        tools=[WEATHER],
        input=[
            {"role": "user", "content": '[[tool:get_weather {"city": "Lisbon"}]]'},
            call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
    )
    assert second.output_text == "m: tool said sunny"
    assert double.stats()["last_request"]["messages"][-2]["tool_calls"][0]["id"] == call.call_id


def test_previous_response_id_is_refused_by_name(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="auto", input="hi", previous_response_id="resp_1")
    assert caught.value.body["param"] == "previous_response_id"


@pytest.mark.parametrize("stream", [False, True])
async def test_the_agents_default_model_never_runs_a_destructive_command(
    router: Router, double: Double, stream: bool
):
    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=router.v1, api_key="unused", max_retries=0)
    ran: list[str] = []

    @function_tool
    def run_command(command: str) -> str:
        """Run a shell command on the user's machine."""
        ran.append(command)
        return "done"

    agent = Agent(
        name="ops",
        instructions="You run commands.",
        model=OpenAIResponsesModel(model="auto", openai_client=client),
        tools=[run_command],
    )
    request = '[[tool:run_command {"command": "rm -rf /"}]]'
    if stream:
        result = Runner.run_streamed(agent, request, max_turns=3)
        async for _ in result.stream_events():
            pass
    else:
        result = await Runner.run(agent, request, max_turns=3)
    assert ran == []
    assert "blocked the tool call run_command" in str(result.final_output)


async def test_the_agents_default_model_runs_a_harmless_tool(router: Router, double: Double):
    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=router.v1, api_key="unused", max_retries=0)
    asked: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """The weather forecast for a city."""
        asked.append(city)
        return f"sunny in {city}"

    agent = Agent(
        name="weather", model=OpenAIResponsesModel(model="auto", openai_client=client), tools=[get_weather]
    )
    result = await Runner.run(agent, '[[tool:get_weather {"city": "Porto"}]]', max_turns=3)
    assert asked == ["Porto"]
    assert result.final_output == "m: tool said sunny in Porto"
