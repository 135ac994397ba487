"""Injection sources kept OUT of fitting the learned head (scripts/fit_injection_head.py) and of
tuning any rule: issue 17's untouched checks, scored only by benchmarks.safety_coding_bench
(`--corpus`), so that a change to the detector can be read on attacks nobody fitted on. Each
is read out of its wheel with zipfile; nothing is imported or installed.

- garak-multilingual 0.1.0 (Apache-2.0): 56 instruction overrides, system-prompt leaks and
  jailbreaks in Turkish, German, Spanish, French, Russian, Arabic, Chinese and Persian.
- agent-injection-bench 0.1.0 (MIT) `aib/data/attacks.jsonl`: 21 indirect injections in tool
  results, documents, web pages, metadata and file names, and 3 clean controls.
- agentprobe-injection 0.2.0a1 (MIT) `agentprobe/injection/`: its 14 carriers (email footer,
  signature, quoted thread, HTML comment, document footnote, table cell, web alt text, meta tag,
  ...) each around each of its 2 canary instructions (28), and its 7 benign task emails as clean
  controls. The carriers are lambdas, so carriers.py (standard library only) is run as a scratch
  module; that is the one thing run.
"""

from __future__ import annotations

import ast
import json
import sys
import types
from pathlib import Path

from scripts.corpus_items import Item
from scripts.wheels import open_wheel

AGENTPROBE = "agentprobe-injection 0.2.0a1"


def _literal(node: ast.expr, names: dict[str, str]) -> str:
    """A prompt string written as literals and module constants joined with +."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left, names) + _literal(node.right, names)
    raise ValueError(ast.dump(node))


def multilingual_attacks(wheels: Path) -> list[Item]:
    """garak-multilingual's payloads, grouped by set: module-level lists of
    {"prompt": ..., "note": ...} whose prompts may join a string constant."""
    tree = ast.parse(open_wheel("garak-multilingual", "0.1.0", wheels).read("garak_multilingual/payloads.py"))
    names: dict[str, str] = {}
    out: list[Item] = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        target = node.targets[0].id
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            names[target] = node.value.value
        entries = node.value.elts if isinstance(node.value, ast.List) else []
        for entry in (e for e in entries if isinstance(e, ast.Dict)):
            fields = {
                k.value: v
                for k, v in zip(entry.keys, entry.values, strict=True)
                if isinstance(k, ast.Constant)
            }
            if "prompt" in fields:
                text = _literal(fields["prompt"], names)
                out.append(Item(text, f"garak-multilingual 0.1.0 {target}", f"multilingual:{target}"))
    return out


def tool_agent_bench(wheels: Path) -> tuple[list[Item], list[Item]]:
    """agent-injection-bench's planted texts: the injected ones and the clean controls."""
    rows = open_wheel("agent-injection-bench", "0.1.0", wheels).read("aib/data/attacks.jsonl").splitlines()
    items = [json.loads(line) for line in rows]
    texts = [
        Item(r["injected"], f"agent-injection-bench 0.1.0 {r['id']}", f"aib:{r['family']}") for r in items
    ]
    return [i for i in texts if i.group != "aib:control"], [i for i in texts if i.group == "aib:control"]


def carrier_attacks(wheels: Path) -> tuple[list[Item], list[Item]]:
    """agentprobe-injection's carrier-wrapped injections and clean controls (never fitted or tuned
    on): each carrier's document around each canary instruction, as its harness hands the agent
    a tool result, grouped by carrier; and each benign task's email, without any injection.

    The pairing lives in the project's run_injection_harness.py, which the wheel lacks; the wheel
    holds the same two instructions as the keys of `_ru`'s English-to-Russian map (the multilingual
    carrier's translation), read here with ast. No sampling: 14 carriers x 2 instructions is under
    the cap of about 200 set for this check."""
    archive = open_wheel("agentprobe-injection", "0.2.0a1", wheels)
    source = archive.read("agentprobe/injection/carriers.py").decode()
    carriers = types.ModuleType("agentprobe_carriers")
    sys.modules[carriers.__name__] = carriers  # dataclass looks its module up while it runs
    try:
        exec(compile(source, "agentprobe/injection/carriers.py", "exec"), carriers.__dict__)
    finally:
        del sys.modules[carriers.__name__]
    translate = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "_ru")
    mapping = next(n for n in ast.walk(translate) if isinstance(n, ast.Dict))
    instructions = [ast.literal_eval(k) for k in mapping.keys if k is not None]
    injected = [
        Item(carrier.wrap(p), f"{AGENTPROBE} {carrier.name}", f"agentprobe:{carrier.name}")
        for carrier in carriers.ALL_CARRIERS
        for p in instructions
    ]
    tasks = ast.parse(archive.read("agentprobe/injection/benign_tasks.py"))
    fields = [{k.arg: k.value for k in n.keywords} for n in ast.walk(tasks) if isinstance(n, ast.Call)]
    controls = [
        Item(
            ast.literal_eval(f["email_content"]),
            f"{AGENTPROBE} {ast.literal_eval(f['task_id'])}",
            "agentprobe:control",
        )
        for f in fields
        if "email_content" in f
    ]
    return injected, controls
