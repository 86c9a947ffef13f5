"""lagesbild_geo.hotspots: Gi* against esda, FDR against scipy, clusters, change, PAI."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from lagesbild_geo import grid, hotspots
from lagesbild_geo.errors import InputError, SchemaError

TZ = "Europe/Stockholm"


def _random_grid(seed: int = 7, radius: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centre = grid.points_to_cells([59.38], [17.10], 9)
    cells = grid.disk_cells(centre, radius)
    counts = rng.poisson(3.0, cells.size)
    counts[:5] += 25  # a few high cells
    return pd.DataFrame({"count": counts}, index=pd.Index(cells, dtype="uint64", name="cell"))


def _esda_zs(cells: pd.DataFrame, column: str = "count", rings: int = 1, star: bool = True):
    import esda
    import libpysal

    ids = cells.index.to_numpy(dtype=np.uint64)
    w0 = grid.neighbour_matrix(ids, rings=rings, include_self=False).tocoo()
    nbrs: dict[int, list[int]] = {i: [] for i in range(ids.size)}
    for r, c in zip(w0.row.tolist(), w0.col.tolist(), strict=True):
        nbrs[r].append(c)
    w = libpysal.weights.W(nbrs, silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(cells[column].to_numpy(dtype="float64"), w, transform="B", star=star,
                         permutations=0)
    return g


# ---------------------------------------------------------------- Gi*
def test_esda_published_six_point_example():
    # esda G_Local docstring: DistanceBand(threshold=15), y, transform="B", star=True
    import libpysal

    points = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    w = libpysal.weights.DistanceBand(points, threshold=15, silence_warnings=True)
    y = np.array([2, 3, 3.2, 5, 8, 7])
    wstar = w.sparse + sparse.identity(6)
    z, p = hotspots.gistar_arrays(y, wstar)
    published = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]
    np.testing.assert_allclose(z, published, atol=1e-8)
    np.testing.assert_allclose(p, 2 * stats.norm.sf(np.abs(published)), atol=1e-8)


@pytest.mark.parametrize("rings", [1, 2])
def test_gistar_equals_esda_on_random_grid(rings):
    cells = _random_grid()
    hs = hotspots.gistar(cells, rings=rings)
    ref = _esda_zs(cells, rings=rings)
    np.testing.assert_allclose(hs["gi_z"].to_numpy(), ref.Zs, atol=1e-6)
    # esda's p_norm is one-sided; ours is two-sided
    np.testing.assert_allclose(hs["gi_p"].to_numpy(), 2 * ref.p_norm, atol=1e-10)


def test_gi_without_star_equals_esda():
    cells = _random_grid(seed=11, radius=4)
    hs = hotspots.gistar(cells, star=False)
    ref = _esda_zs(cells, star=False)
    np.testing.assert_allclose(hs["gi_z"].to_numpy(), ref.Zs, atol=1e-6)
    assert (hs["n_neighbours"] <= 6).all()


def test_gistar_matrix_of_series_equals_one_by_one():
    cells = _random_grid()
    rng = np.random.default_rng(1)
    Y = rng.poisson(2.0, (len(cells), 5)).astype(float)
    w = grid.neighbour_matrix(cells.index.to_numpy(dtype=np.uint64))
    Z, _ = hotspots.gistar_arrays(Y, w)
    for k in range(5):
        z1, _ = hotspots.gistar_arrays(Y[:, k], w)
        np.testing.assert_allclose(Z[:, k], z1)


def test_fdr_and_bonferroni_match_references():
    rng = np.random.default_rng(5)
    p = np.r_[rng.uniform(0, 0.02, 20), rng.uniform(0, 1, 200)]
    np.testing.assert_allclose(hotspots.adjust_pvalues(p, "fdr"),
                               stats.false_discovery_control(p, method="bh"), atol=1e-12)
    np.testing.assert_allclose(hotspots.adjust_pvalues(p, "bonferroni"), np.minimum(p * p.size, 1))
    np.testing.assert_array_equal(hotspots.adjust_pvalues(p, "none"), p)
    withnan = np.r_[np.nan, p]
    adj = hotspots.adjust_pvalues(withnan, "fdr")
    assert np.isnan(adj[0])
    np.testing.assert_allclose(adj[1:], stats.false_discovery_control(p), atol=1e-12)
    with pytest.raises(InputError, match="correction"):
        hotspots.adjust_pvalues(p, "holm")


def test_gistar_columns_bins_and_classes():
    cells = _random_grid()
    before = cells.copy()
    hs = hotspots.gistar(cells, correction="fdr", alpha=0.05)
    pd.testing.assert_frame_equal(cells, before)
    for col in ("gi_z", "gi_p", "gi_p_adj", "gi_bin", "hotspot_class", "n_neighbours"):
        assert col in hs.columns
    np.testing.assert_allclose(hs["gi_p_adj"], stats.false_discovery_control(hs["gi_p"]))
    padj, z, b = hs["gi_p_adj"].to_numpy(), hs["gi_z"].to_numpy(), hs["gi_bin"].to_numpy()
    expect = np.select([padj < 0.01, padj < 0.05, padj < 0.10], [3, 2, 1], 0) * np.sign(z)
    np.testing.assert_array_equal(b, expect.astype(int))
    names = {3: "hot_99", 2: "hot_95", 1: "hot_90", 0: "none", -1: "cold_90", -2: "cold_95",
             -3: "cold_99"}
    assert hs["hotspot_class"].tolist() == [names[int(v)] for v in b]
    assert (hs["gi_bin"] > 0).any()
    assert (hs["gi_significant"] == (hs["gi_p_adj"] < 0.05)).all()
    # interior cells of the disk have 6 neighbours at ring 1, edge cells fewer
    assert hs["n_neighbours"].max() == 6 and hs["n_neighbours"].min() == 3
    assert hs.attrs["gistar"]["correction"] == "fdr"


def test_bonferroni_is_stricter_than_fdr():
    cells = _random_grid()
    f = hotspots.gistar(cells, correction="fdr")
    b = hotspots.gistar(cells, correction="bonferroni")
    n = hotspots.gistar(cells, correction="none")
    assert (b["gi_bin"].abs() <= f["gi_bin"].abs()).all()
    assert (f["gi_bin"].abs() <= n["gi_bin"].abs()).all()
    np.testing.assert_allclose(n["gi_p_adj"], n["gi_p"])


def test_gistar_warns_on_few_cells_and_notes_it():
    centre = grid.points_to_cells([59.4], [17.1], 9)
    cells = pd.DataFrame({"count": np.arange(7)},
                         index=pd.Index(grid.disk_cells(centre, 1), dtype="uint64", name="cell"))
    with pytest.warns(UserWarning, match="only 7 cells") as rec:
        hs = hotspots.gistar(cells)
    assert rec[0].filename == __file__  # stacklevel points at the caller
    assert "only 7 cells" in hs.attrs["gistar"]["notes"][0]


def test_gistar_constant_values_give_no_hotspots():
    cells = _random_grid()
    cells["count"] = 4
    hs = hotspots.gistar(cells)
    assert hs["gi_z"].isna().all() and (hs["hotspot_class"] == "none").all()


def test_gistar_errors():
    cells = _random_grid()
    with pytest.raises(SchemaError, match="no such column"):
        hotspots.gistar(cells, "antal")
    bad = cells.astype({"count": "float64"})
    bad.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match="missing"):
        hotspots.gistar(bad)
    with pytest.raises(InputError, match="duplicate"):
        hotspots.gistar(pd.concat([cells, cells.iloc[:1]]))
    cube = pd.DataFrame({"count": [1, 2]}, index=pd.MultiIndex.from_tuples(
        [(1, "2024Q1"), (1, "2024Q2")], names=["cell", "period"]))
    with pytest.raises(InputError, match="per period"):
        hotspots.gistar(cube)
    with pytest.raises(InputError, match="correction"):
        hotspots.gistar(cells, correction="holm")


def test_gistar_on_count_cells_finds_planted_cluster():
    rng = np.random.default_rng(2)
    n_bg = 3000
    lat = np.r_[rng.uniform(59.33, 59.43, n_bg), rng.normal(59.38, 0.0008, 300)]
    lon = np.r_[rng.uniform(17.00, 17.20, n_bg), rng.normal(17.10, 0.0015, 300)]
    df = pd.DataFrame({"lat": lat, "lon": lon, "precision": "point"})
    hs = hotspots.gistar(grid.count_cells(df, fill=True))
    hot_cell = grid.points_to_cells([59.38], [17.10], 9)[0]
    assert hs.loc[hot_cell, "hotspot_class"] == "hot_99"
    # far from the plant nothing is hot
    far = grid.disk_cells(grid.points_to_cells([59.34], [17.02], 9), 3)
    assert not hs.reindex(far)["hotspot_class"].isin(["hot_99", "hot_95"]).any()


def test_gistar_cube_matches_gistar_per_period():
    t = pd.to_datetime(["2024-01-10"] * 40 + ["2024-04-10"] * 40).tz_localize(TZ)
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"lat": rng.normal(59.4, 0.01, 80), "lon": rng.normal(17.1, 0.02, 80),
                       "precision": "point", "occurred_at": t})
    cube = grid.count_cells(df, period="quarter", fill=True)
    gi = hotspots.gistar_cube(cube)
    for q in ("2024Q1", "2024Q2"):
        one = hotspots.gistar(cube.xs(q, level="period"))
        np.testing.assert_allclose(gi.xs(q, level="period")["gi_z"].to_numpy(),
                                   one["gi_z"].to_numpy())
        np.testing.assert_array_equal(gi.xs(q, level="period")["gi_bin"].to_numpy(),
                                      one["gi_bin"].to_numpy())


# ---------------------------------------------------------------- clusters
def _points(seed=0, n_bg=3000):
    rng = np.random.default_rng(seed)
    centres = [(660000, 6580000), (661500, 6581200), (659000, 6578500)]
    xs, ys, cats = [], [], []
    for k, (cx, cy) in enumerate(centres):
        m = 600 // (k + 1)
        xs.append(rng.normal(cx, 60, m))
        ys.append(rng.normal(cy, 60, m))
        cats += [["vald", "stold", "brand"][k]] * int(m * 0.7) + ["ovrigt"] * (m - int(m * 0.7))
    xs.append(rng.uniform(655000, 665000, n_bg))
    ys.append(rng.uniform(6575000, 6585000, n_bg))
    cats += ["skadegorelse"] * n_bg
    x, y = np.concatenate(xs), np.concatenate(ys)
    x[:50] = np.round(x[:50])  # exact duplicates
    x[50:100] = x[:50]
    y[50:100] = y[:50]
    t = pd.Timestamp("2024-01-01", tz=TZ) + pd.to_timedelta(rng.integers(0, 365 * 24, x.size), "h")
    return pd.DataFrame({"easting": x, "northing": y, "category": pd.array(cats, dtype="string"),
                         "precision": "point", "occurred_at": t})


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of points whose label matches after the best one-to-one renumbering."""
    from scipy.optimize import linear_sum_assignment

    la, lb = np.unique(a), np.unique(b)
    tab = np.zeros((la.size, lb.size))
    np.add.at(tab, (np.searchsorted(la, a), np.searchsorted(lb, b)), 1)
    r, c = linear_sum_assignment(-tab)
    return float(tab[r, c].sum() / a.size)


