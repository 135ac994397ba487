"""How replay shows a turn's text: on one line, cut to a length a table can hold."""

from __future__ import annotations

TEXT_SHOWN = 160


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"
