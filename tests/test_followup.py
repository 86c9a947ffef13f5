"""Follow-up of a measure: WDQ against hand-computed values, counts per zone, the summary."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import Polygon, box

from lagesbild_geo.errors import InputError, ValidationError
from lagesbild_geo.followup import followup, wdq
from lagesbild_geo.measures import MeasureStore

TZ = "Europe/Stockholm"
TO_WGS = Transformer.from_crs(3006, 4326, always_xy=True)
TO_SWEREF = Transformer.from_crs(4326, 3006, always_xy=True)

# ------------------------------------------------------------------ WDQ arithmetic


def test_wdq_complete_displacement_by_hand() -> None:
    # Rb=100 Ra=50, Db=100 Da=150, Cb=Ca=100 (Guerette 2009, app. B formulas):
    # SM = 50/100 - 100/100 = -0.5; DM = 150/100 - 100/100 = 0.5; WDQ = 0.5/-0.5 = -1
    # GE = 100-50 = 50; NE = 100/100 - 50/100 = 0.5
    # TNE = [100*(100/100) - 50] + [100*(100/100) - 150] = 50 - 50 = 0
    r = wdq(100, 50, 100, 150, 100, 100)
    assert (r.success_measure, r.displacement_measure, r.wdq) == (-0.5, 0.5, -1.0)
    assert (r.gross_effect, r.net_effect, r.total_net_effect) == (50.0, 0.5, 0.0)
    assert r.band == "displacement_partial"


def test_wdq_diffusion_with_a_falling_control_by_hand() -> None:
    # Rb=60 Ra=30, Db=80 Da=70, Cb=500 Ca=450.
    # SM = 30/450 - 60/500 = 1/15 - 3/25 = -4/75
    # DM = 70/450 - 80/500 = 7/45 - 4/25 = -1/225
    # WDQ = (-1/225) / (-4/75) = 75/900 = 1/12
    # NE = 60/500 - 30/450 = 4/75; GE = 30
    # TNE = [60*0.9 - 30] + [80*0.9 - 70] = 24 + 2 = 26
    r = wdq(60, 30, 80, 70, 500, 450)
    assert r.success_measure == pytest.approx(-4 / 75, rel=1e-12)
    assert r.displacement_measure == pytest.approx(-1 / 225, rel=1e-12)
    assert r.wdq == pytest.approx(1 / 12, rel=1e-12)
    assert r.net_effect == pytest.approx(4 / 75, rel=1e-12)
    assert r.gross_effect == 30
    assert r.total_net_effect == pytest.approx(26, rel=1e-12)
    assert r.band == "diffusion"
    assert "spridning" in r.band_sv


@pytest.mark.parametrize(
    ("counts", "expected_wdq", "band"),
    [
        # SM = 0.8-1 = -0.2, DM = 0.5-1 = -0.5 → 2.5: diffusion larger than the effect
        ((100, 80, 100, 50, 100, 100), 2.5, "diffusion_exceeds"),
        # SM = -0.1, DM = +0.5 → -5: displacement larger than the effect
        ((100, 90, 100, 150, 100, 100), -5.0, "displacement_exceeds"),
        # SM = 20/100 - 100/200 = -0.3; the buffer moves like the control: DM = 0
        ((100, 20, 40, 20, 200, 100), 0.0, "no_displacement"),
        # the area rose relative to the control: SM = 1.2-1 > 0, not interpreted
        ((100, 120, 100, 100, 100, 100), 0.0, "no_success"),
    ],
)
def test_wdq_bands(counts: tuple[int, ...], expected_wdq: float, band: str) -> None:
    r = wdq(*counts)
    assert r.band == band
    assert r.wdq == pytest.approx(expected_wdq, abs=1e-12)
    assert r.band_en and r.band_sv


def test_wdq_zero_success_and_zero_control() -> None:
    r = wdq(100, 100, 10, 20, 100, 100)  # SM = 0
    assert math.isnan(r.wdq) and r.band == "no_success"
    z = wdq(10, 5, 3, 4, 0, 7)
    assert z.band == "undefined" and math.isnan(z.wdq) and math.isnan(z.total_net_effect)
    assert z.gross_effect == 5
    assert "jämförelseområdet saknar brott" in z.band_sv


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "3", None, True])
def test_wdq_refuses_non_counts(bad: object) -> None:
    with pytest.raises(ValidationError, match="target_after"):
        wdq(1, bad, 1, 1, 1, 1)  # type: ignore[arg-type]


def test_wdq_to_dict() -> None:
    d = wdq(100, 50, 100, 150, 100, 100).to_dict()
    assert d["wdq"] == -1.0 and d["band"] == "displacement_partial" and len(d) == 15


# ------------------------------------------------------------------ followup on tiny data

# the area: a 400 m square in SWEREF 99 TM around (660 000, 6 580 000), in lon/lat
X0, Y0 = 660_000.0, 6_580_000.0


def _lonlat_poly(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    b = box(x0, y0, x1, y1)
    return shapely.transform(b, lambda xy: np.column_stack(TO_WGS.transform(xy[:, 0],
                                                                             xy[:, 1])))


AREA = _lonlat_poly(X0, Y0, X0 + 400, Y0 + 400)


def _incidents(rows: list[tuple[str, float, float, str, str]]) -> pd.DataFrame:
    """rows: (date, easting, northing, category, precision)."""
    t = pd.to_datetime([r[0] for r in rows]).tz_localize(TZ)
    e = np.array([r[1] for r in rows], dtype=float)
    n = np.array([r[2] for r in rows], dtype=float)
    lon, lat = TO_WGS.transform(e, n)
    return pd.DataFrame({
        "incident_id": [f"i{i}" for i in range(len(rows))],
        "occurred_at": t, "category": pd.array([r[3] for r in rows], dtype="string"),
        "lat": lat, "lon": lon, "easting": e, "northing": n,
        "precision": pd.array([r[4] for r in rows], dtype="string"),
    })


IN = (X0 + 200, Y0 + 200)       # inside the area
RING = (X0 + 500, Y0 + 200)     # 100 m east of the area: in the 250 m ring
FAR = (X0 + 3000, Y0 + 3000)    # control
EDGE = (X0 + 400, Y0 + 200)     # on the area's east edge: counts in the buffer


def _tiny() -> pd.DataFrame:
    rows = []
    # before period (Jan–Feb 2024): 6 in area, 2 in ring, 10 far
    for d in ["2024-01-05"] * 3 + ["2024-02-10"] * 3:
        rows.append((d, *IN, "ran", "point"))
    rows += [("2024-01-20", *RING, "ran", "point"), ("2024-02-20", *EDGE, "ran", "address")]
    rows += [("2024-01-15", *FAR, "ran", "point")] * 10
    # after period (Mar–Apr 2024): 2 in area, 3 in ring, 10 far
    rows += [("2024-03-05", *IN, "ran", "point"), ("2024-04-29", *IN, "ran", "point")]
    rows += [("2024-03-10", *RING, "ran", "point")] * 3
    rows += [("2024-04-15", *FAR, "ran", "point")] * 10
    # noise that must not count: other category, coarse precision, missing position
    rows += [("2024-03-05", *IN, "stold", "point"), ("2024-03-05", *IN, "ran", "place")]
    df = _incidents(rows)
    extra = df.iloc[[0]].copy()
    extra[["easting", "northing", "lat", "lon"]] = np.nan
    return pd.concat([df, extra], ignore_index=True)


MEASURE = {"geometry": AREA, "start_date": "2024-03-01", "target_categories": ["Rån"],
           "title": "Belysning"}


def test_followup_counts_periods_and_wdq() -> None:
    inc = _tiny()
    snapshot = inc.copy()
    r = followup(MEASURE, inc, as_of="2024-04-30")
    pd.testing.assert_frame_equal(inc, snapshot)  # input untouched
    assert r.after == (dt.date(2024, 3, 1), dt.date(2024, 4, 30))
    # 61 days after → the 61 days before: 2023-12-31 .. 2024-02-29
    assert r.before == (dt.date(2023, 12, 31), dt.date(2024, 2, 29))
    assert r.counts.to_dict("index") == {
        "area": {"before": 6, "after": 2, "change": -4, "change_pct": pytest.approx(-66.6667,
                                                                                    rel=1e-4)},
        "buffer": {"before": 2, "after": 3, "change": 1, "change_pct": 50.0},
        "control": {"before": 10, "after": 10, "change": 0, "change_pct": 0.0},
    }
    assert r.counts.index.name == "zone"
    w = r.wdq
    # SM = 2/10 - 6/10 = -0.4; DM = 3/10 - 2/10 = 0.1; WDQ = -0.25
    assert w.success_measure == pytest.approx(-0.4)
    assert w.displacement_measure == pytest.approx(0.1)
    assert w.wdq == pytest.approx(-0.25)
    assert w.total_net_effect == pytest.approx(3.0)  # (6-2) + (2-3)
    assert r.categories == ("ran",) and r.buffer_m == 250.0
    assert r.rate_ratio == pytest.approx((2 / 6) / (10 / 10))
    # binomial: 2 of 8 after, p0 = 10/20
    assert r.p_value == pytest.approx(0.2890625)
    assert r.small_counts
    s = r.summary_sv
    assert "minskade antalet brott av typen rån från 6 till 2 (−67 %)" in s
    assert "Observera att antalen är små" in s
    assert "−0,25" in s
    assert "kan bero på slumpen (p = 0,29)" in s
    # not säkerställd: the WDQ and the net effect are what it would mean, never a result
    assert "men skillnaden kan bero på slumpen (p = 0,29) och är inte ett säkerställt resultat" in s
    assert "Om den vore verklig skulle den viktade förflyttningskvoten (WDQ) −0,25 betyda" in s
    assert "Sammantaget motsvarar" not in s and s.count("slumpen (p = 0,29)") == 1


def test_monthly_series_adds_up() -> None:
    r = followup(MEASURE, _tiny(), as_of="2024-04-30")
    m = r.monthly
    assert list(m.index) == list(pd.date_range("2023-12-01", "2024-04-01", freq="MS"))
    assert m.index.name == "month"
    assert list(m["area"]) == [0, 3, 3, 1, 1]
    assert list(m["period"]) == ["before", "before", "before", "after", "after"]
    assert m["area"].sum() == 8 and m["buffer"].sum() == 5 and m["control"].sum() == 20
    # index: 100 = the mean before month (6 / 3 months = 2)
    assert list(m["area_index"]) == [0.0, 150.0, 150.0, 50.0, 50.0]


def test_default_after_ends_at_last_incident_and_explicit_periods() -> None:
    r = followup(MEASURE, _tiny())
    assert r.after == (dt.date(2024, 3, 1), dt.date(2024, 4, 29))
    r2 = followup(MEASURE, _tiny(), before=("2024-01-01", "2024-01-31"),
                  after=("2024-03-01", "2024-03-31"))
    assert r2.counts.loc["area", "before"] == 3 and r2.counts.loc["area", "after"] == 1


def test_buffer_width_and_control_polygon() -> None:
    r = followup(MEASURE, _tiny(), as_of="2024-04-30", buffer_m=50)
    # the ring points are 100 m out: now control; the edge point stays in the buffer
    assert r.counts.loc["buffer"].tolist()[:2] == [1, 0]
    assert r.counts.loc["control"].tolist()[:2] == [11, 13]
    control = _lonlat_poly(X0 - 1000, Y0 - 1000, X0 + 1000, Y0 + 1000)  # excludes FAR
    rc = followup(MEASURE, _tiny(), as_of="2024-04-30", control=control)
    assert rc.counts.loc["control"].tolist()[:2] == [0, 0]
    assert rc.wdq.band == "undefined"
    assert "kan inte beräknas" in rc.summary_sv
    assert list(rc.zones["zone"]) == ["area", "buffer", "control"]
    assert rc.zones.crs.to_epsg() == 4326
    # the ring's area is the 250 m buffer minus the square, within 1 %
    ring_m2 = shapely.transform(rc.zones.geometry.iloc[1], lambda xy: np.column_stack(
        TO_SWEREF.transform(xy[:, 0], xy[:, 1]))).area
    expected = box(0, 0, 400, 400).buffer(250).area - 400 * 400
    assert ring_m2 == pytest.approx(expected, rel=0.01)


def test_all_precisions_and_lonlat_only_input() -> None:
    r = followup(MEASURE, _tiny(), as_of="2024-04-30", precisions=None)
    assert r.counts.loc["area", "after"] == 3  # the place-precision row counts now
    inc = _tiny().drop(columns=["easting", "northing"])
    r2 = followup(MEASURE, inc, as_of="2024-04-30")
    assert r2.counts.loc["area"].tolist()[:2] == [6, 2]


def test_followup_from_the_store(tmp_path: Path) -> None:
    with MeasureStore(tmp_path / "s.sqlite") as store:
        a = store.add_area(name="Torget", geometry=AREA)
        m = store.add_measure(area_id=a.id, title="Väktare", target_categories=["ran"],
                              start_date="2024-03-01")
        r = followup(m, _tiny(), store=store, as_of="2024-04-30")
        assert r.counts.loc["area"].tolist()[:2] == [6, 2]
        assert r.title == "Väktare" and "«Väktare» startade 1 mars 2024." in r.summary_sv
        r2 = followup(m, _tiny(), area=a, as_of="2024-04-30")
        assert r2.counts.equals(r.counts)
        with pytest.raises(InputError, match=r"area=store\.get_area"):
            followup(m, _tiny())
        nostart = store.add_measure(area_id=a.id, title="Utan start", target_categories=["ran"])
        with pytest.raises(ValidationError, match="no start date"):
            followup(nostart, _tiny(), store=store)


def test_followup_refusals() -> None:
    inc = _tiny()
    with pytest.raises(ValidationError, match="before the measure's start"):
        followup(MEASURE, inc, as_of="2024-01-01")
    with pytest.raises(ValidationError, match="buffer_m"):
        followup(MEASURE, inc, buffer_m=0)
    with pytest.raises(InputError, match="lack column"):
        followup(MEASURE, inc.drop(columns=["category"]))
    with pytest.raises(ValidationError, match="target_categories"):
        followup(MEASURE | {"target_categories": ["ufo"]}, inc)
    with pytest.raises(ValidationError, match="area"):
        followup(MEASURE | {"geometry": "POINT (17 59)"}, inc)
    with pytest.raises(ValidationError, match="before"):
        followup(MEASURE, inc, before=("2024-02-01", "2024-01-01"))
    with pytest.raises(InputError):
        followup("not a measure", inc)  # type: ignore[arg-type]


def test_naive_times_are_read_as_local() -> None:
    inc = _tiny()
    inc["occurred_at"] = inc["occurred_at"].dt.tz_localize(None)
    r = followup(MEASURE, inc, as_of="2024-04-30")
    assert r.counts.loc["area"].tolist()[:2] == [6, 2]


def test_no_change_and_increase_sentences() -> None:
    flat = _incidents([("2024-01-10", *IN, "ran", "point"), ("2024-03-10", *IN, "ran", "point"),
                       ("2024-01-10", *FAR, "ran", "point"), ("2024-03-10", *FAR, "ran",
                                                                "point")])
    r = followup(MEASURE, flat, as_of="2024-04-30")
    assert "var antalet brott av typen rån oförändrat (1 före och 1 efter)" in r.summary_sv
    up = _incidents([("2024-01-10", *IN, "ran", "point")]
                    + [("2024-03-10", *IN, "ran", "point")] * 3
                    + [("2024-01-10", *FAR, "ran", "point"), ("2024-03-10", *FAR, "ran",
                                                              "point")])
    r2 = followup(MEASURE, up, as_of="2024-04-30")
    assert "ökade antalet brott av typen rån från 1 till 3 (+200 %)" in r2.summary_sv
    assert "tolkas inte" in r2.summary_sv and r2.wdq.band == "no_success"


# ------------------------------------------------------------------ Exempelkommun


@pytest.fixture(scope="module")
def exempel(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample data, or (until it is committed) a fresh deterministic copy."""
    if (sample_dir / "truth.json").exists():
        return sample_dir
    from lagesbild_geo.sample import write_sample

    out = tmp_path_factory.mktemp("sample")
    write_sample(out)
    return out


