"""A throw-away PostgreSQL server for tests: ``initdb`` + ``pg_ctl`` in a temporary folder.

The server listens on a Unix socket only (no TCP port is opened), runs with ``fsync=off``
(a test cluster is thrown away, so it need not survive a power cut) and is deleted on
:meth:`PostgresCluster.stop`. ``initdb`` and ``postgres`` refuse to run as root, so as root
the commands run as the ``postgres`` user that Debian's ``postgresql`` package creates
(``runuser -u postgres --``).

Example
-------
>>> cluster = PostgresCluster.start()                   # doctest: +SKIP
>>> url = cluster.create_database("t1")                 # doctest: +SKIP
>>> cluster.stop()                                      # doctest: +SKIP
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"  # the account Debian's package makes; used only when we are root


class ClusterUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says what is missing."""


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if versions:
        return Path(versions[-1]).parent
    raise ClusterUnavailable("PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)")


def _free_port() -> int:
    # Only names the socket file (.s.PGSQL.<port>); no TCP listener is opened.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresCluster:
    root: Path
    bindir: Path
    port: int
    as_user: str | None  # run server programs as this user (when we are root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / program), *args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ClusterUnavailable(f"{program} failed: {' | '.join(tail)}")

    @classmethod
    def start(cls) -> PostgresCluster:
        """Create and start a cluster; :class:`ClusterUnavailable` says why when that is impossible."""
        bindir = _bindir()
        as_user = None
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise ClusterUnavailable(
                    f"running as root and there is no {SERVER_USER!r} user to run the server"
                ) from None
            as_user = SERVER_USER
        root = Path(tempfile.mkdtemp(prefix="generec-pg-"))
        root.chmod(0o755)  # the server user must reach its folders
        cluster = cls(root, bindir, _free_port(), as_user)
        for sub in (cluster.data, cluster.socket_dir):
            sub.mkdir(mode=0o700)
            if as_user:
                os.chown(sub, account.pw_uid, account.pw_gid)
        try:
            cluster._run("initdb", "-D", str(cluster.data), "-A", "trust", "-U", "generec", "-E", "UTF8",
                         "--no-sync", "--locale=C")  # fmt: skip
            options = (f"-p {cluster.port} -k {cluster.socket_dir} -c listen_addresses='' -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")  # fmt: skip
            cluster._run("pg_ctl", "-D", str(cluster.data), "-o", options, "-l", str(cluster.socket_dir / "server.log"),
                         "-w", "-t", "60", "start")  # fmt: skip
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cluster

    def url(self, database: str) -> str:
        """A SQLAlchemy URL for ``database`` on this cluster (over the Unix socket)."""
        return f"postgresql+psycopg://generec@/{database}?host={self.socket_dir}&port={self.port}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="generec", dbname="postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        """Create an empty database; return its URL."""
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
