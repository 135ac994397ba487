"""The committed route-fitting data (data/routing/, built by scripts/build_routing_data.py) keeps
what its README promises: the counts, disjoint splits, only allowed sources, long texts long."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "routing"
EVAL = Path(__file__).resolve().parents[1] / "eval"
SPLITS = ("train", "dev", "test")
TEXT_ROUTES = ("code", "tool_use", "long_context", "documents", "general")
LONG_MIN, LONG_MAX, SHORT_MAX = 80_000, 100_000, 16_000
# Every file the data may come from, by package: anything else (a reserved evaluation source
# among them) fails the test.
ALLOWED = {
    "inspect-evals": re.compile(
        r"inspect_evals/(swe_lancer/data/all_swelancer_tasks\.csv|agent_bench/data/agent_bench_os(_test)?\.json"
        r"|tau2/data/domains/(airline|retail|telecom)/tasks\.json(\.gz)?"
        r"|tau2/data/domains/banking_knowledge/(documents\.json\.gz|db\.json)"
        r"|tau2/data/domains/(airline|retail)/db\.json\.gz|tau2/banking/BankingAgentTools\.py"
        r"|writingbench/benchmark_all\.jsonl|abstention_bench/data/freshqa/FreshQA_v12182024\.csv"
        r"|persistbench/benchmark_samples/\w+\.jsonl|persistbench/prompts\.py"
        r"|gdm_self_proliferation/data/sp12/strategy_llm\.tex"
        r"|gdm_stealth/solver/strategic_rule_breaking/tickets\.json"
        r"|theagentcompany/tasks/ds_stock_analysis_slides/stock_data\.csv)"
    ),
    "bfcl-eval": re.compile(
        r"bfcl_eval/data/BFCL_v4_(simple_python|multiple|parallel|parallel_multiple|simple_javascript)\.json"
        r"|bfcl_eval/eval_checker/multi_turn_eval/func_source_code/long_context\.py"
    ),
    "webarena-verified": re.compile(r"webarena_verified/assets/dataset/webarena-verified\.json"),
    "chitchat-dataset": re.compile(r"chitchat_dataset/dataset\.json"),
    "champ-dataset": re.compile(r"champ_dataset/dataset_files/v0\.json"),
    "nvidia-tooltalk": re.compile(r"tooltalk/data/(tooltalk|easy)/[\w.-]+\.json"),
    "nestful-wrapper": re.compile(r"data_v1/(complexfuncbench|executable|non-executable)/[\w-]+-data\.json"),
    "lm-eval": re.compile(
        r"lm_eval/tasks/(.+/README\.md|README\.md|mmlu/flan_cot_fewshot/_cot_prompts\.json)"
    ),
    "icalfa": re.compile(r"icalfa/assets/datasets/nl2bash_fs_\d\.json"),
    "intercode-bench": re.compile(r"intercode/assets/datasets/(sql_queries\.csv|spider_dev\.sql)"),
}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    out = []
    for split in SPLITS:
        with gzip.open(DATA / f"{split}.jsonl.gz", "rt", encoding="utf-8") as fh:
            out += [{**json.loads(line), "file_split": split} for line in fh]
    return out


def dataset(row: dict) -> str:
    """Independent data sets: inspect-evals ships several, one per folder."""
    source = row["source"]
    if source["package"] == "inspect-evals":
        return "/".join(source["file"].split("/")[:2])
    return source["package"]


def test_counts_per_route_and_total(rows):
    per_route = Counter(r["route"] for r in rows)
    assert len(rows) >= 3000
    for route in TEXT_ROUTES:
        assert per_route[route] >= 200, route
    assert set(per_route) <= {*TEXT_ROUTES, "computer_use"}


def test_three_independent_sources_per_route(rows):
    sources = defaultdict(set)
    for r in rows:
        sources[r["route"]].add(dataset(r))
    for route in TEXT_ROUTES:
        assert len(sources[route]) >= 3, (route, sources[route])


def test_every_route_in_every_split(rows):
    per = Counter((r["route"], r["split"]) for r in rows)
    for route in {r["route"] for r in rows}:
        total = sum(per[route, s] for s in SPLITS)
        assert per[route, "test"] >= 0.12 * total and per[route, "dev"] >= 0.12 * total, route


def test_rows_are_complete_and_in_their_split_file(rows):
    for r in rows:
        assert r["split"] == r["file_split"]
        assert r["image"] is None and r["text"].strip() and r["group"]
        assert set(r["source"]) == {"package", "version", "file", "item"}


def test_no_duplicates_within_or_across_splits(rows):
    ids = Counter(r["id"] for r in rows)
    texts = Counter(" ".join(r["text"].split()).casefold() for r in rows)
    assert max(ids.values()) == 1
    assert max(texts.values()) == 1


def test_groups_never_span_two_splits(rows):
    splits_of = defaultdict(set)
    for r in rows:
        splits_of[r["group"]].add(r["split"])
    assert all(len(s) == 1 for s in splits_of.values())


def test_only_allowed_source_files(rows):
    for r in rows:
        pattern = ALLOWED.get(r["source"]["package"])
        assert pattern is not None and pattern.fullmatch(r["source"]["file"]), r["source"]


def test_nothing_from_the_routing_benchmark_sets(rows):
    held = {
        " ".join(json.loads(line)["text"].split()).casefold()
        for name in ("routing_dev.jsonl", "routing_holdout.jsonl")
        for line in (EVAL / name).read_text().splitlines()
    }
    assert not held & {" ".join(r["text"].split()).casefold() for r in rows}


def test_long_context_items_are_long_and_the_rest_short(rows):
    for r in rows:
        if r["route"] == "long_context":
            assert LONG_MIN <= len(r["text"]) <= LONG_MAX, r["id"]
        else:
            assert len(r["text"]) <= SHORT_MAX, r["id"]


def test_committed_data_stays_small():
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 15_000_000