def test_weighted_unique_dbscan_equals_plain_dbscan():
    from sklearn.cluster import DBSCAN

    df = _points()
    xy = df[["easting", "northing"]].to_numpy()
    plain = DBSCAN(eps=150, min_samples=15).fit(xy).labels_
    exact = hotspots.cluster_labels(df, eps_m=150, min_samples=15, snap_m=0).to_numpy(dtype=int)
    assert _agreement(plain, exact) == 1.0
    assert ((plain == -1) == (exact == -1)).all()
    snapped = hotspots.cluster_labels(df, eps_m=150, min_samples=15, snap_m=5).to_numpy(dtype=int)
    assert _agreement(plain, snapped) >= 0.99
    assert np.unique(snapped[snapped >= 0]).size == np.unique(plain[plain >= 0]).size
    default = hotspots.cluster_labels(df, eps_m=150, min_samples=15).to_numpy(dtype=int)  # 5 m
    assert _agreement(plain, default) >= 0.99


def test_cluster_labels_skip_imprecise_rows_and_missing_coordinates():
    df = _points(n_bg=100)
    df.loc[0, "precision"] = "area"
    df.loc[1, "easting"] = np.nan
    lab = hotspots.cluster_labels(df)
    assert lab.isna().tolist()[:2] == [True, True]
    assert lab.notna().sum() == len(df) - 2
    assert lab.index.equals(df.index)
    with pytest.raises(InputError, match="method"):
        hotspots.cluster_labels(df, method="kmeans")


