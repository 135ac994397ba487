"""LangChain's MCP adapters pin mcp<2, so they run from an environment of their own
(.venv-langchain, made on first use) and drive the router over stdio with the older handshake."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from processes import CLI

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-langchain"
PYTHON = VENV / "bin" / "python"


@pytest.fixture(scope="module")
def langchain_python() -> Path:
    if not (VENV / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        install = subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "-q", "langchain-mcp-adapters"],
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            pytest.skip(f"could not install langchain-mcp-adapters: {install.stderr[-500:]}")
        (VENV / ".installed").touch()
    return PYTHON


def test_langchain_mcp_adapters_call_route_turn(langchain_python: Path):
    run = subprocess.run(
        [str(langchain_python), str(ROOT / "examples" / "langchain_client.py"), CLI],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "route_turn" in out["tools"]
    assert (out["route"], out["model"]) == ("code", "coder")
