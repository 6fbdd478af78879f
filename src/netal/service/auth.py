"""Passwords (argon2), bearer tokens (opaque, stored as SHA-256) and the caller of a request.

A session token comes from the OAuth2 password flow (``POST /token``) and
expires; an API token (for agents and scripts) is created by an admin and
lives until revoked.  Either is a random 32-byte URL-safe string shown once;
the database keeps only its SHA-256, so a leaked database yields no token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from netal.errors import InvalidInputError
from netal.service.tables import ROLES, Token, User

SESSION_TTL = timedelta(hours=12)
"""How long a password-flow token lives."""

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("netal-timing-guard")


def now() -> datetime:
    """The current UTC time, naive (how the tables store times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def hash_token(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, name: str, password: str, role: str) -> User:
    """Add a user with an argon2 hash of ``password`` (not committed)."""
    if role not in ROLES:
        raise InvalidInputError("role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    if not name or len(name) > 100 or not name.isprintable():
        raise InvalidInputError("name", "must be 1-100 printable characters")
    if len(password) < 8:
        raise InvalidInputError("password", "must have at least 8 characters")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise InvalidInputError("name", f"user {name!r} exists")
    user = User(name=name, password_hash=_HASHER.hash(password), role=role, created_at=now())
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else None (same work either way)."""
    user = session.scalar(select(User).where(User.name == name))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user


def issue_token(session: Session, user: User, kind: str, name: str = "") -> str:
    """A new token of ``kind`` (``"session"``, expiring; ``"api"``, until revoked) for ``user``."""
    token = secrets.token_urlsafe(32)
    expires = now() + SESSION_TTL if kind == "session" else None
    session.add(
        Token(
            user_id=user.id,
            token_hash=hash_token(token),
            kind=kind,
            name=name,
            created_at=now(),
            expires_at=expires,
        )
    )
    return token


def user_of_token(session: Session, token: str) -> User | None:
    """The user a live token belongs to, else None."""
    row = session.execute(  # one round trip: the token and its user
        select(User, Token.expires_at)
        .join(Token, Token.user_id == User.id)
        .where(Token.token_hash == hash_token(token))
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at < now()):
        return None
    return row.User
