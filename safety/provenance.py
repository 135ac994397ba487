"""Where an action's arguments came from: the session as the agent lived it (the user's words,
tool outputs and observations with their integrity), and for each argument that matters
(recipient, account, URL, path, command, amount, data being sent) the entries it appears in.

The core builds a SessionHistory from session memory and passes it to check_action; nothing
here trusts what the agent says about its own instructions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from ..trust import Integrity
from .actions import Action, FileWrite, Navigate, SendMessage, Shell, ToolCallAction, TypeText

Role = Literal["user", "tool", "observation", "assistant", "system"]
# When an entry does not say: the user's and the configuration's words are theirs, the rest external.
DEFAULT_INTEGRITY: dict[str, Integrity] = {"user": Integrity.owner, "system": Integrity.system}


@dataclass(frozen=True)
class HistoryEntry:
    """One message of the session. `source`: the tool or page the text came from."""

    role: Role
    text: str
    integrity: Integrity
    source: str | None = None
    lowered: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lowered", self.text.lower())

    @property
    def is_origin(self) -> bool:
        """The agent's own messages repeat what it read; they are never where data came from."""
        return self.role != "assistant"

    @property
    def from_user(self) -> bool:
        return self.role in ("user", "system") and self.integrity.at_least(Integrity.owner)

    def describe(self) -> str:
        if self.from_user:
            return "the user's own words" if self.role == "user" else "the agent's configuration"
        where = f"the output of `{self.source}`" if self.source else f"a {self.role} message"
        return f"{where}, integrity {self.integrity.value}"


@dataclass(frozen=True)
class SessionHistory:
    """The session before the action, oldest first."""

    entries: tuple[HistoryEntry, ...] = ()

    @classmethod
    def of(cls, items: Iterable[HistoryEntry | Mapping[str, Any]]) -> SessionHistory:
        """From entries or plain mappings with role, text, integrity and source."""
        return cls(
            tuple(
                item
                if isinstance(item, HistoryEntry)
                else HistoryEntry(
                    role=item["role"],
                    text=str(item.get("text") or ""),
                    integrity=Integrity(
                        item.get("integrity") or DEFAULT_INTEGRITY.get(item["role"], Integrity.external)
                    ),
                    source=item.get("source"),
                )
                for item in items
            )
        )

    def user_texts(self) -> list[str]:
        return [e.text for e in self.entries if e.role == "user" and e.from_user]

    def last_user_index(self) -> int:
        return max((i for i, e in enumerate(self.entries) if e.role == "user" and e.from_user), default=-1)


class Kind(StrEnum):
    recipient = "recipient"
    account = "account"
    url = "URL"
    path = "file path"
    command = "command"
    amount = "amount"
    payload = "data sent"
    argument = "argument"


TARGETS = {Kind.recipient, Kind.account, Kind.url, Kind.path, Kind.command}
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$")
URL = re.compile(r"^(https?://|www\.)\S+$", re.I)
KEYS: list[tuple[Kind, re.Pattern[str]]] = [
    (Kind.recipient, re.compile(r"recipient|^to$|^cc$|^bcc$|e?mail|participant|invitee|member|user(name)?$")),
    (Kind.account, re.compile(r"iban|account|routing|wallet|card")),
    (Kind.url, re.compile(r"url|link|href|domain|website|endpoint|host")),
    (Kind.path, re.compile(r"path|file|folder|directory|^dir$")),
    (Kind.command, re.compile(r"command|^cmd$|script")),
    (Kind.amount, re.compile(r"amount|price|^sum$|total|quantity")),
    (Kind.payload, re.compile(r"body|content|text|message|subject|description|note|data|title")),
]
PIECE = re.compile(r"[^\n.!?]{24,}")
TOKEN = re.compile(r"\b(?=\w*\d)[\w.+-]{4,}\b")


@dataclass(frozen=True)
class Argument:
    field: str
    kind: Kind
    value: str


def kind_of(key: str, value: str) -> Kind:
    if EMAIL.match(value):
        return Kind.recipient
    if IBAN.match(value.replace(" ", "")):
        return Kind.account
    if URL.match(value):
        return Kind.url
    key = key.lower()
    return next((kind for kind, pattern in KEYS if pattern.search(key)), Kind.argument)


