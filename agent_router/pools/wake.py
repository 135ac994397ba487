"""Waking a cold endpoint (an HTTP call, or starting its server process) and putting an idle
one back to sleep; the wake time measured here is the endpoint's cold-start time."""

from __future__ import annotations

import asyncio
import tempfile
import time
from urllib.parse import urlparse

import httpx

from ..config.pools import CommandWake, HttpCall, HttpWake
from .endpoint import Endpoint, EndpointState
from .health import probe

POLL_S = 0.05


class WakeFailed(Exception):
    pass


def _target(call: HttpCall, endpoint: Endpoint) -> str:
    return call.url if call.url is not None else f"{endpoint.root_url}{call.path}"


async def wake(client: httpx.AsyncClient, endpoint: Endpoint) -> float:
    """Wake and wait until the health check passes; returns the seconds it took."""
    spec = endpoint.pool.wake
    assert spec is not None, "callers check can_wake"
    started = time.monotonic()
    endpoint.set_state(EndpointState.waking, "waking")
    try:
        if isinstance(spec, HttpWake):
            try:
                response = await client.request(
                    spec.wake.method, _target(spec.wake, endpoint), timeout=spec.ready_timeout_s
                )
            except httpx.HTTPError as exc:
                raise WakeFailed(f"wake call failed: {exc.__class__.__name__}: {exc}") from None
            if response.status_code >= 400:
                raise WakeFailed(f"wake call answered {response.status_code}: {response.text[:120]}")
        else:
            await _start_process(endpoint, spec)
        await _until_ready(client, endpoint, spec.ready_timeout_s, started)
    except WakeFailed as exc:
        endpoint.set_state(EndpointState.unhealthy, f"wake failed: {exc}")
        raise
    took = time.monotonic() - started
    endpoint.cold_starts.append(took)
    endpoint.last_used = time.monotonic()
    endpoint.set_state(EndpointState.warm, f"woken in {took:.2f}s")
    return took


async def _start_process(endpoint: Endpoint, spec: CommandWake) -> None:
    if endpoint.process is not None and endpoint.process.returncode is None:
        return
    parsed = urlparse(endpoint.base_url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    argv = [a.format(host=parsed.hostname, port=port) for a in spec.argv]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process it logs
    try:
        endpoint.process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
        )
    except OSError as exc:
        raise WakeFailed(f"cannot start {argv[0]!r}: {exc.strerror}") from None
    endpoint.process_log = log


async def _until_ready(client: httpx.AsyncClient, endpoint: Endpoint, limit_s: float, started: float) -> None:
    while time.monotonic() - started < limit_s:
        process = endpoint.process
        if process is not None and process.returncode is not None:
            raise WakeFailed(f"the server process exited with {process.returncode}: {_log_tail(endpoint)}")
        result = await probe(client, endpoint)
        if result.state is EndpointState.warm:
            return
        await asyncio.sleep(POLL_S)
    raise WakeFailed(f"not ready within {limit_s:g}s (wake.ready_timeout_s)")


def _log_tail(endpoint: Endpoint) -> str:
    log = endpoint.process_log
    if log is None:
        return ""
    log.seek(0)
    return log.read()[-400:].decode(errors="replace").strip()


async def put_to_sleep(client: httpx.AsyncClient, endpoint: Endpoint) -> None:
    """Drain, then sleep over HTTP or stop the process this pool started."""
    spec = endpoint.pool.wake
    endpoint.set_state(EndpointState.draining, "idle: draining before sleep")
    while endpoint.in_flight:
        await asyncio.sleep(POLL_S)
    if isinstance(spec, HttpWake) and spec.sleep is not None:
        try:
            await client.request(spec.sleep.method, _target(spec.sleep, endpoint), timeout=30)
        except httpx.HTTPError as exc:
            endpoint.set_state(EndpointState.unhealthy, f"sleep call failed: {exc}")
            return
    elif isinstance(spec, CommandWake):
        await stop_process(endpoint)
    endpoint.set_state(EndpointState.cold, "idle: put to sleep")


async def stop_process(endpoint: Endpoint) -> None:
    process = endpoint.process
    if process is None or process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        process.kill()
        await process.wait()
    endpoint.process = None
    if endpoint.process_log is not None:
        endpoint.process_log.close()
        endpoint.process_log = None