def test_cluster_labels_from_lat_lon():
    from pyproj import Transformer

    df = _points(n_bg=200)
    lon, lat = Transformer.from_crs(3006, 4326, always_xy=True).transform(
        df["easting"].to_numpy(), df["northing"].to_numpy())
    ll = pd.DataFrame({"lat": lat, "lon": lon, "precision": "point"})
    a = hotspots.cluster_labels(df, snap_m=0).to_numpy(dtype=int)
    b = hotspots.cluster_labels(ll, snap_m=0).to_numpy(dtype=int)
    assert _agreement(a, b) >= 0.999


def test_clusters_polygons_and_attributes():
    df = _points()
    c = hotspots.clusters(df, eps_m=150, min_samples=15)
    assert c.crs.to_epsg() == 4326
    assert len(c) == 3
    assert c["cluster_id"].tolist() == [0, 1, 2]
    assert c["n"].is_monotonic_decreasing
    lab = hotspots.cluster_labels(df, eps_m=150, min_samples=15)
    assert c["n"].tolist() == lab.value_counts().drop(-1).sort_index().tolist()
    assert c.loc[0, "top1_category"] == "vald"
    assert c.loc[0, "top2_category"] in ("ovrigt", "skadegorelse")
    assert 0.6 < c.loc[0, "top1_share"] < 0.8
    assert (c["area_m2"] > 0).all()
    np.testing.assert_allclose(c["density_per_km2"], c["n"] / c["area_m2"] * 1e6)
    # polygons contain their members (in metres)
    m = c.to_crs("EPSG:3006")
    xy = df[["easting", "northing"]].to_numpy()
    member0 = xy[(lab == 0).to_numpy()]
    import shapely

    assert shapely.contains_xy(m.geometry.iloc[0], member0[:, 0], member0[:, 1]).all()
    assert c["peak_weekday"].between(0, 6).all() and c["peak_hour"].between(0, 23).all()
    assert (c["first_date"] <= c["last_date"]).all()
    assert c.attrs["n_noise"] == int((lab == -1).sum())


