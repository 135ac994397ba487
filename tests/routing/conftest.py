from __future__ import annotations

import pytest

from agent_router.app import App
from agent_router.image_files import ImageFiles
from agent_router.images import turn_images
from agent_router.routing import Constraints, RoutingDecision
from agent_router.turns import parse_messages

OWNER = ImageFiles(anywhere=True)  # the tests run as the machine's own user


@pytest.fixture
def route(app: App):
    async def _route(
        messages: list[dict], constraints: Constraints | None = None, app: App = app
    ) -> RoutingDecision:
        parsed = parse_messages(messages)
        return await app.router.route(parsed, turn_images(parsed, app.config.limits, OWNER), constraints)

    return _route
