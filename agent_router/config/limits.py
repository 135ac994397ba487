"""How much one caller may ask of the server: the size of a turn, how fast a tenant may call,
which models a tenant may use, and which server folders images may come from.

Every limit is checked before the work it bounds, and its error names the setting
(`limits.messages_per_turn = 500`), so a caller knows what it hit and an operator what to raise."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from .routing import Strict


class Limits(Strict):
    request_bytes: int = Field(
        64 * 1024 * 1024,
        gt=0,
        description="body of one request to the model endpoints (/v1/...), read no further; "
        "images travel inside it as data URLs",
    )
    messages_per_turn: int = Field(500, gt=0, description="chat messages in one turn")
    chars_per_turn: int = Field(400_000, gt=0, description="characters of text in one turn")
    images_per_turn: int = Field(16, gt=0, description="images in one turn")
    image_bytes: int = Field(20_000_000, gt=0, description="encoded bytes of one image")
    # Decoded, an image takes 3 bytes a pixel (RGB, kept for the encoders) plus up to 4 a pixel
    # while it converts: 16 MP is about 110 MB at its peak, and a PNG of that size can be a few
    # KiB (a decompression bomb), so pixels, not bytes, bound the memory a turn costs.
    image_pixels: int = Field(16_000_000, gt=0, description="pixels of one image")
    pixels_per_turn: int = Field(
        48_000_000, gt=0, description="pixels of all of a turn's images together (bounds its memory)"
    )
    image_folders: list[Path] = Field(
        default_factory=list,
        description="server folders callers over HTTP may name image files in (symlinks resolved); "
        "callers on stdio and the CLI may name any file they can read",
    )
    requests_per_second: float = Field(
        20.0, gt=0, description="tool calls a second per tenant, over HTTP (tenants.NAME overrides)"
    )
    burst: int = Field(40, gt=0, description="tool calls a tenant may make at once before the rate applies")


class TenantLimits(Strict):
    """One tenant's own limits; what is left out comes from `limits`."""

    models: list[str] | None = Field(
        None, description="the only models this tenant's turns may be routed or dispatched to"
    )
    requests_per_second: float | None = Field(None, gt=0)
    burst: int | None = Field(None, gt=0)
