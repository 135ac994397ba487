"""A cluster of three replicas behind HAProxy for tests/replicas (see cluster.py), started once
for the module on a PostgreSQL database of its own, dropped after. Skips with the reason when
haproxy, PostgreSQL or Redis is missing, so a machine without them still passes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from cluster import Cluster, cluster_config, create_database, drop_database, missing_parts

TENANTS = {
    "acme": {"requests_per_second": 1000, "burst": 1000},  # the load test is not throttled
    "throttled": {"requests_per_second": 0.01, "burst": 5},
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    missing = missing_parts()
    if missing is not None:
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("replicas")
    name, url = asyncio.run(create_database())
    running = Cluster(folder, name, url, cluster_config(folder, url, tenants=TENANTS))
    try:
        running.start_replicas(3)  # on the empty database, at once: they migrate it once
        running.start_balancer()
        yield running
    finally:
        running.stop()
        asyncio.run(drop_database(name))
