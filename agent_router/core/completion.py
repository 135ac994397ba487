"""A model call in the path: the operation behind the OpenAI- and Anthropic-compatible endpoints.

An agent framework sends its whole conversation and its tools, as it would to any model. The
turn is routed exactly as route_turn routes it (or sent to the model or route it names),
dispatched through the pools, and recorded in the session as dispatch_turn records it. Two
guards sit in the path, because the agent will act on what comes back without asking the
router: tool results coming in are read for injected instructions (and fenced, removed or
refused by policy), and every tool call going out is judged by the safety checker before the
agent can run it. A denied call never reaches the agent. The dialects only translate."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..app import App
from ..config.endpoints import OnDenied
from ..errors import InputError, Refused
from ..pools import DispatchError, DispatchOutcome
from ..tools.catalog import ToolEntry
from ..turns import ChatMessage, ToolCall
from .call_guards import REQUEST_SERVER, Blocked, is_function_tool, judge_calls, screen_results
from .caller import Caller
from .dispatch import DispatchPlan, plan_dispatch, record_answer, record_failure, send_planned
from .ids import key_of
from .session_writes import writes
from .tool_selection import rank_among
from .turn import Turn

AUTO = "auto"
ROUTE_PREFIX = "route:"


class UnknownModel(InputError):
    """The request names a model that is neither configured, `auto`, nor a route's."""


@dataclass(frozen=True)
class ModelCall:
    """One model call as a dialect parsed it. `tools` are OpenAI function tools
    ({type: function, function: {name, description, parameters}}); `options` are request fields
    sent to the model as they are (tool_choice, temperature, stop, ...)."""

    turn: Turn
    model: str = AUTO
    tools: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    max_tokens: int | None = None
    session_id: str | None = None


@dataclass
class CallAnswer:
    """The answer the agent gets: the model's text (then a notice for each blocked call) and
    the tool calls that passed the checks."""

    outcome: DispatchOutcome
    tool_calls: list[dict[str, Any]]
    blocked: list[Blocked]

    @property
    def notice(self) -> str:
        """What the router adds after the model's text; a stream sends it last."""
        notes = "\n".join(b.notice() for b in self.blocked)
        return f"\n{notes}" if notes and self.outcome.answer else notes

    @property
    def text(self) -> str:
        return self.outcome.answer + self.notice

    @property
    def finish_reason(self) -> str:
        if self.tool_calls:
            return "tool_calls"
        if self.blocked or self.outcome.finish_reason == "tool_calls":
            return "stop"
        return self.outcome.finish_reason or "stop"


@dataclass
class PreparedCall:
    """Screened and routed, its turn being recorded; nothing sent yet. A stream reads the route
    and model off it before the first token."""

    app: App
    call: ModelCall
    caller: Caller
    plan: DispatchPlan
    wire: list[dict[str, Any]]
    screened: list[str]
    tools: list[dict[str, Any]]
    tools_dropped: list[str] = field(default_factory=list)

    @property
    def model(self) -> str:
        return self.plan.models[0]

    @property
    def reasons(self) -> list[str]:
        if self.plan.decision is not None:
            why = list(self.plan.decision.reasons[:1])
        elif self.plan.route is not None:
            why = [f"route {self.plan.route} named by the request"]
        else:
            why = [f"model {self.model} named by the request"]
        return why + self.screened

    async def answer(self, on_delta: Callable[[str], Awaitable[None]] | None = None) -> CallAnswer:
        """Dispatch, judge every tool call in the answer, record the answer as the agent gets
        it (once it is sent). Raises DispatchError when no endpoint answered (recorded with the
        turn), Refused by the `error` policy."""
        session_id, key = self.call.session_id, self.plan.session_key
        options = dict(self.call.options)
        if self.tools:
            options["tools"] = self.tools
        try:
            outcome = await send_planned(
                self.app,
                self.plan,
                self.wire,
                on_delta=on_delta,
                max_tokens=self.call.max_tokens,
                options=options,
                stream_once=True,
                learn_later=True,
            )
        except DispatchError as exc:
            await writes.settled(key)  # the failure is kept after its turn
            raise await record_failure(
                self.app, exc, self.caller, session_id=session_id, turn_id=None
            ) from exc
        calls = [_complete(c) for c in outcome.tool_calls]
        kept, blocked = await judge_calls(self.app, self.caller, calls, tools=self.call.tools, session_id=key)
        answer = CallAnswer(outcome, kept, blocked)
        spec = self.app.config.endpoints
        message = ChatMessage(
            role="assistant",
            content=answer.text,
            tool_calls=[ToolCall.model_validate(c) for c in kept] or None,
        )
        if key is not None:
            recording = record_answer(
                self.app, outcome, message, self.caller, session_id=session_id, turn_id=None
            )
            writes.then(key, recording)
        if blocked and spec.on_denied is OnDenied.error:
            raise Refused(" ".join(b.notice() for b in blocked))
        return answer


