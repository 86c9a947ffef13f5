"""Tests for lagesbild_geo.districts: reading, exact assignment, cells → districts, the summary."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from scipy.stats import binom, binomtest
from shapely.geometry import Point, box

from lagesbild_geo import grid
from lagesbild_geo.districts import (
    KOMMUN_CODE,
    OUTSIDE_CODE,
    STADSDEL_CODE,
    TOTAL_CODE,
    _locate,
    _locate_cells,
    _Locator,
    assign_districts,
    cells_to_districts,
    districts_in_kommun,
    parse_period,
    read_districts,
    summarize,
)
from lagesbild_geo.errors import CRSError, InputError, SchemaError
from lagesbild_geo.schema import CATEGORIES

TZ = "Europe/Stockholm"
# SWEREF 99 TM origin of the messy test layer (near Exempelstad).
E0, N0 = 660_000.0, 6_580_000.0


def _messy_layer_3006() -> gpd.GeoDataFrame:
    """Four districts in EPSG:3006: a square with a hole, the hole's island (own district),
    a multipolygon with an island across water, and an invalid bow-tie."""
    sq = shapely.Polygon(
        [(E0, N0), (E0 + 2000, N0), (E0 + 2000, N0 + 2000), (E0, N0 + 2000)],
        holes=[[(E0 + 500, N0 + 500), (E0 + 1500, N0 + 500), (E0 + 1500, N0 + 1500), (E0 + 500, N0 + 1500)]],
    )
    island_in_hole = shapely.box(E0 + 700, N0 + 700, E0 + 1300, N0 + 1300)
    multi = shapely.MultiPolygon([
        shapely.box(E0 + 2000, N0, E0 + 4000, N0 + 2000),
        shapely.box(E0 + 4500, N0 + 500, E0 + 5000, N0 + 1000),  # island across water
    ])
    # Bow-tie: self-intersecting ring (invalid); make_valid gives two triangles.
    bowtie = shapely.Polygon([(E0, N0 + 2000), (E0 + 2000, N0 + 4000), (E0 + 2000, N0 + 2000),
                              (E0, N0 + 4000)])
    assert not bowtie.is_valid
    return gpd.GeoDataFrame(
        {"deso": ["0180C1010", "0180C1020", "0180C1030", "0180A0040"],
         "namn": ["Ringen", "Ön", "Hamnen", "Flugan"],
         "befolkning": [1200, 800, 2500, 700]},
        geometry=[sq, island_in_hole, multi, bowtie], crs=3006,
    )


@pytest.fixture
def messy_file(tmp_path: Path) -> Path:
    path = tmp_path / "deso_3006.gpkg"
    _messy_layer_3006().to_file(path, layer="deso", driver="GPKG")
    return path


def _to_wgs(e: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = Transformer.from_crs(3006, 4326, always_xy=True).transform(e, n)
    return np.asarray(lat), np.asarray(lon)


def _sjoin_codes(lat: np.ndarray, lon: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    """Reference: geopandas.sjoin, first district in layer order on ties, 'NA' outside."""
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    d = districts.reset_index()[["district_code", "geometry"]]
    d["order"] = np.arange(len(d))
    j = gpd.sjoin(pts, d, how="left", predicate="intersects").sort_values(["order"])
    j = j[~j.index.duplicated(keep="first")].sort_index()
    return j["district_code"].astype(object).fillna("NA").to_numpy()


# ---------------------------------------------------------------------------- reading


def test_read_messy_layer_3006(messy_file: Path) -> None:
    with pytest.warns(UserWarning, match="invalid geometr"):
        d = read_districts(messy_file, layer="deso")
    assert d.crs.to_epsg() == 4326
    assert d.index.name == "district_code"
    assert list(d.index) == ["0180C1010", "0180C1020", "0180C1030", "0180A0040"]
    assert list(d["district_name"]) == ["Ringen", "Ön", "Hamnen", "Flugan"]
    assert d["population"].tolist() == [1200.0, 800.0, 2500.0, 700.0]
    r = d.attrs["report"]
    assert r["code_kind"] == "deso" and r["code_column"] == "deso"
    assert r["invalid_repaired"] == ["0180A0040"]
    assert r["crs_detected"] == "EPSG:3006" and r["crs_guessed"] is False
    assert shapely.is_valid(d.geometry.array).all()
    # (GeoPackage promotes to MultiPolygon.) The ring keeps its hole; Hamnen has two parts.
    assert shapely.get_num_interior_rings(shapely.get_parts(d.geometry.iloc[0])).sum() == 1
    assert len(shapely.get_parts(d.geometry.iloc[2])) == 2
    # Bow-tie repaired into its two triangles: 2 × (2000 × 1000 / 2) m².
    assert d.to_crs(3006).geometry.iloc[3].area == pytest.approx(2_000_000, rel=1e-6)
    # Areas in metres: ring 4e6 - 1e6, island 0.36e6, multi 4e6 + 0.25e6, bow-tie 2e6.
    assert r["total_area_m2"] == pytest.approx(3e6 + 0.36e6 + 4.25e6 + 2e6, rel=1e-9)
    # No overlaps; the gaps are the hole's uncovered ring (1e6 - 0.36e6) and the bow-tie's
    # two missing triangles closing the square above the ring (enclosed? no: open to the top).
    assert r["overlaps"]["pairs"] == 0
    assert r["gaps"]["area_m2"] == pytest.approx(1e6 - 0.36e6, rel=1e-6)


def test_codes_keep_leading_zeros_and_kommun_padding(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame({"kommunkod": [114, 180], "kommunnamn": ["Upplands Väsby", "Stockholm"]},
                         geometry=[shapely.box(17.9, 59.5, 18.0, 59.6), shapely.box(18.0, 59.3, 18.1, 59.4)],
                         crs=4326)
    d = read_districts(g)
    assert list(d.index) == ["0114", "0180"]
    assert list(d["district_name"]) == ["Upplands Väsby", "Stockholm"]
    assert d.attrs["report"]["codes_padded"] == 2
    assert d["population"].isna().all()
    again = read_districts(d)  # reading a result again keeps it as it is
    assert list(again.index) == ["0114", "0180"] and again.attrs["report"]["code_column"] == "district_code"
    # The caller's frame is untouched.
    assert list(g.columns) == ["kommunkod", "kommunnamn", "geometry"]


def test_invalid_deso_code_is_refused_with_the_fix() -> None:
    g = gpd.GeoDataFrame({"deso": ["0180C1010", "0180X12"]},
                         geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    with pytest.raises(InputError, match=r"DESO codes.*0180X12.*code="):
        read_districts(g)


def test_short_deso_code_padded() -> None:
    g = gpd.GeoDataFrame({"DeSO": ["180C1010"]}, geometry=[shapely.box(18, 59, 18.1, 59.1)], crs=4326)
    d = read_districts(g)
    assert list(d.index) == ["0180C1010"]


def test_missing_code_column_lists_columns() -> None:
    g = gpd.GeoDataFrame({"farg": ["röd"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(SchemaError, match=r"farg.*code="):
        read_districts(g)


def test_kommun_own_areas_without_codes_use_unique_names() -> None:
    g = gpd.GeoDataFrame({"name": ["NORRMALM", "VÅRBERG"]},
                         geometry=[shapely.box(E0, N0, E0 + 100, N0 + 100),
                                   shapely.box(E0 + 100, N0, E0 + 200, N0 + 100)], crs=3006)
    d = read_districts(g)
    assert list(d.index) == ["NORRMALM", "VÅRBERG"] and list(d["district_name"]) == ["NORRMALM", "VÅRBERG"]
    assert d.attrs["report"]["code_kind"] == "name"
    assert "used as codes" in d.attrs["report"]["warnings"][0]
    dup = g.assign(name=["A", "A"])
    with pytest.raises(SchemaError, match="unique names"):
        read_districts(dup)


def test_own_code_column_ending_in_kod_and_latest_population_year() -> None:
    g = gpd.GeoDataFrame({"delomrade": ["Klagshamn", "Tygelsjö"], "do_kod": [24302, 24407],
                          "folkmangd_2014": [10, 20], "folkmangd_2016": [30, 40]},
                         geometry=[shapely.box(E0, N0, E0 + 100, N0 + 100),
                                   shapely.box(E0 + 100, N0, E0 + 200, N0 + 100)], crs=3006)
    d = read_districts(g)
    r = d.attrs["report"]
    assert (r["code_column"], r["name_column"], r["population_column"]) == ("do_kod", "delomrade", "folkmangd_2016")
    assert list(d.index) == ["24302", "24407"] and list(d["population"]) == [30.0, 40.0]


def test_border_slivers_reported_without_warning() -> None:
    g = gpd.GeoDataFrame({"kod": ["A", "B"]},
                         geometry=[shapely.box(E0, N0, E0 + 1000, N0 + 1000),
                                   shapely.box(E0 + 999.99, N0, E0 + 2000, N0 + 1000)], crs=3006)
    d = read_districts(g)  # warnings are errors in the test suite
    assert d.attrs["report"]["overlaps"]["pairs"] == 1
    assert 0 < d.attrs["report"]["overlaps"]["area_m2"] < 100


def test_no_crs_guessed_from_values_and_unknown_refused() -> None:
    g = gpd.GeoDataFrame({"kod": ["A"]}, geometry=[shapely.box(E0, N0, E0 + 100, N0 + 100)])
    d = read_districts(g)
    assert d.attrs["report"]["crs_detected"] == "EPSG:3006" and d.attrs["report"]["crs_guessed"]
    bad = gpd.GeoDataFrame({"kod": ["A"]}, geometry=[shapely.box(5e7, 5e7, 5e7 + 1, 5e7 + 1)])
    with pytest.raises(CRSError, match="SWEREF"):
        read_districts(bad)


def test_population_from_scb_style_table(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame({"deso": ["0180C1010", "0180C1020", "0180C1030"], "befolkning": [1, 2, 3]},
                         geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)], crs=4326)
    table = tmp_path / "folkmangd.csv"
    table.write_text('"region";"2022";"2023"\n"0180C1010 Stockholm";"1 500";"1 565"\n'
                     '"0180C1020 Stockholm";"2 000";"2 010"\n', encoding="utf-8")
    d = read_districts(g, population_table=table)
    assert d["population"].tolist()[:2] == [1565.0, 2010.0]
    assert np.isnan(d["population"].iloc[2])
    r = d.attrs["report"]
    assert r["population_source"] == "table" and r["population_missing"] == ["0180C1030"]
    assert r["population_table"]["value_column"] == "2023"


def test_duplicate_codes_dissolved_and_overlap_measured() -> None:
    g = gpd.GeoDataFrame(
        {"kod": ["A", "A", "B"]},
        geometry=[shapely.box(E0, N0, E0 + 100, N0 + 100), shapely.box(E0 + 100, N0, E0 + 200, N0 + 100),
                  shapely.box(E0 + 150, N0, E0 + 300, N0 + 100)],
        crs=3006,
    )
    with pytest.warns(UserWarning, match="overlap"):
        d = read_districts(g)
    r = d.attrs["report"]
    assert list(d.index) == ["A", "B"]
    assert r["duplicates_dissolved"] == ["A"]
    assert r["overlaps"]["pairs"] == 1
    assert r["overlaps"]["area_m2"] == pytest.approx(50 * 100, rel=1e-6)
    assert r["overlaps"]["largest"][0][:2] == ["A", "B"]


def test_gap_enclosed_by_districts_measured() -> None:
    boxes = [shapely.box(E0 + i * 100, N0 + j * 100, E0 + (i + 1) * 100, N0 + (j + 1) * 100)
             for j in range(3) for i in range(3) if (i, j) != (1, 1)]
    g = gpd.GeoDataFrame({"kod": [f"K{i}" for i in range(8)]}, geometry=boxes, crs=3006)
    r = read_districts(g).attrs["report"]
    assert r["gaps"] == {"count": 1, "area_m2": pytest.approx(10_000, rel=1e-6)}
    assert r["overlaps"]["pairs"] == 0


# ---------------------------------------------------------------------------- assignment


def test_assign_exact_on_messy_layer(messy_file: Path) -> None:
    with pytest.warns(UserWarning):
        d = read_districts(messy_file, layer="deso")
    rng = np.random.default_rng(7)
    e = rng.uniform(E0 - 300, E0 + 5300, 20_000)
    n = rng.uniform(N0 - 300, N0 + 4300, 20_000)
    lat, lon = _to_wgs(e, n)
    inc = pd.DataFrame({"lat": lat, "lon": lon})
    got = assign_districts(inc, d)
    codes = got["district_code"].astype(object).fillna("NA").to_numpy()
    assert (codes == _sjoin_codes(lat, lon, d)).all()
    # Known points: inside the hole but outside the island → outside; in the island → Ön;
    # on the island across water → Hamnen.
    lat2, lon2 = _to_wgs(np.array([E0 + 600, E0 + 1000, E0 + 4750, E0 + 4250]),
                         np.array([N0 + 600, N0 + 1000, N0 + 750, N0 + 750]))
    got2 = assign_districts(pd.DataFrame({"lat": lat2, "lon": lon2}), d)
    assert got2["district_code"].astype(object).fillna("NA").tolist() == ["NA", "0180C1020", "0180C1030", "NA"]
    assert got2.attrs["district_assignment"]["outside"] == 2
    assert list(inc.columns) == ["lat", "lon"]  # input untouched


def test_locator_remembered_per_layer_and_reuse_gives_fresh_answers(messy_file: Path) -> None:
    from lagesbild_geo import districts as dmod

    with pytest.warns(UserWarning):
        d = read_districts(messy_file, layer="deso")
    rng = np.random.default_rng(11)
    lat, lon = _to_wgs(rng.uniform(E0 - 300, E0 + 5300, 30_000), rng.uniform(N0 - 300, N0 + 4300, 30_000))
    dmod._LOCATORS.clear()
    first = assign_districts(pd.DataFrame({"lat": lat[:50], "lon": lon[:50]}), d)  # a coarse raster
    assert len(dmod._LOCATORS) == 1
    reused = assign_districts(pd.DataFrame({"lat": lat, "lon": lon}), d)
    assert len(dmod._LOCATORS) == 1  # same layer: the locator was reused
    dmod._LOCATORS.clear()
    fresh = assign_districts(pd.DataFrame({"lat": lat, "lon": lon}), d)
    assert reused["district_code"].equals(fresh["district_code"])
    assert first["district_code"].equals(fresh["district_code"].iloc[:50])
    assert (reused["district_code"].astype(object).fillna("NA").to_numpy() == _sjoin_codes(lat, lon, d)).all()


@pytest.mark.parametrize("target_cells", [64, 4096, 1 << 16])
def test_locator_exact_against_shapely_on_voronoi(target_cells: int) -> None:
    """Coarse and fine rasters, triple junctions (cells with ≥ 3 boundaries) included."""
    rng = np.random.default_rng(target_cells)
    box = shapely.box(17.0, 59.3, 17.3, 59.45)
    seeds = shapely.multipoints(rng.uniform([17.0, 59.3], [17.3, 59.45], (300, 2)))
    polys = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box)), box)
    x = rng.uniform(16.98, 17.32, 30_000)
    y = rng.uniform(59.29, 59.46, 30_000)
    loc = _Locator(polys, target_cells=target_cells)
    got = loc.locate(x, y)
    tree = shapely.STRtree(polys)
    hit = tree.query(shapely.points(x, y), predicate="intersects")
    want = np.full(x.size, -1)
    want[hit[0]] = hit[1]  # voronoi cells do not overlap: one hit per point off the borders
    assert (got == want).all()
    assert not loc.overlapping



@pytest.mark.parametrize("clockwise", [False, True])
@pytest.mark.parametrize("width", [1e-3, 1e-6])
def test_locator_halfplanes_exact_beside_slivers_and_holes(clockwise: bool, width: float) -> None:
    """Border cells one straight edge splits are answered by the side of that edge: the same
    district as shapely for points on, beside and far from edges, beside a sliver district
    narrower than a raster cell, in a hole filled by another district, with rings either way
    round, on coarse and fine rasters."""
    w = width
    polys = np.array([shapely.Polygon([(0, 0), (1, 0.3), (1, 1), (0, 1)]),
                      shapely.Polygon([(1, 0.3), (1 + w, 0.3 + w), (1 + w, 1), (1, 1)]),
                      shapely.Polygon([(1 + w, 0.3 + w), (2, 0.6), (2, 1), (1 + w, 1)]),
                      shapely.box(0.3, 0.3, 0.5, 0.6)])
    polys[0] = polys[0].difference(polys[3])
    if clockwise:
        polys = shapely.reverse(polys)
    rng = np.random.default_rng(3)
    edges = shapely.get_coordinates(shapely.boundary(polys))
    t = rng.random(len(edges) - 1)
    ex = edges[:-1, 0] + t * (edges[1:, 0] - edges[:-1, 0])
    ey = edges[:-1, 1] + t * (edges[1:, 1] - edges[:-1, 1])
    x = np.concatenate([rng.uniform(-0.1, 2.1, 30_000), 1 + rng.uniform(-3 * w, 4 * w, 10_000), ex, ex + 1e-12,
                        edges[:, 0], [0.5, 1.0, 1.5]])
    y = np.concatenate([rng.uniform(-0.1, 1.1, 40_000), ey, ey, edges[:, 1], [0.45, 0.65, 0.45 * 0.3 / 0.5 + 0.75]])
    want = np.full(x.size, -1)
    for i in range(len(polys) - 1, -1, -1):  # the first district that holds a point wins
        want[shapely.intersects_xy(polys[i], x, y)] = i
    for target_cells, coverage in ((64, None), (4096, True), (1 << 16, None)):
        loc = _Locator(polys, target_cells=target_cells, coverage=coverage)
        assert loc.halfplane is not None and (loc.halfplane >= 0).any()
        assert (loc.locate(x, y) == want).all()
        clear = loc.locate_clear(x + rng.uniform(-1e-9, 1e-9, x.size), y, 1e-9)
        assert (clear[clear != -3] == want[clear != -3]).all() and (clear != -3).mean() > 0.5


def test_locator_halfplane_only_where_the_edge_crosses_the_cell() -> None:
    """A raster cell is marked by edges that pass near it too. Beside a thin band district
    whose long edges its neighbours split at other vertices (where the line between them
    meets the band), cells near the band are marked by the band's edge alone: they are not
    split by that edge (it does not cross them), and a point there that is in none of the
    districts whose edges marked its cell is looked up in the STRtree (it lies in the band's
    neighbour; the locator said "outside" before)."""
    a, b = np.array([0.993257714933472, 0.6670636495314585]), np.array([0.5513178365555808, 0.7247830809226472])
    band = shapely.buffer(shapely.LineString([(0.7739113704044487, 0.36816811968446234),
                                              (0.3199520003087326, 0.9196627599748359)]),
                          0.00031186250049046075, cap_style="flat")
    square = shapely.box(-1, -1, 2, 2)
    halves = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(
        [square.boundary, shapely.LineString([a - 10 * (b - a), b + 10 * (b - a)])]))))
    assert len(halves) == 2
    polys = np.array([shapely.make_valid(h.difference(band)) for h in halves] + [band.intersection(square)])
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 2, 20_000), rng.uniform(-1, 2, 20_000)
    want = np.full(x.size, -1)
    for i in range(len(polys) - 1, -1, -1):
        want[shapely.intersects_xy(polys[i], x, y)] = i
    assert (_Locator(polys, target_cells=256).locate(x, y) == want).all()

def test_locator_same_answer_with_and_without_points_beyond_its_extent() -> None:
    """Every point inside the raster's extent (looked up without gathers) or some beyond it:
    the same district for every point, the first containing one as shapely says, for
    vertices, points on shared edges, in a hole, in both parts of a multipolygon."""
    rng = np.random.default_rng(5)
    ring = shapely.box(17.0, 59.0, 17.2, 59.1).difference(shapely.box(17.05, 59.02, 17.09, 59.06))
    parts = shapely.MultiPolygon([shapely.box(17.2, 59.0, 17.3, 59.05), shapely.box(17.2, 59.07, 17.3, 59.1)])
    polys = np.array([ring, parts, shapely.box(17.2, 59.05, 17.3, 59.07), shapely.box(17.06, 59.03, 17.08, 59.05)])
    corners = shapely.get_coordinates(polys)
    edges = np.array([[17.1, 59.0], [17.2, 59.06], [17.25, 59.05], [17.25, 59.07], [17.05, 59.04], [17.07, 59.03]])
    x = np.concatenate([rng.uniform(17.0, 17.3, 20_000), corners[:, 0], edges[:, 0],
                        17.05 + rng.random(500) * 0.04])
    y = np.concatenate([rng.uniform(59.0, 59.1, 20_000), corners[:, 1], edges[:, 1],
                        59.02 + rng.random(500) * 0.04])
    want = np.full(x.size, -1)
    for i in range(len(polys) - 1, -1, -1):  # the first district that holds a point wins
        want[shapely.intersects_xy(polys[i], x, y)] = i
    assert (want >= 0).sum() < x.size  # the hole around the small box is outside every district
    loc = _Locator(polys, target_cells=4096)
    inside = loc.locate(x, y)
    beyond = loc.locate(np.append(x, 25.0), np.append(y, 65.0))
    assert (inside == want).all()
    assert (beyond[:-1] == want).all() and beyond[-1] == -1


def _cell_layer() -> tuple[gpd.GeoDataFrame, np.ndarray, int]:
    """Voronoi districts and two boxes split along the meridian through a cell's exact
    (h3-py) centre, every res-9 cell around them (some centres outside every district),
    and the position of the cell whose centre lies on that border."""
    rng = np.random.default_rng(13)
    area = shapely.box(17.0, 59.3, 17.1, 59.35)
    seeds = shapely.multipoints(rng.uniform([17.0, 59.3], [17.1, 59.35], (40, 2)))
    polys = list(shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=area)), area))
    on_border = grid.points_to_cells([59.33], [17.15], 9)
    _, (cx,) = grid.cells_to_latlng(on_border)
    polys += [shapely.box(17.1, 59.3, cx, 59.4), shapely.box(cx, 59.3, 17.2, 59.4)]
    cells = grid.disk_cells(grid.points_to_cells(rng.uniform(59.29, 59.41, 4000),
                                                 rng.uniform(16.99, 17.21, 4000), 9), 1)
    cells = np.union1d(cells, on_border)
    d = gpd.GeoDataFrame({"district_name": [f"D{i}" for i in range(len(polys))]}, geometry=polys,
                         index=pd.Index([f"C{i:02d}" for i in range(len(polys))], name="district_code"), crs=4326)
    return d, cells, int(np.searchsorted(cells, on_border[0]))


def test_cell_centres_located_as_from_exact_centres(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vectorised centres decide only where their tolerance cannot matter: the same
    district for every cell as h3-py's exact centres give, with the usual tolerance, with a
    tolerance so wide that most cells take the exact path, and without h3ronpy."""
    d, cells, on_border = _cell_layer()
    lat, lon = grid.cells_to_latlng(cells)
    want = _locate(d, lon, lat)
    assert (want == -1).any() and set(want[want >= 0].tolist()) == set(range(len(d)))
    assert want[on_border] == len(d) - 2  # on the border: the first district
    assert (_locate_cells(d, cells) == want).all()
    monkeypatch.setattr(grid, "CENTRE_TOLERANCE", 2e-3)
    assert (_locate_cells(d, cells) == want).all()
    monkeypatch.setattr(grid, "approx_cells_to_latlng", lambda c: None)
    assert (_locate_cells(d, cells) == want).all()
    assert _locate_cells(d, np.zeros(0, dtype=np.uint64)).size == 0


