"""Health (public) and execution status (admins), in the platform guide's exact shapes."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..db import database_reachable
from ..deps import Services, require_admin, services
from ..schemas import ExecutionDashboardOut, ExecutionStatusOut, HealthOut
from ..security import Principal

router = APIRouter(prefix="/api", tags=["health"])
probes = APIRouter(tags=["health"])  # for orchestrators (Kubernetes, compose): no auth, no details


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


@probes.get("/livez", responses={200: {"description": "the process answers"}})
async def livez() -> dict:
    return {"status": "ok"}


@probes.get("/readyz", responses={503: {"description": "the database is unreachable"}})
async def readyz(svc: Services = Depends(services)) -> JSONResponse:
    """Ready when the database answers. The execution service is not asked: without it the
    platform still serves, running code directly (the fallback)."""
    if await run_in_threadpool(database_reachable, svc.engine):
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable"}, status_code=503)


@router.get("/execution/status", response_model=ExecutionStatusOut)
async def execution_status(_admin: Principal = Depends(require_admin), svc: Services = Depends(services)):
    return ExecutionStatusOut(**await _status(svc))


async def _status(svc: Services) -> dict:
    config = svc.execution.settings
    return {"mode": svc.execution.mode, "queueServiceAvailable": await svc.execution.health.available(),
            "config": {"queueUrl": config.queue_url, "pollInterval": config.poll_interval,
                       "maxPollTime": config.max_poll_time, "timeout": config.timeout},
            "timestamp": _now(), "uptime": svc.uptime()}


@router.get("/execution/dashboard", response_model=ExecutionDashboardOut)
async def execution_dashboard(_admin: Principal = Depends(require_admin), svc: Services = Depends(services)):
    """The status, and what the admin's dashboard shows: the breaker, the service's workers,
    slots and backlog, runs per minute, and the latest fallbacks and failures."""
    execution = svc.execution
    breaker = execution.breaker
    return ExecutionDashboardOut(
        **await _status(svc),
        breaker=breaker and {"open": breaker.open, "failures": breaker.failures, "threshold": breaker.threshold},
        service=await execution.service_report(), runsPerMinute=round(execution.activity.per_minute(), 1),
        executions=execution.stats,
        direct={"slots": execution.direct.concurrency, "inFlight": execution.direct.in_flight},
        recent=list(reversed(execution.activity.recent)),
    )
