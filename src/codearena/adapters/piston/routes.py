"""The Piston v2 API (`/piston/api/v2/...`): execute, runtimes, and the packages read-only."""

from __future__ import annotations

import hmac
import json
import logging
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ...logs import shorten
from ...service.store import BacklogFull
from ...service.waiters import submit_then_wait
from .context import PistonContext, piston_context
from .request import PistonError, parse_execute, runtimes
from .response import execute_view

log = logging.getLogger("codearena.adapters.piston")
router = APIRouter(tags=["piston"])
WAIT_MARGIN_SECONDS = 30.0  # a job's own time budget, plus this for the queue ahead of it
RESULT_RETENTION = 60  # seconds: the answer goes back in the same request


def _message(text: str, status: int, **headers: str) -> JSONResponse:
    return JSONResponse({"message": text}, status_code=status, headers=headers or None)


def authorized(request: Request, ctx: PistonContext = Depends(piston_context)) -> PistonContext:
    expected = ctx.settings.auth_token
    if expected:
        given = request.headers.get("authorization", "")
        given = given[7:] if given[:7].lower() == "bearer " else given
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise PistonError.unauthorized()
    return ctx


async def _body(request: Request) -> dict:
    """JSON (Piston's clients), or a form (pistonapi posts one, as `requests.post(url, data)` does)."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        return {key: (values if len(values := form.getlist(key)) > 1 or key in ("files", "args") else values[0])
                for key in form.keys()}
    try:
        body = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise PistonError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise PistonError("the body must be a JSON object")
    return body


@router.get("/api/v2/runtimes")
async def list_runtimes(_ctx: PistonContext = Depends(authorized)) -> list[dict]:
    return [runtime.view for runtime in await run_in_threadpool(runtimes)]


@router.get("/api/v2/packages")
async def list_packages(_ctx: PistonContext = Depends(authorized)) -> list[dict]:
    return [{"language": r.language.id, "language_version": r.version, "installed": True}
            for r in await run_in_threadpool(runtimes)]


@router.api_route("/api/v2/packages", methods=["POST", "DELETE"])
async def change_packages(_ctx: PistonContext = Depends(authorized)) -> JSONResponse:
    return _message("packages are read-only here: the operator installs languages (docs/piston.md)", 403)


@router.post("/api/v2/execute")
async def execute(request: Request, ctx: PistonContext = Depends(authorized)) -> JSONResponse:
    execution = parse_execute(await _body(request), ctx.settings)  # a PistonError answers 400 (the extension's handler)
    job = execution.job
    job_id = uuid.uuid4().hex
    try:
        record = await submit_then_wait(ctx.state.store, ctx.state.waiters, job, job_id,
                                        job.budget_seconds() + WAIT_MARGIN_SECONDS, retention=RESULT_RETENTION)
    except BacklogFull as exc:
        return _message(f"too many jobs are waiting; try again later ({exc})", 503, **{"Retry-After": "5"})
    log.info("[EXEC-SERVICE] piston execute %s: %s: %s", job_id, job.language, shorten(job.source))
    if record is None or record.state != "done" or record.result is None:
        return _message("the job did not finish in time", 500)
    return JSONResponse(execute_view(execution.runtime, record.result, ctx.settings.output_max_size))
