"""The image value the encoders take: decoded, within the configured limits, hashed.

It lives here, below the code that decodes a turn's images (agent_router.images), because the
image encoders (CLIP, OCR) take it and the encoders sit in the bottom layer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class LoadedImage:
    field: str
    sha256: str
    format: str
    width: int
    height: int
    data: bytes = dataclasses.field(repr=False)
    image: Image.Image = dataclasses.field(repr=False, compare=False)

    @property
    def pixels(self) -> int:
        return self.width * self.height
