"""Schema versioning, engine settings and opening stores from URLs, paths and settings."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from generec.config import Settings
from generec.errors import StoreError
from generec.store import Store, head_revision
from generec.store.engine import create_store_engine
from generec.store.models import Base
from generec.types import User


def test_new_database_is_migrated_to_head_and_matches_the_models(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert store.revision == head_revision()
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            # The hand-written migration and the ORM models describe the same schema.
            assert compare_metadata(ctx, Base.metadata) == []


def test_the_fast_path_head_constant_matches_the_scripts() -> None:
    from generec.store.schema import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD  # bump SCHEMA_HEAD with every new migration script


def test_reopening_is_idempotent_and_keeps_data(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.add_user(User(id="u1"))
    for _ in range(2):
        with Store.open(store_url) as store:
            assert store.revision == head_revision()
            assert store.get_user("u1").id == "u1"


def test_database_from_a_newer_generec_is_refused(store_url: str) -> None:
    with Store.open(store_url) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="newer than this GeneRec"):
        Store.open(store_url)


def test_database_with_foreign_tables_is_refused(store_url: str) -> None:
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE accounts (id INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not a GeneRec store"):
        Store.open(store_url)


def test_a_file_that_is_not_a_database_gives_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="opening the store"):
        Store.open(path)


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(db_path: Path) -> None:
    with Store.open(db_path) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_open_accepts_settings_urls_and_memory(tmp_path: Path) -> None:
    with Store.open(Settings(home=tmp_path / "home")) as store:
        assert store.url.endswith("generec.db")
    assert (tmp_path / "home" / "generec.db").is_file()
    with Store.open(f"sqlite:///{tmp_path / 'by_url.db'}") as store:
        store.add_user(User(id="u1"))
    assert (tmp_path / "by_url.db").is_file()
    with Store.open("sqlite://") as store:
        assert store.counts()["users"] == 0


def test_bad_urls_and_missing_drivers_give_actionable_errors() -> None:
    with pytest.raises(StoreError, match="invalid store URL"):
        Store.open("postgres ql://x")
    with pytest.raises(StoreError, match="cannot use store URL"):
        Store.open("nosuchdatabase://host/x")


@pytest.mark.parametrize("url", ["postgresql://nobody@localhost/generec", "postgresql+psycopg://nobody@localhost/g"])
def test_a_postgresql_url_without_the_extra_says_which_extra_in_one_line(url: str, generec_without) -> None:
    done = generec_without(["psycopg"], "info", "--store-url", url)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "error: A postgresql store needs the 'psycopg' package: install it with `pip install 'generec[postgres]'`"
    ]


def test_a_postgresql_url_without_a_driver_uses_psycopg(postgres_cluster) -> None:
    url = postgres_cluster.create_database("plain_url")
    with Store.open(url.replace("postgresql+psycopg://", "postgresql://")) as store:
        assert store.engine.driver == "psycopg" and store.revision == head_revision()


def test_migration_scripts_ship_inside_the_package() -> None:
    root = resources.files("generec.store") / "migrations"
    assert (root / "env.py").is_file()
    assert (root / "script.py.mako").is_file()
    versions = [p.name for p in (root / "versions").iterdir() if p.name.endswith(".py")]
    assert "__init__.py" in versions  # a package, so setuptools installs it
    assert any(v.startswith("0001_") for v in versions)
    assert any(v.startswith("0002_") for v in versions)


def test_processes_opening_a_new_database_at_once_all_succeed(store_url: str) -> None:
    import subprocess
    import sys

    code = "import sys; from generec.store import Store; Store.open(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, store_url]) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with Store.open(store_url) as store:
        assert store.revision == head_revision()
