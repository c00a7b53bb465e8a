"""A crash mid-write loses nothing already committed and leaves no half transaction.

A child process writes to a SQLite store and is killed with SIGKILL (no clean-up
runs); the parent then reopens the file and checks what survived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generec.errors import NotFoundError
from generec.store import Store

BATCH = 2000

CHILD = textwrap.dedent(
    """
    import sys, time
    from generec.store import Store
    from generec.types import Event, EventKind, Item, User

    store = Store.open(sys.argv[1])
    mode, batch = sys.argv[2], int(sys.argv[3])
    store.add_user(User(id="u1"))
    store.add_item(Item(id="v1"))

    def events(start, n):
        return [Event("u1", "v1", EventKind.CLICK, ts=float(start + i)) for i in range(n)]

    if mode == "hold":
        for b in range(5):
            store.add_events(events(b * batch, batch))
        print("committed", flush=True)
        with store.transaction():
            store.add_events(events(10**9, 25 * batch))  # big enough to spill pages into the WAL
            store.add_user(User(id="half"))
            print("mid", flush=True)
            time.sleep(600)
    else:  # "loop": commit batch after batch until killed
        b = 0
        while True:
            store.add_events(events(b * batch, batch))
            b += 1
            print(f"committed {b}", flush=True)
    """
)


def _run_child(db: Path, mode: str, until: str) -> str:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), mode, str(BATCH)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == until:
                os.kill(proc.pid, signal.SIGKILL)
                return line.strip()
        raise AssertionError(f"child exited early with {proc.wait()}")
    finally:
        proc.kill()
        proc.wait(timeout=60)


def _check_integrity(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_killed_mid_transaction_keeps_commits_and_drops_the_half_transaction(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    _run_child(db, "hold", until="mid")
    with Store.open(db) as store:
        _check_integrity(store)
        events = store.events_for_user("u1")
        assert len(events) == 5 * BATCH
        assert max(e.ts for e in events) < 10**9
        with pytest.raises(NotFoundError):
            store.get_user("half")


@pytest.mark.slow
def test_killed_during_a_stream_of_commits_loses_no_committed_batch(tmp_path: Path) -> None:
    db = tmp_path / "stream.db"
    _run_child(db, "loop", until="committed 3")
    with Store.open(db) as store:
        _check_integrity(store)
        n = store.counts()["events"]
        assert n >= 3 * BATCH  # everything reported committed is there
        assert n % BATCH == 0  # and no batch is there in part
