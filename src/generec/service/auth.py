"""Who is calling: per-user API tokens (``Authorization: Bearer`` header or the sign-in cookie) and roles.

Checking a token in the store is a write transaction (it stamps ``last_used_at``, a disk sync), which
would cost more than most requests themselves; :class:`TokenCache` remembers valid tokens for a few
seconds. Revoking through this service (``/api/auth/revoke``, the admin's revoke route) evicts at
once; a token revoked or expired behind the service's back (another process) stops working within
``ttl_s``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any

import anyio
from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

from generec.errors import NotFoundError
from generec.types import Role, User

COOKIE = "generec_token"
_RANK = {Role.USER: 0, Role.UPLOADER: 1, Role.ADMIN: 2}
_RESOLVED = "generec_auth"  # request state: (token, its user or None, why not)


class TokenCache:
    """Valid tokens -> their user, for ``ttl_s`` seconds, at most ``max_entries`` (least recently used go).

    Only valid tokens are remembered (an unknown one is asked of the store every time, so a new token
    works at once) and they are kept by their SHA-256, never in clear.

    Example
    -------
    >>> cache = TokenCache(store, ttl_s=10)      # doctest: +SKIP
    >>> cache.user(token).id                     # doctest: +SKIP
    'alice'
    >>> cache.revoke(token)                      # doctest: +SKIP
    """

    def __init__(self, store: Any, ttl_s: float = 10.0, max_entries: int = 10_000, clock: Any = time.monotonic) -> None:
        self.store, self.ttl_s, self.max_entries, self.clock = store, float(ttl_s), max_entries, clock
        self._entries: OrderedDict[bytes, tuple[User, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._epoch = 0  # bumped by every eviction: a lookup that raced one is not remembered

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def user(self, token: str) -> User:
        """The token's user; :class:`NotFoundError` when the store does not know it (or it is revoked/expired)."""
        key, now = self._key(token), self.clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[1] > now:
                self._entries.move_to_end(key)
                return hit[0]
            epoch = self._epoch
        user = self.store.user_for_token(token)  # raises NotFoundError; outside the lock (it is I/O)
        if self.ttl_s > 0:
            with self._lock:
                if epoch != self._epoch:  # revoked meanwhile, perhaps this very token: do not cache
                    return user
                self._entries[key] = (user, now + self.ttl_s)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return user

    def forget(self, token: str) -> None:
        """Drop one token from the cache (the next request asks the store again)."""
        with self._lock:
            self._epoch += 1
            self._entries.pop(self._key(token), None)

    def forget_user(self, user_id: str) -> int:
        """Drop every cached token of ``user_id``; return how many."""
        with self._lock:
            self._epoch += 1
            keys = [k for k, (u, _) in self._entries.items() if u.id == user_id]
            for k in keys:
                del self._entries[k]
        return len(keys)

    def revoke(self, token: str) -> None:
        """Revoke the token in the store and forget it; :class:`NotFoundError` for an unknown token."""
        self.store.revoke_token(token)
        self.forget(token)  # after the commit; a lookup racing it is not cached (the epoch moved)

    def revoke_user(self, user_id: str) -> int:
        """Revoke every live token of ``user_id`` in the store and forget them; return how many were live."""
        n = self.store.revoke_user_tokens(user_id)
        self.forget_user(user_id)
        return n

    def cached(self, token: str) -> User | None:
        """The token's user if it is remembered and fresh, else ``None``; never asks the store."""
        hit = self._entries.get(self._key(token))
        return hit[0] if hit is not None and hit[1] > self.clock() else None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, token: object) -> bool:
        """Whether ``token`` is remembered now (a test's view; requests use :meth:`user`)."""
        return isinstance(token, str) and self.cached(token) is not None


def token_of(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


async def resolve(request: HTTPConnection, tokens: TokenCache) -> User | None:
    """Who the request signs in as (``None``: nobody, or a token the store does not know), found once per request.

    The answer is kept in the request's state, where :func:`current_user` reads it: the rate limit
    (which keys on it) and the route do not both ask the store. Store lookups run off the event loop.
    """
    state = request.scope.setdefault("state", {})
    if _RESOLVED not in state:
        token, user, problem = token_of(request), None, None
        if token:
            user = tokens.cached(token)
            if user is None:
                try:
                    user = await anyio.to_thread.run_sync(tokens.user, token)
                except NotFoundError as exc:
                    problem = str(exc)
        state[_RESOLVED] = (token, user, problem)
    return state[_RESOLVED][1]


def current_user(request: Request) -> User:
    """The signed-in user; 401 with a message when the token is missing, unknown, revoked or expired."""
    resolved = request.scope.get("state", {}).get(_RESOLVED)
    token, user, problem = resolved if resolved else (token_of(request), None, None)
    if not token:
        raise HTTPException(401, "sign in first: send 'Authorization: Bearer <token>' or use the sign-in page",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    if user is not None:
        return user
    if problem is None:  # not resolved before the route (an app without the rate limit)
        try:
            return request.app.state.ctx.tokens.user(token)
        except NotFoundError as exc:
            problem = str(exc)
    raise HTTPException(401, problem, headers={"WWW-Authenticate": "Bearer"})


def require_role(user: User, role: Role) -> User:
    if _RANK[Role(user.role)] < _RANK[role]:
        raise HTTPException(403, f"this needs the '{role.value}' role; you are signed in as '{Role(user.role).value}'")
    return user
