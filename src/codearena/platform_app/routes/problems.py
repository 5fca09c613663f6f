"""Problems: everyone reads (samples only), admins write; POST /api/problems/run runs the samples."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..deps import (PathId, Services, check_size, current_user, db_session, execution_allowed, get_or_404,
                    require_admin, require_every_field, resolve_language, services, while_connected)
from ..models import Problem, Submission
from ..problems import ProblemConflict, ProblemTooLarge, apply_problem, judge_job, problem_out, test_cases
from ..results import tests_run_out
from ..schemas import MAX_ROW_ID, ProblemIn, ProblemPatch, ProblemOut, ProblemRunRequest, ProblemSummaryOut, TestsRunOut
from ..security import Principal

router = APIRouter(prefix="/api/problems", tags=["problems"])


@router.get("", response_model=list[ProblemSummaryOut])
def list_problems(_user: Principal = Depends(current_user), session: Session = Depends(db_session)):
    return session.scalars(select(Problem).order_by(Problem.id)).all()


@router.get("/{problem_ref}", response_model=ProblemOut, responses={404: {"description": "no such problem"}})
def read_problem(problem_ref: str = PathParam(description="the problem's id, or its slug", max_length=100),
                 user: Principal = Depends(current_user), session: Session = Depends(db_session)):
    if problem_ref.isascii() and problem_ref.isdigit():  # an all-digit reference is an id
        problem = get_or_404(session, Problem, int(problem_ref)) if int(problem_ref) <= MAX_ROW_ID else None
    else:
        problem = session.scalar(select(Problem).where(Problem.slug == problem_ref))
    if problem is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"problem {problem_ref} does not exist")
    return problem_out(problem, admin=user.is_admin)


def _save(session: Session, body: ProblemIn | ProblemPatch, problem: Problem | None, svc: Services) -> Problem:
    try:
        problem = apply_problem(session, body, problem, svc.common)
    except ProblemConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except ProblemTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    session.commit()
    return problem


@router.post("", response_model=ProblemOut, status_code=status.HTTP_201_CREATED)
def create_problem(body: ProblemIn, _admin: Principal = Depends(require_admin), session: Session = Depends(db_session),
                   svc: Services = Depends(services)):
    return problem_out(_save(session, body, None, svc), admin=True)


@router.put("/{problem_id}", response_model=ProblemOut)
def replace_problem(problem_id: PathId, body: ProblemIn, _admin: Principal = Depends(require_admin),
                    session: Session = Depends(db_session), svc: Services = Depends(services)):
    """Every field (the slug may be left out: it stays); to change some, PATCH."""
    require_every_field(body, "problem")
    return problem_out(_save(session, body, get_or_404(session, Problem, problem_id), svc), admin=True)


@router.patch("/{problem_id}", response_model=ProblemOut)
def update_problem(problem_id: PathId, body: ProblemPatch, _admin: Principal = Depends(require_admin),
                   session: Session = Depends(db_session), svc: Services = Depends(services)):
    """Only the fields sent change."""
    return problem_out(_save(session, body, get_or_404(session, Problem, problem_id), svc), admin=True)


@router.delete("/{problem_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={409: {"description": "the problem has submissions"}})
def delete_problem(problem_id: PathId, _admin: Principal = Depends(require_admin), session: Session = Depends(db_session)):
    problem = get_or_404(session, Problem, problem_id)
    submissions = session.scalar(select(func.count()).where(Submission.problem_id == problem_id))
    if submissions:
        # Judged submissions are users' records; deleting the problem would orphan them.
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"problem {problem_id} has {submissions} submissions; it cannot be deleted")
    session.delete(problem)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/run", response_model=TestsRunOut, responses={404: {"description": "no such problem"}})
async def run_samples(body: ProblemRunRequest, request: Request, user: Principal = Depends(execution_allowed),
                      svc: Services = Depends(services)) -> TestsRunOut:
    language = resolve_language(body.language, body.version)
    check_size("code", body.code, svc.common.max_code_bytes)

    def load():  # short and read-only, off the event loop; the run itself holds no connection
        with svc.sessions() as session:
            problem = get_or_404(session, Problem, body.problem_id)
            return judge_job(problem, body.code, language.id, samples_only=True), test_cases(problem, True)

    job, samples = await run_in_threadpool(load)
    if not samples:
        raise HTTPException(status.HTTP_409_CONFLICT, f"problem {body.problem_id} has no sample tests to run")
    async with svc.runs.slot(user.user_id):
        result = await while_connected(request, svc.execution.executor.run(job))
    return tests_run_out(result, samples, show_io=True)
