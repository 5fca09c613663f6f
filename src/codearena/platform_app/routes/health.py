"""Health (public) and execution status (admins), in the platform guide's exact shapes."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..db import database_reachable
from ..deps import Services, require_admin, services
from ..schemas import ExecutionStatusOut, HealthOut
from ..security import Principal

router = APIRouter(prefix="/api", tags=["health"])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "unhealthy"}})
async def health(svc: Services = Depends(services)):
    database_up = await run_in_threadpool(database_reachable, svc.engine)
    body = HealthOut(
        status="healthy" if database_up else "unhealthy", timestamp=_now(), uptime=svc.uptime(),
        services={"database": "connected" if database_up else "disconnected",
                  "execution": {"mode": svc.execution.mode,
                                "queueServiceAvailable": await svc.execution.health.available()}},
    )
    return JSONResponse(body.model_dump(), status_code=200 if database_up else 503)


@router.get("/execution/status", response_model=ExecutionStatusOut)
async def execution_status(_admin: Principal = Depends(require_admin), svc: Services = Depends(services)):
    config = svc.execution.settings
    return ExecutionStatusOut(
        mode=svc.execution.mode, queueServiceAvailable=await svc.execution.health.available(),
        config={"queueUrl": config.queue_url, "pollInterval": config.poll_interval,
                "maxPollTime": config.max_poll_time, "timeout": config.timeout},
        timestamp=_now(), uptime=svc.uptime(),
    )
