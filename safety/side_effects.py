"""What a tool call does to the world, for any catalog: read only, or a write of some kind
(sending, paying, deleting, account changes, creating or updating). Read from the tool's
annotations when its server is trusted (an untrusted server's annotations are its own claim),
from its name's verbs (snake_case and camelCase split into words), from its parameter names,
and from its description's meaning (similarity to a few generic descriptions of effects)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from ..config.safety import ConfirmCategory
from ..embeddings import AsyncEncoder
from .similarity import PatternBank


class Effect(StrEnum):
    read = "read"
    send = "send"  # messages, shares, posts, invitations: data leaves for someone
    pay = "pay"
    delete = "delete"
    account = "account"  # passwords, personal details, permissions
    write = "write"  # creates or changes something of the user's


CATEGORY = {
    Effect.send: ConfirmCategory.send_message,
    Effect.pay: ConfirmCategory.payment,
    Effect.delete: ConfirmCategory.delete,
    Effect.account: ConfirmCategory.account_security,
}


@dataclass(frozen=True)
class ToolFacts:
    """What the catalog says about a tool. `trusted`: the server is one the operator trusts,
    so its annotations are believed."""

    description: str = ""
    parameters: tuple[str, ...] = ()
    read_only: bool | None = None
    destructive: bool | None = None
    trusted: bool = False


@dataclass(frozen=True)
class ToolEffect:
    effect: Effect
    reason: str
    words: tuple[str, ...] = field(default=())

    @property
    def side_effecting(self) -> bool:
        return self.effect is not Effect.read


READ_VERBS = {
    "get",
    "list",
    "search",
    "find",
    "read",
    "fetch",
    "query",
    "show",
    "view",
    "lookup",
    "look",
    "check",
    "count",
    "describe",
    "browse",
    "open",
    "download",
    "retrieve",
    "load",
    "inspect",
    "summarize",
    "summarise",
    "convert",
    "calculate",
    "compute",
    "translate",
    "preview",
    "scan",
}
VERBS: dict[Effect, set[str]] = {
    Effect.send: {
        "send",
        "email",
        "mail",
        "forward",
        "reply",
        "post",
        "publish",
        "share",
        "invite",
        "message",
        "notify",
        "tweet",
        "upload",
        "submit",
        "broadcast",
        "sms",
        "dm",
        "comment",
    },
    Effect.pay: {
        "pay",
        "transfer",
        "wire",
        "purchase",
        "buy",
        "order",
        "checkout",
        "donate",
        "refund",
        "tip",
    },
    Effect.delete: {
        "delete",
        "remove",
        "erase",
        "wipe",
        "destroy",
        "cancel",
        "clear",
        "purge",
        "drop",
        "trash",
    },
    Effect.write: {
        "create",
        "add",
        "update",
        "set",
        "change",
        "edit",
        "modify",
        "write",
        "append",
        "schedule",
        "reschedule",
        "book",
        "reserve",
        "rename",
        "move",
        "save",
        "insert",
        "put",
        "patch",
        "make",
        "install",
        "run",
        "execute",
        "enable",
        "disable",
        "grant",
        "revoke",
        "assign",
        "register",
    },
}
MONEY_NOUNS = {"money", "payment", "transaction", "transfer", "funds", "invoice", "bill", "order"}
ACCOUNT_NOUNS = {
    "password",
    "passcode",
    "credential",
    "credentials",
    "permission",
    "permissions",
    "user",
    "profile",
    "account",
    "role",
    "mfa",
    "2fa",
    "key",
    "token",
    "address",
    "phone",
    "info",
}
SEND_PARAMS = re.compile(r"^(recipients?|to|cc|bcc|emails?|addresses|participants?|invitees?|channel)$", re.I)
PAY_PARAMS = re.compile(r"^(amount|iban|account(_number)?|currency|price|sum)$", re.I)

# Generic descriptions of effects, not any catalog's wording.
DESCRIPTIONS: list[tuple[Effect, str]] = [
    (Effect.read, "Returns information without changing anything."),
    (Effect.read, "Searches and lists matching records."),
    (Effect.send, "Sends a message or an email to the given recipients."),
    (Effect.send, "Shares a document with another person or posts it publicly."),
    (Effect.pay, "Transfers money to a bank account or pays for an order."),
    (Effect.delete, "Permanently deletes or removes the item."),
    (Effect.account, "Changes the account password, security settings or personal details."),
    (Effect.write, "Creates a new record, event or file, or updates an existing one."),
]


def name_words(name: str) -> list[str]:
    """'sendDirectMessage' and 'send_direct_message' -> ['send', 'direct', 'message']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def by_rules(name: str, parameters: list[str]) -> ToolEffect | None:
    """The verbs of the name decide; an account or money noun refines a write; parameter names
    decide only for names whose verb says nothing."""
    words = name_words(name)
    verbs = [w for w in words if w in READ_VERBS or any(w in v for v in VERBS.values())]
    nouns = set(words)
    for verb in verbs:
        if verb in READ_VERBS:
            return ToolEffect(Effect.read, f"the name's verb '{verb}' only reads", tuple(words))
        effect = next(e for e, v in VERBS.items() if verb in v)
        if effect in (Effect.write, Effect.send) and nouns & MONEY_NOUNS:
            effect = Effect.pay
        if effect is Effect.write and nouns & ACCOUNT_NOUNS:
            effect = Effect.account
        return ToolEffect(effect, f"the name's verb '{verb}'", tuple(words))
    if any(PAY_PARAMS.match(p) for p in parameters):
        return ToolEffect(Effect.pay, "it takes an amount or account", tuple(words))
    if any(SEND_PARAMS.match(p) for p in parameters):
        return ToolEffect(Effect.send, "it takes recipients", tuple(words))
    return None


class SideEffects:
    """Classifies tool calls; descriptions are encoded once each (the encoder caches them)."""

    def __init__(self, encoder: AsyncEncoder[str, np.ndarray], threshold: float = 0.35):
        self.bank = PatternBank(encoder, [text for _, text in DESCRIPTIONS])
        self.effects = {text: effect for effect, text in DESCRIPTIONS}
        self.threshold = threshold

    async def classify(self, name: str, arguments: list[str], facts: ToolFacts | None = None) -> ToolEffect:
        facts = facts or ToolFacts()
        words = tuple(name_words(name))
        if facts.trusted and facts.destructive:
            return ToolEffect(Effect.delete, "its trusted annotations say destructive", words)
        ruled = by_rules(name, list(facts.parameters) or arguments)
        if facts.trusted and facts.read_only:
            return ToolEffect(Effect.read, "its trusted annotations say read-only", words)
        if ruled is not None:
            return ruled
        if facts.description:
            match = (await self.bank.nearest([facts.description[:500]]))[0]
            if match.score >= self.threshold:
                effect = self.effects[match.pattern]
                return ToolEffect(effect, f"its description reads like '{match.pattern}'", words)
        # Unknown tools are treated as acting: guessing 'read' would let anything through.
        return ToolEffect(Effect.write, "nothing says it only reads", words)
