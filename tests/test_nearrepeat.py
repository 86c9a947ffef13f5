"""Knox test, its Swedish reading, the HTML grid and near-repeat risk zones."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lagesbild_geo import crs, grid, nearrepeat
from lagesbild_geo.errors import CRSError, InputError, LagesbildError, SchemaError
from lagesbild_geo.nearrepeat import knox

DIST = [0, 1, 200, 400, 600]
DAYS = [0, 1, 4, 7, 14, 28]
DAY0 = pd.Timestamp("2025-01-01", tz="Europe/Stockholm")


def brute(x, y, t, d_edges, t_edges, metric):
    """Every pair's distance and time difference, then a table (the reference)."""
    n = len(x)
    i, j = np.triu_indices(n, 1)
    dx, dy = x[i] - x[j], y[i] - y[j]
    d = np.abs(dx) + np.abs(dy) if metric == "manhattan" else np.sqrt(dx * dx + dy * dy)
    dt = np.abs(t[i] - t[j])
    r = np.searchsorted(np.asarray(d_edges, float), d, side="right") - 1
    c = np.searchsorted(np.asarray(t_edges, float), dt, side="right") - 1
    out = np.zeros((len(d_edges), len(t_edges)), dtype=np.int64)
    np.add.at(out, (r, c), 1)
    return out


def poisson(n, seed, *, side=8000.0, days=365):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.uniform(0, side, n), "y": rng.uniform(0, side, n),
        "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, days, n), unit="D"),
    })


def planted(seed=0, n_base=400, n_follow=120):
    """Poisson events plus follow-ups 1–3 days later and < 150 m away from earlier ones."""
    rng = np.random.default_rng(seed)
    base = poisson(n_base, seed)
    src = rng.integers(0, n_base, n_follow)
    ang = rng.uniform(0, 2 * np.pi, n_follow)
    rad = rng.uniform(5, 100, n_follow)  # manhattan ≤ rad·√2 < 150 m
    follow = pd.DataFrame({
        "x": base["x"].to_numpy()[src] + rad * np.cos(ang),
        "y": base["y"].to_numpy()[src] + rad * np.sin(ang),
        "date": base["date"].to_numpy()[src] + pd.to_timedelta(rng.integers(1, 4, n_follow), unit="D"),
    })
    return pd.concat([base, follow], ignore_index=True)


# ---------------------------------------------------------------------------
# the observed table against brute force
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["manhattan", "euclidean"])
@pytest.mark.parametrize("whole", [True, False])
def test_observed_equals_brute_force(metric, whole):
    rng = np.random.default_rng(11 if whole else 12)
    n = 500
    # integer metres on a 20 m lattice: many distances fall exactly on an edge (200, 400, 600)
    x = rng.integers(0, 60, n) * 20.0
    y = rng.integers(0, 60, n) * 20.0
    x[:40] = x[40:80]  # same place
    y[:40] = y[40:80]
    if whole:
        days = rng.integers(0, 40, n)
        t = pd.Timestamp("2025-03-01") + pd.to_timedelta(days, unit="D")
        tv = days.astype(float)
    else:
        # whole hours: many differences fall exactly on 1, 4, 7, 14 or 28 days
        hours = rng.integers(0, 40 * 24, n)
        t = DAY0 + pd.to_timedelta(hours, unit="h")
        tv = hours.astype(float)  # compared in hours below: exact
    df = pd.DataFrame({"x": x, "y": y, "date": t})
    r = knox(df, distance_bands=DIST, time_bands=DAYS, metric=metric, permutations=9, seed=1)
    assert r.whole_days is whole
    ref = brute(x, y, tv, DIST, np.asarray(DAYS) * (1 if whole else 24), metric)
    np.testing.assert_array_equal(r.observed.to_numpy(), ref)
    assert r.observed.to_numpy().sum() == n * (n - 1) // 2 == r.n_pairs
    assert r.n_near_pairs == ref[:-1].sum()


