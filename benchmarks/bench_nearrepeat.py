"""Benchmark: the Knox test (near repeats) on 100 000 events, beside a brute-force O(n²) reference;
and the kernel density surface (hotspots.kde) on the same events beside a direct sum.

Run: ``.venv/bin/python benchmarks/bench_nearrepeat.py`` (about a minute).

Target (issue 14): 100 000 events, distance bands up to 500 m and time bands up
to 28 days, 99 permutations, in at most 20 s and 1 GB on the development
machine. Each full test runs in a fresh subprocess, so its wall time, CPU time
and peak resident memory (``VmHWM``) belong to that run alone.

Baseline measured in the same run: the brute-force way of the Near Repeat
Calculator and the R package NearRepeat (every pair's distance and time
difference, then a table per permutation) on 5 000 events of the same city.
The script asserts that the fast observed table equals the brute-force one.

The density surface (binned events convolved with the quartic kernel) is
timed beside the direct sum of the kernel over every event within the
bandwidth, evaluated with a KD-tree at 2 000 of the surface's cells; the
largest difference (the binning of events to cell centres) is printed.

Synthetic events (SWEREF 99 TM): a city of about 22 × 16 km; 25 % spread
evenly, 45 % around 60 neighbourhood centres (σ 250–1 200 m), 20 % on 15 000
address points (exact duplicates, as geocoded incidents are) and 10 % near
repeats (an earlier event moved about 80 m and 1–14 days later); times to the
minute over 2024.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lagesbild_geo import hotspots, nearrepeat  # noqa: E402

DISTANCE_BANDS = [0, 1, 100, 200, 300, 400, 500]
TIME_BANDS = [0, 7, 14, 21, 28]
N = 100_000
N_BRUTE = 5_000
PERMUTATIONS = 99


def make_events(n: int, seed: int = 0) -> pd.DataFrame:
    """Events of a plausible city: neighbourhoods, repeat addresses, near repeats."""
    rng = np.random.default_rng(seed)
    x0, y0 = 310000.0, 6390000.0
    w, h = 22000.0, 16000.0
    n_uni, n_hood, n_addr = int(0.25 * n), int(0.45 * n), int(0.20 * n)
    n_rep = n - n_uni - n_hood - n_addr
    hoods = rng.uniform([2000, 2000], [w - 2000, h - 2000], (60, 2))
    sigma = rng.uniform(250, 1200, 60)
    hood_w = rng.gamma(2.0, 1.0, 60)
    k = rng.choice(60, n_hood, p=hood_w / hood_w.sum())
    addr = hoods[rng.choice(60, 15000, p=hood_w / hood_w.sum())] + rng.normal(0, 900, (15000, 2))
    a = rng.integers(0, 15000, n_addr)
    base = np.concatenate([
        rng.uniform([0, 0], [w, h], (n_uni, 2)),
        hoods[k] + rng.normal(0, 1, (n_hood, 2)) * sigma[k, None],
        addr[a],
    ])
    minutes = rng.integers(0, 366 * 1440, base.shape[0])
    src = rng.integers(0, base.shape[0], n_rep)
    rep = base[src] + rng.normal(0, 80, (n_rep, 2))
    rep_t = minutes[src] + rng.integers(1440, 15 * 1440, n_rep)
    xy = np.concatenate([base, rep])
    t = np.concatenate([minutes, rep_t])
    return pd.DataFrame({
        "easting": x0 + xy[:, 0], "northing": y0 + xy[:, 1],
        "occurred_at": pd.Timestamp("2024-01-01", tz="Europe/Stockholm")
        + pd.to_timedelta(t, unit="min"),
    })


def brute_table(x: np.ndarray, y: np.ndarray, t_min: np.ndarray, metric: str) -> np.ndarray:
    """The NRC/NearRepeat way: every pair's distance and time difference, then a table."""
    de = np.asarray(DISTANCE_BANDS, dtype="float64")
    te = np.asarray(TIME_BANDS, dtype="float64") * 1440  # minutes
    out = np.zeros((de.size, te.size), dtype=np.int64)
    n = x.size
    for i in range(n - 1):  # one row of the pair matrix at a time (bounded memory)
        dx, dy = x[i] - x[i + 1:], y[i] - y[i + 1:]
        d = np.abs(dx) + np.abs(dy) if metric == "manhattan" else np.hypot(dx, dy)
        dt = np.abs(t_min[i] - t_min[i + 1:])
        r = np.searchsorted(de, d, side="right") - 1
        c = np.searchsorted(te, dt, side="right") - 1
        out += np.bincount(r * te.size + c, minlength=out.size).reshape(out.shape)
    return out


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(n: int, metric: str, permutations: int) -> None:
    """One full Knox test in this (fresh) process; prints JSON."""
    ev = make_events(n)
    before = peak_rss_mb()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    r = nearrepeat.knox(ev, distance_bands=DISTANCE_BANDS, time_bands=TIME_BANDS, metric=metric,
                        permutations=permutations, seed=1)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    print(json.dumps({
        "n": n, "metric": metric, "permutations": permutations, "wall_s": wall, "cpu_s": cpu,
        "peak_rss_mb": peak_rss_mb(), "rss_before_mb": before, "near_pairs": r.n_near_pairs,
        "pairs": r.n_pairs, "observed": r.observed.to_numpy().tolist(),
        "ratio_near": float(r.knox_ratio.iloc[1, 0]), "p_near": float(r.p_value.iloc[1, 0]),
    }))


