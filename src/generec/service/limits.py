"""Request limits as ASGI middleware: body size (uploads get their own cap) and a per-client rate.

Both answer with a JSON body (``{"error": {"status": ..., "message": ...}}``) like every other error.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


async def send_json_error(send: Callable[[dict], Awaitable[None]], status: int, message: str,
                          headers: list[tuple[bytes, bytes]] = ()) -> None:  # fmt: skip
    body = json.dumps({"error": {"status": status, "message": message}}).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over ``max_bytes`` (``upload_bytes`` for paths under ``upload_prefix``) with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int, upload_prefix: str = "/api/uploads") -> None:
        self.app, self.max_bytes, self.upload_bytes, self.upload_prefix = app, max_bytes, upload_bytes, upload_prefix

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_bytes if scope["path"].startswith(self.upload_prefix) else self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await send_json_error(send, 413, f"request body too large (limit {limit} bytes)")
        if scope["path"].startswith(self.upload_prefix) or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)  # uploads stream to disk and count there
        # A body without a Content-Length (chunked): read it here, up to the limit, then replay it.
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            seen += len(message.get("body", b""))
            if seen > limit:
                return await send_json_error(send, 413, f"request body too large (limit {limit} bytes)")
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class RateLimit:
    """Token bucket per client on ``/api/`` paths: per signed-in user, else per address.

    ``resolve(scope)`` names the user a request signs in as (``None`` for no or an unknown token).
    Keying on the resolved user, not on the credential's bytes, means a token spelled another way
    (``bearer``, two spaces, the cookie) is still the same client; requests that resolve to nobody
    (random tokens, sign-in guesses) share their address's bucket, so guessing is limited too.
    """

    def __init__(self, app: ASGIApp, rate_per_s: float, burst: int,
                 resolve: Callable[[Scope], Awaitable[str | None]] | None = None) -> None:  # fmt: skip
        self.app, self.rate, self.burst, self.resolve = app, float(rate_per_s), float(burst), resolve
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    async def client_key(self, scope: Scope) -> str:
        user_id = await self.resolve(scope) if self.resolve is not None else None
        if user_id is not None:
            return f"u:{user_id}"
        client = scope.get("client") or ("?", 0)
        return f"a:{client[0]}"

    def allow(self, key: str, now: float | None = None) -> float:
        """0.0 if a request may pass now, else seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > 50_000:  # forget idle clients so memory stays bounded
                    self._buckets.clear()
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            wait = self.allow(await self.client_key(scope))
            if wait > 0:
                retry = str(max(1, round(wait + 0.5))).encode()
                return await send_json_error(send, 429, "too many requests; slow down and retry later",
                                             [(b"retry-after", retry)])  # fmt: skip
        await self.app(scope, receive, send)
