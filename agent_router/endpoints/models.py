"""GET /v1/models: the configured models, `auto` (routed per turn) and `route:<name>` (a route's
models in order, its cascade included), in OpenAI's list shape."""

from __future__ import annotations

from typing import Any

from ..app import App
from ..core.completion import virtual_models


def model_list(app: App) -> dict[str, Any]:
    names = [*virtual_models(app), *(m.name for m in app.config.models)]
    return {
        "object": "list",
        "data": [{"id": n, "object": "model", "created": 0, "owned_by": "agent-router"} for n in names],
    }
