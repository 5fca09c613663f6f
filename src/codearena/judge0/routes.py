"""The Judge0 CE v1.13.1 endpoints, mounted by the execution service under /judge0.

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

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from ..execution.direct import shorten
from ..queue.broker import BacklogFull, ServiceStore
from ..queue.settings import QueueSettings
from ..queue.waiters import wait_for_job
from .callbacks import CallbackDispatcher, CallbackGuard
from .catalog import BY_ID, STATUSES, available_languages, language_list
from .index import MAX_PER_PAGE, SubmissionIndex, pagination
from .settings import VERSION, Judge0Settings
from .submission import (VIEW_HASH_FIELDS, Accepted, InvalidFields, NotUTF8, parse_submission,
                         requested_fields, ruby_to_i, view)

log = logging.getLogger("codearena.judge0")
WAIT_MARGIN_SECONDS = 30.0
NOT_UTF8 = "some attributes for {} cannot be converted to UTF-8, use base64_encoded=true query parameter"
DEFAULT_PER_PAGE = 20  # wait=true: a job's own time budget, plus this for the queue ahead of it


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


def create_judge0_router(settings: Judge0Settings, queue_settings: QueueSettings) -> APIRouter:
    service_token = queue_settings.execution_service_token or ""
    authn_tokens = (settings.authn_token or "").split() or ([] if settings.allow_anonymous else [service_token])
    authz_tokens = (settings.authz_token or "").split()
    guard = CallbackGuard(settings)

    async def authenticate(request: Request) -> None:
        if authn_tokens and not _matches(request, settings.authn_header, authn_tokens):
            raise Judge0Denied(401)

    def authorize(request: Request) -> None:
        if not authz_tokens or not _matches(request, settings.authz_header, authz_tokens):
            raise Judge0Denied(403)

    router = APIRouter(dependencies=[Depends(authenticate)], tags=["judge0"])

    def store_of(request: Request) -> ServiceStore:
        return request.app.state.store

    def index_of(request: Request) -> SubmissionIndex:
        store = store_of(request)
        return SubmissionIndex(store.client, store.keys, settings.submission_ttl)

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

    async def accept(raw: dict, base64_encoded: bool) -> Accepted | dict:
        if not isinstance(raw, dict):
            return {"submission": ["must be a JSON object"]}
        url = raw.get("callback_url")
        refusal = await asyncio.to_thread(guard.refusal, url) if url is not None and url != "" else None
        return parse_submission(raw, base64_encoded, settings, queue_settings, refusal)

    async def enqueue(request: Request, accepted: Accepted, token: str) -> float:
        """Queue the submission's job under `token`; returns the job's time budget (seconds)."""
        extra = {"judge0": json.dumps(accepted.params), "keep": str(settings.submission_ttl)}
        if accepted.callback_url:
            extra["callback"] = accepted.callback_url
        job = accepted.job
        budget = job.to_job().budget_seconds()
        await store_of(request).submit(job, budget, token, extra)
        await index_of(request).add(token)
        log.info("[EXEC-SERVICE] judge0 submission %s queued: %s: %s", token, job.language, shorten(job.source))
        return budget

    def views_of(tokens: list[str], found, wanted, base64_encoded: bool) -> list[dict | None]:
        return [view(token, fields, result, wanted, base64_encoded) if fields.get("judge0") else None
                for token, (fields, result) in zip(tokens, found)]

    async def views(request: Request, tokens: list[str], wanted, base64_encoded: bool) -> list[dict | None]:
        return views_of(tokens, await store_of(request).job_fields(tokens, VIEW_HASH_FIELDS), wanted, base64_encoded)

    async def polled_views(request: Request, tokens: list[str], wanted, base64_encoded: bool) -> list[dict | None]:
        """The views a poll asks for; unfinished ones may first be waited for, up to `status_hold`:
        the answer is the same a later poll would get, only sooner. Finished ones: one read."""
        store = store_of(request)
        found = await store.job_fields(tokens, VIEW_HASH_FIELDS)
        unfinished = [t for t, (fields, _result) in zip(tokens, found)
                      if fields.get("judge0") and fields.get("state") in ("queued", "running")]
        if not unfinished or settings.status_hold <= 0:
            return views_of(tokens, found, wanted, base64_encoded)
        waiters = request.app.state.waiters
        await asyncio.gather(*(wait_for_job(store, waiters, t, settings.status_hold) for t in unfinished))
        return await views(request, tokens, wanted, base64_encoded)

    def queue_full(exc: BacklogFull | None = None) -> JSONResponse:
        return error("queue is full", 503, {"Retry-After": str(exc.retry_after if exc else 5)})

    @router.post("/submissions", status_code=201)
    async def create(request: Request):
        try:
            wanted = requested_fields(request.query_params.get("fields"))
        except InvalidFields as exc:
            return error(str(exc))
        wait = flag(request, "wait")
        if wait and not settings.enable_wait_result:
            return error("wait not allowed")
        base64_encoded = flag(request, "base64_encoded")
        raw = await read_body(request)
        if isinstance(raw, JSONResponse):
            return raw
        accepted = await accept(raw, base64_encoded)
        if not isinstance(accepted, Accepted):
            return JSONResponse(accepted, status_code=422)
        waiters = request.app.state.waiters
        token = str(uuid.uuid4())
        future = waiters.register(token) if wait else None  # before the job exists: its end cannot go unseen
        try:
            budget = await enqueue(request, accepted, token)
        except BacklogFull as exc:
            waiters.unregister(token, future)
            return queue_full(exc)
        except BaseException:
            if future is not None:
                waiters.unregister(token, future)
            raise
        if not wait:
            return JSONResponse({"token": token}, status_code=201)
        await wait_for_job(store_of(request), waiters, token, budget + WAIT_MARGIN_SECONDS, future)
        try:
            [submission] = await views(request, [token], wanted, base64_encoded)
        except NotUTF8:
            return JSONResponse({"error": NOT_UTF8.format("this submission"), "token": token}, status_code=201)
        return JSONResponse(submission, status_code=201)

    @router.get("/submissions/batch")
    async def batch_show(request: Request):
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
            return {"submissions": await polled_views(request, tokens, wanted, flag(request, "base64_encoded"))}
        except NotUTF8:
            return error(NOT_UTF8.format("one or more submissions"))

    @router.post("/submissions/batch", status_code=201)
    async def batch_create(request: Request):
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
        store = store_of(request)
        if sum((await store.backlog()).values()) + count > queue_settings.queue_max_backlog:
            return queue_full()
        base64_encoded = flag(request, "base64_encoded")
        answers, any_valid = [], False
        for item in items:
            accepted = await accept(item, base64_encoded)
            if not isinstance(accepted, Accepted):
                answers.append(accepted)
                continue
            try:
                token = str(uuid.uuid4())
                await enqueue(request, accepted, token)
                answers.append({"token": token})
                any_valid = True
            except BacklogFull:
                answers.append({"error": "queue is full"})
        return JSONResponse(answers, status_code=201 if any_valid else 422)

    @router.get("/submissions")
    async def index(request: Request):
        authorize(request)
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
        tokens, total = await index_of(request).page(page, per_page)
        try:
            found = await views(request, tokens, wanted, flag(request, "base64_encoded"))
        except NotUTF8:
            return error(NOT_UTF8.format("one or more submissions"))
        await index_of(request).remove(*[t for t, item in zip(tokens, found) if item is None])  # expired
        return {"submissions": [item for item in found if item is not None],
                "meta": pagination(page, per_page, total)}

    @router.get("/submissions/{token}")
    async def show(token: str, request: Request):
        try:
            wanted = requested_fields(request.query_params.get("fields"))
        except InvalidFields as exc:
            return error(str(exc))
        try:
            [submission] = await polled_views(request, [token], wanted, flag(request, "base64_encoded"))
        except NotUTF8:
            return error(NOT_UTF8.format("this submission"))
        if submission is None:
            return JSONResponse({"status": 404, "error": "Not Found"}, status_code=404)
        return submission

    @router.delete("/submissions/{token}")
    async def destroy(token: str, request: Request):
        authorize(request)
        try:
            wanted = requested_fields(request.query_params.get("fields"))
        except InvalidFields as exc:
            return error(str(exc))
        if not settings.enable_submission_delete:
            return error("delete not allowed")
        [submission] = await views(request, [token], tuple(set(wanted) | {"status"}), True)
        if submission is None:
            return JSONResponse({"status": 404, "error": "Not Found"}, status_code=404)
        status = submission["status"]
        if status["id"] in (1, 2):
            return error(f"submission cannot be deleted because its status is {status['id']} "
                         f"({status['description']})")
        await store_of(request).delete_job(token)
        await index_of(request).remove(token)
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
    def config_info() -> dict:
        return settings.config_info(queue_settings.queue_max_backlog)

    @router.get("/about")
    def about() -> dict:
        return {"version": VERSION, "homepage": settings.homepage, "source_code": settings.source_code,
                "maintainer": settings.maintainer}

    @router.get("/version", response_class=PlainTextResponse)
    def version() -> str:
        return VERSION

    @router.get("/system_info")
    def system_information() -> dict:
        return system_info()

    @router.get("/workers")
    async def workers(request: Request) -> list[dict]:
        store = store_of(request)
        backlog, alive = await store.backlog(), await store.workers()
        working = sum(1 for w in alive if w.get("running"))
        return [{"queue": queue, "size": size, "available": len(alive), "idle": len(alive) - working,
                 "working": working, "paused": 0} for queue, size in backlog.items()]

    empty = {200: {"description": "accepted (an empty body, as Judge0 answers)", "content": None},
             401: {"description": "missing or wrong X-Auth-Token (empty body)"},
             403: {"description": "missing or wrong X-Auth-User (empty body)"}}

    @router.post("/authenticate", response_class=Response, responses=empty)
    def authenticated() -> Response:
        return Response(status_code=200)

    @router.post("/authorize", response_class=Response, responses=empty)
    def authorized(request: Request) -> Response:
        authorize(request)
        return Response(status_code=200)

    return router


class Judge0Background:
    """What the Judge0 API runs beside its requests, for the service's lifespan: callback
    delivery, and the toolchains' version probe (at start, in a thread, not in a first request)."""

    def __init__(self, store: ServiceStore, settings: Judge0Settings):
        self.callbacks = CallbackDispatcher(store, settings)
        self._warm_up: asyncio.Future | None = None

    def start(self) -> None:
        self.callbacks.start()
        self._warm_up = asyncio.ensure_future(asyncio.to_thread(language_list))

    async def close(self) -> None:
        await self.callbacks.close()
        if self._warm_up is not None:
            await asyncio.gather(self._warm_up, return_exceptions=True)


def install(app: FastAPI, settings: Judge0Settings, queue_settings: QueueSettings, prefix: str = "/judge0") -> None:
    app.include_router(create_judge0_router(settings, queue_settings), prefix=prefix)

    @app.exception_handler(Judge0Denied)
    async def _denied(_request: Request, exc: Judge0Denied) -> Response:
        return Response(status_code=exc.status_code)

