"""Keeping the shared catalog warm, so a feed request does not pay for rebuilding it.

:meth:`GeneRec.catalog` rebuilds the public catalog (every item and its popularity) when it is older
than ``catalog_ttl_s``, inside the step that finds it stale, while other steps wait for it. The
service builds it before it answers its first request and then lets a background thread be the one
that finds it stale, so requests (almost) never do.

Example
-------
>>> keeper = CatalogKeeper(generec, ttl_s=30.0)   # doctest: +SKIP
>>> keeper.start(); ...; keeper.stop()            # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


class CatalogKeeper:
    """Warms ``generec``'s catalog at start and refreshes it in the background when it goes stale.

    ``ttl_s`` (when given) replaces ``generec.catalog_ttl_s``: how stale the public catalog may get
    (new uploads reach other users' feeds within it; a user's own AI items are read fresh every step).
    """

    def __init__(self, generec: Any, ttl_s: float | None = None, poll_s: float = 0.25) -> None:
        self.generec, self.poll_s = generec, poll_s
        if ttl_s is not None:
            generec.catalog_ttl_s = float(ttl_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: object = None
        self.refreshes = 0  # catalogs this keeper saw built (the first one included)

    def warm(self) -> float:
        """Build the catalog now if it is stale; return the seconds that took."""
        t = time.perf_counter()
        items = self.generec.catalog()
        if items is not self._seen:  # a rebuild returns a new mapping
            self._seen = items
            self.refreshes += 1
        return time.perf_counter() - t

    def start(self) -> None:
        self.warm()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="generec-catalog", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.warm()
            except Exception:  # the store is busy or gone for a moment; a request will rebuild it
                log.exception("refreshing the catalog failed")