def test_locator_clear_points_only_away_from_borders_and_edges() -> None:
    polys = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    loc = _Locator(polys, target_cells=4096)
    x = np.array([0.5, 1.0, 1.5, 5.0, np.nan, loc.x0 + loc.sx * 20])
    y = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    got = loc.locate_clear(x, y, 1e-9)
    # inside a district: its position; on the shared border, beyond the raster, NaN, on a
    # raster cell's edge: -3 (left to the exact path)
    assert got.tolist() == [0, -3, 1, -3, -3, -3]


def test_locator_overlapping_districts_take_the_first() -> None:
    polys = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), shapely.box(0.2, 0.2, 0.4, 0.4)])
    loc = _Locator(polys, target_cells=256)
    assert loc.overlapping
    got = loc.locate([1.5, 2.5, 0.3, 0.1, 5.0, np.nan], [1.5, 2.5, 0.3, 0.1, 5.0, 1.0])
    assert got.tolist() == [0, 1, 0, 0, -1, -1]


def test_points_on_a_shared_border_go_to_the_first_district() -> None:
    d = gpd.GeoDataFrame({"district_name": ["A", "B"]},
                         geometry=[shapely.box(17.0, 59.0, 17.1, 59.1), shapely.box(17.1, 59.0, 17.2, 59.1)],
                         index=pd.Index(["A", "B"], name="district_code"), crs=4326)
    got = assign_districts(pd.DataFrame({"lat": [59.05, 59.1], "lon": [17.1, 17.15]}), d)
    assert got["district_code"].tolist() == ["A", "B"]


