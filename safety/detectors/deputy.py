"""The confused-deputy check for clicks and typing (after the Visual Confused Deputy work in
the vLLM Semantic Router project): what is under the pointer, read from the screenshot, and
what the agent says it is doing are two independent channels. A target that does not match
the intent, or is riskier than it ("Delete account" for "click Cancel"), is flagged."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from PIL import Image

from ...embeddings import AsyncEncoder, ScreenReader
from ..categories import categories_of
from ..findings import Evidence, Finding, Outcome, clip_text

_VERBS = re.compile(
    r"^\s*(please\s+)?(double[- ]|right[- ]|triple[- ])?(click|press|tap|select|"
    r"choose|hit|open|type|enter|focus)(\s+(on|in|into))?(\s+the)?\s+",
    re.I,
)
_TRAILING = re.compile(r"\s+(button|link|tab|icon|menu|field|box|item|option)\s*$", re.I)
MATCH_SIMILARITY = 0.6


@dataclass
class TargetReading:
    """What the pointer is on, and the findings from comparing it with the intent."""

    target: str | None
    findings: list[Finding] = field(default_factory=list)


def intended_target(intent: str) -> str:
    """'click the "Cancel" button' -> 'Cancel'."""
    quoted = re.findall(r"[\"'“‘]([^\"'”’]+)[\"'”’]", intent)
    if quoted:
        return quoted[0].strip()
    return _TRAILING.sub("", _VERBS.sub("", intent)).strip(" .")


def read_target(reader: ScreenReader, image: Image.Image, x: int, y: int, *, radius: int) -> str | None:
    """The line of text under or nearest the point: find it from the ink around the point,
    then recognise just that line."""
    left, top = max(0, x - radius * 3), max(0, y - radius)
    region = np.asarray(
        image.convert("L").crop((left, top, min(image.width, x + radius * 3), min(image.height, y + radius))),
        dtype=np.int16,
    )
    if region.size == 0:
        return None
    ink = np.abs(region - int(np.median(region))) > 60
    box = _text_box(ink, x - left, y - top)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    pad = 4
    line = image.crop(
        (
            left + max(0, x0 - pad),
            top + max(0, y0 - pad),
            left + min(ink.shape[1], x1 + pad),
            top + min(ink.shape[0], y1 + pad),
        )
    )
    text, score = reader.read_line(line)
    return text.strip() if text.strip() and score >= 0.5 else None


def _runs(mask: npt.ArrayLike, gap: int) -> list[tuple[int, int]]:
    """[start, end) runs of True, bridging gaps up to `gap` long."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > gap + 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _nearest(runs: list[tuple[int, int]], at: int) -> tuple[int, int] | None:
    return min(
        runs, key=lambda r: 0 if r[0] <= at < r[1] else min(abs(r[0] - at), abs(r[1] - at)), default=None
    )


def _text_box(ink: np.ndarray, x: int, y: int) -> tuple[int, int, int, int] | None:
    """Bounds of the text line nearest (x, y) in an ink mask. Rules (lines that span most of
    the width or height, like button borders) are ignored; words closer than a few character
    widths stay one label."""
    rows = ink.mean(axis=1) < 0.8
    cols = ink.mean(axis=0) < 0.8
    ink = ink & rows[:, None] & cols[None, :]
    band = _nearest([r for r in _runs(ink.any(axis=1), 2) if r[1] - r[0] >= 6], y)
    if band is None:
        return None
    y0, y1 = band
    height = y1 - y0
    strip = ink[y0:y1]
    column_ink = strip.sum(axis=0) > 0
    # A vertical rule inside the band is a border: it splits labels but is not text.
    column_ink &= strip.mean(axis=0) < 0.9
    segment = _nearest([r for r in _runs(column_ink, max(8, height)) if r[1] - r[0] >= 4], x)
    if segment is None:
        return None
    x0, x1 = segment
    rows_in = _runs(ink[:, x0:x1].any(axis=1), 2)
    y0, y1 = _nearest([r for r in rows_in if r[1] - r[0] >= 6], y) or band
    return x0, y0, x1, y1


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1}


async def compare(
    target: str, intent: str, *, text: AsyncEncoder[str, np.ndarray], field_name: str
) -> list[Finding]:
    wanted = intended_target(intent)
    evidence = Evidence(
        text=clip_text(target, 120), field=field_name, detail={"intent": clip_text(intent, 120)}
    )
    riskier = categories_of(target) - categories_of(intent)
    if riskier:
        names = ", ".join(sorted(c.value for c in riskier))
        return [
            Finding(
                rule="deputy.riskier_target",
                outcome=Outcome.confirm,
                risk=0.85,
                escalate=True,
                evidence=evidence,
                message=f"the target {target!r} is riskier ({names}) than the stated intent {intent!r}",
            )
        ]
    if (
        _words(wanted) & _words(target)
        or difflib.SequenceMatcher(None, wanted.lower(), target.lower()).ratio() >= 0.8
    ):
        return []
    a, b = await text.encode([wanted or intent, target])
    similarity = float(np.dot(a, b))
    if similarity >= MATCH_SIMILARITY:
        return []
    evidence.detail["similarity"] = round(similarity, 3)
    return [
        Finding(
            rule="deputy.intent_mismatch",
            outcome=Outcome.confirm,
            risk=0.6,
            evidence=evidence,
            message=f"the target {target!r} does not match the intent {intent!r}",
        )
    ]
