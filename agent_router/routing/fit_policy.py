"""From labelled turns and a config's exemplars to a route head for that config: which routes
become classes, how data labels map onto them, and how well the result routes held-out turns.

`agent-router routes fit` and scripts/fit_default_routes.py both go through `fit_policy`."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import RouterConfig
from ..errors import InputError
from .fitting import L2, Labelled, choose_floor, expected_calibration_error, fit_head
from .head import RouteHead, routes_digest

Embed = Callable[[list[str]], Sequence[np.ndarray]]
EMBED_BATCH = 64
# An exemplar is the config author's own word for what a route means: it counts as this many
# labelled turns, so that public data cannot outvote it (ToolTalk's closing "Thanks!" turns
# are labelled tool_use, and would otherwise carry every thank-you there).
EXEMPLAR_WEIGHT = 5.0


@dataclass(frozen=True)
class LabelledTurn:
    id: str
    route: str
    text: str


def read_turns(path: Path) -> list[LabelledTurn]:
    """JSON lines (gzipped when the name ends in .gz), each with id, route and text."""
    opener = gzip.open if path.suffix == ".gz" else open
    turns = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                turns.append(LabelledTurn(str(row.get("id", n)), str(row["route"]), str(row["text"])))
            except (ValueError, KeyError) as exc:
                raise InputError.single(
                    f"{path}:{n}", f"expected a JSON object with route and text ({exc})"
                ) from None
    return turns


@dataclass
class HeadReport:
    """How a head routes labelled turns (after the floor sends weak ones to the default)."""

    turns: int
    accuracy: float
    per_route: dict[str, tuple[int, float]]
    ece: float  # of the decision's confidence against whether the decision was right
    confusion: dict[str, Counter[str]] = field(default_factory=dict)

    def as_info(self) -> dict:
        return {
            "turns": self.turns,
            "accuracy": round(self.accuracy, 4),
            "per_route": {k: {"turns": n, "accuracy": round(a, 4)} for k, (n, a) in self.per_route.items()},
            "ece_15_bins": round(self.ece, 4),
        }


def evaluate_head(head: RouteHead, data: Labelled, fallback: str | None) -> HeadReport:
    probabilities = head.probabilities(data.vectors)
    chosen, confidence = [], []
    for row in probabilities:
        scores = {name: round(float(p), 4) for name, p in zip(head.routes, row, strict=True)}
        pick = head.pick(scores, fallback)
        chosen.append(pick.route if pick else "(default)")
        confidence.append(pick.probability if pick else 1 - max(scores.values()))
    correct = np.array([c == r for c, r in zip(chosen, data.routes, strict=True)])
    per_route, confusion = {}, {}
    for route in sorted(set(data.routes)):
        mask = np.array([r == route for r in data.routes])
        per_route[route] = (int(mask.sum()), float(correct[mask].mean()))
        confusion[route] = Counter(c for c, m in zip(chosen, mask, strict=True) if m)
    return HeadReport(
        turns=len(chosen),
        accuracy=float(correct.mean()),
        per_route=per_route,
        ece=expected_calibration_error(np.array(confidence), correct),
        confusion=confusion,
    )


def head_routes(config: RouterConfig, labels: set[str]) -> list[str]:
    """The classes: routes with exemplars and routes the data labels, in config order."""
    return [r.name for r in config.routes if r.when.examples or r.name in labels]


def default_route(config: RouterConfig, routes: Sequence[str]) -> str | None:
    """Where a turn below the floor goes: the head's route whose first model is the default."""
    return next(
        (r.name for r in config.routes if r.name in routes and r.models[0] == config.defaults.model), None
    )


def map_labels(turns: list[LabelledTurn], mapping: dict[str, str | None]) -> list[LabelledTurn]:
    """Relabel (or drop, for None) data labels that name no text route of the config."""
    out = []
    for t in turns:
        route = mapping.get(t.route, t.route)
        if route is not None:
            out.append(LabelledTurn(t.id, route, t.text))
    return out


def embed_all(embed: Embed, texts: list[str]) -> np.ndarray:
    vectors: list[np.ndarray] = []
    for start in range(0, len(texts), EMBED_BATCH):
        vectors.extend(embed(texts[start : start + EMBED_BATCH]))
    return np.stack(vectors).astype(np.float32)


def split_for_calibration(turns: list[LabelledTurn]) -> tuple[list[LabelledTurn], list[LabelledTurn]]:
    """No calibration set given: a fixed fifth of the turns (by a hash of the id) is held out."""
    held = [t for t in turns if int(hashlib.sha256(t.id.encode()).hexdigest(), 16) % 5 == 0]
    ids = {t.id for t in held}
    return [t for t in turns if t.id not in ids], held


def fit_policy(
    config: RouterConfig,
    train: list[LabelledTurn],
    *,
    embed: Embed,
    calibration: list[LabelledTurn] | None = None,
    mapping: dict[str, str | None] | None = None,
    l2: float = L2,
    min_margin: float = 0.0,
    info: dict | None = None,
) -> tuple[RouteHead, HeadReport]:
    """A head for `config`: weights from `train` plus the routes' exemplars; temperature and
    confidence floor from `calibration` (or a held-out fifth of `train`). Returns the head and
    its report on the calibration turns."""
    train = map_labels(train, mapping or {})
    if calibration is None:
        train, calibration = split_for_calibration(train)
    else:
        calibration = map_labels(calibration, mapping or {})
    routes = head_routes(config, {t.route for t in train})
    unknown = sorted({t.route for t in train + calibration} - set(routes))
    if unknown:
        known = ", ".join(r.name for r in config.routes)
        raise InputError.single(
            "route", f"labels name no route of the config: {', '.join(unknown)} (routes: {known})"
        )
    exemplars = [
        LabelledTurn(f"{r.name}#{i}", r.name, e) for r in config.routes for i, e in enumerate(r.when.examples)
    ]
    fit_on = train + exemplars
    weights = np.array([1.0] * len(train) + [EXEMPLAR_WEIGHT] * len(exemplars))
    fit_data = Labelled(embed_all(embed, [t.text for t in fit_on]), [t.route for t in fit_on], weights)
    held = Labelled(embed_all(embed, [t.text for t in calibration]), [t.route for t in calibration])
    counts = Counter(t.route for t in fit_on)
    provenance = {
        **(info or {}),
        "train_turns": {r: counts[r] for r in routes},
        "exemplars": len(exemplars),
        "calibration_turns": len(calibration),
        "l2": l2,
    }
    head = fit_head(fit_data, routes, calibration=held, l2=l2, routes_digest=routes_digest(config))
    fallback = default_route(config, routes)
    head = head.replace(min_confidence=choose_floor(head, held, fallback), min_margin=min_margin)
    report = evaluate_head(head, held, fallback)
    return head.replace(info={**provenance, "calibration_figures": report.as_info()}), report
