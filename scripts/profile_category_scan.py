#!/usr/bin/env python3
"""How the profile rules' built-in categories (safety/profile.py) read users' requests: the
share of ordinary requests put in a restricted category, and the requests of tool tasks whose
reference tools belong to such a category found in it. Requests only, as `check_profile`
reads "the user's request" (request_text: the opening of each message).

Sources: webarena-verified 1.2.3 intents (812 web tasks: shopping, shop admin, GitLab, maps,
Reddit; read from its wheel with zipfile), data/tool_tasks (521 requests; SGD's RentalCars and
Services_Dentist / Services_Medical servers label vehicle rental and medical tasks) and
tests/eval/routing_dev.jsonl (350 prompts). Run from the repository root:
    .venv/bin/python -m scripts.profile_category_scan [WHEEL_DIR]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from agent_router.safety.profile import PATTERNS, request_text
from scripts.wheels import open_wheel

# Servers of data/tool_tasks whose tasks are in a built-in category by what the tools do.
LABELLED_SERVERS = {
    "RentalCars": "vehicle_rental",
    "Services_Dentist": "medical",
    "Services_Medical": "medical",
}


def requests(wheels: Path) -> list[tuple[str, str, str | None]]:
    """(source, text, the category its tools put it in, if any)."""
    web = open_wheel("webarena-verified", "1.2.3", wheels)
    out: list[tuple[str, str, str | None]] = [
        ("webarena-verified", task["intent"], None)
        for task in json.loads(web.read("webarena_verified/assets/dataset/webarena-verified.json"))
    ]
    for task in json.loads(Path("data/tool_tasks/tasks.json").read_text())["tasks"]:
        servers = {step.split("/")[0] for step in task["steps"]}
        label = next((LABELLED_SERVERS[s] for s in sorted(servers) if s in LABELLED_SERVERS), None)
        out.append(("tool tasks", task["query"], label))
    for line in Path("tests/eval/routing_dev.jsonl").read_text().splitlines():
        out.append(("routing dev", json.loads(line)["text"], None))
    return out


def main(wheels: Path) -> None:
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    labelled = hit = 0
    for source, text, label in requests(wheels):
        read = request_text([text])
        names = {name for name, pattern in PATTERNS.items() if pattern.search(read)}
        if label is not None:
            labelled += 1
            hit += label in names
            continue
        total[source] += 1
        if names:
            found[source] += 1
            print(f"{source}: {sorted(names)} | {text[:150]!r}")
    for source in total:
        print(f"{source}: {found[source]} of {total[source]} unlabelled requests put in a category")
    print(f"labelled tool tasks found in their category: {hit} of {labelled}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/wheels"))