def test_clusters_peak_hour_of_week():
    rng = np.random.default_rng(9)
    n = 60
    t = pd.to_datetime(["2024-03-08 22:30"] * 40 + ["2024-03-05 10:00"] * 20).tz_localize(TZ)  # Fri 22
    df = pd.DataFrame({"easting": rng.normal(660000, 10, n), "northing": rng.normal(6580000, 10, n),
                       "precision": "point", "occurred_at": t, "category": "vald"})
    c = hotspots.clusters(df, eps_m=50, min_samples=5, hull="concave")
    assert c[["peak_weekday", "peak_weekday_sv", "peak_hour"]].iloc[0].tolist() == [4, "fredag", 22]
    assert str(c["first_date"].iloc[0]) == "2024-03-05" and str(c["last_date"].iloc[0]) == "2024-03-08"


def test_clusters_none_found_is_empty_frame():
    df = pd.DataFrame({"easting": [0.0, 1000.0], "northing": [0.0, 1000.0], "precision": "point"})
    c = hotspots.clusters(df)
    assert len(c) == 0 and "cluster_id" in c.columns and c.crs.to_epsg() == 4326


def test_hdbscan_finds_the_dense_clusters():
    df = _points(n_bg=300)
    lab = hotspots.cluster_labels(df, method="hdbscan", min_samples=30).to_numpy(dtype=int)
    assert np.unique(lab[lab >= 0]).size >= 3


