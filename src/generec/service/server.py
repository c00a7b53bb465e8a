"""Running the service: :func:`serve` (what ``generec serve`` and ``generec demo`` call) and demo logins."""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from typing import Any

from generec.config import Settings
from generec.errors import ConfigError, NotFoundError
from generec.types import Role, User

log = logging.getLogger(__name__)

DEMO_USER = "demo"


@dataclasses.dataclass(frozen=True)
class DemoLogin:
    """A sign-in for the demo: the user, a fresh token, and the URL that signs the browser in."""

    user_id: str
    token: str
    url: str


def create_demo_login(
    store: Any, base_url: str = "http://127.0.0.1:8000", *, user_id: str = DEMO_USER, role: Role = Role.UPLOADER
) -> DemoLogin:
    """Create (or reuse) the demo user and issue a token; the URL carries it once, the page then forgets it."""
    try:
        store.get_user(user_id)
    except NotFoundError:
        store.add_user(User(id=user_id, name="Demo viewer", role=role))
    token = store.create_token(user_id, label="demo login")
    return DemoLogin(user_id, token, f"{base_url.rstrip('/')}/#token={token}")


def serve(
    settings: Settings, world: Any = None, open_browser: bool = False, *, generec: Any = None, api_only: bool = False
) -> None:
    """Start the HTTP service on ``settings.service.host:port`` until interrupted (Ctrl+C).

    ``world`` (a loaded GeneRec-Sim world) is only used to name it in the banner; the store under
    ``settings.home`` must already hold the items (``generec demo`` loads them). ``api_only``: run
    no generation workers here (``generec worker`` processes on the same store run the jobs).
    """
    import uvicorn

    from generec.service.app import create_app

    host, port = settings.service.host, settings.service.port
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s: the API is reachable from other machines", host)
    if generec is None:
        generec = _compose(settings)
    login = create_demo_login(generec.store, f"http://{host}:{port}")
    name = f" (world: {getattr(world, 'root', world)})" if world is not None else ""
    print(f"GeneRec is serving {settings.home}{name}\n  open {login.url}\n  API docs: http://{host}:{port}/docs")
    if open_browser:
        import webbrowser

        webbrowser.open(login.url)
    app = create_app(generec, start_workers=not api_only)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        generec.close()


def _compose(settings: Settings) -> Any:
    """The composed system for ``settings``; a :class:`ConfigError` first when its store holds no items."""
    from generec.pipeline import GeneRec
    from generec.store import Store

    with Store.open(settings) as store:  # before composing the rest: say at once when the home is empty
        if store.counts()["items"] == 0:
            raise ConfigError(
                f"the store in {settings.home} holds no items; run `generec demo --home {settings.home}` first"
            )
    return GeneRec.from_config(settings)


def run_workers(settings: Settings, workers: int, stop: threading.Event | None = None) -> None:
    """Run ``workers`` generation workers on the store's job queue until ``stop`` is set, SIGTERM or Ctrl+C.

    One of possibly many worker processes on one database and one media directory: jobs that
    another worker left running are taken over only once their lease has run out.
    """
    from generec.service.workers import WorkerPool

    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    stop = stop or threading.Event()
    generec = _compose(settings)
    pool = WorkerPool(generec, workers, shared=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    pool.start()
    print(f"GeneRec worker {pool.prefix}: {workers} worker(s) on {generec.store.url}, jobs {generec.job_kinds}",
          flush=True)  # fmt: skip
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        pool.stop()
        generec.close()