@pytest.mark.slow
def test_followup_finds_the_planted_drop_in_exempelkommun(exempel: Path) -> None:
    import geopandas as gpd

    from lagesbild_geo.geocode import place_pending
    from lagesbild_geo.read import read_incidents

    truth = json.loads((exempel / "truth.json").read_text(encoding="utf-8"))["measure"]
    polis = read_incidents(exempel / "incidents_polis.xlsx")
    kommun = place_pending(read_incidents(exempel / "incidents_kommun.csv"), exempel / "gazetteer.csv")
    inc = pd.concat([polis.placed, kommun.placed], ignore_index=True)
    boundary = gpd.read_file(exempel / "kommun.geojson").geometry.iloc[0]
    # truth's windows are half-open [start, end): the last day is the day before
    b0, b1 = truth["windows"]["before"]
    a0, a1 = truth["windows"]["after"]
    day = dt.timedelta(days=1)
    r = followup(truth, inc, control=boundary,
                 before=(b0, dt.date.fromisoformat(b1) - day),
                 after=(a0, dt.date.fromisoformat(a1) - day))
    want = truth["counts"]
    # the area's counts are exactly the planted ones (every target row there is placed)
    assert r.counts.loc["area", "before"] == want["area"]["before"]
    assert r.counts.loc["area", "after"] == want["area"]["after"]
    # buffer and control lose a few rejected/ungeocoded rows: within 5 %
    for zone, key in (("buffer", "buffer_250m"), ("control", "comparison")):
        for period in ("before", "after"):
            assert r.counts.loc[zone, period] == pytest.approx(want[key][period], rel=0.05)
    # the drop is found: about the planted -60 % (noise allowed), far beyond the control's
    planted = truth["planted_effect"]["relative_change"]
    assert r.counts.loc["area", "change_pct"] / 100 == pytest.approx(planted, abs=0.1)
    assert r.p_value < 1e-6 and r.rate_ratio < 0.6
    assert r.wdq.success_measure < 0
    assert abs(r.wdq.wdq) < 0.5  # no displacement was planted
    assert r.wdq.total_net_effect > 50
    assert not r.small_counts
    assert "I området minskade antalet brott av typen skadegörelse och klotter, " \
           "ordningsstörning från" in r.summary_sv
    assert "för stor för att troligen bero på slumpen" in r.summary_sv
    # the default periods (after to the last incident, before of equal length) agree
    r2 = followup(truth, inc)
    assert r2.counts.loc["area", "after"] == want["area"]["after"]
    assert (r2.after[1] - r2.after[0]) == (r2.before[1] - r2.before[0])


