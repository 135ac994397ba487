"""Image turns: the kind from the MobileNet head, OCR only when a route needs the screen text.

Latency of a 1280x800 screenshot turn through route_turn (router alone, no MCP layer) with the
built-in config (no route can use the screen text, so OCR does not run) and with a config whose
top route matches keywords on screen (OCR runs, on OpenVINO, the default, and on ONNX Runtime
by turns); image turns per second with 32 callers; and the
head's accuracy per kind and calibration on tests/eval/images (the routing dev set's images,
made by other means than the training data and never fitted on). Every turn's image differs by
one pixel, so no cache answers for the encoders.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from agent_router.app import App, build_app
from agent_router.config import default_config, parse_config
from agent_router.embeddings import build_screen_reader
from agent_router.routing import Router
from agent_router.routing.fitting import expected_calibration_error

from .routing_bench import CALLERS, concurrent, router_alone, turn
from .section import print_section
from .stats import summary_ms

EVAL_IMAGES = Path(__file__).resolve().parent.parent / "tests" / "eval" / "images"
FOLDERS = {"screenshots": "screenshot", "documents": "document", "photos": "photo"}
FIT_REPORT = Path("build/image_kinds/report-mobilenet.json")


def screenshots(n: int) -> list[str]:
    """n distinct 1280x800 screenshots as data URLs: the eval set's, resized, one pixel changed."""
    base = [
        Image.open(p).convert("RGB").resize((1280, 800))
        for p in sorted((EVAL_IMAGES / "screenshots").glob("*"))
    ]
    urls = []
    for k in range(n):
        image = base[k % len(base)].copy()
        image.putpixel((k % 1280, k // 1280), (k % 256, 7, 11))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        urls.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    return urls


def keyword_app(app: App, engine: str) -> App:
    """The built-in config plus a route above the image routes that matches words on screen,
    its OCR on the given runtime (the other encoders shared with app)."""
    data = app.config.model_dump(mode="json")
    data["encoders"]["ocr"]["engine"] = engine
    data["routes"].insert(
        0,
        {
            "name": "on_screen",
            "priority": 40,
            "when": {"modalities": ["image"], "keywords": ["sign in"]},
            "models": ["computer-use"],
        },
    )
    config = parse_config(data)
    encoders = replace(app.encoders, ocr=build_screen_reader(config.encoders))
    return App(config, encoders, Router(config, encoders))


async def latencies(app: App, urls: list[str]) -> list[float]:
    import time

    call, times = router_alone(app), []
    for url in urls:
        start = time.perf_counter()
        await call(turn("What should I do next?", url))
        times.append(time.perf_counter() - start)
    return times


async def accuracy(app: App) -> tuple[dict[str, tuple[int, float]], float, float]:
    from agent_router.core.caller import Caller
    from agent_router.core.routing import decide_route
    from agent_router.core.turn import Turn

    truth, picked, confidence = [], [], []
    for folder, kind in FOLDERS.items():
        for path in sorted((EVAL_IMAGES / folder).glob("*")):
            url = f"data:image/{path.suffix[1:]};base64," + base64.b64encode(path.read_bytes()).decode()
            d = await decide_route(
                app.router, Turn.parse(turn("What is this?", url), app.config.limits, Caller())
            )
            signal = d.signals.images[0]
            truth.append(kind)
            picked.append(signal.kind.value)
            confidence.append(signal.kind_scores[signal.kind])
    correct = np.array([a == b for a, b in zip(truth, picked, strict=True)])
    per_kind = {k: (truth.count(k), float(correct[[t == k for t in truth]].mean())) for k in FOLDERS.values()}
    return per_kind, float(correct.mean()), expected_calibration_error(np.array(confidence), correct)


async def measure(app: App) -> str:
    urls = screenshots(40 + 20 + 4 * CALLERS)
    await latencies(app, urls[:3])  # warm-up: the MobileNet session (and OCR engine) load here
    engines = ("openvino", "onnxruntime")
    needing = {engine: keyword_app(app, engine) for engine in engines}
    for engine in engines:
        await latencies(needing[engine], urls[3:5])
    skip50, skip99 = summary_ms(await latencies(app, urls[5:40]))
    # The two runtimes read the same screenshots by turns, so a busy neighbour slows both alike.
    reads: dict[str, list[float]] = {engine: [] for engine in engines}
    for url in urls[40:60]:
        for engine in engines:
            reads[engine] += await latencies(needing[engine], [url])
    read50, read99 = summary_ms(reads["openvino"])
    ort50, ort99 = summary_ms(reads["onnxruntime"])
    tps = await concurrent(router_alone(app), [turn("What should I do next?", u) for u in urls[60:]])
    per_kind, overall, ece = await accuracy(app)
    images = sum(n for n, _ in per_kind.values())
    rows = [
        "| measure | figure | target |",
        "|---|---:|---:|",
        f"| 1280x800 screenshot turn, OCR not needed, p50 / p99 "
        f"| {skip50:.0f} / {skip99:.0f} ms | <= 300 ms p50 |",
        f"| 1280x800 screenshot turn, a route needs screen text (OCR runs), p50 / p99 "
        f"| {read50:.0f} / {read99:.0f} ms | <= 1,000 ms p50 |",
        f"| same, OCR on ONNX Runtime (encoders.ocr.engine: onnxruntime), p50 / p99 "
        f"| {ort50:.0f} / {ort99:.0f} ms | |",
        f"| image turns per second, {CALLERS} callers, built-in config | {tps:.1f} | >= 5 |",
        f"| image kind accuracy, tests/eval/images ({images} images), overall | {overall:.1%} | |",
        *(f"| image kind accuracy, {k} ({n}) | {a:.1%} | |" for k, (n, a) in per_kind.items()),
        f"| image kind expected calibration error, tests/eval/images | {ece:.3f} | |",
    ]
    if FIT_REPORT.exists():
        report = json.loads(FIT_REPORT.read_text())
        for name in ("test", *(f"probe: {p}" for p in report["probe"])):
            part = report["test"] if name == "test" else report["probe"][name.split(": ", 1)[1]]
            kinds = ", ".join(f"{k} {v['accuracy']:.1%} ({v['n']})" for k, v in part["per_kind"].items())
            rows.append(
                f"| head on its untouched {name} split: {kinds}; ECE "
                f"| {part['accuracy']:.1%}; {part['ece']:.3f} | |"
            )
    return "\n".join(
        [
            "Latencies are medians on a 2-core machine; compare them within one run. Method: "
            "docs/benchmark-notes.md (image kinds).",
            "",
            *rows,
        ]
    )


def main() -> None:
    print_section(build_app(default_config()), measure)


if __name__ == "__main__":
    main()
