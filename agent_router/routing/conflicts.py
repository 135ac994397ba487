"""Problems with the policy itself, found at load time rather than in production:
routes whose exemplars overlap, routes that can never fire, routes whose models cannot see
what the route matches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ..config import ConfigIssue, Modality, RouterConfig, RouteSpec, Severity


def _needs_image(route: RouteSpec) -> bool:
    return Modality.image in route.when.modalities or bool(route.when.image_kinds)


def modality_issues(config: RouterConfig) -> Iterator[ConfigIssue]:
    for i, route in enumerate(config.routes):
        if not _needs_image(route):
            continue
        blind = [n for n in route.models if Modality.image not in config.model(n).modalities]
        if len(blind) == len(route.models):
            yield ConfigIssue(
                f"routes[{i}].models",
                f"route {route.name!r} matches images but none "
                f"of its models ({', '.join(blind)}) accepts images",
            )
        elif blind:
            yield ConfigIssue(
                f"routes[{i}].models",
                f"route {route.name!r} matches images but "
                f"{', '.join(blind)} cannot take them; they only serve as a last "
                "resort",
                Severity.warning,
            )


def _range(route: RouteSpec) -> tuple[float, float]:
    lo = route.when.min_tokens if route.when.min_tokens is not None else 0
    hi = route.when.max_tokens if route.when.max_tokens is not None else float("inf")
    return lo, hi


def _gates_cover(a: RouteSpec, b: RouteSpec) -> bool:
    """Whenever b's gates hold, a's hold too."""
    wa, wb = a.when, b.when
    b_modalities = set(wb.modalities) | ({Modality.image} if wb.image_kinds else set())
    if not set(wa.modalities) <= b_modalities:
        return False
    if wa.image_kinds and not (wb.image_kinds and set(wb.image_kinds) <= set(wa.image_kinds)):
        return False
    (alo, ahi), (blo, bhi) = _range(a), _range(b)
    return alo <= blo and bhi <= ahi


def _fires_whenever(a: RouteSpec, b: RouteSpec) -> bool:
    if not _gates_cover(a, b):
        return False
    if not a.when.has_text_condition:
        return True
    # a's keywords catch every turn b's keywords catch, and b has nothing else to fire on.
    return (
        not b.when.examples
        and bool(b.when.keywords)
        and {k.lower() for k in b.when.keywords} <= {k.lower() for k in a.when.keywords}
    )


def shadow_issues(config: RouterConfig) -> Iterator[ConfigIssue]:
    for j, b in enumerate(config.routes):
        for i, a in enumerate(config.routes):
            if i != j and a.priority > b.priority and _fires_whenever(a, b):
                yield ConfigIssue(
                    f"routes[{j}]",
                    f"route {b.name!r} can never fire: route "
                    f"{a.name!r} (routes[{i}], priority {a.priority} > {b.priority}) "
                    "fires on every turn it would",
                )
                break


def overlap_issues(
    config: RouterConfig, embed: Callable[[list[str]], Sequence[np.ndarray]]
) -> Iterator[ConfigIssue]:
    routes = [(i, r) for i, r in enumerate(config.routes) if r.when.examples]
    if len(routes) < 2:
        return
    vectors = {i: np.stack(embed(r.when.examples)) for i, r in routes}
    limit = config.defaults.overlap_threshold
    for n, (i, a) in enumerate(routes):
        for j, b in routes[n + 1 :]:
            sims = vectors[i] @ vectors[j].T
            x, y = np.unravel_index(int(np.argmax(sims)), sims.shape)
            if sims[x, y] >= limit:
                yield ConfigIssue(
                    f"routes[{j}].when.examples[{y}]",
                    f"overlaps route {a.name!r} (routes[{i}].when.examples[{x}]): "
                    f"{b.when.examples[y]!r} ~ {a.when.examples[x]!r} at {sims[x, y]:.2f} >= "
                    f"{limit:.2f}; the two routes will compete for the same turns",
                    Severity.warning,
                )


def find_conflicts(
    config: RouterConfig, embed: Callable[[list[str]], Sequence[np.ndarray]] | None = None
) -> list[ConfigIssue]:
    issues = [*modality_issues(config), *shadow_issues(config)]
    if embed is not None:
        issues.extend(overlap_issues(config, embed))
    return issues
