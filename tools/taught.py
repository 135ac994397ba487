"""What this process's tool selection learned at once, so that following the outcomes other
replicas record (core/following.py) does not learn the same call or feedback a second time.

Each outcome learned here is noted under its origin, ("call", session key, "server/tool") or
("feedback", session key, turn id); reading it back from memory claims the note once. Notes
whose rows never arrive (a write that failed) are dropped past KEEP, oldest first."""

from __future__ import annotations

from collections import OrderedDict

KEEP = 4096


class Taught:
    def __init__(self, keep: int = KEEP):
        self.keep = keep
        self._notes: OrderedDict[tuple[str, ...], int] = OrderedDict()

    def note(self, *origin: str) -> None:
        self._notes[origin] = self._notes.get(origin, 0) + 1
        self._notes.move_to_end(origin)
        while len(self._notes) > self.keep:
            self._notes.popitem(last=False)

    def claim(self, *origin: str) -> bool:
        """True when this process already learned the outcome (once per note)."""
        count = self._notes.get(origin, 0)
        if count == 0:
            return False
        if count == 1:
            del self._notes[origin]
        else:
            self._notes[origin] = count - 1
        return True
