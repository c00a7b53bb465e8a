"""Persistence for GeneRec: the repository (:class:`Store`) and the media store (:class:`MediaStore`).

Nothing above this package writes SQL. :class:`Store` keeps users, items,
media records, events, conversation turns, generation jobs, verdicts,
provenance and API tokens in any SQLAlchemy database (a SQLite file in WAL mode
by default), with the schema versioned by the Alembic scripts shipped in
``generec/store/migrations``. :class:`MediaStore` keeps the files themselves,
named by their SHA-256.

Example
-------
>>> import tempfile
>>> from generec.store import Store, MediaStore
>>> home = tempfile.mkdtemp()
>>> store = Store.open(f"{home}/generec.db")
>>> media = MediaStore(f"{home}/media")
>>> store.counts()["items"]
0
>>> store.close()
"""

from generec.store.media_store import MediaStore
from generec.store.records import Job, LoadReport, Turn, TurnRole
from generec.store.schema import head_revision
from generec.store.store import Repository, Store

__all__ = ["Job", "LoadReport", "MediaStore", "Repository", "Store", "Turn", "TurnRole", "head_revision"]
