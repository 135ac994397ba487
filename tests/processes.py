"""Helpers for tests that start real processes (imported by tests; pytest puts tests/ on the path)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("agent-router"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
