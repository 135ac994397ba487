"""What the router returns: the decision, every signal behind it, and reasons a person can read."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..config import ImageKind, Modality
from .learning import LearningRecord


class Constraints(BaseModel):
    """Targets the caller sets for this turn. Hard limits filter models; priorities rank them
    (the same fields as MCP model preferences: costPriority, speedPriority, intelligencePriority)."""

    max_cost_per_mtok: float | None = Field(None, ge=0, description="most USD per million input tokens")
    max_latency_ms: float | None = Field(None, ge=0, description="most typical time to first token")
    min_quality: int | None = Field(None, ge=1, le=5, description="lowest quality tier acceptable")
    cost_priority: float | None = Field(None, ge=0, le=1)
    speed_priority: float | None = Field(None, ge=0, le=1)
    intelligence_priority: float | None = Field(None, ge=0, le=1)
    hints: list[str] = Field(default_factory=list, description="model name fragments to prefer")

    @property
    def has_priorities(self) -> bool:
        return any(
            p is not None for p in (self.cost_priority, self.speed_priority, self.intelligence_priority)
        ) or bool(self.hints)


class ImageSignal(BaseModel):
    field: str
    sha256: str
    width: int
    height: int
    kind: ImageKind
    kind_source: str = Field(
        description="what decided the kind: 'mobilenet head', 'clip zero-shot' "
        "or 'clip zero-shot + clip head'"
    )
    kind_scores: dict[ImageKind, float] = Field(description="kind -> probability")
    screen_text_chars: int


class TurnSignals(BaseModel):
    modalities: list[Modality]
    image_count: int
    images: list[ImageSignal] = Field(default_factory=list)
    screen_text: str = Field(
        "",
        description="text read off the turn's images (first 2,000 chars); read only when a route's "
        "keywords could match it, as the reasons say",
    )
    prompt_tokens: int = Field(description="estimated tokens of the whole turn")
    fits_context: dict[str, bool] = Field(default_factory=dict)
    keyword_hits: dict[str, list[str]] = Field(default_factory=dict)
    similarity: dict[str, float] = Field(default_factory=dict, description="route -> exemplar similarity")
    route_probabilities: dict[str, float] = Field(
        default_factory=dict, description="route -> probability from the fitted route head, when there is one"
    )
    constraints: Constraints | None = None


class RoutingDecision(BaseModel):
    model: str = Field(description="the model that should answer")
    fallbacks: list[str] = Field(default_factory=list, description="next choices, in order")
    route: str | None = Field(description="the route that fired, or null for the default")
    confidence: float = Field(ge=0, le=1)
    signals: TurnSignals
    reasons: list[str]
    rejected: dict[str, str] = Field(default_factory=dict, description="model -> why it was not chosen")
    config_digest: str = Field(description="identifies the configuration that decided")
    learning: LearningRecord | None = Field(
        None,
        description="what learning from outcomes did: the route's outcomes and the seed the "
        "posterior draw used (replay draws the same); null where the route had none",
    )
    memory: str | None = Field(
        None,
        description="what session memory did with this turn: "
        "recorded, a retry already stored, or why it was not recorded",
    )
