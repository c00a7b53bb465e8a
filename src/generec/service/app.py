"""The FastAPI application: API under ``/api``, the web page at ``/``, OpenAPI at ``/openapi.json``.

Every error is a JSON body ``{"error": {"status": N, "message": "..."}}`` — never HTML or a traceback.

Example
-------
>>> from generec.pipeline import GeneRec
>>> app = create_app(GeneRec.from_config(settings))   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection

from generec.errors import ConfigError, GeneRecError, MediaError, NotFoundError
from generec.pipeline import GeneRec, JobLimitError, Session
from generec.service.auth import TokenCache, resolve
from generec.service.events import EventWriter
from generec.service.headers import SecurityHeaders
from generec.service.limits import BodyLimit, RateLimit
from generec.service.retrain import ModelKeeper
from generec.service.upkeep import CatalogKeeper
from generec.service.workers import WorkerPool
from generec.store.scratch import clean_scratch, scratch_root
from generec.text import hide_paths

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


class Context:
    """What request handlers share: the composed system, the worker pool, open sessions and valid tokens."""

    def __init__(self, generec: GeneRec, pool: WorkerPool, token_cache_s: float = 10.0) -> None:
        self.generec = generec
        self.pool = pool
        self.tokens = TokenCache(generec.store, ttl_s=token_cache_s)
        self.events = EventWriter(generec.store)
        self.mimes: dict[str, str] = {}  # media hash -> type; content-addressed, so never stale
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def session(self, user_id: str) -> Session:
        with self._lock:
            if user_id not in self._sessions:
                if len(self._sessions) > 10_000:
                    self._sessions.clear()
                self._sessions[user_id] = Session(self.generec, user_id)
            return self._sessions[user_id]


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return _error(422, f"invalid request: {where}: {first.get('msg')}")

    @app.exception_handler(GeneRecError)
    async def ours(request: Request, exc: GeneRecError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 429 if isinstance(exc, JobLimitError) else \
            422 if isinstance(exc, MediaError | ConfigError) else 400  # fmt: skip
        return _error(status, hide_paths(str(exc), request.app.state.ctx.generec.settings.home))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")


def create_app(
    generec: GeneRec,
    *,
    workers: int | None = None,
    start_workers: bool = True,
    warm_instructor: bool = True,
    token_cache_s: float = 10.0,
    catalog_ttl_s: float | None = 30.0,
    keep_model: bool = True,
) -> FastAPI:
    """The app for ``generec``; its worker pool starts (after job recovery) with the app's lifespan.

    ``token_cache_s``: how long a checked token is trusted without asking the store again (0: never);
    tokens revoked through the API stop working at once, ones revoked by another process within this.
    ``catalog_ttl_s`` (``None``: keep ``generec``'s): how stale the shared public catalog may get; it is
    built before the first request and rebuilt in the background, not by the request that finds it stale
    (so a new upload reaches other users' feeds within it; a user's own AI items are read fresh).
    ``keep_model``: run the :class:`~generec.service.retrain.ModelKeeper` (swap in newly trained
    recommenders, run queued and scheduled retrainings in a child process).
    """
    settings = generec.settings.service
    pool = WorkerPool(generec, settings.workers if workers is None else workers)
    keeper = CatalogKeeper(generec, catalog_ttl_s)
    models = ModelKeeper(generec) if keep_model else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if removed := clean_scratch(generec.settings.home):  # what a killed process left in <home>/tmp
            log.info("removed %d leftover scratch entries from %s", removed, scratch_root(generec.settings.home))
        if start_workers:
            pool.start()
        keeper.start()
        if models is not None:
            models.start()
        ctx.events.start()
        warm = getattr(generec.instructor, "warm", None)
        if warm_instructor and callable(warm):  # fit the instructor in the background so the first chat turn is quick
            threading.Thread(target=_quietly, args=(warm,), name="generec-warmup", daemon=True).start()
        yield
        ctx.events.stop()  # what was posted is stored before the process goes
        keeper.stop()
        if models is not None:
            models.stop()
        pool.stop()

    app = FastAPI(
        title="GeneRec",
        version="1",
        lifespan=lifespan,
        description="Generative recommendation: a feed, a chat, generated items with provenance.",
    )
    app.state.ctx = ctx = Context(generec, pool, token_cache_s)
    app.state.catalog_keeper = keeper
    app.state.model_keeper = models
    _install_error_handlers(app)
    from generec.service import api, api_facets, api_items

    app.include_router(api.router)
    app.include_router(api_items.router)
    app.include_router(api_facets.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def signed_in_as(scope: dict) -> str | None:
        user = await resolve(HTTPConnection(scope), ctx.tokens)
        return None if user is None else user.id

    app.add_middleware(RateLimit, rate_per_s=settings.rate_per_s, burst=settings.rate_burst, resolve=signed_in_as)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)  # added last: the outermost, so the limits' answers carry the headers too
    return app


def _quietly(fn) -> None:  # noqa: ANN001
    try:
        fn()
    except Exception:  # the first chat turn will report the problem to the user
        log.exception("instructor warm-up failed")
