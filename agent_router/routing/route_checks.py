"""Warnings about what a route head can learn from a config: routes with too few exemplars to
stand for them, routes whose exemplars are too alike to tell apart, and a head fitted for
other routes than the config now has. `agent-router config check` reports them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ..config import ConfigIssue, RouterConfig, Severity
from .head import RouteHead, routes_digest

MIN_EXEMPLARS = 5
# Exemplars of two routes closer on average to each other than this fraction of how close each
# route's own exemplars are leave a head (or the similarity rule) little to separate them by;
# below ALIKE_FLOOR (unrelated sentences average 0.0-0.1 under MiniLM) routes of varied
# phrasings are not flagged for being varied.
ALIKE_RATIO = 0.85
ALIKE_FLOOR = 0.2


def _mean_offdiagonal(sims: np.ndarray) -> float:
    n = sims.shape[0]
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1))) if n > 1 else 1.0


def exemplar_issues(
    config: RouterConfig, embed: Callable[[list[str]], Sequence[np.ndarray]]
) -> Iterator[ConfigIssue]:
    routes = [(i, r) for i, r in enumerate(config.routes) if r.when.examples]
    for i, route in routes:
        if len(route.when.examples) < MIN_EXEMPLARS:
            yield ConfigIssue(
                f"routes[{i}].when.examples",
                f"route {route.name!r} has {len(route.when.examples)} exemplar(s); give it at least "
                f"{MIN_EXEMPLARS} different phrasings (or labelled turns to `agent-router routes fit`)",
                Severity.warning,
            )
    vectors = {i: np.stack(embed(r.when.examples)) for i, r in routes}
    own = {i: _mean_offdiagonal(v @ v.T) for i, v in vectors.items()}
    for n, (i, a) in enumerate(routes):
        for j, b in routes[n + 1 :]:
            cross = float((vectors[i] @ vectors[j].T).mean())
            closest_own = min(own[i], own[j])
            if cross >= max(ALIKE_FLOOR, ALIKE_RATIO * closest_own):
                yield ConfigIssue(
                    f"routes[{j}].when.examples",
                    f"routes {a.name!r} and {b.name!r} have exemplars too alike to separate: mean "
                    f"cosine {cross:.2f} between them against {closest_own:.2f} within the tighter "
                    "route; make them more distinct or merge the routes",
                    Severity.warning,
                )


def head_issues(config: RouterConfig, head: RouteHead | None) -> Iterator[ConfigIssue]:
    if head is not None and head.routes_digest != routes_digest(config):
        yield ConfigIssue(
            "defaults.head",
            "the route head was fitted for other routes (names or conditions changed since); "
            "refit it with `agent-router routes fit`",
            Severity.warning,
        )