def test_area_rows_by_district_or_kommun_name() -> None:
    d = gpd.GeoDataFrame({"district_name": ["Centrum", "Östra Ängen"]},
                         geometry=[shapely.box(17.0, 59.0, 17.1, 59.1), shapely.box(17.1, 59.0, 17.2, 59.1)],
                         index=pd.Index(["9999C1010", "9999C1020"], name="district_code"), crs=4326)
    inc = pd.DataFrame({
        "lat": [59.05, 59.05, 59.05, 59.05, np.nan, 59.05],
        "lon": [17.05, 17.05, 17.05, 17.05, np.nan, 17.15],
        "precision": ["area", "area", "area", "point", "point", "area"],
        "location_text": ["östra ängen", "Exempelkommun", "EXEMPELKOMMUNS KOMMUN", "Östra Ängen", None, "Okänt"],
    })
    got = assign_districts(inc, d, kommun_name="Exempelkommun")
    assert got["district_code"].astype(object).fillna("NA").tolist() == [
        "9999C1020", "NA", "NA", "9999C1010", "NA", "9999C1020"]
    assert got["district_method"].astype(str).tolist() == ["name", "kommun", "kommun", "point", "none", "area_point"]
    assert got.attrs["district_assignment"] == {"point": 1, "area_point": 1, "name": 1, "text": 0,
                                                "stadsdel": 0, "kommun": 2, "lan": 0, "outside": 0,
                                                "none": 1}


