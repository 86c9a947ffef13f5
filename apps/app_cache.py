"""The warm start: the starting data's computed picture kept on disk between restarts.

Only the starting data (Exempelkommun or the folder in ``LAGESBILD_DATA``) is kept, never
an upload; the key holds the files' content hashes, the parameters and a fingerprint of
the library's code and the versions that shape a pickle, so a change of any of them
recomputes. The folder is :func:`app_config.cache_dir` (``lagesbild_data/cache`` unless
configured; ``LAGESBILD_CACHE=off`` turns it off); the newest files are kept.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pandas as pd
from app_config import cache_dir
from app_sources import Source, example_sources

import lagesbild_geo

log = logging.getLogger("lagesbild_app")
T = TypeVar("T")

_SNAPSHOTS_KEPT = 24


@functools.cache
def code_fingerprint() -> str:
    """The library's code and the versions that shape a pickled picture (a change of any
    makes every snapshot stale)."""
    lib = Path(lagesbild_geo.__file__).resolve().parent
    h = hashlib.sha256(f"{lagesbild_geo.__version__}|{sys.version}|{pd.__version__}|{gpd.__version__}".encode())
    for p in sorted(lib.rglob("*.py")):
        s = p.stat()
        h.update(f"{p.relative_to(lib)}:{s.st_size}:{s.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def snapshot(kind: str, key: object, srcs: tuple[Source, ...], compute: Callable[[], T]) -> T:
    """``compute()``, kept on disk for the starting data (never for uploads) so the first
    visit after a restart reads it instead of recomputing it."""
    folder = cache_dir()
    if folder is None or srcs != example_sources():
        return compute()
    digest = hashlib.sha256(repr((kind, key, srcs, code_fingerprint())).encode()).hexdigest()[:32]
    path = folder / f"{kind}-{digest}.pickle"
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        pass
    except Exception:  # a broken or foreign file: recompute and replace it
        log.warning("Ignoring an unreadable snapshot %s.", path, exc_info=True)
    value = compute()
    with _DEFER_LOCK:
        if _deferred is not None:  # the warm-up writes them once the map is ready
            _deferred.append((path, value))
            return value
    _write(folder, path, value)
    return value


_DEFER_LOCK = threading.Lock()
_deferred: list[tuple[Path, object]] | None = None


def defer_writes() -> None:
    """Hold the snapshots computed from now on until :func:`write_deferred`: the warm-up
    keeps their pickling (about 0,1 s on Exempelkommun) out of the time a first visitor
    waits for the map."""
    global _deferred
    with _DEFER_LOCK:
        if _deferred is None:
            _deferred = []


def write_deferred() -> int:
    """Write the snapshots held since :func:`defer_writes` and write at once again from
    now on; returns how many were written."""
    global _deferred
    with _DEFER_LOCK:
        held, _deferred = _deferred or [], None
    folder = cache_dir()
    if folder is not None:
        for path, value in held:
            _write(folder, path, value)
    return len(held)


def _write(folder: Path, path: Path, value: object) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile("wb", dir=folder, suffix=".tmp", delete=False) as tmp:
            pickle.dump(value, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)
        old = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[_SNAPSHOTS_KEPT:]:
            stale.unlink(missing_ok=True)
    except OSError:
        log.warning("Could not keep a snapshot in %s.", folder, exc_info=True)