def test_area_figures() -> None:
    import geopandas as gpd

    from lagesbild_geo.followup import area_figures

    inc = _tiny()
    f = area_figures(inc, AREA)
    # inside (point/address): 8 rån + 1 stöld; the place-precision row is left out
    assert f.loc["ran", "count"] == 8 and f.loc["stold", "count"] == 1
    assert f.loc["ran", "share_pct"] == pytest.approx(100 * 8 / 33)  # 33 placed rån in all
    assert f.loc["stold", "share_pct"] == 100.0
    assert list(f.index) == ["ran", "stold"] and f.loc["ran", "label"] == "Rån"
    assert f.attrs["area_km2"] == pytest.approx(0.16, rel=1e-6)
    assert f.loc["ran", "per_km2"] == pytest.approx(8 / 0.16, rel=1e-6)
    assert f.attrs["total"] == 9 and f.attrs["hot_cells"] is None

    class Bundle:  # quacks like a Lagesbild
        incidents = inc
        hotspots = gpd.GeoDataFrame(
            {"hotspot_class": ["hot_99", "none", "hot_90"]},
            geometry=[_lonlat_poly(X0 + 100, Y0 + 100, X0 + 150, Y0 + 150),
                      _lonlat_poly(X0 + 200, Y0 + 200, X0 + 250, Y0 + 250),
                      _lonlat_poly(X0 + 2000, Y0 + 2000, X0 + 2050, Y0 + 2050)],
            crs="EPSG:4326")

    assert area_figures(Bundle(), AREA).attrs["hot_cells"] == 1
    with pytest.raises(InputError):
        area_figures(pd.DataFrame({"x": [1]}), AREA)


