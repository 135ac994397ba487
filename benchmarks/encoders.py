"""Encoder figures behind the routing targets: runtime choice on the CPU, batch throughput, and
CLIP images per second on whatever device this machine has (the H100 target's measure)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from agent_router.config import ClipSpec, TextEncoderSpec
from agent_router.embeddings import (
    BUNDLED,
    ClipEncoder,
    MiniLMEncoder,
    Placement,
    load_text_encoder,
    resolve_placement,
)
from agent_router.embeddings.image_input import LoadedImage
from agent_router.embeddings.text import model_folder
from agent_router.images import decode_image

from .stats import summary_ms

CLIP_ARCH = "ViT-B-32"


def single_text_p50(encode, texts: list[str]) -> float:
    times = []
    for text in texts:
        start = time.perf_counter()
        encode([text])
        times.append(time.perf_counter() - start)
    return summary_ms(times)[0]


def per_second(encode, items: list, batch: int) -> float:
    encode(items[:batch])  # warm-up: kernels, allocator, graph optimisation
    start = time.perf_counter()
    for k in range(0, len(items), batch):
        encode(items[k : k + batch])
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return len(items) / (time.perf_counter() - start)


def random_clip(placement: Placement, folder: Path) -> ClipEncoder:
    """ViT-B-32 with random weights: speed does not depend on the weights, and none ship."""
    import open_clip

    checkpoint = folder / "vit-b-32-random.pt"
    torch.save({"state_dict": open_clip.create_model(CLIP_ARCH, pretrained=None).state_dict()}, checkpoint)
    return ClipEncoder(ClipSpec(model=CLIP_ARCH, checkpoint=checkpoint), placement)


def screenshots(paths: list[str], n: int) -> list[LoadedImage]:
    images = [decode_image(Path(p).read_bytes(), p, 10**8, 10**8) for p in paths]
    return [images[k % len(images)] for k in range(n)]


def encoder_rows(short_texts: list[str], shot_paths: list[str]) -> list[str]:
    placement = resolve_placement("auto")
    device = placement.device.type
    rows = []
    many = [f"{t} ({k})" for k, t in enumerate(short_texts * 8)][: 2048 if device == "cuda" else 512]
    if device == "cpu":
        runtimes = [
            ("PyTorch", MiniLMEncoder(model_folder(BUNDLED), placement)),
            ("ONNX Runtime fp32", load_text_encoder(TextEncoderSpec(runtime="onnx"), placement)),
            (
                "ONNX Runtime int8 (the default)",
                load_text_encoder(TextEncoderSpec(runtime="onnx-int8"), placement),
            ),
        ]
        for name, encoder in runtimes:
            rows += [
                f"| text encoder, {name} (CPU): one short text, p50 | "
                f"{single_text_p50(encoder.encode, short_texts):.2f} ms |",
                f"| text encoder, {name} (CPU): batches of 64 short texts, throughput | "
                f"{per_second(encoder.encode, many, 64):.0f} texts/s |",
            ]
    else:
        text = load_text_encoder(TextEncoderSpec(), placement)
        rows.append(
            f"| text encoder, batches of 64 short texts ({device}): throughput | "
            f"{per_second(text.encode, many, 64):.0f} texts/s |"
        )
    with tempfile.TemporaryDirectory() as folder:
        clip = random_clip(placement, Path(folder))
        shots = screenshots(shot_paths, 2048 if device == "cuda" else 128)
        rows.append(
            f"| CLIP {CLIP_ARCH} image tower, batches of 64 screenshots ({device}, "
            f"{'fp16, resized on the device' if device == 'cuda' else 'fp32'}): throughput | "
            f"{per_second(clip.encode, shots, 64):.0f} images/s |"
        )
    return rows
