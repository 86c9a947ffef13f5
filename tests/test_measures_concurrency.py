"""Many writers in separate processes, and a writer killed mid-transaction, on both
backends (an SQLite file and the private PostgreSQL cluster of ``tests/pg_cluster.py``).

Worker functions live at module level so the children can import them. The children come
from a ``forkserver`` that has imported this module (and so the store) once: fresh
processes, no state shared with pytest, without paying pandas' import in each of them.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pg_cluster import PrivateCluster

from lagesbild_geo.errors import ConflictError
from lagesbild_geo.measures import MeasureStore

SQUARE = "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.375, 17.10 59.375, 17.10 59.37))"
N_PROCS = 8
N_MEASURES = 100  # per process: enough to keep 8 writers overlapping (200 in docs/measures.md's figures)
N_INCREMENTS = 10


def _context() -> Any:
    """The ``forkserver`` context, preloaded with this module (see the module docstring)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


def _stress_worker(path: str, kommun: str | None, k: int, area_id: str, shared_id: str,
                   barrier: Any, results: Any) -> None:
    store = MeasureStore(path, kommun=kommun, user=f"p{k}")
    barrier.wait()
    ids = []
    for i in range(N_MEASURES):
        m = store.add_measure(area_id=area_id, title=f"p{k}-m{i}", target_categories=["ran"])
        ids.append(m.id)
        if i % 2:  # interleave edits with adds so writers of both kinds overlap
            prev = ids[i - 1]
            store.update_measure(prev, {"description": f"edited by p{k}"}, expected_version=1)
            store.update_measure(m.id, {"description": f"edited by p{k}"}, expected_version=1)
    conflicts = 0
    for _ in range(N_INCREMENTS):  # a contended read-modify-write: no lost update allowed
        while True:
            cur = store.get_measure(shared_id)
            try:
                store.update_measure(shared_id, {"cost": (cur.cost or 0) + 1},
                                     expected_version=cur.version)
                break
            except ConflictError:
                conflicts += 1
    store.close()
    results.put((k, ids, conflicts))


