"""Problems: everyone reads (samples only), admins write; POST /api/problems/run runs the samples."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..deps import (PathId, Services, check_size, current_user, db_session, execution_allowed, get_or_404,
                    require_admin, require_every_field, resolve_language, services, while_connected)
from ..models import Problem, Submission
from ...archives import ArchiveError, extract_zip
from ...engine.problem import ProblemError
from ..problems import (ProblemConflict, ProblemTooLarge, apply_problem, import_package, judge_job, problem_out,
                        test_cases)
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


PACKAGE_MAX_FILES = 2000  # problem.toml, a statement, a checker and up to ~1000 test pairs


@router.post("/package", response_model=ProblemOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "the slug is taken (without replace)"},
                        422: {"description": "not a zip, or not a valid problem package: the message says what to fix"}},
             # The body is the archive's bytes (the web app sends it as application/zip; any type is read).
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
async def upload_package(request: Request, slug: str | None = Query(None, pattern=r"^[a-z0-9][a-z0-9-]{0,99}$"),
                         replace: bool = Query(False, description="update the problem of that slug"),
                         _admin: Principal = Depends(require_admin), svc: Services = Depends(services)):
    """A problem package (docs: problem.toml, tests/NAME.in|out, optional statement and checker)
    as a zip archive in the body, its files at the top or in one folder. The slug defaults to
    that folder's name, else to the title's."""
    archive = await request.body()  # bounded by the server's body limit (413 above it)

    def store() -> Problem:
        with tempfile.TemporaryDirectory(prefix="codearena-package-") as scratch:
            root = Path(scratch)
            try:
                extract_zip(archive, root, svc.settings.max_body_bytes * 4, PACKAGE_MAX_FILES)
            except ArchiveError as exc:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"the package {exc}") from None
            package_root = _package_root(root)
            with svc.sessions() as session:
                try:
                    problem = import_package(session, package_root, slug, replace=replace, sizes=svc.common,
                                             slug_from_title=package_root == root)
                    session.commit()
                except ProblemError as exc:  # names its files by their path in the package, not ours
                    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                        str(exc).replace(str(root) + "/", "").replace(str(root), ".")) from None
                except ProblemConflict as exc:
                    raise HTTPException(status.HTTP_409_CONFLICT, str(exc).replace("--replace", "replace=true")) from None
                except ProblemTooLarge as exc:
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from None
                return problem_out(problem, admin=True)

    return await run_in_threadpool(store)


def _package_root(root: Path) -> Path:
    """The folder holding problem.toml: the archive's top, or its one top-level folder."""
    if (root / "problem.toml").is_file():
        return root
    entries = list(root.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return root  # load_problem says problem.toml is missing


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
