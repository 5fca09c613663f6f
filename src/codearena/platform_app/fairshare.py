"""Fair share: how many runs one user may have in progress at once, across every server replica.

A program that sleeps uses no CPU but holds a sandbox slot for its whole wall limit; without a
cap, one account could hold them all. Each run in progress is an entry (a random id with an
expiry, so a replica that dies mid-run cannot leave a user locked out): in this process's memory,
or in a Redis sorted set per user when RATE_LIMIT_STORAGE_URL is a Redis URL (replicas share it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator

import redis.asyncio as aioredis

ENTRY_TTL = 15 * 60  # seconds: longer than any run (the largest budget is a few minutes)

# KEYS[1] the user's set; ARGV: now, expires_at, cap, entry id. Drops expired entries, then adds
# this one if the user is under the cap. 1 if admitted, else 0.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) - tonumber(ARGV[1])))
return 1
"""


class TooManyRuns(Exception):
    def __init__(self, cap: int):
        super().__init__(f"you already have {cap} run{'s' if cap != 1 else ''} in progress; "
                         "wait for one to finish, then try again")
        self.cap = cap
        self.retry_after = 1


class InFlightRuns:
    """`async with runs.slot(user_id):` around a run; raises TooManyRuns over the cap, or waits
    for a free place with `wait=True` (judging a stored submission: accepted work is never refused)."""

    def __init__(self, cap: int, storage_url: str = "memory://", prefix: str = "codearena:inflight"):
        self.cap = cap
        self.prefix = prefix
        self._redis = aioredis.from_url(storage_url) if storage_url.startswith(("redis://", "rediss://")) else None
        self._acquire = self._redis.register_script(_ACQUIRE) if self._redis else None
        self._local: dict[int, set[str]] = {}

    @asynccontextmanager
    async def slot(self, user_id: int, wait: bool = False, poll: float = 0.25) -> AsyncIterator[None]:
        entry = uuid.uuid4().hex
        while not await self._try_acquire(user_id, entry):
            if not wait:
                raise TooManyRuns(self.cap)
            await asyncio.sleep(poll)
        try:
            yield
        finally:
            await self._release(user_id, entry)

    async def _try_acquire(self, user_id: int, entry: str) -> bool:
        if self.cap <= 0:
            return True  # no cap configured
        if self._redis is None:
            held = self._local.setdefault(user_id, set())
            if len(held) >= self.cap:
                return False
            held.add(entry)
            return True
        now = time.time()
        return bool(await self._acquire(keys=[self._key(user_id)], args=[now, now + ENTRY_TTL, self.cap, entry]))

    async def _release(self, user_id: int, entry: str) -> None:
        if self.cap <= 0:
            return
        if self._redis is None:
            held = self._local.get(user_id, set())
            held.discard(entry)
            if not held:
                self._local.pop(user_id, None)
            return
        await self._redis.zrem(self._key(user_id), entry)

    def _key(self, user_id: int) -> str:
        return f"{self.prefix}:{user_id}"

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
