"""Accounts: register, log in, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..deps import Services, current_user, db_session, services
from ..models import User
from ..schemas import Credentials, TokenOut, UserOut
from ..security import DUMMY_HASH, Principal, hash_password, issue_token, verify_password

router = APIRouter(prefix="/api/auth", tags=["auth"])


def create_user(session: Session, username: str, password: str, role: str = "user") -> User:
    """Used by the API and by `codearena users create`; raises ValueError when the name is taken."""
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValueError(f"username {username!r} is taken") from None
    return user


@router.post("/register", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "username taken"}})
def register(body: Credentials, session: Session = Depends(db_session)) -> User:
    if session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"username {body.username!r} is taken; choose another")
    try:
        return create_user(session, body.username, body.password)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.post("/login", response_model=TokenOut, responses={401: {"description": "wrong username or password"}})
def login(body: Credentials, session: Session = Depends(db_session), svc: Services = Depends(services)) -> dict:
    user = session.scalar(select(User).where(User.username == body.username))
    if not verify_password(user.password_hash if user else DUMMY_HASH, body.password) or user is None:
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
