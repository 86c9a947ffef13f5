"""Shared fixtures. Tests never touch the network or ../shared/data."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pg_cluster import PrivateCluster, find_bindir

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With several workers (``make test``: pytest-xdist, ``--dist loadfile``), hand out the
    files with the most ``slow`` tests first, so no worker is left with a long file at the
    end while the other idles (longest-first; the order inside each file is kept)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    weight: dict[str, float] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        weight[path] = weight.get(path, 0.0) + (10.0 if item.get_closest_marker("slow") else 0.2)
    items.sort(key=lambda item: -weight[item.nodeid.split("::", 1)[0]])


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the collected suite (every imported module, class and test item: a large heap
    that lives to the end) out of the garbage collector's full passes: measured 4-6% less
    CPU over the suite. Only what exists now is frozen; the tests' objects are collected."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed Exempelkommun sample data."""
    return SAMPLE


# ------------------------------------------------------------ PostgreSQL/PostGIS


def running_in_ci() -> bool:
    """``CI=true`` (or 1/yes): missing PostgreSQL is then a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _postgis_installed(bindir: Path) -> bool:
    share = bindir.parent.parent.parent.parent / "share" / "postgresql" / bindir.parent.name
    candidates = [share / "extension" / "postgis.control",
                  *Path("/usr/share/postgresql").glob("*/extension/postgis.control")]
    return any(p.exists() for p in candidates)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL/PostGIS cluster for this test session (see tests/pg_cluster.py).

    Skips when PostgreSQL or PostGIS is not installed, except with ``CI=true``, where
    that is a failure (``make postgres`` installs both)."""
    bindir = find_bindir()
    missing = None
    if bindir is None:
        missing = "PostgreSQL is not installed (no initdb/pg_ctl found)"
    elif not _postgis_installed(bindir):
        missing = f"PostGIS is not installed for PostgreSQL {bindir.parent.name}"
    if missing:
        msg = f"{missing}; `make postgres` installs PostgreSQL and PostGIS with apt-get"
        if running_in_ci():
            pytest.fail(f"{msg}. CI=true: the PostgreSQL tests must run in CI.")
        pytest.skip(msg)
    assert bindir is not None
    cluster = PrivateCluster(bindir)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """``(location, kommun)`` of a new, empty store on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "data" / "atgarder.sqlite"), None
    cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
    cluster.wipe()
    return cluster.url("lagesbild_test"), "9999"


# ------------------------------------------------------------ the police feed


@pytest.fixture
def feed_and_districts(tmp_path: Path) -> tuple[Path, Path]:
    """A police feed of five events (three of Exempelkommun, two of Annanstad) and a
    district layer with one district that holds Exempelkommun's centre."""
    events = [{"id": k, "datetime": f"2024-03-1{k} 2:10:00 +01:00", "name": "x", "summary": "",
               "url": f"/{k}/", "type": "Misshandel",
               "location": {"name": "Exempelkommun" if k < 3 else "Annanstad",
                            "gps": "59.35,17.10" if k < 3 else "60.60,15.60"}} for k in range(5)]
    ipath = tmp_path / "events.json"
    ipath.write_text(json.dumps(events), encoding="utf-8")
    d = gpd.GeoDataFrame({"deso": ["9999C1010"], "namn": ["Centrum"]},
                         geometry=[shapely.box(17.0, 59.3, 17.2, 59.4)], crs=4326)
    dpath = tmp_path / "d.geojson"
    d.to_file(dpath, driver="GeoJSON")
    return ipath, dpath