def _national_regso() -> gpd.GeoDataFrame:
    """A tiny synthetic extract of a national RegSO layer: Stockholm's Vårberg, Värmdö's
    Torsby, Lysekil's RegSO named like the kommun, Uppsala's centre (the län centre lies
    inside it)."""
    g = gpd.GeoDataFrame(
        {"regsokod": ["0180R101", "0180R102", "0120R005", "0120R006", "1484R001", "1484R002",
                      "0380R001"],
         "regsonamn": ["Vårberg", "Bagarmossen", "Torsby", "Gustavsberg", "Lysekil", "Brastad",
                       "Uppsala centrum"],
         "kommunkod": ["0180", "0180", "0120", "0120", "1484", "1484", "0380"]},
        geometry=[shapely.box(17.89, 59.27, 17.91, 59.28), shapely.box(18.12, 59.27, 18.14, 59.28),
                  shapely.box(18.50, 59.31, 18.52, 59.32), shapely.box(18.38, 59.32, 18.40, 59.33),
                  shapely.box(11.42, 58.27, 11.44, 58.28), shapely.box(11.48, 58.38, 11.50, 58.39),
                  shapely.box(17.60, 59.80, 17.70, 59.90)],
        crs=4326)
    return read_districts(g, check=False)


def _feed_rows(*rows: tuple[str, str, float, float]) -> pd.DataFrame:
    """Rows as the police feed reader leaves them: (precision, location.name, lat, lon)."""
    return pd.DataFrame({"precision": [r[0] for r in rows], "location_text": [r[1] for r in rows],
                         "lat": [r[2] for r in rows], "lon": [r[3] for r in rows],
                         "category": "vald",
                         "occurred_at": pd.Timestamp("2025-05-01 12:00", tz=TZ)})


