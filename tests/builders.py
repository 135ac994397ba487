"""Builders of test turns and images (imported by tests; pytest puts tests/ on the path)."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def render_text_image(
    lines: list[str], size: tuple[int, int] = (1024, 640), background: str = "white", font_size: int = 22
) -> Image.Image:
    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_size)
    for i, line in enumerate(lines):
        draw.text((30, 30 + i * (font_size + 14)), line, fill="black", font=font)
    return img


def noise_photo(size: tuple[int, int] = (640, 480), seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize(size, Image.Resampling.BICUBIC)
    grain = rng.integers(0, 20, (size[1], size[0], 3))
    return Image.fromarray((np.asarray(img) + grain).clip(0, 255).astype("uint8"))


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


def destroy_sqlite(path: Path) -> None:
    """Overwrite a SQLite database file (and its write-ahead log) with garbage in place, as a
    damaged disk would, while connections to it stay open."""
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            size = max(file.stat().st_size, 4096)
            with open(file, "r+b") as f:
                f.write(b"\xde\xad\xbe\xef garbage " * (size // 16))


DEMO_SERVER = Path(__file__).parent / "tools" / "demo_server.py"


# Each tool ranked on its own words and what was learned of it: no server context, no
# companions, every asked-for place filled. Tests of learning and replay use it, so their
# expectations do not hang on how a small catalog's servers group.
PER_TOOL_RANKING = {"server_weight": 0.0, "companions": False, "relative_floor": 0.0}


def demo_tools(inline: list[tuple[str, str, str]], cache_dir: Path) -> dict:
    """A tools section: an inline catalog of (server, name, description) and the demo MCP
    server (tests/tools/demo_server.py), whose tools can be called."""
    return {
        "inline": [
            {"server": s, "name": n, "description": d, "input_schema": {"type": "object"}}
            for s, n, d in inline
        ],
        "servers": [{"name": "demo", "command": sys.executable, "args": [str(DEMO_SERVER)]}],
        "cache_dir": str(cache_dir),
        "connect_timeout_s": 20,
    }


def challenge_in(text: str) -> str:
    """The challenge a call_tool confirm answer hands back, to repeat as `confirmation`."""
    import re

    found = re.search(r"confirmation: '([^']+)'", text)
    assert found, text
    return found.group(1)
