"""How fast the app's map page appears, and how much the map sends to the browser.

Runs the real Karta page with ``streamlit.testing.v1.AppTest`` (the whole script:
cached helpers, the pipeline, the folium map and streamlit-folium's serialisation;
only the browser is missing) on

1. Exempelkommun (``sample_data/``), and
2. 100 000 synthetic incidents in Exempelkommun's districts,

first with empty caches (uncached: reading, placing, H3, Gi*, clusters, districts,
map) and then again in the same process (cached: what every later visitor and
every rerun costs). The map payload is the HTML folium renders for the page's map.
Baseline in the same run: folium's default map of the same cells (``GeoJson`` of
the cells as they come, CDN scripts, no rounding).

Targets (issue 8): ≤ 2 s cached for 100 000 incidents; payload ≤ 3 MB.

Run: ``.venv/bin/python benchmarks/bench_app.py`` (about 1–2 minutes).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
APP = str(ROOT / "apps" / "lagesbild_app.py")
N_SYNTH = 100_000
TARGET_CACHED_S = 2.0
TARGET_PAYLOAD_MB = 3.0

CATEGORY_NAMES = ["Misshandel", "Stöld", "Klotter", "Bostadsinbrott", "Narkotikabrott",
                  "Ordningsstörning", "Rån", "Bilbrand", "Bedrägeri", "Skadegörelse"]


def synthetic_incidents(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` incidents inside Exempelkommun: 60 % around 25 centres, 40 % spread out; 2 years."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    kommun = gpd.read_file(SAMPLE / "kommun.geojson").to_crs(4326).union_all()
    x0, y0, x1, y1 = kommun.bounds
    m = 3 * n  # oversample, keep the first n inside the boundary
    n_hot = int(m * 0.6)
    centres_lat = rng.uniform(y0 + 0.2 * (y1 - y0), y1 - 0.2 * (y1 - y0), 25)
    centres_lon = rng.uniform(x0 + 0.2 * (x1 - x0), x1 - 0.2 * (x1 - x0), 25)
    pick = rng.integers(0, 25, n_hot)
    lat = np.concatenate([centres_lat[pick] + rng.normal(0, 0.004, n_hot),
                          rng.uniform(y0, y1, m - n_hot)])
    lon = np.concatenate([centres_lon[pick] + rng.normal(0, 0.008, n_hot),
                          rng.uniform(x0, x1, m - n_hot)])
    inside = np.flatnonzero(shapely.contains_xy(kommun, lon, lat))
    keep = np.sort(rng.choice(inside, n, replace=False))
    lat, lon = lat[keep], lon[keep]
    start = pd.Timestamp("2023-01-01")
    t = start + pd.to_timedelta(rng.uniform(0, 730 * 86400, n), unit="s")
    return pd.DataFrame({
        "Ärendenummer": [f"S{i:07d}" for i in range(n)],
        "Datum": t.strftime("%Y-%m-%d"),
        "Tid": t.strftime("%H:%M"),
        "Kategori": np.array(CATEGORY_NAMES)[rng.integers(0, len(CATEGORY_NAMES), n)],
        "Lat": np.round(lat, 6),
        "Long": np.round(lon, 6),
    })


def data_dir(tmp: Path) -> Path:
    """A folder laid out like sample_data/ with the synthetic incidents as the only incident file."""
    d = tmp / "synth"
    d.mkdir()
    for name in ("districts.geojson", "kommun.geojson", "gazetteer.csv", "survey_trygghet.csv",
                 "survey_pins.geojson"):
        if (SAMPLE / name).exists():
            shutil.copy(SAMPLE / name, d / name)
    synthetic_incidents(N_SYNTH).to_csv(d / "incidents_kommun.csv", sep=";", index=False)
    return d


def run_page(data: Path | None) -> tuple[float, float, int]:
    """(uncached s, cached s, incidents shown) for the Karta page on ``data``."""
    from streamlit.testing.v1 import AppTest

    if data is None:
        os.environ.pop("LAGESBILD_DATA", None)
    else:
        os.environ["LAGESBILD_DATA"] = str(data)
    import streamlit as st

    st.cache_data.clear()
    times = []
    shown = 0
    for _ in range(2):
        at = AppTest.from_file(APP, default_timeout=600)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        if at.error:
            raise RuntimeError(at.error[0].value)
        shown = int(str(at.metric[0].value).replace(" ", "").replace("\u00a0", ""))
    return times[0], times[1], shown


def payload() -> tuple[int, int, int]:
    """(page map payload bytes, baseline folium payload bytes, cells) on the data just run."""
    import folium

    sys.path.insert(0, str(ROOT / "apps"))
    import app_state

    from lagesbild_geo import maps

    # the app's own cached build (a cache hit after run_page on the same data)
    lb = app_state._build(app_state.example_sources(), 9)
    m = maps.lagesbild_map(lb, layers=maps.DEFAULT_LAYERS, tiles=None,
                           assets="/app/static/vendor")
    ours = maps.map_payload_bytes(m)
    base = folium.Map(location=[59.37, 17.1], zoom_start=12)
    folium.GeoJson(lb.cells.to_crs(4326).to_json(), tooltip=folium.GeoJsonTooltip(["count"])).add_to(base)
    folium.GeoJson(lb.districts.to_crs(4326).drop(
        columns=[c for c in lb.districts.columns if lb.districts[c].dtype == object
                 and c != "geometry" and c != "district_name"]).to_json()).add_to(base)
    return ours, maps.map_payload_bytes(base), len(lb.cells)


def main() -> int:
    os.environ.setdefault("LAGESBILD_TILES", "none")
    tmp = Path(tempfile.mkdtemp(prefix="bench_app_"))
    os.environ["LAGESBILD_STORE"] = str(tmp / "store.sqlite")
    ok = True
    try:
        synth = data_dir(tmp)
        print(f"{'data':<26}{'incidents':>10}{'uncached s':>12}{'cached s':>10}{'ratio':>8}"
              f"{'cells':>8}{'payload MB':>12}{'baseline MB':>13}{'ratio':>7}")
        for label, d in (("Exempelkommun", None), (f"synthetic {N_SYNTH:,}".replace(",", " "), synth)):
            unc, cac, shown = run_page(d)
            ours, base, n_cells = payload()
            print(f"{label:<26}{shown:>10}{unc:>12.2f}{cac:>10.2f}{cac / unc:>8.2f}"
                  f"{n_cells:>8}{ours / 1e6:>12.2f}{base / 1e6:>13.2f}{ours / base:>7.2f}")
            if d is not None:
                ok &= cac <= TARGET_CACHED_S and ours / 1e6 <= TARGET_PAYLOAD_MB
        print(f"targets: cached ≤ {TARGET_CACHED_S} s and payload ≤ {TARGET_PAYLOAD_MB} MB at "
              f"{N_SYNTH:,} incidents: {'met' if ok else 'NOT met'}".replace(",", " "))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
