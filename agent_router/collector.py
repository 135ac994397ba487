"""The cyclic garbage collector around start-up.

Importing the router and building its App leave about 180,000 tracked objects that live as
long as the process (modules, pydantic schemas, config, the tool index). Left to the collector,
every full pass walks all of them (370-445 ms a pass back when torch was loaded), which set the
p99 of a get_context on a long session. So once the App is built they are frozen: moved to the
permanent generation, which full passes skip. An entry point that starts a process (the CLI)
also pauses the collector while it imports and builds, when there is nothing to collect yet.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = False  # by paused_for_start_up, not by whoever embeds the router


@contextmanager
def paused_for_start_up() -> Iterator[None]:
    """Holds the collector off until settle_start_up() or the end of the block. A collector
    that someone else turned off stays off."""
    global _paused
    if not gc.isenabled():
        yield
        return
    gc.disable()
    _paused = True
    try:
        yield
    finally:
        if _paused:
            _paused = False
            gc.enable()


def settle_start_up() -> None:
    """Once the App is built and started. After a paused start the garbage of start-up is
    collected first (one full pass); a running collector has kept up with it already."""
    global _paused
    if _paused:
        gc.collect()
    gc.freeze()
    if _paused:
        _paused = False
        gc.enable()


def release_start_up() -> None:
    """When the App closes its objects may become garbage, so everything is collectable again
    (a second server in the process loses its freeze too, which costs time, never memory)."""
    gc.unfreeze()