def run_child(n: int, metric: str, permutations: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(n), metric, str(permutations)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"Knox test: distance bands {DISTANCE_BANDS} m, time bands {TIME_BANDS} days, "
          f"{PERMUTATIONS} permutations (fresh subprocess per run)\n")

    # --- brute-force reference on 5 000 events, same city ----------------------
    ev = make_events(N_BRUTE, seed=5)
    x = ev["easting"].to_numpy()
    y = ev["northing"].to_numpy()
    t_min = ((ev["occurred_at"] - pd.Timestamp("2024-01-01", tz="Europe/Stockholm"))
             // pd.Timedelta(minutes=1)).to_numpy(dtype="int64").astype("float64")
    for metric in ("manhattan", "euclidean"):
        t0 = time.perf_counter()
        ref = brute_table(x, y, t_min, metric)
        t_brute = time.perf_counter() - t0
        t0 = time.perf_counter()
        fast = nearrepeat.knox(ev, distance_bands=DISTANCE_BANDS, time_bands=TIME_BANDS,
                               metric=metric, permutations=PERMUTATIONS, seed=1)
        t_fast = time.perf_counter() - t0
        same = bool((fast.observed.to_numpy() == ref).all())
        print(f"{N_BRUTE:,} events, {metric:9s}: brute-force observed table {t_brute:6.2f} s "
              f"(one table; 99 permutations ≈ {t_brute * (PERMUTATIONS + 1):,.0f} s); "
              f"fast full test with {PERMUTATIONS} permutations {t_fast:5.2f} s "
              f"(ratio {t_brute * (PERMUTATIONS + 1) / t_fast:,.0f}×); observed tables identical: {same}")
        assert same, (fast.observed, ref)

    # --- the target: 100 000 events ---------------------------------------------
    print()
    pairs_all = N * (N - 1) // 2
    for metric in ("manhattan", "euclidean"):
        r = run_child(N, metric, PERMUTATIONS)
        ok = r["wall_s"] <= 20 and r["peak_rss_mb"] <= 1024
        print(f"{N:,} events, {metric:9s}: wall {r['wall_s']:5.1f} s, CPU {r['cpu_s']:5.1f} s, "
              f"peak RSS {r['peak_rss_mb']:5.0f} MB (data+imports {r['rss_before_mb']:.0f} MB), "
              f"near pairs {r['near_pairs']:,} of {r['pairs']:,}; "
              f"Knox ratio 1–100 m × 0–7 days {r['ratio_near']:.2f} (p = {r['p_near']:.2f})"
              + ("" if metric != "manhattan" else f"  target ≤ 20 s and ≤ 1 GB: {'met' if ok else 'MISSED'}"))
    # --- density surface ---------------------------------------------------------
    from scipy.spatial import cKDTree

    ev = make_events(N)
    t0 = time.perf_counter()
    d = hotspots.kde(ev)
    t_kde = time.perf_counter() - t0
    a = d.attrs["kde"]
    h = a["bandwidth_m"]
    sel = np.random.default_rng(0).choice(len(d), min(2000, len(d)), replace=False)
    t0 = time.perf_counter()
    tree = cKDTree(ev[["easting", "northing"]].to_numpy())
    at = cKDTree(d[["easting", "northing"]].to_numpy()[sel])
    sm = at.sparse_distance_matrix(tree, h, output_type="coo_matrix")
    direct = np.bincount(sm.row, weights=3 / (np.pi * h * h) * (1 - (sm.data / h) ** 2) ** 2,
                         minlength=sel.size) * 1e6
    t_direct = time.perf_counter() - t0
    diff = np.abs(d["density_per_km2"].to_numpy()[sel] - direct)
    print(f"\nkde {N:,} events: {t_kde:.2f} s for {len(d):,} cells of {a['cell_size_m']:g} m "
          f"(bandwidth {h:.0f} m by ArcGIS's rule; {a['n_cells_suppressed']:,} cells with fewer than "
          f"{a['min_count']} events within it left out; mass {a['mass']:,.0f}); direct kernel sum at "
          f"{sel.size:,} cells {t_direct:.2f} s (≈ {t_direct * len(d) / sel.size:.1f} s for all, "
          f"{t_direct * len(d) / sel.size / t_kde:.0f}×); largest difference {diff.max() / direct.max():.2%} "
          f"of the peak, median {np.median(diff / direct):.2%} of the cell's value")

    scale = (N / N_BRUTE) ** 2
    print(f"\nBrute force at {N:,} events would handle {pairs_all:,} pairs per table "
          f"({scale:.0f}× the 5 000-event reference): about {scale * t_brute * (PERMUTATIONS + 1) / 3600:,.0f} "
          f"h for 99 permutations, and {pairs_all * 16 / 1e9:,.0f} GB for a pair list of distances "
          "and time differences (not run).")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=3, metavar=("N", "METRIC", "PERMUTATIONS"))
    args = ap.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], int(args.child[2]))
    else:
        main()