def test_observed_equals_brute_force_random_floats_and_many_bands():
    rng = np.random.default_rng(5)
    n = 700
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    sec = rng.integers(0, 90 * 86400, n)
    df = pd.DataFrame({"x": x, "y": y, "date": DAY0 + pd.to_timedelta(sec, unit="s")})
    de = [0, 50, 100, 150, 250, 500]
    te = [0, 0.5, 1, 2, 3, 5, 8, 13, 21, 34]  # > 4 thresholds: the histogram route
    for metric in ("manhattan", "euclidean"):
        r = knox(df, distance_bands=de, time_bands=te, metric=metric, permutations=3, seed=0)
        ref = brute(x, y, sec.astype(float), de, np.asarray(te) * 86400, metric)  # in seconds: exact
        np.testing.assert_array_equal(r.observed.to_numpy(), ref)


def test_whole_days_versus_fractional_days():
    # 23:00 and 01:00 the next day: 2 hours apart, but on two calendar days
    t = pd.to_datetime(["2025-05-01 23:00", "2025-05-02 01:00"]).tz_localize("Europe/Stockholm")
    far = DAY0 + pd.to_timedelta(np.arange(10) * 100, unit="D")
    df = pd.DataFrame({"x": [0.0, 10.0, *(np.arange(10) * 5000.0 + 50000)],
                       "y": [0.0] * 12, "date": list(t) + list(far)})
    frac = knox(df, distance_bands=[0, 100], time_bands=[0, 1, 2], permutations=1, seed=0)
    whole = knox(df, distance_bands=[0, 100], time_bands=[0, 1, 2], permutations=1, seed=0,
                 whole_days=True)
    assert frac.whole_days is False and whole.whole_days is True
    assert frac.observed.iloc[0].tolist() == [1, 0, 0]
    assert whole.observed.iloc[0].tolist() == [0, 1, 0]
    assert list(frac.observed.columns) == ["0–1 dagar", "1–2 dagar", "2 dagar eller mer"]
    assert list(whole.observed.columns) == ["Samma dag", "1 dag", "2 dagar eller mer"]


def test_date_only_data_is_counted_in_whole_days_across_dst():
    # midnight local times across the spring DST change are 23 hours apart in UTC
    t = pd.to_datetime(["2025-03-29", "2025-03-30", "2025-03-31"]).tz_localize("Europe/Stockholm")
    df = pd.DataFrame({"x": np.r_[0.0, 1.0, 2.0, np.arange(10) * 1e4 + 1e5], "y": 0.0,
                       "date": list(t) + list((DAY0 + pd.to_timedelta(np.arange(10) * 50, unit="D")).normalize())})
    r = knox(df, distance_bands=[0, 10], time_bands=[0, 1, 2, 3], permutations=1, seed=0)
    assert r.whole_days
    assert r.observed.iloc[0].tolist() == [0, 2, 1, 0]


def test_numeric_times_are_days():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 2000, 200), rng.uniform(0, 2000, 200)
    d = rng.integers(0, 50, 200).astype(float)
    r = knox(pd.DataFrame({"x": x, "y": y, "date": d}), distance_bands=[0, 300], time_bands=[0, 7],
             permutations=2, seed=0)
    assert r.whole_days
    np.testing.assert_array_equal(r.observed.to_numpy(), brute(x, y, d, [0, 300], [0, 7], "manhattan"))


# ---------------------------------------------------------------------------
# permutations
# ---------------------------------------------------------------------------
def test_fixed_seed_reproduces_expected_and_p():
    df = poisson(300, 4)
    a = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=49, seed=123)
    b = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=49, seed=123)
    c = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=49, seed=124)
    pd.testing.assert_frame_equal(a.expected, b.expected)
    pd.testing.assert_frame_equal(a.p_value, b.p_value)
    np.testing.assert_array_equal(a.simulated, b.simulated)
    assert not np.array_equal(a.simulated, c.simulated)
    # seed=None draws a seed and reports it: the run can be repeated
    d = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=9)
    e = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=9, seed=d.seed)
    np.testing.assert_array_equal(d.simulated, e.simulated)


