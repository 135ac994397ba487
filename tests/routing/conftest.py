from __future__ import annotations

import pytest

from agent_router.app import App
from agent_router.images import load_images
from agent_router.routing import Constraints, RoutingDecision
from agent_router.turns import parse_messages


@pytest.fixture
def route(app: App):
    async def _route(messages: list[dict], constraints: Constraints | None = None,
                     app: App = app) -> RoutingDecision:
        parsed = parse_messages(messages)
        limits = app.config.defaults
        return await app.router.route(parsed, load_images(parsed, limits.max_image_bytes,
                                                          limits.max_image_pixels), constraints)
    return _route
