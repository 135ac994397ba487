"""Safety verdicts re-judged: each recorded check's input through the policy's checker, compared
with what was recorded (or with a baseline policy). What memory did with a check is no part of
the verdict."""

from __future__ import annotations

from typing import Any

from ..core.safety import judge_inputs
from ..errors import InputError
from ..trust import Integrity
from .diff import ReplayItem, Side, changes
from .policy import Policy
from .sessions import RecordedSession, RecordedVerdict
from .text import short

IGNORED_VERDICT_FIELDS = ("kind", "input", "memory", "challenge", "challenge_expires")


async def replay_verdict(
    session: RecordedSession, recorded: RecordedVerdict, index: int, new: Policy, baseline: Policy | None
) -> ReplayItem:
    v = recorded.verdict
    kind = v.get("kind", "action")
    item = ReplayItem(
        session_id=session.id,
        kind="verdict",
        index=index,
        turn_id=recorded.turn_id,
        before_label="baseline" if baseline else "recorded",
    )
    inputs = v.get("input")
    if not isinstance(inputs, dict):
        item.before = _verdict_side(kind, v)
        item.problems.append(
            f"the {kind} verdict was recorded without its input (an older schema): it cannot be judged again"
        )
        return item
    item.text = short(str(inputs.get("content") or inputs.get("action")))
    after = await _judge(new, kind, inputs, item)
    if after is None:
        return item
    if baseline is not None:
        before = await _judge(baseline, kind, inputs, item)
    else:
        before = _kept(v)
    item.before = _verdict_side(kind, before) if before is not None else None
    item.after = _verdict_side(kind, after)
    item.changed = changes("verdict", item.before, item.after)
    item.exact = _kept(before) == _kept(after) if before is not None else None
    return item


async def _judge(
    policy: Policy, kind: str, inputs: dict[str, Any], item: ReplayItem
) -> dict[str, Any] | None:
    if policy.safety is None:
        item.problems.append(f"safety checks are not set up in the {policy.label} config")
        return None
    try:
        if kind == "observation":
            report = await policy.safety.check_observation(
                str(inputs.get("content", "")), Integrity(inputs.get("integrity", "external"))
            )
            return report.model_dump(mode="json")
        verdict = await judge_inputs(policy.safety, inputs)
        return verdict.model_dump(mode="json")
    except (InputError, ValueError) as exc:
        item.problems.append(f"the {policy.label} config cannot judge this {kind}: {exc}")
        return None


def _verdict_side(kind: str, v: dict[str, Any]) -> Side:
    flagged = "flagged" if v.get("flagged") else "clean"
    outcome = flagged if kind == "observation" else v.get("decision")
    return Side(
        verdict=outcome, rules=list(v.get("rules") or [f.get("rule") for f in v.get("findings") or []])
    )


def _kept(verdict: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in verdict.items() if k not in IGNORED_VERDICT_FIELDS}
