"""Images through open_clip: image and text towers in one space, from weights the user names.

Nothing is downloaded here: a checkpoint path is loaded as is, and a hub tag only resolves
when its weights are already in the local cache.
"""

from __future__ import annotations

import hashlib

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from PIL import Image

from ..config import ClipSpec
from .device import Placement
from .image_input import LoadedImage


class ClipEncoder:
    def __init__(self, spec: ClipSpec, placement: Placement):
        if spec.model is None or (spec.checkpoint is None and spec.hub is None):
            raise ValueError("encoders.clip needs model, and checkpoint (weights file) or hub (cached tag)")
        if spec.model_config_file is not None:
            open_clip.add_model_config(spec.model_config_file)
        pretrained = str(spec.checkpoint) if spec.checkpoint is not None else spec.hub
        model, _, preprocess = open_clip.create_model_and_transforms(
            spec.model, pretrained=pretrained, device=placement.device
        )
        self.name = f"clip:{spec.model}:{_weights_id(spec)}"
        self.model = model.to(placement.dtype).eval()
        self.preprocess = preprocess
        self.pixel_cfg = open_clip.get_model_preprocess_cfg(model)
        self.tokenizer = open_clip.get_tokenizer(spec.model)
        self.placement = placement

    def encode(self, items: list[LoadedImage]) -> list[np.ndarray]:
        return self.encode_images([item.image for item in items])

    def encode_images(self, images: list[Image.Image]) -> list[np.ndarray]:
        if not images:
            return []
        if self.placement.is_cuda and self.pixel_cfg.get("resize_mode") == "shortest":
            batch = pixels_on_device(images, self.pixel_cfg, self.placement.device)
        else:
            batch = torch.stack([self.preprocess(image) for image in images])
        batch = batch.to(self.placement.device, self.placement.dtype)
        with torch.inference_mode():
            vectors = self.model.encode_image(batch)
        return _normalized(vectors)

    def encode_text(self, texts: list[str]) -> list[np.ndarray]:
        tokens = self.tokenizer(texts).to(self.placement.device)
        with torch.inference_mode():
            vectors = self.model.encode_text(tokens)
        return _normalized(vectors)


def _weights_id(spec: ClipSpec) -> str:
    """Names the weights, not just the architecture: vectors cached under this name (the tool
    index's) must not outlive a change of checkpoint."""
    if spec.checkpoint is None:
        return str(spec.hub)
    stat = spec.checkpoint.stat()
    where = f"{spec.checkpoint.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    return f"{spec.checkpoint.stem}-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def pixels_on_device(images: list[Image.Image], cfg: dict, device: torch.device) -> torch.Tensor:
    """open_clip's resize of the shortest side, centre crop and normalisation, run on the device.

    On a GPU, the CPU's bicubic resize of a full screenshot (several ms each) would cap image
    throughput far below the model's, so only the raw pixels cross to the device."""
    height, width = cfg["size"]
    mean = torch.tensor(cfg["mean"], device=device).view(3, 1, 1)
    std = torch.tensor(cfg["std"], device=device).view(3, 1, 1)
    crops = []
    for image in images:
        pixels = torch.from_numpy(np.array(image.convert("RGB"))).to(device, non_blocking=True)
        x = pixels.permute(2, 0, 1).unsqueeze(0).float()
        rows, cols = x.shape[-2:]
        # torchvision's Resize(int): the shorter side becomes the size, the other is truncated.
        side = max(height, width)
        size = (side, int(side * cols / rows)) if rows <= cols else (int(side * rows / cols), side)
        x = F.interpolate(x, size=size, mode=cfg.get("interpolation", "bicubic"), antialias=True)
        top, left = round((size[0] - height) / 2), round((size[1] - width) / 2)
        crops.append(x[0, :, top : top + height, left : left + width])
    return (torch.stack(crops).clamp(0, 255) / 255 - mean) / std


def _normalized(vectors: torch.Tensor) -> list[np.ndarray]:
    return list(torch.nn.functional.normalize(vectors.float(), dim=-1).cpu().numpy())
