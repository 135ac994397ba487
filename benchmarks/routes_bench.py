"""The fitted route head (issue 15): accuracy per route and calibration on data/routing's dev
and test splits, the text items of tests/eval/routing_dev.jsonl and routing_holdout.jsonl
under the old similarity rule and under the head, and text route_turn latency under both."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from agent_router.app import App, build_app
from agent_router.config import default_config
from agent_router.routing import Router
from agent_router.routing.fit_policy import HeadReport, default_route, evaluate_head, map_labels, read_turns
from agent_router.routing.fitting import Labelled, expected_calibration_error
from agent_router.routing.head import BUILTIN
from agent_router.turns import parse_messages

from .routing_eval import DEFAULT, DEV_SET, Evaluation, Item, load_dev_set
from .section import print_section
from .stats import summary_ms

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from fit_default_routes import DATA, MAPPING  # noqa: E402  (the script is the one source of the mapping)

HOLDOUT = DEV_SET.with_name("routing_holdout.jsonl")


def head_table(report: HeadReport) -> list[str]:
    lines = ["| route | turns | accuracy |", "|---|---:|---:|"]
    lines += [f"| {r} | {n} | {a:.1%} |" for r, (n, a) in report.per_route.items()]
    lines.append(f"| **overall** | {report.turns} | **{report.accuracy:.1%}** |")
    lines.append(f"| expected calibration error (15 bins) | | {report.ece:.4f} |")
    return lines


def split_report(app: App, split: str) -> HeadReport:
    turns = map_labels(read_turns(DATA / f"{split}.jsonl.gz"), MAPPING)
    vectors = np.stack(app.encoders.text.encoder.encode([t.text for t in turns]))
    head = app.router.head
    assert head is not None
    return evaluate_head(
        head, Labelled(vectors, [t.route for t in turns]), default_route(app.config, head.routes)
    )


async def router_items(router: Router, items: list[Item]) -> tuple[Evaluation, float]:
    """Whole decisions (gates, keywords, floor) and the ECE of their confidence."""
    pairs, misses, confidences = [], [], []
    for item in items:
        decision = await router.route(parse_messages(item.messages()), [])
        predicted = decision.route or DEFAULT
        pairs.append((item.route, predicted))
        confidences.append(decision.confidence)
        if predicted != item.route:
            misses.append((item.id, item.route, predicted))
    correct = np.array([e == p for e, p in pairs])
    return Evaluation(pairs, misses), expected_calibration_error(np.array(confidences), correct)


async def latency(router: Router, texts: list[str]) -> float:
    times = []
    for text in texts:
        messages = parse_messages([{"role": "user", "content": text}])
        start = time.perf_counter()
        await router.route(messages, [])
        times.append(time.perf_counter() - start)
    return summary_ms(times)[0]


async def measure(app: App) -> str:
    old_config = default_config().model_copy(deep=True)
    old_config.defaults.head = None
    old = Router(old_config, app.encoders)
    new = app.router
    dev, test = split_report(app, "dev"), split_report(app, "test")
    data_items = [
        Item(t.id, t.route, t.text, None)
        for t in map_labels(read_turns(DATA / "dev.jsonl.gz"), {**MAPPING, "long_context": "long_context"})
    ]
    rows = []
    for name, items in [
        ("data/routing dev, whole decisions", data_items),
        ("tests/eval/routing_dev.jsonl, text items", [i for i in load_dev_set() if i.image is None]),
        (
            "tests/eval/routing_holdout.jsonl, text items",
            [i for i in load_dev_set(HOLDOUT) if i.image is None],
        ),
    ]:
        (before, ece_before), (after, ece_after) = [await router_items(r, items) for r in (old, new)]
        per = ", ".join(
            f"{r} {b:.0%} -> {a:.0%}"
            for (r, (_, b)), (_, (_, a)) in zip(
                before.per_route().items(), after.per_route().items(), strict=True
            )
        )
        rows.append(
            f"| {name} | {len(items)} | {before.accuracy:.1%} -> **{after.accuracy:.1%}** | "
            f"{ece_before:.3f} -> {ece_after:.3f} | {per} |"
        )
    texts = [f"{t.text[:300]} (request {k})" for k, t in enumerate(data_items[:400]) if len(t.text) < 4000][
        :200
    ]
    await latency(new, texts[:20])  # warm-up
    old_p50, new_p50 = await latency(old, texts[:200]), await latency(new, [t + "." for t in texts[:200]])
    head = new.head
    assert head is not None
    return "\n".join(
        [
            f"The built-in head (`agent_router/routing/default_head.json`, digest {head.digest}): weights "
            "from data/routing train plus the config's exemplars, temperature "
            f"{head.temperature:.3f} and confidence floor {head.min_confidence:.2f} from dev "
            "(`scripts/fit_default_routes.py`). Labels mapped onto the config's routes as that script "
            "says (computer_use text -> tool_use, documents text -> general).",
            "",
            "### Head alone, data/routing dev (temperature and floor were chosen on it)",
            "",
            *head_table(dev),
            "",
            "### Head alone, data/routing test (untouched: nothing was tuned on it)",
            "",
            *head_table(test),
            "",
            "### Whole decisions: similarity rule (before) -> fitted head (after)",
            "",
            "| items | turns | accuracy | ECE of confidence | per route |",
            "|---|---:|---:|---:|---|",
            *rows,
            "",
            "| measure | similarity rule | fitted head |",
            "|---|---:|---:|",
            f"| router alone, text turns up to 300 chars: p50 | {old_p50:.2f} ms | {new_p50:.2f} ms |",
        ]
    )


def main() -> None:
    config = default_config().model_copy(deep=True)
    config.defaults.head = BUILTIN  # the built-in config leaves it unset: the head is measured here
    print_section(build_app(config), measure)


if __name__ == "__main__":
    main()
