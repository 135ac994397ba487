"""agent-router pools status and agent-router chat, as real subprocesses against the doubles."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml
from doubles import MODELS, Double, fast_pool
from processes import CLI


def write_config(tmp_path: Path, a: Double, b: Double) -> Path:
    path = tmp_path / "pools.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "models": MODELS,
                "defaults": {"model": "small"},
                "memory": {"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"},
                "pools": [fast_pool("p", ["small"], [a.url]), fast_pool("q", ["big"], [b.url])],
            }
        )
    )
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, env=os.environ.copy())


def test_pools_status_lists_every_endpoint_and_its_state(fresh, tmp_path: Path):
    config = write_config(tmp_path, fresh["a"], fresh["b"])
    run = cli("pools", "status", "--json", "--config", str(config))
    assert run.returncode == 0, run.stderr
    rows = {r["name"].split("@")[0]: r for r in json.loads(run.stdout)}
    assert set(rows) == {"p", "q"}
    assert all(r["state"] == "warm" for r in rows.values())
    table = cli("pools", "status", "--config", str(config))
    assert "endpoint" in table.stdout.splitlines()[0] and "warm" in table.stdout


def test_chat_answers_through_the_pools_and_records_the_session(fresh, tmp_path: Path):
    config = write_config(tmp_path, fresh["a"], fresh["b"])
    run = cli("chat", "hello from the terminal", "--json", "--session", "s1", "--config", str(config))
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["answer"] == "a: hello from the terminal" and out["model"] == "small"
    shown = cli("sessions", "show", "s1", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "hello from the terminal" in shown.stdout


def test_chat_with_an_unknown_model_fails_naming_it(fresh, tmp_path: Path):
    config = write_config(tmp_path, fresh["a"], fresh["b"])
    run = cli("chat", "hi", "--model", "gpt-nine", "--config", str(config))
    assert run.returncode == 2
    assert "gpt-nine" in run.stderr
