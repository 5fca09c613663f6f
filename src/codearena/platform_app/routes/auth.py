"""Accounts: register, log in, who am I."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deps import Services, client_address, current_user, db_session, services, throttle
from ..models import User
from ..schemas import Credentials, TokenOut, UserOut
from ..security import DUMMY_HASH, Principal, hash_password, issue_token, verify_password
from ..users import create_user

router = APIRouter(prefix="/api/auth", tags=["auth"])


# argon2 is built to be slow: at most this many hashes at once, each in a worker thread, so a
# flood of logins queues here instead of taking the threads and cores that executions need.
_HASHING = asyncio.Semaphore(2)


async def hashing(function, *args):
    async with _HASHING:
        return await run_in_threadpool(function, *args)


@router.post("/register", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             responses={403: {"description": "registration is closed"}, 409: {"description": "username taken"},
                        429: {"description": "too many registrations from this address; see Retry-After"}})
async def register(body: Credentials, request: Request, svc: Services = Depends(services)) -> User:
    if not svc.settings.registration_open:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "registration is closed; ask an administrator for an account")
    await throttle(svc, "register", f"address:{client_address(request)}")

    def store() -> User:
        with svc.sessions() as session:
            if session.scalar(select(User.id).where(User.username == body.username)) is not None:
                raise HTTPException(status.HTTP_409_CONFLICT, f"username {body.username!r} is taken; choose another")
            try:
                return create_user(session, body.username, password_hash)
            except ValueError as exc:
                raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None

    password_hash = await hashing(hash_password, body.password)
    return await run_in_threadpool(store)


@router.post("/login", response_model=TokenOut,
             responses={401: {"description": "wrong username or password"},
                        429: {"description": "too many attempts from this address or for this user; see Retry-After"}})
async def login(body: Credentials, request: Request, svc: Services = Depends(services)) -> dict:
    await throttle(svc, "login", f"address:{client_address(request)}", f"user:{body.username.lower()}")

    def find() -> User | None:
        with svc.sessions() as session:
            return session.scalar(select(User).where(User.username == body.username))

    user = await run_in_threadpool(find)
    matches = await hashing(verify_password, user.password_hash if user else DUMMY_HASH, body.password)
    if not matches or user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    principal = Principal(user.id, user.username, user.role)
    token, expires = issue_token(principal, svc.settings.jwt_secret or "", svc.settings.jwt_expires_minutes)
    return {"token": token, "expires_at": expires, "user": user}


@router.get("/me", response_model=UserOut)
def me(user: Principal = Depends(current_user), session: Session = Depends(db_session)) -> User:
    found = session.get(User, user.user_id)
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "this account no longer exists")
    return found