def test_permuted_tables_keep_both_margins_and_p_value_formula():
    df = poisson(400, 8, side=4000)
    r = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=39, seed=2)
    obs = r.observed.to_numpy()
    sims = r.simulated
    assert sims.shape == (39, *obs.shape)
    # distances and the set of time differences do not change when times are permuted
    np.testing.assert_array_equal(sims.sum(axis=2), np.broadcast_to(obs.sum(axis=1), (39, obs.shape[0])))
    np.testing.assert_array_equal(sims.sum(axis=1), np.broadcast_to(obs.sum(axis=0), (39, obs.shape[1])))
    np.testing.assert_allclose(r.expected.to_numpy(), sims.mean(axis=0))
    np.testing.assert_allclose(r.p_value.to_numpy(), ((sims >= obs).sum(axis=0) + 1) / 40)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_allclose(r.knox_ratio.to_numpy(), obs / sims.mean(axis=0))


def test_planted_near_repeats_are_found_in_the_right_band():
    r = knox(planted(), distance_bands=DIST, time_bands=DAYS, permutations=99, seed=7)
    cell = ("1–200 m", "1–3 dagar")
    assert r.observed.loc[cell] >= 120
    assert r.p_value.loc[cell] == pytest.approx(0.01)
    assert r.knox_ratio.loc[cell] > 5
    raised = r.raised()
    assert raised.loc[cell]
    # within the finite bands, only the planted distance band is raised (the 'and more'
    # bands take the complement of the excess: far × long has a little more than chance)
    # (16 other finite cells tested at 5 %: at most one chance finding here)
    finite = raised.iloc[:-1, :-1]
    assert finite.drop(index="1–200 m").to_numpy().sum() <= 1
    # the same day is above chance but not significant: the warning still covers days 1–3
    dur = nearrepeat.raised_durations(r)
    assert dur.loc["1–200 m", "days"] == 4.0
    assert r.summary[0].startswith("Inom 200 m och 1–3 dagar efter en händelse är det ")
    assert re.search(r"är det \d+,\d gånger så vanligt med en ny som om tid och plats vore "
                     r"oberoende \(p = 0,01\)\.$", r.summary[0])


def test_poisson_pattern_is_not_significant():
    r = knox(poisson(500, 21), distance_bands=[0, 200, 400], time_bands=[0, 1, 7, 14],
             permutations=99, seed=3)
    assert r.p_value.loc["0–200 m", "1–6 dagar"] > 0.05
    assert not r.raised().iloc[:2, :3].to_numpy().any()
    assert r.summary[0].startswith("Inget tydligt mönster av upprepning")


def test_false_positive_rate_is_about_alpha():
    hits = tests = 0
    for seed in range(30):
        r = knox(poisson(250, 100 + seed, side=5000), distance_bands=[0, 250, 500],
                 time_bands=[0, 3, 7, 14], permutations=99, seed=seed)
        p = r.p_value.to_numpy()[:2, :3]
        hits += int((p <= 0.05).sum())
        tests += p.size
    rate = hits / tests
    assert 0.01 <= rate <= 0.10, rate


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def test_geodataframe_in_wgs84_is_projected_to_sweref():
    df = poisson(200, 9, side=3000)
    e, n = df["x"].to_numpy() + 670000, df["y"].to_numpy() + 6570000
    lon, lat = crs.to_wgs84(e, n, 3006)
    gdf = gpd.GeoDataFrame({"date": df["date"]}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    a = knox(gdf, distance_bands=DIST, time_bands=DAYS, permutations=1, seed=0)
    b = knox(pd.DataFrame({"x": e, "y": n, "date": df["date"]}), distance_bands=DIST,
             time_bands=DAYS, permutations=1, seed=0)
    pd.testing.assert_frame_equal(a.observed, b.observed)


def test_lagesbild_incidents_work_as_they_are():
    df = planted(seed=1)
    n = len(df)
    inc = pd.DataFrame({
        "incident_id": [f"i{k}" for k in range(n + 3)],
        "occurred_at": list(pd.to_datetime(df["date"]).dt.tz_localize("Europe/Stockholm")
                            + pd.Timedelta(hours=10)) + [DAY0] * 3,
        "category": ["bostadsinbrott"] * (n - 10) + ["stold"] * 10 + ["bostadsinbrott"] * 3,
        "easting": np.r_[df["x"].to_numpy() + 600000, [650000.0] * 3],
        "northing": np.r_[df["y"].to_numpy() + 6500000, [6550000.0] * 3],
        "precision": ["point"] * n + ["area"] * 3,  # placed at a district's centre
    })
    r = knox(inc, category="bostadsinbrott", distance_bands=DIST, time_bands=DAYS, permutations=19,
             seed=0)
    assert r.n_events == n - 10
    assert r.dropped == {"annan kategori": 10, "annan precision": 3}
    assert r.category == "bostadsinbrott"
    assert r.whole_days is False
    assert "efter ett bostadsinbrott" in r.summary[0] and "med ett nytt" in r.summary[0]


def test_missing_times_and_positions_are_dropped_with_a_warning_or_refused():
    df = poisson(100, 2)
    df.loc[3, "date"] = pd.NaT
    df.loc[5, "x"] = np.nan
    df.loc[6, ["x", "date"]] = [np.nan, pd.NaT]
    with pytest.warns(UserWarning, match=r"2 events without a position and 1 without a time"):
        r = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=1, seed=0)
    assert r.n_events == 97
    assert r.dropped == {"utan position": 2, "utan tid": 1}
    with pytest.raises(InputError, match=r"first: row 3.*missing='drop'"):
        knox(df, distance_bands=DIST, time_bands=DAYS, missing="raise")


