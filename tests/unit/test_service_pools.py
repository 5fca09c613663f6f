"""The queue client's small connection pools: as many connections in all as asked for, and every
one of them usable at once (a request never waits in a full pool while another has room)."""

from __future__ import annotations

import asyncio

from codearena.execution.pools import POOL_CONNECTIONS, PooledClient

from ..support import answer_ok


def test_the_connections_are_split_into_pools_no_larger_than_the_bound():
    client = PooledClient(2016, keepalive_expiry=2.0)
    try:
        sizes = [pool._transport._pool._max_connections for pool in client.clients]
        assert len(sizes) == 63 and set(sizes) == {POOL_CONNECTIONS}
        small = PooledClient(5, keepalive_expiry=2.0)
        assert [pool._transport._pool._max_connections for pool in small.clients] == [5]
        asyncio.run(small.aclose())
    finally:
        asyncio.run(client.aclose())


async def _held_requests(connections: int) -> tuple[list[str], int]:
    """`connections` requests at once, each held by the server until all have arrived: they can
    only all be answered if each found a free connection."""
    arrived = 0
    everyone_in = asyncio.Event()
    peers: set = set()

    async def hold_until_everyone_is_in() -> None:
        nonlocal arrived
        arrived += 1
        if arrived == connections:
            everyone_in.set()
        await everyone_in.wait()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.add(writer.get_extra_info("peername"))
        await answer_ok(reader, writer, hold_until_everyone_is_in)

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    client = PooledClient(connections, keepalive_expiry=2.0,
                          base_url=f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", timeout=30)
    try:
        async with asyncio.timeout(30):  # a request stuck behind a full pool would hold them all
            answers = await asyncio.gather(*(client.get("/") for _ in range(connections)))
        return [answer.text for answer in answers], len(peers)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


def test_every_connection_can_be_in_use_at_once():
    texts, connections_opened = asyncio.run(_held_requests(3 * POOL_CONNECTIONS - 5))
    assert texts == ["ok"] * (3 * POOL_CONNECTIONS - 5)
    assert connections_opened == 3 * POOL_CONNECTIONS - 5