# ---------------------------------------------------------------- change, PAI
def _cells(values: dict[int, int]) -> pd.DataFrame:
    return pd.DataFrame({"count": list(values.values())},
                        index=pd.Index(list(values), dtype="uint64", name="cell"))


def test_change_absolute_percent_and_exact_test():
    before = _cells({1: 1, 2: 40, 3: 10, 4: 0})
    after = _cells({1: 4, 2: 10, 3: 12, 5: 6})
    ch = hotspots.change(before, after)
    assert ch.index.tolist() == [1, 2, 3, 4, 5]
    assert ch["count_before"].tolist() == [1, 40, 10, 0, 0]
    assert ch["count_after"].tolist() == [4, 10, 12, 0, 6]
    assert ch["change"].tolist() == [3, -30, 2, 0, 6]
    assert ch.loc[1, "change_pct"] == 300.0 and np.isnan(ch.loc[5, "change_pct"])
    for cell in (1, 2, 3, 5):
        b, a = int(ch.loc[cell, "count_before"]), int(ch.loc[cell, "count_after"])
        assert ch.loc[cell, "p_value"] == pytest.approx(stats.binomtest(a, a + b, 0.5).pvalue)
    assert ch.loc[4, "p_value"] == 1.0
    assert ch["direction"].tolist() == ["no_change", "decrease", "no_change", "no_change", "increase"]
    assert ch.loc[1, "significant"] == False  # noqa: E712  (1 → 4 is not a big change)


def test_change_exposure_ratio():
    before = _cells({1: 10})
    after = _cells({1: 20})
    # the after period is twice as long: 10 → 20 is no change in rate
    ch = hotspots.change(before, after, exposure_ratio=2.0)
    assert ch.loc[1, "p_value"] > 0.5 and ch.loc[1, "direction"] == "no_change"
    with pytest.raises(InputError, match="exposure_ratio"):
        hotspots.change(before, after, exposure_ratio=0)


def test_pai_by_hand():
    centre = grid.points_to_cells([59.4], [17.1], 9)
    study = grid.disk_cells(centre, 2)  # 19 cells
    hot = centre
    inc = pd.DataFrame({"cell": pd.array(np.r_[np.repeat(centre, 8), study[:4]], dtype="uint64")})
    n_in_hot = 8 + int(np.isin(study[:4], centre).sum())
    out = hotspots.pai(hot, inc, study)
    areas = grid.cell_area_m2(study)
    a = float(grid.cell_area_m2(hot).sum())
    expected = (n_in_hot / 12) / (a / areas.sum())
    assert out["n"] == n_in_hot and out["N"] == 12
    assert out["pai"] == pytest.approx(expected)
    # every cell hot → PAI = 1; hot cells given as a cell table or hex strings work too
    assert hotspots.pai(pd.DataFrame(index=pd.Index(study, dtype="uint64")), inc, study)["pai"] == \
        pytest.approx(1.0)
    assert hotspots.pai(grid.cells_to_str(hot), inc, grid.cells_to_str(study))["pai"] == \
        pytest.approx(expected)


# ---------------------------------------------------------------- Exempelkommun
@pytest.fixture(scope="module")
def sample(sample_dir):
    import json

    import geopandas as gpd

    from lagesbild_geo.geocode import place_pending
    from lagesbild_geo.read import read_incidents

    polis = read_incidents(sample_dir / "incidents_polis.xlsx").placed
    kommun = place_pending(read_incidents(sample_dir / "incidents_kommun.csv"),
                           sample_dir / "gazetteer.csv").placed
    inc = pd.concat([polis, kommun], ignore_index=True)
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))
    boundary = gpd.read_file(sample_dir / "kommun.geojson")
    return inc, truth, boundary


