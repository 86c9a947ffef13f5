"""Tests for lagesbild_geo.bundle: cell polygons built on first use (PendingGeometry), replace, stored."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from lagesbild_geo import grid, hotspots
from lagesbild_geo.bundle import Lagesbild, PendingGeometry
from lagesbild_geo.districts import summarize
from lagesbild_geo.period import Period, in_period
from lagesbild_geo.pipeline import aggregate, analyse, join_districts
from lagesbild_geo.sample import example_lagesbild


@pytest.fixture(scope="module")
def built() -> Lagesbild:
    return example_lagesbild(clusters=False, emerging=False)


@pytest.fixture
def analysed(built: Lagesbild) -> Lagesbild:
    """Exempelkommun's placed incidents, counted and analysed again (polygons pending)."""
    return analyse(aggregate(built), clusters=False, emerging=False)


def _eager(lb: Lagesbild) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The cells and hotspots as they were built before polygons were deferred."""
    s = lb.settings
    inc = lb.incidents
    in_per = in_period(inc["occurred_at"], Period.from_dict(lb.metadata["period"]))
    on_grid = inc.loc[in_per, ["cell", "lat", "lon", "precision", "category"]]
    cells = grid.count_cells(on_grid, resolution=s.resolution, by="category", fill=lb.boundary, rings=s.rings)
    hot = hotspots.gistar(cells, "count", rings=s.rings, alpha=s.alpha, correction=s.correction)
    return cells, hot


def test_cells_and_hotspots_wait_for_their_polygons(analysed: Lagesbild) -> None:
    fresh = analysed.replace()
    assert isinstance(fresh.stored("cells"), PendingGeometry)
    assert isinstance(fresh.stored("hotspots"), PendingGeometry)
    assert "geometry" not in fresh.stored("hotspots").frame.columns
    cells, hot = _eager(analysed)
    assert_geodataframe_equal(fresh.cells, cells)
    assert_geodataframe_equal(fresh.hotspots, hot)
    assert list(fresh.hotspots.columns) == list(hot.columns)  # geometry between counts and Gi*
    assert fresh.cells.attrs == cells.attrs and fresh.hotspots.attrs == hot.attrs
    # built once: the same frame on every access, the same polygons in cells and hotspots
    assert fresh.cells is fresh.cells
    assert not isinstance(fresh.stored("cells"), PendingGeometry)
    assert fresh.cells.geometry.values[0] is fresh.hotspots.geometry.values[0]
    # dataclasses.replace reads (and so builds) every field: the same frames
    other = analyse(aggregate(fresh), clusters=False, emerging=False)
    assert_geodataframe_equal(dataclasses.replace(other).hotspots, hot)


def test_replace_keeps_polygons_pending_and_changes_fields(analysed: Lagesbild) -> None:
    out = analysed.replace(metadata={"x": 1})
    assert out.metadata == {"x": 1}
    assert isinstance(out.stored("cells"), PendingGeometry)
    assert out.stored("incidents") is analysed.stored("incidents")
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.cells = out.cells  # type: ignore[misc]


def test_pending_bundles_pickle_and_copy(analysed: Lagesbild) -> None:
    lb = analysed.replace()
    for other in (pickle.loads(pickle.dumps(lb)), copy.deepcopy(lb), copy.copy(lb)):
        assert isinstance(other.stored("hotspots"), PendingGeometry)
        assert_geodataframe_equal(other.hotspots, lb.hotspots)
        assert_geodataframe_equal(other.cells, lb.cells)


def test_a_frame_given_as_is_stays_as_is() -> None:
    plain = pd.DataFrame({"count": [1]}, index=pd.Index([5], dtype="uint64", name="cell"))
    lb = Lagesbild.empty().replace(cells=plain)
    assert lb.cells is plain and type(lb.cells) is pd.DataFrame


def test_count_cells_without_geometry_is_the_table_without_polygons() -> None:
    df = pd.DataFrame({"lat": [59.4, 59.4, 59.41], "lon": [17.1, 17.1, 17.1], "precision": "point",
                       "category": ["vald", "stold", "vald"]})
    for fill in (False, True):
        full = grid.count_cells(df, by="category", fill=fill)
        bare = grid.count_cells(df, by="category", fill=fill, geometry=False)
        assert type(bare) is pd.DataFrame
        assert_frame_equal(bare, pd.DataFrame(full.drop(columns="geometry")))
        assert bare.attrs == full.attrs
    cube = grid.count_cells(df.assign(occurred_at=pd.Timestamp("2025-01-05", tz="Europe/Stockholm")),
                            period="month", geometry=False)
    assert cube.index.names == ["cell", "period"] and "geometry" not in cube.columns


def test_district_table_counts_hot_cells_without_polygons(analysed: Lagesbild) -> None:
    lb = join_districts(analysed)
    hot = lb.hotspots
    plain = pd.DataFrame(hot.drop(columns="geometry"))
    common = {"period": "2025", "kommun_name": "Exempelkommun"}
    polys = lb.districts[["district_name", "population", "geometry"]]
    a = summarize(lb.incidents, polys, hotspots=hot, **common)
    b = summarize(lb.incidents, polys, hotspots=plain, **common)
    assert_frame_equal(a, b)
    assert int(a.loc["_total", "n_cells"]) == len(hot)
    assert int(a["n_hot_cells"].drop("_total").sum()) == int(hot["hotspot_class"].str.startswith("hot").sum())
    assert np.isfinite(a["share_hot_cells"].drop("_total").dropna()).all()


def test_every_empty_bundle_has_frames_of_its_own() -> None:
    """Lagesbild.empty builds its frames once and hands out copies: changing one bundle's
    frame (or its attrs) leaves the next empty bundle as it was."""
    first = Lagesbild.empty()
    first.incidents["extra"] = pd.Series([], dtype="float64")
    first.district_summary.attrs["note"] = "changed"
    first.cells.index.name = "changed"
    second = Lagesbild.empty()
    assert "extra" not in second.incidents.columns and "note" not in second.district_summary.attrs
    assert second.cells.index.name == "cell" and second.cells.crs.to_epsg() == 4326
    for name in ("incidents", "rejected", "cells", "hotspots", "clusters", "emerging", "districts",
                 "district_summary", "pending"):
        assert getattr(second, name) is not getattr(Lagesbild.empty(), name)
        assert len(getattr(second, name)) == 0
    assert second.reports == {} and second.reports is not Lagesbild.empty().reports
