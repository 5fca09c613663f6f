"""One HTTP client to the execution service, over several small connection pools.

httpcore's pool goes over all its connections and all its waiting requests each time a request
starts or ends. Queue mode holds a connection per job in flight for the whole wait (up to
EXECUTION_QUEUE_CONCURRENCY of them), so with one pool that scan grew with the load: under 3,000
concurrent users it was 84% of the platform's CPU (py-spy), 19 ms per request. Pools of at most
POOL_CONNECTIONS keep every scan short. A request goes to the pool with the fewest requests in
flight: the pools fill evenly, so one has room whenever the whole has.
"""

from __future__ import annotations

import math

import httpx

POOL_CONNECTIONS = 32


class PooledClient:
    """httpx.AsyncClient's request/get/delete/aclose for `connections` connections in all."""

    def __init__(self, connections: int, *, keepalive_expiry: float, **client_options):
        count = max(1, math.ceil(connections / POOL_CONNECTIONS))
        per_pool = math.ceil(connections / count)
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool,
                              keepalive_expiry=keepalive_expiry)
        self.clients = [httpx.AsyncClient(limits=limits, **client_options) for _ in range(count)]
        self.in_flight = [0] * count

    async def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        chosen = min(range(len(self.clients)), key=self.in_flight.__getitem__)
        self.in_flight[chosen] += 1
        try:
            return await self.clients[chosen].request(method, url, **kwargs)
        finally:
            self.in_flight[chosen] -= 1

    async def get(self, url: str, **kwargs) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def delete(self, url: str, **kwargs) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
