"""Course modules: admins write them; anyone signed in reads them and runs code in them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import ValidationError
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...engine.judge import TestCase
from ...execution import Job, LimitsSpec
from ...validation import describe_request_errors
from ..deps import (PathId, charge_runs, Services, check_size, current_user, db_session, execution_allowed, get_or_404,
                    require_admin, require_every_field, resolve_language, services, while_connected)
from ..models import Module
from ..results import execution_out, tests_run_out
from ..schemas import ModuleExecuteOut, ModuleExecuteRequest, ModuleIn, ModuleOut, ModulePatch
from ..security import Principal

router = APIRouter(prefix="/api/modules", tags=["modules"])


def _apply(module: Module, body: ModuleIn) -> Module:
    module.language = resolve_language(body.language).id
    module.title, module.content, module.starter_code, module.stdin = body.title, body.content, body.starter_code, body.stdin
    module.tests = [{"name": t.name or str(i), "input": t.input, "expectedOutput": t.expected_output}
                    for i, t in enumerate(body.tests, start=1)]
    module.time_limit, module.memory_limit = body.time_limit, body.memory_limit
    return module


@router.get("", response_model=list[ModuleOut])
def list_modules(_user: Principal = Depends(current_user), session: Session = Depends(db_session)):
    return session.scalars(select(Module).order_by(Module.id)).all()


@router.get("/{module_id}", response_model=ModuleOut)
def read_module(module_id: PathId, _user: Principal = Depends(current_user), session: Session = Depends(db_session)):
    return get_or_404(session, Module, module_id)


@router.post("", response_model=ModuleOut, status_code=status.HTTP_201_CREATED)
def create_module(body: ModuleIn, _admin: Principal = Depends(require_admin), session: Session = Depends(db_session)):
    module = _apply(Module(), body)
    session.add(module)
    session.commit()
    return module


@router.put("/{module_id}", response_model=ModuleOut)
def replace_module(module_id: PathId, body: ModuleIn, _admin: Principal = Depends(require_admin),
                   session: Session = Depends(db_session)):
    """Every field; to change some, PATCH."""
    require_every_field(body, "module")
    module = _apply(get_or_404(session, Module, module_id), body)
    session.commit()
    return module


@router.patch("/{module_id}", response_model=ModuleOut)
def update_module(module_id: PathId, body: ModulePatch, _admin: Principal = Depends(require_admin),
                  session: Session = Depends(db_session)):
    """Only the fields sent change."""
    module = get_or_404(session, Module, module_id)
    merged = {**ModuleOut.model_validate(module).model_dump(), **body.model_dump(exclude_unset=True)}
    try:
        whole = ModuleIn.model_validate(merged)  # the whole module, validated again
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, describe_request_errors(exc.errors())) from None
    _apply(module, whole)
    session.commit()
    return module


@router.delete("/{module_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_module(module_id: PathId, _admin: Principal = Depends(require_admin), session: Session = Depends(db_session)):
    session.delete(get_or_404(session, Module, module_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/execute", response_model=ModuleExecuteOut, responses={404: {"description": "no such module"}})
async def execute_in_module(body: ModuleExecuteRequest, request: Request, user: Principal = Depends(execution_allowed),
                            svc: Services = Depends(services)) -> ModuleExecuteOut:
    """Runs the code (default: the starter code) on the input (default: the module's stdin) and,
    when the module has tests, judges the code against them too."""

    def load() -> Module:
        with svc.sessions() as session:
            return get_or_404(session, Module, body.module_id)

    module = await run_in_threadpool(load)
    await charge_runs(svc, user, len(module.tests))  # the run was counted; each test runs the code again
    code = module.starter_code if body.code is None else body.code
    stdin = module.stdin if body.input is None else body.input
    check_size("code", code, svc.common.max_code_bytes)
    check_size("input", stdin, svc.common.max_input_bytes)
    limits = LimitsSpec(cpu_time=module.time_limit, memory_mb=module.memory_limit)
    run = svc.execution.executor.run
    async with svc.runs.slot(user.user_id):  # the run and the module's tests, one after the other
        result = execution_out(await while_connected(request, run(Job.for_run(code, module.language, stdin, limits))))
        answer = ModuleExecuteOut(**result.model_dump())
        if module.tests:
            cases = [TestCase(t["name"], t["input"].encode(), t["expectedOutput"].encode()) for t in module.tests]
            judged = await while_connected(request, run(
                Job.for_judging(code, module.language, cases, limits, priority="interactive")))
            answer.tests = tests_run_out(judged, cases, show_io=True)
    return answer