@pytest.mark.parametrize("bands, match", [
    ([0, 400, 200], r"increase strictly \(400 is followed by 200\)"),
    ([10, 200], r"first edge must be 0"),
    ([-5, 0, 200], r"first edge must be 0"),
    ([0], r"at least two edges"),
    ([0, float("inf")], r"finite"),
    ("200", r"must be a list of band edges in metres"),
])
def test_bad_bands_are_refused_with_the_fix(bands, match):
    with pytest.raises(InputError, match=match) as err:
        knox(poisson(50, 1), distance_bands=bands, time_bands=[0, 7])
    assert "[0, 1, 200, 400, 600]" in str(err.value)
    with pytest.raises(InputError, match="time_bands"):
        knox(poisson(50, 1), distance_bands=[0, 200], time_bands=[0, 14, 7])


def test_other_bad_inputs():
    df = poisson(50, 1)
    with pytest.raises(InputError, match="at least 10 are needed"):
        knox(df.iloc[:9], distance_bands=[0, 200], time_bands=[0, 7])
    with pytest.raises(InputError, match="metric must be"):
        knox(df, distance_bands=[0, 200], time_bands=[0, 7], metric="network")
    with pytest.raises(InputError, match="permutations must be"):
        knox(df, distance_bands=[0, 200], time_bands=[0, 7], permutations=0)
    deg = pd.DataFrame({"x": np.linspace(17.0, 17.2, 20), "y": np.linspace(59.0, 59.1, 20),
                        "date": pd.Timestamp("2025-01-01")})
    with pytest.raises(CRSError, match="look like degrees"):
        knox(deg, distance_bands=[0, 200], time_bands=[0, 7])
    with pytest.raises(SchemaError, match="no time column 'when'"):
        knox(df, time="when", distance_bands=[0, 200], time_bands=[0, 7])
    with pytest.raises(SchemaError, match="no coordinates"):
        knox(df.drop(columns="x"), distance_bands=[0, 200], time_bands=[0, 7])
    bad = df.assign(date=df["date"].astype(str))
    bad.loc[4, "date"] = "igår"
    with pytest.raises(InputError, match=r"1 values in time column 'date' are not dates.*'igår'"):
        knox(bad, distance_bands=[0, 200], time_bands=[0, 7])
    with pytest.raises(LagesbildError):
        knox(df.assign(x=df["x"].astype(str).where(df.index != 2, "tre")),
             distance_bands=[0, 200], time_bands=[0, 7])
    with pytest.raises(InputError, match="Unknown category"):
        knox(df.assign(category="vald"), category="inbrott", distance_bands=[0, 200], time_bands=[0, 7])


def test_text_times_are_parsed():
    df = poisson(60, 3)
    a = knox(df, distance_bands=DIST, time_bands=DAYS, permutations=1, seed=0)
    b = knox(df.assign(date=df["date"].dt.strftime("%Y-%m-%d")), distance_bands=DIST,
             time_bands=DAYS, permutations=1, seed=0)
    pd.testing.assert_frame_equal(a.observed, b.observed)


