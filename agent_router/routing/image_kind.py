"""What an image is (screenshot, document page or photo), with a probability.

Without CLIP: a head fitted by `python -m scripts.fit_image_kinds` over MobileNetV2's pooled
features and the image's aspect ratio, shipped in the package (image_kind_head.json). With CLIP:
zero-shot prompts, averaged with a head fitted over that CLIP model's image features when the
config names one (encoders.clip.kind_head). Charts and plots count as documents. No screen text
is needed: the kind is decided first, and OCR runs only when something asks for the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config import ImageKind
from .head import RouteHead, softmax

if TYPE_CHECKING:
    from ..embeddings import ClipModel

MOBILENET_HEAD = Path(__file__).with_name("image_kind_head.json")

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

    def describe(self, n: int) -> str:
        return f"image {n}: {self.kind} p={self.scores[self.kind]:.2f} ({self.source})"


def head_input(vector: np.ndarray, width: int, height: int) -> np.ndarray:
    """Features plus the log aspect ratio: an image squashed to a square for the network keeps
    its shape here (a phone screen is tall, a strip of a page is wide)."""
    return np.concatenate([vector.astype(np.float32), [np.log(width / max(1, height))]]).astype(np.float32)


def _result(probabilities: dict[ImageKind, float], source: str) -> KindResult:
    scores = {k: round(float(probabilities[k]), 4) for k in ImageKind}
    return KindResult(max(scores, key=lambda k: scores[k]), scores, source)


class HeadKindClassifier:
    """The fitted head: multinomial logistic regression with a temperature fitted on held-out
    images, so that p=0.9 is right about nine times in ten on them."""

    def __init__(self, head: RouteHead, source: str):
        unknown = set(head.routes) - {k.value for k in ImageKind}
        if unknown:
            raise ValueError(f"the head scores {', '.join(sorted(unknown))}, which are not image kinds")
        self.head = head
        self.source = source

    @classmethod
    def load(cls, path: Path, *, features: str, source: str) -> HeadKindClassifier:
        """`features` names the extractor the vectors come from; a head fitted on other
        features would give confident nonsense, so it is refused."""
        head = RouteHead.load(path)
        fitted_on = head.info.get("features")
        if fitted_on != features:
            raise ValueError(f"{path} was fitted on {fitted_on} features, not {features}; refit it")
        return cls(head, source)

    def probabilities(self, vector: np.ndarray, width: int, height: int) -> dict[ImageKind, float]:
        scores = self.head.scores(head_input(vector, width, height))
        return {k: scores.get(k.value, 0.0) for k in ImageKind}

    def classify(self, vector: np.ndarray, width: int, height: int) -> KindResult:
        return _result(self.probabilities(vector, width, height), self.source)


class ClipKindClassifier:
    """Zero-shot: average the prompt embeddings per kind once, then one dot product per image;
    with a head fitted over the same CLIP features, the two probabilities are averaged."""

    def __init__(self, clip: ClipModel, head: HeadKindClassifier | None = None):
        kinds = list(CLIP_PROMPTS)
        centroids = []
        for kind in kinds:
            vectors = np.stack(clip.encode_text(list(CLIP_PROMPTS[kind])))
            mean = vectors.mean(axis=0)
            centroids.append(mean / np.linalg.norm(mean))
        self._kinds = kinds
        self._centroids = np.stack(centroids)
        self.head = head

    def classify(self, vector: np.ndarray, width: int = 1, height: int = 1) -> KindResult:
        (probs,) = softmax((100.0 * (self._centroids @ vector))[None, :])
        zero_shot = dict(zip(self._kinds, probs.tolist(), strict=True))
        if self.head is None:
            return _result(zero_shot, "clip zero-shot")
        fitted = self.head.probabilities(vector, width, height)
        return _result({k: (zero_shot[k] + fitted[k]) / 2 for k in ImageKind}, "clip zero-shot + clip head")
