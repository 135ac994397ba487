"""Screen text: what rapidocr reads off screenshots and document images, with where it is.

The ONNX models ship inside the rapidocr wheel, so this works offline; OpenVINO or ONNX Runtime
runs them (`encoders.ocr.engine`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from .image_input import LoadedImage


@dataclass(frozen=True)
class TextBox:
    text: str
    score: float
    box: tuple[int, int, int, int]  # left, top, right, bottom in the original image's pixels

    @property
    def area(self) -> int:
        return max(0, self.box[2] - self.box[0]) * max(0, self.box[3] - self.box[1])


@dataclass(frozen=True)
class ScreenText:
    boxes: tuple[TextBox, ...]
    width: int
    height: int

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.boxes)

    @property
    def coverage(self) -> float:
        """Share of the image covered by text boxes."""
        return min(1.0, sum(b.area for b in self.boxes) / max(1, self.width * self.height))

    def near(self, x: int, y: int, radius: int) -> list[TextBox]:
        """Boxes within radius pixels of a point, nearest first."""

        def distance(b: TextBox) -> float:
            dx = max(b.box[0] - x, 0, x - b.box[2])
            dy = max(b.box[1] - y, 0, y - b.box[3])
            return float(np.hypot(dx, dy))

        hits = [(distance(b), b) for b in self.boxes]
        return [b for d, b in sorted(hits, key=lambda t: t[0]) if d <= radius]


class ScreenReader:
    """rapidocr is loaded with the first image read: importing it (OpenCV and its ONNX models)
    takes about a second that a router never shown an image should not pay at start."""

    def __init__(self, max_side: int = 1600, *, engine: str = "openvino"):
        self.name = f"ocr:rapidocr:{engine}"
        self.max_side = max_side
        self.runtime = engine
        self._ocr: Any = None
        # rapidocr keeps the use_det/use_cls/use_rec of a call for the calls after it, and one
        # engine is not safe to share between threads: each call names its passes, under a lock.
        self._lock = threading.Lock()

    def _run(self, pixels: np.ndarray, detect: bool) -> Any:  # rapidocr's own result types
        with self._lock:
            if self._ocr is None:
                from rapidocr import EngineType, RapidOCR

                # The detector's own default scales an image up until its short side is 736 px,
                # 3.5 times the pixels of a phone screenshot whose text reads fine as it is:
                # here it only scales down, to max_side, like read() below.
                self._ocr = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        "Global.use_cls": False,
                        "Det.limit_type": "max",
                        "Det.limit_side_len": self.max_side,
                        "Det.engine_type": EngineType(self.runtime),
                        "Rec.engine_type": EngineType(self.runtime),
                    }
                )
            return self._ocr(pixels, use_det=detect, use_cls=False, use_rec=True)

    def read(self, image: Image.Image) -> ScreenText:
        scale = min(1.0, self.max_side / max(image.width, image.height))
        small = (
            image
            if scale == 1.0
            else image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
        )
        result = self._run(np.asarray(small.convert("RGB")), detect=True)
        boxes = []
        # A picture rapidocr takes for one text line comes back as TextRecOutput, without boxes.
        found = getattr(result, "boxes", None)
        for points, text, score in zip(
            found if found is not None else [], result.txts or (), result.scores or (), strict=False
        ):
            xs, ys = points[:, 0] / scale, points[:, 1] / scale
            boxes.append(
                TextBox(str(text), float(score), (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())))
            )
        boxes.sort(key=lambda b: (b.box[1] // 10, b.box[0]))  # reading order
        return ScreenText(tuple(boxes), image.width, image.height)

    def read_line(self, image: Image.Image) -> tuple[str, float]:
        """Recognition only, for an image that already holds one line of text: no detection
        pass, so a click target reads in tens of milliseconds instead of a full-screen OCR."""
        result = self._run(np.asarray(image.convert("RGB")), detect=False)
        return (str(result.txts[0]), float(result.scores[0])) if result.txts else ("", 0.0)

    def encode(self, items: list[LoadedImage]) -> list[ScreenText]:
        return [self.read(item.image) for item in items]