async def prepare_call(app: App, call: ModelCall, caller: Caller) -> PreparedCall:
    """Screen the tool results coming in, pick the tools, route (or force) the turn and start
    recording it. Raises UnknownModel, InputError, Refused (a flagged result under `refuse`)."""
    model, route = _resolve(app, call.model)
    key = key_of(caller, call.session_id)
    await writes.settled(key)
    wire, screened = await screen_results(app, call.turn.messages, key)
    tools, dropped = await _fitting_tools(app, call)
    plan = await plan_dispatch(
        app,
        call.turn,
        caller,
        session_id=call.session_id,
        turn_id=None,
        model=model,
        route=route,
        max_tokens=call.max_tokens,
    )
    if plan.record is not None and key is not None:
        writes.then(key, plan.record())  # written while the model answers
    return PreparedCall(app, call, caller, plan, wire, screened, tools, dropped)


async def _fitting_tools(app: App, call: ModelCall) -> tuple[list[dict[str, Any]], list[str]]:
    """At most endpoints.max_tools of the request's tools: those the conversation already
    called and the one tool_choice names, then the best of the rest for the turn."""
    limit = app.config.endpoints.max_tools
    named = [t["function"]["name"] for t in call.tools if is_function_tool(t)]
    if limit is None or len(named) <= limit:
        return call.tools, []
    used = {c.function.name for m in call.turn.messages for c in m.tool_calls or []}
    choice = call.options.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        used.add(str(choice["function"].get("name")))
    keep = [n for n in named if n in used][:limit]
    entries = [
        ToolEntry(REQUEST_SERVER, t["function"]["name"], str(t["function"].get("description") or ""), params)
        for t in call.tools
        if is_function_tool(t) and isinstance(params := t["function"].get("parameters") or {}, dict)
    ]
    try:
        ranked = await rank_among(app, call.turn, entries, limit)
    except InputError:  # images alone and no CLIP to match them: nothing to rank by
        return call.tools, []
    keep += [n for n in ranked if n not in keep][: limit - len(keep)]
    kept = [t for t in call.tools if is_function_tool(t) and t["function"]["name"] in keep]
    return kept, [n for n in named if n not in keep]


def conversation_session(caller: Caller, messages: list[ChatMessage]) -> str:
    """The session of an agent that sends no id: its system prompt and first user message,
    which every request of one conversation repeats, within the caller's tenant and agent."""
    system = [m.model_dump(mode="json") for m in messages if m.role in ("system", "developer")][:1]
    first = [m.model_dump(mode="json") for m in messages if m.role == "user"][:1]
    text = json.dumps([caller.tenant, caller.agent_id, system, first], sort_keys=True)
    return "conv-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def virtual_models(app: App) -> list[str]:
    """The model names a request may give besides the configured ones."""
    return [AUTO, *(f"{ROUTE_PREFIX}{r.name}" for r in app.config.routes)]


def _complete(call: dict[str, Any]) -> dict[str, Any]:
    """A call with an id and its arguments as JSON text, as every client expects one."""
    function = call.get("function") or {}
    arguments = function.get("arguments")
    return {
        "id": call.get("id") or f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {
            "name": str(function.get("name") or ""),
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments or {}),
        },
    }


def _resolve(app: App, model: str) -> tuple[str | None, str | None]:
    """(forced model, forced route); both None: routed."""
    if model == AUTO:
        return None, None
    route = model.removeprefix(ROUTE_PREFIX)
    if route != model and any(r.name == route for r in app.config.routes):
        return None, route
    if any(m.name == model for m in app.config.models):
        return model, None
    known = sorted([*virtual_models(app), *(m.name for m in app.config.models)])
    raise UnknownModel([("model", f"unknown model {model!r}; known: {', '.join(known)}")])