def test_varberg_is_not_varberg_with_a_ring() -> None:
    """Å, ä and ö are letters: the kommun Varberg never lands in Stockholm's RegSO Vårberg,
    neither as a police kommun-level row nor as an area row named 'Varberg'."""
    d = districts_in_kommun(_national_regso(), "0180")
    assert d.index.tolist() == ["0180R101", "0180R102"]
    feed = _feed_rows(("kommun", "Varberg", 57.1, 12.25), ("kommun", "Stockholm", 59.33, 18.06))
    got = assign_districts(feed, d, kommun_name="Stockholm")
    assert got["district_code"].isna().all()
    assert got["district_method"].astype(str).tolist() == ["kommun", "kommun"]
    area = pd.DataFrame({"precision": ["area", "area"], "location_text": ["Varberg", "VÅRBERG"],
                         "lat": [np.nan, np.nan], "lon": [np.nan, np.nan]})
    with pytest.warns(UserWarning, match="did you mean Vårberg"):
        got = assign_districts(area, d, kommun_name="Stockholm")
    assert got["district_code"].astype(object).fillna("-").tolist() == ["-", "0180R101"]
    assert got.attrs["district_suggestions"] == {"Varberg": ["Vårberg"]}


def test_torsby_kommun_is_not_varmdos_torsby() -> None:
    """Torsby kommun (Värmland) and Värmdö's RegSO Torsby are the same word: a row of
    Torsby kommun is at kommun level and outside Värmdö's districts."""
    d = districts_in_kommun(_national_regso(), "0120")
    assert d.index.tolist() == ["0120R005", "0120R006"]
    # Torsby kommun's centre, and (to be sure) a Torsby row carrying a point in Värmdö's Torsby
    feed = _feed_rows(("kommun", "Torsby", 60.13, 13.0), ("kommun", "Torsby", 59.315, 18.51))
    got = assign_districts(feed, d, kommun_name="Värmdö")
    assert got["district_code"].isna().all()
    assert got["district_method"].astype(str).tolist() == ["kommun", "kommun"]
    # a generic area row naming Torsby in Värmdö's own file is Värmdö's district
    area = pd.DataFrame({"precision": ["area"], "location_text": ["Torsby"], "lat": [np.nan],
                         "lon": [np.nan]})
    assert assign_districts(area, d, kommun_name="Värmdö")["district_code"].tolist() == ["0120R005"]


def test_lysekil_rows_stay_at_kommun_level() -> None:
    """A row whose place is the kommun stays at kommun level even when a RegSO carries the
    kommun's name and holds the kommun's centre."""
    d = districts_in_kommun(_national_regso(), "1484")
    feed = _feed_rows(*[("kommun", "Lysekil", 58.275, 11.43)] * 12)
    got = assign_districts(feed, d, kommun_name="Lysekil")
    assert got["district_code"].isna().all()
    area = pd.DataFrame({"precision": ["area", "area", "area"],
                         "location_text": ["Lysekil", "Lysekils kommun", "Brastad"],
                         "lat": [58.275] * 3, "lon": [11.43] * 3})
    got2 = assign_districts(area, d, kommun_name="Lysekils kommun")
    assert got2["district_method"].astype(str).tolist() == ["kommun", "kommun", "name"]
    assert got2["district_code"].astype(object).fillna("-").tolist() == ["-", "-", "1484R002"]
    s = summarize(got, d, period="2025")
    assert int(s.loc["1484R001", "total"]) == 0
    assert int(s.loc[KOMMUN_CODE, "total"]) == 12 and int(s.loc[TOTAL_CODE, "total"]) == 12
    assert s["kommun_level"].tolist() == [12] * len(s)
    assert s.attrs["levels"]["kommun"] == 12 and s.attrs["levels"]["district"] == 0