# ---------------------------------------------------------------------------
# labels and the NRC offset
# ---------------------------------------------------------------------------
def test_band_labels():
    assert nearrepeat.distance_labels([0, 1, 200, 400, 600]) == [
        "Samma plats (< 1 m)", "1–200 m", "200–400 m", "400–600 m", "600 m eller mer"]
    assert nearrepeat.distance_labels([0, 500, 1500]) == ["0–500 m", "500–1\u00a0500 m", "1\u00a0500 m eller mer"]
    assert nearrepeat.time_labels([0, 1, 2, 7, 14], whole_days=True) == [
        "Samma dag", "1 dag", "2–6 dagar", "7–13 dagar", "14 dagar eller mer"]
    assert nearrepeat.time_labels([0, 0.5, 7], whole_days=False) == [
        "0–0,5 dagar", "0,5–7 dagar", "7 dagar eller mer"]


def test_nrc_pathological_example_lands_in_the_band_its_distances_say():
    """The NearRepeat vignette's two events, 100 m and 3 days apart: NRC files the pair under
    '4 to 6' days (and '101 to 200' m with 100 m bands); with half-open bands it is [3, 6) days."""
    pair = pd.DataFrame({"x": [0.0, 0.0], "y": [0.0, 100.0],
                         "date": pd.to_datetime(["2019-01-01", "2019-01-04"])})
    filler = pd.DataFrame({"x": np.arange(10) * 1e4 + 1e5, "y": 0.0,
                           "date": pd.Timestamp("2018-01-01") + pd.to_timedelta(np.arange(10) * 30, unit="D")})
    r = knox(pd.concat([pair, filler]), distance_bands=[0, 1, 200, 400], time_bands=[0, 3, 6],
             permutations=1, seed=0)
    assert r.observed.loc["1–200 m", "3–5 dagar"] == 1
    r2 = knox(pd.concat([pair, filler]), distance_bands=[0, 1, 100, 200], time_bands=[0, 3, 6],
              permutations=1, seed=0)
    assert r2.observed.loc["100–200 m", "3–5 dagar"] == 1  # NRC: '101 to 200'


# ---------------------------------------------------------------------------
# summary and HTML
# ---------------------------------------------------------------------------
def test_summary_text_of_a_known_table():
    r = nearrepeat._example_result()
    assert r.summary[0] == ("Inom 200 m och 7 dagar efter ett bostadsinbrott är det 3,0 gånger så "
                            "vanligt med ett nytt som om tid och plats vore oberoende (p = 0,01).")
    assert r.summary[1] == ("Nära upprepning: inom 200 m från ett bostadsinbrott är risken för ett "
                            "nytt förhöjd i 7 dagar (händelsedagen och 6 dagar efter).")
    assert r.summary[-1].startswith("Knoxtest på 430 händelser (92\u00a0235 par, fågelvägen) med 99 ")
    assert "minsta möjliga p-värde är 0,010" in r.summary[-1]


def test_knox_html_is_a_coloured_escaped_grid():
    r = nearrepeat._example_result()
    h = nearrepeat.knox_html(r)
    assert h.count("<tr>") == 1 + 4  # header + 4 distance bands
    assert h.count("<td ") == 4 * 3
    assert 'background:#b2182b;color:#ffffff">3,0</td>' in h  # ratio 3, p = 0,01
    assert "<li>Inom 200 m och 7 dagar efter ett bostadsinbrott" in h
    assert nearrepeat.knox_html(r, value="observed").count(">300</td>") == 1
    evil = nearrepeat.knox_html(r, caption="<script>alert(1)</script>")
    assert "<script>" not in evil and "&lt;script&gt;" in evil
    with pytest.raises(InputError):
        nearrepeat.knox_html(r, value="z")


# ---------------------------------------------------------------------------
# risk zones
# ---------------------------------------------------------------------------
def _recent(category="bostadsinbrott"):
    return pd.DataFrame({
        "incident_id": ["a", "b", "c", "old"],
        "easting": [674000.0, 674030.0, 676000.0, 680000.0],
        "northing": [6580000.0, 6580020.0, 6581000.0, 6590000.0],
        "occurred_at": pd.to_datetime(["2025-12-01 21:30", "2025-12-03 08:00", "2025-12-04 12:00",
                                       "2025-10-01 10:00"]).tz_localize("Europe/Stockholm"),
        "category": category, "precision": "point",
    })


