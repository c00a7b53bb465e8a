"""Security headers on every response, as ASGI middleware (the outermost one, so errors get them too).

The page loads only its own script, style sheet, thumbnails and videos, and talks only to its own
API, so its Content-Security-Policy allows exactly that: no inline script or style, no plugins, no
other origins, and no framing (``frame-ancestors 'none'``, against click-jacking). Browsers are told
not to guess content types (``nosniff``: an uploaded file is never run as script) and to send no
``Referer`` to other sites. The interactive API docs (``/docs``, ``/redoc``) are FastAPI's own pages,
which load their script from a CDN: they keep only the framing and sniffing rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PAGE_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])  # fmt: skip
DOCS_POLICY = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # for browsers that predate frame-ancestors
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Add the security headers to every HTTP response ``app`` sends (unless it set them itself)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = DOCS_POLICY if scope["path"].startswith(DOCS_PATHS) else PAGE_POLICY
        extra = [*_COMMON, (b"content-security-policy", policy.encode())]

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
