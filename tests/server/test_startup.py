"""Start-up: the default config (ONNX text encoder, no CLIP) serves without torch, and the
collector keeps the start-up heap out of its full passes."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

from mcp import Client

from agent_router.collector import paused_for_start_up, release_start_up, settle_start_up
from agent_router.server import build_server

HEAVY = ("torch", "torchvision", "open_clip", "transformers", "rapidocr", "cv2")

# Builds and starts the app through the server's lifespan and answers one route_turn, as a
# stdio host's first call would, then reports which heavy packages got imported.
FIRST_ANSWER = """
import asyncio, gc, json, sys
from mcp import Client
from agent_router.server import build_server

async def main():
    async with Client(build_server()) as client:
        result = await client.call_tool(
            "route_turn", {"messages": [{"role": "user", "content": "write a sql query"}]}
        )
        frozen = gc.get_freeze_count()
    heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))
    print(json.dumps({"error": result.is_error, "heavy": heavy, "frozen": frozen}))

asyncio.run(main())
"""


def test_the_default_config_serves_without_torch_or_ocr_loaded(app):
    # `app` has built the default config in this process, so the ONNX cache is warm.
    done = subprocess.run(
        [sys.executable, "-c", FIRST_ANSWER, *HEAVY],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["error"] is False
    assert report["heavy"] == []
    assert report["frozen"] > 10_000  # the start-up heap was frozen once the app was built


async def test_the_frozen_heap_is_released_when_the_server_stops(config):
    async with Client(build_server(config)) as client:
        assert (await client.list_tools()).tools
    # Another server (or test) in the same process must find its own garbage collectable.
    assert gc.get_freeze_count() == 0


def test_a_paused_start_resumes_the_collector_once_settled():
    assert gc.isenabled()
    with paused_for_start_up():
        assert not gc.isenabled()
        settle_start_up()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        release_start_up()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with paused_for_start_up():  # a one-shot command that never settles
        assert not gc.isenabled()
    assert gc.isenabled()
