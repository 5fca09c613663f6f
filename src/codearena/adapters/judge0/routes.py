"""The Judge0 CE v1.13.1 endpoints (declared at module level), mounted beside the service's job API
under /judge0 by the Judge0Extension (context.py).

Answers keep Judge0's shapes: 201 {"token"} on create, 422 {attribute: [messages]} for invalid
submissions, 400 {"error": ...} for bad parameters, 401/403 with an empty body for auth, and
503 {"error": "queue is full"} when the backlog is at its bound.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import subprocess
import uuid
from functools import lru_cache
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from ...logs import shorten
from ...service.store import BacklogFull, StoredJob
from ...service.waiters import submit_then_wait, wait_for_job
from .catalog import BY_ID, STATUSES, available_languages, language_list
from .context import Judge0Context, judge0_context
from .index import MAX_PER_PAGE, pagination
from .settings import VERSION
from .submission import Accepted, InvalidFields, NotUTF8, parse_submission, requested_fields, ruby_to_i, view

log = logging.getLogger("codearena.adapters.judge0")
WAIT_MARGIN_SECONDS = 30.0  # wait=true: a job's own time budget, plus this for the queue ahead of it
NOT_UTF8 = "some attributes for {} cannot be converted to UTF-8, use base64_encoded=true query parameter"
DEFAULT_PER_PAGE = 20


class Judge0Denied(Exception):
    """401 or 403 with an empty body, as Judge0 answers (`head :unauthorized`)."""

    def __init__(self, status_code: int):
        self.status_code = status_code


def _matches(request: Request, header: str, tokens: list[str]) -> bool:
    given = request.headers.get(header) or request.query_params.get(header) or ""
    return any(hmac.compare_digest(given.encode(), token.encode()) for token in tokens)


def error(message: str, status_code: int = 400, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code, headers=headers)


def flag(request: Request, name: str) -> bool:
    return request.query_params.get(name) == "true"  # Judge0: exactly "true"


@lru_cache(maxsize=1)
def system_info() -> dict:
    """lscpu's fields and free's totals, as Judge0's SystemInfo reports them."""
    info: dict[str, str] = {}
    for argv, parse in ((["lscpu"], "cpu"), (["free", "-h"], "mem")):
        try:
            output = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        lines = output.splitlines() if parse == "cpu" else output.splitlines()[1:]
        for line in lines:
            name, _, rest = line.partition(":")
            if rest.strip():
                info[name.strip()] = rest.strip() if parse == "cpu" else rest.split()[0]
    return info


async def authenticate(request: Request, ctx: Judge0Context = Depends(judge0_context)) -> None:
    if ctx.authn_tokens and not _matches(request, ctx.settings.authn_header, ctx.authn_tokens):
        raise Judge0Denied(401)


def authorize(request: Request, ctx: Judge0Context) -> None:
    if not ctx.authz_tokens or not _matches(request, ctx.settings.authz_header, ctx.authz_tokens):
        raise Judge0Denied(403)


router = APIRouter(dependencies=[Depends(authenticate)], tags=["judge0"])
Context = Depends(judge0_context)


