"""Benchmark: read_incidents on 1 000 000 synthetic CSV rows vs the floor.

The file: SWEREF 99 TM coordinates with X = northing (the Swedish habit),
separate date and time columns, Brå-style crime types. Generated here.

The floor: a bare ``pyarrow.csv.read_csv`` of the same file, one vectorised
``pyproj`` transform (EPSG:3006 → 4326) of its coordinate columns and the H3 cells
(resolution 9) of the same points, vectorised with h3ronpy as ``grid`` uses it
(h3-py's loop when h3ronpy is not installed). That is the least any reader must do
to turn the file into placed, indexed points.
Each measurement runs in a fresh child process; its peak memory is the
largest resident set size sampled every 2 ms during the call, minus the
resident size just before it (imports excluded).

Run: ``.venv/bin/python benchmarks/bench_read.py [N_ROWS] [REPEATS]``
Targets (issue 13): read_incidents ≤ 1.25× the floor in CPU time (best of REPEATS);
peak memory of the read ≤ 3× the loaded table (the floor's pyarrow table).

The ratio is taken in CPU time (``time.process_time``: every thread of the child, user
and kernel): the machine is shared, so wall time follows the load of other processes;
wall time is printed too, and the ratio in user CPU alone (the kernel's share, mostly
faulting in new memory, varies several-fold between identical runs on a VM). The load average is printed before and after, and the H3 backend named.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 3

CHILD = r"""
import json, os, sys, threading, time
mode, path = sys.argv[1], sys.argv[2]
import numpy as np, pyarrow.csv as pacsv, pyproj
from lagesbild_geo.grid import _fast
from lagesbild_geo.read import read_incidents
import h3

PAGE = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE
peak = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)
base = rss()
th = threading.Thread(target=sample, daemon=True)
th.start()
out = {}
if mode == "floor":
    t, c, o = time.perf_counter(), time.process_time(), os.times()
    table = pacsv.read_csv(path)
    tr = pyproj.Transformer.from_crs(3006, 4326, always_xy=True)
    lon, lat = tr.transform(table["Y"].to_numpy(), table["X"].to_numpy())
    fast = _fast()
    if fast is not None:
        cells = fast.vector.coordinates_to_cells(lat, lon, 9)
    else:
        cells = np.fromiter(map(h3.api.basic_int.latlng_to_cell, lat.tolist(), lon.tolist(),
                                [9] * len(lat)), dtype=np.uint64, count=len(lat))
    out["seconds"] = time.perf_counter() - t
    out["cpu"] = time.process_time() - c
    out["user"] = os.times().user - o.user
    out["table_bytes"] = table.nbytes
elif mode == "read":
    t, c, o = time.perf_counter(), time.process_time(), os.times()
    r = read_incidents(path)
    out["seconds"] = time.perf_counter() - t
    out["cpu"] = time.process_time() - c
    out["user"] = os.times().user - o.user
    out["placed"] = len(r.placed)
    out["rows_read"] = r.report["rows_read"]
    out["crs"] = r.report["crs_detected"]
    out["swapped"] = r.report["axes_swapped"]
    out["result_bytes"] = int(r.placed.memory_usage(deep=True).sum())
    from lagesbild_geo.grid import points_to_cells
    t, c = time.perf_counter(), time.process_time()
    points_to_cells(r.placed["lat"].to_numpy(), r.placed["lon"].to_numpy(), 9)
    out["h3_seconds"] = time.perf_counter() - t
    out["h3_cpu"] = time.process_time() - c
    out["h3_backend"] = "h3ronpy" if _fast() is not None else "h3-py"
stop.set()
th.join()
out["peak_bytes"] = max(peak[0], rss()) - base
if mode == "read":  # after the peak was taken: the text table read_incidents loads
    from lagesbild_geo.read import read_table
    out["text_table_bytes"] = int(read_table(path)[0].memory_usage(deep=True).sum())
