"""POST /api/execute: a free run of the caller's code."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...execution import Job, LimitsSpec
from ..deps import Services, check_size, execution_allowed, resolve_language, services, while_connected
from ..results import execution_out
from ..schemas import ExecuteRequest, ExecutionResultOut
from ..security import Principal

router = APIRouter(prefix="/api", tags=["execution"])


@router.post("/execute", response_model=ExecutionResultOut,
             responses={413: {"description": "code or input too large"},
                        429: {"description": "rate limited, or too many runs in progress; see Retry-After"},
                        503: {"description": "execution capacity exhausted; see Retry-After"}})
async def execute(body: ExecuteRequest, request: Request, user: Principal = Depends(execution_allowed),
                  svc: Services = Depends(services)) -> ExecutionResultOut:
    settings = svc.settings
    language = resolve_language(body.language, body.version)
    check_size("code", body.code, svc.common.max_code_bytes)
    check_size("input", body.input, svc.common.max_input_bytes)
    limits = LimitsSpec(cpu_time=body.time_limit or settings.execute_time_limit,
                        memory_mb=body.memory_limit or settings.execute_memory_limit)
    job = Job.for_run(body.code, language.id, body.input, limits)
    async with svc.runs.slot(user.user_id):  # 429 when this user already has MAX_RUNS_PER_USER in progress
        result = await while_connected(request, svc.execution.executor.run(job))
    return execution_out(result)
