"""The web app at `/`: one page and its assets, served by the platform itself (no CDN), under a
Content-Security-Policy that allows scripts, styles and requests from this origin only.

The page keeps the API token in sessionStorage and sends it as `Authorization: Bearer`: no
cookie carries it, so a cross-site request never arrives authenticated (nothing to forge), and
it is gone when the tab closes. Program output and statements are inserted as text, never as
HTML; the CSP forbids inline scripts, so even a bug there would not run injected code.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}

# /docs and /redoc: FastAPI's pages run inline scripts and ReDoc a blob: worker; and ReDoc would
# fetch its logo from its CDN: the policy keeps every request on this origin.
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc", "/static-offline-docs/")

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


class _SecuredStatic(StaticFiles):
    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


class DocsPolicy:
    """Adds DOCS_CSP to the API documentation's pages and assets."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(DOCS_PATHS):
            await self.app(scope, receive, send)
            return

        async def with_policy(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"content-security-policy", DOCS_CSP.encode()),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, with_policy)


def mount_web_app(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/app", _SecuredStatic(directory=STATIC), name="web-app")
    app.add_middleware(DocsPolicy)
