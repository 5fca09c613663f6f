"""`codearena execution-service`: the HTTP front of the queue (port 3001).

Every request needs the shared service token (`Authorization: Bearer TOKEN` or
`X-Service-Token: TOKEN`), except under the prefix of a front end that authenticates its own
callers (an Extension, such as the Judge0 API that codearena.assembly mounts): this is never an
open code runner. Redis unreachable: 503 with Retry-After, within seconds, never a 500 or a hang.
"""

from __future__ import annotations

import hmac
import logging
import time
from contextlib import asynccontextmanager
from typing import Protocol, Sequence

import redis
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .. import __version__
from ..common_settings import CommonSettings
from ..web.body_limit import BodySizeLimit
from ..web.errors import install_error_handlers
from .metrics import ServiceMetrics
from .routes import REDIS_DOWN_RETRY_AFTER, router
from .settings import QueueSettings, ServiceSettings
from .state import ServiceState
from .store import ServiceStore, redis_options
from .waiters import Waiters

log = logging.getLogger("codearena.service")
REDIS_POOL_SIZE = 256
REDIS_POOL_TIMEOUT = 20  # seconds a request may wait for a pooled Redis connection


class MissingServiceToken(ValueError):
    pass


class Extension(Protocol):
    """Another API served beside the job API, under `prefix`, converting into jobs (an adapter).
    It authenticates its own callers; it starts and stops with the app."""

    prefix: str

    def install(self, app: FastAPI) -> None: ...

    async def start(self, state: ServiceState) -> None: ...

    async def close(self) -> None: ...


PROBE_PATHS = frozenset({"/livez", "/readyz"})


class ServiceTokenGate:
    """Every request, whatever its path (unknown ones included), needs the token: 401 otherwise.
    `own_auth_prefixes`: path prefixes whose routes authenticate callers themselves."""

    def __init__(self, app, token: str, own_auth_prefixes: Sequence[str] = ()):
        self.app = app
        self.expected = token.encode()
        self.own_auth_prefixes = tuple(own_auth_prefixes)

    def _own_auth(self, path: str) -> bool:
        if path in PROBE_PATHS:  # liveness and readiness for orchestrators: they say ok or not, nothing more
            return True
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.own_auth_prefixes)

    def _allowed(self, headers: dict[bytes, bytes]) -> bool:
        given = headers.get(b"x-service-token")
        authorization = headers.get(b"authorization", b"")
        if given is None and authorization[:7].lower() == b"bearer ":
            given = authorization[7:]
        return bool(given) and hmac.compare_digest(given, self.expected)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not self._own_auth(scope["path"]) and not self._allowed(dict(scope["headers"])):
            response = JSONResponse({"detail": "a valid service token is required "
                                               "(Authorization: Bearer TOKEN or X-Service-Token: TOKEN)"},
                                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_service_app(queue: QueueSettings, service: ServiceSettings | None = None,
                       common: CommonSettings | None = None, extensions: Sequence[Extension] = ()) -> FastAPI:
    service = service or ServiceSettings()
    common = common or CommonSettings()
    token = common.execution_service_token
    if not token:
        raise MissingServiceToken("EXECUTION_SERVICE_TOKEN must be set: the execution service never runs code "
                                  "for callers without the shared token")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # A blocking pool: a burst of more requests than connections waits for one (up to
        # REDIS_POOL_TIMEOUT) instead of failing with "Too many connections".
        pool = aioredis.BlockingConnectionPool.from_url(queue.redis_url, max_connections=REDIS_POOL_SIZE,
                                                        timeout=REDIS_POOL_TIMEOUT, **redis_options(asynchronous=True))
        client = aioredis.Redis(connection_pool=pool)
        store = ServiceStore(client, queue)
        waiters = Waiters(client, store.keys.done_channel, store.keys.tested_channel)
        state = app.state.service = ServiceState(queue, service, common, store, waiters, ServiceMetrics(), time.time())
        try:
            await store.ensure_groups()
        except redis.ConnectionError as exc:
            log.warning("[EXEC-SERVICE] Redis unreachable at start (%s); answering 503 until it is back", exc)
        waiters.start()
        for extension in extensions:
            await extension.start(state)
        log.info("[EXEC-SERVICE] ready", extra={"redis": queue.redis_url.split("@")[-1], "prefix": queue.queue_prefix,
                                                "extensions": [e.prefix for e in extensions]})
        try:
            yield
        finally:
            for extension in extensions:
                await extension.close()
            await waiters.close()
            await client.aclose()

    app = FastAPI(title="CodeArena execution service", version=__version__, lifespan=lifespan,
                  description="Jobs for the workers. Every request needs the service token.")
    app.add_middleware(BodySizeLimit, max_bytes=service.max_body_bytes)  # inside the gate: read after auth
    app.add_middleware(ServiceTokenGate, token=token, own_auth_prefixes=[e.prefix for e in extensions])
    app.include_router(router)  # first: routes are matched in order, and the job API is the busiest
    for extension in extensions:
        extension.install(app)

    @app.exception_handler(redis.RedisError)
    async def _redis_down(_request: Request, exc: redis.RedisError):
        log.warning("[EXEC-SERVICE] Redis error: %s", exc)
        return JSONResponse({"detail": "the job store (Redis) is unreachable; retry shortly"}, status_code=503,
                            headers={"Retry-After": str(REDIS_DOWN_RETRY_AFTER)})

    install_error_handlers(app)
    return app