def test_sample_planted_hotspots_and_quiet_background(sample):
    from shapely.geometry import shape

    inc, truth, boundary = sample
    cells = grid.count_cells(inc, fill=boundary, by="category")
    assert cells["count"].sum() + sum(cells.attrs["not_on_grid"].values()) == len(inc)
    assert cells.attrs["not_on_grid"].get("place", 0) > 0  # place rows are kept off the grid
    hs = hotspots.gistar(cells)
    np.testing.assert_allclose(hs["gi_z"].to_numpy(), _esda_zs(cells).Zs, atol=1e-6)
    for h in truth["hotspots"]:
        c = grid.points_to_cells([h["lat"]], [h["lon"]], 9)[0]
        if h["kind"] == "persistent":
            assert hs.loc[c, "gi_bin"] >= 2, h["name"]
            # and in each year on its own
            for year in h["years"]:
                one = hotspots.gistar(grid.count_cells(
                    inc[inc["occurred_at"].dt.year == year], fill=boundary))
                assert one.loc[c, "gi_bin"] >= 2, (h["name"], year)
        if h["kind"] == "emerging":
            y24 = hotspots.gistar(grid.count_cells(inc[inc["occurred_at"].dt.year == 2024],
                                                   fill=boundary))
            y25 = hotspots.gistar(grid.count_cells(inc[inc["occurred_at"].dt.year == 2025],
                                                   fill=boundary))
            assert y24.loc[c, "gi_bin"] <= 0 and y25.loc[c, "gi_bin"] >= 2, h["name"]
    for area in truth["background_areas"]:
        bc = grid.geometry_to_cells(shape(area["polygon"]), 9)
        sub = hs.reindex(bc).dropna(subset=["gi_z"])
        assert len(sub) > 20
        assert (sub["gi_bin"] > 0).sum() <= np.ceil(0.05 * len(sub)), area["name"]


def test_sample_clusters_cover_the_planted_hotspots(sample):
    inc, truth, _ = sample
    c = hotspots.clusters(inc, eps_m=100, min_samples=30)
    assert len(c) >= 3
    import shapely

    for h in truth["hotspots"]:
        if h["kind"] in ("persistent", "emerging"):
            assert shapely.contains_xy(shapely.union_all(c.geometry.values), h["lon"], h["lat"]), \
                h["name"]


@pytest.mark.parametrize(("tile", "kd_max", "kd_neighbours"),
                         [(4096, 5_000, 30.0), (512, 0, 0.0), (300, 10**9, math.inf)])
