"""The evaluation sets under tests/eval draw only on sources left for development: BFCL's
non-live files, AgentDojo's workspace and banking suites, and the other packages their
README lists; the sources reserved for independent evaluation stay out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parent
SETS = sorted([*EVAL.glob("*.jsonl"), *EVAL.glob("safety/*.jsonl")])
BFCL_FILES = {"simple_python", "multiple", "parallel", "parallel_multiple", "multi_turn_base"}
DOJO_SUITES = {"workspace", "banking"}
INSPECT_EVALS_FOLDERS = {"tau2"}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().split("\n") if line.strip()]


def named(row: dict) -> str:
    return f"{row['id']} {row['source']}"


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_bfcl_items_come_from_development_files(path):
    files = {f for row in rows(path) for f in re.findall(r"BFCL_v4_(\w+?)\.json", named(row))}
    ids = {m for row in rows(path) for m in re.findall(r"^bfcl:([a-z_]+?)_\d", row["id"])}
    assert files | ids <= BFCL_FILES


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_agentdojo_items_come_from_development_suites(path):
    suites = set()
    for row in rows(path):
        text = named(row)
        suites |= set(re.findall(r"default_suites/[^/]+/([a-z_]+)/", text))
        suites |= set(re.findall(r"agentdojo \S+ ([a-z_]+) (?:environment|v\d)", text))
        suites |= set(re.findall(r"^(?:agentdojo:|dojo-)([a-z_]+)[/-]", row["id"]))
    assert suites <= DOJO_SUITES


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_inspect_evals_items_come_from_allowed_folders(path):
    folders = {f for row in rows(path) for f in re.findall(r"inspect_evals/(\w+)/", named(row))}
    assert folders <= INSPECT_EVALS_FOLDERS


def test_sets_were_found():
    names = {p.name for p in SETS}
    assert {"routing_dev.jsonl", "routing_holdout.jsonl", "observations_heldout.jsonl"} <= names