def test_uppsala_lan_is_not_uppsala_kommun() -> None:
    """'Uppsala län' rows (whose centre lies inside Uppsala kommun's centrum) are at län
    level: never the kommun, never a district, not counted in the kommun's total."""
    d = districts_in_kommun(_national_regso(), "0380")
    feed = _feed_rows(("lan", "Uppsala län", 59.85, 17.65), ("kommun", "Uppsala", 59.85, 17.65))
    got = assign_districts(feed, d, kommun_name="Uppsala")
    assert got["district_method"].astype(str).tolist() == ["lan", "kommun"]
    area = pd.DataFrame({"precision": ["area"], "location_text": ["Uppsala län"], "lat": [59.85],
                         "lon": [17.65]})
    assert assign_districts(area, d, kommun_name="Uppsala")["district_method"].tolist() == ["lan"]
    s = summarize(got, d, period="2025")
    assert int(s.loc[TOTAL_CODE, "total"]) == 1 and int(s.loc[KOMMUN_CODE, "total"]) == 1
    assert s.attrs["levels"]["lan_not_counted"] == 1


def test_district_and_stadsdel_rows_from_text() -> None:
    """Rows placed by their text keep their level in the summary; a stadsdel-level row is
    listed beside every district its area overlaps."""
    d = districts_in_kommun(_national_regso(), "0180")
    feed = _feed_rows(("district", "Stockholm", 59.33, 18.06), ("stadsdel", "Stockholm", 59.33, 18.06),
                      ("kommun", "Stockholm", 59.33, 18.06))
    feed["place_district"] = ["0180R102", None, None]
    feed["place_districts"] = ["0180R102", "0180R101;0180R102", None]
    got = assign_districts(feed, d, kommun_name="Stockholm")
    assert got["district_method"].astype(str).tolist() == ["text", "stadsdel", "kommun"]
    s = summarize(got, d, period="2025")
    assert s["total"].tolist() == [0, 1, 1, 1, 0, 3]
    assert s["stadsdel_level"].tolist() == [1, 1, 1, 1, 1, 1]
    assert s["kommun_level"].tolist() == [1] * 6


def test_districts_in_kommun_by_code_prefix_and_errors() -> None:
    d = _national_regso().drop(columns="kommunkod")
    assert districts_in_kommun(d, "1484").index.tolist() == ["1484R001", "1484R002"]
    with pytest.raises(InputError, match="none of kommun 0999"):
        districts_in_kommun(d, "0999")
    one = districts_in_kommun(d, "0380")
    assert districts_in_kommun(one, "0380") is one  # the kommun's own layer: as it is
    with pytest.raises(InputError, match="districts of kommun 0380"):
        districts_in_kommun(one, "0180")  # another kommun's layer
    no_codes = d.set_axis([f"D{i}" for i in range(len(d))], axis=0).rename_axis("district_code")
    assert districts_in_kommun(no_codes, "0180") is no_codes  # nothing tells the kommun


def test_assign_needs_lat_lon() -> None:
    d = gpd.GeoDataFrame({"district_name": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)],
                         index=pd.Index(["A"], name="district_code"), crs=4326)
    with pytest.raises(SchemaError, match="'lat'"):
        assign_districts(pd.DataFrame({"x": [1]}), d)


# ---------------------------------------------------------------------------- cells


def _two_districts_3006() -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame({"kod": ["A", "B"], "befolkning": [1000, 3000]},
                         geometry=[shapely.box(E0, N0, E0 + 1000, N0 + 1000),
                                   shapely.box(E0 + 1000, N0, E0 + 2000, N0 + 1000)], crs=3006)
    return read_districts(g)


def test_cells_to_districts_area_shares_preserve_totals() -> None:
    d = _two_districts_3006()
    cells = gpd.GeoDataFrame(
        {"count": [10, 4, 6], "count_vald": [2, 0, 6]},
        geometry=[shapely.box(E0 + 750, N0 + 100, E0 + 1250, N0 + 300),   # 1/2 in A, 1/2 in B
                  shapely.box(E0 + 100, N0 + 100, E0 + 200, N0 + 200),     # wholly in A
                  shapely.box(E0 + 1900, N0 + 100, E0 + 2100, N0 + 200)],  # half outside
        index=pd.Index([11, 12, 13], name="cell"), crs=3006,
    )
    m = cells_to_districts(cells, d, how="area")
    assert list(m.columns) == ["cell", "district_code", "share", "count", "count_vald"]
    rows = {(c, "NA" if pd.isna(k) else k): s for c, k, s in zip(m["cell"], m["district_code"], m["share"], strict=True)}
    assert rows[(11, "A")] == pytest.approx(0.5, abs=1e-3)
    assert rows[(11, "B")] == pytest.approx(0.5, abs=1e-3)
    assert rows[(12, "A")] == pytest.approx(1.0)
    assert rows[(13, "B")] == pytest.approx(0.5, abs=1e-3) and rows[(13, "NA")] == pytest.approx(0.5, abs=1e-3)
    assert m["count"].sum() == pytest.approx(20.0)
    assert m["count_vald"].sum() == pytest.approx(8.0)
    assert m.groupby("cell")["share"].sum().to_numpy() == pytest.approx([1, 1, 1])


def test_cells_to_districts_centroid() -> None:
    d = _two_districts_3006()
    cells = gpd.GeoDataFrame(
        {"count": [10, 4]},
        geometry=[shapely.box(E0 + 900, N0 + 100, E0 + 1300, N0 + 300),  # centroid in B
                  shapely.box(E0 + 5000, N0, E0 + 5100, N0 + 100)],      # outside
        index=pd.Index([1, 2], name="cell"), crs=3006,
    )
    m = cells_to_districts(cells, d)
    assert m["district_code"].astype(object).fillna("NA").tolist() == ["B", "NA"]
    assert m["share"].tolist() == [1.0, 1.0]
    with pytest.raises(InputError, match="centroid"):
        cells_to_districts(cells, d, how="nearest")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- periods