def test_raised_durations_and_nested_zone_rule():
    r = nearrepeat._example_result()
    d = nearrepeat.raised_durations(r)
    assert d["days"].tolist() == [0.0, 7.0, 0.0]
    # a made-up table: [1,200) raised 14 days, [200,400) 7 days
    p = r.p_value.copy()
    p.iloc[1, :2] = 0.01
    p.iloc[2, 0] = 0.02
    ratio = r.knox_ratio.copy()
    ratio.iloc[1, :2] = 2.0
    ratio.iloc[2, 0] = 1.3
    r2 = nearrepeat.KnoxResult(**{**r.__dict__, "p_value": p, "knox_ratio": ratio, "summary": []})
    assert nearrepeat.raised_durations(r2)["days"].tolist() == [0.0, 14.0, 7.0]
    assert nearrepeat._discs(r2, 0.05) == [(200.0, 14.0, 2.0, 0.01), (400.0, 7.0, 1.3, 0.02)]
    z = nearrepeat.risk_zones(_recent().iloc[:1], r2, exact=True)
    assert z["text_sv"].tolist() == [
        "Förhöjd risk för bostadsinbrott till och med 14 december inom 200 m",
        "Förhöjd risk för bostadsinbrott till och med 7 december inom 400 m"]


def test_risk_zones_default_generalises_to_h3_cells():
    r = nearrepeat._example_result()  # euclidean, raised within 200 m for 7 days
    inc = _recent()
    z = nearrepeat.risk_zones(inc, r)
    assert z.crs.to_epsg() == 4326
    assert z.attrs["risk_zones"]["since"] == "2025-11-28"  # zones running on the last event's day
    assert z["incident_id"].isna().all()
    # a and b share a res-9 cell: one zone, the latest end date; c has its own
    assert z["n_events"].tolist() == [1, 2]
    assert z["end_date"].astype(str).tolist() == ["2025-12-10", "2025-12-09"]
    assert z["start_date"].astype(str).tolist() == ["2025-12-04", "2025-12-01"]
    assert z["text_sv"].tolist() == ["Förhöjd risk för bostadsinbrott till och med 10 december inom 200 m",
                                     "Förhöjd risk för bostadsinbrott till och med 9 december inom 200 m"]
    lon, lat = crs.to_wgs84(inc["easting"], inc["northing"], 3006)
    cells = grid.points_to_cells(lat, lon, 9)
    assert z["cell"].tolist() == grid.cells_to_str(cells[[2, 0]])
    zm = z.to_crs(3006)
    for k, ev in ((1, 0), (1, 1), (0, 2)):
        e, n = inc["easting"].iloc[ev], inc["northing"].iloc[ev]
        g = zm.geometry.iloc[k]
        # covers the whole true 200 m zone ...
        ring = shapely.points(e + 199.9 * np.cos(np.linspace(0, 6.28, 64)),
                              n + 199.9 * np.sin(np.linspace(0, 6.28, 64)))
        assert shapely.contains(g, ring).all()
        # ... but is not centred on the event: its centre is the cell's
        c = g.centroid
        assert np.hypot(c.x - e, c.y - n) > 1.0
        hexagon = grid.cells_to_polygons(cells[[ev]]).to_crs(3006).iloc[0]
        assert c.distance(hexagon.centroid) < 1.0


def test_risk_zones_exact_and_shapes():
    r = nearrepeat._example_result()
    inc = _recent()
    z = nearrepeat.risk_zones(inc, r, exact=True, since="2025-12-01")
    assert z["incident_id"].tolist() == ["c", "b", "a"]
    assert z["end_date"].astype(str).tolist() == ["2025-12-10", "2025-12-09", "2025-12-07"]
    g = z.to_crs(3006).geometry
    assert g.iloc[2].centroid.distance(shapely.Point(674000, 6580000)) < 0.01
    assert g.iloc[2].area == pytest.approx(np.pi * 200**2, rel=0.01)  # a circle for euclidean
    rm = nearrepeat.KnoxResult(**{**r.__dict__, "metric": "manhattan", "summary": []})
    zm = nearrepeat.risk_zones(inc, rm, exact=True, since="2025-12-01").to_crs(3006)
    assert zm.geometry.iloc[2].area == pytest.approx(2 * 200**2, rel=1e-6)  # a diamond
    assert zm.geometry.iloc[2].contains(shapely.Point(674000 + 199, 6580000))
    assert not zm.geometry.iloc[2].contains(shapely.Point(674000 + 110, 6580000 + 110))
    # the generalised manhattan zone is the hexagon grown by the diamond: covers the true one
    gz = nearrepeat.risk_zones(inc.iloc[:1], rm).to_crs(3006).geometry.iloc[0]
    assert gz.contains(zm.geometry.iloc[2])


