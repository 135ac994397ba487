"""Three `agent-router serve --http` replicas behind HAProxy, sharing PostgreSQL and Redis
(cluster.py): any replica answers any request. The tests run in this order; the last one
kills one replica and drains another."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid

import asyncpg
import httpx
from cluster import Cluster, keyed_client, turn

TURNS_PER_CLIENT = 12
CLIENTS = 8


async def test_a_session_written_through_one_replica_reads_through_the_others(cluster: Cluster) -> None:
    key = cluster.new_key("acme")
    session = f"s-{uuid.uuid4().hex[:8]}"
    first, *others = cluster.replicas
    async with keyed_client(first.url, key) as client:
        routed = await client.call_tool(
            "route_turn", turn("Why does this loop raise IndexError?", session, "t1")
        )
    assert not routed.is_error and routed.structured_content["memory"].startswith("recorded")
    for replica in others:
        async with keyed_client(replica.url, key) as client:
            read = await client.read_resource(f"session://{session}")
        assert "IndexError" in json.loads(read.contents[0].text)["turns"][0]["messages"][0]["text"]


async def test_a_key_created_after_the_start_works_on_every_replica(cluster: Cluster) -> None:
    key = cluster.new_key("globex")  # through the CLI, on the shared database
    for replica in cluster.replicas:
        async with keyed_client(replica.url, key) as client:
            listed = await client.list_tools()
        assert "route_turn" in {t.name for t in listed.tools}
    refused = httpx.post(cluster.url, json={}, headers={"Authorization": "Bearer nope"}, timeout=30)
    assert refused.status_code == 401


async def test_a_tenants_rate_limit_holds_across_replicas(cluster: Cluster) -> None:
    """tenants.throttled: burst 5, then 0.01 a second: of 9 calls through 3 replicas, 5 pass."""
    key = cluster.new_key("throttled")
    outcomes = []
    for i in range(9):
        replica = cluster.replicas[i % 3]
        async with keyed_client(replica.url, key) as client:
            result = await client.call_tool("route_turn", {"messages": [{"role": "user", "content": "hi"}]})
        outcomes.append(result.is_error)
        if result.is_error:
            assert "tenants.throttled.requests_per_second" in result.content[0].text  # type: ignore[union-attr]
    assert outcomes.count(False) == 5, outcomes


async def test_older_clients_keep_their_session_on_one_replica(cluster: Cluster) -> None:
    """A client of the older handshake holds a session in the replica that answered its
    initialize; HAProxy's stick table on Mcp-Session-Id sends its later requests there (round
    robin alone would send the second to another replica, which does not know the session)."""
    key = cluster.new_key("acme")
    async with keyed_client(cluster.url, key, mode="legacy") as client:
        for n in range(4):
            result = await client.call_tool(
                "route_turn", {"messages": [{"role": "user", "content": f"hi {n}"}]}
            )
            assert not result.is_error, result.content


async def test_probes_answer_without_a_key(cluster: Cluster) -> None:
    base = cluster.url.removesuffix("/mcp")
    assert httpx.get(f"{base}/healthz", timeout=30).json() == {"status": "alive"}
    ready = httpx.get(f"{base}/readyz", timeout=30)
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_no_acknowledged_turn_is_lost_or_recorded_twice_when_replicas_die_or_drain(
    cluster: Cluster,
) -> None:
    """8 clients route 12 turns each through HAProxy, retrying a turn with the same turn_id until
    it is acknowledged (recorded); meanwhile one replica is killed (SIGKILL) and another drained
    (SIGTERM). Every acknowledged turn is in PostgreSQL exactly once."""
    key = cluster.new_key("acme")
    acknowledged: list[tuple[str, str]] = []
    retries = 0
    killed, drained = cluster.replicas[0], cluster.replicas[1]

    async def route(session: str, turn_id: str) -> None:
        nonlocal retries
        for _ in range(40):
            try:
                async with keyed_client(cluster.url, key) as client:
                    result = await client.call_tool(
                        "route_turn", turn(f"turn {turn_id}: fix my code", session, turn_id)
                    )
                if not result.is_error and (result.structured_content or {}).get("memory", "").startswith(
                    ("recorded", "already recorded")
                ):
                    acknowledged.append((session, turn_id))
                    return
            except Exception:  # noqa: BLE001 - a replica went away mid-request: retry
                pass
            retries += 1
            await asyncio.sleep(0.2)
        raise AssertionError(f"turn {turn_id} never acknowledged")

    async def client_loop(n: int) -> None:
        session = f"load-{uuid.uuid4().hex[:8]}"
        for t in range(TURNS_PER_CLIENT):
            await route(session, f"c{n}-t{t}")

    async def disrupt() -> None:
        while len(acknowledged) < CLIENTS * 2:
            await asyncio.sleep(0.05)
        killed.proc.send_signal(signal.SIGKILL)
        while len(acknowledged) < CLIENTS * 5:
            await asyncio.sleep(0.05)
        drained.proc.send_signal(signal.SIGTERM)

    await asyncio.gather(disrupt(), *(client_loop(n) for n in range(CLIENTS)))
    assert await asyncio.to_thread(killed.proc.wait, 60) == -signal.SIGKILL
    assert await asyncio.to_thread(drained.proc.wait, 60) == 0, drained.log_file.read_text()[-2000:]

    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{cluster.db_name}")
    try:
        rows = await connection.fetch(
            "SELECT s.id AS session, t.turn_key, count(*) AS n FROM turns t "
            "JOIN sessions s ON s.id = t.session_id WHERE t.turn_key LIKE 'c%-t%' "
            "GROUP BY s.id, t.turn_key"
        )
    finally:
        await connection.close()
    stored = {(r["session"].partition("#")[2], r["turn_key"]): r["n"] for r in rows}
    assert len(acknowledged) == CLIENTS * TURNS_PER_CLIENT
    assert all(stored.get(ack) == 1 for ack in acknowledged), (acknowledged, stored)
    assert set(stored.values()) == {1}
    print(f"{len(acknowledged)} turns acknowledged, {retries} retries, {len(stored)} stored once each")
