"""The measure store on both backends, side by side: add, list and edit rates.

Runs the same calls on an SQLite file and on PostgreSQL/PostGIS (a private cluster
started for the run, as the tests do: ``tests/pg_cluster.py``; local socket over
127.0.0.1, ``fsync`` off as in the tests, so the figures are the store's own cost, not
the disk's):

* **add**: ``add_measure`` one at a time, each its own transaction with its audit row
  (what the app does when a coordinator saves);
* **edit**: ``update_measure`` with optimistic locking, one at a time;
* **list**: ``list_measures()`` of every measure (the åtgärdsplan page), and
  ``list_areas()``;
* **4 writers**: four processes adding at once (the shared server's case).

Baseline in the same run: the database driver alone inserting one row per transaction
(``sqlite3`` / ``psycopg``, no validation, no audit), so the ratio shows what the
store's rules cost on top of the database.

Run: ``.venv/bin/python benchmarks/bench_store.py`` (about a minute). Without
PostgreSQL installed (``make postgres``) only the SQLite column is printed.
"""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pg_cluster import PrivateCluster, find_bindir  # noqa: E402

from lagesbild_geo.measures import MeasureStore  # noqa: E402

SQUARE = "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.375, 17.10 59.375, 17.10 59.37))"
N_ADD = 500
N_LIST = 2000
N_WRITERS = 4
N_PER_WRITER = 150


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.0f} /s"


def _writer(location: str, kommun: str | None, area_id: str, k: int, barrier: Any,
            out: Any) -> None:
    store = MeasureStore(location, kommun=kommun, user=f"w{k}")
    barrier.wait()
    t0 = time.perf_counter()
    for i in range(N_PER_WRITER):
        store.add_measure(area_id=area_id, title=f"w{k}-{i}", target_categories=["ran"])
    out.put(time.perf_counter() - t0)
    store.close()


def run_store(location: str, kommun: str | None) -> dict[str, float]:
    res: dict[str, float] = {}
    with MeasureStore(location, kommun=kommun, user="bench") as store:
        area = store.add_area(name="Bänken", geometry=SQUARE)
        t0 = time.perf_counter()
        ids = [store.add_measure(area_id=area.id, title=f"m{i}", target_categories=["ran", "vald"],
                                 start_date="2025-01-01", partners=["Polisen"]).id
               for i in range(N_ADD)]
        res["add"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for mid in ids:
            store.update_measure(mid, {"status": "pågående"}, expected_version=1)
        res["edit"] = time.perf_counter() - t0
        with store.transaction():
            for i in range(N_LIST - N_ADD):
                store.add_measure(area_id=area.id, title=f"x{i}", target_categories=["stold"])
        for i in range(49):
            store.add_area(name=f"Område {i}", geometry=SQUARE)
        t0 = time.perf_counter()
        df = store.list_measures()
        res["list"] = time.perf_counter() - t0
        assert len(df) == N_LIST
        t0 = time.perf_counter()
        assert len(store.list_areas()) == 50
        res["list_areas"] = time.perf_counter() - t0
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(N_WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(location, kommun, area.id, k, barrier, out))
             for k in range(N_WRITERS)]
    for p in procs:
        p.start()
    res["writers"] = max(out.get(timeout=300) for _ in procs)
    for p in procs:
        p.join()
    return res


def floor_sqlite(path: Path) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, title TEXT)")
    t0 = time.perf_counter()
    for i in range(N_ADD):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (f"id{i}", f"m{i}"))
        conn.execute("COMMIT")
    dt = time.perf_counter() - t0
    conn.close()
    return dt


def floor_postgres(url: str) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TEMPORARY TABLE t (id text PRIMARY KEY, title text)")
        t0 = time.perf_counter()
        for i in range(N_ADD):
            with conn.transaction():
                conn.execute("INSERT INTO t VALUES (%s, %s)", (f"id{i}", f"m{i}"))
        return time.perf_counter() - t0


def main() -> None:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = run_store(str(Path(tmp) / "bench.sqlite"), None)
        results["SQLite"]["floor"] = floor_sqlite(Path(tmp) / "floor.sqlite")
    bindir = find_bindir()
    cluster = None
    if bindir is None:
        print("PostgreSQL is not installed (make postgres): SQLite only.\n")
    else:
        cluster = PrivateCluster(bindir).start()
        try:
            results["PostgreSQL"] = run_store(cluster.url("lagesbild_test"), "0180")
            results["PostgreSQL"]["floor"] = floor_postgres(cluster.url("lagesbild_test"))
        finally:
            cluster.stop()
    names = list(results)
    print(f"Measure store, {N_ADD} adds and edits one at a time, list of {N_LIST} measures, "
          f"{N_WRITERS} processes x {N_PER_WRITER} adds")
    print(f"{'':34}" + "".join(f"{n:>16}" for n in names))
    rows = [
        ("add_measure (own transaction)", lambda r: _rate(N_ADD, r["add"])),
        ("update_measure (optimistic lock)", lambda r: _rate(N_ADD, r["edit"])),
        (f"list_measures ({N_LIST} rows)", lambda r: f"{r['list'] * 1000:8.0f} ms"),
        ("list_areas (50 areas)", lambda r: f"{r['list_areas'] * 1000:8.0f} ms"),
        (f"{N_WRITERS} writers, add_measure total",
         lambda r: _rate(N_WRITERS * N_PER_WRITER, r["writers"])),
        ("baseline: driver insert + commit", lambda r: _rate(N_ADD, r["floor"])),
        ("add_measure / baseline (x slower)", lambda r: f"{r['add'] / r['floor']:8.1f} x"),
    ]
    for label, fmt in rows:
        print(f"{label:34}" + "".join(f"{fmt(results[n]):>16}" for n in names))
    if len(names) == 2:
        s, p = results["SQLite"], results["PostgreSQL"]
        print(f"\nPostgreSQL / SQLite time: add {p['add'] / s['add']:.2f}, edit "
              f"{p['edit'] / s['edit']:.2f}, list {p['list'] / s['list']:.2f}, "
              f"{N_WRITERS} writers {p['writers'] / s['writers']:.2f}")


if __name__ == "__main__":
    main()