def test_parse_period_forms() -> None:
    p = parse_period("2025")
    assert (str(p.start), str(p.end), p.kind) == ("2025-01-01 00:00:00+01:00", "2026-01-01 00:00:00+01:00", "year")
    assert parse_period("2025q3").label == "2025-Q3"
    assert parse_period("2025-03").previous().label == "2025-02"
    assert parse_period("2025-01").previous().label == "2024-12"
    c = parse_period("2025-01-01/2025-01-10")
    assert c.days == 10.0 and c.previous().label == "2024-12-22/2024-12-31"
    assert parse_period({"start": "2025-03-01", "end": "2025-03-31"}).days == 31.0
    with pytest.raises(InputError, match="not understood"):
        parse_period("förra året")
    with pytest.raises(InputError, match="ends before"):
        parse_period(("2025-02-01", "2025-01-01"))


# ---------------------------------------------------------------------------- summary


def _summary_inputs() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    d = _two_districts_3006()
    # 2025: A gets 6 vald + 3 stold, B gets 2 ran, outside 1; 2024: A 2, B 4.
    pts_e = [E0 + 500] * 9 + [E0 + 1500] * 2 + [E0 + 9000] + [E0 + 500] * 2 + [E0 + 1500] * 4
    pts_n = [N0 + 500] * len(pts_e)
    lat, lon = _to_wgs(np.array(pts_e), np.array(pts_n))
    cats = ["vald"] * 6 + ["stold"] * 3 + ["ran"] * 2 + ["vald"] + ["stold"] * 2 + ["vald"] * 4
    times = ["2025-03-01 12:00"] * 12 + ["2024-05-01 12:00"] * 6
    inc = pd.DataFrame({
        "lat": lat, "lon": lon, "category": cats,
        "occurred_at": pd.to_datetime(times).tz_localize(TZ),
        "precision": "point",
    })
    return inc, d


def test_summary_counts_rates_change() -> None:
    inc, d = _summary_inputs()
    s = summarize(inc, d, period="2025", previous_period="previous")
    assert list(s.index) == ["A", "B", STADSDEL_CODE, KOMMUN_CODE, OUTSIDE_CODE, TOTAL_CODE]
    assert s["row_type"].tolist() == ["district", "district", "stadsdel", "kommun", "outside", "total"]
    assert s["total"].tolist() == [9, 2, 0, 0, 1, 12]
    assert s["kommun_level"].tolist() == [0] * 6 and s["stadsdel_level"].tolist() == [0] * 6
    assert s.loc["A", "count_vald"] == 6 and s.loc["A", "count_stold"] == 3
    assert s.loc[TOTAL_CODE, "count_vald"] == 7
    assert s.loc[["A", "B", OUTSIDE_CODE], "total"].sum() == s.loc[TOTAL_CODE, "total"]
    assert s["per_1000"].iloc[:2].tolist() == [9.0, pytest.approx(2 / 3)]
    assert s.loc[TOTAL_CODE, "population"] == 4000 and s.loc[TOTAL_CODE, "per_1000"] == 3.0
    assert s.loc["A", "share_of_total"] == 0.75
    assert (s.loc["A", "top1"], s.loc["A", "top2"]) == ("vald", "stold") and pd.isna(s.loc["A", "top3"])
    assert s["total_previous"].tolist() == [2, 4, 0, 0, 0, 6]
    assert s["change"].tolist() == [7, -2, 0, 0, 1, 6]
    assert s.loc["A", "change_pct"] == 350.0 and np.isnan(s.loc[OUTSIDE_CODE, "change_pct"])
    # The Poisson caution: the conditional binomial test of hotspots.change (2025 has 365
    # days, 2024 366): p = min(1, 2 × smaller tail) of Binomial(11, 365/731) at 9.
    q = 365 / (365 + 366)
    ref = min(1.0, 2 * min(binom.cdf(9, 11, q), binom.sf(8, 11, q)))
    assert s.loc["A", "change_p"] == pytest.approx(ref, rel=1e-9)
    assert s.loc["A", "change_direction"] == "no_change"
    assert bool(s.loc["B", "change_significant"]) is False
    assert s.attrs["period"]["label"] == "2025" and s.attrs["previous_period"]["label"] == "2024"
    assert [f"count_{c}" for c in CATEGORIES] == [c for c in s.columns if c.startswith("count_")]


def test_change_p_equals_binomtest_for_equal_periods() -> None:
    inc, d = _summary_inputs()
    inc = inc.assign(occurred_at=pd.to_datetime(["2025-03-10 12:00"] * 12 + ["2025-02-10 12:00"] * 6)
                     .tz_localize(TZ))
    s = summarize(inc, d, period="2025-03", previous_period="2025-02-01/2025-03-03")  # 31 days each
    for code, now, prev in [("A", 9, 2), ("B", 2, 4)]:
        assert (s.loc[code, "total"], s.loc[code, "total_previous"]) == (now, prev)
        assert s.loc[code, "change_p"] == pytest.approx(binomtest(now, now + prev, 0.5).pvalue, rel=1e-9)
    assert bool(s.loc["A", "change_significant"]) == (binomtest(9, 11, 0.5).pvalue < 0.05)


def test_summary_hotspots_and_survey() -> None:
    inc, d = _summary_inputs()
    hot = gpd.GeoDataFrame(
        {"hotspot_class": ["hot_99", "none", "cold_90", "hot_90"]},
        geometry=[shapely.box(E0 + 100, N0 + 100, E0 + 200, N0 + 200),
                  shapely.box(E0 + 300, N0 + 100, E0 + 400, N0 + 200),
                  shapely.box(E0 + 1100, N0 + 100, E0 + 1200, N0 + 200),
                  shapely.box(E0 + 9000, N0 + 100, E0 + 9100, N0 + 200)],
        index=pd.Index(np.array([5, 6, 7, 8], dtype=np.uint64), name="cell"), crs=3006,
    ).to_crs(4326)
    survey = pd.DataFrame({"district_code": ["A", "B"], "share_unsafe": [0.3, np.nan],
                           "n": [40, 3], "suppressed": [False, True]})
    s = summarize(inc, d, period="2025", hotspots=hot, survey=survey)
    assert s["n_cells"].tolist() == [2, 1, 0, 0, 1, 4]
    assert s["n_hot_cells"].tolist() == [1, 0, 0, 0, 1, 2]
    assert s["n_cold_cells"].tolist() == [0, 1, 0, 0, 0, 1]
    assert s.loc["A", "share_hot_cells"] == 0.5
    assert s.loc["A", "trygg_share_unsafe"] == 0.3 and bool(s.loc["B", "trygg_suppressed"])
    assert s.loc["B", "trygg_n"] == 3 and np.isnan(s.loc[TOTAL_CODE, "trygg_n"])


