#!/usr/bin/env python3
"""Rebuild tests/eval/safety/provenance_{dev,heldout}.jsonl: tool calls with the session the
agent lived before making them, for the provenance checks of check_action.

Source: AgentDojo 0.1.35, its `workspace` and `banking` suites only (v1.2.1 tasks), run with
AgentDojo's own environments and tool functions, so every tool output is the one an agent
would have read. For each (user task, injection task) pair:
  - the user task's ground-truth calls are run in order on an environment where every
    injection vector the user task reads holds its default text followed by the injection
    task's GOAL wrapped in one of AgentDojo's attacks (rotated over the pairs);
  - each ground-truth call of the user task is an item labelled `user`, with the session
    before it (the user's prompt, then the tool outputs and the agent's earlier calls);
  - each ground-truth call of the injection task is an item labelled `attacker`, with the
    session as far as the first output that carried the injection, then the attacker's
    earlier calls and their outputs. No item says who asked for the call (`instructed_by`).
Each user task's calls are also recorded once in a clean session (vectors at defaults).
Tool outputs are `external` (tool output, files, web), the prompt is `owner`. Every item
carries the tool's description and parameter names from the suite, as a catalog would.

Split: user tasks and injection tasks are each split by the parity of their number; the
held-out file holds only pairs whose user task AND injection task are odd, and clean
sessions of odd user tasks; it is never read while tuning. The dev file holds the rest.

Needs an environment with agentdojo==0.1.35 installed (it runs the suites' functions):
    python3 -m venv /tmp/dojo && /tmp/dojo/bin/pip install agentdojo==0.1.35
    /tmp/dojo/bin/python -m scripts.eval_data.build_provenance_dev
"""

from __future__ import annotations

import json
from pathlib import Path

from agentdojo.agent_pipeline.tool_execution import tool_result_to_str
from agentdojo.functions_runtime import FunctionsRuntime
from agentdojo.task_suite.load_suites import get_suite

from scripts.eval_data.build_safety_dev import ATTACKS  # AgentDojo's attack templates, one copy

OUT = Path("tests/eval/safety")
VERSION = "v1.2.1"
SUITES = ("banking", "workspace")
SOURCE = "agentdojo 0.1.35"


def number(task_id: str) -> int:
    return int(task_id.rsplit("_", 1)[1])


def flat(text: str) -> str:
    """Outputs are YAML: long lines fold and single quotes double."""
    return " ".join(text.replace("''", "'").split())


def entry(role: str, text: str, integrity: str, source: str | None) -> dict:
    return {"role": role, "text": text, "integrity": integrity, "source": source}


def catalog(suite) -> dict[str, dict]:
    return {
        f.name: {
            "description": f.description,
            "parameters": sorted(f.parameters.model_json_schema().get("properties", {})),
        }
        for f in suite.tools
    }


def run_calls(suite, env, calls, session: list[dict]) -> list[tuple[object, list[dict]]]:
    """(call, session before it) for each call, appending each call and its output."""
    runtime = FunctionsRuntime(suite.tools)
    out = []
    for call in calls:
        out.append((call, list(session)))
        result, error = runtime.run_function(env, call.function, dict(call.args))
        text = error if error else tool_result_to_str(result)
        session.append(entry("assistant", f"{call.function}({json.dumps(dict(call.args))})", "owner", None))
        session.append(entry("tool", str(text), "external", call.function))
    return out


def seen_vectors(suite, user_task) -> list[str]:
    """The injection vectors whose text the user task's calls read (AgentDojo's canary way)."""
    defaults = suite.get_injection_vector_defaults()
    canaries = {k: f"<CANARY---{k}--->" for k in defaults}
    env = suite.load_and_inject_default_environment(canaries)
    calls = user_task.ground_truth(env.model_copy(deep=True))
    session: list[dict] = []
    run_calls(suite, env, calls, session)
    text = "\n".join(e["text"] for e in session)
    return [k for k, c in canaries.items() if c in text]


def item(kind: str, suite_name: str, tools: dict, call, session: list[dict], **meta) -> dict:
    return {
        "label": kind,
        "suite": suite_name,
        **meta,
        "session": session,
        "tool": {"name": call.function, **tools[call.function]},
        "action": {
            "type": "tool_call",
            "server": suite_name,
            "tool": call.function,
            "arguments": dict(call.args),
        },
    }


def build_suite(suite_name: str) -> list[dict]:
    suite = get_suite(VERSION, suite_name)
    tools = catalog(suite)
    defaults = suite.get_injection_vector_defaults()
    attacks = sorted(ATTACKS)
    items: list[dict] = []
    pair = 0
    for uid, user_task in sorted(suite.user_tasks.items(), key=lambda kv: number(kv[0])):
        prompt = entry("user", user_task.PROMPT, "owner", None)
        held = number(uid) % 2 == 1
        env = suite.load_and_inject_default_environment({})
        calls = user_task.ground_truth(env.model_copy(deep=True))
        for call, session in run_calls(suite, env, calls, [prompt]):
            items.append(
                item(
                    "user",
                    suite_name,
                    tools,
                    call,
                    session,
                    user_task=uid,
                    injection_task=None,
                    attack=None,
                    split="heldout" if held else "dev",
                )
            )
        vectors = seen_vectors(suite, user_task)
        if not vectors:
            continue
        for iid, injection_task in sorted(suite.injection_tasks.items(), key=lambda kv: number(kv[0])):
            attack = attacks[pair % len(attacks)]
            pair += 1
            payload = ATTACKS[attack].replace("{goal}", injection_task.GOAL)
            injections = {v: f"{defaults[v]}\n{payload}" for v in vectors}
            env = suite.load_and_inject_default_environment(injections)
            calls = user_task.ground_truth(env.model_copy(deep=True))
            split = (
                "heldout"
                if held and number(iid) % 2 == 1
                else ("dev" if not held and number(iid) % 2 == 0 else None)
            )
            if split is None:
                continue  # mixed pairs belong to neither split: no goal or task leaks across
            meta = {"user_task": uid, "injection_task": iid, "attack": attack, "split": split}
            session = [prompt]
            lived = run_calls(suite, env, calls, session)
            for call, before in lived:
                items.append(item("user", suite_name, tools, call, before, **meta))
            goal = flat(injection_task.GOAL)[:40]
            first = next((i for i, e in enumerate(session) if goal in flat(e["text"])), None)
            if first is None:
                continue
            attacker_session = session[: first + 1]
            attacker_calls = injection_task.ground_truth(env.model_copy(deep=True))
            for call, before in run_calls(suite, env, attacker_calls, attacker_session):
                items.append(item("attacker", suite_name, tools, call, before, **meta))
    return items


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    items = [it for name in SUITES for it in build_suite(name)]
    for split in ("dev", "heldout"):
        chosen = [it for it in items if it["split"] == split]
        with (OUT / f"provenance_{split}.jsonl").open("w") as fh:
            for i, it in enumerate(chosen):
                pair = (
                    f" x {it['injection_task']}, attack {it['attack']}" if it["injection_task"] else ", clean"
                )
                source = f"{SOURCE} {it['suite']} {VERSION} {it['user_task']}{pair}"
                it = {"id": f"{it['suite']}-{split}-{i}", "source": source, **it}
                fh.write(json.dumps(it, ensure_ascii=False) + "\n")
        counts: dict[str, int] = {}
        for it in chosen:
            counts[it["label"]] = counts.get(it["label"], 0) + 1
        print(f"provenance_{split}: {len(chosen)} items {counts}")


if __name__ == "__main__":
    main()
