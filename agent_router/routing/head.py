"""A fitted route head: multinomial logistic regression over the text encoder's vectors, one
class per text route, its probabilities softened by a temperature fitted on held-out turns.

Routes then compete by probability instead of each clearing an absolute similarity threshold
on its own: a catch-all such as `general` is a class like any other, so it wins ordinary
questions on evidence rather than only when nothing else fires. numpy only, fitting included:
the head is small (routes x 384 weights) and must load wherever the router runs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ConfigError, ConfigIssue, RouterConfig

FORMAT = "agent-router-route-head/1"
BUILTIN = "builtin"  # defaults.head: the head shipped with the package, fitted for the built-in config
BUILTIN_FILE = Path(__file__).with_name("default_head.json")


@dataclass(frozen=True)
class HeadPick:
    route: str
    probability: float
    why: str


@dataclass(frozen=True)
class RouteHead:
    routes: tuple[str, ...]
    weights: np.ndarray  # (routes, dim)
    bias: np.ndarray  # (routes,)
    temperature: float = 1.0
    min_confidence: float = 0.0  # below this the turn goes to the default
    min_margin: float = 0.0  # the winner's lead over the runner-up it needs
    routes_digest: str = ""  # the config routes (names and conditions) it was fitted for
    info: dict[str, Any] = field(default_factory=dict)  # provenance: data, counts, figures

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return vectors.astype(np.float32) @ self.weights.T + self.bias

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(n, dim) vectors -> (n, routes) probabilities, rows summing to 1."""
        return softmax(self.logits(vectors) / self.temperature)

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        """One turn: route -> probability, to 4 places so that decisions do not flip on float
        noise between batched and single passes."""
        (row,) = self.probabilities(vector[None, :])
        return {name: round(float(p), 4) for name, p in zip(self.routes, row, strict=True)}

    def pick(self, scores: dict[str, float], fallback: str | None) -> HeadPick | None:
        """The route that wins by probability and margin; below the floor, `fallback` (the
        route of the config's default model) when the head scores it, else none."""
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        (top, p), (second, q) = ranked[0], ranked[1] if len(ranked) > 1 else ("-", 0.0)
        if p >= self.min_confidence and p - q >= self.min_margin:
            return HeadPick(top, p, f"probability {p:.3f}, {p - q:.3f} ahead of {second}")
        if fallback is None or fallback not in scores:
            return None
        return HeadPick(
            fallback,
            scores[fallback],
            f"the head's first choice {top} ({p:.3f}, {p - q:.3f} ahead) is below its floor "
            f"({self.min_confidence:.2f}, margin {self.min_margin:.2f}): the default model's route",
        )

    def content(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "routes": list(self.routes),
            "weights": [[float(f"{w:.6g}") for w in row] for row in self.weights.tolist()],
            "bias": [float(f"{b:.6g}") for b in self.bias.tolist()],
            "temperature": round(self.temperature, 6),
            "min_confidence": round(self.min_confidence, 6),
            "min_margin": round(self.min_margin, 6),
            "routes_digest": self.routes_digest,
            "info": self.info,
        }

    @property
    def digest(self) -> str:
        return _digest(self.content())

    def save(self, path: Path) -> str:
        """Writes the head with its own digest; returns the digest."""
        content = self.content()
        digest = _digest(content)
        path.write_text(json.dumps({**content, "digest": digest}, indent=1) + "\n", encoding="utf-8")
        return digest

    @classmethod
    def load(cls, path: Path) -> RouteHead:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: not a route head ({FORMAT})")
        head = cls(
            routes=tuple(data["routes"]),
            weights=np.asarray(data["weights"], np.float32),
            bias=np.asarray(data["bias"], np.float32),
            temperature=float(data["temperature"]),
            min_confidence=float(data["min_confidence"]),
            min_margin=float(data["min_margin"]),
            routes_digest=data["routes_digest"],
            info=data.get("info", {}),
        )
        if data.get("digest") != head.digest:
            raise ValueError(f"{path}: digest does not match the content; the file was edited or cut")
        return head

    def replace(self, **changes: Any) -> RouteHead:
        return RouteHead(**{**self.__dict__, **changes})


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def routes_digest(config: RouterConfig) -> str:
    """What a head is fitted for: the routes' names and conditions, not models or costs,
    so that changing a price does not call for refitting."""
    routes = [r.model_dump(mode="json", include={"name", "when"}) for r in config.routes]
    return hashlib.sha256(json.dumps(routes, sort_keys=True).encode()).hexdigest()[:16]


def load_head(config: RouterConfig) -> RouteHead | None:
    """The head the config names (defaults.head), checked against its routes."""
    where = config.defaults.head
    if where is None:
        return None
    path = BUILTIN_FILE if where == BUILTIN else Path(where)
    try:
        head = RouteHead.load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError([ConfigIssue("defaults.head", f"cannot load {path}: {exc}")]) from None
    known = {r.name for r in config.routes}
    unknown = [name for name in head.routes if name not in known]
    if unknown:
        raise ConfigError(
            [
                ConfigIssue(
                    "defaults.head",
                    f"{path} scores routes the config does not define ({', '.join(unknown)}); "
                    "refit it with `agent-router routes fit`",
                )
            ]
        )
    return head
