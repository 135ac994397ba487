"""What an image is (screenshot, document page or photo), by CLIP when it is configured and
otherwise from the screen text and pixel statistics, which need no weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..config import ImageKind
from ..embeddings import ClipEncoder, ScreenText

CLIP_PROMPTS: dict[ImageKind, tuple[str, ...]] = {
    ImageKind.screenshot: ("a screenshot of a computer screen", "a screenshot of a web page",
                           "the user interface of an application", "a terminal window"),
    ImageKind.document: ("a scanned page of a document", "a page of printed text",
                         "a page from a PDF"),
    ImageKind.photo: ("a photo", "a photograph of a scene", "a picture of an object"),
}


@dataclass(frozen=True)
class KindResult:
    kind: ImageKind
    scores: dict[ImageKind, float]
    source: str


@dataclass(frozen=True)
class PixelStats:
    flat: float  # share of neighbouring pixels that are identical: UI and pages are flat
    bright: float  # share of near-white pixels: paper
    saturation: float  # mean colourfulness, 0..1

    @classmethod
    def of(cls, image: Image.Image) -> PixelStats:
        small = image.copy()
        small.thumbnail((512, 512), Image.Resampling.NEAREST)
        rgb = np.asarray(small, dtype=np.int16)
        gray = rgb.mean(axis=2)
        flat = float((np.abs(np.diff(rgb, axis=1)).sum(axis=2) == 0).mean())
        bright = float((gray > 215).mean())
        saturation = float((rgb.max(axis=2) - rgb.min(axis=2)).mean() / 255)
        return cls(round(flat, 4), round(bright, 4), round(saturation, 4))


def classify_by_heuristic(image: Image.Image, screen: ScreenText | None) -> KindResult:
    stats = PixelStats.of(image)
    lines = len(screen.boxes) if screen else 0
    coverage = screen.coverage if screen else 0.0
    page_like = stats.bright > 0.55 and stats.saturation < 0.08 and lines >= 8 and coverage > 0.08
    ui_like = stats.flat > 0.35 or (lines >= 4 and stats.flat > 0.2)
    scores = {
        ImageKind.document: 0.9 if page_like else 0.05,
        ImageKind.screenshot: 0.0 if page_like else (0.9 if ui_like else 0.1),
        ImageKind.photo: 0.05 if page_like or ui_like else 0.85,
    }
    kind = max(scores, key=lambda k: scores[k])
    return KindResult(kind, scores, "screen-text heuristic")


class ClipKindClassifier:
    """Zero-shot: average the prompt embeddings per kind once, then one dot product per image."""

    def __init__(self, clip: ClipEncoder):
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
