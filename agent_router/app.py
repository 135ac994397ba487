"""Everything a running router holds, built once per process from the config."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from .config import RouterConfig, load_config
from .embeddings import Encoders, build_encoders
from .routing import Router

log = logging.getLogger("agent_router")


@dataclass
class App:
    config: RouterConfig
    encoders: Encoders
    router: Router

    async def start(self) -> None:
        """Open what needs the event loop (databases, downstream servers)."""

    async def aclose(self) -> None:
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
    quiet_model_loading()
    config = config or load_config()
    encoders = build_encoders(config.encoders)
    router = Router(config, encoders)
    log.info("router ready: %d models, %d routes, encoders on %s",
             len(config.models), len(config.routes), encoders.placement.device)
    return App(config, encoders, router)
