"""Benchmark: build_lagesbild on 1 000 000 incidents and 6 000 districts vs the floor; assign_districts vs sjoin.

Run: ``.venv/bin/python benchmarks/bench_pipeline.py [--n 1000000] [--districts 6000] [--repeat 3]``
(``make bench`` runs it with the defaults).

Prints, in one run:

1. the floor: a bare ``pyarrow.csv.read_csv`` of the input CSV + one vectorised pyproj
   transform (SWEREF 99 TM → WGS84) + the H3 cells of the same points, vectorised as
   ``grid`` computes them (h3ronpy; h3-py's loop when it is not installed): the least
   any pipeline must do to turn the file into indexed points;
2. ``build_lagesbild`` (read → place → index → count → Gi* → districts → summary;
   clusters, emerging hotspots and the report excluded) and its ratio to the floor in
   CPU time, best of ``--repeat`` (target ≤ 1.75×; issue 13), with the CPU time of
   each step; the hex polygons of the cells are built on their first use (a map, an
   export), not by the build: their cost is printed on its own line;
3. ``assign_districts`` vs ``geopandas.sjoin`` on the same points (target ≥ 4×), and
   whether both give exactly the same district for every point.

Floor and pipeline run ``--repeat`` times, interleaved (the machine is shared; its load
average is printed); the best CPU time of each is compared. Every pipeline run starts
cold: the previous run's result is released and the library's memos (neighbour matrices,
grid disks, district locators, time-zone transitions) are cleared first, so a repeat
neither profits from the previous run nor carries its memory.

Synthetic data is generated here (seeded): districts are a Voronoi tessellation of
random seeds over a 170 × 155 km region of Svealand (6 000 polygons, like DeSO), the
incidents a mix of background and hotspots, SWEREF 99 TM coordinates in a CSV file (as
a kommun's or the police's export arrives).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lagesbild_geo import districts as _districts
from lagesbild_geo import grid as _grid
from lagesbild_geo.districts import assign_districts, read_districts
from lagesbild_geo.pipeline import PipelineConfig, SourceConfig, build_lagesbild
from lagesbild_geo.read import values as _values

X0, X1, Y0, Y1 = 15.5, 18.5, 58.8, 60.2  # lon/lat box
RAW_TYPES = np.array(["Misshandel", "Stöld", "Skadegörelse", "Inbrott i bostad", "Rån", "Narkotikabrott",
                      "Klotter", "Ofredande", "Bedrägeri", "Snatteri"])


def make_districts(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    box = shapely.box(X0, Y0, X1, Y1)
    # Denser seeds near "towns" so district sizes vary like DeSO (small in towns, large outside).
    towns = rng.uniform([X0, Y0], [X1, Y1], (12, 2))
    k = n // 2
    near = towns[rng.integers(0, len(towns), k)] + rng.normal(0, 0.08, (k, 2))
    far = rng.uniform([X0, Y0], [X1, Y1], (n - k, 2))
    seeds = np.vstack([near, far])
    seeds[:, 0] = np.clip(seeds[:, 0], X0 + 1e-4, X1 - 1e-4)
    seeds[:, 1] = np.clip(seeds[:, 1], Y0 + 1e-4, Y1 - 1e-4)
    polys = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    polys = shapely.intersection(polys, box)
    codes = [f"{1000 + i // 1000:04d}C{i % 10000:04d}" for i in range(len(polys))]
    return gpd.GeoDataFrame({"deso": codes, "namn": [f"Distrikt {i}" for i in range(len(polys))],
                             "befolkning": rng.integers(700, 2700, len(polys))},
                            geometry=polys, crs=4326)


def make_incidents(n: int, rng: np.random.Generator) -> pa.Table:
    # Like real data: most incidents in and around towns (population), a few rural ones,
    # and 300 tight hotspots.
    towns = rng.uniform([X0 + 0.2, Y0 + 0.1], [X1 - 0.2, Y1 - 0.1], (40, 2))
    size = rng.pareto(1.5, len(towns)) + 1
    w = size / size.sum()
    hot = towns[rng.integers(0, len(towns), 300)] + rng.normal(0, 0.02, (300, 2))
    k_hot, k_rural = int(n * 0.3), int(n * 0.05)
    k_town = n - k_hot - k_rural
    t_pick = rng.choice(len(towns), k_town, p=w)
    pts = np.vstack([
        hot[rng.integers(0, len(hot), k_hot)] + rng.normal(0, 0.002, (k_hot, 2)),
        towns[t_pick] + rng.normal(0, 1, (k_town, 2)) * (0.015 * np.sqrt(size[t_pick]))[:, None],
        rng.uniform([X0, Y0], [X1, Y1], (k_rural, 2)),
    ])
    pts[:, 0] = np.clip(pts[:, 0], X0 + 1e-4, X1 - 1e-4)
    pts[:, 1] = np.clip(pts[:, 1], Y0 + 1e-4, Y1 - 1e-4)
    pts = pts[rng.permutation(n)]
    e, nn = Transformer.from_crs(4326, 3006, always_xy=True).transform(pts[:, 0], pts[:, 1])
    t0 = np.datetime64("2024-01-01T00:00:00", "s")
    secs = rng.integers(0, 2 * 365 * 86400, n)
    return pa.table({
        "Diarienummer": pa.array([f"D{i:08d}" for i in range(n)]),
        "Brottsdatum": pa.array((t0 + secs.astype("timedelta64[s]")).astype("datetime64[s]")),
        "Brottstyp": pa.array(RAW_TYPES[rng.integers(0, len(RAW_TYPES), n)]),
        "Nord": pa.array(np.round(nn, 1)),
        "Ost": pa.array(np.round(e, 1)),
    })


class Timer:
    """Wall and CPU time of a block (CPU time is what to compare on a shared, loaded machine)."""

    def __enter__(self) -> Timer:
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.w, time.process_time() - self.c

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s CPU"


def floor(path: Path) -> None:
    table = pacsv.read_csv(path)
    e = table.column("Ost").to_numpy()
    n = table.column("Nord").to_numpy()
    lon, lat = Transformer.from_crs(3006, 4326, always_xy=True).transform(e, n)
    fast = _grid._fast()
    if fast is not None:
        cells = np.asarray(fast.vector.coordinates_to_cells(lat, lon, 9))
    else:
        f = h3.api.basic_int.latlng_to_cell
        cells = np.fromiter(map(f, lat.tolist(), lon.tolist(), [9] * len(lat)), dtype=np.uint64,
                            count=len(lat))
    assert cells.size == table.num_rows


def cold() -> None:
    """Forget the library's memos: each timed pipeline run starts as a first call would."""
    _grid._neighbour_matrix.cache_clear()
    with _grid._DISK_MEMO_LOCK:
        _grid._DISK_MEMO.clear()
    with _districts._LOCATORS_LOCK:
        _districts._LOCATORS.clear()
    _values._tz_transitions.cache_clear()
    gc.collect()


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # not Linux
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--districts", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {load()}; H3 backend: {'h3ronpy' if _grid._fast() is not None else 'h3-py'}")
    rng = np.random.default_rng(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # ~100 MB of generated data
    t = time.perf_counter()
    dist = make_districts(args.districts, rng)
    dpath = tmp / "districts.parquet"
    dist.to_parquet(dpath)
    ipath = tmp / "incidents.csv"
    pacsv.write_csv(make_incidents(args.n, rng), ipath)
    print(f"data: {args.n:,} incidents, {len(dist):,} districts in {tmp} "
          f"(generated in {time.perf_counter() - t:.1f} s)")

    cfg = PipelineConfig(incidents=(SourceConfig(str(ipath), name="bench"),), districts=str(dpath),
                         period="2025", previous_period="previous", clusters=False, emerging=False,
                         created_at="2026-01-01T00:00:00+00:00")
    floors: list[Timer] = []
    runs: list[tuple[Timer, dict[str, float]]] = []
    polygons: list[Timer] = []
    lb = None
    for _ in range(args.repeat):  # interleaved: the machine's load changes between runs
        lb = None  # the previous run's result goes first: every run starts from the same state
        gc.collect()
        with Timer() as tf:
            floor(ipath)
        floors.append(tf)

        steps: dict[str, float] = {}
        last = [time.process_time(), ""]

        def progress(step: str, fraction: float, steps: dict[str, float] = steps,
                     last: list[Any] = last) -> None:
            now = time.process_time()
            if step == last[1]:
                steps[step] = steps.get(step, 0.0) + now - float(last[0])
            last[0], last[1] = now, step

        cold()
        with warnings.catch_warnings(), Timer() as tp:
            warnings.simplefilter("ignore")
            lb = build_lagesbild(cfg, progress=progress)
        runs.append((tp, steps))
        with Timer() as tg:  # first use of the cells' and hotspots' polygons (built once for both)
            _ = lb.cells.geometry, lb.hotspots.geometry
        polygons.append(tg)
    print(f"load average after the runs: {load()}")
    t_floor = min(floors, key=lambda x: x.cpu)
    tp, steps = min(runs, key=lambda r: r[0].cpu)
    print("runs (wall/CPU s): floor " + ", ".join(f"{t.wall:.2f}/{t.cpu:.2f}" for t in floors)
          + "; build_lagesbild " + ", ".join(f"{t.wall:.2f}/{t.cpu:.2f}" for t, _ in runs))
    print(f"floor (pyarrow CSV read + pyproj transform + vectorised H3 cells): {t_floor}")
    s = lb.district_summary
    print(f"build_lagesbild:                                        {tp}  "
          f"= {tp.cpu / t_floor.cpu:.2f}x the floor in CPU time, {tp.wall / t_floor.wall:.2f}x in wall time "
          f"(best of {args.repeat} each; target <= 1.75x)")
    print("  CPU per step: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items() if v >= 0.005))
    tg = min(polygons, key=lambda x: x.cpu)
    print(f"  hex polygons of the {len(lb.cells):,} cells on first use (after the build; cells and hotspots "
          f"share them): {tg} = {tg.cpu / t_floor.cpu:.2f}x the floor")
    print(f"  placed {len(lb.incidents):,}; {len(lb.cells):,} cells; "
          f"{int(lb.hotspots['hotspot_class'].str.startswith('hot').sum()):,} hot cells; "
          f"period total {int(s.loc['_total', 'total']):,} = districts + outside "
          f"{int(s.loc[s['row_type'] != 'total', 'total'].sum()):,}")

    # assign_districts vs sjoin on the same points.
    inc = lb.incidents[["lat", "lon"]].copy()
    with Timer() as tr:
        d = read_districts(dpath)
    print(f"  read_districts alone (6 000 polygons, topology checks): {tr}")
    cold()  # no locator left over from the pipeline run
    with Timer() as t_ours:
        ours = assign_districts(inc, d)
    gc.collect()
    with Timer() as t_sjoin:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(inc["lon"].to_numpy(), inc["lat"].to_numpy()),
                               crs=4326)
        joined = gpd.sjoin(pts, d[["geometry"]].reset_index(), how="left", predicate="intersects")
    ref = joined[~joined.index.duplicated(keep="first")]["district_code"].astype(object).fillna("NA").to_numpy()
    got = ours["district_code"].astype(object).fillna("NA").to_numpy()
    same = bool((ref == got).all())
    print(f"assign_districts: {t_ours}   geopandas.sjoin: {t_sjoin}\n"
          f"  = {t_sjoin.cpu / t_ours.cpu:.1f}x faster in CPU time, {t_sjoin.wall / t_ours.wall:.1f}x in wall "
          f"time (target >= 4x); identical districts: {same} "
          f"({int((ref != got).sum())} differ, {int((got == 'NA').sum())} outside)")


if __name__ == "__main__":
    main()
