"""Benchmark: the inputs of issue 17 that used to hang, against baselines from the same run.

- a 5 KB .xlsx with one stray cell at XFD1048576 vs the same workbook without it
  (was > 300 s);
- CSV files with 1 000 / 2 000 / 4 000 extra columns and rejected rows: time per
  doubling of the columns in CPU time (linear → about 2; was 2.6–3.3, i.e.
  quadratic: 8.7 / 22.6 / 75.5 s);
- read_districts of a 50 000-vertex star-shaped district vs one ``shapely.is_valid``
  of that polygon (GEOS's check is quadratic for such rings; was 114 s in all).

Run: ``.venv/bin/python benchmarks/bench_hostile.py``
Targets: stray-cell workbook within 10× the clean one and under 1 s; column ratio per
doubling ≤ 2.5; the star district read in less time than one GEOS validity check.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import shapely

from lagesbild_geo.districts import read_districts
from lagesbild_geo.read import read_incidents


def _timed(fn: object, repeats: int = 3, clock: object = time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = clock()  # type: ignore[operator]
        fn()  # type: ignore[operator]
        best = min(best, clock() - t)  # type: ignore[operator]
    return best


def _workbook(path: Path, stray: bool) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ärendenummer", "Datum", "Tid", "Brottstyp", "Lat", "Long"])
    ws.append(["K1", "2024-03-05", "22:15", "Rån", 59.33, 18.06])
    if stray:
        ws["XFD1048576"] = "x"
    wb.save(path)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    clean, stray = tmp / "ren.xlsx", tmp / "stray.xlsx"
    _workbook(clean, False)
    _workbook(stray, True)
    t_clean = _timed(lambda: read_incidents(clean))
    t_stray = _timed(lambda: read_incidents(stray))
    print(f"xlsx, 2 rows: {t_clean * 1000:.0f} ms; with a stray cell at XFD1048576 "
          f"({stray.stat().st_size / 1024:.1f} KB): {t_stray * 1000:.0f} ms; ratio "
          f"{t_stray / t_clean:.1f} (target <= 10, and < 1 s)")

    times = {}
    for k in (1000, 2000, 4000):
        head = "Datum;Tid;Lat;Lon;Brottstyp;" + ";".join(f"e{i}" for i in range(k))
        rows = [f"2024-03-05;22:15;59,33;18,06;Rån;{';'.join(['7'] * k)}",
                f";;;;;{';'.join(['8'] * k)}"] * 25
        p = tmp / f"wide{k}.csv"
        p.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
        # CPU time: wall time on a shared machine is too noisy for a ratio
        times[k] = _timed(lambda p=p: read_incidents(p), repeats=3, clock=time.process_time)
    print("CSV with extra columns and 25 rejected rows (CPU s): "
          + ", ".join(f"{k}: {v:.2f} s" for k, v in times.items())
          + f"; per doubling {times[2000] / times[1000]:.2f}, {times[4000] / times[2000]:.2f} "
          "(target <= 2.5)")

    n = 50_000
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.where(np.arange(n) % 2 == 0, 0.05, 0.02)
    star = shapely.Polygon(np.c_[18.0 + 2 * r * np.cos(t), 59.3 + r * np.sin(t)])
    layer = gpd.GeoDataFrame({"kod": ["A", "B"]},
                             geometry=[star, shapely.box(18.3, 59.2, 18.4, 59.3)], crs=4326)
    path = tmp / "stjarna.geojson"
    layer.to_file(path, driver="GeoJSON")
    t_geos = _timed(lambda: shapely.is_valid(star), repeats=1)
    t_read = _timed(lambda: read_districts(path), repeats=2)
    print(f"star-shaped district of {n:,} vertices: read_districts {t_read:.2f} s; one GEOS "
          f"is_valid of it {t_geos:.2f} s; ratio {t_read / t_geos:.2f} (target < 1)")


if __name__ == "__main__":
    main()