def test_grid_dbscan_equals_sklearn_on_the_snapped_points(monkeypatch, tile, kd_max, kd_neighbours):
    """Every route of the grid DBSCAN (KD counts, prefix-sum counts, tiles) gives the
    same core points and clusters as sklearn DBSCAN with sample_weight on the
    same snapped points."""
    from sklearn.cluster import DBSCAN

    monkeypatch.setattr(hotspots, "_TILE", tile)
    monkeypatch.setattr(hotspots, "_KD_MAX", kd_max)
    monkeypatch.setattr(hotspots, "_KD_NEIGHBOURS", kd_neighbours)
    rng = np.random.default_rng(8)
    n = 6000
    centres = np.array([[2560.0, 1000.0], [1500.0, 2550.0], [4000.0, 3000.0], [600.0, 600.0]])
    k = rng.integers(0, 4, n // 2)
    x = np.r_[rng.uniform(0, 5000, n // 2), centres[k, 0] + rng.normal(0, 70, n // 2)]
    y = np.r_[rng.uniform(0, 4000, n // 2), centres[k, 1] + rng.normal(0, 70, n // 2)]
    x[:300] = x[300:600]  # duplicates
    y[:300] = y[300:600]
    snap, eps, ms = 5.0, 100.0, 12
    lab = hotspots._dbscan_snapped(x, y, eps_m=eps, min_samples=ms, snap_m=snap)
    ix, iy = np.floor(x / snap).astype(np.int64), np.floor(y / snap).astype(np.int64)
    _, first, inv, w = np.unique(ix * 10**6 + iy, return_index=True, return_inverse=True,
                                 return_counts=True)
    cells = np.column_stack([ix[first], iy[first]]).astype(float)
    ref = DBSCAN(eps=eps / snap + 1e-9, min_samples=ms).fit(cells, sample_weight=w).labels_[inv]
    assert ((ref == -1) == (lab == -1)).all()
    assert np.unique(ref[ref >= 0]).size == np.unique(lab[lab >= 0]).size >= 4
    assert _agreement(ref, lab) >= 0.999


# ---------------------------------------------------------------- describe_clusters
def _cluster_frame(ns: list[float], radii: list[float]):
    import geopandas as gpd
    import shapely

    polys = [shapely.Point(660000 + 5000 * i, 6580000).buffer(r, quad_segs=64) for i, r in enumerate(radii)]
    g = gpd.GeoDataFrame({"cluster_id": range(len(ns)), "n": pd.array(ns, dtype="Int64"),
                          "top1_category": ["stold"] * len(ns), "top1_share": [0.5] * len(ns),
                          "top2_category": ["ran"] * len(ns), "top2_share": [0.25] * len(ns),
                          "peak_weekday": pd.array([2] * len(ns), dtype="Int64"),
                          "peak_hour": pd.array([20] * len(ns), dtype="Int64")},
                         geometry=polys, crs="EPSG:3006").to_crs(4326)
    g.index = pd.Index([10 + i for i in range(len(ns))])
    return g


def test_describe_clusters_size_in_words_never_a_number() -> None:
    d = hotspots.describe_clusters(_cluster_frame([12, 300], [150, 1000]), 1000)
    assert d.index.tolist() == [10, 11]
    assert d["label_sv"].tolist() == ["12 händelser inom ca 300 m", "300 händelser inom ca 2,0 km"]
    assert d["extent_m"].round().tolist() == [300.0, 2000.0]
    assert d["share"].tolist() == [0.012, 0.3] and d["spread"].tolist() == [False, False]
    assert d.loc[10, "description_sv"] == (
        "Koncentration av 12 händelser (1\u00a0% av alla) inom ca 300 m. Mest stöld och snatteri "
        "(50\u00a0%), rån (25\u00a0%). Oftast onsdagar kl. 20–21.")
    assert not d["label_sv"].str.contains("Kluster").any()


def test_describe_clusters_spread_threshold() -> None:
    """More than 40 % of all incidents: "spridd förekomst"; exactly 40 % is still a hotspot."""
    g = _cluster_frame([41, 40, 19], [500, 400, 100])
    d = hotspots.describe_clusters(g, 100)
    assert d["spread"].tolist() == [True, False, False]
    assert d.loc[10, "label_sv"] == "Spridd förekomst: 41 händelser (41\u00a0% av alla) över ca 1,0 km"
    assert "mer än 40\u00a0% av alla händelser" in d.loc[10, "description_sv"]
    assert "spridd förekomst" in d.loc[10, "description_sv"]
    assert d.loc[11, "label_sv"] == "40 händelser inom ca 800 m"
    # another threshold, stated in the text
    d2 = hotspots.describe_clusters(g, 100, spread_share=0.3)
    assert d2["spread"].tolist() == [True, True, False]
    assert "mer än 30\u00a0%" in d2.loc[11, "description_sv"]
    assert d2.attrs == {"spread_share": 0.3, "incidents_total": 100}


def test_describe_clusters_hidden_counts_and_total_from_attrs() -> None:
    g = _cluster_frame([50, None], [200, 100])
    g.attrs["n_points"] = 200
    d = hotspots.describe_clusters(g, None)
    assert d["share"].iloc[0] == 0.25 and np.isnan(d["share"].iloc[1])
    assert d["label_sv"].tolist() == ["50 händelser inom ca 400 m",
                                      "Koncentration inom ca 200 m (antalet visas inte)"]
    assert not d["spread"].iloc[1]
    # no total known: no share, never "spridd"
    g.attrs.clear()
    d = hotspots.describe_clusters(g, None)
    assert d["share"].isna().all() and not d["spread"].any()
    assert d["label_sv"].iloc[0] == "50 händelser inom ca 400 m"


def test_describe_clusters_empty_and_bad_share() -> None:
    empty = hotspots.clusters(pd.DataFrame({"easting": [0.0], "northing": [0.0], "precision": "point"}),
                              eps_m=10, min_samples=3)
    d = hotspots.describe_clusters(empty, 0)
    assert len(d) == 0 and "label_sv" in d.columns
    with pytest.raises(InputError, match="spread_share"):
        hotspots.describe_clusters(empty, 10, spread_share=40)
