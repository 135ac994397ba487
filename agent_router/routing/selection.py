"""Choosing the model once a route has fired: hard limits filter, preferences rank."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Modality, ModelSpec, RouterConfig
from .decision import Constraints
from .learning import LearningInput, LearningRecord, pick


@dataclass
class Selection:
    model: str
    fallbacks: list[str]
    rejected: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    learning: LearningRecord | None = None


def fits_context(model: ModelSpec, prompt_tokens: int) -> bool:
    return prompt_tokens + model.max_output_tokens <= model.context_window


def _why_not(model: ModelSpec, needs: set[Modality], tokens: int, c: Constraints | None) -> str | None:
    if not model.accepts(needs):
        missing = ", ".join(sorted(needs - set(model.modalities)))
        return f"does not accept {missing}"
    if not fits_context(model, tokens):
        return (
            f"context window {model.context_window} < {tokens} prompt + "
            f"{model.max_output_tokens} output tokens"
        )
    if c is None:
        return None
    if c.max_cost_per_mtok is not None and model.cost.input_per_mtok > c.max_cost_per_mtok:
        return f"costs {model.cost.input_per_mtok}/Mtok > max_cost_per_mtok {c.max_cost_per_mtok}"
    if c.max_latency_ms is not None and model.latency_ms > c.max_latency_ms:
        return f"latency {model.latency_ms:g} ms > max_latency_ms {c.max_latency_ms:g}"
    if c.min_quality is not None and model.quality < c.min_quality:
        return f"quality {model.quality} < min_quality {c.min_quality}"
    return None


def _preference_score(model: ModelSpec, pool: list[ModelSpec], c: Constraints) -> float:
    """Weighted 0..1 ranks within the candidates, as MCP model preferences describe them."""

    def rank(value: float, values: list[float], low_is_good: bool) -> float:
        lo, hi = min(values), max(values)
        if hi == lo:
            return 1.0
        r = (value - lo) / (hi - lo)
        return 1 - r if low_is_good else r

    costs = [m.cost.input_per_mtok + m.cost.output_per_mtok for m in pool]
    score = (c.cost_priority or 0) * rank(model.cost.input_per_mtok + model.cost.output_per_mtok, costs, True)
    score += (c.speed_priority or 0) * rank(model.latency_ms, [m.latency_ms for m in pool], True)
    score += (c.intelligence_priority or 0) * rank(model.quality, [m.quality for m in pool], False)
    if any(h.lower() in model.name.lower() for h in c.hints):
        score += 1.0
    return score


def _order(models: list[ModelSpec], c: Constraints | None) -> list[ModelSpec]:
    if c is None or not c.has_priorities:
        return models
    # sorted() is stable: ties keep the configured order.
    return sorted(models, key=lambda m: -_preference_score(m, models, c))


def select_model(
    config: RouterConfig,
    candidates: list[str],
    *,
    needs: set[Modality],
    prompt_tokens: int,
    constraints: Constraints | None,
    route: str | None = None,
    learned: LearningInput | None = None,
) -> Selection:
    """`learned`: the tenant's outcomes, sampled to choose among the route's models that meet
    every limit (config `learning`); never among the relaxed or borrowed choices below."""
    route_models = [config.model(n) for n in candidates]
    others = sorted(
        (m for m in config.models if m.name not in candidates),
        key=lambda m: (-m.quality, m.cost.input_per_mtok, m.name),
    )
    rejected = {m.name: why for m in route_models if (why := _why_not(m, needs, prompt_tokens, constraints))}
    eligible = _order([m for m in route_models if m.name not in rejected], constraints)
    extra = _order([m for m in others if _why_not(m, needs, prompt_tokens, constraints) is None], constraints)
    reasons: list[str] = []
    learning = None
    if eligible and route is not None and learned is not None and config.learning.enabled:
        learnt = pick(route, [m.name for m in eligible], learned, config.learning)
        if learnt is not None:
            eligible.insert(0, eligible.pop(learnt.index))
            reasons.append(learnt.reason)
            learning = learnt.record

    if not eligible and extra:
        reasons.append("no model of the route meets the turn's needs; chose among all models")
        eligible, extra = extra, []
    if not eligible:
        # Nothing meets every limit: keep what the turn physically needs, drop the caller's targets.
        relaxed = [m for m in route_models + others if _why_not(m, needs, prompt_tokens, None) is None]
        if relaxed:
            reasons.append("no model meets the cost, latency and quality targets; ignored them")
            eligible = relaxed
        else:
            capable = [m for m in route_models + others if m.accepts(needs)] or route_models + others
            eligible = sorted(capable, key=lambda m: -m.context_window)
            reasons.append(
                f"no model fits {prompt_tokens} prompt tokens; chose the largest context window "
                "(fit the history to it before sending)"
            )
            if not any(m.accepts(needs) for m in eligible):
                reasons.append("no model accepts images; send their screen text instead")
    chosen, rest = eligible[0], eligible[1:] + extra
    fallbacks = [m.name for m in rest][: config.defaults.max_fallbacks]
    return Selection(chosen.name, fallbacks, rejected, reasons, learning)
