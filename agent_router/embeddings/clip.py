"""Images through open_clip: image and text towers in one space, from weights the user names.

Nothing is downloaded here: a checkpoint path is loaded as is, and a hub tag only resolves
when its weights are already in the local cache.
"""

from __future__ import annotations

import numpy as np
import open_clip
import torch
from PIL import Image

from ..config import ClipSpec
from ..images import LoadedImage
from .device import Placement


class ClipEncoder:
    def __init__(self, spec: ClipSpec, placement: Placement):
        if spec.checkpoint is None and spec.hub is None:
            raise ValueError("encoders.clip needs checkpoint (a weights file) or hub (a cached tag)")
        if spec.model_config_file is not None:
            open_clip.add_model_config(spec.model_config_file)
        pretrained = str(spec.checkpoint) if spec.checkpoint is not None else spec.hub
        model, _, preprocess = open_clip.create_model_and_transforms(
            spec.model, pretrained=pretrained, device=placement.device
        )
        self.name = f"clip:{spec.model}"
        self.model = model.to(placement.dtype).eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(spec.model)
        self.placement = placement

    def encode(self, items: list[LoadedImage]) -> list[np.ndarray]:
        return self.encode_images([item.image for item in items])

    def encode_images(self, images: list[Image.Image]) -> list[np.ndarray]:
        if not images:
            return []
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


def _normalized(vectors: torch.Tensor) -> list[np.ndarray]:
    return list(torch.nn.functional.normalize(vectors.float(), dim=-1).cpu().numpy())
