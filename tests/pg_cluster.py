"""A private, throw-away PostgreSQL/PostGIS cluster for the tests and the store benchmark.

``initdb`` into a temporary folder (as the ``postgres`` user via ``runuser`` when run as
root, directly otherwise), started on a free 127.0.0.1 port with its socket in the same
folder, trust authentication (only this machine, only for the tests), the database
``lagesbild`` set up with ``lagesbild measures server-init`` (the library's
:func:`~lagesbild_geo.measures.postgres.init_server`) and these login roles:

``lagesbild_test``
    may use every kommun of :data:`TEST_KOMMUNER` (the conformance suite);
``app_0180`` / ``app_0380``
    may use only 0180 (Stockholm) / 0380 (Uppsala) (the isolation tests).

The cluster is stopped and its folder removed by :meth:`PrivateCluster.stop`.
When PostgreSQL's binaries are missing, :func:`find_bindir` returns ``None``; the tests
skip then, or fail when ``CI=true`` (see ``conftest.py``). ``make postgres`` installs
them (apt-get).

Run by hand: ``.venv/bin/python tests/pg_cluster.py`` starts one and prints its URLs
until Enter is pressed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Kommuner the cluster is set up for (Exempelkommun's code, Stockholm, Uppsala).
TEST_KOMMUNER = ("9999", "0180", "0380")
DATABASE = "lagesbild"
SUPERUSER = "lagesbild"


def find_bindir() -> Path | None:
    """The folder of ``initdb``/``pg_ctl`` (newest installed PostgreSQL), or ``None``.

    ``$LAGESBILD_PG_BINDIR`` chooses the folder (e.g. another PostgreSQL version)."""
    chosen = os.environ.get("LAGESBILD_PG_BINDIR")
    if chosen:
        path = Path(chosen)
        return path if (path / "initdb").exists() and (path / "pg_ctl").exists() else None
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 check=True, timeout=10).stdout.strip()
            candidates.append(Path(out))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                      else 0, reverse=True)
    candidates += [Path(p) for p in versions]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """A PostgreSQL cluster in a temporary folder (see the module docstring)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="lagesbild-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        self.started = False

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self._as_postgres:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    def start(self) -> PrivateCluster:
        """initdb, start, set up the database and roles; raises RuntimeError with the log."""
        if self._as_postgres:
            shutil.chown(self.dir, user="postgres")
        r = self._run(self.bindir / "initdb", "-D", str(self.data), "-A", "trust", "-U",
                      SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        if r.returncode:
            raise RuntimeError(f"initdb failed:\n{r.stdout}\n{r.stderr}")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        r = self._run(self.bindir / "pg_ctl", "-D", str(self.data), "-o", opts, "-l",
                      str(self.dir / "server.log"), "-w", "-t", "60", "start")
        if r.returncode:
            log = (self.dir / "server.log").read_text(errors="replace") \
                if (self.dir / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{r.stdout}\n{r.stderr}\n{log}")
        self.started = True
        self._set_up()
        return self

    def url(self, role: str = SUPERUSER, database: str = DATABASE) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    def _set_up(self) -> None:
        import psycopg

        from lagesbild_geo.measures.postgres import init_server

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(database="postgres"), autocommit=True) as c:
                    c.execute(f"CREATE DATABASE {DATABASE}")
                    for role in ("lagesbild_test", "app_0180", "app_0380"):
                        c.execute(f"CREATE ROLE {role} LOGIN")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        init_server(self.url(), kommuner=TEST_KOMMUNER,
                    grant={"lagesbild_test": TEST_KOMMUNER, "app_0180": ["0180"],
                           "app_0380": ["0380"]})

    def wipe(self) -> None:
        """Remove every area, measure and audit row (all kommuner), as the superuser."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as c, c.transaction():
            c.execute("SET LOCAL lagesbild.restoring = 'on'")
            c.execute("TRUNCATE lagesbild.audit, lagesbild.measures, lagesbild.areas")

    def stop(self) -> None:
        """Stop the server (fast) and remove its folder."""
        if self.started:
            self._run(self.bindir / "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w",
                      "stop", timeout=60)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - by hand
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (make postgres).")
    cluster = PrivateCluster(bindir).start()
    try:
        print(f"superuser: {cluster.url()}")
        for role in ("lagesbild_test", "app_0180", "app_0380"):
            print(f"{role}: {cluster.url(role)}")
        input("Press Enter to stop the cluster ... ")
    finally:
        cluster.stop()
