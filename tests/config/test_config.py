from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent_router.cli import main
from agent_router.config import (
    ConfigError,
    Modality,
    Severity,
    default_config,
    load_config,
    parse_config,
)
from agent_router.routing.conflicts import find_conflicts


def base() -> dict:
    return {
        "models": [
            {"name": "text-small", "modalities": ["text"], "context_window": 8000},
            {"name": "vision", "modalities": ["text", "image"], "context_window": 32000},
        ],
        "routes": [
            {
                "name": "code",
                "priority": 10,
                "when": {"examples": ["write a function"]},
                "models": ["text-small"],
            },
        ],
        "defaults": {"model": "text-small"},
    }


def test_builtin_default_loads_with_routes_over_several_models():
    config = default_config()
    assert len(config.routes) >= 4
    assert len(config.models) >= 5
    assert {m.name for m in config.models} >= {r.models[0] for r in config.routes}


def test_every_error_is_reported_with_its_path():
    data = base()
    data["routes"].append(
        {"name": "bad", "when": {"examples": ["ok", "  "], "threshold": 3}, "models": ["nope"]}
    )
    data["models"][0]["context_window"] = -1
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    paths = {issue.path for issue in info.value.issues}
    assert {"routes[1].when.examples", "routes[1].when.threshold", "models[0].context_window"} <= paths


def test_references_to_unknown_models_name_the_field_and_the_known_ones():
    data = base()
    data["routes"][0]["models"] = ["text-small", "gpt-9"]
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    (issue,) = info.value.issues
    assert issue.path == "routes[0].models[1]"
    assert "gpt-9" in issue.message and "text-small" in issue.message


def test_exposing_tools_under_a_policy_that_does_not_exist_is_an_error():
    data = base()
    data["safety"] = {"agents": {"default": {}, "ci-bot": {"blocked_servers": ["git"]}}}
    data["tools"] = {"expose": {"enabled": True, "agent_id": "ci_bot"}}
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    (issue,) = info.value.issues
    assert issue.path == "tools.expose.agent_id"
    assert "'ci_bot'" in issue.message and "ci-bot" in issue.message
    data["tools"]["expose"]["agent_id"] = "ci-bot"
    assert parse_config(data).tools.expose.agent_id == "ci-bot"


def test_unknown_keys_are_rejected_as_typos():
    data = base()
    data["routes"][0]["when"]["keyword"] = ["x"]
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert info.value.issues[0].path == "routes[0].when.keyword"


def test_yaml_syntax_errors_give_the_line(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("models:\n  - name: a\n    modalities: [text\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.issues[0].path.startswith("line ")


def test_image_route_whose_models_cannot_see_images_is_an_error():
    data = base()
    data["routes"].append(
        {"name": "shots", "priority": 20, "when": {"image_kinds": ["screenshot"]}, "models": ["text-small"]}
    )
    issues = find_conflicts(parse_config(data))
    errors = [i for i in issues if i.severity is Severity.error]
    assert errors and errors[0].path == "routes[1].models"
    assert "shots" in errors[0].message and "text-small" in errors[0].message


def test_route_shadowed_by_a_higher_priority_unconditional_route_is_reported():
    data = base()
    data["routes"] += [
        {"name": "all-images", "priority": 50, "when": {"modalities": ["image"]}, "models": ["vision"]},
        {"name": "screens", "priority": 20, "when": {"image_kinds": ["screenshot"]}, "models": ["vision"]},
    ]
    issues = find_conflicts(parse_config(data))
    shadowed = [i for i in issues if "can never fire" in i.message]
    assert len(shadowed) == 1
    assert shadowed[0].path == "routes[2]" and "all-images" in shadowed[0].message


def test_keyword_route_shadowed_by_a_broader_keyword_route():
    data = base()
    data["routes"] = [
        {"name": "broad", "priority": 5, "when": {"keywords": ["pay", "refund"]}, "models": ["text-small"]},
        {"name": "narrow", "priority": 1, "when": {"keywords": ["refund"]}, "models": ["text-small"]},
    ]
    issues = find_conflicts(parse_config(data))
    assert [i.path for i in issues] == ["routes[1]"]


def test_overlapping_exemplars_are_reported_with_both_routes(app):
    data = base()
    data["routes"].append(
        {"name": "coding", "when": {"examples": ["Write a function."]}, "models": ["text-small"]}
    )
    issues = find_conflicts(parse_config(data), app.encoders.text.encoder.encode)
    overlap = [i for i in issues if "overlaps" in i.message]
    assert overlap and overlap[0].severity is Severity.warning
    assert "code" in overlap[0].message and overlap[0].path == "routes[1].when.examples[0]"


def test_the_builtin_policy_has_no_conflicts(app, config):
    assert find_conflicts(config, app.encoders.text.encoder.encode) == []


def test_config_check_cli_prints_paths_and_fails(tmp_path: Path, capsys):
    data = base()
    data["routes"][0]["models"] = ["missing"]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["config", "check", str(path), "--no-embed"]) == 1
    err = capsys.readouterr().err
    assert "routes[0].models[0]" in err and "missing" in err


def test_config_check_cli_passes_a_good_file(tmp_path: Path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(base()))
    assert main(["config", "check", str(path), "--no-embed"]) == 0
    assert "0 errors" in capsys.readouterr().out


def test_the_example_config_loads_without_conflicts(app):
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "examples" / "config.yaml")
    assert len(config.routes) >= 4 and len(config.models) >= 5
    assert any(Modality.image in m.modalities for m in config.models)
    assert find_conflicts(config, app.encoders.text.encoder.encode) == []


