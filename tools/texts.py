"""What the encoder reads of a tool: its name and the head of its description, minus boilerplate.

One short text per tool: the rest of the description and the parameters are left to BM25, which
reads every word. On the BFCL dev set this ranks as well as the two views embedded before (full
text with parameters, and name with the whole description) at a fraction of the encoder time
(docs/benchmark-notes.md, "Tool selection").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from .catalog import ToolEntry, name_words, parameters

VIEW_CHARS = 140  # about 30 MiniLM tokens: the opening says what a tool is for; BM25 reads the rest
BOILERPLATE_SHARE = 0.02  # a sentence in at least this share of descriptions says nothing of one
BOILERPLATE_MIN = 5  # ... and in at least this many

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sentences(description: str) -> list[str]:
    return [s for s in _SENTENCE.split(" ".join(description.split())) if s]


def boilerplate(tools: Iterable[ToolEntry]) -> frozenset[str]:
    """Sentences that many descriptions of this catalog share ("Note that the provided function
    is in Python 3 syntax."): they pull every tool toward each other in the embedding."""
    tools = list(tools)
    counts = Counter(s for t in tools for s in set(sentences(t.description)))
    floor = max(BOILERPLATE_MIN, BOILERPLATE_SHARE * len(tools))
    return frozenset(s for s, n in counts.items() if n >= floor)


def embed_text(tool: ToolEntry, common: frozenset[str] = frozenset()) -> str:
    """Name words and the description's first sentences up to VIEW_CHARS; the parameter names
    stand in for a missing description."""
    kept = " ".join(s for s in sentences(tool.description) if s not in common)
    if len(kept) > VIEW_CHARS:
        cut = kept[:VIEW_CHARS]
        end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
        kept = cut[: end + 1] if end > 0 else cut.rsplit(" ", 1)[0]
    if not kept:
        kept = ", ".join(name_words(p) for p, _ in parameters(tool.input_schema))
    name = name_words(tool.name)
    return f"{name}: {kept}" if kept else name
