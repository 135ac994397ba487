"""The endpoints in front of a real model server (make e2e): llama-server serving
SmolLM2-135M-Instruct, woken cold by the router's pool on the first request that needs it,
answering through the `openai` SDK plain and streamed, with the session recorded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import openai
import pytest
import yaml
from mcp import Client
from pools.llama_paths import cold_pool, installed_llama
from processes import free_port, serve_http, stop

pytestmark = pytest.mark.e2e

BINARY, GGUF = installed_llama()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `serve --http` whose only model is served by a cold llama-server pool."""
    folder = tmp_path_factory.mktemp("llama-endpoint")
    config = {
        "encoders": {"ocr": {"enabled": False}},
        "models": [{"name": "smollm2", "modalities": ["text"]}],
        "pools": [cold_pool(BINARY, GGUF, models=["smollm2"], url=f"http://127.0.0.1:{free_port()}/v1")],
        "defaults": {"model": "smollm2"},
        "auth": {"mode": "none"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    memory_url = f"sqlite+aiosqlite:///{folder}/memory.db"
    proc, port = serve_http(folder / "stderr.log", "--config", str(path), "--memory-url", memory_url)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


async def recorded(root: str, session_id: str, count: int) -> list[dict]:
    """The session's messages once `count` are stored (an answer is written just after it is sent)."""
    deadline = time.monotonic() + 60
    async with Client(f"{root}/mcp") as mcp:
        while True:
            result = await mcp.call_tool("get_context", {"session_id": session_id, "model": "smollm2"})
            messages = result.structured_content["messages"]
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            await asyncio.sleep(0.1)


async def test_a_cold_model_answers_plain_and_streamed_through_the_sdk(root: str):
    client = openai.OpenAI(base_url=f"{root}/v1", api_key="unused", max_retries=0, timeout=300)
    session = {"x-session-id": "llama-e2e"}
    first = [{"role": "user", "content": "Name three colours."}]
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=first, max_tokens=24, extra_headers=session
    )
    completion = raw.parse()
    answer = completion.choices[0].message.content
    assert answer and answer.strip()
    assert raw.headers["x-agent-router-model"] == "smollm2"
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 24

    second = [*first, {"role": "assistant", "content": answer}, {"role": "user", "content": "And two more?"}]
    stream = client.chat.completions.create(
        model="smollm2",
        messages=second,
        max_tokens=16,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=session,
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1  # token by token
    assert streamed.strip()
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens <= 16

    stored = await recorded(root, "llama-e2e", 4)
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "assistant"]
    assert stored[0]["content"].endswith("Name three colours.")
    assert stored[3]["content"].splitlines()[-1].strip() == streamed.strip().splitlines()[-1].strip()
