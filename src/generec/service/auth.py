"""Who is calling: per-user API tokens (``Authorization: Bearer`` header or the sign-in cookie) and roles."""

from __future__ import annotations

from fastapi import HTTPException, Request

from generec.errors import NotFoundError
from generec.types import Role, User

COOKIE = "generec_token"
_RANK = {Role.USER: 0, Role.UPLOADER: 1, Role.ADMIN: 2}


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def current_user(request: Request) -> User:
    """The signed-in user; 401 with a message when the token is missing, unknown, revoked or expired."""
    token = token_of(request)
    if not token:
        raise HTTPException(401, "sign in first: send 'Authorization: Bearer <token>' or use the sign-in page",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    try:
        return request.app.state.ctx.generec.store.user_for_token(token)
    except NotFoundError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None


def require_role(user: User, role: Role) -> User:
    if _RANK[Role(user.role)] < _RANK[role]:
        raise HTTPException(403, f"this needs the '{role.value}' role; you are signed in as '{Role(user.role).value}'")
    return user
