"""The images a session shows, as get_context hands them to a model: data URLs for a model
that reads images, their screen text (read once by OCR and kept with the bytes) for one that
does not."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from ..embeddings.image_input import LoadedImage
from ..images import decode_image
from .context import StoredMessage
from .database import Database
from .schema import BlobRow

if TYPE_CHECKING:  # the encoders pull in torch; the CLI's export and import need none of it
    from ..embeddings import AsyncEncoder, ScreenText

IMAGE_LIMITS = (20_000_000, 40_000_000)


async def blob_urls(database: Database, messages: list[StoredMessage]) -> dict[str, str]:
    rows = await _blob_rows(database, messages, BlobRow.mime, BlobRow.data)
    return {sha: f"data:{mime};base64,{base64.b64encode(data).decode()}" for sha, mime, data in rows}


async def screen_texts(
    database: Database,
    messages: list[StoredMessage],
    ocr: AsyncEncoder[LoadedImage, ScreenText] | None,
) -> dict[str, str]:
    """Screen text of the messages' images; what is not read yet is read now when there is an
    OCR encoder, and stored."""
    rows = await _blob_rows(database, messages, BlobRow.screen_text, BlobRow.data)
    texts = {sha: text for sha, text, _ in rows if text is not None}
    missing = [(sha, data) for sha, text, data in rows if text is None]
    if missing and ocr is not None:
        images = [decode_image(data, sha, *IMAGE_LIMITS) for sha, data in missing]
        read = await ocr.encode(images)
        async with database.write() as db:
            for (sha, _), screen in zip(missing, read, strict=True):
                texts[sha] = screen.text
                await db.execute(update(BlobRow).where(BlobRow.sha256 == sha).values(screen_text=screen.text))
    return texts


async def _blob_rows(database: Database, messages: list[StoredMessage], *columns: Any) -> list[Any]:
    """(sha256, *columns) of every image the messages refer to."""
    hashes = {p.image_sha256 for m in messages for p in m.parts if p.image_sha256}
    if not hashes:
        return []
    async with database.read() as db:
        return list(
            (await db.execute(select(BlobRow.sha256, *columns).where(BlobRow.sha256.in_(hashes)))).all()
        )
