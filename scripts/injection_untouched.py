"""Injection sources kept OUT of fitting the learned head (scripts/fit_injection_head.py) and of
tuning any rule: issue 17's untouched checks, scored only by benchmarks.safety_coding_bench
(`--corpus`), so that a change to the detector can be read on attacks nobody fitted on. Each
is read out of its wheel with zipfile; nothing is imported or run.

- garak-multilingual 0.1.0 (Apache-2.0): 56 instruction overrides, system-prompt leaks and
  jailbreaks in Turkish, German, Spanish, French, Russian, Arabic, Chinese and Persian.
- agent-injection-bench 0.1.0 (MIT) `aib/data/attacks.jsonl`: 21 indirect injections in tool
  results, documents, web pages, metadata and file names, and 3 clean controls.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from scripts.corpus_items import Item
from scripts.wheels import open_wheel


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
