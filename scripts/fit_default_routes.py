"""Fit the built-in policy's route head (agent_router/routing/default_head.json) from
data/routing: weights from the train split plus the built-in config's exemplars, temperature
and confidence floor from the dev split. The test split is not read.

    .venv/bin/python scripts/fit_default_routes.py

Vectors come from the built-in text encoder as the router runs it on the CPU (ONNX Runtime,
int8), so the head sees what it will see at run time. About two minutes on two cores.

How the data's six labels meet the config's routes (the config keeps its routes; the head
scores its three text routes):
- code, tool_use, general: the routes of the same name.
- computer_use (text instructions to a web agent, WebArena): tool_use. The computer_use route
  fires on screenshots; an instruction without one is served by the tool-calling agent model.
- documents (pasted reports, knowledge-base pages, READMEs with a task): general. The
  documents route fires on page images; pasted text of this size fits the small model, and
  past 24,000 tokens the long_context route takes the turn by its gate.
- long_context: left out; those turns are past the route's min_tokens gate, which decides them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from agent_router.config import default_config
from agent_router.embeddings import load_text_encoder, resolve_placement
from agent_router.routing.fit_policy import fit_policy, read_turns
from agent_router.routing.head import BUILTIN_FILE

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data" / "routing"
MAPPING: dict[str, str | None] = {"computer_use": "tool_use", "documents": "general", "long_context": None}


def main() -> None:
    config = default_config().model_copy(deep=True)
    config.defaults.head = None  # fitted for the routes, not for the head being replaced
    encoder = load_text_encoder(config.encoders.text, resolve_placement("cpu"))
    head, report = fit_policy(
        config,
        read_turns(DATA / "train.jsonl.gz"),
        calibration=read_turns(DATA / "dev.jsonl.gz"),
        embed=encoder.encode,
        mapping=MAPPING,
        info={
            "data": "data/routing train.jsonl.gz (weights), dev.jsonl.gz (temperature, floor)",
            "mapping": {k: v or "(left out)" for k, v in MAPPING.items()},
            "encoder": "bundled-minilm, ONNX Runtime int8 on the CPU",
            "script": "scripts/fit_default_routes.py",
        },
    )
    digest = head.save(BUILTIN_FILE)
    print(f"wrote {BUILTIN_FILE.relative_to(REPO)} (digest {digest})", file=sys.stderr)
    print(f"temperature {head.temperature:.3f}, floor {head.min_confidence:.2f}")
    print(f"dev: {report.accuracy:.1%} of {report.turns}, ECE {report.ece:.4f}")
    for route, (n, accuracy) in report.per_route.items():
        print(f"  {route}: {accuracy:.1%} of {n}")


if __name__ == "__main__":
    main()
