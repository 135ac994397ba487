"""Decoding the images of a turn, with limits that protect the server from hostile input."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from urllib.parse import unquote, urlparse

from PIL import Image

from .config import Limits
from .embeddings.image_input import LoadedImage
from .errors import InputError
from .image_files import ImageFiles
from .turns import ChatMessage, ImageDataPart, ImageUrlPart

SUPPORTED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "BMP"}
_FIX = "send PNG, JPEG, WebP, GIF or BMP as a data URL"
NO_FILES = ImageFiles()


def decode_image(
    data: bytes, where: str, max_bytes: int, max_pixels: int, *, pixels_limit: str = "limits.image_pixels"
) -> LoadedImage:
    """Decode hostile bytes: the size is checked before decoding starts and the pixel count from
    the header before the pixels are decoded (a small PNG can hold a huge image)."""
    if len(data) > max_bytes:
        raise InputError.single(
            where,
            f"image is {len(data)} bytes; the limit is limits.image_bytes = {max_bytes} (scale it down)",
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
                    f"image is {img.width}x{img.height}; the limit is {pixels_limit} = {max_pixels} "
                    "pixels (scale it down)",
                )
            img.load()
            rgb = img.convert("RGB")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a decoder fails on hostile bytes in many ways
        raise InputError.single(where, f"not a readable image ({exc.__class__.__name__}); {_FIX}") from None
    return LoadedImage(where, hashlib.sha256(data).hexdigest(), fmt, rgb.width, rgb.height, data, rgb)


def _read_url(url: str, where: str, max_bytes: int, files: ImageFiles) -> bytes:
    """A data URL's bytes, or a server file's where `files` allows it. Remote URLs are not
    fetched: the router would become a way to reach what the caller cannot."""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        if ";base64" not in header:
            raise InputError.single(where, "data URL must be base64 encoded (data:image/png;base64,...)")
        return _b64(payload, where)
    try:
        parsed = urlparse(url)
    except ValueError:
        raise InputError.single(where, f"not a URL or a path; {_FIX}") from None
    if parsed.scheme in ("http", "https"):
        raise InputError.single(where, "remote image URLs are not fetched; send the bytes as a data URL")
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise InputError.single(where, "file:// URLs must name a file on this machine; send a data URL")
        return files.read(unquote(parsed.path), where, max_bytes)
    if parsed.scheme and len(parsed.scheme) > 1:
        raise InputError.single(where, f"unsupported image URL scheme {parsed.scheme[:20]!r}; {_FIX}")
    return files.read(url, where, max_bytes)


def _b64(payload: str, where: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError.single(where, "image data is not valid base64") from None


def turn_images(
    messages: list[ChatMessage],
    limits: Limits,
    files: ImageFiles,
    field: str = "messages",
    *,
    allow_empty: bool = False,
) -> list[LoadedImage]:
    """The images of a turn, within the per-turn limits: their count is checked before any is
    read, their pixels before each is decoded. A turn to be routed must say something (text or
    an image) unless `allow_empty`."""
    count = sum(isinstance(p, ImageUrlPart | ImageDataPart) for m in messages for p in m.parts())
    if count > limits.images_per_turn:
        raise InputError.single(
            field, f"{count} images; the limit is limits.images_per_turn = {limits.images_per_turn}"
        )
    images = load_images(
        messages,
        limits.image_bytes,
        limits.image_pixels,
        field,
        files=files,
        turn_pixels=limits.pixels_per_turn,
    )
    if not allow_empty and not images and not any(m.text().strip() for m in messages):
        raise InputError.single(field, "the turn is empty: give text or an image")
    return images


def load_images(
    messages: list[ChatMessage],
    max_bytes: int,
    max_pixels: int,
    field: str = "messages",
    *,
    files: ImageFiles = NO_FILES,
    turn_pixels: int | None = None,
) -> list[LoadedImage]:
    """Every image of the turn, in order, each within max_bytes and max_pixels and together
    within turn_pixels. Image URLs name server files only where `files` allows (by default
    nowhere). Collects all problems before raising."""
    images: list[LoadedImage] = []
    problems: list[tuple[str, str]] = []
    pixels_left = turn_pixels
    for i, message in enumerate(messages):
        if not isinstance(message.content, list):
            continue
        for j, part in enumerate(message.content):
            try:
                if isinstance(part, ImageUrlPart):
                    where = f"{field}[{i}].content[{j}].image_url.url"
                    data = _read_url(part.image_url.url, where, max_bytes, files)
                elif isinstance(part, ImageDataPart):
                    where = f"{field}[{i}].content[{j}].data"
                    data = _b64(part.data, where)
                else:
                    continue
                if pixels_left is not None and pixels_left < max_pixels:
                    image = decode_image(
                        data,
                        where,
                        max_bytes,
                        pixels_left,
                        pixels_limit="what is left of limits.pixels_per_turn",
                    )
                else:
                    image = decode_image(data, where, max_bytes, max_pixels)
                images.append(image)
                if pixels_left is not None:
                    pixels_left -= image.pixels
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return images
