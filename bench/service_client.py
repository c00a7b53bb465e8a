"""The load test's HTTP client (used by ``bench_service.py``): one keep-alive connection per simulated
user and the run's shared clock, request budget, latencies and errors."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict


class Conn:
    """One keep-alive HTTP/1.1 connection, like one browser tab's; small, so the client leaves the cores
    to the server (httpx's client cost about as much CPU per request as the service itself)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token, self.auth = port, token, f"Authorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: object = None, headers: str = "") -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        kind = "Content-Type: application/json\r\n" if body is not None else ""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}{kind}{headers}"
        head += f"Content-Length: {len(data)}\r\n\r\n"
        for attempt in (0, 1):  # a keep-alive connection the server closed is reopened once
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(head.encode() + data)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
        if "content-length" in fields:
            body = await self.reader.readexactly(int(fields["content-length"]))
        else:  # chunked
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            body = b"".join(p[:-2] for p in parts)
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Run:
    """Shared by all simulated users: the clock, the budget, latencies and errors."""

    def __init__(self, port: int, seconds: float, max_requests: int, time_scale: float, chat: float) -> None:
        self.port, self.scale, self.budget, self.chat = port, time_scale, max_requests, chat
        self.tasks: set[asyncio.Task] = set()  # job watchers running beside their user
        self.started = time.monotonic()
        self.stop_at = self.started + seconds
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    @property
    def live(self) -> bool:
        return time.monotonic() < self.stop_at and self.budget > 0

    async def call(self, conn: Conn, kind: str, method: str, path: str, body: object = None, headers: str = ""):
        if not self.live:
            return None
        self.budget -= 1
        t = time.perf_counter()
        try:
            status, data = await conn.request(method, path, body, headers)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.errors[kind][type(exc).__name__] += 1
            conn.close()
            return None
        self.lat[kind].append(time.perf_counter() - t)
        if status >= 400:
            self.errors[kind][str(status)] += 1
            return None
        return data

    async def pause(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds * self.scale, max(0.0, self.stop_at - time.monotonic())))
