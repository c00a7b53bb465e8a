"""Group commit for feed events: events posted at about the same time share one transaction.

Every SQLite commit waits for the disk (``synchronous=FULL``, so a stored event survives a crash),
about 10 ms here, and commits take turns; one commit per ``POST /api/events`` would cap the whole
service near 100 posts a second. :class:`EventWriter` hands each post to one writer thread that
stores everything queued meanwhile in a single transaction, and answers each post only after the
commit that holds its events (nothing is acknowledged before it is durable).

Example
-------
>>> writer = EventWriter(store); writer.start()   # doctest: +SKIP
>>> writer.write(events)                          # doctest: +SKIP
2
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import Any

from generec.pipeline_parts import check_events
from generec.types import Event

log = logging.getLogger(__name__)


class _Post:
    __slots__ = ("done", "error", "events")

    def __init__(self, events: list[Event]) -> None:
        self.events, self.error, self.done = events, None, threading.Event()


class EventWriter:
    """Stores events in batches from one background thread; :meth:`write` blocks until its batch committed.

    ``max_events`` bounds one transaction. A batch that fails is retried post by post, so one bad post
    (an item deleted meanwhile) fails alone. Without :meth:`start` (or after :meth:`stop`) posts are
    written directly, one transaction each.
    """

    def __init__(self, store: Any, max_events: int = 5000) -> None:
        self.store, self.max_events = store, max_events
        self._queue: queue.SimpleQueue[_Post | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._running = False
        self._lock = threading.Lock()  # nothing is queued after stop()'s end marker
        self.batches = 0  # transactions committed by the writer thread (for tests and benches)

    def check(self, user_id: str, events: Sequence[Event]) -> None:
        """The rule of :meth:`Session.record` (:func:`generec.pipeline_parts.check_events`)."""
        check_events(self.store, user_id, events)

    def write(self, user_id: str, events: Sequence[Event]) -> int:
        """Check and durably store ``events`` of ``user_id``; return how many were stored."""
        events = list(events)
        if not events:
            return 0
        self.check(user_id, events)
        post = _Post(events)
        with self._lock:
            queued = self._running
            if queued:
                self._queue.put(post)
        if not queued:
            return self.store.add_events(events)
        post.done.wait()
        if post.error is not None:
            raise post.error
        return len(events)

    def start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
            self._thread = threading.Thread(target=self._run, name="generec-events", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Store what is queued, then stop the thread (later posts are written directly)."""
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            posts, n, stop = [first], len(first.events), False
            while n < self.max_events:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                posts.append(nxt)
                n += len(nxt.events)
            self._commit(posts)
            if stop:
                return

    def _commit(self, posts: list[_Post]) -> None:
        try:
            self.store.add_events([e for p in posts for e in p.events])
            self.batches += 1
        except Exception:  # one bad post must not fail the others: store them one by one
            for p in posts:
                try:
                    self.store.add_events(p.events)
                except Exception as exc:  # handed to the request that sent it
                    p.error = exc
        finally:
            for p in posts:
                p.done.set()
