"""Image files on the server: which ones a caller may name, and reading one safely.

An image URL that is not a data URL names a file on the machine that runs the router. The
machine's own user (stdio, the CLI, code that embeds the router) may name any file it can read;
a caller over HTTP may name files only inside folders the config lists (`limits.image_folders`),
and every path it is refused gets one answer, whatever the reason, so the answers do not map
the server's file system. Only regular files are read (never a device, a FIFO or a folder), and
never more than the byte limit allows, so `/dev/zero` costs nothing."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

REFUSED = "local image paths are not accepted here; send a data URL"
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)  # NONBLOCK: a FIFO won't hang


class _Refused(Exception):
    """Why a file was not read, in words for the machine's own user only."""


@dataclass(frozen=True)
class ImageFiles:
    """The server files an image may come from: anywhere (the machine's own user) or only
    inside `folders`. The default, nowhere, is what replay and every remote caller without an
    allowlist get."""

    anywhere: bool = False
    folders: tuple[Path, ...] = ()

    def read(self, name: str, where: str, max_bytes: int) -> bytes:
        """The bytes of the file `name` (a path, `~` expanded for the machine's own user only),
        at most `max_bytes` of them, or an InputError naming `where`."""
        if not self.anywhere and not self.folders:
            raise InputError.single(where, self._refusal())
        try:
            path = self._allowed(name)
            return _read_regular(path, max_bytes, follow=self.anywhere)
        except _Refused as exc:
            if not self.anywhere:
                raise InputError.single(where, self._refusal()) from None
            raise InputError.single(where, f"cannot read image file {name!r}: {exc}") from None
        except _TooBig:
            raise InputError.single(
                where, f"image file is larger than the limit of {max_bytes} bytes (limits.image_bytes)"
            ) from None

    def _allowed(self, name: str) -> Path:
        try:
            if self.anywhere:
                return Path(name).expanduser()
            path = Path(name).resolve()
            if any(path.is_relative_to(folder.resolve()) for folder in self.folders):
                return path
        except (OSError, ValueError, RuntimeError) as exc:  # bad names, loops, no home
            raise _Refused(str(exc)) from None
        raise _Refused("not inside limits.image_folders")

    def _refusal(self) -> str:
        if self.folders:
            return f"{REFUSED} (or name a file inside the server's limits.image_folders)"
        return REFUSED


class _TooBig(Exception):
    pass


def _read_regular(path: Path, max_bytes: int, *, follow: bool) -> bytes:
    """Open without blocking, check on the open file that it is a regular one, and read at most
    max_bytes + 1 bytes: the size a stat reports can change, and a device reports none."""
    flags = _OPEN_FLAGS if follow else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        raise _Refused(getattr(exc, "strerror", None) or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("not a regular file")
        if info.st_size > max_bytes:
            raise _TooBig
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise _Refused(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if left <= 0:
        raise _TooBig
    return b"".join(chunks)
