"""The Piston v2 API as an extension of the execution service, under /piston: Piston's clients
take `http://HOST:3001/piston` as their server. It authenticates its own callers: open unless
PISTON_AUTH_TOKEN is set (Piston's clients send no credentials; docs/piston.md)."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ...service.state import ServiceState
from .context import PistonContext
from .request import PistonError
from .routes import router
from .settings import PistonSettings


class PistonExtension:
    prefix = "/piston"

    def __init__(self, settings: PistonSettings):
        self.context = PistonContext(settings)

    def install(self, app: FastAPI) -> None:
        app.state.piston = self.context
        app.include_router(router, prefix=self.prefix)

        @app.exception_handler(PistonError)
        async def _error(_request: Request, exc: PistonError) -> Response:
            return JSONResponse({"message": str(exc)}, status_code=exc.status)

    async def start(self, state: ServiceState) -> None:
        self.context.state = state

    async def close(self) -> None:
        return None
