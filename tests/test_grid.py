"""lagesbild_geo.grid: indexing, counting, periods, fill, roll-up, neighbours, polygons."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from lagesbild_geo import grid
from lagesbild_geo.errors import InputError, SchemaError

TZ = "Europe/Stockholm"


def _inc(lat, lon, *, precision="point", category="vald", when="2024-03-05 22:15"):
    n = len(lat)
    return pd.DataFrame({
        "lat": np.asarray(lat, dtype="float64"),
        "lon": np.asarray(lon, dtype="float64"),
        "precision": pd.array(precision if isinstance(precision, list) else [precision] * n,
                              dtype="string"),
        "category": pd.array(category if isinstance(category, list) else [category] * n,
                             dtype="string"),
        "occurred_at": pd.to_datetime(when if isinstance(when, list) else [when] * n).tz_localize(TZ),
    })


# ---------------------------------------------------------------- indexing
def test_points_to_cells_equals_h3_and_handles_missing():
    lat = np.array([59.40, 59.35, np.nan, 59.44])
    lon = np.array([17.10, 17.00, 17.2, np.nan])
    out = grid.points_to_cells(lat, lon, 9)
    assert out.dtype == np.uint64
    assert out[0] == h3.api.basic_int.latlng_to_cell(59.40, 17.10, 9)
    assert out[1] == h3.api.basic_int.latlng_to_cell(59.35, 17.00, 9)
    assert out[2:].tolist() == [0, 0]


def test_points_to_cells_vectorised_path_leaves_missing_and_infinite_points_out():
    # 1 000 points or more take h3ronpy's path (when installed): NaN and ±inf give 0 there too
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(55.3, 69.0, 1200), rng.uniform(11.0, 24.1, 1200)
    lat[[5, 17]], lon[[9, 17]] = [np.nan, np.inf], [-np.inf, np.nan]
    out = grid.points_to_cells(lat, lon, 9)
    bad = [5, 9, 17]
    assert out[bad].tolist() == [0, 0, 0]
    good = np.setdiff1d(np.arange(1200), bad)
    assert out[good].tolist() == [h3.api.basic_int.latlng_to_cell(a, b, 9) for a, b in zip(lat[good], lon[good], strict=True)]


def test_points_to_cells_rejects_bad_input():
    with pytest.raises(InputError, match="differ in length"):
        grid.points_to_cells([59.4, 59.5], [17.1], 9)
    with pytest.raises(InputError, match=r"0\.\.15"):
        grid.points_to_cells([59.4], [17.1], 16)
    assert grid.points_to_cells([], [], 9).size == 0


def test_string_round_trip_and_resolution():
    c = grid.points_to_cells([59.4, 59.3], [17.1, 17.2], 8)
    s = grid.cells_to_str(c)
    assert s == [h3.latlng_to_cell(59.4, 17.1, 8), h3.latlng_to_cell(59.3, 17.2, 8)]
    assert grid.str_to_cells(s).tolist() == c.tolist()
    assert grid.cells_resolution(np.r_[c, np.uint64(0)]).tolist() == [8, 8, -1]


def test_polygons_are_lng_lat_and_contain_centre():
    c = grid.points_to_cells([59.4], [17.1], 9)
    g = grid.cells_to_polygons(c)
    poly = g.iloc[0]
    minx, miny, _, _ = poly.bounds
    assert 17.0 < minx < 17.2 and 59.3 < miny < 59.5  # lng first
    lat, lon = grid.cells_to_latlng(c)
    assert poly.contains(Point(lon[0], lat[0]))
    assert len(poly.exterior.coords) == 7
    # area of the polygon (projected) ~ h3 cell area
    area = g.to_crs("EPSG:3006").area.iloc[0]
    assert area == pytest.approx(grid.cell_area_m2(c)[0], rel=0.01)


def test_neighbour_matrix_on_a_disk():
    centre = grid.points_to_cells([59.4], [17.1], 9)
    disk = grid.disk_cells(centre, 1)
    w = grid.neighbour_matrix(disk)
    assert w.shape == (7, 7)
    assert int(w.sum()) == 31  # centre 7, each ring cell: self, centre, two ring neighbours
    assert (w != w.T).nnz == 0
    assert w.diagonal().tolist() == [1.0] * 7
    w0 = grid.neighbour_matrix(disk, include_self=False)
    assert int(w0.sum()) == 24
    i = int(np.flatnonzero(disk == centre[0])[0])
    assert w0[i].sum() == 6
    with pytest.raises(InputError, match="unique"):
        grid.neighbour_matrix(np.r_[disk, disk[:1]])


def test_disk_cells_rings_two_is_19():
    centre = grid.points_to_cells([59.4], [17.1], 9)
    assert grid.disk_cells(centre, 2).size == 19
    assert grid.disk_cells(np.zeros(3, dtype=np.uint64), 1).size == 0


# ---------------------------------------------------------------- counting
def test_count_cells_exact_counts_categories_and_not_on_grid():
    df = _inc([59.40, 59.40, 59.40, 59.43, 59.43, 59.41, 59.41, np.nan],
              [17.10, 17.10, 17.10, 17.20, 17.20, 17.15, 17.15, 17.1],
              precision=["point", "address", "point", "point", "place", "area", "area", "point"],
              category=["vald", "stold", "vald", "stold", "vald", "vald", "stold", "vald"])
    before = df.copy()
    cells = grid.count_cells(df, by="category")
    pd.testing.assert_frame_equal(df, before)  # input untouched
    c1 = grid.points_to_cells([59.40], [17.10], 9)[0]
    c2 = grid.points_to_cells([59.43], [17.20], 9)[0]
    assert cells.index.name == "cell" and cells.index.dtype == np.uint64
    assert cells.index.tolist() == sorted([int(c1), int(c2)])
    assert cells.loc[c1, ["count", "count_stold", "count_vald"]].tolist() == [3, 1, 2]
    assert cells.loc[c2, ["count", "count_stold", "count_vald"]].tolist() == [1, 1, 0]
    assert cells.attrs["not_on_grid"] == {"area": 2, "place": 1}
    assert cells.attrs["not_indexed"] == 1
    assert cells.crs.to_epsg() == 4326
    assert cells.geometry.iloc[0].geom_type == "Polygon"


def test_count_cells_precisions_option():
    df = _inc([59.40, 59.41], [17.10, 17.15], precision=["point", "place"])
    cells = grid.count_cells(df, precisions=("point", "address", "place"))
    assert cells["count"].sum() == 2
    assert cells.attrs["not_on_grid"] == {}


def test_count_cells_uses_cell_column_only_at_the_requested_resolution():
    df = _inc([59.40, 59.43], [17.10, 17.20])
    other = grid.points_to_cells([59.30, 59.30], [16.95, 16.95], 9)
    df["cell"] = pd.array(other, dtype="uint64")
    assert grid.count_cells(df, resolution=9).index.tolist() == [int(other[0])]
    # the same column at res 9 is ignored for res 8: recomputed from lat/lon
    res8 = grid.count_cells(df, resolution=8)
    assert sorted(res8.index.tolist()) == sorted(
        set(grid.points_to_cells([59.40, 59.43], [17.10, 17.20], 8).tolist()))


def test_count_cells_by_month_and_quarter():
    df = _inc([59.4] * 4, [17.1] * 4, when=["2024-01-31 23:59", "2024-02-01 00:10",
                                            "2024-04-02 12:00", "2024-04-03 12:00"])
    m = grid.count_cells(df, period="month")
    assert m.index.names == ["cell", "period"]
    assert m["count"].tolist() == [1, 1, 2]
    assert m.index.get_level_values("period").tolist() == ["2024-01", "2024-02", "2024-04"]
    assert m.attrs["periods"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    q = grid.count_cells(df, period="quarter")
    assert dict(zip(q.index.get_level_values("period"), q["count"], strict=True)) == {
        "2024Q1": 2, "2024Q2": 2}
    y = grid.count_cells(df, period="year")
    assert y["count"].tolist() == [4]


def test_count_cells_local_time_decides_the_month():
    # 2024-01-31 23:30 UTC is 2024-02-01 00:30 in Stockholm
    df = _inc([59.4], [17.1])
    df["occurred_at"] = pd.to_datetime(["2024-01-31 23:30"]).tz_localize("UTC").tz_convert(TZ)
    assert grid.count_cells(df, period="month").index.get_level_values("period").tolist() == ["2024-02"]


def test_count_cells_custom_bins_and_outside():
    df = _inc([59.4] * 4, [17.1] * 4,
              when=["2023-12-31 10:00", "2024-01-01 00:00", "2024-06-30 23:00", "2024-07-01 00:00"])
    df.loc[3, "occurred_at"] = pd.NaT
    c = grid.count_cells(df, period=["2024-01-01", "2024-07-01", "2025-01-01"])
    assert c.index.get_level_values("period").tolist() == ["2024-01-01/2024-07-01"]
    assert c["count"].tolist() == [2]
    assert c.attrs["outside_periods"] == 2
    with pytest.raises(InputError, match="increasing"):
        grid.count_cells(df, period=["2024-07-01", "2024-01-01"])
    with pytest.raises(InputError, match="period must be"):
        grid.count_cells(df, period="fortnight")


def test_fill_true_adds_zero_cells_within_rings():
    df = _inc([59.4, 59.4], [17.1, 17.1])
    c = grid.count_cells(df, fill=True, rings=1)
    assert len(c) == 7 and c["count"].sum() == 2 and (c["count"] == 0).sum() == 6
    c2 = grid.count_cells(df, fill=True, rings=2)
    assert len(c2) == 19


def test_fill_with_period_gives_full_cube():
    df = _inc([59.4, 59.45], [17.1, 17.25], when=["2024-01-10", "2024-06-10"])
    cube = grid.count_cells(df, period="quarter", fill=True, rings=1)
    assert len(cube) == 14 * 2  # two disjoint disks × Q1, Q2
    assert cube["count"].sum() == 2
    assert cube.index.is_unique


def test_fill_with_study_area_polygon_and_geodataframe():
    import geopandas as gpd

    area = box(17.08, 59.39, 17.12, 59.41)
    df = _inc([59.40, 59.60], [17.10, 17.50])  # second point outside the area
    c = grid.count_cells(df, fill=area)
    inside = grid.geometry_to_cells(area, 9)
    assert set(inside.tolist()) <= set(c.index.tolist())
    assert c["count"].sum() == 2  # the point outside is kept, never dropped
    lat, lon = grid.cells_to_latlng(inside)
    assert shapely.contains_xy(area, lon, lat).all()
    g = gpd.GeoDataFrame(geometry=[area], crs="EPSG:4326").to_crs("EPSG:3006")
    assert grid.geometry_to_cells(g, 9).tolist() == inside.tolist()
    with pytest.raises(InputError, match="polygon"):
        grid.count_cells(df, fill=Point(17.1, 59.4))


def test_count_cells_errors_and_empty():
    with pytest.raises(SchemaError, match="lat and lon"):
        grid.count_cells(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(SchemaError, match="no such column"):
        grid.count_cells(_inc([59.4], [17.1]), by="kategori")
    empty = grid.count_cells(_inc([], []), by="category")
    assert len(empty) == 0 and "count" in empty.columns


def test_roll_up_preserves_totals():
    rng = np.random.default_rng(3)
    n = 500
    df = _inc(rng.uniform(59.35, 59.45, n), rng.uniform(17.0, 17.2, n),
              category=list(rng.choice(["vald", "stold", "brand"], n)),
              when=list(pd.date_range("2024-01-01", periods=n, freq="17h").astype(str)))
    c9 = grid.count_cells(df, by="category")
    for res in (8, 7):
        up = grid.roll_up(c9, res)
        assert up["count"].sum() == n
        assert (up[["count_brand", "count_stold", "count_vald"]].sum(axis=1) == up["count"]).all()
        # H3 cells are not exactly nested: the roll-up follows the res-9 cell's parent
        parents = grid.cells_to_parent(grid.points_to_cells(df["lat"], df["lon"], 9), res)
        expected = pd.Series(parents).value_counts().sort_index()
        assert up["count"].tolist() == expected.tolist()
        assert up.index.tolist() == expected.index.tolist()
    cube = grid.count_cells(df, period="quarter")
    upq = grid.roll_up(cube, 7)
    assert upq["count"].sum() == n and upq.index.names == ["cell", "period"]
    with pytest.raises(InputError, match="finer"):
        grid.roll_up(grid.roll_up(c9, 7), 8)


def test_period_labels():
    df = _inc([59.4, 59.4], [17.1, 17.1], when=["2024-12-31 23:00", "2025-01-01 00:30"])
    assert grid.period_labels(df, "year").tolist() == ["2024", "2025"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(59.0, 59.6), st.floats(16.8, 17.5),
                          st.sampled_from(["point", "address", "place", "area"])),
                min_size=0, max_size=60))
def test_counts_plus_not_on_grid_equal_rows(rows):
    df = pd.DataFrame(rows, columns=["lat", "lon", "precision"])
    c = grid.count_cells(df, resolution=8)
    assert c["count"].sum() + sum(c.attrs["not_on_grid"].values()) == len(df)
    assert (c["count"] > 0).all()


# ---------------------------------------------------------------- fast paths give h3-py's exact answers
def _pure(monkeypatch):
    monkeypatch.setattr(grid, "_fast", lambda: None)


def _pentagon_disk(res: int = 9) -> np.ndarray:
    pent = h3.api.basic_int.get_pentagons(res)[0]
    return np.asarray(sorted(h3.api.basic_int.grid_disk(pent, 3)), dtype=np.uint64)


@pytest.mark.parametrize("pieces", [False, True])
def test_points_to_cells_fast_and_pure_paths_agree(monkeypatch, pieces):
    if pieces:  # the fast path's threads and the loop's pieces, on a small input
        monkeypatch.setattr(grid, "_PARALLEL_MIN", 1000)
        monkeypatch.setattr(grid, "_RADIANS_PIECE", 777)
        monkeypatch.setattr(grid, "_LOOP_PIECE", 333)
    rng = np.random.default_rng(7)
    lat = np.concatenate([rng.uniform(55.0, 69.0, 5000), [90.0, -90.0, 0.0, np.nan, 59.4, 95.0]])
    lon = np.concatenate([rng.uniform(10.0, 24.0, 5000), [0.0, 180.0, -180.0, 17.0, np.nan, 17.0]])
    fast = grid.points_to_cells(lat, lon, 9)
    assert grid.points_to_cells(lat[:5000], lon[:5000], 9).tolist() == fast[:5000].tolist()
    _pure(monkeypatch)
    pure = grid.points_to_cells(lat, lon, 9)
    assert pure.tolist() == fast.tolist()
    ref = [h3.api.basic_int.latlng_to_cell(a, b, 9) if np.isfinite(a) and np.isfinite(b) else 0
           for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    assert pure.tolist() == ref
    assert pure[-3] == 0 and pure[-2] == 0


def test_points_to_cells_threaded_chunks_keep_order(monkeypatch):
    monkeypatch.setattr(grid, "_PARALLEL_MIN", 10)  # split even small inputs over threads
    rng = np.random.default_rng(11)
    lat, lon = rng.uniform(55.0, 69.0, 997), rng.uniform(10.0, 24.0, 997)
    threaded = grid.points_to_cells(lat, lon, 9)
    ref = [h3.api.basic_int.latlng_to_cell(a, b, 9) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    assert threaded.tolist() == ref


@pytest.mark.parametrize("rings", [1, 2])
def test_neighbour_matrix_fast_pure_and_remembered_disks_agree(monkeypatch, rings):
    obs = grid.points_to_cells(np.linspace(59.30, 59.36, 40), np.linspace(17.00, 17.09, 40), 9)
    cells = np.concatenate([grid.disk_cells(obs, rings), _pentagon_disk()])
    grid._neighbour_matrix.cache_clear()
    fast = grid.neighbour_matrix(cells, rings=rings)
    _pure(monkeypatch)
    grid._neighbour_matrix.cache_clear()
    with grid._DISK_MEMO_LOCK:
        grid._DISK_MEMO.clear()
    pure = grid.neighbour_matrix(cells, rings=rings)
    # remembered disks of a subset (as count_cells' fill leaves them) give the same matrix
    grid.disk_cells(obs, rings)
    grid._neighbour_matrix.cache_clear()
    reused = grid.neighbour_matrix(cells, rings=rings)
    # reference straight from h3-py
    pos = {int(c): i for i, c in enumerate(cells.tolist())}
    ref = np.zeros((cells.size, cells.size))
    for i, c in enumerate(cells.tolist()):
        for d in h3.api.basic_int.grid_disk(c, rings):
            if d in pos:
                ref[i, pos[d]] = 1.0
    for w in (fast, pure, reused):
        assert (w.toarray() == ref).all()
        assert w.has_sorted_indices


def test_polygons_equal_shapely_polygons_of_h3_boundaries():
    cells = np.concatenate([grid.disk_cells(grid.points_to_cells([59.4], [17.1], 9), 2), _pentagon_disk()])
    got = grid.cells_to_polygons(cells[::-1])  # unsorted input, a pentagon among hexagons
    ref = [shapely.Polygon([(lng, lat) for lat, lng in h3.api.basic_int.cell_to_boundary(int(c))])
           for c in cells[::-1]]
    assert shapely.to_wkb(np.asarray(got.values)).tolist() == shapely.to_wkb(np.asarray(ref)).tolist()
    # sorted unique cells (as count_cells passes them) take the no-gather path
    order = np.argsort(cells[::-1])
    sorted_got = grid.cells_to_polygons(cells[::-1][order])
    assert shapely.to_wkb(np.asarray(sorted_got.values)).tolist() == \
        shapely.to_wkb(np.asarray(ref)[order]).tolist()
    assert len({len(shapely.get_coordinates(g)) for g in ref}) > 1  # the pentagon differs


def test_cells_to_latlng_equals_h3():
    cells = grid.disk_cells(grid.points_to_cells([59.4], [17.1], 9), 1)
    lat, lon = grid.cells_to_latlng(cells)
    assert list(zip(lat.tolist(), lon.tolist(), strict=True)) == [h3.api.basic_int.cell_to_latlng(int(c))
                                                                  for c in cells]

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def test_grid_fill_over_a_whole_country_is_refused() -> None:
    with pytest.raises(InputError, match=r"is it a layer of every kommun or the whole country"):
        grid.geometry_to_cells(shapely.box(11.0, 55.3, 24.2, 69.1), 9)
    assert grid.geometry_to_cells(shapely.box(17.0, 59.3, 17.01, 59.31), 9).size > 0


def test_approx_centres_within_tolerance_of_h3py() -> None:
    """h3ronpy's centres (used where the tolerance cannot change an answer) lie well within
    CENTRE_TOLERANCE of h3-py's at every resolution, all over the globe (NaN beyond 80°);
    None for values that are not cells."""
    if grid._fast() is None:  # pragma: no cover - h3ronpy is a dependency
        pytest.skip("h3ronpy not installed")
    rng = np.random.default_rng(3)
    lat = np.concatenate([rng.uniform(-89.99, 89.99, 20_000), rng.uniform(89.0, 90.0, 2000),
                          rng.uniform(-90.0, -89.0, 2000), rng.uniform(-60, 60, 2000)])
    lon = np.concatenate([rng.uniform(-180, 180, 24_000), rng.choice([-1, 1], 2000) * rng.uniform(179.9, 180, 2000)])
    for res in (0, 3, 5, 9, 12, 15):
        cells = grid.points_to_cells(lat, lon, res)
        approx = grid.approx_cells_to_latlng(cells)
        assert approx is not None
        exact = grid.cells_to_latlng(cells)
        given = np.abs(exact[0]) <= 79.9
        assert (np.isfinite(approx[0]) == np.isfinite(approx[1])).all()
        assert np.isfinite(approx[0][given]).all() and np.isnan(approx[0][np.abs(exact[0]) > 80.1]).all()
        ok = np.isfinite(approx[0])
        for a, e in zip(approx, exact, strict=True):
            assert float(np.abs(a[ok] - e[ok]).max()) <= grid.CENTRE_TOLERANCE / 100
    assert grid.approx_cells_to_latlng(np.array([5, 7], dtype=np.uint64)) is None
    assert grid.approx_cells_to_latlng(np.zeros(0, dtype=np.uint64)) is None
