"""Does the user's request call for this action? Checked without a language model: the words
of the user's messages against the action's kind (a request to pay covers a transfer, one to
email covers a send) and the tool's name, then embedding similarity between the action and
the request for what the words miss."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..embeddings import AsyncEncoder
from .side_effects import Effect, ToolEffect

ASKS: dict[Effect, set[str]] = {
    Effect.send: {
        "send",
        "email",
        "mail",
        "forward",
        "reply",
        "message",
        "tell",
        "share",
        "invite",
        "notify",
        "post",
        "contact",
        "write",
        "text",
        "inform",
        "let",
        "remind",
        "respond",
        "answer",
    },
    Effect.pay: {
        "pay",
        "payment",
        "transfer",
        "send",
        "money",
        "bill",
        "rent",
        "refund",
        "transaction",
        "wire",
        "buy",
        "purchase",
        "order",
        "donate",
        "reimburse",
        "settle",
        "owe",
        "split",
    },
    Effect.delete: {"delete", "remove", "cancel", "clear", "trash", "erase", "clean", "drop", "unsubscribe"},
    Effect.account: {
        "password",
        "profile",
        "address",
        "account",
        "settings",
        "details",
        "info",
        "information",
        "phone",
        "name",
        "security",
        "update",
        "change",
        "moved",
        "move",
    },
    Effect.write: {
        "create",
        "add",
        "schedule",
        "book",
        "reserve",
        "update",
        "change",
        "make",
        "set",
        "append",
        "write",
        "organize",
        "organise",
        "plan",
        "reschedule",
        "move",
        "rename",
        "save",
        "put",
        "edit",
        "fix",
        "modify",
        "adjust",
        "new",
        "arrange",
        "include",
        "invite",
        "event",
    },
}
WORD = re.compile(r"[a-z0-9]+")
# The user hands authority to content they point at: "follow the instructions in the file".
DELEGATES = re.compile(
    r"\b(follow|do|complete|carry out|execute|handle|act on)\b[^.?!]{0,40}\b(instructions?|steps|tasks?|"
    r"what (it|they|the \w+) says?|requests?|actions?|to-?dos?)\b|\baccordingly\b",
    re.I,
)
STOP = {"get", "list", "search", "by", "the", "a", "to", "of", "for", "and", "in", "on", "all", "id", "most"}


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text.lower())}


@dataclass(frozen=True)
class Alignment:
    asked: bool
    score: float
    reason: str


class TaskAlignment:
    def __init__(self, encoder: AsyncEncoder[str, np.ndarray], threshold: float):
        self.encoder = encoder
        self.threshold = threshold

    async def check(self, effect: ToolEffect, phrase: str, requests: list[str]) -> Alignment:
        """`phrase`: the action in a few words ('send money', a tool's name and description)."""
        if not requests:
            return Alignment(False, 0.0, "the session holds no request from the user")
        asked = words(" ".join(requests))
        verbs = {stem(w) for w in ASKS[effect.effect]} if effect.side_effecting else set()
        if verbs & asked:
            hit = sorted(verbs & asked)[0]
            return Alignment(True, 1.0, f"the user asked to '{hit}'")
        delegated = next((m for r in requests if (m := DELEGATES.search(r))), None)
        if effect.side_effecting and delegated:
            return Alignment(True, 0.9, f"the user asked to '{delegated.group(0)}'")
        nouns = {stem(w) for w in effect.words} - STOP - verbs
        if not effect.side_effecting and nouns & asked:
            return Alignment(True, 1.0, f"the user asked about '{sorted(nouns & asked)[0]}'")
        vectors = await self.encoder.encode([phrase, *requests])
        action, others = np.asarray(vectors[0]), np.stack(vectors[1:])
        score = float((others @ action).max())
        if score >= self.threshold:
            return Alignment(True, score, f"close in meaning to the user's request ({score:.2f})")
        return Alignment(False, score, f"the user's request does not ask for it (similarity {score:.2f})")
