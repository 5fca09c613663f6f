"""Request dependencies: the app's services, the caller's identity, and the guards on execution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
import asyncio
from typing import Annotated, Awaitable, Iterator, TypeVar

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..common_settings import CommonSettings
from ..execution import Execution
from ..languages import (Language, NotInstalled, UnknownLanguage, UnknownVersion, get_language, installed_ids,
                         require_installed)
from .fairshare import InFlightRuns
from .judging import SubmissionJudge
from .schemas import MAX_ROW_ID
from .security import InvalidToken, Principal, read_token
from .settings import PlatformSettings

T = TypeVar("T")
# An id in a path: the database's ids are 32-bit, so a larger number is a clear 422, not a driver error.
PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@dataclass
class Services:
    """Everything a request may need, built once per app (app.state.services)."""

    settings: PlatformSettings
    common: CommonSettings
    engine: Engine
    sessions: sessionmaker[Session]
    execution: Execution  # execution.executor.run(job): the guide's executeCodeUnified
    judge: SubmissionJudge
    limiter: MovingWindowRateLimiter | None
    rate_limit: RateLimitItem | None
    started_at: datetime
    runs: InFlightRuns
    auth_limits: dict[str, RateLimitItem]  # "login", "register": parsed from the settings, when set

    def uptime(self) -> float:
        return round((datetime.now(timezone.utc) - self.started_at).total_seconds(), 3)


# The dependencies that do no blocking I/O are async: FastAPI runs a sync one in its threadpool,
# a thread hop per request that costs more than reading a token.
async def services(request: Request) -> Services:
    return request.app.state.services


def db_session(svc: Services = Depends(services)) -> Iterator[Session]:
    with svc.sessions() as session:
        yield session


_bearer = HTTPBearer(auto_error=False, description="a token from POST /api/auth/login")


async def current_user(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
                       svc: Services = Depends(services)) -> Principal:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token: log in at POST /api/auth/login "
                            "and send `Authorization: Bearer TOKEN`", headers=unauthorized)
    try:
        return read_token(credentials.credentials, svc.settings.jwt_secret or "")
    except InvalidToken as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid token: {exc}; log in again",
                            headers=unauthorized) from None


async def require_admin(user: Principal = Depends(current_user)) -> Principal:
    if not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    return user


async def execution_allowed(user: Principal = Depends(current_user), svc: Services = Depends(services)) -> Principal:
    """Per-user rate limit on every endpoint that runs code: 429 with Retry-After."""
    await charge_runs(svc, user, 1)
    return user


async def charge_runs(svc: Services, user: Principal, runs: int) -> None:
    """Count `runs` executions against the user's rate limit (a request may run the code more than
    once: a module's run and its tests); 429 with Retry-After when they do not fit."""
    if svc.limiter is not None and svc.rate_limit is not None and runs > 0:
        await _spend(svc.limiter, svc.rate_limit, "exec", f"user:{user.user_id}", runs,
                     f"rate limit of {svc.settings.rate_limit} executions reached")


async def throttle(svc: Services, what: str, *keys: str) -> None:
    """429 + Retry-After once any of `keys` (a client address, a username) used up the `what` limit."""
    item = svc.auth_limits.get(what)
    if svc.limiter is None or item is None:
        return
    for key in keys:
        await _spend(svc.limiter, item, what, key, 1, f"too many {what} attempts")


async def _spend(limiter: MovingWindowRateLimiter, item: RateLimitItem, namespace: str, key: str, cost: int,
                 refusal: str) -> None:
    """Take `cost` from the key's window, or answer 429 saying `refusal` and when to retry."""
    if not await limiter.hit(item, namespace, key, cost=cost):
        stats = await limiter.get_window_stats(item, namespace, key)
        retry_after = max(1, int(stats.reset_time - datetime.now(timezone.utc).timestamp()) + 1)
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, f"{refusal}; retry after {retry_after} s",
                            headers={"Retry-After": str(retry_after)})


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def require_every_field(body, what: str) -> None:
    """PUT replaces the whole resource: a field left out would silently be reset. 422 naming them."""
    missing = [info.alias or name for name, info in type(body).model_fields.items()
               if name not in body.model_fields_set and name != "slug"]
    if missing:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"PUT replaces the whole {what}: send every field (missing: {', '.join(missing)}), "
                            "or use PATCH to change only some")


class ClientGone(Exception):
    """The client closed its connection before its run finished (the run was stopped)."""


async def while_connected(request: Request, work: Awaitable[T]) -> T:
    """Await `work` unless the client goes away first: then `work` is cancelled (which stops its
    run: the direct pool kills it, the queue client cancels its job) and ClientGone is raised.
    Once the body is read, the next ASGI message a request can receive is its disconnect."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        gone.cancel()
    if task in done:
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    raise ClientGone()


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def check_size(what: str, text: str, limit: int) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"{what} is {size} bytes; the limit is {limit} bytes")


def get_or_404(session: Session, model: type[T], object_id: int) -> T:
    """The row, or 404 naming what is missing ("problem 7 does not exist")."""
    found = session.get(model, object_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{model.__tablename__.rstrip('s')} {object_id} does not exist")
    return found


def resolve_language(name: str, version: str | None = None) -> Language:
    try:
        return require_installed(get_language(name, version))
    except UnknownLanguage:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown language {name!r}; supported: {', '.join(installed_ids())}") from None
    except (UnknownVersion, NotInstalled) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
