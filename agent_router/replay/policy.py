"""A policy to replay under: the router, tool index and safety checker of one config, built on
the running encoders (never a second MiniLM) by the builders the server uses (app.py), CLIP
included. Parts whose config section is unchanged from the running App's are the App's own: a
running gateway then carries what it learned, which replay copies (Gateway.fork)."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio

from ..app import build_gateway, build_safety
from ..config import ModelSpec, RouterConfig
from ..embeddings import Encoders
from ..routing import Router
from ..safety.checker import SafetyChecker
from ..tools.gateway import Gateway
from .overlay import selection_gateway


@dataclass
class Policy:
    label: str  # "new", "baseline"
    config: RouterConfig
    router: Router
    tools: Gateway | None
    safety: SafetyChecker | None
    _owned: list[Gateway] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return self.router.digest

    @property
    def learned_live(self) -> bool:
        """Whether its gateway is the running one, carrying what the server learned."""
        return self.tools is not None and self.tools not in self._owned

    def model(self, name: str | None) -> ModelSpec | None:
        return next((m for m in self.config.models if m.name == name), None)

    async def aclose(self) -> None:
        for gateway in self._owned:
            await gateway.aclose()


async def build_policy(
    label: str,
    config: RouterConfig,
    encoders: Encoders,
    running: RouterConfig | None = None,
    router: Router | None = None,
    tools: Gateway | None = None,
    safety: SafetyChecker | None = None,
    *,
    running_catalog: bool = False,
) -> Policy:
    """`running` and its router/tools/safety are reused where `config` agrees with them. With
    `running_catalog` (a caller's policy, replay/overlay.py) no gateway is built: tools are
    selected from the running gateway's catalog, under `config`'s selection settings, and
    no server is started or connected."""
    same = running is not None and running == config
    if not (same and router is not None):
        router = await anyio.to_thread.run_sync(Router, config, encoders)
    owned: list[Gateway] = []
    if running_catalog:
        if tools is not None and running is not None and running.tools != config.tools:
            tools = selection_gateway(tools, config)
    elif tools is None or running is None or running.tools != config.tools:
        tools = build_gateway(config, encoders)
        await tools.start()  # lists the tools; nothing is called
        owned.append(tools)
    if (
        safety is None
        or running is None
        or (running.safety, running.defaults, running.models)
        != (config.safety, config.defaults, config.models)
    ):
        safety = build_safety(config, encoders)
    return Policy(label, config, router, tools, safety, owned)
