"""Integrity levels of content, shared by memory (what is stored) and safety (what may act).

Ordered from most to least trusted; content never gains authority by passing through a
lower level, and a detector's finding demotes content to hostile."""

from __future__ import annotations

from enum import StrEnum


class Integrity(StrEnum):
    system = "system"  # the agent's own configuration
    owner = "owner"  # the user the agent works for
    known = "known"  # authenticated others
    external = "external"  # web pages, tool output, files, other agents
    hostile = "hostile"  # flagged by a detector

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def at_least(self, other: Integrity) -> bool:
        """True when self is as trusted as other or more."""
        return self.rank <= other.rank

    @classmethod
    def lowest(cls, *levels: Integrity) -> Integrity:
        return max(levels, key=lambda level: level.rank)


_ORDER = [Integrity.system, Integrity.owner, Integrity.known, Integrity.external, Integrity.hostile]
