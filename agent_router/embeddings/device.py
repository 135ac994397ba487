"""Where encoders run: the GPU in half precision when there is one, else the CPU in float32.

A placement is a device name; torch is imported only when a torch model asks for its device or
dtype, or when a GPU might be present. On a machine without a GPU driver the CPU path (ONNX
Runtime) starts without loading torch at all, which saves seconds and hundreds of MiB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# Device nodes of the NVIDIA and ROCm drivers: without either, torch.cuda cannot find a GPU.
GPU_DRIVER_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/kfd")


@dataclass(frozen=True)
class Placement:
    name: str  # as torch writes the device: "cpu", "cuda", "cuda:1"

    @property
    def is_cuda(self) -> bool:
        return self.name.split(":")[0] == "cuda"

    @property
    def device(self) -> torch.device:
        import torch

        return torch.device(self.name)

    @property
    def dtype(self) -> torch.dtype:
        import torch

        return torch.float16 if self.is_cuda else torch.float32

    def __str__(self) -> str:
        return self.name


def gpu_driver_present() -> bool:
    """False when no GPU can be visible, decided without importing torch."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    return any(Path(node).exists() for node in GPU_DRIVER_NODES)


def _cuda_available() -> bool:
    if not gpu_driver_present():
        return False
    import torch

    return torch.cuda.is_available()


def resolve_placement(spec: str = "auto") -> Placement:
    if spec == "auto":
        spec = "cuda" if _cuda_available() else "cpu"
    kind, _, index = spec.partition(":")
    if kind not in ("cpu", "cuda") or (index and not index.isdigit()):
        raise ValueError(f"encoders.device is {spec!r}; use 'auto', 'cpu' or 'cuda[:N]'")
    if kind == "cuda" and not _cuda_available():
        raise ValueError(f"encoders.device is {spec!r} but no CUDA device is visible; use 'auto' or 'cpu'")
    return Placement(spec)