print(json.dumps(out))
"""

TYPES = np.array(["Misshandel", "Stöld", "Skadegörelse", "Klotter", "\"Inbrott, bostad\"",
                  "Narkotikabrott", "Rån", "Bedrägeri", "Olaga hot", "Stöld ur bil"], dtype=object)


def make_file(path: Path, n: int) -> None:
    rng = np.random.default_rng(20240101)
    north = rng.uniform(6_570_000, 6_590_000, n).round(1)
    east = rng.uniform(650_000, 680_000, n).round(1)
    t0 = np.datetime64("2024-01-01T00:00:00")
    ts = t0 + rng.integers(0, 2 * 365 * 86_400, n).astype("timedelta64[s]")
    s = np.datetime_as_string(ts, unit="m")
    date = np.char.partition(s.astype(str), "T")[:, 0]
    tid = np.char.partition(s.astype(str), "T")[:, 2]
    ids = np.char.add("5000-K", np.arange(n).astype(str))
    typ = TYPES[rng.integers(0, len(TYPES), n)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Diarienummer,Brottsdatum,Klockslag,Brottstyp,X,Y\n")
        chunk = 200_000
        for i in range(0, n, chunk):
            sl = slice(i, i + chunk)
            lines = [f"{a},{b},{c},{d},{e},{f}" for a, b, c, d, e, f in zip(
                ids[sl], date[sl], tid[sl], typ[sl], north[sl], east[sl], strict=True)]
            fh.write("\n".join(lines) + "\n")


def child(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child {mode!r} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # not Linux
        return "?"


def main() -> None:
    print(f"load average before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "incidents.csv"
        t = time.perf_counter()
        make_file(path, N)
        print(f"generated {N:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
        floors, reads = [], []
        for _ in range(REPEATS):  # interleaved: the machine's load changes between runs
            floors.append(child("floor", path))
            reads.append(child("read", path))
    print(f"load average after: {load()}")
    print("runs (wall/CPU s): floor " + ", ".join(f"{d['seconds']:.2f}/{d['cpu']:.2f}" for d in floors)
          + "; read_incidents " + ", ".join(f"{d['seconds']:.2f}/{d['cpu']:.2f}" for d in reads))
    floor = min(floors, key=lambda d: d["cpu"])
    read = min(reads, key=lambda d: d["cpu"])
    ratio = min(d["seconds"] for d in reads) / min(d["seconds"] for d in floors)
    cpu_ratio = read["cpu"] / floor["cpu"]
    table_mb = floor["table_bytes"] / 1e6
    peak_mb = read["peak_bytes"] / 1e6
    floor_peak_mb = floor["peak_bytes"] / 1e6
    print(f"floor (pyarrow.csv.read_csv + pyproj transform + H3 cells): {floor['seconds']:.2f} s wall "
          f"({floor['cpu']:.2f} s CPU), peak +{floor_peak_mb:.0f} MB")
    print(f"read_incidents: {read['seconds']:.2f} s wall ({read['cpu']:.2f} s CPU), peak +{peak_mb:.0f} MB "
          f"(rows {read['rows_read']:,}, placed {read['placed']:,}, {read['crs']}, axes swapped {read['swapped']})")
    h3 = read["h3_seconds"]
    print(f"ratio read_incidents / floor: {cpu_ratio:.2f} in CPU time  (target <= 1.25), {ratio:.2f} in wall "
          f"time (best of {REPEATS} each)")
    user_ratio = min(d["user"] for d in reads) / min(d["user"] for d in floors)
    print(f"  in user CPU alone (without the kernel's time, mostly page faults of new memory, which "
          f"varies 0.15-0.9 s between identical runs on this VM): {user_ratio:.2f}")
    print(f"  H3 indexing alone (grid.points_to_cells, {read['h3_backend']}): {h3:.2f} s wall "
          f"({read['h3_cpu']:.2f} s CPU)")
    result_mb = read["result_bytes"] / 1e6
    text_mb = read["text_table_bytes"] / 1e6
    print(f"loaded table (floor's pyarrow table, typed): {table_mb:.0f} MB; peak / that table: "
          f"{peak_mb / table_mb:.2f}  (target <= 3.0)")
    print(f"loaded table (read_table's table, every column as text, as read_incidents loads it): "
          f"{text_mb:.0f} MB; peak / that table: {peak_mb / text_mb:.2f}  (target <= 3.0)")
    print(f"result table (placed, canonical + raw columns): {result_mb:.0f} MB; peak / result: {peak_mb / result_mb:.2f}")
    print(f"floor's own peak / its table: {floor_peak_mb / table_mb:.2f}")


if __name__ == "__main__":
    main()