def flatten(value: Any, field_name: str, key: str) -> list[tuple[str, str, str]]:
    """(field, key, text) for every scalar inside a tool call's arguments."""
    if isinstance(value, Mapping):
        return [leaf for k, v in value.items() for leaf in flatten(v, f"{field_name}.{k}", str(k))]
    if isinstance(value, list | tuple):
        return [leaf for i, v in enumerate(value) for leaf in flatten(v, f"{field_name}[{i}]", key)]
    if value is None or isinstance(value, bool):
        return []
    return [(field_name, key, str(value))]


def arguments_of(action: Action) -> list[Argument]:
    """The arguments of an action that provenance follows."""
    match action:
        case ToolCallAction():
            return [
                Argument(f, kind_of(k, v.strip()), v.strip())
                for f, k, v in flatten(action.arguments, "action.arguments", "")
                if v.strip()
            ]
        case SendMessage():
            found = [Argument(f"action.to[{i}]", Kind.recipient, to) for i, to in enumerate(action.to)]
            return found + [Argument("action.body", Kind.payload, action.body)] * bool(action.body)
        case Navigate():
            return [Argument("action.url", Kind.url, action.url)]
        case Shell():
            return [Argument("action.command", Kind.command, action.command)]
        case FileWrite():
            return [
                Argument("action.path", Kind.path, action.path),
                Argument("action.content", Kind.payload, action.content),
            ]
        case TypeText():
            return [Argument("action.text", Kind.payload, action.text)]
    return []


@dataclass(frozen=True)
class Trace:
    """Where one value first appeared. `injected`: inside words a rule flagged as instructions
    to the agent; `suspect`: inside text that only resembles such instructions."""

    argument: Argument
    value: str
    first: int | None
    from_user: bool
    injected: bool
    suspect: bool
    external: bool

    def explain(self, history: SessionHistory) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        name = self.argument.kind.value
        if self.first is None:
            return f"{name} {shown!r} appears nowhere in the session"
        where = history.entries[self.first].describe()
        extra = ", inside text that gives the agent instructions" if self.suspect else ""
        return f"{name} {shown!r} first appeared in {where}{extra}"


@dataclass(frozen=True)
class Region:
    """Characters of an entry that address the agent; `strong` when a rule named the words,
    not only a resemblance to known injections."""

    start: int
    end: int
    strong: bool

    def holds(self, at: int) -> bool:
        return self.start <= at < self.end


Regions = Mapping[int, list[Region]]


def positions(entry: HistoryEntry, value: str) -> list[int]:
    needle = value.lower()
    if len(needle) <= 4 and needle.isalnum():
        return [m.start() for m in re.finditer(rf"(?<![\w.-]){re.escape(needle)}(?![\w-])", entry.lowered)]
    if " " in needle.strip() or "\n" in needle:
        pattern = r"\s+".join(re.escape(part) for part in needle.split())
        return [m.start() for m in re.finditer(pattern, entry.lowered)]
    found: list[int] = []
    at = entry.lowered.find(needle)
    while at >= 0 and len(found) < 50:
        found.append(at)
        at = entry.lowered.find(needle, at + 1)
    return found


def trace(argument: Argument, value: str, history: SessionHistory, regions: Regions) -> Trace:
    """The first appearance decides: an echo of the value in a later output (the result of the
    agent's own earlier call) does not launder where it came from."""
    first, first_at, from_user = None, 0, False
    for i, entry in enumerate(history.entries):
        if not entry.is_origin:
            continue
        hits = positions(entry, value)
        if not hits:
            continue
        if first is None:
            first, first_at = i, hits[0]
        if entry.from_user:
            from_user = True
            break
    external = first is not None and not from_user
    inside = (
        [r for r in regions.get(first, []) if r.holds(first_at)] if first is not None and external else []
    )
    return Trace(
        argument,
        value,
        first,
        from_user,
        injected=any(r.strong for r in inside),
        suspect=bool(inside),
        external=external,
    )


def pieces(argument: Argument) -> list[str]:
    """What of a payload can be followed: whole values when short, else long phrases and
    code-like tokens (numbers, addresses, security codes)."""
    value = argument.value.strip()
    if argument.kind is not Kind.payload or len(value) <= 60:
        return [value] if len(value) >= 2 else []
    found = [p.strip() for p in PIECE.findall(value)][:40]
    return found + TOKEN.findall(value)[:40]


def traces(action: Action, history: SessionHistory, regions: Regions) -> list[Trace]:
    return [
        trace(argument, piece, history, regions)
        for argument in arguments_of(action)
        if argument.kind is not Kind.command or len(argument.value) < 500
        for piece in pieces(argument)
    ]
