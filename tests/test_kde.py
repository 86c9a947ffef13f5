"""Kernel density surface (hotspots.kde): the quartic kernel, mass, bandwidth rule, privacy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely

from lagesbild_geo import crs, hotspots
from lagesbild_geo.errors import InputError, PrivacyError, SchemaError

E0, N0 = 660000.0, 6580000.0


def quartic(d, h):
    d = np.asarray(d, dtype=float)
    return np.where(d < h, 3.0 / (math.pi * h * h) * (1 - (d / h) ** 2) ** 2, 0.0)


def test_value_at_a_cell_centre_equals_the_hand_computed_quartic_sum():
    # events on cell centres (10 m cells on a 10 m-aligned grid: centres end in 5)
    e = E0 + np.array([5.0, 5, 65, 125, -95, 5])
    n = N0 + np.array([5.0, 5, 5, 85, 45, 195])
    w = np.array([1.0, 1, 2, 1, 1, 1])
    d = hotspots.kde(pd.DataFrame({"easting": e, "northing": n, "w": w}), bandwidth_m=200,
                     cell_size_m=10, weights="w", min_count=3)
    at = d[(d["easting"] == E0 + 5) & (d["northing"] == N0 + 5)].iloc[0]
    dist = np.hypot(e - (E0 + 5), n - (N0 + 5))
    by_hand = float((w * quartic(dist, 200)).sum()) * 1e6
    assert at["density_per_km2"] == pytest.approx(by_hand, rel=1e-9)
    assert at["n_within_bandwidth"] == int((dist < 200).sum()) == 6  # the last is 190 m away
    assert at["expected"] == pytest.approx(by_hand / 1e6 * 100, rel=1e-9)


def test_every_shown_cell_equals_the_direct_sum_and_count():
    rng = np.random.default_rng(3)
    e = E0 + np.round(rng.uniform(0, 1500, 80) / 20) * 20 + 10  # cell centres of a 20 m grid
    n = N0 + np.round(rng.uniform(0, 1500, 80) / 20) * 20 + 10
    d = hotspots.kde(pd.DataFrame({"easting": e, "northing": n}), bandwidth_m=250, cell_size_m=20)
    de = d["easting"].to_numpy()[:, None] - e[None, :]
    dn = d["northing"].to_numpy()[:, None] - n[None, :]
    dist = np.hypot(de, dn)
    np.testing.assert_allclose(d["density_per_km2"], quartic(dist, 250).sum(axis=1) * 1e6, rtol=1e-8)
    np.testing.assert_array_equal(d["n_within_bandwidth"], (dist < 250).sum(axis=1))


@pytest.mark.parametrize(("shape", "m"), [((40, 60), 3), ((7, 5), 6), ((2, 300), 1), ((123, 97), 12)])
def test_the_fft_convolution_is_scipy_signals_bit_for_bit(shape, m):
    from scipy import signal

    rng = np.random.default_rng(sum(shape) + m)
    grid = rng.poisson(0.4, shape).astype("float64") * 1.7
    kernel = rng.uniform(0.0, 1.0, (2 * m + 1, 2 * m + 1))
    np.testing.assert_array_equal(hotspots._convolve_same(grid, kernel),
                                  signal.fftconvolve(grid, kernel, mode="same"))


def test_total_mass_is_the_number_of_events():
    rng = np.random.default_rng(1)
    e = E0 + rng.normal(0, 800, 600)
    n = N0 + rng.normal(0, 600, 600)
    d = hotspots.kde(pd.DataFrame({"easting": e, "northing": n}), bandwidth_m=300, cell_size_m=25,
                     min_count=1)
    assert d.attrs["kde"]["mass"] == pytest.approx(600, rel=0.01)
    assert d["expected"].sum() == pytest.approx(600, rel=0.01)  # min_count=1: every cell shown
    # weighted: the mass is the sum of the weights
    dw = hotspots.kde(pd.DataFrame({"easting": e, "northing": n}), bandwidth_m=300, cell_size_m=25,
                      weights=np.full(600, 2.5))
    assert dw.attrs["kde"]["mass"] == pytest.approx(1500, rel=0.01)


def test_privacy_no_value_rests_on_fewer_than_min_count_events():
    # a cluster of 5, a pair and a lone event, far apart
    e = E0 + np.array([0.0, 20, 40, 10, 30, 5000, 5030, 9000])
    n = N0 + np.array([0.0, 10, 0, 30, 20, 5000, 5000, 0])
    df = pd.DataFrame({"easting": e, "northing": n})
    d = hotspots.kde(df, bandwidth_m=300, cell_size_m=20, min_count=3)
    assert (d["n_within_bandwidth"] >= 3).all()
    # nothing is drawn within reach of the pair or the lone event: no value, no hole
    far = np.hypot(d["easting"] - (E0 + 5000), d["northing"] - (N0 + 5000)).min()
    lone = np.hypot(d["easting"] - (E0 + 9000), d["northing"] - N0).min()
    assert far > 1000 and lone > 1000
    assert d.attrs["kde"]["n_cells_suppressed"] > 0
    # min_count=2 shows the pair but never the lone event
    d2 = hotspots.kde(df, bandwidth_m=300, cell_size_m=20, min_count=2)
    assert np.hypot(d2["easting"] - (E0 + 5000), d2["northing"] - (N0 + 5000)).min() < 50
    assert np.hypot(d2["easting"] - (E0 + 9000), d2["northing"] - N0).min() > 1000
    # the smallest bandwidth is enforced
    with pytest.raises(PrivacyError, match="smallest bandwidth allowed is 100 m"):
        hotspots.kde(df, bandwidth_m=50)
    # ... and the default rule is raised to it for tightly packed events
    tight = hotspots.kde(df.iloc[:5])
    assert tight.attrs["kde"]["bandwidth_m"] == hotspots.KDE_MIN_BANDWIDTH_M
    assert "raised to the smallest allowed" in tight.attrs["kde"]["bandwidth_rule"]


def test_default_bandwidth_is_arcgis_rule():
    rng = np.random.default_rng(8)
    x = rng.normal(0, 1000, 400)
    y = rng.normal(0, 500, 400)
    x[:5] += 50000  # outliers: the median term keeps the radius reasonable
    mx, my = x.mean(), y.mean()
    dist = np.hypot(x - mx, y - my)
    sd = math.sqrt((dist**2).mean())
    dm = float(np.median(dist))
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * 400 ** -0.2
    assert hotspots.kde_bandwidth(x, y) == pytest.approx(expected, rel=1e-12)
    d = hotspots.kde(pd.DataFrame({"easting": x + E0, "northing": y + N0}))
    assert d.attrs["kde"]["bandwidth_m"] == pytest.approx(hotspots.kde_bandwidth(x, y))
    assert d.attrs["kde"]["cell_size_m"] <= d.attrs["kde"]["bandwidth_m"] / 4


def test_output_geometry_and_inputs():
    rng = np.random.default_rng(2)
    lat = 59.40 + rng.normal(0, 0.004, 300)
    lon = 17.90 + rng.normal(0, 0.008, 300)
    df = pd.DataFrame({"lat": lat, "lon": lon, "precision": ["point"] * 290 + ["area"] * 10})
    d = hotspots.kde(df, bandwidth_m=250, cell_size_m=50)
    assert d.crs.to_epsg() == 4326
    assert d.attrs["kde"]["n_events"] == 290
    g = d.iloc[0]
    sq = shapely.box(g["easting"] - 25, g["northing"] - 25, g["easting"] + 25, g["northing"] + 25)
    lon2, lat2 = crs.to_wgs84([g["easting"]], [g["northing"]], 3006)
    assert g.geometry.centroid.distance(shapely.Point(lon2[0], lat2[0])) < 1e-6
    assert d.to_crs(3006).geometry.iloc[0].area == pytest.approx(sq.area, rel=1e-3)
    e, n = crs.to_sweref(lon, lat)
    d_en = hotspots.kde(pd.DataFrame({"easting": e[:290], "northing": n[:290]}), bandwidth_m=250,
                        cell_size_m=50)
    np.testing.assert_allclose(d_en["density_per_km2"], d["density_per_km2"])


def test_kde_errors():
    df = pd.DataFrame({"easting": [E0, E0 + 10, E0 + 20], "northing": [N0] * 3})
    with pytest.raises(InputError, match="too coarse"):
        hotspots.kde(df, bandwidth_m=200, cell_size_m=150)
    with pytest.raises(SchemaError, match="no such column"):
        hotspots.kde(df, bandwidth_m=200, weights="antal")
    with pytest.raises(InputError, match="weights must be finite numbers ≥ 0"):
        hotspots.kde(df, bandwidth_m=200, weights=[1, -1, 1])
    with pytest.raises(InputError, match="min_count"):
        hotspots.kde(df, bandwidth_m=200, min_count=0)
    empty = hotspots.kde(df.iloc[:0], bandwidth_m=200)
    assert empty.empty and "density_per_km2" in empty.columns


def test_density_map_layer_shows_the_surface_not_single_events():
    import geopandas as gpd

    from lagesbild_geo import maps
    from lagesbild_geo.pipeline import Lagesbild

    rng = np.random.default_rng(4)
    n = 300
    t = pd.Timestamp("2025-03-01", tz="Europe/Stockholm") + pd.to_timedelta(
        rng.integers(0, 300, n + 2), unit="D")
    inc = pd.DataFrame({
        "easting": np.r_[E0 + rng.normal(0, 400, n), E0 + 8000, E0 - 8000],
        "northing": np.r_[N0 + rng.normal(0, 400, n), N0, N0],
        "occurred_at": t, "precision": "point",
        "category": ["stold"] * n + ["stold", "vald"],
    })
    inc.loc[0, "occurred_at"] = pd.Timestamp("2023-01-01", tz="Europe/Stockholm")  # outside the period
    e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    lb = Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e,
                   clusters=e, emerging=e, districts=e, district_summary=pd.DataFrame(),
                   metadata={"period": {"label": "2025", "start": "2025-01-01T00:00:00+01:00",
                                        "end": "2026-01-01T00:00:00+01:00"}})
    sections: list = []
    fg = maps.density_layer(lb, category="stold", legend=sections)
    gj = next(iter(fg._children.values())).data
    assert 1 <= len(gj["features"]) <= 6
    shapes = gpd.GeoDataFrame.from_features(gj["features"], crs=4326).to_crs(3006)
    assert not shapes.contains(shapely.Point(E0 + 8000, N0)).any()  # the lone event: not drawn
    assert shapes.contains(shapely.Point(E0, N0)).any()
    assert sections[0][0] == "Täthet, händelser per km² – Stöld och snatteri"
    assert sections[0][1][-1][1].startswith("Visas där minst 3 händelser finns inom ")
    html = maps.map_html(maps.lagesbild_map(lb, layers=["density", "cells"], tiles=None))
    assert ("Täthet" in html or "T\\u00e4thet" in html) and "tathet" in html


def test_the_published_bundle_carries_the_surface_without_positions():
    """publishable() makes the density surfaces before it drops the incidents: the same values
    as kde() of the period's incidents, only squares with min_count events near, no counts."""
    import geopandas as gpd

    from lagesbild_geo import maps
    from lagesbild_geo.pipeline import Lagesbild
    from lagesbild_geo.privacy import publishable

    rng = np.random.default_rng(5)
    n = 200
    t = pd.Timestamp("2025-03-01", tz="Europe/Stockholm") + pd.to_timedelta(rng.integers(0, 200, n + 2), unit="D")
    inc = pd.DataFrame({"easting": np.r_[E0 + rng.normal(0, 300, n), E0 + 9000, E0 - 9000],
                        "northing": np.r_[N0 + rng.normal(0, 300, n), N0, N0],
                        "occurred_at": t, "precision": "point",
                        "category": ["stold"] * (n // 2) + ["vald"] * (n // 2) + ["stold", "ran"]})
    inc.loc[:9, "occurred_at"] = pd.Timestamp("2023-06-01", tz="Europe/Stockholm")  # before the period
    e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    lb = Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e, clusters=e,
                   emerging=e, districts=e, district_summary=pd.DataFrame(),
                   metadata={"period": {"label": "2025", "start": "2025-01-01T00:00:00+01:00",
                                        "end": "2026-01-01T00:00:00+01:00"}})
    pub = publishable(lb)
    assert pub.incidents.empty
    surf = pub.tables["density"]
    assert list(surf.columns) == ["surface", "easting", "northing", "density_per_km2"]
    assert set(surf["surface"]) == {"", "stold", "vald"}  # rån: one incident, no square
    assert set(surf.attrs["kde"]) == {"", "stold", "vald"}
    assert all("n_events" not in a and "mass" not in a for a in surf.attrs["kde"].values())
    in_period = inc.iloc[10:]
    ref = hotspots.kde(in_period[in_period["category"] == "stold"], min_count=3)
    got = surf[surf["surface"] == "stold"]
    np.testing.assert_allclose(got["density_per_km2"].to_numpy(), ref["density_per_km2"].to_numpy(), rtol=1e-9)
    np.testing.assert_array_equal(got["easting"].to_numpy(), ref["easting"].to_numpy())
    assert surf.attrs["kde"]["stold"]["bandwidth_m"] == ref.attrs["kde"]["bandwidth_m"] >= 100
    far = np.hypot(surf["easting"] - (E0 + 9000), surf["northing"] - N0).min()
    assert far > 2000  # the lone incidents leave no square
    # the map of the published bundle draws the layer; a category with no square draws nothing
    html = maps.map_html(maps.lagesbild_map(pub, layers=["density"], tiles=None))
    assert "tathet" in html
    legend: list = []
    fg = maps.density_layer(pub, category="ran", legend=legend)
    assert not list(fg._children) and "inget område här" in legend[0][1][0][1]
