"""Fitting a route head: L2-regularised multinomial logistic regression by gradient descent,
a temperature by likelihood on held-out turns, and the calibration error that says whether
the probabilities mean what they say. numpy only, deterministic (no random initialisation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .head import RouteHead, softmax

L2 = 1e-2  # on the mean loss of standardised features; chosen on the dev split of data/routing
STEPS = 300
ECE_BINS = 15
MAX_FLOOR = 0.6  # above this the default would take turns the head is fairly sure about
MIN_TURNS_FOR_FLOOR = 100  # fewer held-out turns cannot tell one floor from another


@dataclass(frozen=True)
class Labelled:
    """Turns as the encoder saw them, each with its route."""

    vectors: np.ndarray  # (n, dim), L2-normalised
    routes: list[str]
    weights: np.ndarray | None = None  # (n,) how much each turn counts; default 1


def fit_weights(
    data: Labelled, routes: Sequence[str], *, l2: float = L2, steps: int = STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced softmax regression: each route weighs the same in the loss however many
    turns (times their weights) it has, so that a small route is not given up for a large one."""
    index = {name: k for k, name in enumerate(routes)}
    y = np.array([index[r] for r in data.routes])
    # Standardised features: MiniLM's vectors share one dominant direction, which would leave
    # gradient descent crawling along all the others. Folded back into the weights at the end.
    mean = data.vectors.mean(axis=0)
    scale = data.vectors.std(axis=0) + 1e-6
    x = ((data.vectors - mean) / scale).astype(np.float32)
    n, dim = x.shape
    given = np.ones(n) if data.weights is None else data.weights.astype(np.float64)
    counts = np.bincount(y, weights=given, minlength=len(routes))
    if (counts == 0).any():
        missing = [routes[int(k)] for k in np.flatnonzero(counts == 0)]
        raise ValueError(f"no labelled turns for route(s) {', '.join(missing)}")
    sample_weight = (given / (len(routes) * counts)[y]).astype(np.float32)
    onehot = np.eye(len(routes), dtype=np.float32)[y]
    w = np.zeros((len(routes), dim), np.float32)
    b = np.zeros(len(routes), np.float32)
    # Nesterov's accelerated gradient with step 1/L: the loss is convex, L bounds its curvature.
    lipschitz = 0.5 * np.linalg.norm(x.T * sample_weight @ x, 2) + l2
    step = 1.0 / lipschitz
    w_prev, b_prev = w.copy(), b.copy()
    for t in range(1, steps + 1):
        momentum = (t - 1) / (t + 2)
        vw, vb = w + momentum * (w - w_prev), b + momentum * (b - b_prev)
        residual = (softmax(x @ vw.T + vb) - onehot) * sample_weight[:, None]
        w_prev, b_prev = w, b
        w = vw - step * (residual.T @ x + l2 * vw)
        b = vb - step * residual.sum(axis=0)
    weights = w / scale
    return weights.astype(np.float32), (b - weights @ mean).astype(np.float32)


def fit_temperature(head: RouteHead, data: Labelled) -> float:
    """The temperature that maximises the likelihood of held-out turns (golden-section search
    over log T): probabilities then match how often the head is right."""
    logits = head.logits(data.vectors).astype(np.float64)
    y = np.array([head.routes.index(r) for r in data.routes])

    def nll(log_t: float) -> float:
        p = softmax(logits / np.exp(log_t))
        return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())

    lo, hi = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, c = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(a) < nll(c):
            hi = c
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by their size."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for k in range(bins):
        mask = which == k
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def fit_head(
    train: Labelled,
    routes: Sequence[str],
    *,
    calibration: Labelled | None = None,
    l2: float = L2,
    routes_digest: str = "",
    info: dict | None = None,
) -> RouteHead:
    """Weights from `train`; the temperature from `calibration` (held-out turns) when given,
    else 1. The confidence floor and margin are left at 0: choose them with `choose_floor`."""
    weights, bias = fit_weights(train, routes, l2=l2)
    head = RouteHead(tuple(routes), weights, bias, routes_digest=routes_digest, info=info or {})
    if calibration is not None:
        head = head.replace(temperature=fit_temperature(head, calibration))
    return head


def choose_floor(head: RouteHead, data: Labelled, fallback: str | None, *, max_loss: float = 0.005) -> float:
    """The highest confidence floor (below it the turn goes to `fallback`, the default's route)
    that costs no route more than `max_loss` of its accuracy on held-out turns: low-confidence
    turns then take the cheap default without making routing worse, for the fallback's
    competitors as much as overall (an overall bound let the floor feed one route's turns to the
    fallback). 0 (no floor) with too few held-out turns."""
    if len(data.routes) < MIN_TURNS_FOR_FLOOR:
        return 0.0
    p = head.probabilities(data.vectors)
    top = p.argmax(axis=1)
    top_p = p.max(axis=1)
    truth = np.array([head.routes.index(r) for r in data.routes])
    present = [k for k in range(len(head.routes)) if (truth == k).any()]

    def per_route(chosen: np.ndarray) -> np.ndarray:
        return np.array([(chosen[truth == k] == k).mean() for k in present])

    base = per_route(top)
    fallback_k = head.routes.index(fallback) if fallback in head.routes else -1
    best = 0.0
    for floor in np.arange(0.0, MAX_FLOOR + 0.005, 0.01):
        if (per_route(np.where(top_p >= floor, top, fallback_k)) >= base - max_loss).all():
            best = float(floor)
    return round(best, 2)
