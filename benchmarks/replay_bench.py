"""Replay throughput offline (text turns) and the HTML report of 1,000 turns.

Turns are recorded by routing distinct dev-set texts with one App, which is then closed; a
fresh App replays them, so the encoder's cache holds nothing from the recording. The recording
routes all turns at once (the micro-batcher's mixed batches) while the replay encodes ahead in
batches of similar length: "reproduced exactly" checks that no decision moves with the batching.
A second replay on the same App, every text now cached, shows what is left without the encoder."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

from agent_router.app import build_app
from agent_router.core.routing import decide_route
from agent_router.core.turn import Turn
from agent_router.replay import build_policy, read_lines, replay_all
from agent_router.replay.report import render_html

from .routing_bench import distinct_texts

TURNS = 1000
PER_SESSION = 50


async def record(texts: list[str]) -> list[str]:
    app = build_app()
    try:
        decisions = await asyncio.gather(*(decide_route(app.router, Turn.of_text(t)) for t in texts))
    finally:
        app.close()
    lines = []
    for n, (text, decision) in enumerate(zip(texts, decisions, strict=True)):
        sid = f"bench-{n // PER_SESSION}"
        if n % PER_SESSION == 0:
            lines.append(json.dumps({"event": "session", "format": 1, "id": sid}))
        lines.append(
            json.dumps(
                {
                    "event": "turn",
                    "session_id": sid,
                    "seq": n % PER_SESSION + 1,
                    "turn_id": f"t{n}",
                    "created_at": "2026-01-01T00:00:00",
                    "messages": [{"role": "user", "text": text, "parts": [{"kind": "text", "text": text}]}],
                    "decision": decision.model_dump(mode="json"),
                }
            )
        )
    return lines


async def replay(lines: list[str]) -> tuple[float, float, int, int, float, int]:
    app = build_app()
    try:
        policy = await build_policy("new", app.config, app.encoders, app.config, app.router, None, app.safety)
        started = time.perf_counter()
        run = await replay_all(read_lines(lines), policy)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        await replay_all(read_lines(lines), policy)
        cached = time.perf_counter() - started
        await policy.aclose()
    finally:
        app.close()
    started = time.perf_counter()
    page = render_html(run)
    html_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.html"
        path.write_text(page, encoding="utf-8")
        size = path.stat().st_size
    return elapsed, cached, run.summary.turns_replayed, run.summary.exact, html_s, size


def main() -> None:
    lines = asyncio.run(record(distinct_texts(TURNS)))
    elapsed, cached, turns, exact, html_s, size = asyncio.run(replay(lines))
    print("| measure | value |")
    print("|---|---|")
    print(f"| text turns replayed offline (fresh encoder cache) | {turns} |")
    print(f"| replay throughput | {turns / elapsed:.0f} turns/s (target >= 200) |")
    print(f"| replay throughput, every text already encoded | {turns / cached:.0f} turns/s |")
    print(f"| decisions reproduced exactly | {exact} of {turns} |")
    print(f"| HTML report of {turns} turns: render time | {html_s * 1000:.0f} ms |")
    print(f"| HTML report of {turns} turns: size | {size / 1024:.0f} KiB |")


if __name__ == "__main__":
    main()
