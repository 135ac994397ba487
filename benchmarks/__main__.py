"""`make bench`: run every benchmark in its own process and write docs/benchmarks.md.

Each module `benchmarks/<name>_bench.py` prints one markdown section on stdout. Separate
processes keep one benchmark's caches and threads from colouring the next one's figures.
`python -m benchmarks routing tools` runs a subset and rewrites only those sections.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
ORDER = [
    "routing",
    "routes",
    "learning",
    "image_kinds",
    "memory",
    "tools",
    "tool_tasks",
    "safety",
    "safety_provenance",
    "safety_coding",
    "pools",
    "endpoints",
    "replay",
    "startup",
    "auth",
    "remote_encoder",
    "replicas",
]
TITLES = {
    "routing": "Routing (issue 2)",
    "routes": "Fitted routes (issue 15)",
    "learning": "Learning from outcomes (issue 15)",
    "image_kinds": "Image kinds and OCR on demand (issue 15)",
    "memory": "Session memory (issue 3)",
    "tools": "Tool selection (issue 4)",
    "tool_tasks": "Tool selection for multi-step tasks (issue 16)",
    "safety": "Computer-use safety (issue 5)",
    "safety_provenance": "Safety from the recorded session (issue 17)",
    "safety_coding": "Coding-agent safety and injections (issue 17)",
    "pools": "Model pools (issue 6)",
    "endpoints": "Model endpoints in the path (issue 18)",
    "replay": "Replay (issue 7)",
    "startup": "Start-up and steady state (issue 13)",
    "auth": "Authentication (issue 14)",
    "remote_encoder": "Remote encoders (issue 19)",
    "replicas": "Several replicas behind a load balancer (issue 19)",
}
MARK = "<!-- section: {} -->"


def available() -> list[str]:
    return [n for n in ORDER if (ROOT / "benchmarks" / f"{n}_bench.py").exists()]


def machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {gpu}, "
        f"Python {platform.python_version()}, torch {torch.__version__}"
    )


def run(name: str) -> str:
    command = [sys.executable, "-m", f"benchmarks.{name}_bench"]
    print(f"running {' '.join(command[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        return f"**failed** (exit {done.returncode}):\n\n```\n{done.stderr[-3000:]}\n```"
    return done.stdout.strip()


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^<!-- section: (\w+) -->\n", text, flags=re.M)
    return {parts[i]: parts[i + 1].rstrip() for i in range(1, len(parts) - 1, 2)}


def main(names: list[str]) -> None:
    chosen = names or available()
    unknown = set(chosen) - set(available())
    if unknown:
        raise SystemExit(f"no benchmark named {', '.join(sorted(unknown))}; have {', '.join(available())}")
    kept = sections(DOC.read_text()) if DOC.exists() else {}
    today = dt.date.today().isoformat()
    for name in chosen:
        body = run(name)
        kept[name] = (
            f"## {TITLES[name]}\n\n_Measured {today} on {machine()} with "
            f"`python -m benchmarks {name}`._\n\n{body}"
        )
    header = (
        "# Benchmarks\n\nWritten by `make bench` (all) or `.venv/bin/python -m benchmarks NAME` "
        "(one section). Figures are medians unless a row says otherwise; these machines are "
        "shared and noisy, so compare ratios within one run rather than across runs. How the "
        "evaluation sets were built and what was tuned on them: "
        "[benchmark-notes.md](benchmark-notes.md).\n"
    )
    body = "\n\n".join(MARK.format(n) + "\n" + kept[n] for n in ORDER if n in kept)
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(f"{header}\n{body}\n")
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
