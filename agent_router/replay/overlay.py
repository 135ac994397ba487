"""A policy a caller proposes to replay under, laid over the running config.

Over MCP a caller other than the machine's own user, of whatever role, may send policy only: routes,
models (their names, modalities, windows, costs, latency, quality), defaults (no head file),
safety, and the settings tool selection scores with. Never a server to start or connect to, a
URL, a tokenizer, cache or tools file, or an encoder: a config is code and data access on the
server (a downstream server is a command line), which is what `agent-router replay` on the
server's own machine is for. The result re-decides on the running catalog and encoders."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import yaml

from ..config import ConfigError, RouterConfig, parse_config
from ..errors import InputError
from ..tools.gateway import Gateway

FIELD = "config_yaml"
POLICY_ONLY = (
    "replay_session takes policy only (routes, models, defaults, safety and tool-selection "
    "settings); run `agent-router replay` for a whole config"
)
SECTIONS = {"routes", "models", "defaults", "safety", "tools"}
MODEL_KEYS = {
    "name",
    "modalities",
    "context_window",
    "max_output_tokens",
    "cost",
    "latency_ms",
    "quality",
}
# What tool selection scores with, read per selection: a forked running gateway takes them.
TOOL_SPEC_KEYS = {"default_k", "max_tokens", "session_boost", "relative_floor", "deny"}
TOOL_INDEX_KEYS = {"lexical_weight", "image_weight", "server_weight"}


def read_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError.single(FIELD, f"not valid YAML: {exc}") from None


def replay_config(text: str, running: RouterConfig, *, whole: bool) -> RouterConfig:
    """The config a replay_session caller sent: a `whole` one (the machine's own user's) as it
    is, anyone else's as policy over the running config."""
    return _validated(read_yaml(text)) if whole else policy_over(text, running)


def policy_over(text: str, running: RouterConfig) -> RouterConfig:
    """The running config with the caller's policy laid over it: each section given replaces
    the running one, except `tools`, whose selection settings replace the running ones'."""
    data = read_yaml(text)
    if not isinstance(data, dict):
        raise InputError.single(FIELD, "give a mapping of config sections")
    problems = list(_not_policy(data))
    if problems:
        raise InputError([(f"{FIELD}.{path}", POLICY_ONLY) for path in problems])
    merged = running.model_dump(mode="json", exclude_unset=True)
    for section, value in data.items():
        if section == "tools":
            merged["tools"] = {**merged.get("tools", {}), **value}
        else:
            merged[section] = value
    return _validated(merged)


def selection_gateway(running: Gateway, config: RouterConfig) -> Gateway:
    """A private copy of the running gateway (its catalog, vectors and what it learned) that
    scores with `config`'s selection settings: nothing is started, listed or read."""
    twin = running.fork()
    twin.spec = config.tools
    weights = {key: getattr(config.tools, key) for key in TOOL_INDEX_KEYS}
    twin.index = dataclasses.replace(twin.index, **weights)
    return twin


def _not_policy(data: dict[Any, Any]) -> list[str]:
    """The paths of everything in `data` that is more than policy."""
    found = [str(key) for key in data if key not in SECTIONS]
    for i, model in enumerate(_list(data.get("models"))):
        if isinstance(model, dict):
            found += [f"models[{i}].{key}" for key in model if key not in MODEL_KEYS]
    defaults = data.get("defaults")
    if isinstance(defaults, dict) and defaults.get("head") not in (None, "builtin"):
        found.append("defaults.head")
    tools = data.get("tools")
    if tools is not None and not isinstance(tools, dict):
        found.append("tools")
    elif isinstance(tools, dict):
        found += [f"tools.{key}" for key in tools if key not in TOOL_SPEC_KEYS | TOOL_INDEX_KEYS]
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _validated(data: Any) -> RouterConfig:
    try:
        return parse_config(copy.deepcopy(data), FIELD)
    except ConfigError as exc:
        raise InputError([(f"{FIELD}.{i.path}", i.message) for i in exc.issues]) from None