def test_summary_period_none_counts_everything_and_assigns_itself() -> None:
    inc, d = _summary_inputs()
    s = summarize(inc, d, period=None)
    assert s.loc[TOTAL_CODE, "total"] == len(inc)
    assert "change" not in s.columns


@pytest.mark.parametrize("suffix", [".shp", ".parquet", ".fgb", ".geojson"])
def test_read_other_formats(tmp_path: Path, suffix: str) -> None:
    g = _messy_layer_3006().iloc[:3]
    path = tmp_path / f"deso{suffix}"
    if suffix == ".parquet":
        g.to_parquet(path)
    else:
        g.to_file(path)
    d = read_districts(path).sort_index()  # FlatGeobuf's spatial index reorders features
    assert list(d.index) == ["0180C1010", "0180C1020", "0180C1030"]
    assert d["population"].tolist() == [1200.0, 800.0, 2500.0]
    assert d.crs.to_epsg() == 4326
    assert d.attrs["report"]["total_area_m2"] == pytest.approx(3e6 + 0.36e6 + 4.25e6, rel=1e-6)


def test_population_table_dataframe_and_unreadable_file(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame({"regsokod": ["0180R001", "0180R002"]},
                         geometry=[shapely.box(18, 59, 18.1, 59.1), shapely.box(18.1, 59, 18.2, 59.1)], crs=4326)
    pop = pd.DataFrame({"RegSO": ["180R001", "0180R002"], "folkmangd_2023": ["2 100", "950"]})
    d = read_districts(g, population_table=pop)
    assert d["population"].tolist() == [2100.0, 950.0]
    assert d.attrs["report"]["code_kind"] == "regso"
    bad = tmp_path / "trasig.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="cannot be read"):
        read_districts(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_districts(tmp_path / "saknas.gpkg")

# --------------------------------------------------------------------------- messy inputs (from test_robustness)


def _two_districts(codes: list[str]):  # type: ignore[no-untyped-def]
    return gpd.GeoDataFrame({"kod": codes}, geometry=[box(18.0, 59.3, 18.1, 59.4),
                                                      box(18.1, 59.3, 18.2, 59.4)], crs=4326)


def test_population_table_of_the_wrong_code_kind_or_kommun_says_why(tmp_path: Path) -> None:
    deso_pop = pd.DataFrame({"deso": ["0114A0010", "0114C1010"], "folkmangd_2023": ["898", "1 565"]})
    with pytest.raises(InputError, match=r"'deso' holds DeSO codes \(e.g. '0114A0010'\) but the layer has "
                                         r"RegSO codes: give a RegSO population table"):
        read_districts(_two_districts(["1280R001", "1280R002"]), code="kod", population_table=deso_pop)
    with pytest.raises(InputError, match=r"none of the layer's \(kommun 1280\): is the table for another kommun"):
        read_districts(_two_districts(["1280C1010", "1280C1020"]), code="kod", population_table=deso_pop)
    ok = read_districts(_two_districts(["114A0010", "0114C1010"]), code="kod", population_table=deso_pop)
    assert ok["population"].tolist() == [898.0, 1565.0]


def test_district_shapefile_without_prj(tmp_path: Path) -> None:
    wgs = gpd.GeoDataFrame({"name": ["SÖDERMALM", "KUNGSHOLMEN"]},
                           geometry=[box(18.03, 59.30, 18.10, 59.32), box(18.00, 59.32, 18.05, 59.34)],
                           crs=4326)
    for epsg in (3011, 3006):
        p = tmp_path / f"sd{epsg}.shp"
        wgs.to_crs(epsg).to_file(p)
        p.with_suffix(".prj").unlink()
    # a local zone: the values cannot tell 18 00 from 18 45 → an error naming the fix
    with pytest.raises(CRSError, match=r"has no CRS.*EPSG:3011.*\.prj.*crs= to read_districts"):
        read_districts(tmp_path / "sd3011.shp")
    d = read_districts(tmp_path / "sd3011.shp", crs=3011)
    assert d.total_bounds.round(3).tolist() == [18.0, 59.3, 18.1, 59.34]
    assert d.attrs["report"]["crs_guessed"] is False
    # SWEREF 99 TM is recognised, with a warning that it was guessed
    d = read_districts(tmp_path / "sd3006.shp")
    assert d.total_bounds.round(3).tolist() == [18.0, 59.3, 18.1, 59.34]
    assert d.attrs["report"]["crs_guessed"] is True
    assert any("has no CRS; EPSG:3006" in w for w in d.attrs["report"]["warnings"])


def test_district_layer_of_points_names_the_geometry_type() -> None:
    g = gpd.GeoDataFrame({"namn": ["A"]}, geometry=[Point(18.0, 59.3)], crs=4326)
    with pytest.raises(InputError, match=r"geometry types: \['Point'\]\).*label points"):
        read_districts(g)


def test_district_geopackage_with_several_layers_says_which(tmp_path: Path) -> None:
    g = _two_districts(["0180C1010", "0180C1020"])
    p = tmp_path / "d.gpkg"
    g.to_file(p, layer="deso")
    g.iloc[:1].to_file(p, layer="annat")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning from pyogrio about several layers
        r = read_districts(p, code="kod")
    assert len(r) == 2
    assert "read layer 'deso' of ['deso', 'annat'] (choose another with layer=, or layer = under [districts] in lagesbild.toml)" in r.attrs["report"]["warnings"]
    assert len(read_districts(p, code="kod", layer="annat")) == 1


def test_area_rows_naming_a_lan_are_not_put_in_a_district() -> None:
    d = read_districts(_two_districts(["0380C1010", "0380C1020"]), code="kod")
    inc = pd.DataFrame({"lat": [59.35, 59.35, 59.35], "lon": [18.05, 18.05, 18.05],
                        "precision": ["area", "area", "point"],
                        "location_text": ["Uppsala län", "Uppsala", pd.NA]})
    out = assign_districts(inc, d, kommun_name="Uppsala")
    assert out["district_method"].astype(str).tolist() == ["lan", "kommun", "point"]
    assert out["district_code"].astype("string").fillna("").tolist() == ["", "", "0380C1010"]
