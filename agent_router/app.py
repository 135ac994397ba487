"""Everything a running router holds, built once per process from the config.

The parts beside routing (the tool gateway, safety, memory, the model pools) are imported when
they are built: `agent-router route` builds the router alone (build_router_app) and should not
wait for the MCP client, the shell parser or the database drivers those parts import."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import RouterConfig, load_config
from .embeddings import Encoders, build_encoders
from .observability import Metrics, setup_tracing
from .rate_limit import RateLimiter
from .routing import OutcomeTotals, Router
from .safety.confirmations import Challenges

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from .memory import MemoryStore
    from .pools import Dispatcher
    from .safety.checker import SafetyChecker
    from .tools.gateway import Gateway

log = logging.getLogger("agent_router")


@dataclass
class App:
    config: RouterConfig
    encoders: Encoders
    router: Router
    tools: Gateway | None = None
    safety: SafetyChecker | None = None
    memory: MemoryStore | None = None
    memory_down: str | None = None  # why memory is off when the config enables it
    pools: Dispatcher | None = None
    metrics: Metrics = field(default_factory=Metrics)
    rates: RateLimiter = field(init=False)  # per tenant, from config.limits and config.tenants
    challenges: Challenges = field(init=False)  # confirm verdicts' one-time tokens
    redis: Redis | None = None  # state.redis_url: what replicas share that is state, not memory
    started: bool = False  # start() has run: memory opened, the tool catalog synced once
    outcomes: OutcomeTotals = field(init=False)  # what learning samples from, summed from memory
    _summing: asyncio.Lock = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rates = RateLimiter(self.config.limits, self.config.tenants)
        self.challenges = Challenges.configured(self.config.safety.confirmation_seconds)
        self.outcomes = OutcomeTotals()
        self._summing = asyncio.Lock()

    async def start(self) -> None:
        """Open what needs the event loop (databases, downstream servers, Redis)."""
        self.share_state()
        if self.tools is not None:
            await self.tools.start()
        if self.config.memory.enabled and self.memory is None:
            await self.open_memory()
        await self.relearn_tool_outcomes()
        try:
            await self.relearn_model_outcomes()
        except Exception as exc:  # noqa: BLE001 - routing keeps the configured order meanwhile
            log.warning("model outcomes not loaded from memory: %s", exc)
        if self.pools is not None and self.pools.client is None:
            await self.pools.start()
        self.started = True

    def share_state(self) -> None:
        """Rate buckets and used challenges in Redis where state.redis_url names one. The client
        connects on its first command; each use decides what a Redis failure means."""
        spec = self.config.state
        if spec.redis_url is None or self.redis is not None:
            return
        from redis.asyncio import Redis

        self.redis = Redis.from_url(
            spec.redis_url, socket_timeout=spec.timeout_s, socket_connect_timeout=spec.timeout_s
        )
        self.rates.redis = self.challenges.redis = self.redis
        self.rates.key_prefix = self.challenges.key_prefix = spec.key_prefix

    async def open_memory(self) -> None:
        """A database that cannot be opened leaves routing up, with memory off and the reason
        kept for every decision that asked for it."""
        from .memory import MemoryStore

        try:
            self.memory = await MemoryStore.open(
                self.config.memory, self.config.models, self.encoders.text, self.encoders.ocr
            )
            self.memory_down = None
        except Exception as exc:  # noqa: BLE001 - any driver error means the same: no memory
            self.memory_down = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
            log.error("session memory is off: %s", self.memory_down)

    async def relearn_tool_outcomes(self) -> None:
        """Tool selection learns from calls that succeeded and from feedback on turns; memory keeps
        both across restarts."""
        if self.tools is None or self.memory is None:
            return
        from .memory import recorded_outcomes

        try:
            learned = await self.tools.learn(await recorded_outcomes(self.memory.database))
            log.info("tool selection relearned %d outcomes (calls, feedback) from memory", learned)
        except Exception as exc:  # noqa: BLE001 - selection works without the history
            log.warning("tool outcomes not loaded from memory: %s", exc)

    async def relearn_model_outcomes(self) -> int:
        """Sum in the model outcomes recorded (by any replica) since the last read; how many
        (tenant, route, model) sums moved. At start that is all of them, in one grouped read."""
        if self.memory is None:
            return 0
        from .memory import model_outcomes_after

        async with self._summing:  # two reads of the same rows would count them twice
            sums, last = await model_outcomes_after(self.memory.database, self.outcomes.last_id)
            for s in sums:
                self.outcomes.add(s.tenant, s.route, s.model, s.good, s.bad)
            self.outcomes.last_id = last
        return len(sums)

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = self.rates.redis = self.challenges.redis = None
        if self.pools is not None:
            await self.pools.aclose()
        if self.memory is not None:
            await self.memory.aclose()
        if self.tools is not None:
            await self.tools.aclose()
        self.close()

    def close(self) -> None:
        self.encoders.close()


def quiet_model_loading() -> None:
    """Model loaders print progress bars; on stdio transport stdout belongs to the protocol."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")


def build_app(config: RouterConfig | None = None) -> App:
    """The whole router: routing, the tool gateway, safety and the model pools (memory opens
    with the event loop, in App.start)."""
    from .pools import Dispatcher

    app = build_router_app(config or load_config())
    app.tools = build_gateway(app.config, app.encoders)
    app.safety = build_safety(app.config, app.encoders)
    app.pools = Dispatcher(app.config)
    return app


def build_router_app(config: RouterConfig) -> App:
    """Routing alone: the encoders and the router, no gateway, safety, memory or pools. What
    `agent-router route` needs; its App answers route_turn without a session_id."""
    quiet_model_loading()
    setup_tracing(config.observability)
    encoders = build_encoders(config.encoders)
    router = Router(config, encoders)
    log.info(
        "router ready: %d models, %d routes, encoders on %s",
        len(config.models),
        len(config.routes),
        encoders.placement,
    )
    return App(config, encoders, router)


def build_gateway(config: RouterConfig, encoders: Encoders) -> Gateway:
    """The tool gateway of a config on these encoders, with CLIP where it is configured. Replay
    builds its own through this too, so it matches tools as the server does."""
    from .tools.gateway import Gateway

    text = encoders.text.encoder
    clip = encoders.clip_model
    return Gateway(
        config.tools, text.encode, text.name, clip=None if clip is None else (clip.name, clip.encode_text)
    )


def build_safety(config: RouterConfig, encoders: Encoders) -> SafetyChecker:
    """The safety checker of a config; high-risk verdicts escalate to its strongest model."""
    from .safety.checker import SafetyChecker

    strongest = max(config.models, key=lambda m: m.quality).name
    return SafetyChecker(config.safety, encoders, config.limits, escalate_to=strongest)
