"""Many writers in separate processes, and a writer killed mid-transaction.

Worker functions live at module level so ``spawn`` children can import them.
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

import pytest

from lagesbild_geo.errors import ConflictError
from lagesbild_geo.measures import MeasureStore

SQUARE = "POLYGON ((17.10 59.37, 17.12 59.37, 17.12 59.375, 17.10 59.375, 17.10 59.37))"
N_PROCS = 8
N_MEASURES = 200
N_INCREMENTS = 10


def _stress_worker(path: str, k: int, area_id: str, shared_id: str, barrier: Any,
                   results: Any) -> None:
    store = MeasureStore(path, user=f"p{k}")
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
def test_eight_processes_add_and_edit_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "stress.sqlite"
    with MeasureStore(path, user="setup") as store:
        area = store.add_area(name="Stress", geometry=SQUARE)
        shared = store.add_measure(area_id=area.id, title="shared counter",
                                   target_categories=["stold"], cost=0)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(N_PROCS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_stress_worker,
                         args=(str(path), k, area.id, shared.id, barrier, results))
             for k in range(N_PROCS)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    got = [results.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    elapsed = time.monotonic() - t0
    print(f"\n{N_PROCS} processes x {N_MEASURES} adds + edits: {elapsed:.1f} s, "
          f"{sum(g[2] for g in got)} optimistic-lock conflicts retried")

    committed = {mid: k for k, ids, _ in got for mid in ids}
    assert len(committed) == N_PROCS * N_MEASURES
    with MeasureStore(path, user="check") as store:
        conn = store._conn()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
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


def _kill_worker(path: str, area_id: str, ready: Any) -> None:
    store = MeasureStore(path, user="doomed")
    with store.transaction():
        for i in range(1_000_000):
            store.add_measure(area_id=area_id, title=f"uncommitted {i}",
                              target_categories=["ran"], description="x" * 500)
            if i == 3000:
                ready.set()  # deep inside one large transaction; the parent kills us now


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_writer_killed_mid_transaction_leaves_store_intact(tmp_path: Path) -> None:
    path = tmp_path / "kill.sqlite"
    with MeasureStore(path, user="setup") as store:
        area = store.add_area(name="Kill", geometry=SQUARE)
        committed = [store.add_measure(area_id=area.id, title=f"committed {i}",
                                       target_categories=["stold"]).id for i in range(50)]
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    p = ctx.Process(target=_kill_worker, args=(str(path), area.id, ready))
    p.start()
    assert ready.wait(timeout=120), "the writer never got going"
    wal = path.with_name(path.name + "-wal")
    wal_size = wal.stat().st_size
    os.kill(p.pid, signal.SIGKILL)
    p.join(timeout=30)
    assert p.exitcode == -signal.SIGKILL
    assert wal_size > 1_000_000  # the transaction had spilled pages into the WAL

    # a plain sqlite3 reader sees a sound file ...
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    # ... and the store opens, keeps every committed row and none of the killed ones
    with MeasureStore(path, user="after") as store:
        df = store.list_measures(include_deleted=True)
        assert sorted(df.index) == sorted(committed)
        assert not df["title"].str.startswith("uncommitted").any()
        assert len(store.history(entity="measure")) == 50
        # and takes new writes
        store.add_measure(area_id=area.id, title="after the crash", target_categories=["ran"])
        assert len(store.list_measures()) == 51
        assert store._conn().execute("PRAGMA foreign_key_check").fetchall() == []