def test_clip_hub_tags_that_would_download_are_refused():
    data = base()
    data["encoders"] = {"clip": {"model": "ViT-B-32", "hub": "openai"}}
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert info.value.issues[0].path == "encoders.clip.hub"
    assert "local cache" in info.value.issues[0].message


def test_limits_and_tenants_are_checked_and_the_old_image_keys_say_where_they_went():
    data = base()
    data["tenants"] = {"acme": {"models": ["nope"], "requests_per_second": 0}}
    data["limits"] = {"images_per_turn": 0}
    data["defaults"]["max_image_pixels"] = 10
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    paths = {i.path for i in info.value.issues}
    assert {"limits.images_per_turn", "tenants.acme.requests_per_second", "defaults"} <= paths
    assert "defaults.max_image_pixels moved to limits.image_pixels" in str(info.value)
    del data["defaults"]["max_image_pixels"], data["limits"], data["tenants"]["acme"]["requests_per_second"]
    with pytest.raises(ConfigError, match=r"tenants.acme.models\[0\]: unknown model 'nope'"):
        parse_config(data)


def test_config_show_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data = base()
    data["models"][0]["endpoint"] = "https://bob:hunter2pass@llm.example/v1?api_key=sk-live-abc123&x=1"
    data["tools"] = {
        "servers": [
            {
                "name": "gh",
                "url": "https://mcp.example/mcp",
                "headers": {"Authorization": "Bearer ghp_literal1"},
            },
            {"name": "gh2", "url": "https://mcp.example/mcp", "headers": {"Authorization": "${GH_TOKEN}"}},
            {"name": "local", "command": "srv", "env": {"DB_URL": "postgres://u:dbpass99@db/x"}},
        ]
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["config", "show", str(path)]) == 0
    shown = capsys.readouterr().out
    for secret in ("hunter2pass", "sk-live-abc123", "ghp_literal1", "dbpass99"):
        assert secret not in shown, secret
    assert "${GH_TOKEN}" in shown and "llm.example" in shown and "bob:***@" in shown


def test_config_check_exports_the_image_kind_model_into_the_onnx_cache(config, tmp_path: Path):
    from agent_router.cli.config_cmd import image_model_issues

    text = config.encoders.text.model_copy(update={"onnx_cache": tmp_path})
    local = config.model_copy(update={"encoders": config.encoders.model_copy(update={"text": text})})
    assert not list(tmp_path.glob("mobilenet-v2-*.onnx"))
    assert image_model_issues(local) == []
    (graph,) = tmp_path.glob("mobilenet-v2-*.onnx")
    assert graph.stat().st_size > 1_000_000  # MobileNetV2's weights, not an empty file
