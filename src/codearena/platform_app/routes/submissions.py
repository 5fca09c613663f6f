"""Submissions: stored first (pending), judged in the background, followed by GET or events.

POST answers 202 with the pending submission and a Location header at once; with `?wait=S`
(up to 60 s) it holds the answer until the verdict or S seconds, whichever comes first (201
when finished). GET /api/submissions/{id}?wait=S holds the same way, so a client follows a
submission to its end without polling in a tight loop. GET /api/submissions/{id}/events is
the same submission as server-sent events: `test` for each test as it is judged, `done` with
the whole submission at the end.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..deps import PathId, Services, check_size, current_user, db_session, execution_allowed, resolve_language, services
from ..models import Problem, Submission
from ..results import submission_out
from ..schemas import MAX_ROW_ID, SubmissionOut, SubmissionPage, SubmissionRequest
from ..security import Principal

router = APIRouter(prefix="/api/submissions", tags=["submissions"])
MAX_WAIT_SECONDS = 60.0
MAX_EVENTS_SECONDS = 15 * 60.0  # a stream ends by then; the client opens another if it still cares
KEEPALIVE_SECONDS = 15.0  # a comment line this often, so that proxies keep an idle stream open
DB_WATCH_SECONDS = 0.25  # between looks at a submission judged by another replica


def _visible_or_404(session: Session, submission_id: int, user: Principal) -> Submission:
    submission = session.get(Submission, submission_id)
    # Someone else's submission is reported as missing, not forbidden: ids reveal nothing.
    if submission is None or (submission.user_id != user.user_id and not user.is_admin):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"submission {submission_id} does not exist")
    return submission


@router.post("", response_model=SubmissionOut, status_code=status.HTTP_202_ACCEPTED,
             responses={404: {"description": "no such problem"}, 429: {"description": "rate limited"}})
async def submit(body: SubmissionRequest, response: Response,
                 wait: float = Query(0, ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the verdict"),
                 user: Principal = Depends(execution_allowed), svc: Services = Depends(services)) -> SubmissionOut:
    language = resolve_language(body.language, body.version)
    check_size("code", body.code, svc.common.max_code_bytes)

    def store() -> int:
        with svc.sessions() as session, session.begin():
            if session.get(Problem, body.problem_id) is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"problem {body.problem_id} does not exist")
            submission = Submission(user_id=user.user_id, problem_id=body.problem_id, language=language.id,
                                    code=body.code, status="pending", message="waiting to be judged", tests=[])
            session.add(submission)
            session.flush()
            return submission.id

    submission_id = await run_in_threadpool(store)
    svc.judge.start(submission_id)
    if wait:
        await svc.judge.wait(submission_id, wait)
    response.headers["Location"] = f"/api/submissions/{submission_id}"

    def load() -> Submission:
        with svc.sessions() as session:
            return session.get(Submission, submission_id)

    submission = await run_in_threadpool(load)
    if submission.status == "finished":
        response.status_code = status.HTTP_201_CREATED
    return submission_out(submission, user.is_admin)


@router.get("/{submission_id}", response_model=SubmissionOut)
async def read_submission(submission_id: PathId,
                          wait: float = Query(0, ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the verdict"),
                          user: Principal = Depends(current_user), svc: Services = Depends(services)) -> SubmissionOut:
    def load() -> Submission:
        with svc.sessions() as session:
            return _visible_or_404(session, submission_id, user)

    submission = await run_in_threadpool(load)
    if wait and submission.status != "finished":
        await svc.judge.wait(submission_id, wait)
        submission = await run_in_threadpool(load)
    return submission_out(submission, user.is_admin)


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


@router.get("/{submission_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`test` (a TestResult) per judged test, then `done` (the Submission)"}})
async def submission_events(submission_id: PathId, request: Request, user: Principal = Depends(current_user),
                            svc: Services = Depends(services)) -> StreamingResponse:
    """The submission as it is judged: each test as soon as it is stored, as GET shows it to you
    (hidden tests by number and verdict only), then the whole submission; a finished one at once."""
    def load() -> Submission:
        with svc.sessions() as session:
            return _visible_or_404(session, submission_id, user)

    await run_in_threadpool(load)  # a 404 before the stream starts
    loop = asyncio.get_running_loop()

    async def stream() -> AsyncIterator[str]:
        sent, quiet_since = 0, loop.time()
        deadline = loop.time() + MAX_EVENTS_SECONDS
        change = svc.judge.watch(submission_id)
        try:
            while True:
                change = svc.judge.watch(submission_id)  # before the read: no change goes unseen
                out = submission_out(await run_in_threadpool(load), user.is_admin)
                for test in out.tests[sent:]:
                    yield _event("test", test.model_dump_json(by_alias=True))
                sent = max(sent, len(out.tests))
                if out.status == "finished":
                    yield _event("done", out.model_dump_json(by_alias=True))
                    return
                if loop.time() >= deadline or await request.is_disconnected():
                    return
                wait = KEEPALIVE_SECONDS if svc.judge.judged_here(submission_id) else DB_WATCH_SECONDS
                try:
                    await asyncio.wait_for(change.wait(), wait)
                except TimeoutError:
                    if loop.time() - quiet_since >= KEEPALIVE_SECONDS:
                        yield ": still judging\n\n"
                        quiet_since = loop.time()
        finally:
            svc.judge.unwatch(submission_id, change)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("", response_model=SubmissionPage)
def list_submissions(problem_id: int | None = Query(None, alias="problemId", ge=1, le=MAX_ROW_ID),
                     page: int = Query(1, ge=1, le=MAX_ROW_ID), page_size: int = Query(20, ge=1, le=100, alias="pageSize"),
                     user: Principal = Depends(current_user), session: Session = Depends(db_session)) -> dict:
    """Your own submissions, newest first; admins see everyone's."""
    query = select(Submission)
    if not user.is_admin:
        query = query.where(Submission.user_id == user.user_id)
    if problem_id is not None:
        query = query.where(Submission.problem_id == problem_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(Submission.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    return {"items": [submission_out(s, user.is_admin) for s in items], "total": total, "page": page,
            "page_size": page_size}
