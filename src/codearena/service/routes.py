"""The execution service's job API: POST /jobs, GET /jobs/{id}[?wait=S], DELETE /jobs/{id},
GET /health, /metrics, /languages. The body of POST /jobs is the job contract itself."""

from __future__ import annotations

import logging
import time

import redis
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from ..execution.contract import MAX_WAIT_SECONDS, SHA256_HEX, Job, digest
from ..languages import LANGUAGES, NotInstalled, get_language, require_installed
from ..logs import shorten
from ..validation import invalid_text_path
from .metrics import CONTENT_TYPE
from .protocol import JobCreated, JobRecord
from .state import ServiceState, service_state
from .store import BacklogFull, CancelledBeforeSubmit, JobExists, NoLiveWorker, new_job_id
from .waiters import PROGRESS_LINGER, submit_then_wait, wait_for_job

log = logging.getLogger("codearena.service")
REDIS_DOWN_RETRY_AFTER = 5

router = APIRouter()
WaitSeconds = Query(0, ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the result")
ProgressAfter = Query(None, ge=0, le=1_000_000, description="judge jobs: answer the tests judged after the first N "
                                                            f"(`progress`), and with `wait`, answer {PROGRESS_LINGER * 1000:.0f} ms "
                                                            "after there is one (with the tests judged meanwhile), or at the "
                                                            "job's end if sooner")


def check_job(job: Job, state: ServiceState) -> None:
    """Refuse what a worker must not run, with a message that says what to fix (the contract
    checked the rest when the body was read). Test data named by digest is checked at submit."""
    if (where := invalid_text_path(job.model_dump())) is not None:
        raise HTTPException(422, f"{where} holds a lone UTF-16 surrogate, which is not Unicode text; send valid UTF-8")
    try:
        require_installed(get_language(job.language))
    except NotInstalled as exc:
        raise HTTPException(422, str(exc)) from None
    if job.kind == "judge" and not job.tests:
        raise HTTPException(422, "a judge job needs at least one test in `tests`")
    if len(job.tests) > state.service.max_tests:
        raise HTTPException(413, f"{len(job.tests)} tests; the limit is {state.service.max_tests}")
    sizes = state.common
    for what, text, limit in [("source", job.source, sizes.max_code_bytes),
                              ("stdin", job.stdin, sizes.max_input_bytes),
                              *[(f"test {t.name}", t.input, sizes.max_input_bytes) for t in job.tests
                                if t.encoding != "sha256"]]:
        if len(text.encode()) > limit:
            raise HTTPException(413, f"{what} is {len(text.encode())} bytes; the limit is {limit} bytes")


def as_json(model, status_code: int = 200, headers: dict | None = None) -> Response:
    # Serialized once, straight from the model (a response_model would validate it again).
    return Response(model.model_dump_json(), status_code=status_code, headers=headers, media_type="application/json")


@router.post("/jobs", status_code=202, response_model=JobRecord | JobCreated,
             responses={503: {"description": "backlog full or Redis down; see Retry-After"}})
async def submit(job: Job, wait: float = WaitSeconds, state: ServiceState = Depends(service_state),
                 chosen_id: str | None = Query(None, alias="id", pattern="^[0-9a-f]{32}$",
                                               description="the job's id, chosen by the client (32 lowercase hex "
                                                           "digits, e.g. a UUID4's), so that it can cancel the job "
                                                           "before this answer arrives; default: a new one"),
                 require_worker: bool = Query(False, description="refuse (503, X-No-Worker) when no worker is live, "
                                                                 "instead of queueing the job for later"),
                 progress_after: int | None = ProgressAfter):
    """202 with the job's id (or, with `wait`, its record: 200 once done)."""
    check_job(job, state)
    if missing := await state.store.missing_data(job.references()):
        raise HTTPException(422, f"test data {missing[0]} is not stored ({len(missing)} missing): upload each "
                                 "with PUT /data/SHA256 first")
    job_id = chosen_id or new_job_id()
    try:
        record = await submit_then_wait(state.store, state.waiters, job, job_id, wait, progress_after,
                                        require_live_worker=require_worker)
    except JobExists:
        raise HTTPException(409, f"a job with id {job_id} exists; choose another id") from None
    except CancelledBeforeSubmit:
        raise HTTPException(409, f"job {job_id} was cancelled before it arrived; it is not queued") from None
    except NoLiveWorker as exc:
        state.metrics.jobs.labels("rejected").inc()
        raise HTTPException(503, f"{exc}; start a worker (`codearena worker`)",
                            headers={"Retry-After": str(REDIS_DOWN_RETRY_AFTER), "X-No-Worker": "true"}) from None
    except BacklogFull as exc:
        state.metrics.jobs.labels("rejected").inc()
        raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after),
                                                    "X-Queue-Full": "true"}) from None
    log.info("[EXEC-SERVICE] job %s queued: %s %s (%s): %s", job_id, job.kind, job.language, job.priority,
             shorten(job.source))
    headers = {"Location": f"/jobs/{job_id}"}
    if record is not None:
        return as_json(record, 200 if record.state in ("done", "cancelled") else 202, headers)
    return as_json(JobCreated(id=job_id, state="queued"), 202, headers)


