"""Encoders shared by routing, tool selection, memory and safety, built once from the config.

The torch-backed encoders (CLIP, the PyTorch text runtime) are imported when a config asks for
them, or when their names are first read from this package: importing torch, torchvision and
open_clip costs seconds and about 600 MiB that the default CPU path (ONNX Runtime) never needs.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import ClipSpec, EncodersSpec, TextEncoderSpec
from .base import AsyncEncoder, ClipModel, Encoder
from .device import Placement, resolve_placement
from .image_input import LoadedImage
from .ocr import ScreenReader, ScreenText, TextBox
from .onnx_image import MobileNetFeatures
from .onnx_text import OnnxMiniLMEncoder
from .remote import (
    EncoderUnavailable,
    RemoteClipEncoder,
    RemoteTextEncoder,
    check_fitted_size,
    remote_text_encoder,
)
from .text import BUNDLED, model_folder

if TYPE_CHECKING:
    from .clip import ClipEncoder
    from .torch_text import MiniLMEncoder

log = logging.getLogger("agent_router.embeddings")

# Names served from modules that import torch, loaded on first access (PEP 562).
_TORCH_BACKED = {"ClipEncoder": ".clip", "MiniLMEncoder": ".torch_text"}


def __getattr__(name: str) -> Any:
    if name in _TORCH_BACKED:
        return getattr(importlib.import_module(_TORCH_BACKED[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUNDLED",
    "AsyncEncoder",
    "ClipEncoder",
    "ClipModel",
    "Encoder",
    "EncoderUnavailable",
    "Encoders",
    "MobileNetFeatures",
    "MiniLMEncoder",
    "OnnxMiniLMEncoder",
    "Placement",
    "RemoteClipEncoder",
    "RemoteTextEncoder",
    "ScreenReader",
    "ScreenText",
    "TextBox",
    "build_encoders",
    "build_screen_reader",
    "check_fitted_size",
    "load_text_encoder",
    "resolve_placement",
]


@dataclass
class Encoders:
    placement: Placement
    text: AsyncEncoder[str, np.ndarray]
    clip: AsyncEncoder[LoadedImage, np.ndarray] | None
    ocr: AsyncEncoder[LoadedImage, ScreenText] | None
    # MobileNetV2 features for the image-kind head, when CLIP (which replaces them) is not set.
    image_features: AsyncEncoder[LoadedImage, np.ndarray] | None = None

    @property
    def image_features_name(self) -> str | None:
        return self.image_features.encoder.name if self.image_features is not None else None

    @property
    def clip_model(self) -> ClipModel | None:
        return self.clip.encoder if self.clip is not None else None  # type: ignore[return-value]

    def close(self) -> None:
        for encoder in (self.text, self.clip, self.ocr, self.image_features):
            if encoder is not None:
                encoder.close()


def _by_hash(image: LoadedImage) -> str:
    return image.sha256


def load_text_encoder(spec: TextEncoderSpec, placement: Placement) -> Encoder[str, np.ndarray]:
    """ONNX Runtime (int8 unless the config asks for fp32) on the CPU; torch on the GPU."""
    folder = model_folder(spec.model)
    if spec.runtime == "torch" or (spec.runtime == "auto" and placement.is_cuda):
        return _torch_text_encoder(folder, placement, spec.max_tokens)
    if placement.is_cuda:
        raise ValueError(
            f"encoders.text.runtime: {spec.runtime} runs on the CPU only; use 'auto' "
            "or 'torch' with encoders.device cuda"
        )
    try:
        return OnnxMiniLMEncoder(
            folder, spec.max_tokens, spec.onnx_cache, int8=spec.runtime != "onnx", threads=spec.threads
        )
    except OSError as exc:
        if spec.runtime != "auto":
            raise
        # Nearly the same vectors, only slower: a read-only cache folder must not stop the router.
        log.warning(
            "encoders.text: no ONNX graph (%s); using PyTorch. Point encoders.text."
            "onnx_cache at a writable folder for the faster runtime",
            exc,
        )
        return _torch_text_encoder(folder, placement, spec.max_tokens)


def _torch_text_encoder(folder: Path, placement: Placement, max_tokens: int) -> Encoder[str, np.ndarray]:
    from .torch_text import MiniLMEncoder

    return MiniLMEncoder(folder, placement, max_tokens)


def _clip_model(spec: ClipSpec, placement: Placement) -> Encoder[LoadedImage, np.ndarray]:
    if spec.remote is not None:
        return RemoteClipEncoder(spec.remote)
    from .clip import ClipEncoder

    return ClipEncoder(spec, placement)


def build_encoders(spec: EncodersSpec) -> Encoders:
    placement = resolve_placement(spec.device)
    wait_s = spec.batch_wait_ms / 1000
    text_encoder = (
        load_text_encoder(spec.text, placement)
        if spec.text.remote is None
        else remote_text_encoder(spec.text, lambda: load_text_encoder(spec.text, placement))
    )
    text = AsyncEncoder(
        text_encoder,
        key=str,
        max_batch=spec.batch_size,
        cache_size=spec.cache_size,
        wait_s=wait_s,
        saved=text_encoder.saved_vectors() if isinstance(text_encoder, OnnxMiniLMEncoder) else None,
    )
    clip = None
    if spec.clip is not None:
        clip = AsyncEncoder(
            _clip_model(spec.clip, placement),
            key=_by_hash,
            max_batch=spec.batch_size,
            cache_size=spec.cache_size,
            wait_s=wait_s,
        )
    image_features = None
    if spec.clip is None:
        try:
            mobilenet = MobileNetFeatures(spec.text.onnx_cache)
        except OSError as exc:  # text turns are served without it; image turns say what is missing
            log.warning("image kinds are unavailable: %s", exc)
        else:
            image_features = AsyncEncoder(
                mobilenet,
                key=_by_hash,
                max_batch=spec.batch_size,
                cache_size=min(spec.cache_size, 256),
                wait_s=wait_s,
            )
    return Encoders(placement, text, clip, build_screen_reader(spec), image_features)


def build_screen_reader(spec: EncodersSpec) -> AsyncEncoder[LoadedImage, ScreenText] | None:
    """The OCR encoder alone (None when encoders.ocr is off): nothing loads until an image is
    read, so building one costs nothing."""
    if not spec.ocr.enabled:
        return None
    return AsyncEncoder(
        ScreenReader(spec.ocr.max_side, engine=spec.ocr.engine),
        key=_by_hash,
        max_batch=4,
        cache_size=min(spec.cache_size, 256),
    )
