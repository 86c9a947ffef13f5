"""CRS recognition, axis order and transforms (lagesbild_geo.crs)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from lagesbild_geo.crs import (
    CRSGuess,
    detect_crs,
    normalise_crs,
    orient_axes,
    to_sweref,
    to_wgs84,
    transform,
)
from lagesbild_geo.errors import CRSError

# Stockholm, Sergels torg, and a point in Exempelkommun, in WGS84 (lon, lat).
LON = np.array([18.0686, 17.1])
LAT = np.array([59.3293, 59.38])


def _ref(dst: int) -> tuple[np.ndarray, np.ndarray]:
    t = pyproj.Transformer.from_crs(4326, dst, always_xy=True)
    x, y = t.transform(LON, LAT)
    return np.asarray(x), np.asarray(y)


def test_normalise_crs_names_and_codes() -> None:
    assert normalise_crs(3006) == "EPSG:3006"
    assert normalise_crs("EPSG:3011") == "EPSG:3011"
    assert normalise_crs("epsg 3021") == "EPSG:3021"
    assert normalise_crs("SWEREF 99 TM") == "EPSG:3006"
    assert normalise_crs("RT90") == "EPSG:3021"
    assert normalise_crs("wgs84") == "EPSG:4326"
    assert normalise_crs("SWEREF99 18 00") == "EPSG:3011"
    with pytest.raises(CRSError, match="Unknown coordinate reference system"):
        normalise_crs("not a crs at all")


def test_reference_point_sweref_tm() -> None:
    e, n = to_sweref([18.0686], [59.3293])
    assert (round(float(e[0])), round(float(n[0]))) == (674572, 6580743)
    lon, lat = to_wgs84(e, n, 3006)
    np.testing.assert_allclose([lon[0], lat[0]], [18.0686, 59.3293], atol=1e-9)


def test_detect_wgs84_plain_and_swapped() -> None:
    g = detect_crs(LON, LAT, names=("lon", "lat"))
    assert (g.crs, g.swapped, g.swapped_rows, g.rows_fitting, g.named) == ("EPSG:4326", False, 0, 2, False)
    g = detect_crs(LAT, LON, names=("lon", "lat"))  # lat in the lon column
    assert (g.crs, g.swapped, g.swapped_rows) == ("EPSG:4326", True, 2)
    assert "swapped" in g.note


def test_detect_sweref_tm_x_is_northing() -> None:
    e, n = _ref(3006)
    g = detect_crs(n, e, names=("X", "Y"))  # Swedish habit: X holds the northing
    assert (g.crs, g.swapped, g.swapped_rows) == ("EPSG:3006", True, 2)
    assert "Swedish convention" in g.note
    g = detect_crs(e, n, names=("X", "Y"))
    assert (g.crs, g.swapped, g.swapped_rows) == ("EPSG:3006", False, 0)


def test_detect_rt90() -> None:
    x, y = _ref(3021)
    assert 1.2e6 < x.min() < 1.7e6
    g = detect_crs(y, x)
    assert (g.crs, g.swapped) == ("EPSG:3021", True)
    lon, lat = to_wgs84(x, y, g.crs)
    np.testing.assert_allclose(lon, LON, atol=1e-7)
    np.testing.assert_allclose(lat, LAT, atol=1e-7)


def test_local_zone_needs_a_name_unless_one_fits() -> None:
    x, y = _ref(3011)  # SWEREF 99 18 00
    assert np.all(x < 250_000)
    with pytest.raises(CRSError, match=r"EPSG:3011.*crs="):
        detect_crs(y, x)
    g = detect_crs(y, x, crs=3011)
    assert (g.crs, g.swapped, g.named) == ("EPSG:3011", True, True)
    lon, _lat = to_wgs84(*orient_axes(y, x)[:2], g.crs)
    np.testing.assert_allclose(lon, LON, atol=1e-7)


def test_local_zone_told_by_where_the_points_belong() -> None:
    """Six zones fit Stockholm's SWEREF 99 18 00 values; the one that puts them inside the
    kommun is taken (18 45 puts them 40 km east). A test that two zones pass alike tells nothing."""
    import shapely

    lon0, lat0 = np.array([18.0686, 18.07, 18.05, 17.95]), np.array([59.3293, 59.335, 59.34, 59.30])
    x, y = (np.asarray(v) for v in pyproj.Transformer.from_crs(4326, 3011, always_xy=True).transform(lon0, lat0))
    stockholm = shapely.box(17.75, 59.2, 18.25, 59.45)

    def inside(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return shapely.intersects_xy(stockholm, lon, lat)

    g = detect_crs(y, x, inside=inside)
    assert g.crs == "EPSG:3011" and "the only one that puts most of the" in g.note
    lon, _lat = to_wgs84(*orient_axes(y, x)[:2], g.crs)
    np.testing.assert_allclose(lon, lon0, atol=1e-7)
    with pytest.raises(CRSError, match="cannot be told"):
        detect_crs(y, x, inside=lambda lon, lat: np.ones(np.shape(lon), dtype=bool))


def test_named_crs_that_contradicts_the_values_warns_in_note() -> None:
    e, n = _ref(3006)
    g = detect_crs(e, n, crs=4326)
    assert g.crs == "EPSG:4326"
    assert "look like SWEREF 99 TM" in g.note


def test_nothing_swedish_gives_none() -> None:
    g = detect_crs([1.0, 2.0], [3.0, 4.0])
    assert g.crs is None and g.rows == 2 and g.rows_fitting == 0
    g = detect_crs([np.nan], [np.nan])
    assert g == CRSGuess(None, False, 0, 0, 0, False, "No coordinates.")


def test_majority_decides_and_counts_fitting_rows() -> None:
    e, n = _ref(3006)
    a = np.r_[n, n, 59.3]  # four TM rows and one stray WGS84 value pair
    b = np.r_[e, e, 18.0]
    g = detect_crs(a, b)
    assert (g.crs, g.rows, g.rows_fitting) == ("EPSG:3006", 5, 4)


def test_transform_keeps_nan_and_does_not_touch_input() -> None:
    x = np.array([674572.0, np.nan])
    y = np.array([6580743.0, 6580743.0])
    x0 = x.copy()
    lon, lat = transform(x, y, 3006, 4326)
    assert np.isnan(lon[1]) and np.isnan(lat[1])
    np.testing.assert_array_equal(x, x0)
    same_x, _ = transform(x, y, "EPSG:3006", 3006)
    assert same_x is not x


def test_orient_axes_rowwise() -> None:
    x, y, s = orient_axes([6_580_000.0, 660_000.0, np.nan], [660_000.0, 6_580_000.0, 1.0])
    assert x[:2].tolist() == [660_000.0, 660_000.0]
    assert y[:2].tolist() == [6_580_000.0, 6_580_000.0]
    assert s.tolist() == [True, False, False]


@pytest.mark.parametrize("seed", range(6))
def test_the_bounding_box_shortcut_counts_as_the_masks_do(seed: int) -> None:
    # one CRS, two CRSs, values on the ranges' edges and outside every range
    from lagesbild_geo import crs as crs_module

    rng = np.random.default_rng(seed)
    kinds = [
        (rng.uniform(6.2e6, 7.6e6, 300), rng.uniform(2.6e5, 9e5, 300)),  # SWEREF 99 TM
        (rng.uniform(55.0, 69.0, 40), rng.uniform(10.0, 24.0, 40)),  # WGS84
        (rng.uniform(6.2e6, 7.6e6, 30), rng.uniform(1.2e6, 1.9e6, 30)),  # RT90
        (np.array([6.1e6, 7.7e6, 6.5e6]), np.array([2.5e5, 1.1e6, 0.0])),  # edges
        (rng.uniform(1e3, 5e3, 5), rng.uniform(1e3, 5e3, 5)),  # nowhere
    ]
    picked = [kinds[i] for i in sorted(set(rng.integers(0, len(kinds), 1 + seed % 3).tolist()))]
    y = np.concatenate([k[0] for k in picked])
    x = np.concatenate([k[1] for k in picked])
    got = crs_module._classify(x, y)
    for key, ((ylo, yhi), (xlo, xhi)) in crs_module._RANGES.items():
        want = (y >= ylo) & (y <= yhi) & (x >= xlo) & (x < xhi)
        mask = np.full(x.size, got[key]) if isinstance(got[key], bool) else got[key]
        assert mask.tolist() == want.tolist(), key
    # and the detection over swapped columns names the same CRS and counts as before
    g = detect_crs(y, x)
    assert g.swapped_rows == int((y > x).sum())
