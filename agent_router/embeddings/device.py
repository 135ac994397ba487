"""Where encoders run: the GPU in half precision when there is one, else the CPU in float32."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Placement:
    device: torch.device
    dtype: torch.dtype

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"


def resolve_placement(spec: str = "auto") -> Placement:
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"encoders.device is {spec!r} but no CUDA device is visible; use 'auto' or 'cpu'")
    return Placement(device, torch.float16 if device.type == "cuda" else torch.float32)
