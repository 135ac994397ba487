"""Which endpoint serves a turn: warm and least loaded first, the session's previous endpoint
while it copes, and a cold first choice only when the caller can wait for it."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from .endpoint import Endpoint, EndpointState


@dataclass(frozen=True)
class Candidate:
    model: str
    endpoint: Endpoint
    wake: bool = False
    affinity: bool = False


@dataclass
class Plan:
    candidates: list[Candidate]
    wake_in_background: list[Endpoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Affinity:
    """session -> endpoint name, bounded: the oldest sessions are forgotten first."""

    def __init__(self, size: int):
        self.size = size
        self._map: OrderedDict[str, str] = OrderedDict()

    def get(self, session_id: str | None) -> str | None:
        return self._map.get(session_id) if session_id else None

    def remember(self, session_id: str | None, endpoint: str) -> None:
        if not session_id or not self.size:
            return
        self._map[session_id] = endpoint
        self._map.move_to_end(session_id)
        while len(self._map) > self.size:
            self._map.popitem(last=False)


def plan(
    models: list[str], serving: dict[str, list[Endpoint]], *, budget_ms: float | None, sticky: str | None
) -> Plan:
    """Candidates in the order to try them. A model with no warm endpoint is woken in place
    when the budget covers its cold start (or there is no budget), else skipped and woken in the
    background; if nothing else can answer, the cold ones are awaited after all."""
    result = Plan([])
    deferred: list[Candidate] = []
    unhealthy: list[Candidate] = []
    for model in models:
        endpoints = [e for e in serving.get(model, []) if e.breaker.available()]
        warm = [e for e in endpoints if e.state is EndpointState.warm]
        warm.sort(key=lambda e: (e.busy, e.load.kv_cache_usage or 0.0))
        for i, e in enumerate(warm):
            if e.name == sticky and not e.overloaded:
                warm.insert(0, warm.pop(i))
                break
        result.candidates += [Candidate(model, e, affinity=e.name == sticky) for e in warm]
        unhealthy += [Candidate(model, e) for e in endpoints if e.state is EndpointState.unhealthy]
        if warm:
            continue
        sleepers = [
            e
            for e in endpoints
            if e.can_wake and e.state in (EndpointState.cold, EndpointState.waking, EndpointState.draining)
        ]
        if not sleepers:
            continue
        best = min(sleepers, key=lambda e: (e.state is not EndpointState.waking, e.cold_start_s))
        wait_ms = best.cold_start_s * 1000
        if budget_ms is None or wait_ms <= budget_ms:
            result.candidates.append(Candidate(model, best, wake=True))
        else:
            result.notes.append(
                f"{model} is cold: waking takes ~{best.cold_start_s:.1f}s, over "
                f"the {budget_ms:g} ms budget; woken in the background for "
                "next time"
            )
            result.wake_in_background.append(best)
            deferred.append(Candidate(model, best, wake=True))
    if not result.candidates and deferred:
        result.notes.append("nothing warm can answer: waiting for a cold model despite the budget")
        result.candidates = deferred[:1]
        result.wake_in_background = [e for e in result.wake_in_background if e is not deferred[0].endpoint]
    # endpoints that failed a health check may have recovered: the last resort
    result.candidates += unhealthy
    return result
