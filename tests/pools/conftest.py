"""Pool tests talk to real OpenAI-compatible servers over loopback: the test double in
openai_double.py run as subprocesses, shared across the session and reset between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from doubles import Double, start_double, wait_until_up


@pytest.fixture(scope="session")
def doubles() -> Iterator[dict[str, Double]]:
    """Four warm servers: a, b and c for fallbacks and load, and s for sleep mode."""
    started = {n: start_double(n, wait=False) for n in "abcs"}
    for double in started.values():
        wait_until_up(double.root, double.proc)
    yield started
    for double in started.values():
        double.stop()


@pytest.fixture
def fresh(doubles: dict[str, Double]) -> dict[str, Double]:
    for double in doubles.values():
        double.reset()
    return doubles