@pytest.mark.slow
def test_eight_processes_add_and_edit_concurrently(store_location: tuple[str, str | None]
                                                   ) -> None:
    path, kommun = store_location
    with MeasureStore(path, kommun=kommun, user="setup") as store:
        area = store.add_area(name="Stress", geometry=SQUARE)
        shared = store.add_measure(area_id=area.id, title="shared counter",
                                   target_categories=["stold"], cost=0)
    ctx = _context()
    barrier = ctx.Barrier(N_PROCS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_stress_worker,
                         args=(path, kommun, k, area.id, shared.id, barrier, results))
             for k in range(N_PROCS)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    got = [results.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    elapsed = time.monotonic() - t0
    backend = "postgresql" if path.startswith("postgresql://") else "sqlite"
    print(f"\n{N_PROCS} processes x {N_MEASURES} adds + edits ({backend}): "
          f"{elapsed:.1f} s, "
          f"{sum(g[2] for g in got)} optimistic-lock conflicts retried")

    committed = {mid: k for k, ids, _ in got for mid in ids}
    assert len(committed) == N_PROCS * N_MEASURES
    with MeasureStore(path, kommun=kommun, user="check") as store:
        if store.backend == "sqlite":
            assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        df = store.list_measures(include_deleted=True)
        assert len(df) == N_PROCS * N_MEASURES + 1
        assert df.index.is_unique
        assert set(df.index) == set(committed) | {shared.id}
        mine = df.drop(index=shared.id)
        assert Counter(mine["title"]) == Counter(
            f"p{k}-m{i}" for k in range(N_PROCS) for i in range(N_MEASURES))
        assert (mine["version"] == 2).all()
        assert all(mine.loc[mid, "description"] == f"edited by p{k}"
                   for mid, k in committed.items())
        # the contended counter lost no increment
        counter = store.get_measure(shared.id)
        assert counter.cost == N_PROCS * N_INCREMENTS
        assert counter.version == 1 + N_PROCS * N_INCREMENTS
        # the audit trail: exactly create + update per measure, versions 1 and 2
        audit = store.history(entity="measure")
        per = audit[audit["entity_id"] != shared.id].groupby("entity_id")
        assert per.size().eq(2).all() and per.ngroups == N_PROCS * N_MEASURES
        assert (per["action"].agg(tuple) == ("create", "update")).all()
        assert (per["version"].agg(tuple) == (1, 2)).all()
        users = audit[audit["entity_id"] != shared.id].groupby("entity_id")["user"].agg(set)
        assert all(users[mid] == {f"p{k}"} for mid, k in committed.items())
        trail = store.history(shared.id)
        assert list(trail["version"]) == list(range(1, 2 + N_PROCS * N_INCREMENTS))
        assert [a["cost"] for a in trail["after"][1:]] == \
            [float(i) for i in range(1, 1 + N_PROCS * N_INCREMENTS)]
        assert audit["seq"].is_monotonic_increasing and audit["seq"].is_unique


def _kill_worker(path: str, kommun: str | None, area_id: str, ready: Any, after: int) -> None:
    store = MeasureStore(path, kommun=kommun, user="doomed")
    with store.transaction():
        for i in range(1_000_000):
            store.add_measure(area_id=area_id, title=f"uncommitted {i}",
                              target_categories=["ran"], description="x" * 500)
            if i == after:
                ready.set()  # deep inside one large transaction; the parent kills us now


def _open_transactions(cluster: PrivateCluster) -> int:
    """Sessions of the store's test role with a transaction open, seen by the superuser."""
    with psycopg.connect(cluster.url(), autocommit=True) as c:
        return int(c.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = "
                             "'lagesbild_test' AND xact_start IS NOT NULL").fetchone()[0])


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_writer_killed_mid_transaction_leaves_store_intact(
        store_location: tuple[str, str | None], request: pytest.FixtureRequest) -> None:
    path, kommun = store_location
    sqlite = not path.startswith("postgresql://")
    with MeasureStore(path, kommun=kommun, user="setup") as store:
        area = store.add_area(name="Kill", geometry=SQUARE)
        committed = [store.add_measure(area_id=area.id, title=f"committed {i}",
                                       target_categories=["stold"]).id for i in range(50)]
    ctx = _context()
    ready = ctx.Event()
    p = ctx.Process(target=_kill_worker,
                    args=(path, kommun, area.id, ready, 3000 if sqlite else 300))
    p.start()
    assert ready.wait(timeout=120), "the writer never got going"
    if sqlite:
        wal = Path(path).with_name(Path(path).name + "-wal")
        wal_size = wal.stat().st_size
    else:
        cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
        assert _open_transactions(cluster) == 1  # the doomed writer, mid-transaction
    os.kill(p.pid, signal.SIGKILL)
    p.join(timeout=30)
    assert p.exitcode == -signal.SIGKILL
    if sqlite:
        assert wal_size > 1_000_000  # the transaction had spilled pages into the WAL
        # a plain sqlite3 reader sees a sound file ...
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        raw.close()
    else:  # the server noticed the dead client and rolled its transaction back
        deadline = time.monotonic() + 30
        while _open_transactions(cluster) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _open_transactions(cluster) == 0
    # ... and the store opens, keeps every committed row and none of the killed ones
    with MeasureStore(path, kommun=kommun, user="after") as store:
        df = store.list_measures(include_deleted=True)
        assert sorted(df.index) == sorted(committed)
        assert not df["title"].str.startswith("uncommitted").any()
        assert len(store.history(entity="measure")) == 50
        # and takes new writes, also to the area the dead writer used
        store.add_measure(area_id=area.id, title="after the crash", target_categories=["ran"])
        store.update_area(area.id, {"description": "efter"}, expected_version=1)
        assert len(store.list_measures()) == 51
        if sqlite:
            assert store._conn().execute("PRAGMA foreign_key_check").fetchall() == []


def _kommun_worker(url: str, k: int, area_id: str, n: int, barrier: Any, results: Any) -> None:
    store = MeasureStore(url, kommun="0180", user=f"p{k}")
    barrier.wait()
    ids = [store.add_measure(area_id=area_id, title=f"p{k}-m{i}", target_categories=["ran"]).id
           for i in range(n)]
    store.close()
    results.put(ids)


@pytest.mark.slow
def test_six_processes_on_the_server_and_another_kommun_sees_none(
        pg_cluster: PrivateCluster) -> None:
    """Issue 16's figure: 6 processes x 40 measures store 240 unique measures in kommun
    0180, and a store scoped to kommun 0380 sees none of them."""
    pg_cluster.wipe()
    url180, url380 = pg_cluster.url("app_0180"), pg_cluster.url("app_0380")
    with MeasureStore(url180, kommun="0180", user="setup") as s:
        area = s.add_area(name="Sergels torg", geometry=SQUARE)
    ctx = _context()
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_kommun_worker, args=(url180, k, area.id, 40, barrier, results))
             for k in range(6)]
    for p in procs:
        p.start()
    ids = [i for _ in procs for i in results.get(timeout=240)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(ids) == len(set(ids)) == 240
    with MeasureStore(url180, kommun="0180") as s180:
        df = s180.list_measures()
        assert len(df) == 240 and set(df.index) == set(ids) and df.index.is_unique
        assert Counter(df["title"]) == Counter(f"p{k}-m{i}" for k in range(6) for i in range(40))
        assert len(s180.history(entity="measure")) == 240
    with MeasureStore(url380, kommun="0380") as s380:
        assert s380.list_measures(include_deleted=True).empty
        assert s380.list_areas(include_deleted=True).empty
        assert s380.history(entity="measure").empty
        assert s380._conn().execute("SELECT count(*) AS n FROM lagesbild.measures"
                                    ).fetchone()["n"] == 0
    pg_cluster.wipe()
