"""Safety checks on tests/eval/safety/: per detector, detection rate on harmful items and
false-positive rate on benign ones; the verdict confusion matrix of check_action over the
computer-use actions; and check_action latency without and with a 1280x800 screenshot.

    .venv/bin/python -m benchmarks.safety_bench
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from agent_router.app import App, build_app
from agent_router.safety.checker import SafetyChecker
from agent_router.safety.detectors.shell import check_shell

DEV = Path(__file__).resolve().parent.parent / "tests" / "eval" / "safety"
POSITIVE = {"harmful", "injected"}


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DEV / f"{name}.jsonl").read_text().split("\n") if line]


async def rates(items: list[dict], flagged: Callable[[dict], Awaitable[bool]]) -> dict:
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    misses: list[str] = []
    for item in items:
        positive = item["label"] in POSITIVE
        totals[positive] += 1
        got = await flagged(item)
        hits[positive] += got
        if got != positive:
            misses.append(item["id"])
    return {
        "detection": hits[True] / max(1, totals[True]),
        "harmful": totals[True],
        "false_positive": hits[False] / max(1, totals[False]),
        "benign": totals[False],
        "errors": misses,
    }


async def detectors(checker: SafetyChecker) -> dict[str, dict]:
    async def shell_flags(item: dict) -> bool:
        return bool(check_shell(item["command"]))

    async def injection_flags(item: dict) -> bool:
        return (await checker.check_observation(item["text"])).flagged

    async def escalation_flags(item: dict) -> bool:
        return bool(await checker.escalation.scan(item["messages"]))

    return {
        "shell": await rates(load("shell"), shell_flags),
        "injection": await rates(load("observations"), injection_flags),
        "injection (held out)": await rates(load("observations_heldout"), injection_flags),
        "escalation": await rates(load("user_messages"), escalation_flags),
    }


async def confusion(checker: SafetyChecker) -> tuple[dict[str, Counter[str]], list[str]]:
    matrix: dict[str, Counter[str]] = {"harmful": Counter(), "benign": Counter()}
    allowed_harm = []
    for item in load("actions"):
        verdict = await checker.check_action(item["action"])
        matrix[item["label"]][verdict.decision.value] += 1
        if item["label"] == "harmful" and verdict.decision.value == "allow":
            allowed_harm.append(item["id"])
    return matrix, allowed_harm


def screenshot() -> str:
    import base64
    import io

    img = Image.new("RGB", (1280, 800), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=24)
    for row in range(12):
        draw.text(
            (40, 30 + row * 60), f"Row {row}: invoice {1000 + row} due on the 1st", fill="black", font=font
        )
    draw.rectangle((980, 700, 1220, 760), outline="black", width=2)
    draw.text((1000, 715), "Pay now", fill="black", font=font)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


async def latency(checker: SafetyChecker, rounds: int = 200) -> dict[str, float]:
    text_actions = [
        {"type": "shell", "command": "git status && ls -la"},
        {"type": "navigate", "url": "https://docs.python.org/3/"},
        {
            "type": "type",
            "text": "quarterly report",
            "context": {
                "url": "https://example.com",
                "focused_label": "Search",
                "intent": "type into Search",
            },
        },
        {"type": "click", "x": 10, "y": 10},
    ]
    timings = []
    for i in range(rounds):
        start = time.perf_counter()
        await checker.check_action(text_actions[i % len(text_actions)])
        timings.append((time.perf_counter() - start) * 1000)
    shot = screenshot()
    image_timings = []
    for _ in range(max(5, rounds // 20)):
        start = time.perf_counter()
        await checker.check_action(
            {"type": "click", "x": 1040, "y": 730, "context": {"screenshot": shot, "intent": "click Pay now"}}
        )
        image_timings.append((time.perf_counter() - start) * 1000)
    return {
        "text_p50_ms": statistics.median(timings),
        "text_p95_ms": sorted(timings)[int(len(timings) * 0.95) - 1],
        "screenshot_p50_ms": statistics.median(image_timings),
    }


async def run(app: App) -> dict:
    assert app.safety is not None
    checker = app.safety
    per = await detectors(checker)
    matrix, allowed_harm = await confusion(checker)
    return {
        "detectors": per,
        "confusion": matrix,
        "allowed_harmful": allowed_harm,
        "latency": await latency(checker),
        "device": str(app.encoders.placement.device),
    }


def report(result: dict) -> str:
    lines = ["detector               harmful  detected  benign  false-positive"]
    for name, r in result["detectors"].items():
        lines.append(
            f"{name:<22} {r['harmful']:>7}  {r['detection']:>8.1%}  {r['benign']:>6}  "
            f"{r['false_positive']:>14.1%}"
        )
    lines.append("\ncheck_action verdicts (rows: label, columns: decision)")
    lines.append("label       allow  confirm  deny   denied-or-confirmed")
    for label, counts in result["confusion"].items():
        total = sum(counts.values()) or 1
        lines.append(
            f"{label:<10} {counts['allow']:>6} {counts['confirm']:>8} {counts['deny']:>5}"
            f"   {(counts['confirm'] + counts['deny']) / total:>6.1%} "
            f"(deny {counts['deny'] / total:.1%}, "
            f"confirm {counts['confirm'] / total:.1%})"
        )
    if result["allowed_harmful"]:
        lines.append("harmful actions allowed: " + ", ".join(result["allowed_harmful"][:20]))
    lat = result["latency"]
    lines.append(
        f"\ncheck_action on {result['device']}: text-only p50 {lat['text_p50_ms']:.2f} ms "
        f"(p95 {lat['text_p95_ms']:.2f} ms); with a 1280x800 screenshot p50 "
        f"{lat['screenshot_p50_ms']:.0f} ms"
    )
    return "\n".join(lines)


def main() -> None:
    app = build_app()
    try:
        result = asyncio.run(run(app))
    finally:
        app.close()
    print(report(result))
    for name, r in result["detectors"].items():
        if r["errors"]:
            print(f"{name} errors (first 15): {', '.join(r['errors'][:15])}")


if __name__ == "__main__":
    main()
