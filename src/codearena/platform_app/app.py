"""The platform API application: create_app() wires settings, database, execution and routes."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from .. import __version__
from ..common_settings import CommonSettings
from ..execution import ExecutionSettings, ExecutorBusy, compose
from ..languages import probe_installed_versions
from ..sandbox import Sandbox
from ..web.body_limit import BodySizeLimit
from ..web.errors import install_error_handlers
from .db import make_db_engine, migrate, session_factory
from .deps import ClientGone, Services
from .fairshare import InFlightRuns, TooManyRuns
from .judging import SubmissionJudge
from .problems import test_data_fetcher
from .routes import auth, execute, health, languages, modules, problems, submissions
from .web import mount_web_app
from .settings import PlatformSettings

log = logging.getLogger("codearena.platform_app")


def _rate_limiter(settings: PlatformSettings):
    """The limiter (None when no limit is set), the executions' limit, and the auth limits."""
    auth = {what: parse(text) for what, text in (("login", settings.login_rate_limit),
                                                 ("register", settings.register_rate_limit)) if text.strip()}
    executions = parse(settings.rate_limit) if settings.rate_limit.strip() else None
    if executions is None and not auth:
        return None, None, auth
    url = settings.rate_limit_storage_url
    # Redis through redis-py, the client the rest of CodeArena uses (limits defaults to coredis).
    options = {"implementation": "redispy"} if url.startswith(("redis://", "rediss://")) else {}
    storage = storage_from_string("async+" + url, **options)
    return MovingWindowRateLimiter(storage), executions, auth


def create_app(settings: PlatformSettings, execution: ExecutionSettings | None = None,
               sandbox: Sandbox | None = None, common: CommonSettings | None = None) -> FastAPI:
    execution = execution or ExecutionSettings()
    common = common or CommonSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_db_engine(settings.database_url)
        migrate(engine)
        sessions = session_factory(engine)
        runner = compose(execution, common.execution_service_token, sandbox, test_data_fetcher(sessions))
        if sandbox is None:  # a server of its own: clear what a killed predecessor left (tests share one)
            await run_in_threadpool(runner.direct.sweep_stale)
        limiter, rate_limit, auth_limits = _rate_limiter(settings)
        runs = InFlightRuns(settings.max_runs_per_user, settings.rate_limit_storage_url)
        judge = SubmissionJudge(sessions, runner, runs)
        app.state.services = Services(settings, common, engine, sessions, runner, judge, limiter, rate_limit,
                                      datetime.now(timezone.utc), runs, auth_limits)
        if settings.jwt_secret_generated:
            log.warning("JWT_SECRET is not set: this start made a random one, so every token issued now stops "
                        "working when the server restarts (and replicas do not accept each other's). Set "
                        "JWT_SECRET to a random value of 32+ characters to keep them.")
        log.info("platform server ready", extra={"mode": execution.mode, "database": engine.dialect.name,
                                                 "env": settings.node_env})
        await judge.resume_unfinished()
        # Each toolchain's version is probed once (kotlinc's JVM takes a second): in the background
        # now, so the first visitor's language list does not wait for all of them.
        warming = asyncio.create_task(asyncio.to_thread(probe_installed_versions), name="probe-versions")
        try:
            yield
        finally:
            await asyncio.gather(warming, return_exceptions=True)
            await judge.stop()
            await runner.aclose()
            await runs.aclose()
            engine.dispose()

    # FastAPIOffline: /docs and /redoc with their scripts served from here, not from a CDN.
    app = FastAPIOffline(title="CodeArena", version=__version__, lifespan=lifespan,
                  description="Coding-practice platform API. Authenticate with POST /api/auth/login, "
                              "then send `Authorization: Bearer TOKEN`.")
    for module in (auth, execute, problems, submissions, modules, health, languages):
        app.include_router(module.router)
    app.include_router(health.probes)
    mount_web_app(app)

    install_error_handlers(app)

    @app.exception_handler(ClientGone)
    async def _client_gone(_request: Request, _exc: ClientGone):
        return Response(status_code=499)  # nginx's "client closed request": nobody reads it

    @app.exception_handler(TooManyRuns)
    async def _too_many_runs(_request: Request, exc: TooManyRuns):
        return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(ExecutorBusy)
    async def _busy(_request: Request, exc: ExecutorBusy):
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": str(exc.retry_after)})

    if settings.allowed_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_methods=["*"],
                           allow_headers=["*"], allow_credentials="*" not in settings.allowed_origins)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
