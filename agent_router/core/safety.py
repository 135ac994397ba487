"""Checking an action or an observation: the verdict, recorded in the session when memory is
on, with content a detector flags marked hostile there. A verdict is never lost because it
could not be recorded: a deny stays a deny, a flagged report stays flagged, and the result's
`memory` says what was not stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..app import App
from ..config.safety import UserProfile
from ..errors import InputError, NotConfigured
from ..image_files import ImageFiles
from ..images import NO_FILES
from ..safety.checker import SafetyChecker
from ..safety.provenance import SessionHistory
from ..safety.redaction import redact_value
from ..safety.side_effects import ToolFacts
from ..safety.verdict import ObservationReport, Verdict
from ..tools.catalog import ToolEntry
from ..trust import Integrity
from .caller import Caller, Role
from .confirmations import challenge_of, settle, without_confirmation
from .ids import check_ids, key_of
from .recorder import Recorder
from .turn import image_files


def checker_of(app: App) -> SafetyChecker:
    if app.safety is None:
        raise NotConfigured("safety checks are not configured on this server")
    return app.safety


@dataclass(frozen=True)
class SessionRead:
    """What memory gave of a session for a check: its recent user texts, which the escalation
    check and the profile rules read, its history, which provenance traces arguments through
    (None: no session, nothing recorded yet, or memory not used; `failure` says why memory was
    not used), and the user profile an operator stated for it."""

    user_texts: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] | None = None
    failure: str | None = None
    profile: dict[str, Any] | None = None

    @property
    def note(self) -> str | None:
        return f"memory not used, session history not read: {self.failure}" if self.failure else None


async def read_session(app: App, key: str | None) -> SessionRead:
    """The session stored under `key` (core/ids.py key_of), as a check reads it."""
    if key is None:
        return SessionRead()

    async def read(memory: Any) -> tuple[list[str], list[dict[str, Any]], dict[str, Any] | None]:
        return await memory.read_for_check(key)

    got = await Recorder(app).attempt(f"read the history of session {key!r}", read)
    if got.value is None:
        return SessionRead(failure=got.failure)
    texts, history, profile = got.value
    return SessionRead(texts, history or None, profile=profile)


def action_inputs(
    action: dict[str, Any], agent_id: str | None, session: SessionRead, tool: ToolFacts | None = None
) -> dict[str, Any]:
    """Everything the checker is given, as the verdict records it: replay judges it again
    from exactly this (judge_inputs)."""
    inputs: dict[str, Any] = {"action": action, "agent_id": agent_id, "user_texts": session.user_texts}
    if session.history is not None:
        inputs["history"] = session.history
    if session.profile is not None:
        inputs["profile"] = session.profile
    if tool is not None:
        inputs["tool"] = {**asdict(tool), "parameters": list(tool.parameters)}
    return inputs


async def judge_inputs(
    checker: SafetyChecker, inputs: dict[str, Any], files: ImageFiles = NO_FILES
) -> Verdict:
    """check_action on recorded inputs (action_inputs), live or in replay. `files`: the server
    files a screenshot path may name, the live caller's (replay reads none); `confirmed`: the
    user answered the router's challenge for it (core/confirmations.py)."""
    history = inputs.get("history")
    tool = inputs.get("tool")
    profile = inputs.get("profile")
    verdict = await checker.check_action(
        inputs.get("action"),
        inputs.get("agent_id"),
        list(inputs.get("user_texts") or []),
        history=SessionHistory.of(history) if isinstance(history, list) else None,
        tool=ToolFacts(**{**tool, "parameters": tuple(tool.get("parameters") or ())})
        if isinstance(tool, dict)
        else None,
        profile=UserProfile.model_validate(profile) if isinstance(profile, dict) else None,
        image_files=files,
    )
    if inputs.get("confirmed") is True:
        verdict.confirmed()
    return verdict


def tool_facts(tool: ToolEntry) -> ToolFacts:
    """What the gateway's catalog says about a tool. The checker believes the annotations
    only of a server the config marks trusted; otherwise it reads the description and
    parameters."""
    properties = tool.input_schema.get("properties")
    return ToolFacts(
        description=tool.description,
        parameters=tuple(properties) if isinstance(properties, dict) else (),
        read_only=tool.hints.read_only,
        destructive=tool.hints.destructive,
        trusted=tool.trusted,
    )


def catalog_facts(app: App, action: dict[str, Any]) -> ToolFacts | None:
    """The catalog's facts for a tool_call action naming a tool the gateway knows."""
    if app.tools is None or not isinstance(action, dict) or action.get("type") != "tool_call":
        return None
    entry = app.tools.index.get(f"{action.get('server')}/{action.get('tool')}")
    return tool_facts(entry) if entry is not None else None


# Inputs read back from the session, redacted when they were stored: redacting a 50-entry
# history again on every check would cost more than the check itself.
READ_FROM_MEMORY = ("history", "user_texts")