async def read_body(request: Request) -> dict | JSONResponse:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded") \
            and not raw.lstrip().startswith(b"{"):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))  # as Rails reads forms
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error(f"the request body is not valid JSON: {exc}")
    return body if isinstance(body, dict) else error("the request body must be a JSON object")


async def accept(ctx: Judge0Context, raw: dict, base64_encoded: bool) -> Accepted | dict:
    if not isinstance(raw, dict):
        return {"submission": ["must be a JSON object"]}
    url = raw.get("callback_url")
    refusal = await asyncio.to_thread(ctx.guard.refusal, url) if url is not None and url != "" else None
    return parse_submission(raw, base64_encoded, ctx.settings, ctx.common, refusal)


async def enqueue(ctx: Judge0Context, accepted: Accepted, token: str, wait_seconds: float = 0) -> None:
    """Queue the submission's job under `token` (and, with `wait_seconds`, wait for it to end)."""
    job = accepted.job
    await submit_then_wait(ctx.state.store, ctx.state.waiters, job, token, wait_seconds,
                           retention=ctx.settings.submission_ttl, announce=bool(accepted.callback_url),
                           meta=json.dumps(accepted.params), keep_request=True)  # its views show source and stdin
    await ctx.index.add(token)
    log.info("[EXEC-SERVICE] judge0 submission %s queued: %s: %s", token, job.language, shorten(job.source))


def views_of(tokens: list[str], found: list[StoredJob | None], wanted, base64_encoded: bool) -> list[dict | None]:
    return [view(token, stored, wanted, base64_encoded) if stored is not None and stored.meta else None
            for token, stored in zip(tokens, found)]


async def views(ctx: Judge0Context, tokens: list[str], wanted, base64_encoded: bool) -> list[dict | None]:
    return views_of(tokens, await ctx.state.store.read(tokens), wanted, base64_encoded)


async def polled_views(ctx: Judge0Context, tokens: list[str], wanted, base64_encoded: bool) -> list[dict | None]:
    """The views a poll asks for; unfinished ones may first be waited for, up to `status_hold`:
    the answer is the same a later poll would get, only sooner. Finished ones: one read."""
    store = ctx.state.store
    found = await store.read(tokens)
    unfinished = [t for t, stored in zip(tokens, found)
                  if stored is not None and stored.meta and stored.state in ("queued", "running")]
    if not unfinished or ctx.settings.status_hold <= 0:
        return views_of(tokens, found, wanted, base64_encoded)
    await asyncio.gather(*(wait_for_job(store, ctx.state.waiters, t, ctx.settings.status_hold) for t in unfinished))
    return await views(ctx, tokens, wanted, base64_encoded)


def queue_full(exc: BacklogFull | None = None) -> JSONResponse:
    return error("queue is full", 503, {"Retry-After": str(exc.retry_after if exc else 5)})


@router.post("/submissions", status_code=201)
async def create(request: Request, ctx: Judge0Context = Context):
    try:
        wanted = requested_fields(request.query_params.get("fields"))
    except InvalidFields as exc:
        return error(str(exc))
    wait = flag(request, "wait")
    if wait and not ctx.settings.enable_wait_result:
        return error("wait not allowed")
    base64_encoded = flag(request, "base64_encoded")
    raw = await read_body(request)
    if isinstance(raw, JSONResponse):
        return raw
    accepted = await accept(ctx, raw, base64_encoded)
    if not isinstance(accepted, Accepted):
        return JSONResponse(accepted, status_code=422)
    token = str(uuid.uuid4())
    try:
        await enqueue(ctx, accepted, token, accepted.job.budget_seconds() + WAIT_MARGIN_SECONDS if wait else 0)
    except BacklogFull as exc:
        return queue_full(exc)
    if not wait:
        return JSONResponse({"token": token}, status_code=201)
    try:
        [submission] = await views(ctx, [token], wanted, base64_encoded)
    except NotUTF8:
        return JSONResponse({"error": NOT_UTF8.format("this submission"), "token": token}, status_code=201)
    return JSONResponse(submission, status_code=201)


@router.get("/submissions/batch")
async def batch_show(request: Request, ctx: Judge0Context = Context):
    settings = ctx.settings
    if not settings.enable_batched_submissions:
        return error("batched submissions are not allowed")
    try:
        wanted = requested_fields(request.query_params.get("fields"))
    except InvalidFields as exc:
        return error(str(exc))
    tokens = [t for t in (request.headers.get("tokens") or request.query_params.get("tokens") or "").strip()
              .split(",") if t]
    if len(tokens) > settings.max_submission_batch_size:
        return error("number of submissions in a batch should be less than or equal to "
                     f"{settings.max_submission_batch_size}")
    if not tokens:
        return error("there should be at least one submission in a batch")
    try:
        return {"submissions": await polled_views(ctx, tokens, wanted, flag(request, "base64_encoded"))}
    except NotUTF8:
        return error(NOT_UTF8.format("one or more submissions"))


@router.post("/submissions/batch", status_code=201)
async def batch_create(request: Request, ctx: Judge0Context = Context):
    settings = ctx.settings
    if not settings.enable_batched_submissions:
        return error("batched submissions are not allowed")
    raw = await read_body(request)
    if isinstance(raw, JSONResponse):
        return raw
    items = raw.get("submissions")
    count = len(items) if isinstance(items, list) else 0
    if count > settings.max_submission_batch_size:
        return error("number of submissions in a batch should be less than or equal to "
                     f"{settings.max_submission_batch_size}")
    if count == 0:
        return error("there should be at least one submission in a batch")
    if sum((await ctx.state.store.backlog()).values()) + count > ctx.queue.queue_max_backlog:
        return queue_full()
    base64_encoded = flag(request, "base64_encoded")
    answers, any_valid = [], False
    for item in items:
        accepted = await accept(ctx, item, base64_encoded)
        if not isinstance(accepted, Accepted):
            answers.append(accepted)
            continue
        try:
            token = str(uuid.uuid4())
            await enqueue(ctx, accepted, token)
            answers.append({"token": token})
            any_valid = True
        except BacklogFull:
            answers.append({"error": "queue is full"})
    return JSONResponse(answers, status_code=201 if any_valid else 422)


@router.get("/submissions")
async def index(request: Request, ctx: Judge0Context = Context):
    authorize(request, ctx)
    try:
        wanted = requested_fields(request.query_params.get("fields"))
    except InvalidFields as exc:
        return error(str(exc))
    page, per_page = (ruby_to_i(request.query_params.get(name, str(default)))
                      for name, default in (("page", 1), ("per_page", DEFAULT_PER_PAGE)))
    if page <= 0:
        return error(f"invalid page: {page}")
    if per_page < 0:
        return error(f"invalid per_page: {per_page}")
    per_page = min(per_page or DEFAULT_PER_PAGE, MAX_PER_PAGE)
    tokens, total = await ctx.index.page(page, per_page)
    try:
        found = await views(ctx, tokens, wanted, flag(request, "base64_encoded"))
    except NotUTF8:
        return error(NOT_UTF8.format("one or more submissions"))
    await ctx.index.remove(*[t for t, item in zip(tokens, found) if item is None])  # expired
    return {"submissions": [item for item in found if item is not None], "meta": pagination(page, per_page, total)}


@router.get("/submissions/{token}")
async def show(token: str, request: Request, ctx: Judge0Context = Context):
    try:
        wanted = requested_fields(request.query_params.get("fields"))
    except InvalidFields as exc:
        return error(str(exc))
    try:
        [submission] = await polled_views(ctx, [token], wanted, flag(request, "base64_encoded"))
    except NotUTF8:
        return error(NOT_UTF8.format("this submission"))
    if submission is None:
        return JSONResponse({"status": 404, "error": "Not Found"}, status_code=404)
    return submission


@router.delete("/submissions/{token}")
async def destroy(token: str, request: Request, ctx: Judge0Context = Context):
    authorize(request, ctx)
    try:
        wanted = requested_fields(request.query_params.get("fields"))
    except InvalidFields as exc:
        return error(str(exc))
    if not ctx.settings.enable_submission_delete:
        return error("delete not allowed")
    [submission] = await views(ctx, [token], tuple(set(wanted) | {"status"}), True)
    if submission is None:
        return JSONResponse({"status": 404, "error": "Not Found"}, status_code=404)
    status = submission["status"]
    if status["id"] in (1, 2):
        return error(f"submission cannot be deleted because its status is {status['id']} "
                     f"({status['description']})")
    await ctx.state.store.delete_job(token)
    await ctx.index.remove(token)
    log.info("[EXEC-SERVICE] judge0 submission %s deleted", token)
    return {name: submission[name] for name in wanted}  # base64, as Judge0 forces here


@router.get("/languages")
def languages() -> list[dict]:  # sync: the first call probes the toolchains' versions
    return language_list()


@router.get("/languages/all")
def all_languages() -> list[dict]:
    return [{**item, "is_archived": False} for item in language_list()]


@router.get("/languages/{language_id}")
def language(language_id: str):
    found = BY_ID.get(int(language_id)) if language_id.isascii() and language_id.isdigit() else None
    if found is None or found not in available_languages():
        return JSONResponse({"status": 404, "error": "Not Found"}, status_code=404)
    return found.details()


@router.get("/statuses")
def statuses() -> list[dict]:
    return [{"id": status_id, "description": name} for status_id, name in STATUSES.items()]


@router.get("/config_info")
def config_info(ctx: Judge0Context = Context) -> dict:
    return ctx.settings.config_info(ctx.queue.queue_max_backlog)


@router.get("/about")
def about(ctx: Judge0Context = Context) -> dict:
    settings = ctx.settings
    return {"version": VERSION, "homepage": settings.homepage, "source_code": settings.source_code,
            "maintainer": settings.maintainer}


@router.get("/version", response_class=PlainTextResponse)
def version() -> str:
    return VERSION


@router.get("/system_info")
def system_information() -> dict:
    return system_info()


@router.get("/workers")
async def workers(ctx: Judge0Context = Context) -> list[dict]:
    store = ctx.state.store
    backlog, alive = await store.backlog(), await store.workers()
    working = sum(1 for w in alive if w.get("running"))
    return [{"queue": queue, "size": size, "available": len(alive), "idle": len(alive) - working,
             "working": working, "paused": 0} for queue, size in backlog.items()]


_EMPTY = {200: {"description": "accepted (an empty body, as Judge0 answers)", "content": None},
          401: {"description": "missing or wrong X-Auth-Token (empty body)"},
          403: {"description": "missing or wrong X-Auth-User (empty body)"}}


@router.post("/authenticate", response_class=Response, responses=_EMPTY)
def authenticated() -> Response:
    return Response(status_code=200)


@router.post("/authorize", response_class=Response, responses=_EMPTY)
def authorized(request: Request, ctx: Judge0Context = Context) -> Response:
    authorize(request, ctx)
    return Response(status_code=200)
