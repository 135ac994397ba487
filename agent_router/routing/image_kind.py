"""What an image is (screenshot, document page or photo), by CLIP when it is configured and
otherwise from the screen text and pixel statistics, which need no weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..config import ImageKind
from ..embeddings import ScreenText

if TYPE_CHECKING:
    from ..embeddings import ClipModel

CLIP_PROMPTS: dict[ImageKind, tuple[str, ...]] = {
    ImageKind.screenshot: (
        "a screenshot of a computer screen",
        "a screenshot of a web page",
        "the user interface of an application",
        "a terminal window",
    ),
    ImageKind.document: ("a scanned page of a document", "a page of printed text", "a page from a PDF"),
    ImageKind.photo: ("a photo", "a photograph of a scene", "a picture of an object"),
}


@dataclass(frozen=True)
class KindResult:
    kind: ImageKind
    scores: dict[ImageKind, float]
    source: str


@dataclass(frozen=True)
class PixelStats:
    """Measured on a nearest-neighbour thumbnail, so edges and flat areas survive."""

    gradient: float  # share of neighbours differing by a little: the texture of photographs
    bright: float  # share of near-white pixels: paper
    saturation: float  # mean colourfulness, 0..1
    portrait: bool  # taller than wide, like a page

    @classmethod
    def of(cls, image: Image.Image) -> PixelStats:
        small = image.copy()
        small.thumbnail((512, 512), Image.Resampling.NEAREST)
        rgb = np.asarray(small, dtype=np.int16)
        gray = np.asarray(small.convert("L"), dtype=np.int16)
        step = np.abs(np.diff(gray, axis=1))
        gradient = float(((step > 0) & (step <= 24)).mean())
        bright = float((gray > 215).mean())
        saturation = float((rgb.max(axis=2) - rgb.min(axis=2)).mean() / 255)
        return cls(
            round(gradient, 4), round(bright, 4), round(saturation, 4), image.height >= 1.15 * image.width
        )


# Photographs are smooth gradients almost everywhere; screens and pages are flat areas cut by
# sharp edges. Measured on the dev set: photos >= 0.28, screenshots and pages <= 0.18.
PHOTO_GRADIENT = 0.25


def classify_by_heuristic(image: Image.Image, screen: ScreenText | None) -> KindResult:
    stats = PixelStats.of(image)
    lines = len(screen.boxes) if screen else 0
    wordy = lines >= 8 and (screen.coverage if screen else 0.0) > 0.1
    paper = stats.bright > 0.75 and stats.saturation < 0.05
    if stats.gradient >= PHOTO_GRADIENT and not wordy:
        kind, margin = ImageKind.photo, min(1.0, (stats.gradient - PHOTO_GRADIENT) * 4)
    elif (paper and stats.portrait) or (wordy and stats.gradient >= PHOTO_GRADIENT):
        kind, margin = ImageKind.document, 0.6 if stats.portrait else 0.3
    else:
        kind, margin = ImageKind.screenshot, min(1.0, (PHOTO_GRADIENT - stats.gradient) * 4)
    share = 0.5 + 0.4 * margin  # the heuristic never claims certainty
    scores = {k: round(share if k is kind else (1 - share) / 2, 4) for k in ImageKind}
    return KindResult(kind, scores, "screen-text heuristic")


class ClipKindClassifier:
    """Zero-shot: average the prompt embeddings per kind once, then one dot product per image."""

    def __init__(self, clip: ClipModel):
        kinds = list(CLIP_PROMPTS)
        centroids = []
        for kind in kinds:
            vectors = np.stack(clip.encode_text(list(CLIP_PROMPTS[kind])))
            mean = vectors.mean(axis=0)
            centroids.append(mean / np.linalg.norm(mean))
        self._kinds = kinds
        self._centroids = np.stack(centroids)

    def classify(self, vector: np.ndarray) -> KindResult:
        logits = 100.0 * (self._centroids @ vector)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        scores = {k: round(float(p), 4) for k, p in zip(self._kinds, probs, strict=True)}
        return KindResult(max(scores, key=lambda k: scores[k]), scores, "clip")
