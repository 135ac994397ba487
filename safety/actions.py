"""The actions computer-use agents emit, in their own shapes: Anthropic's computer tool
(`{"action": "left_click", "coordinate": [x, y]}`), OpenAI's computer-use actions
(`{"type": "click", "x": .., "y": ..}`), and shell, navigate, tool_call, file_write and
send_message. Anthropic's shape is mapped onto the same models so detectors see one form."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..trust import Integrity
from .side_effects import name_words


class Confirmation(BaseModel):
    """The answer to a confirm verdict: the `challenge` that verdict carried, repeated with the
    same action. `text` and `integrity` are what the caller says about the answer; neither
    counts, since whoever forges an action forges them too (safety/confirmations.py)."""

    model_config = ConfigDict(extra="forbid")
    challenge: str | None = Field(None, max_length=1_000, description="the confirm verdict's challenge")
    text: str | None = Field(None, max_length=10_000)
    integrity: Integrity = Integrity.external


class ActionContext(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, max_length=10_000, description="page the agent is on")
    app: str | None = Field(None, max_length=500, description="focused application")
    screenshot: str | None = Field(None, description="data URL, base64 PNG/JPEG or file path")
    screen_text: str | None = Field(None, description="text of the screen when no screenshot")
    focused_label: str | None = Field(
        None, max_length=2_000, description="label of the focused or targeted element"
    )
    intent: str | None = Field(
        None, max_length=2_000, description="what the agent says the action does: 'click Cancel'"
    )
    instructed_by: Integrity | None = Field(
        None,
        description="least trusted source whose content asked for this action, when the agent "
        "knows it is below the user (external, hostile); a stated level can only lower trust, "
        "and unstated grants nothing: with a session, provenance traces where arguments came from",
    )
    confirmation: Confirmation | None = None


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    context: ActionContext = Field(default_factory=ActionContext)


class Click(_Action):
    type: Literal["click", "double_click", "triple_click"]
    x: int = Field(ge=0, le=100_000)
    y: int = Field(ge=0, le=100_000)
    button: Literal["left", "right", "middle", "wheel", "back", "forward"] = "left"


class TypeText(_Action):
    type: Literal["type"]
    text: str = Field(max_length=1_000_000)


class Keypress(_Action):
    type: Literal["keypress"]
    keys: list[str] = Field(min_length=1, max_length=20)


class Scroll(_Action):
    type: Literal["scroll"]
    x: int = 0
    y: int = 0
    scroll_x: int = 0
    scroll_y: int = 0


class Move(_Action):
    type: Literal["move"]
    x: int
    y: int


class Drag(_Action):
    type: Literal["drag"]
    path: list[dict[str, int]] = Field(min_length=2, max_length=1000)


class Passive(_Action):
    """Actions that only look or wait."""

    type: Literal["screenshot", "wait", "cursor_position"]


class Shell(_Action):
    type: Literal["shell"]
    command: str = Field(min_length=1, max_length=1_000_000)


class Navigate(_Action):
    type: Literal["navigate"]
    url: str = Field(min_length=1, max_length=10_000)


class ToolCallAction(_Action):
    type: Literal["tool_call"]
    server: str | None = Field(None, max_length=500)
    tool: str = Field(min_length=1, max_length=500)
    arguments: dict[str, Any] = Field(default_factory=dict)


class FileWrite(_Action):
    type: Literal["file_write"]
    path: str = Field(min_length=1, max_length=4096)
    content: str = Field("", max_length=50_000_000)


class SendMessage(_Action):
    type: Literal["send_message"]
    to: list[str] = Field(min_length=1, max_length=1000)
    body: str = Field("", max_length=50_000_000)
    channel: str | None = Field(None, description="email, slack, sms, ...")
    subject: str | None = None


Action = Annotated[
    Click
    | TypeText
    | Keypress
    | Scroll
    | Move
    | Drag
    | Passive
    | Shell
    | Navigate
    | ToolCallAction
    | FileWrite
    | SendMessage,
    Field(discriminator="type"),
]

_CLICKS = {
    "left_click": ("click", "left"),
    "right_click": ("click", "right"),
    "middle_click": ("click", "middle"),
    "double_click": ("double_click", "left"),
    "triple_click": ("triple_click", "left"),
}
_RENAMED = {
    "key": "keypress",
    "mouse_move": "move",
    "left_click_drag": "drag",
    "type": "type",
    "scroll": "scroll",
    "screenshot": "screenshot",
    "wait": "wait",
    "cursor_position": "cursor_position",
}


def from_anthropic(raw: dict[str, Any]) -> dict[str, Any]:
    """Anthropic computer tool input -> the OpenAI-style shape used here."""
    data = {k: v for k, v in raw.items() if k not in ("action", "coordinate", "start_coordinate")}
    name = raw["action"]
    coordinate = raw.get("coordinate")
    point = {}
    if isinstance(coordinate, list | tuple) and len(coordinate) == 2:
        point = {"x": coordinate[0], "y": coordinate[1]}
    if name in _CLICKS:
        kind, button = _CLICKS[name]
        return {**data, **point, "type": kind, "button": button}
    if name == "key":
        rest = {k: v for k, v in data.items() if k != "text"}
        return {**rest, "type": "keypress", "keys": str(raw.get("text", "")).split("+")}
    if name == "left_click_drag":
        start = raw.get("start_coordinate") or coordinate
        path = [dict(zip("xy", start, strict=False)), point] if start else []
        return {**data, "type": "drag", "path": path}
    if name == "scroll":
        amount = raw.get("scroll_amount", 0)
        direction = raw.get("scroll_direction", "down")
        dx = {"left": -amount, "right": amount}.get(direction, 0)
        dy = {"up": -amount, "down": amount}.get(direction, 0)
        rest = {k: v for k, v in data.items() if k not in ("scroll_amount", "scroll_direction")}
        return {**rest, **point, "type": "scroll", "scroll_x": dx, "scroll_y": dy}
    if name in _RENAMED:
        return {**data, **point, "type": _RENAMED[name]}
    return {**data, "type": name}


class ActionEnvelope(BaseModel):
    action: Action

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("action"), dict):
            inner = data["action"]
            if "type" not in inner and isinstance(inner.get("action"), str):
                return {"action": from_anthropic(inner)}
        return data


def parse_action(raw: Any, field: str = "action") -> Action:
    """Validate an action in any supported shape; InputError names the field at fault."""
    if not isinstance(raw, dict):
        raise InputError.single(field, "give an object with 'type' (or Anthropic's 'action')")
    try:
        return ActionEnvelope.model_validate({"action": raw}).action
    except ValidationError as exc:
        problems = InputError.from_validation(exc).problems
        cleaned = [(_strip_tag(path, field), message) for path, message in problems]
        raise InputError(cleaned) from None
    except (TypeError, ValueError, KeyError) as exc:  # odd shapes the mapping did not expect
        raise InputError.single(field, f"cannot read this action: {exc}") from None


def _strip_tag(path: str, field: str) -> str:
    """'action.shell.command' -> 'action.command': the union tag is noise to the caller."""
    parts = path.split(".")
    if len(parts) > 1 and parts[0] == "action":
        tags = {
            "click",
            "double_click",
            "triple_click",
            "type",
            "keypress",
            "scroll",
            "move",
            "drag",
            "screenshot",
            "wait",
            "cursor_position",
            "shell",
            "navigate",
            "tool_call",
            "file_write",
            "send_message",
        }
        rest = parts[2:] if parts[1].split("[")[0] in tags else parts[1:]
        return ".".join([field, *rest]) if rest else field
    return path


def action_digest(raw: Any) -> str:
    """What a confirmation is bound to: the action without its context (type, target,
    arguments), in one canonical form whichever shape the agent sent it in."""
    try:
        body: Any = parse_action(raw).model_dump(mode="json", exclude={"context"})
    except InputError:
        body = {k: v for k, v in raw.items() if k != "context"} if isinstance(raw, dict) else raw
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def action_words(action: Action) -> str:
    """The words that say what an action does (intent, element label, tool name), for the
    always-confirm categories. Typed text and commands are judged by their own detectors."""
    ctx = action.context
    pieces = [ctx.intent or "", ctx.focused_label or ""]
    if isinstance(action, ToolCallAction):
        pieces.append(f"{action.tool} {' '.join(name_words(action.tool))}")
    if isinstance(action, SendMessage):
        pieces.append(f"send {action.channel or 'message'}")
    return " ".join(p for p in pieces if p)


def describe(action: Action) -> str:
    """A short phrase for the confirmation question."""
    match action:
        case Click():
            what = action.context.focused_label or action.context.intent or "the screen"
            return f"{action.type.replace('_', ' ')} at ({action.x}, {action.y}) on {what!r}"
        case TypeText():
            return f"type {len(action.text)} characters"
        case Shell():
            return f"run `{action.command[:120]}`"
        case Navigate():
            return f"open {action.url[:200]}"
        case ToolCallAction():
            return f"call {action.server + '.' if action.server else ''}{action.tool}"
        case FileWrite():
            return f"write {action.path}"
        case SendMessage():
            return f"send a {action.channel or 'message'} to {', '.join(action.to)[:200]}"
    return action.type
