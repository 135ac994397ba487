"""What a replay reports: one item per recorded decision (a routed turn, a tool selection, a
safety verdict) with the before and after side by side, and the summary over all of them."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..config import ModelSpec

Kind = Literal["route", "tools", "verdict"]
Label = Literal["recorded", "baseline"]


class Side(BaseModel):
    """One decision, as recorded or as a config makes it now; fields that do not apply to the
    item's kind stay empty."""

    model: str | None = None
    route: str | None = None
    fallbacks: list[str] = Field(default_factory=list)
    confidence: float | None = None
    prompt_tokens: int | None = None
    tools: list[str] | None = Field(None, description="server/name, best first")
    verdict: str | None = Field(None, description="allow, confirm, deny; flagged or clean")
    rules: list[str] = Field(default_factory=list)
    cost_usd: float | None = Field(None, description="estimated from the model's prices")
    latency_ms: float | None = Field(None, description="the model's configured latency")
    answer: str | None = Field(None, description="the model's answer, when dispatched")


class ReplayItem(BaseModel):
    session_id: str
    kind: Kind
    index: int = Field(description="1-based position among the session's items of this kind")
    turn_id: str | None = None
    text: str = Field("", description="what the decision was about, shortened")
    before_label: Label = "recorded"
    before: Side | None = None
    after: Side | None = None
    changed: list[str] = Field(default_factory=list, description="model, route, tools, verdict")
    exact: bool | None = Field(None, description="after reproduces before in every field")
    why: list[str] = Field(
        default_factory=list,
        description="where the model changed: what learning from outcomes did on each side",
    )
    problems: list[str] = Field(default_factory=list)


class ReplaySummary(BaseModel):
    sessions: int = 0
    before_label: Label = "recorded"
    config_digest: str = Field("", description="the config replayed under")
    baseline_digest: str | None = None
    recorded_digests: list[str] = Field(
        default_factory=list, description="configs the recorded decisions name"
    )
    turns_replayed: int = 0
    model_changed: int = 0
    route_changed: int = 0
    selections_replayed: int = 0
    tools_changed: int = 0
    verdicts_replayed: int = 0
    verdict_changed: int = 0
    verdict_changes: dict[str, int] = Field(
        default_factory=dict, description="'allow->deny': count, per direction"
    )
    exact: int = Field(0, description="items whose decision was reproduced in every field")
    cost_before_usd: float = 0.0
    cost_after_usd: float = 0.0
    mean_latency_before_ms: float | None = None
    mean_latency_after_ms: float | None = None
    dispatched: int = 0
    problem_count: int = 0
    problems: list[str] = Field(default_factory=list, description="the first problems")


PROBLEMS_SHOWN = 50


def priced(spec: ModelSpec | None, prompt_tokens: int | None, output_tokens: int, side: Side) -> Side:
    if spec is not None and prompt_tokens is not None:
        side.cost_usd = round(
            (prompt_tokens * spec.cost.input_per_mtok + output_tokens * spec.cost.output_per_mtok) / 1e6, 8
        )
        side.latency_ms = spec.latency_ms
    return side


def changes(kind: Kind, before: Side | None, after: Side | None) -> list[str]:
    if before is None or after is None:
        return []
    if kind == "route":
        return [f for f in ("model", "route") if getattr(before, f) != getattr(after, f)]
    if kind == "tools":
        return ["tools"] if set(before.tools or []) != set(after.tools or []) else []
    return ["verdict"] if before.verdict != after.verdict else []


def summarize(
    items: list[ReplayItem],
    sessions: int,
    config_digest: str,
    baseline_digest: str | None,
    recorded_digests: list[str],
    run_problems: list[str],
) -> ReplaySummary:
    s = ReplaySummary(
        sessions=sessions,
        config_digest=config_digest,
        baseline_digest=baseline_digest,
        before_label="baseline" if baseline_digest else "recorded",
        recorded_digests=recorded_digests,
    )
    directions: Counter[str] = Counter()
    before_latency: list[float] = []
    after_latency: list[float] = []
    problems = list(run_problems)
    for item in items:
        problems += [f"{item.session_id} {item.kind} {item.index}: {p}" for p in item.problems]
        if item.after is None:
            continue
        s.exact += bool(item.exact)
        if item.kind == "route":
            s.turns_replayed += 1
            s.model_changed += "model" in item.changed
            s.route_changed += "route" in item.changed
            s.dispatched += item.after.answer is not None
            if item.before is not None and None not in (item.before.cost_usd, item.after.cost_usd):
                s.cost_before_usd += item.before.cost_usd or 0.0
                s.cost_after_usd += item.after.cost_usd or 0.0
                before_latency.append(item.before.latency_ms or 0.0)
                after_latency.append(item.after.latency_ms or 0.0)
        elif item.kind == "tools":
            s.selections_replayed += 1
            s.tools_changed += "tools" in item.changed
        else:
            s.verdicts_replayed += 1
            if "verdict" in item.changed and item.before is not None:
                s.verdict_changed += 1
                directions[f"{item.before.verdict}->{item.after.verdict}"] += 1
    s.verdict_changes = dict(sorted(directions.items()))
    s.cost_before_usd = round(s.cost_before_usd, 6)
    s.cost_after_usd = round(s.cost_after_usd, 6)
    if before_latency:
        s.mean_latency_before_ms = round(sum(before_latency) / len(before_latency), 1)
        s.mean_latency_after_ms = round(sum(after_latency) / len(after_latency), 1)
    s.problem_count = len(problems)
    s.problems = problems[:PROBLEMS_SHOWN]
    return s


def summary_rows(s: ReplaySummary) -> list[tuple[str, str]]:
    """(label, value) pairs: the table the CLI prints and the HTML report shows."""
    b = s.before_label
    rows: list[tuple[str, Any]] = [
        ("sessions", s.sessions),
        ("turns replayed", s.turns_replayed),
        ("model changed", s.model_changed),
        ("route changed", s.route_changed),
        ("tool selections replayed", s.selections_replayed),
        ("tools changed", s.tools_changed),
        ("verdicts replayed", s.verdicts_replayed),
        ("verdict changed", s.verdict_changed),
    ]
    rows += [(f"  {direction}", n) for direction, n in s.verdict_changes.items()]
    rows += [
        ("reproduced exactly", s.exact),
        (f"est. cost, {b}", f"${s.cost_before_usd:.6f}"),
        ("est. cost, new", f"${s.cost_after_usd:.6f}"),
        (f"mean latency, {b}", _ms(s.mean_latency_before_ms)),
        ("mean latency, new", _ms(s.mean_latency_after_ms)),
    ]
    if s.dispatched:
        rows.append(("dispatched", s.dispatched))
    rows.append(("problems", s.problem_count))
    return [(k, str(v)) for k, v in rows]


def summary_table(s: ReplaySummary) -> str:
    rows = summary_rows(s)
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines += [f"  ! {p}" for p in s.problems]
    if s.problem_count > len(s.problems):
        lines.append(f"  ... and {s.problem_count - len(s.problems)} more (see the JSONL)")
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"
