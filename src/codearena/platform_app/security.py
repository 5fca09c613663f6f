"""Passwords (argon2) and bearer tokens (JWT, HS256, with expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
ALGORITHM = "HS256"
ROLES = ("user", "admin")


class PasswordHash(str):
    """A password already hashed (so that it is never hashed twice)."""


def hash_password(password: str) -> PasswordHash:
    return PasswordHash(_hasher.hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the user does not exist keeps login time the same either way,
# so response times do not reveal which usernames exist.
DUMMY_HASH = hash_password("codearena-no-such-user")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the token says. Claims are trusted until the token expires."""

    user_id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class InvalidToken(Exception):
    pass


def issue_token(principal: Principal, secret: str, expires_minutes: int) -> tuple[str, datetime]:
    expires = datetime.now(timezone.utc) + timedelta(minutes=expires_minutes)
    claims = {"sub": str(principal.user_id), "name": principal.username, "role": principal.role, "exp": expires}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def read_token(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        principal = Principal(int(claims["sub"]), str(claims.get("name", "")), str(claims.get("role", "user")))
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("the token was not signed by this server") from None
    except (jwt.PyJWTError, ValueError, TypeError):
        # PyJWT's own words name codecs and padding; the caller only needs to know it is not a token.
        raise InvalidToken("this is not a valid token") from None
    if principal.role not in ROLES:
        raise InvalidToken("the token names an unknown role")
    return principal