@router.get("/jobs/{job_id}", response_model=JobRecord, responses={404: {"description": "unknown or expired"}})
async def read(job_id: str, wait: float = WaitSeconds, state: ServiceState = Depends(service_state),
               progress_after: int | None = ProgressAfter):
    record = await (wait_for_job(state.store, state.waiters, job_id, wait, progress_after=progress_after) if wait
                    else state.store.record(job_id, progress_after))
    if record is None:
        raise HTTPException(404, f"job {job_id} does not exist (or its result expired)")
    return as_json(record)


@router.delete("/jobs/{job_id}", responses={202: {"description": "running: its worker stops it (it ends as IE)"},
                                             409: {"description": "already finished (or running, with if_queued)"}})
async def cancel(job_id: str, response: Response, state: ServiceState = Depends(service_state),
                 if_queued: bool = Query(False, description="cancel only a job no worker has started; a running "
                                                            "one is left running (409)")) -> dict:
    """A queued job is cancelled (it never starts); a running one is stopped by its worker. An
    unknown id is remembered for a while: its submission, if it arrives later, is refused."""
    outcome = await state.store.cancel(job_id, only_queued=if_queued)
    if outcome == "missing":
        raise HTTPException(404, f"job {job_id} does not exist (or its result expired)")
    if outcome == "stopping":
        log.info("[EXEC-SERVICE] job %s is running: its worker stops it", job_id)
        response.status_code = 202
        return {"id": job_id, "state": "stopping"}
    if outcome != "cancelled":
        raise HTTPException(409, f"job {job_id} is {outcome}; it can no longer be cancelled")
    state.metrics.jobs.labels("cancelled").inc()
    log.info("[EXEC-SERVICE] job %s cancelled", job_id)
    return {"id": job_id, "state": "cancelled"}


class DigestsIn(BaseModel):
    sha256: list[str] = Field(max_length=10000, description="SHA-256 digests (64 lowercase hex digits)")


@router.post("/data/missing")
async def missing_data(body: DigestsIn, state: ServiceState = Depends(service_state)) -> dict:
    """Which of these test data digests are not stored yet (upload them with PUT /data/SHA256);
    the stored ones are kept another QUEUE_DATA_TTL."""
    if bad := next((d for d in body.sha256 if not SHA256_HEX.match(d)), None):
        raise HTTPException(422, f"{bad!r} is not a SHA-256 digest (64 lowercase hex digits)")
    return {"missing": await state.store.missing_data(body.sha256)}


@router.put("/data/{sha256}", status_code=201, responses={413: {"description": "larger than MAX_TEST_BYTES"},
                                                         422: {"description": "the content is not that digest's"}})
async def put_data(sha256: str, request: Request, state: ServiceState = Depends(service_state)) -> dict:
    """Store test data (the raw body) under its SHA-256; jobs then name it by digest."""
    if not SHA256_HEX.match(sha256):
        raise HTTPException(422, f"{sha256!r} is not a SHA-256 digest (64 lowercase hex digits)")
    limit = state.common.max_test_bytes
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"test data above MAX_TEST_BYTES={limit} bytes")
    data = b"".join(chunks)
    if (actual := digest(data)) != sha256:
        raise HTTPException(422, f"the body's SHA-256 is {actual}, not {sha256}")
    await state.store.put_data(sha256, data)
    return {"sha256": sha256, "bytes": size}


@router.get("/livez", responses={200: {"description": "the process answers"}})
async def livez() -> dict:
    """Liveness, without the token: says nothing but that this process serves HTTP."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Redis unreachable"}})
async def readyz(state: ServiceState = Depends(service_state)) -> JSONResponse:
    """Readiness, without the token: Redis answers, so jobs can be accepted. Nothing else is said."""
    try:
        await state.store.client.ping()
    except (redis.RedisError, OSError):
        return JSONResponse({"status": "unavailable"}, status_code=503, headers={"Retry-After": str(REDIS_DOWN_RETRY_AFTER)})
    return JSONResponse({"status": "ready"})


@router.get("/health")
async def health(state: ServiceState = Depends(service_state)) -> JSONResponse:
    store = state.store
    try:
        await store.client.ping()
        backlog, workers, live = await store.backlog(), await store.workers(), await store.live_workers()
    except (redis.RedisError, OSError):
        return JSONResponse({"status": "unhealthy", "redis": "disconnected", "workers": 0, "backlog": None},
                            status_code=503, headers={"Retry-After": str(REDIS_DOWN_RETRY_AFTER)})
    # Degraded, not unhealthy: the service itself works (an orchestrator must not restart it),
    # but no job would run now, so a platform should not send it any.
    return JSONResponse({
        "status": "healthy" if live else "degraded", "redis": "connected", "workers": len(workers),
        "slots": sum(w.get("concurrency", 0) for w in workers), "backlog": backlog,
        "maxBacklog": state.queue.queue_max_backlog, "uptime": round(time.time() - state.started, 3),
    })


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(state: ServiceState = Depends(service_state)) -> PlainTextResponse:
    text = await state.metrics.exposition(state.store.backlog, state.store.workers)
    return PlainTextResponse(text, media_type=CONTENT_TYPE)


@router.get("/languages")
def languages() -> list[dict]:  # sync: the first call probes the toolchains (in a thread)
    return [{"id": lang.id, "name": lang.name, "version": lang.version(), "aliases": list(lang.aliases),
             "extensions": list(lang.extensions)} for lang in LANGUAGES if lang.available()]
