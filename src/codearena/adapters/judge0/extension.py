"""The Judge0 API as an extension of the execution service: mounted under its prefix with its
own auth (codearena.assembly does it), callbacks delivered in the background."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request, Response

from ...common_settings import CommonSettings
from ...service.settings import QueueSettings
from ...service.state import ServiceState
from .callbacks import CallbackDispatcher, CallbackGuard
from .catalog import language_list
from .context import Judge0Context
from .index import SubmissionIndex
from .routes import Judge0Denied, router
from .settings import Judge0Settings


class Judge0Extension:
    prefix = "/judge0"

    def __init__(self, settings: Judge0Settings, queue: QueueSettings, common: CommonSettings):
        service_token = common.execution_service_token or ""
        authn = (settings.authn_token or "").split() or ([] if settings.allow_anonymous else [service_token])
        self.context = Judge0Context(settings, queue, common, CallbackGuard(settings), authn,
                                     (settings.authz_token or "").split())
        self._callbacks: CallbackDispatcher | None = None
        self._warm_up: asyncio.Future | None = None

    def install(self, app: FastAPI) -> None:
        app.state.judge0 = self.context
        app.include_router(router, prefix=self.prefix)

        @app.exception_handler(Judge0Denied)
        async def _denied(_request: Request, exc: Judge0Denied) -> Response:
            return Response(status_code=exc.status_code)  # empty, as Judge0 answers

    async def start(self, state: ServiceState) -> None:
        self.context.state = state
        self.context.index = SubmissionIndex(state.store.client, state.store.keys.scoped("judge0:submissions"),
                                             self.context.settings.submission_ttl)
        self._callbacks = CallbackDispatcher(state.store, self.context.settings)
        self._callbacks.start()
        # The toolchains' version probe, at start in a thread, not in a first request.
        self._warm_up = asyncio.ensure_future(asyncio.to_thread(language_list))

    async def close(self) -> None:
        if self._callbacks is not None:
            await self._callbacks.close()
        if self._warm_up is not None:
            await asyncio.gather(self._warm_up, return_exceptions=True)
