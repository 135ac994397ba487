"""Accuracy of route_turn on tests/eval/routing_dev.jsonl: per route, overall, confusion matrix."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from agent_router.app import App
from agent_router.core.caller import Caller
from agent_router.core.routing import decide_route
from agent_router.core.turn import Turn

DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "eval" / "routing_dev.jsonl"
DEFAULT = "(default)"


@dataclass
class Item:
    id: str
    route: str
    text: str
    image: str | None

    def messages(self) -> list[dict]:
        if self.image is None:
            return [{"role": "user", "content": self.text}]
        url = str(DEV_SET.parent / self.image)
        return [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": self.text},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ]


def load_dev_set(path: Path = DEV_SET) -> list[Item]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [Item(r["id"], r["route"], r["text"], r.get("image")) for r in rows]


@dataclass
class Evaluation:
    pairs: list[tuple[str, str]]  # (expected, predicted)
    misses: list[tuple[str, str, str]]  # (id, expected, predicted)

    @property
    def accuracy(self) -> float:
        return sum(e == p for e, p in self.pairs) / max(1, len(self.pairs))

    def per_route(self) -> dict[str, tuple[int, float]]:
        totals: Counter[str] = Counter(e for e, _ in self.pairs)
        right: Counter[str] = Counter(e for e, p in self.pairs if e == p)
        return {r: (n, right[r] / n) for r, n in sorted(totals.items())}

    def confusion(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for e, p in self.pairs:
            table[e][p] += 1
        return table

    def markdown(self) -> str:
        routes = sorted({e for e, _ in self.pairs} | {p for _, p in self.pairs})
        lines = ["| route | turns | accuracy |", "|---|---:|---:|"]
        lines += [f"| {r} | {n} | {acc:.1%} |" for r, (n, acc) in self.per_route().items()]
        lines.append(f"| **overall** | {len(self.pairs)} | **{self.accuracy:.1%}** |")
        lines += [
            "",
            "Confusion matrix (rows: labelled route, columns: chosen route)",
            "",
            "| | " + " | ".join(routes) + " |",
            "|---" * (len(routes) + 1) + "|",
        ]
        table = self.confusion()
        for e in routes:
            if e in table:
                lines.append(f"| {e} | " + " | ".join(str(table[e][p] or "") for p in routes) + " |")
        return "\n".join(lines)


async def evaluate(app: App, items: list[Item]) -> Evaluation:
    pairs, misses = [], []
    for item in items:
        decision = await decide_route(app.router, Turn.parse(item.messages(), app.config.limits, Caller()))
        predicted = decision.route or DEFAULT
        pairs.append((item.route, predicted))
        if predicted != item.route:
            misses.append((item.id, item.route, predicted))
    return Evaluation(pairs, misses)


def main() -> None:
    from agent_router.app import build_app

    app = build_app()
    result = asyncio.run(evaluate(app, load_dev_set()))
    print(result.markdown())
    for miss in result.misses:
        print("miss", *miss)
    app.close()


if __name__ == "__main__":
    main()
