"""Shared fixtures. The App (with the real MiniLM, OCR and optionally a tiny random CLIP) is
built once per session: loading encoders dominates test time otherwise."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from agent_router.app import App, build_app
from agent_router.config import RouterConfig, default_config

TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="session")
def config() -> RouterConfig:
    return default_config()


@pytest.fixture(scope="session")
def app(config: RouterConfig) -> Iterator[App]:
    built = build_app(config)
    yield built
    built.close()


@pytest.fixture(scope="session")
def tiny_clip_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A randomly initialised open_clip model saved as a real checkpoint, so the loading code
    runs exactly as it does with real weights."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("clip")
    config_file = folder / "tiny-clip.json"
    config_file.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(config_file)
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-clip", pretrained=None)
    checkpoint = folder / "tiny-clip.pt"
    torch.save({"state_dict": model.state_dict()}, checkpoint)
    return config_file, checkpoint


def render_text_image(lines: list[str], size: tuple[int, int] = (1024, 640),
                      background: str = "white", font_size: int = 22) -> Image.Image:
    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_size)
    for i, line in enumerate(lines):
        draw.text((30, 30 + i * (font_size + 14)), line, fill="black", font=font)
    return img


def noise_photo(size: tuple[int, int] = (640, 480), seed: int = 0) -> Image.Image:
    import numpy as np

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize(size, Image.Resampling.BICUBIC)
    return Image.fromarray((np.asarray(img) + rng.integers(0, 20, (size[1], size[0], 3))).clip(0, 255).astype("uint8"))


def data_url(img: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def user(text: str, *images: str) -> dict:
    if not images:
        return {"role": "user", "content": text}
    parts = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in images]
    return {"role": "user", "content": parts}
