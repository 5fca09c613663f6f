"""GET /submissions (admin): every Judge0 submission, newest first, a page at a time.

A sorted set of tokens scored by creation time, beside the jobs themselves. Jobs expire on their
own (JUDGE0_SUBMISSION_TTL after they finish), so the set is trimmed as it is read: entries older
than any submission can live, and tokens of a page whose job is already gone.
"""

from __future__ import annotations

import math
import time

import redis.asyncio as aioredis

from ...service.store import QUEUED_TTL

MAX_PER_PAGE = 1000


class SubmissionIndex:
    def __init__(self, client: aioredis.Redis, key: str, submission_ttl: int):
        self.client = client
        self.key = key
        self.longest_life = submission_ttl + QUEUED_TTL  # queued at most that long, then kept this long

    async def add(self, token: str) -> None:
        await self.client.zadd(self.key, {token: time.time()})

    async def remove(self, *tokens: str) -> None:
        if tokens:
            await self.client.zrem(self.key, *tokens)

    async def page(self, page: int, per_page: int) -> tuple[list[str], int]:
        """The tokens of one page (1-based, newest first) and how many there are in all."""
        await self.client.zremrangebyscore(self.key, "-inf", time.time() - self.longest_life)
        start = (page - 1) * per_page
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zrevrange(self.key, start, start + per_page - 1)
            pipe.zcard(self.key)
            tokens, total = await pipe.execute()
        return tokens, total


def pagination(page: int, per_page: int, total: int) -> dict:
    """will_paginate's meta, as Judge0 answers it."""
    pages = math.ceil(total / per_page) if per_page else 0
    return {"current_page": page, "next_page": page + 1 if page < pages else None,
            "prev_page": page - 1 if page > 1 else None, "total_pages": pages, "total_count": total}
