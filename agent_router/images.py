"""Decoding the images of a turn, with limits that protect the server from hostile input."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

from PIL import Image, UnidentifiedImageError

from .config import Defaults
from .embeddings.image_input import LoadedImage
from .errors import InputError
from .turns import ChatMessage, ImageDataPart, ImageUrlPart

SUPPORTED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "BMP"}
_FIX = "send PNG, JPEG, WebP, GIF or BMP as a data URL, a file:// URL or a local path"


def decode_image(data: bytes, where: str, max_bytes: int, max_pixels: int) -> LoadedImage:
    if len(data) > max_bytes:
        raise InputError.single(
            where,
            f"image is {len(data)} bytes; the limit is {max_bytes} bytes "
            "(scale it down, or raise defaults.max_image_bytes)",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = (img.format or "").upper()
            if fmt not in SUPPORTED_FORMATS:
                raise InputError.single(where, f"unsupported image format {fmt or 'unknown'}; {_FIX}")
            if img.width * img.height > max_pixels:
                raise InputError.single(
                    where,
                    f"image is {img.width}x{img.height}; the limit is {max_pixels} pixels "
                    "(scale it down, or raise defaults.max_image_pixels)",
                )
            img.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError.single(where, f"not a readable image ({exc.__class__.__name__}); {_FIX}") from None
    rgb = img.convert("RGB")
    return LoadedImage(where, hashlib.sha256(data).hexdigest(), fmt, rgb.width, rgb.height, data, rgb)


def _read_url(url: str, where: str, max_bytes: int) -> bytes:
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        if ";base64" not in header:
            raise InputError.single(where, "data URL must be base64 encoded (data:image/png;base64,...)")
        return _b64(payload, where)
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        raise InputError.single(where, "remote image URLs are not fetched; send the bytes as a data URL")
    path = Path(unquote(parsed.path) if parsed.scheme == "file" else url).expanduser()
    try:
        if path.stat().st_size > max_bytes:
            raise InputError.single(where, f"image file is larger than the limit of {max_bytes} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise InputError.single(where, f"cannot read image file {str(path)!r}: {exc.strerror}") from None


def _b64(payload: str, where: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError.single(where, "image data is not valid base64") from None


def turn_images(messages: list[ChatMessage], limits: Defaults, field: str = "messages") -> list[LoadedImage]:
    """The images of a turn that is about to be routed, which must say something."""
    images = load_images(messages, limits.max_image_bytes, limits.max_image_pixels, field)
    if not images and not any(m.text().strip() for m in messages):
        raise InputError.single(field, "the turn is empty: give text or an image")
    return images


def load_images(
    messages: list[ChatMessage], max_bytes: int, max_pixels: int, field: str = "messages"
) -> list[LoadedImage]:
    """Every image of the turn, in order. Collects all problems before raising."""
    images: list[LoadedImage] = []
    problems: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message.content, list):
            continue
        for j, part in enumerate(message.content):
            try:
                if isinstance(part, ImageUrlPart):
                    where = f"{field}[{i}].content[{j}].image_url.url"
                    data = _read_url(part.image_url.url, where, max_bytes)
                elif isinstance(part, ImageDataPart):
                    where = f"{field}[{i}].content[{j}].data"
                    data = _b64(part.data, where)
                else:
                    continue
                images.append(decode_image(data, where, max_bytes, max_pixels))
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return images
