"""Emerging hot spots: Mann–Kendall (ties), the class rules and their order, space-time Gi*
against a brute-force reference, end to end on synthetic data and Exempelkommun."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats
from shapely.geometry import shape

from lagesbild_geo import grid, hotspots, read
from lagesbild_geo.emerging import (
    EMERGING_CLASSES,
    EMERGING_LABELS_SV,
    EMERGING_RULE_ORDER,
    TIE_RTOL,
    _classify,
    classify_series,
    gistar_spacetime,
    mann_kendall,
    need_periods,
)
from lagesbild_geo.errors import InputError
from lagesbild_geo.geocode import place_pending

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




def test_mann_kendall_ties_within_a_relative_tolerance():
    # Flat up to rounding (Gi* z-scores equal in theory): one tie group, S = 0 exactly.
    flat = 2.5 + np.array([0, 1, -1, 2, -2, 1, 0, -1, 3, -3]) * 4.4e-16
    assert len(set(flat.tolist())) > 1  # the values really differ in the last digits
    mk = mann_kendall([flat, flat[::-1]])
    assert mk["mk_s"].tolist() == [0.0, 0.0]
    assert mk["mk_var"].tolist() == [0.0, 0.0] and mk["mk_p"].tolist() == [1.0, 1.0]
    # Near-ties give exactly what the exact ties give.
    exact = mann_kendall([[1, 2, 2, 3, 3, 0.5]])
    near = mann_kendall([[1, 2 + 1e-12, 2, 3, 3 - 3e-12, 0.5]])
    pd.testing.assert_frame_equal(near, exact)
    # |a - b| <= 1e-9 * max(1, |a|, |b|): relative above 1, absolute below.
    assert TIE_RTOL == 1e-9

    def s(a, b):
        return float(mann_kendall([[a, b]])["mk_s"].iloc[0])

    assert s(1e6, 1e6 * (1 + 5e-10)) == 0 and s(1e6, 1e6 * (1 + 2e-9)) == 1
    assert s(1e-3, 1e-3 + 5e-10) == 0 and s(1e-3, 1e-3 + 2e-9) == 1
    assert s(-7.0, -7.0 - 6e-9) == 0 and s(-7.0, -7.0 - 8e-9) == -1


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




# The issue's reproduction: cold in periods 1-9, hot in 10 came out historical_cold.
def test_hot_classes_take_precedence_over_cold():
    hot = np.array([[False] * 9 + [True]])
    cold = np.array([[True] * 9 + [False]])
    assert _classify(hot, cold, np.array([0]), 0.9).tolist() == ["new_hot"]
    # Hot in 1-9 and cold in the last: historical_hot (new_cold would apply too).
    assert _classify(cold, hot, np.array([0]), 0.9).tolist() == ["historical_hot"]
    # The declared order: every hot class before every cold class, no_pattern last.
    order = list(EMERGING_RULE_ORDER)
    assert order[-1] == "no_pattern" and set(order) == set(EMERGING_CLASSES)
    assert max(order.index(c) for c in order if c.endswith("_hot")) < min(
        order.index(c) for c in order if c.endswith("_cold"))


@pytest.mark.parametrize(("pattern", "trend", "expected"), [
    # hot in 9 of 10 but not the last: historical, not persistent (whatever the trend)
    ("HHHHHHHHH.", 0, "historical_hot"),
    ("HHHHHHHHH.", -1, "historical_hot"),
    # hot only in the last period after earlier cold ones: new, not oscillating
    ("CCCCCCCCCH", 0, "new_hot"),
    ("C.C.C....H", 0, "new_hot"),
    # a final run after earlier cold periods: consecutive, not oscillating
    ("CCC.....HH", 0, "consecutive_hot"),
    # hot again after a hot period and a cold one: oscillating
    ("H..C.....H", 0, "oscillating_hot"),
    # cold classes only where no hot class applies
    ("H........C", 0, "new_cold"),
    ("HHHHHHHHHC", 0, "historical_hot"),
    (".CCCCCCCCC", 0, "persistent_cold"),
])
def test_ambiguous_wordings(pattern, trend, expected):
    hot, cold = _flags(pattern)
    assert _classify(hot, cold, np.array([trend]), 0.9)[0] == expected


def _reference_class(pattern: str, trend: int, need: int) -> str:
    """The rules as ArcGIS words them, one cell at a time, in EMERGING_RULE_ORDER."""
    for sfx, me, other, up in (("hot", "H", "C", 1), ("cold", "C", "H", -1)):
        flags = [c == me for c in pattern]
        n, last, most = sum(flags), flags[-1], sum(flags) >= need
        run = len(pattern) - len("".join("x" if f else "." for f in flags).rstrip("x"))
        other_before = other in pattern[:-1]
        if last and not most and n == 1:
            return f"new_{sfx}"
        if last and not most and n >= 2 and run == n:
            return f"consecutive_{sfx}"
        if last and most:
            return {up: f"intensifying_{sfx}", 0: f"persistent_{sfx}", -up: f"diminishing_{sfx}"}[trend]
        if last and not other_before:
            return f"sporadic_{sfx}"
        if last:
            return f"oscillating_{sfx}"
        if most:
            return f"historical_{sfx}"
    return "no_pattern"


@pytest.mark.parametrize("share", [0.9, 0.5, 0.3])
def test_vectorised_rules_equal_the_reference_on_every_pattern(share):
    patterns = ["".join(p) for p in itertools.product("HC.", repeat=6)]
    for trend in (-1, 0, 1):
        hot = np.array([[c == "H" for c in p] for p in patterns])
        cold = np.array([[c == "C" for c in p] for p in patterns])
        got = _classify(hot, cold, np.full(len(patterns), trend), share)
        need = need_periods(share, 6)
        want = [_reference_class(p, trend, need) for p in patterns]
        bad = [(p, g, w) for p, g, w in zip(patterns, got, want, strict=True) if g != w]
        assert not bad, bad[:5]


def test_need_periods_is_what_the_classifier_uses():
    assert [need_periods(0.9, t) for t in (1, 8, 9, 10, 11, 20, 24, 30)] == [1, 8, 9, 9, 10, 18, 22, 27]
    assert need_periods(0.7, 10) == 7 and need_periods(0.875, 8) == 7 and need_periods(1.0, 12) == 12
    assert 0.28 * 25 > 7 and need_periods(0.28, 25) == 7  # rounding noise is not a period more
    for share in (0.1, 0.28, 0.5, 0.7, 0.875, 0.9, 1.0):
        for t in range(1, 41):
            need = need_periods(share, t)
            exactly = "." * (t - need) + "H" * need
            hot, cold = _flags(exactly)
            assert _classify(hot, cold, np.array([0]), share)[0] == "persistent_hot", (share, t)
            if need >= 2:
                hot, cold = _flags("." * (t - need + 1) + "H" * (need - 1))
                fewer = "new_hot" if need == 2 else "consecutive_hot"
                assert _classify(hot, cold, np.array([0]), share)[0] == fewer, (share, t)


# ---------------------------------------------------------------- classify_series
def test_classify_series_issue_examples():
    z = np.array([[-3.0] * 9 + [3.0], [3.0] * 9 + [0.4]])
    out = classify_series(z, np.abs(z) > 1.96)
    assert out["emerging_class"].tolist() == ["new_hot", "historical_hot"]
    assert list(out.columns) == ["emerging_class", "mk_s", "mk_z", "mk_p", "mk_tau", "trend"]
    assert out.index.equals(pd.RangeIndex(2))


def test_classify_series_planted_series():
    t = np.arange(12, dtype=float)
    wobble = np.array([0.3, -0.2, 0.1, -0.3, 0.2, -0.1] * 2)
    z = pd.DataFrame(
        [3 + t + wobble,           # hot throughout, rising: intensifying
         14 - t + wobble,          # hot throughout, falling: diminishing
         4 + wobble,               # hot throughout, no trend: persistent
         -4 + wobble,              # cold throughout, no trend: persistent_cold
         -3 - t + wobble,          # ever colder: intensifying_cold
         -14 + t + wobble,         # less and less cold: diminishing_cold
         np.r_[[0.5] * 9, [4.0, 5.0, 6.0]],  # a final run of three: consecutive
         np.r_[[0.1] * 11, [np.nan]]],       # nothing (a NaN counts as 0)
        index=pd.Index(["a", "b", "c", "d", "e", "f", "g", "h"], name="cell"),
        columns=[f"2024-{m:02d}" for m in range(1, 13)])
    out = classify_series(z, z.abs() > 2.5)
    assert out["emerging_class"].tolist() == [
        "intensifying_hot", "diminishing_hot", "persistent_hot", "persistent_cold",
        "intensifying_cold", "diminishing_cold", "consecutive_hot", "no_pattern"]
    assert out.index.equals(z.index)
    assert out["trend"].tolist() == ["up", "down", "none", "none", "down", "up", "up", "none"]
    assert out.loc["a", "mk_s"] == 12 * 11 / 2 and out.loc["a", "mk_tau"] == 1.0
    pd.testing.assert_series_equal(out["mk_z"], pd.Series(mann_kendall(z)["mk_z"].to_numpy(),
                                                          index=z.index, name="mk_z"))
    assert str(out["emerging_class"].dtype) == "string" and str(out["trend"].dtype) == "string"
    # one cell as a 1-D array; 0/1 as significance
    one = classify_series(z.loc["c"].to_numpy(), np.ones(12, dtype=int))
    assert one["emerging_class"].tolist() == ["persistent_hot"]


def test_classify_series_refuses_bad_input():
    z = pd.DataFrame(np.ones((3, 4)))
    with pytest.raises(InputError, match="same shape"):
        classify_series(z, np.ones((3, 5), bool))
    with pytest.raises(InputError, match="different row or column labels"):
        classify_series(z, pd.DataFrame(np.ones((3, 4), bool), index=[5, 6, 7]))
    with pytest.raises(InputError, match="True/False"):
        classify_series(z, np.full((3, 4), np.nan))
    with pytest.raises(InputError, match="True/False"):
        classify_series(z, np.full((3, 4), 2))
    with pytest.raises(InputError, match="share"):
        classify_series(z, z > 0, share=0)
    with pytest.raises(InputError, match="trend_alpha"):
        classify_series(z, z > 0, trend_alpha=1.0)
    with pytest.raises(InputError, match="numbers"):
        classify_series(z.astype(str).replace("1.0", "x"), z > 0)


# ---------------------------------------------------------------- space-time Gi*
def _brute_gistar(Y: np.ndarray, A: np.ndarray, k: int, window: str) -> np.ndarray:
    """Space-time Gi* with explicit loops over bins, neighbours and previous periods."""
    n_cells, n_per = Y.shape
    Z = np.full(Y.shape, np.nan)
    for i in range(n_cells):
        for t in range(n_per):
            lag = wsum = 0.0
            for j in range(n_cells):
                for s in range(max(0, t - k), t + 1):
                    if A[i, j]:
                        lag += Y[j, s]
                        wsum += 1
            if window == "cube":
                vals = [Y[a, b] for a in range(n_cells) for b in range(n_per)]
            elif window == "period":
                vals = [Y[a, t] for a in range(n_cells)]
            else:
                vals = [Y[a, b] for a in range(n_cells) for b in range(max(0, t - k), t + 1)]
            n = len(vals)
            mean = sum(vals) / n
            sd = max(sum(v * v for v in vals) / n - mean * mean, 0.0) ** 0.5
            den = sd * (max(n * wsum - wsum * wsum, 0.0) / (n - 1)) ** 0.5
            if den > 0:
                Z[i, t] = (lag - mean * wsum) / den
    return Z


def _small_cube(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 14
    A = np.triu(rng.random((n, n)) < 0.3, 1)
    A = (A | A.T | np.eye(n, dtype=bool)).astype(float)
    Y = rng.poisson(1.0, (n, 7)).astype(float)
    Y[2, 3:] += [4, 7, 9, 12]  # something emerging
    Y[5] += 5  # something persistent
    return Y, A


@pytest.mark.parametrize("window", ["cube", "neighbourhood", "period"])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 9])
def test_gistar_spacetime_equals_brute_force(window, k):
    Y, A = _small_cube()
    z, p = gistar_spacetime(Y, sparse.csr_matrix(A), time_step=k, global_window=window)
    ref = _brute_gistar(Y, A, k, window)
    np.testing.assert_allclose(z, ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(p, 2 * stats.norm.sf(np.abs(ref)), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_cube_window_is_gistar_on_the_kronecker_weights(k):
    Y, A = _small_cube(4)
    n_per = Y.shape[1]
    band = np.array([[1.0 if 0 <= t - s <= k else 0.0 for s in range(n_per)] for t in range(n_per)])
    w_st = sparse.kron(sparse.csr_matrix(A), sparse.csr_matrix(band), format="csr")  # cell-major
    z_ref, _ = hotspots.gistar_arrays(Y.ravel(), w_st)
    z, _ = gistar_spacetime(Y, sparse.csr_matrix(A), time_step=k, global_window="cube")
    np.testing.assert_allclose(z, z_ref.reshape(Y.shape), rtol=0, atol=1e-12)


def test_time_step_0_is_gistar_per_period_bit_for_bit():
    Y, A = _small_cube(5)
    Y[:, 4] = 0.0  # an empty period: NaN throughout
    z, p = gistar_spacetime(Y, sparse.csr_matrix(A), time_step=0)
    z_ref, p_ref = hotspots.gistar_arrays(Y, sparse.csr_matrix(A))
    assert np.array_equal(z, z_ref, equal_nan=True) and np.array_equal(p, p_ref, equal_nan=True)
    assert np.isnan(z[:, 4]).all()


def test_gistar_spacetime_refuses_bad_options():
    Y, A = _small_cube()
    w = sparse.csr_matrix(A)
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(InputError, match="time_step"):
            gistar_spacetime(Y, w, time_step=bad)
    with pytest.raises(InputError, match="global_window"):
        gistar_spacetime(Y, w, global_window="entire_cube")
    with pytest.raises(InputError, match="must match"):
        gistar_spacetime(Y[:5], w)


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


QUARTERS = [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]


@pytest.mark.parametrize("time_step", [0, 1, 2])
def test_emerging_finds_persistent_and_emerging_plants(time_step):
    df = _synthetic()
    e = hotspots.emerging(df, period="quarter", time_step=time_step)
    assert e.attrs["periods"] == QUARTERS[time_step:]
    meta = e.attrs["emerging"]
    assert meta["history_periods"] == QUARTERS[:time_step]
    assert (meta["rings"], meta["time_step"]) == (1, time_step)
    assert meta["global_window"] == ("period" if time_step == 0 else "cube")
    assert meta["need_hot_periods"] == need_periods(0.9, 8 - time_step)
    assert (e["n_periods"] == 8 - time_step).all()
    pers = grid.points_to_cells([59.36], [17.04], 9)[0]
    emer = grid.points_to_cells([59.41], [17.17], 9)[0]
    assert e.loc[pers, "emerging_class"] == "persistent_hot" and e.loc[pers, "n_hot"] == 8 - time_step
    assert e.loc[emer, "emerging_class"] == "consecutive_hot" and e.loc[emer, "n_hot"] == 4
    assert e["count"].sum() == len(df)  # the history periods are counted too
    assert set(e["emerging_class"].unique()) <= set(EMERGING_CLASSES)
    # background far from the plants: no hot classes beyond the FDR rate
    hot = e["emerging_class"].str.endswith("_hot")
    near = grid.disk_cells(np.array([pers, emer], dtype=np.uint64), 2)
    assert hot[~e.index.isin(near)].mean() < 0.05
    assert e.crs.to_epsg() == 4326 and e.index.name == "cell"


def test_emerging_time_step_0_reproduces_the_spatial_only_analysis():
    """time_step=0 is Gi* per period (hotspots.gistar_cube), bit for bit, then classify_series."""
    df = _synthetic(2)
    e = hotspots.emerging(df, period="quarter", time_step=0)
    cube = grid.count_cells(df, period="quarter", fill=True, rings=1)
    gi = hotspots.gistar_cube(cube, rings=1, correction="fdr")
    z = gi["gi_z"].unstack("period")
    padj = gi["gi_p_adj"].unstack("period")
    assert list(z.columns) == QUARTERS and z.index.equals(e.index)
    assert np.array_equal(e["last_gi_z"], z[QUARTERS[-1]], equal_nan=True)
    assert np.array_equal(e["last_gi_bin"], gi["gi_bin"].unstack("period")[QUARTERS[-1]])
    ref = classify_series(z, padj < 0.05)
    for col in ("emerging_class", "mk_s", "mk_z", "mk_p", "mk_tau", "trend"):
        assert np.array_equal(e[col].to_numpy(), ref[col].to_numpy()), col
    assert np.array_equal(e["n_hot"], ((padj < 0.05) & (z > 0)).sum(axis=1))


def test_emerging_space_time_gistar_equals_brute_force_on_h3_cells():
    rng = np.random.default_rng(7)
    n = 160
    lat = np.r_[rng.normal(59.40, 0.002, n), rng.normal(59.405, 0.0006, 40)]
    lon = np.r_[rng.normal(17.10, 0.004, n), rng.normal(17.105, 0.0012, 40)]
    months = rng.integers(0, 6, lat.size)
    months[n:] = rng.integers(3, 6, 40)  # the cluster appears in the last three months
    t = pd.to_datetime([f"2024-{m + 1:02d}-10" for m in months]).tz_localize(TZ)
    df = pd.DataFrame({"lat": lat, "lon": lon, "precision": "point", "occurred_at": t})
    for k, window in ((1, None), (2, "neighbourhood"), (1, "period")):
        e = hotspots.emerging(df, period="month", time_step=k, global_window=window)
        cube = grid.count_cells(df, period="month", fill=True, rings=1)
        Y = cube["count"].unstack("period", fill_value=0)
        cells = Y.index.to_numpy(np.uint64)
        pos = {c: i for i, c in enumerate(cells.tolist())}
        A = np.zeros((cells.size, cells.size))
        for i, c in enumerate(cells.tolist()):  # neighbours from H3 disks, one cell at a time
            for d in grid.disk_cells(np.array([c], dtype=np.uint64), 1).tolist():
                if d in pos:
                    A[i, pos[d]] = 1.0
        ref = _brute_gistar(Y.to_numpy(float), A, k, window or "cube")[:, k:]
        assert e.index.equals(Y.index) and e.attrs["periods"] == list(Y.columns[k:])
        np.testing.assert_allclose(e["last_gi_z"], ref[:, -1], rtol=0, atol=1e-9)
        mk = mann_kendall(ref)
        np.testing.assert_array_equal(e["mk_s"], mk["mk_s"])
        np.testing.assert_allclose(e["mk_p"], mk["mk_p"], rtol=0, atol=1e-9)
        padj = hotspots.adjust_pvalues(2 * stats.norm.sf(np.abs(ref)))
        np.testing.assert_array_equal(e["n_hot"], ((padj < 0.05) & (ref > 0)).sum(axis=1))


@pytest.mark.parametrize("time_step", [0, 1, 2])
def test_stable_hotspot_has_a_flat_trend(time_step):
    """The same incidents every quarter: every later period's Gi* is the same, mk_s = 0 exactly
    (the first, incomplete periods would otherwise read as a rise)."""
    rng = np.random.default_rng(11)
    lat = np.r_[rng.uniform(59.33, 59.43, 300), rng.normal(59.36, 0.0006, 30)]
    lon = np.r_[rng.uniform(17.00, 17.20, 300), rng.normal(17.04, 0.0012, 30)]
    frames = [pd.DataFrame({"lat": lat, "lon": lon, "precision": "point",
                            "occurred_at": pd.Timestamp(f"2024-{3 * q + 1:02d}-15", tz=TZ)})
              for q in range(4)]
    frames += [f.assign(occurred_at=f["occurred_at"] + pd.DateOffset(years=1)) for f in frames]
    e = hotspots.emerging(pd.concat(frames, ignore_index=True), period="quarter", time_step=time_step)
    pers = grid.points_to_cells([59.36], [17.04], 9)[0]
    assert e.loc[pers, "emerging_class"] == "persistent_hot"
    assert (e["mk_s"] == 0).all() and (e["trend"] == "none").all()


def test_emerging_category_filter_and_errors():
    df = _synthetic()
    df.loc[df.index[:10], "category"] = "stold"  # ten incidents, all in 2024Q1
    e = hotspots.emerging(df, categories=["stold"], fill=True, time_step=0)
    assert e["count"].sum() == 10
    with pytest.raises(InputError, match=r"1 period\(s\).*time_step=1"):
        hotspots.emerging(df, categories=["stold"])
    with pytest.raises(InputError, match="no incidents"):
        hotspots.emerging(df, categories=["brand"])
    with pytest.raises(InputError, match="share"):
        hotspots.emerging(df, share=1.5)
    with pytest.raises(InputError, match="time_step"):
        hotspots.emerging(df, time_step=-1)
    with pytest.raises(InputError, match="global_window"):
        hotspots.emerging(df, global_window="ENTIRE_CUBE")


def test_emerging_unfilled_cube_with_an_empty_period():
    """fill=False and a quarter without incidents: every period is a column (was a crash)."""
    rng = np.random.default_rng(0)
    t = pd.to_datetime(["2024-01-05"] * 30 + ["2024-07-05"] * 30 + ["2024-10-05"] * 30).tz_localize(TZ)
    df = pd.DataFrame({"lat": rng.normal(59.4, 0.003, 90), "lon": rng.normal(17.1, 0.005, 90),
                       "precision": "point", "occurred_at": t})
    e = hotspots.emerging(df, fill=False, time_step=0)
    assert e.attrs["periods"] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert (e["n_periods"] == 4).all() and e["count"].sum() == 90


# ---------------------------------------------------------------- Exempelkommun
@pytest.fixture(scope="module")
def sample_incidents(sample_dir):
    inc = pd.concat([read.read_incidents(sample_dir / "incidents_polis.xlsx").placed,
                     place_pending(read.read_incidents(sample_dir / "incidents_kommun.csv"),
                                   sample_dir / "gazetteer.csv").placed],
                    ignore_index=True)
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))
    return inc, truth, gpd.read_file(sample_dir / "kommun.geojson")


# The planted hotspots' classes (persistent ×2, emerging, declining) per setting; see
# docs/methods-hotspots.md for why the emerging one reads as sporadic by quarter over the
# kommun with time_step=1 (its area carries a steady background in 2024 that the two-quarter
# neighbourhood makes significant in 2024Q3), and the declining one as persistent by quarter.
@pytest.mark.parametrize(("period", "fill", "time_step", "expected"), [
    ("quarter", "kommun", 0, ["persistent_hot", "persistent_hot", "consecutive_hot", "diminishing_hot"]),
    ("quarter", "kommun", 1, ["persistent_hot", "persistent_hot", "sporadic_hot", "persistent_hot"]),
    ("quarter", "rings", 1, ["persistent_hot", "persistent_hot", "consecutive_hot", "persistent_hot"]),
    ("month", "kommun", 0, ["persistent_hot", "persistent_hot", "sporadic_hot", "historical_hot"]),
    ("month", "kommun", 1, ["persistent_hot", "persistent_hot", "sporadic_hot", "diminishing_hot"]),
])
def test_sample_emerging_classes(sample_incidents, period, fill, time_step, expected):
    inc, truth, boundary = sample_incidents
    e = hotspots.emerging(inc, period=period, fill=boundary if fill == "kommun" else True,
                          time_step=time_step)
    n_all = 8 if period == "quarter" else 24
    assert len(e.attrs["periods"]) == n_all - time_step
    assert [h["kind"] for h in truth["hotspots"]] == ["persistent", "persistent", "emerging", "declining"]
    got = []
    for h in truth["hotspots"]:
        c = grid.points_to_cells([h["lat"]], [h["lon"]], 9)[0]
        got.append(e.loc[c, "emerging_class"])
        if h["kind"] == "emerging":  # hot through 2025, rising
            assert e.loc[c, "last_gi_bin"] == 3 and e.loc[c, "mk_s"] > 0
            assert e.loc[c, "n_hot"] >= (4 if period == "quarter" else 12)
    assert got == expected
    for area in truth["background_areas"]:
        bc = grid.geometry_to_cells(shape(area["polygon"]), 9)
        sub = e.reindex(bc).dropna(subset=["emerging_class"])
        assert len(sub) > 20
        assert sub["emerging_class"].str.endswith("_hot").sum() <= np.ceil(0.05 * len(sub))