async def record_verdict(
    app: App,
    result: Verdict | ObservationReport,
    *,
    kind: str,
    session_id: str | None,
    turn_id: str | None,
    inputs: dict[str, Any] | None = None,
    hostile: bool = False,
) -> str | None:
    """Count the verdict and store it in the session stored under `session_id` (a key: core/ids.py
    key_of); a flagged observation demotes its turn to hostile. `inputs` (what the checker was
    given) lets `agent-router replay` judge it again. Returns what memory did, None without a
    session."""
    app.metrics.judged(
        kind,
        ("flagged" if result.flagged else "clean")
        if isinstance(result, ObservationReport)
        else result.decision.value,
    )
    if session_id is None:
        return None
    verdict, _ = redact_value(  # findings already show evidence masked; inputs do not
        {"kind": kind, **result.model_dump(mode="json", exclude={"memory", "challenge", "challenge_expires"})}
    )
    if inputs is not None:
        fresh, _ = redact_value({k: v for k, v in inputs.items() if k not in READ_FROM_MEMORY})
        verdict["input"] = {**fresh, **{k: inputs[k] for k in READ_FROM_MEMORY if k in inputs}}

    async def store(memory: Any) -> None:
        await memory.record_verdict(session_id, turn_id, verdict)
        if hostile and turn_id is not None:
            await memory.mark_hostile(session_id, turn_id)

    done = await Recorder(app).attempt(f"record a {kind} verdict in session {session_id!r}", store)
    if done.ok:
        return "verdict recorded" + (f"; turn {turn_id!r} marked hostile" if hostile and turn_id else "")
    return f"verdict not recorded: {done.failure}"


async def check_action(
    app: App,
    action: dict[str, Any],
    caller: Caller,
    *,
    session_id: str | None = None,
    turn_id: str | None = None,
    profile: UserProfile | None = None,
) -> Verdict:
    """Judge a computer-use action before it runs; with a session, its user texts inform the
    escalation check and the categories of the profile rules, its recorded history lets
    provenance trace each argument to where it first appeared, and the verdict is recorded with
    both. `profile`: the user this session acts for, laid over the agent's configured one and
    kept with the session, so the agent's own later checks in it apply it too; only an operator
    states it, since an agent could otherwise declare its user old enough. A confirm verdict
    carries a challenge; the same action repeated with it is the user's yes."""
    check_ids(session_id, turn_id, paired=False)
    if profile is not None and not (caller.local or caller.role.at_least(Role.operator)):
        raise InputError.single(
            "profile",
            "only an operator states the user's profile: leave it out (the profile the operator "
            "gave the session or the agent's configured one applies) or call with an operator key",
        )
    key = key_of(caller, session_id)
    checker = checker_of(app)
    session = await read_session(app, key)
    notes = [session.note]
    if profile is not None:
        session, note = await _state_profile(app, key, session, profile)
        notes.append(note)
    recorded = without_confirmation(action)
    inputs = action_inputs(recorded, caller.agent_id, session, catalog_facts(app, action))
    verdict = await judge_inputs(checker, inputs, image_files(caller, app.config.limits))
    token = challenge_of(action)
    if await settle(app, verdict, caller, session_id=key, action=recorded, token=token):
        inputs["confirmed"] = True
    injected = any(rule.startswith("injection.") for rule in verdict.rules)
    note = await record_verdict(
        app, verdict, kind="action", session_id=key, turn_id=turn_id, inputs=inputs, hostile=injected
    )
    verdict.memory = _joined(*notes, note)
    return verdict


async def _state_profile(
    app: App, key: str | None, session: SessionRead, profile: UserProfile
) -> tuple[SessionRead, str | None]:
    """The session read with `profile` laid over the one stated for it before, and the result
    kept with the session (when there is one) for the checks after this one."""
    stated = profile.model_dump(mode="json", exclude_unset=True)
    before = session.profile or {}
    merged = {**before, **stated}
    if "attributes" in before and "attributes" in stated:
        merged["attributes"] = {**before["attributes"], **stated["attributes"]}
    if key is None:
        return replace(session, profile=merged), None
    done = await Recorder(app).attempt(
        f"keep the user profile of session {key!r}", lambda memory: memory.set_profile(key, merged)
    )
    note = None if done.ok else f"profile not kept for the session's later checks: {done.failure}"
    return replace(session, profile=merged), note


async def check_observation(
    app: App,
    content: str,
    caller: Caller,
    *,
    integrity: Integrity = Integrity.external,
    session_id: str | None = None,
    turn_id: str | None = None,
) -> ObservationReport:
    """Look for prompt injection in content the agent takes in; a flagged report marks its turn
    hostile in the caller's session."""
    check_ids(session_id, turn_id, paired=False)
    key = key_of(caller, session_id)
    report = await checker_of(app).check_observation(content, integrity)
    report.memory = await record_verdict(
        app,
        report,
        kind="observation",
        session_id=key,
        turn_id=turn_id,
        inputs={"content": content, "integrity": integrity.value},
        hostile=report.flagged,
    )
    return report


def _joined(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None
