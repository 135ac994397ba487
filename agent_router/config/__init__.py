"""The one configuration file: load, validate, and report every problem with its path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from ..errors import RouterError, format_loc
from .auth import AuthMode, AuthSpec
from .endpoints import EndpointsSpec
from .learning import LearningSpec
from .limits import Limits, TenantLimits
from .memory import MemorySpec
from .observability import ObservabilitySpec
from .pools import DispatchSpec, PoolSpec, PoolTemperature, pool_issues
from .routing import (
    ClipSpec,
    Cost,
    Defaults,
    EncodersSpec,
    ImageKind,
    Modality,
    ModelSpec,
    OcrSpec,
    RemoteEncoderSpec,
    RouteSpec,
    RouteWhen,
    Strict,
    TextEncoderSpec,
)
from .safety import SafetySpec
from .state import StateSpec
from .tools import ToolsSpec

__all__ = [
    "AuthMode",
    "AuthSpec",
    "ClipSpec",
    "ConfigError",
    "ConfigIssue",
    "Cost",
    "Defaults",
    "DispatchSpec",
    "EncodersSpec",
    "EndpointsSpec",
    "ImageKind",
    "LearningSpec",
    "Limits",
    "Modality",
    "MemorySpec",
    "ModelSpec",
    "ObservabilitySpec",
    "OcrSpec",
    "PoolSpec",
    "PoolTemperature",
    "RemoteEncoderSpec",
    "RouteSpec",
    "RouteWhen",
    "RouterConfig",
    "SafetySpec",
    "Severity",
    "StateSpec",
    "TenantLimits",
    "TextEncoderSpec",
    "ToolsSpec",
    "default_config",
    "load_config",
    "parse_config",
]


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    message: str
    severity: Severity = Severity.error

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


class ConfigError(RouterError, ValueError):
    def __init__(self, issues: list[ConfigIssue], source: str = "config"):
        self.issues = issues
        self.source = source
        super().__init__(f"{source}: " + "; ".join(str(i) for i in issues))


class RouterConfig(Strict):
    encoders: EncodersSpec = Field(default_factory=EncodersSpec)
    models: list[ModelSpec] = Field(min_length=1)
    pools: list[PoolSpec] = Field(default_factory=list)
    routes: list[RouteSpec] = Field(default_factory=list)
    defaults: Defaults
    memory: MemorySpec = Field(default_factory=MemorySpec)
    tools: ToolsSpec = Field(default_factory=ToolsSpec)
    safety: SafetySpec = Field(default_factory=SafetySpec)
    dispatch: DispatchSpec = Field(default_factory=DispatchSpec)
    observability: ObservabilitySpec = Field(default_factory=ObservabilitySpec)
    limits: Limits = Field(default_factory=Limits)
    tenants: dict[str, TenantLimits] = Field(
        default_factory=dict, description="per-tenant limits, by tenant name; others get `limits`"
    )
    auth: AuthSpec = Field(default_factory=AuthSpec)
    endpoints: EndpointsSpec = Field(default_factory=EndpointsSpec)
    state: StateSpec = Field(default_factory=StateSpec)
    learning: LearningSpec = Field(default_factory=LearningSpec)

    def model(self, name: str) -> ModelSpec:
        for spec in self.models:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def reference_issues(self) -> Iterator[ConfigIssue]:
        """Names that point nowhere and names given twice: pydantic cannot see across sections."""
        known = {m.name for m in self.models}
        yield from _duplicates("models", [m.name for m in self.models])
        yield from _duplicates("routes", [r.name for r in self.routes])
        yield from _duplicates("pools", [p.name for p in self.pools])
        for path, message in self.safety.conflicts():
            yield ConfigIssue(path, message)
        for field, message in self.auth.issues():
            yield ConfigIssue(f"auth.{field}", message)
        yield from _duplicates("tools.servers", [s.name for s in self.tools.servers])
        exposed_for = self.tools.expose.agent_id
        if exposed_for is not None and exposed_for not in self.safety.agents:
            yield ConfigIssue(
                "tools.expose.agent_id",
                f"{exposed_for!r} has no policy under safety.agents; add one or name one "
                f"of: {', '.join(sorted(self.safety.agents)) or '(none defined)'}",
            )
        if self.defaults.model not in known:
            yield ConfigIssue("defaults.model", _unknown(self.defaults.model, known))
        for i, route in enumerate(self.routes):
            for j, name in enumerate(route.models):
                if name not in known:
                    yield ConfigIssue(f"routes[{i}].models[{j}]", _unknown(name, known))
            when = route.when
            low, high = when.min_tokens, when.max_tokens
            if low is not None and high is not None and low > high:
                yield ConfigIssue(
                    f"routes[{i}].when", "min_tokens is above max_tokens: the route never fires"
                )
        for tenant, spec in self.tenants.items():
            for j, name in enumerate(spec.models or []):
                if name not in known:
                    yield ConfigIssue(f"tenants.{tenant}.models[{j}]", _unknown(name, known))
        for i, pool in enumerate(self.pools):
            for j, name in enumerate(pool.models):
                if name not in known:
                    yield ConfigIssue(f"pools[{i}].models[{j}]", _unknown(name, known))
        for path, message in pool_issues(
            self.pools, self.dispatch, known=known, routes={r.name for r in self.routes}
        ):
            yield ConfigIssue(path, message)


def _unknown(name: str, known: set[str]) -> str:
    return f"unknown model {name!r}; known models: {', '.join(sorted(known))}"


def _duplicates(section: str, names: list[str]) -> Iterator[ConfigIssue]:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield ConfigIssue(f"{section}[{i}].name", f"{name!r} is defined twice; names must be unique")
        seen.add(name)


def parse_config(data: Any, source: str = "config") -> RouterConfig:
    """Validate parsed YAML. Raises ConfigError listing every problem, not just the first."""
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue("<root>", "expected a mapping of sections")], source)
    try:
        config = RouterConfig.model_validate(data)
    except ValidationError as exc:
        issues = [ConfigIssue(format_loc(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        raise ConfigError(issues, source) from None
    issues = list(config.reference_issues())
    if issues:
        raise ConfigError(issues, source)
    return config


def load_config(path: str | Path | None = None) -> RouterConfig:
    """Load a YAML file, or the built-in default when no path is given."""
    if path is None:
        text = resources.files("agent_router").joinpath("default_config.yaml").read_text()
        source = "<built-in default>"
    else:
        source = str(path)
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ConfigError([ConfigIssue("<file>", f"cannot read: {exc.strerror}")], source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "<file>"
        raise ConfigError([ConfigIssue(where, f"not valid YAML: {exc}")], source) from None
    return parse_config(data, source)


def default_config() -> RouterConfig:
    return load_config(None)
