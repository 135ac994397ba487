"""A request that asks for several things at once is also matched step by step.

One vector for "convert 5000 euros to dollars. Then plan a trip avoiding tolls. Finally, how many
turtles live on Galapagos" lands between the three tools it needs; each sentence alone lands on
its own tool; so does each clause of "find flights to London and book a hotel there, then save
the plan". The index takes the whole request's vector plus one per part (see ToolIndex.search).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the encoders pull in torch; the index and its callers need none of it
    from ..embeddings import AsyncEncoder

MAX_PARTS = 8
# A sentence ends at . ? ! ; or a line break, and the next one starts with a capital, a digit or
# a quote: "e.g. foo", "3.5 m" and "x=data['a']. y" stay whole.
_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+(?=[\"'A-Z0-9])|\s*\n+\s*")
# Verbs that start a step of a task ("... and send it to Bob", "..., then save it as x.csv").
STEP_VERBS = [
    "add",
    "analy[sz]e",
    "ask",
    "book",
    "buy",
    "calculate",
    "cancel",
    "change",
    "check",
    "compare",
    "compute",
    "convert",
    "create",
    "delete",
    "download",
    "draft",
    "email",
    "encrypt",
    "estimate",
    "exchange",
    "fetch",
    "find",
    "generate",
    "get",
    "give",
    "list",
    "load",
    "look",
    "make",
    "modify",
    "notify",
    "open",
    "order",
    "pay",
    "plot",
    "post",
    "print",
    "provide",
    "publish",
    "put",
    "read",
    "remind",
    "remove",
    "rename",
    "reserve",
    "retrieve",
    "return",
    "save",
    "schedule",
    "search",
    "see",
    "send",
    "set",
    "share",
    "show",
    "sort",
    "store",
    "subscribe",
    "summari[sz]e",
    "tell",
    "text",
    "track",
    "translate",
    "update",
    "upload",
    "use",
    "verify",
    "write",
]
_VERB = "(?:" + "|".join(STEP_VERBS) + ")"
# "and then", ", then", "after that", "finally", or "and"/"," followed by one of the verbs.
_STEP_BREAK = re.compile(
    r"(?:,\s*|\s+)(?:and\s+)?(?:then|after that|afterwards|finally|next)\b,?\s+"
    rf"|(?:,\s*and|\s+and(?:\s+also)?|,)\s+(?={_VERB}\b)",
    re.IGNORECASE,
)
# What is left of "After that, send it" once the verb starts a step: no step of its own.
_CONNECTIVE = re.compile(r"(?:and\s+)?(?:then|after that|afterwards|finally|next|also)\W*", re.IGNORECASE)


def query_parts(text: str, max_parts: int = MAX_PARTS) -> list[str]:
    """The steps of a request: its sentences, each cut where "and then", "after that" or "and"
    followed by an action verb starts another step; at most max_parts (neighbours are joined
    beyond that); none for a one-step request, which the whole-request vector covers."""
    sentences = _SENTENCE_END.split(text.strip().strip("\"'"))
    clauses = (c.strip() for s in sentences for c in _STEP_BREAK.split(s) if c)
    parts = [c for c in clauses if c and not _CONNECTIVE.fullmatch(c)]
    if len(parts) < 2:
        return []
    size = -(-len(parts) // max_parts)  # ceiling: every group but the last has `size` sentences
    return [" ".join(parts[i : i + size]) for i in range(0, len(parts), size)]


def request_texts(text: str) -> list[str]:
    """What to embed for a search: the whole request first, then each part."""
    return [text, *query_parts(text)]


async def embed_request(encoder: AsyncEncoder[str, np.ndarray], text: str) -> np.ndarray:
    """The rows ToolIndex.search takes for a request: request_texts(text), embedded."""
    return np.stack(await encoder.encode(request_texts(text)))
