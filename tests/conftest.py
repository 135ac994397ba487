"""Shared fixtures. The App (with the real MiniLM, OCR and optionally a tiny random CLIP) is
built once per session: loading encoders dominates test time otherwise."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_router.app import App, build_app
from agent_router.config import RouterConfig, default_config

# Servers that tests start in process keep session memory in a temporary file, not the user's.
os.environ.setdefault(
    "AGENT_ROUTER_MEMORY_URL",
    f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='agent-router-memory-')}/memory.db",
)

TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="session")
def config() -> RouterConfig:
    return default_config()


@pytest.fixture(scope="session")
def app(config: RouterConfig) -> Iterator[App]:
    built = build_app(config)
    yield built
    built.close()


@pytest.fixture(scope="session")
def tiny_clip_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A randomly initialised open_clip model saved as a real checkpoint, so the loading code
    runs exactly as it does with real weights."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("clip")
    config_file = folder / "tiny-clip.json"
    config_file.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(config_file)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-clip", pretrained=None)
    checkpoint = folder / "tiny-clip.pt"
    torch.save({"state_dict": model.state_dict()}, checkpoint)
    return config_file, checkpoint


@pytest.fixture(scope="session")
def tiny_clip_section(tiny_clip_files: tuple[Path, Path]) -> dict[str, str]:
    """The config's `encoders.clip` section that loads the tiny model, as a config file spells it."""
    config_file, checkpoint = tiny_clip_files
    return {"model": "tiny-clip", "checkpoint": str(checkpoint), "model_config_file": str(config_file)}


REDIS_URL = os.environ.get("AGENT_ROUTER_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis (.ci/run starts it); tests use keys of their own (random tenants and
    nonces), never flush it. Skips where none answers, so a machine without Redis still passes."""
    import socket
    from urllib.parse import urlparse

    where = urlparse(REDIS_URL)
    try:
        socket.create_connection((where.hostname or "127.0.0.1", where.port or 6379), timeout=1).close()
    except OSError:
        pytest.skip(f"no Redis at {REDIS_URL} (set AGENT_ROUTER_TEST_REDIS)")
    return REDIS_URL


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL where nothing listens: a port just bound and released."""
    from processes import free_port

    return f"redis://127.0.0.1:{free_port()}/0"
