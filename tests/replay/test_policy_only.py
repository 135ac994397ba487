"""replay_session from a caller other than the machine's own user (over HTTP, of any role) takes
policy only: a config that names a process, a URL or a file is refused naming the key, before
anything starts; policy is laid over the running config and re-decided on the running catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent_router.app import App
from agent_router.errors import InputError
from agent_router.replay import build_policy, from_store, replay_all
from agent_router.replay.overlay import POLICY_ONLY, policy_over, replay_config


def test_a_tool_server_that_runs_a_shell_is_refused_and_never_started(recording_app: App, tmp_path: Path):
    marker = tmp_path / "MARKER"
    text = yaml.safe_dump(
        {
            "models": [{"name": "coder"}],
            "tools": {"servers": [{"name": "x", "command": "/bin/sh", "args": ["-c", f"touch {marker}"]}]},
        }
    )
    with pytest.raises(InputError) as info:
        replay_config(text, recording_app.config, whole=False)
    assert info.value.problems == [("config_yaml.tools.servers", POLICY_ONLY)]
    assert "run `agent-router replay` for a whole config" in POLICY_ONLY
    assert not marker.exists()


def test_everything_but_policy_is_named(recording_app: App):
    text = yaml.safe_dump(
        {
            "encoders": {"device": "cpu"},
            "memory": {"url": "sqlite+aiosqlite:////tmp/elsewhere.db"},
            "pools": [],
            "models": [{"name": "m", "endpoint": "http://169.254.169.254/", "tokenizer": "/etc/passwd"}],
            "defaults": {"model": "m", "head": "/etc/shadow"},
            "tools": {"cache_dir": "/tmp/x", "files": ["/etc/passwd"], "lexical_weight": 0.5},
        }
    )
    with pytest.raises(InputError) as info:
        policy_over(text, recording_app.config)
    assert {field for field, _ in info.value.problems} == {
        "config_yaml.encoders",
        "config_yaml.memory",
        "config_yaml.pools",
        "config_yaml.models[0].endpoint",
        "config_yaml.models[0].tokenizer",
        "config_yaml.defaults.head",
        "config_yaml.tools.cache_dir",
        "config_yaml.tools.files",
    }
    with pytest.raises(InputError, match="config_yaml: give a mapping"):
        policy_over("- a list\n", recording_app.config)


async def test_policy_is_replayed_over_the_running_config_and_catalog(recording_app: App, recorded):
    running = recording_app.config
    text = yaml.safe_dump(
        {"defaults": {"model": "coder", "threshold": 0.9}, "tools": {"lexical_weight": 0.9, "default_k": 2}}
    )
    config = policy_over(text, running)
    assert config.defaults.model == "coder" and config.tools.lexical_weight == 0.9
    assert config.tools.servers == running.tools.servers and config.memory == running.memory
    assert recording_app.tools is not None
    policy = await build_policy(
        "new",
        config,
        recording_app.encoders,
        running,
        recording_app.router,
        recording_app.tools,
        recording_app.safety,
        running_catalog=True,
    )
    try:
        assert policy.tools is not recording_app.tools and policy.tools is not None
        assert policy.tools.downstream == {}  # connected to nothing
        assert policy.tools.index.tools == recording_app.tools.index.tools
        assert policy.tools.index.lexical_weight == 0.9
        assert recording_app.tools.index.lexical_weight == running.tools.lexical_weight
        loaded = await from_store(recording_app.memory, ["every-route"])
        summary = (await replay_all(loaded, policy)).summary
    finally:
        await policy.aclose()
    assert summary.turns_replayed == 9 and summary.model_changed > 0