def test_wdd_matches_the_published_worked_example() -> None:
    """Wheeler & Ratcliffe (2018), Crime Science 7:11: WDD -118, variance 1568,
    z -2.98, 95 % CI (-196, -40)."""
    from lagesbild_geo.followup import wdd

    r = wdd((207, 110), (308, 318), (178, 157), (150, 140))
    # local: (110-207) - (318-308) = -107; displacement: (157-178) - (140-150) = -11
    assert (r.local, r.displacement, r.total) == (-107.0, -11.0, -118.0)
    assert r.se == pytest.approx(math.sqrt(1568))
    assert round(r.z, 2) == -2.98
    assert (round(r.ci_low), round(r.ci_high)) == (-196, -40)
    assert r.p_value == pytest.approx(0.00288, abs=1e-4)
    # local only (ptools' own test: control flat 20 → 20, treated 20 → 10): -10
    assert wdd((20, 10), (20, 20)).total == -10.0
    with pytest.raises(ValidationError, match="treated"):
        wdd((1, -1), (1, 1))


_count = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=200, deadline=None)
@given(_count, _count, _count, _count, st.integers(1, 10_000), st.integers(1, 10_000))
def test_wdq_identities(rb: int, ra: int, db: int, da: int, cb: int, ca: int) -> None:
    r = wdq(rb, ra, db, da, cb, ca)
    # TNE = Ca * (-SM - DM): the net effect in area + buffer, scaled to the after control
    assert r.total_net_effect == pytest.approx(ca * (-r.success_measure
                                                     - r.displacement_measure), abs=1e-6)
    assert r.net_effect == pytest.approx(-r.success_measure)
    if r.success_measure != 0:
        assert r.wdq * r.success_measure == pytest.approx(r.displacement_measure, abs=1e-9)
    assert (r.band == "no_success") == (r.success_measure >= 0)
