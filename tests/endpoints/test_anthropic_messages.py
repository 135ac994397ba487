"""/v1/messages through the `anthropic` SDK against a real router process whose models speak
OpenAI: content blocks, images, tool_use and tool_result, streaming events, errors."""

from __future__ import annotations

import base64
import io

import anthropic
import pytest
from endpoints.router_process import Router
from PIL import Image
from pools.doubles import Double

SHELL_TOOL = {
    "name": "bash",
    "description": "Run a bash command",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
}
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The weather forecast for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture
def client(router: Router, double: Double) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=router.root, api_key="unused", max_retries=0)


def png_base64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (30, 200, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_plain_message_is_answered_in_content_blocks(client: anthropic.Anthropic, double: Double):
    raw = client.messages.with_raw_response.create(
        model="auto",
        max_tokens=100,
        system="You are terse.",
        messages=[{"role": "user", "content": "what is two plus two"}],
    )
    message = raw.parse()
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "m: what is two plus two"
    assert message.stop_reason == "end_turn" and message.model == "small"
    assert raw.headers["x-agent-router-session"].startswith("conv-")
    sent = double.stats()["last_request"]
    assert sent["messages"][0] == {"role": "system", "content": "You are terse."}
    assert sent["max_tokens"] == 100


def test_an_image_block_is_accepted(client: anthropic.Anthropic):
    message = client.messages.create(
        model="auto",
        max_tokens=100,
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": png_base64()},
                    },
                    {"type": "text", "text": "what colour"},
                ],
            }
        ],
    )
    assert message.content[0].text == "m: what colour"


def test_a_harmless_tool_use_reaches_the_client_and_its_result_goes_back(
    client: anthropic.Anthropic, double: Double
):
    asked = {"role": "user", "content": '[[tool:get_weather {"city": "Lisbon"}]]'}
    message = client.messages.create(model="auto", max_tokens=100, messages=[asked], tools=[WEATHER_TOOL])
    assert message.stop_reason == "tool_use"
    use = message.content[-1]
    assert use.type == "tool_use" and use.name == "get_weather" and use.input == {"city": "Lisbon"}
    answered = client.messages.create(
        model="auto",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            asked,
            {"role": "assistant", "content": [use.model_dump()]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}]},
        ],
    )
    assert answered.content[0].text == "m: tool said sunny"
    sent = double.stats()["last_request"]["messages"]
    assert sent[-2]["tool_calls"][0]["id"] == use.id
    assert sent[-1] == {"role": "tool", "tool_call_id": use.id, "content": "sunny"}


def test_a_destructive_bash_call_never_reaches_the_client(client: anthropic.Anthropic):
    message = client.messages.create(
        model="auto",
        max_tokens=100,
        messages=[{"role": "user", "content": '[[tool:bash {"command": "rm -rf /"}]]'}],
        tools=[SHELL_TOOL],
    )
    assert [b.type for b in message.content] == ["text"]
    assert "blocked the tool call bash" in message.content[0].text
    assert message.stop_reason == "end_turn"


def test_streaming_sends_the_message_events_in_order(client: anthropic.Anthropic):
    with client.messages.stream(
        model="auto", max_tokens=100, messages=[{"role": "user", "content": "count one two"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "message_delta" in kinds
    assert final.content[0].text == "m: count one two" and final.stop_reason == "end_turn"


def test_a_streamed_tool_use_arrives_whole(client: anthropic.Anthropic):
    with client.messages.stream(
        model="auto",
        max_tokens=100,
        messages=[{"role": "user", "content": '[[tool:get_weather {"city": "Porto"}]]'}],
        tools=[WEATHER_TOOL],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[-1].type == "tool_use" and final.content[-1].input == {"city": "Porto"}


def test_errors_come_in_anthropic_shape(client: anthropic.Anthropic):
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.messages.create(model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert missing.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(
            model="auto",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"mcp_servers": [{"type": "url", "url": "https://mcp.example/sse", "name": "x"}]},
        )
    assert "mcp_servers" in bad.value.message
    with pytest.raises(anthropic.APIStatusError) as down:
        client.messages.create(model="down", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert down.value.status_code == 502 and down.value.response.headers["retry-after"] == "1"


def test_what_claude_code_sends_is_read(client: anthropic.Anthropic, double: Double):
    """Extended thinking asked for, the model's earlier thinking in the history, a text document
    and a screenshot a tool returned: accepted, and each reaches the model as text or an image."""
    use = {"type": "tool_use", "id": "toolu_1", "name": "screenshot", "input": {}}
    message = client.messages.create(
        model="auto",
        max_tokens=200,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "title": "notes.txt",
                        "source": {"type": "text", "media_type": "text/plain", "data": "the build is green"},
                    },
                    {"type": "text", "text": "take a screenshot"},
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "thinking", "thinking": "I should look.", "signature": "c2ln"}, use],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [
                            {"type": "text", "text": "here it is"},
                            {
                                "type": "image",
                                "source": {"type": "base64", "media_type": "image/png", "data": png_base64()},
                            },
                        ],
                    }
                ],
            },
        ],
    )
    assert message.content and message.content[0].type == "text"
    sent = double.stats()["last_request"]["messages"]
    assert sent[0]["content"][0] == {"type": "text", "text": "notes.txt\n\nthe build is green"}
    assert "I should look." not in str(sent)  # thinking stays with the client
    assert sent[-2]["role"] == "tool" and sent[-2]["content"].startswith("here it is")
    assert sent[-1]["role"] == "user"
    assert [p["type"] for p in sent[-1]["content"]] == ["text", "image_url"]


def test_a_pdf_document_is_refused_by_name(client: anthropic.Anthropic):
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.create(
            model="auto",
            max_tokens=100,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
                        },
                        {"type": "text", "text": "summarise"},
                    ],
                }
            ],
        )
    assert "messages[0].content[0].source.type" in str(refused.value)
