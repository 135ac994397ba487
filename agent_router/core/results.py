"""What the operations return: the pydantic models the MCP tools hand back as structured
content. Routing decisions (RoutingDecision), verdicts (Verdict, ObservationReport), context and
recall (ContextResult, RecallHit) come from the layers that make them; these are the core's own."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..pools import DispatchOutcome, EndpointStatus
from ..routing import RoutingDecision

MEMORY_HELP = "what session memory did with this call; null when no session was given"


class TurnAnswer(DispatchOutcome):
    decision: RoutingDecision | None = Field(description="the routing decision; null when forced")
    memory: str | None = Field(None, description="what session memory did with the turn")


class PoolStatus(BaseModel):
    endpoints: list[EndpointStatus]


class SelectedTool(BaseModel):
    server: str
    name: str
    score: float = Field(description="fused score the ranking used")
    semantic: float = Field(description="cosine similarity of the query and the tool")
    lexical: float = Field(description="BM25 score scaled so the best tool has 1")
    image: float | None = Field(
        None,
        description="CLIP cosine of the turn's closest image and the tool; null unless "
        "encoders.clip is set and the turn has images",
    )
    boost: float = Field(
        0.0,
        description="part of score from the session's recent use of the tool and from requests "
        "like this one that the tool served (+) or failed (-) before",
    )
    tokens: int = Field(description="estimated tokens of the definition")
    definition: dict[str, Any] = Field(description="the complete MCP tool definition")
    step: int | None = Field(
        None,
        description="index in `steps` of the step of the request this tool serves best; null when "
        "it serves the request as a whole (and for a request of one step)",
    )


class ToolSelection(BaseModel):
    query: str = Field(description="the text the tools were matched against")
    tools: list[SelectedTool]
    tokens: int = Field(description="estimated tokens of all returned definitions")
    over_budget: list[str] = Field(description="server/name of tools left out for max_tokens")
    steps: list[str] = Field(
        default_factory=list,
        description="the steps the request was split into (sentences, and clauses such as "
        "'and then save it'); empty for a request of one step. Each tool's `step` indexes it",
    )
    memory: str | None = Field(None, description=MEMORY_HELP)


class ForgetResult(BaseModel):
    session_id: str
    deleted: dict[str, int] = Field(description="rows deleted per table")


class FeedbackResult(BaseModel):
    session_id: str
    turn_id: str
    score: float
