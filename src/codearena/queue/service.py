"""`codearena execution-service`: the HTTP front of the queue (port 3001).

POST /jobs, GET /jobs/{id}[?wait=S], DELETE /jobs/{id}, GET /health, /metrics, /languages, and
the Judge0 CE API under /judge0 (codearena.judge0). Every request needs the shared service token
(`Authorization: Bearer TOKEN` or `X-Service-Token: TOKEN`), or for /judge0 Judge0's own
X-Auth-Token (by default the same token): this is never an open code runner. Redis unreachable:
503 with Retry-After, within seconds, never a 500 or a hang.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from contextlib import asynccontextmanager

import redis
import redis.asyncio as aioredis
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from .. import __version__
from ..engine.checkers import UnknownChecker
from ..execution.direct import shorten
from ..judge0 import Judge0Background, Judge0Settings, install as install_judge0
from ..languages import LANGUAGES, UnknownLanguage, get_language, supported_ids
from ..http_errors import install_error_handlers
from ..validation import invalid_text_path
from ..middleware import BodySizeLimit
from .broker import BacklogFull, JobExists, ServiceStore, new_job_id, redis_options
from .metrics import exposition
from .protocol import JobCreated, JobRecord, JobRequest
from .settings import QueueSettings
from .waiters import Waiters, wait_for_job

log = logging.getLogger("codearena.queue.service")
MAX_WAIT_SECONDS = 60.0
JUDGE0_PREFIX = "/judge0"
REDIS_POOL_SIZE = 256
REDIS_POOL_TIMEOUT = 20  # seconds a request may wait for a pooled Redis connection
REDIS_DOWN_RETRY_AFTER = 5


class MissingServiceToken(ValueError):
    pass


class ServiceTokenGate:
    """Every request, whatever its path (unknown ones included), needs the token: 401 otherwise.
    `own_auth_prefix`: a path prefix whose routes authenticate callers themselves (the Judge0 API)."""

    def __init__(self, app, token: str, own_auth_prefix: str | None = None):
        self.app = app
        self.expected = token.encode()
        self.own_auth_prefix = own_auth_prefix

    def _own_auth(self, path: str) -> bool:
        prefix = self.own_auth_prefix
        return prefix is not None and (path == prefix or path.startswith(prefix + "/"))

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


def validate_request(body: JobRequest, settings: QueueSettings) -> float:
    """Reject what a worker could not run, with a message that says what to fix; returns the job's
    time budget (seconds), from which the reclaim timeout derives."""
    try:
        get_language(body.language)
    except UnknownLanguage:
        raise HTTPException(422, f"unknown language {body.language!r}; supported: {', '.join(supported_ids())}") from None
    try:
        body.checker.to_config().validate()
    except (UnknownChecker, UnknownLanguage) as exc:
        raise HTTPException(422, f"checker: {exc}") from None
    if (where := invalid_text_path(body.model_dump())) is not None:
        raise HTTPException(422, f"{where} holds a lone UTF-16 surrogate, which is not Unicode text; send valid UTF-8")
    if body.kind == "judge" and not body.tests:
        raise HTTPException(422, "a judge job needs at least one test in `tests`")
    if len(body.tests) > settings.max_tests:
        raise HTTPException(413, f"{len(body.tests)} tests; the limit is {settings.max_tests}")
    for what, text, limit in [("source", body.source, settings.max_code_bytes),
                              ("stdin", body.stdin, settings.max_input_bytes),
                              *[(f"test {t.name}", t.input, settings.max_input_bytes) for t in body.tests]]:
        if len(text.encode()) > limit:
            raise HTTPException(413, f"{what} is {len(text.encode())} bytes; the limit is {limit} bytes")
    return body.to_job().budget_seconds()


def create_service_app(settings: QueueSettings, judge0_settings: Judge0Settings | None = None) -> FastAPI:
    judge0_settings = judge0_settings if judge0_settings is not None else Judge0Settings()
    if not settings.execution_service_token:
        raise MissingServiceToken("EXECUTION_SERVICE_TOKEN must be set: the execution service never runs code "
                                  "for callers without the shared token")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # A blocking pool: a burst of more requests than connections waits for one (up to
        # REDIS_POOL_TIMEOUT) instead of failing with "Too many connections".
        pool = aioredis.BlockingConnectionPool.from_url(settings.redis_url, max_connections=REDIS_POOL_SIZE,
                                                        timeout=REDIS_POOL_TIMEOUT, **redis_options(asynchronous=True))
        client = aioredis.Redis(connection_pool=pool)
        store = ServiceStore(client, settings)
        waiters = Waiters(client, store.keys.done_channel)
        app.state.store, app.state.waiters, app.state.started = store, waiters, time.time()
        try:
            await store.ensure_groups()
        except redis.ConnectionError as exc:
            log.warning("[EXEC-SERVICE] Redis unreachable at start (%s); answering 503 until it is back", exc)
        waiters.start()
        judge0_background = Judge0Background(store, judge0_settings) if judge0_settings.enabled else None
        if judge0_background:
            judge0_background.start()
        log.info("[EXEC-SERVICE] ready", extra={"redis": settings.redis_url.split("@")[-1],
                                                "prefix": settings.queue_prefix, "judge0": judge0_settings.enabled})
        try:
            yield
        finally:
            if judge0_background:
                await judge0_background.close()
            await waiters.close()
            await client.aclose()

    app = FastAPI(title="CodeArena execution service", version=__version__, lifespan=lifespan,
                  description="Jobs for the workers. Every request needs the service token.")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)  # inside the gate: read after auth
    app.add_middleware(ServiceTokenGate, token=settings.execution_service_token,
                       own_auth_prefix=JUDGE0_PREFIX if judge0_settings.enabled else None)
    if judge0_settings.enabled:
        install_judge0(app, judge0_settings, settings, JUDGE0_PREFIX)

    def store_of(request: Request) -> ServiceStore:
        return request.app.state.store

    @app.exception_handler(redis.RedisError)
    async def _redis_down(_request: Request, exc: redis.RedisError):
        log.warning("[EXEC-SERVICE] Redis error: %s", exc)
        return JSONResponse({"detail": "the job store (Redis) is unreachable; retry shortly"}, status_code=503,
                            headers={"Retry-After": str(REDIS_DOWN_RETRY_AFTER)})

    install_error_handlers(app)

    async def wait_for(request: Request, job_id: str, seconds: float, future=None) -> JobRecord | None:
        return await wait_for_job(store_of(request), request.app.state.waiters, job_id, seconds, future)

    def as_json(model, status_code: int = 200, headers: dict | None = None) -> Response:
        # Serialized once, straight from the model (a response_model would validate it again).
        return Response(model.model_dump_json(), status_code=status_code, headers=headers,
                        media_type="application/json")

    @app.post("/jobs", status_code=202, response_model=JobRecord | JobCreated,
              responses={503: {"description": "backlog full or Redis down; see Retry-After"}})
    async def submit(body: JobRequest, request: Request,
                     wait: float = Query(0, ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the result"),
                     chosen_id: str | None = Query(None, alias="id", pattern="^[0-9a-f]{32}$",
                                                   description="the job's id, chosen by the client (32 lowercase hex "
                                                               "digits, e.g. a UUID4's), so that it can cancel the job "
                                                               "before this answer arrives; default: a new one")):
        """202 with the job's id (or, with `wait`, its record: 200 once done)."""
        budget = validate_request(body, settings)
        job_id = chosen_id or new_job_id()
        # Registered before the job exists: its result cannot be published unseen.
        future = request.app.state.waiters.register(job_id) if wait else None
        try:
            await store_of(request).submit(body, budget, job_id)
        except JobExists:
            request.app.state.waiters.unregister(job_id, future)
            raise HTTPException(409, f"a job with id {job_id} exists; choose another id") from None
        except BacklogFull as exc:
            request.app.state.waiters.unregister(job_id, future)
            raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after),
                                                        "X-Queue-Full": "true"}) from None
        except BaseException:
            if future is not None:
                request.app.state.waiters.unregister(job_id, future)
            raise
        log.info("[EXEC-SERVICE] job %s queued: %s %s (%s): %s", job_id, body.kind, body.language,
                 body.effective_priority, shorten(body.source))
        headers = {"Location": f"/jobs/{job_id}"}
        if wait:
            record = await wait_for(request, job_id, wait, future)
            if record is not None:
                return as_json(record, 200 if record.state in ("done", "cancelled") else 202, headers)
        return as_json(JobCreated(id=job_id, state="queued"), 202, headers)

    @app.get("/jobs/{job_id}", response_model=JobRecord, responses={404: {"description": "unknown or expired"}})
    async def read(job_id: str, request: Request,
                   wait: float = Query(0, ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the result")):
        record = await (wait_for(request, job_id, wait) if wait else store_of(request).record(job_id))
        if record is None:
            raise HTTPException(404, f"job {job_id} does not exist (or its result expired)")
        return as_json(record)

    @app.delete("/jobs/{job_id}", responses={202: {"description": "running: its worker stops it (it ends as IE)"},
                                              409: {"description": "already finished"}})
    async def cancel(job_id: str, request: Request, response: Response) -> dict:
        """A queued job is cancelled; a running one is stopped by its worker."""
        state = await store_of(request).cancel(job_id)
        if state == "missing":
            raise HTTPException(404, f"job {job_id} does not exist (or its result expired)")
        if state == "stopping":
            log.info("[EXEC-SERVICE] job %s is running: its worker stops it", job_id)
            response.status_code = 202
            return {"id": job_id, "state": "stopping"}
        if state != "cancelled":
            raise HTTPException(409, f"job {job_id} is {state}; it can no longer be cancelled")
        log.info("[EXEC-SERVICE] job %s cancelled", job_id)
        return {"id": job_id, "state": "cancelled"}

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        store = store_of(request)
        try:
            await store.client.ping()
            backlog, workers = await store.backlog(), await store.workers()
        except (redis.RedisError, OSError):
            return JSONResponse({"status": "unhealthy", "redis": "disconnected", "workers": 0, "backlog": None},
                                status_code=503, headers={"Retry-After": str(REDIS_DOWN_RETRY_AFTER)})
        return JSONResponse({
            "status": "healthy", "redis": "connected", "workers": len(workers),
            "slots": sum(w.get("concurrency", 0) for w in workers), "backlog": backlog,
            "maxBacklog": settings.queue_max_backlog, "uptime": round(time.time() - request.app.state.started, 3),
        })

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics(request: Request) -> PlainTextResponse:
        store = store_of(request)
        text = exposition(await store.metrics(), await store.backlog(), len(await store.workers()))
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    @app.get("/languages")
    def languages() -> list[dict]:  # sync: the first call probes the toolchains (in a thread)
        return [{"id": lang.id, "name": lang.name, "version": lang.version(), "aliases": list(lang.aliases),
                 "extensions": list(lang.extensions)} for lang in LANGUAGES if lang.available()]

    return app
