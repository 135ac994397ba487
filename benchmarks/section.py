"""Run one benchmark's measurement over a built router and print its markdown section."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from agent_router.app import App


def print_section(app: App, measure: Callable[[App], Awaitable[str]]) -> None:
    """Print what measure(app) returns; the app is closed even when measuring fails."""
    try:
        print(asyncio.run(measure(app)))
    finally:
        app.close()
