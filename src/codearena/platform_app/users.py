"""Accounts in the database, for the API and the command line alike."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import User
from .security import PasswordHash, hash_password


def create_user(session: Session, username: str, password: str | PasswordHash, role: str = "user") -> User:
    """Used by the API and by `codearena users create`; raises ValueError when the name is taken.
    `password` is the password, or its hash already computed (PasswordHash)."""
    hashed = password if isinstance(password, PasswordHash) else hash_password(password)
    user = User(username=username, password_hash=hashed, role=role)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValueError(f"username {username!r} is taken") from None
    return user
