"""Emerging hot spots: Mann–Kendall against hand values and scipy, the class rules, end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lagesbild_geo import grid, hotspots
from lagesbild_geo.emerging import EMERGING_CLASSES, EMERGING_LABELS_SV, _classify, mann_kendall
from lagesbild_geo.errors import InputError

TZ = "Europe/Stockholm"


# ---------------------------------------------------------------- Mann–Kendall
def test_mann_kendall_hand_examples():
    mk = mann_kendall([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [1, 2, 2, 3, 3]])
    # S: all 10 pairs up; all down; ties: pairs (2,2) and (3,3) count 0 → 8
    assert mk["mk_s"].tolist() == [10, -10, 8]
    # Var(S) = [n(n-1)(2n+5) - Σ t(t-1)(2t+5)]/18, n=5: 300/18; two tie groups of 2: (300-18-18)/18
    np.testing.assert_allclose(mk["mk_var"], [300 / 18, 300 / 18, 264 / 18])
    z0 = (10 - 1) / np.sqrt(300 / 18)
    assert mk["mk_z"].iloc[0] == pytest.approx(z0)
    assert mk["mk_p"].iloc[0] == pytest.approx(2 * stats.norm.sf(z0))
    assert mk["mk_tau"].tolist()[:2] == [1.0, -1.0]


def test_mann_kendall_equals_scipy_kendalltau_without_continuity():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (40, 12)).astype(float)  # many ties
    mk = mann_kendall(X, continuity=False)
    t = np.arange(12)
    for i in range(X.shape[0]):
        if np.ptp(X[i]) == 0:
            continue
        ref = stats.kendalltau(t, X[i], method="asymptotic")
        assert mk["mk_p"].iloc[i] == pytest.approx(ref.pvalue, abs=1e-10)


def test_mann_kendall_constant_series():
    mk = mann_kendall([[2, 2, 2, 2]])
    assert mk["mk_s"].iloc[0] == 0 and mk["mk_p"].iloc[0] == 1.0


# ---------------------------------------------------------------- rules
def _flags(pattern: str) -> tuple[np.ndarray, np.ndarray]:
    """'H' hot, 'C' cold, '.' neither."""
    return (np.array([[c == "H" for c in pattern]]), np.array([[c == "C" for c in pattern]]))


@pytest.mark.parametrize(("pattern", "trend", "expected"), [
    ("..........", 0, "no_pattern"),
    (".........H", 0, "new_hot"),
    ("......HHHH", 0, "consecutive_hot"),
    ("HHHHHHHHHH", 0, "persistent_hot"),
    ("HHHHHHHHHH", 1, "intensifying_hot"),
    ("HHHHHHHHHH", -1, "diminishing_hot"),
    (".HHHHHHHHH", 0, "persistent_hot"),   # 9 of 10 = 90 %
    ("..HHHHHHHH", 0, "consecutive_hot"),  # 80 %: a run at the end
    ("H.H..H...H", 0, "sporadic_hot"),
    ("H...HH..HH", 0, "sporadic_hot"),
    ("C...H....H", 0, "oscillating_hot"),
    ("HHHHHHHHH.", 0, "historical_hot"),
    ("HHHH......", 0, "no_pattern"),
    (".........C", 0, "new_cold"),
    ("CCCCCCCCCC", -1, "intensifying_cold"),
    ("CCCCCCCCCC", 1, "diminishing_cold"),
    ("H..C....CC", 0, "oscillating_cold"),
    ("CCCCCCCCC.", 0, "historical_cold"),
])
def test_classification_rules(pattern, trend, expected):
    hot, cold = _flags(pattern)
    assert _classify(hot, cold, np.array([trend]), 0.9)[0] == expected


def test_every_class_has_a_swedish_label():
    assert set(EMERGING_CLASSES) == set(EMERGING_LABELS_SV)
    assert EMERGING_LABELS_SV["new_hot"] == "Ny hotspot"


# ---------------------------------------------------------------- end to end
def _synthetic(seed: int = 1) -> pd.DataFrame:
    """Background over 8 quarters; a persistent plant; an emerging one in the last 4 quarters."""
    rng = np.random.default_rng(seed)
    quarters = pd.date_range("2024-01-01", periods=8, freq="QS")
    rows = []
    for qi, q in enumerate(quarters):
        n_bg = 400
        lat = rng.uniform(59.33, 59.43, n_bg)
        lon = rng.uniform(17.00, 17.20, n_bg)
        rows.append((lat, lon, q))
        rows.append((rng.normal(59.36, 0.0006, 40), rng.normal(17.04, 0.0012, 40), q))  # persistent
        if qi >= 4:
            rows.append((rng.normal(59.41, 0.0006, 45), rng.normal(17.17, 0.0012, 45), q))  # emerging
    lat = np.concatenate([r[0] for r in rows])
    lon = np.concatenate([r[1] for r in rows])
    t = np.concatenate([np.full(r[0].size, r[2].value) for r in rows])
    t = pd.to_datetime(t).tz_localize(TZ) + pd.to_timedelta(rng.integers(0, 80 * 24, lat.size), "h")
    return pd.DataFrame({"lat": lat, "lon": lon, "precision": "point", "occurred_at": t,
                         "category": "vald"})


def test_emerging_finds_persistent_and_emerging_plants():
    df = _synthetic()
    e = hotspots.emerging(df, period="quarter")
    assert e.attrs["periods"] == [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
    pers = grid.points_to_cells([59.36], [17.04], 9)[0]
    emer = grid.points_to_cells([59.41], [17.17], 9)[0]
    assert e.loc[pers, "emerging_class"] in ("persistent_hot", "intensifying_hot", "diminishing_hot")
    assert e.loc[pers, "n_hot"] == 8
    assert e.loc[emer, "emerging_class"] in ("consecutive_hot", "new_hot", "intensifying_hot")
    assert e.loc[emer, "n_hot"] <= 4
    assert e["count"].sum() == len(df)
    assert set(e["emerging_class"].unique()) <= set(EMERGING_CLASSES)
    # background far from the plants: no hot classes beyond the FDR rate
    hot = e["emerging_class"].str.endswith("_hot")
    near = grid.disk_cells(np.array([pers, emer], dtype=np.uint64), 2)
    assert hot[~e.index.isin(near)].mean() < 0.05
    assert e.crs.to_epsg() == 4326 and e.index.name == "cell"


def test_emerging_category_filter_and_errors():
    df = _synthetic()
    df.loc[df.index[:10], "category"] = "stold"
    e = hotspots.emerging(df, categories=["stold"], fill=True)
    assert e["count"].sum() == 10
    with pytest.raises(InputError, match="no incidents"):
        hotspots.emerging(df, categories=["brand"])
    with pytest.raises(InputError, match="share"):
        hotspots.emerging(df, share=1.5)


# ---------------------------------------------------------------- Exempelkommun
def test_sample_emerging_classes(sample_dir):
    import json

    import geopandas as gpd
    from shapely.geometry import shape

    from lagesbild_geo import io

    inc = pd.concat([io.read_incidents(sample_dir / "incidents_polis.xlsx").placed,
                     io.read_incidents(sample_dir / "incidents_kommun.csv",
                                       gazetteer=sample_dir / "gazetteer.csv").placed],
                    ignore_index=True)
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))
    boundary = gpd.read_file(sample_dir / "kommun.geojson")
    e = hotspots.emerging(inc, period="quarter", fill=boundary)
    assert len(e.attrs["periods"]) == 8
    expected = {
        "persistent": {"persistent_hot", "intensifying_hot", "diminishing_hot"},
        "emerging": {"new_hot", "consecutive_hot", "intensifying_hot"},
        "declining": {"diminishing_hot", "historical_hot"},
    }
    for h in truth["hotspots"]:
        c = grid.points_to_cells([h["lat"]], [h["lon"]], 9)[0]
        assert e.loc[c, "emerging_class"] in expected[h["kind"]], (h["name"], e.loc[c, "emerging_class"])
        if h["kind"] == "emerging":
            assert e.loc[c, "n_hot"] <= 4  # hot in 2025 only
    for area in truth["background_areas"]:
        bc = grid.geometry_to_cells(shape(area["polygon"]), 9)
        sub = e.reindex(bc).dropna(subset=["emerging_class"])
        assert len(sub) > 20
        assert sub["emerging_class"].str.endswith("_hot").sum() <= np.ceil(0.05 * len(sub))