def test_risk_zones_only_for_the_tested_category_and_empty_cases():
    r = nearrepeat._example_result()
    assert nearrepeat.risk_zones(_recent("stold"), r).empty
    none_raised = nearrepeat.KnoxResult(**{**r.__dict__, "p_value": r.p_value * 0 + 0.5, "summary": []})
    z = nearrepeat.risk_zones(_recent(), none_raised)
    assert z.empty and "text_sv" in z.columns
    assert nearrepeat.risk_zones(_recent(), r, since="2026-01-01").empty
    with pytest.raises(InputError, match="not a date"):
        nearrepeat.risk_zones(_recent(), r, since="snart")


def test_risk_zones_from_a_real_run_end_to_end():
    df = planted(seed=3)
    inc = pd.DataFrame({"easting": df["x"] + 600000, "northing": df["y"] + 6500000,
                        "occurred_at": pd.to_datetime(df["date"]).dt.tz_localize("Europe/Stockholm"),
                        "category": "bostadsinbrott"})
    r = knox(inc, distance_bands=DIST, time_bands=DAYS, permutations=99, seed=1)
    z = nearrepeat.risk_zones(inc, r)
    assert len(z) > 0
    assert z["radius_m"].max() >= 200
    assert all(t.startswith("Förhöjd risk för bostadsinbrott till och med ") for t in z["text_sv"])
    last = inc["occurred_at"].max().date()
    assert (z["end_date"] >= last).all()


def test_too_many_near_pairs_are_refused_before_memory_runs_out(monkeypatch):
    # 300 events on 3 positions (as rows placed at a district's centre would be)
    df = pd.DataFrame({"x": np.repeat([0.0, 500.0, 5000.0], 100), "y": 0.0,
                       "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(300) % 50, unit="D")})
    monkeypatch.setattr(nearrepeat, "MAX_NEAR_PAIRS", 10_000)
    with pytest.raises(InputError, match=r"more than 10,000 pairs.*only 3 distinct positions"):
        knox(df, distance_bands=[0, 1, 1000], time_bands=[0, 7])
    monkeypatch.setattr(nearrepeat, "MAX_NEAR_PAIRS", 100_000)
    r = knox(df, distance_bands=[0, 1, 1000], time_bands=[0, 7], permutations=5, seed=0)
    assert r.n_near_pairs == 3 * 4950 + 100 * 100


def test_area_rows_only_get_a_clear_message():
    df = poisson(40, 1).assign(precision="area")
    with pytest.raises(InputError, match=r"only 0 events.*precision 'place'/'area'"):
        knox(df, distance_bands=[0, 200], time_bands=[0, 7])
    r = knox(df, distance_bands=[0, 200], time_bands=[0, 7], precisions=None, permutations=1, seed=0)
    assert r.n_events == 40


def test_short_data_with_long_many_bands():
    # 20 days of minute times (int16) against many bands up to 45 days (a threshold above int16)
    rng = np.random.default_rng(9)
    n = 300
    x, y = rng.uniform(0, 2000, n), rng.uniform(0, 2000, n)
    minutes = rng.integers(0, 20 * 1440, n)
    df = pd.DataFrame({"x": x, "y": y, "date": DAY0 + pd.to_timedelta(minutes, unit="min")})
    te = [0, 1, 2, 5, 10, 30, 45]
    r = knox(df, distance_bands=[0, 300, 600], time_bands=te, permutations=3, seed=0)
    ref = brute(x, y, minutes.astype(float), [0, 300, 600], np.asarray(te) * 1440, "manhattan")
    np.testing.assert_array_equal(r.observed.to_numpy(), ref)
    assert r.observed.iloc[:, -2:].to_numpy().sum() == 0
