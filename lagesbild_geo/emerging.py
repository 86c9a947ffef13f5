"""Emerging hot spots: space-time Gi* per time bin, Mann–Kendall trend, ArcGIS-style classes.

Re-exported by :mod:`lagesbild_geo.hotspots` (``hotspots.emerging``). The rules
are written out in ``docs/methods-hotspots.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse, special

from . import grid
from .errors import InputError
from .gistar import adjust_pvalues, gi_bin
from .schema import POINT_PRECISIONS

__all__ = [
    "EMERGING_CLASSES",
    "EMERGING_LABELS_SV",
    "EMERGING_RULE_ORDER",
    "GLOBAL_WINDOWS",
    "TIE_RTOL",
    "classify_series",
    "emerging",
    "gistar_spacetime",
    "mann_kendall",
    "need_periods",
]

_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing",
          "sporadic", "oscillating", "historical")
#: Every class :func:`emerging` can return.
EMERGING_CLASSES: tuple[str, ...] = (
    *(f"{k}_hot" for k in _KINDS), *(f"{k}_cold" for k in _KINDS), "no_pattern")
#: The order in which the class rules are tried; the first that applies wins. Every hot
#: rule comes before every cold rule (a cell gets a cold class only where no hot class
#: applies); ``new`` and ``consecutive`` come before ``sporadic`` and ``oscillating``.
EMERGING_RULE_ORDER: tuple[str, ...] = EMERGING_CLASSES
_SV = {"new": "Ny", "consecutive": "Sammanhängande", "intensifying": "Förstärkt",
       "persistent": "Ihållande", "diminishing": "Avtagande", "sporadic": "Sporadisk",
       "oscillating": "Växlande", "historical": "Historisk"}
#: Swedish labels of the classes (for maps and reports).
EMERGING_LABELS_SV: dict[str, str] = {
    **{f"{k}_hot": f"{v} hotspot" for k, v in _SV.items()},
    **{f"{k}_cold": f"{v} kallpunkt" for k, v in _SV.items()},
    "no_pattern": "Inget mönster",
}
#: The global windows of :func:`gistar_spacetime` (ArcGIS "Define Global Window":
#: ``cube`` = Entire cube, ``neighbourhood`` = Neighborhood time step,
#: ``period`` = Individual time step).
GLOBAL_WINDOWS: tuple[str, ...] = ("cube", "neighbourhood", "period")
#: Relative tolerance for ties in :func:`mann_kendall`: a and b are tied when
#: ``|a - b| <= TIE_RTOL * max(1, |a|, |b|)``.
TIE_RTOL = 1e-9


# ---------------------------------------------------------------------------
# Mann–Kendall
# ---------------------------------------------------------------------------
def _merge_ties(X: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each row with near-equal values replaced by one value per tie group.

    In sorted order, a value starts a new group when it exceeds the previous one by
    more than ``TIE_RTOL * max(1, |a|, |b|)``; every member of a group takes the
    group's smallest value, so later comparisons are exact.
    """
    m, n = X.shape
    if n < 2:
        return X.copy()
    order = np.argsort(X, axis=1, kind="stable")
    xs = np.take_along_axis(X, order, axis=1)
    a, b = xs[:, :-1], xs[:, 1:]
    tol = TIE_RTOL * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    starts = np.concatenate([np.ones((m, 1), dtype=bool), (b - a) > tol], axis=1)
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0), axis=1)
    out = np.empty_like(X)
    np.put_along_axis(out, order, np.take_along_axis(xs, first, axis=1), axis=1)
    return out


def mann_kendall(
    series: npt.ArrayLike, *, continuity: bool = True
) -> pd.DataFrame:
    r"""Mann–Kendall trend test on each row of ``series`` (rows = cells, columns = time, in order).

    :math:`S = \sum_{i<j} \operatorname{sgn}(x_j - x_i)`,
    :math:`\operatorname{Var}(S) = [n(n-1)(2n+5) - \sum_g t_g(t_g-1)(2t_g+5)]/18`
    with :math:`t_g` the size of each group of tied values,
    :math:`Z = (S - \operatorname{sgn}(S)) / \sqrt{\operatorname{Var}(S)}` (continuity
    corrected; ``continuity=False`` gives :math:`S/\sqrt{\operatorname{Var}(S)}`, which equals
    ``scipy.stats.kendalltau(time, x)``'s asymptotic test), two-sided
    :math:`p = 2(1 - \Phi(|Z|))`, :math:`\tau = S / (n(n-1)/2)`.
    NaN values are treated as 0. Mann (1945); Kendall (1975).

    **Ties** are found with a relative tolerance, not by exact equality: in sorted
    order, a value joins the tie group of the previous one when they differ by at
    most ``TIE_RTOL · max(1, |a|, |b|)`` (``TIE_RTOL`` = 1e-9). Both :math:`S` and the
    tie correction use these groups, so a series that is constant up to rounding
    (Gi* z-scores that are equal in theory) has :math:`S = 0` exactly.

    Returns
    -------
    DataFrame
        ``mk_s``, ``mk_var``, ``mk_z``, ``mk_p``, ``mk_tau`` per row.

    Examples
    --------
    >>> mann_kendall([[1, 2, 3, 4, 5]])[["mk_s", "mk_var"]].to_numpy().tolist()
    [[10.0, 16.666666666666668]]
    >>> float(mann_kendall([[0.1 + 0.2, 0.3, 0.30000000000000004]])["mk_s"].iloc[0])
    0.0
    """
    X = np.asarray(series, dtype="float64")
    if X.ndim == 1:
        X = X[None, :]
    X = _merge_ties(np.nan_to_num(X, nan=0.0))
    m, n = X.shape
    s = np.zeros(m)
    for i in range(n - 1):
        s += np.sign(X[:, i + 1:] - X[:, i:i + 1]).sum(axis=1)
    if m and n:
        eq = (X[:, :, None] == X[:, None, :]).sum(axis=2)  # tie-group size of each value
        tie = ((eq - 1) * (2 * eq + 5)).sum(axis=1).astype("float64")
    else:
        tie = np.zeros(m)
    var = (n * (n - 1) * (2 * n + 5) - tie) / 18.0
    num = s - np.sign(s) if continuity else s
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, num / np.sqrt(var), 0.0)
    p = 2.0 * special.ndtr(-np.abs(z))  # = stats.norm.sf(|z|), bit for bit
    tau = s / (n * (n - 1) / 2.0) if n > 1 else np.zeros(m)
    return pd.DataFrame({"mk_s": s, "mk_var": var, "mk_z": z, "mk_p": p, "mk_tau": tau})


# ---------------------------------------------------------------------------
# classes
# ---------------------------------------------------------------------------
def need_periods(share: float, n_periods: int) -> int:
    """How many periods "most periods" means: ``ceil(share · n_periods)`` (at least 1).

    A tolerance of 1e-9 keeps a product that rounding lifts just above an integer
    at that integer (0.28 × 25 is 7.000000000000001 in floating point: 7 periods, not 8).
    The classifier and ``attrs["emerging"]["need_hot_periods"]`` both use this.

    Examples
    --------
    >>> need_periods(0.9, 10), need_periods(0.9, 8), need_periods(0.9, 24), need_periods(0.28, 25)
    (9, 8, 22, 7)
    """
    return max(1, math.ceil(share * n_periods - 1e-9))


def _classify(
    hot: npt.NDArray[np.bool_], cold: npt.NDArray[np.bool_], trend: npt.NDArray[np.int64],
    share: float,
) -> npt.NDArray[np.object_]:
    """Classes from hot/cold flags (cells × periods) and the trend sign (+1/−1/0).

    The rules are tried in :data:`EMERGING_RULE_ORDER`; the first that applies wins.
    """
    m, t = hot.shape
    need = need_periods(share, t)
    trend = np.asarray(trend).reshape(m)
    rules: dict[str, npt.NDArray[np.bool_]] = {}

    def side(flag: npt.NDArray[np.bool_], other: npt.NDArray[np.bool_], sfx: str,
             up: int) -> None:
        n_flag = flag.sum(axis=1)
        last = flag[:, -1] if t else np.zeros(m, bool)
        notf = ~flag[:, ::-1]
        run = np.where(notf.any(axis=1), notf.argmax(axis=1), t)  # flagged run at the end
        most = n_flag >= need
        other_before = other[:, :-1].any(axis=1) if t > 1 else np.zeros(m, bool)
        recent = last & ~most
        rules[f"new_{sfx}"] = recent & (n_flag == 1)
        rules[f"consecutive_{sfx}"] = recent & (n_flag >= 2) & (run == n_flag)
        rules[f"intensifying_{sfx}"] = last & most & (trend == up)
        rules[f"persistent_{sfx}"] = last & most & (trend == 0)
        rules[f"diminishing_{sfx}"] = last & most & (trend == -up)
        rules[f"sporadic_{sfx}"] = recent & ~other_before
        rules[f"oscillating_{sfx}"] = recent & other_before
        rules[f"historical_{sfx}"] = ~last & most

    side(hot, cold, "hot", +1)
    side(cold, hot, "cold", -1)
    order = [c for c in EMERGING_RULE_ORDER if c != "no_pattern"]
    out = np.select([rules[c] for c in order], order, default="no_pattern")
    return out.astype(object)


def _as_matrix(x: Any, name: str) -> tuple[npt.NDArray[Any], pd.Index | None, pd.Index | None]:
    if isinstance(x, pd.Series):
        x = x.to_frame().T
    if isinstance(x, pd.DataFrame):
        return x.to_numpy(), x.index, x.columns
    a = np.asarray(x)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise InputError(f"classify_series: {name} must be a cells × periods matrix (2-D); "
                         f"got {a.ndim} dimensions.")
    return a, None, None


def classify_series(
    z: pd.DataFrame | npt.ArrayLike,
    significant: pd.DataFrame | npt.ArrayLike,
    *,
    share: float = 0.9,
    trend_alpha: float = 0.05,
) -> pd.DataFrame:
    """Emerging hot spot classes from Gi* z-scores computed anywhere (esda, ArcGIS, this library).

    A (cell, period) is *hot* where ``significant`` and z > 0, *cold* where
    ``significant`` and z < 0. The trend is the Mann–Kendall test of each cell's
    z-scores (:func:`mann_kendall`, ties within :data:`TIE_RTOL`): ``up`` / ``down``
    when ``mk_p < trend_alpha``. "Most periods" means at least
    :func:`need_periods` ``(share, n_periods)`` periods (ArcGIS: 90 %). The rules, tried
    in :data:`EMERGING_RULE_ORDER` (first match wins; every hot rule before every cold
    rule), for the hot side:

    - ``new_hot``: hot in the last period, in no earlier one;
    - ``consecutive_hot``: an uninterrupted run of ≥ 2 hot periods at the end, never
      hot before it, hot in fewer than "most" periods;
    - ``intensifying_hot`` / ``persistent_hot`` / ``diminishing_hot``: hot in "most"
      periods including the last, with a significant upward / no significant /
      a significant downward trend;
    - ``sporadic_hot``: hot in the last period, fewer than "most", never cold before,
      and not new or consecutive;
    - ``oscillating_hot``: the same but cold in some earlier period;
    - ``historical_hot``: not hot in the last period, but hot in "most" periods;
    - the ``*_cold`` classes mirror these (cold periods; trend reversed);
    - ``no_pattern`` otherwise.

    Two readings of ArcGIS's wording are fixed here (``docs/methods-hotspots.md``):
    a cell hot in 9 of 10 periods but not the last is ``historical_hot``, not
    persistent; a cell hot only in the last period after earlier cold periods is
    ``new_hot``, not oscillating.

    Parameters
    ----------
    z
        Gi* z-scores, cells × periods in time order (DataFrame or array; a 1-D
        array is one cell). NaN counts as not hot or cold and as 0 in the trend.
    significant
        Booleans of the same shape: the Gi* p-value (after any correction) is below
        your alpha.
    share
        Share of periods that makes "most" periods, in (0, 1].
    trend_alpha
        Significance level of the Mann–Kendall trend.

    Returns
    -------
    DataFrame
        One row per cell (``z``'s index when it is a DataFrame): ``emerging_class``,
        ``mk_s``, ``mk_z``, ``mk_p``, ``mk_tau``, ``trend`` (``up``/``down``/``none``),
        the columns of the same name in :func:`emerging`.

    Examples
    --------
    >>> z = np.array([[-3.0] * 9 + [3.0], [3.0] * 9 + [0.5]])
    >>> classify_series(z, np.abs(z) > 2)["emerging_class"].tolist()
    ['new_hot', 'historical_hot']
    """
    if not 0 < share <= 1:
        raise InputError(f"classify_series: share must be in (0, 1], got {share}.")
    if not 0 < trend_alpha < 1:
        raise InputError(f"classify_series: trend_alpha must be between 0 and 1, got {trend_alpha}.")
    Z, S, index = _series_matrices(z, significant)
    with np.errstate(invalid="ignore"):
        hot = S & (Z > 0)
        cold = S & (Z < 0)
    mk = mann_kendall(Z)
    trend = np.where(mk["mk_p"].to_numpy() < trend_alpha, np.sign(mk["mk_s"].to_numpy()), 0)
    trend = trend.astype(np.int64)
    cls = _classify(hot, cold, trend, share)
    return pd.DataFrame({
        "emerging_class": pd.array(cls, dtype="string"),
        "mk_s": mk["mk_s"].to_numpy(),
        "mk_z": mk["mk_z"].to_numpy(),
        "mk_p": mk["mk_p"].to_numpy(),
        "mk_tau": mk["mk_tau"].to_numpy(),
        "trend": pd.array(np.asarray(["down", "none", "up"], dtype=object)[trend + 1], dtype="string"),
    }, index=index if index is not None else pd.RangeIndex(Z.shape[0]))


def _series_matrices(z: pd.DataFrame | npt.ArrayLike, significant: pd.DataFrame | npt.ArrayLike
                     ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], pd.Index | None]:
    """(z as float, significant as bool, the cells' index) checked to match, with no periods missing."""
    Z, index, columns = _as_matrix(z, "z")
    S, s_index, s_columns = _as_matrix(significant, "significant")
    if Z.shape != S.shape:
        raise InputError(f"classify_series: z is {Z.shape[0]} cells × {Z.shape[1]} periods but "
                         f"significant is {S.shape[0]} × {S.shape[1]}; pass matrices of the same shape.")
    if index is not None and s_index is not None and not (
            index.equals(s_index) and columns is not None and columns.equals(s_columns)):
        raise InputError("classify_series: z and significant have different row or column labels; "
                         "align them first (significant.reindex_like(z)).")
    try:
        Z = Z.astype("float64")
    except (TypeError, ValueError):
        raise InputError("classify_series: z must hold numbers (Gi* z-scores).") from None
    if S.dtype != bool:
        try:
            Sf = S.astype("float64")
        except (TypeError, ValueError):
            Sf = np.full(S.shape, np.nan)
        if not np.isin(Sf, (0.0, 1.0)).all():
            raise InputError("classify_series: significant must be True/False (or 1/0) in every "
                             "cell and period, with no missing values; e.g. p_adj < 0.05.")
        S = Sf.astype(bool)
    if Z.shape[1] == 0:
        raise InputError("classify_series: no periods (the matrices have no columns).")
    return Z, S, index


# ---------------------------------------------------------------------------
# space-time Gi*
# ---------------------------------------------------------------------------
def _check_time_step(time_step: Any) -> int:
    if isinstance(time_step, bool) or not isinstance(time_step, int | np.integer) or time_step < 0:
        raise InputError(f"time_step must be a whole number of periods, 0 or more (1 is ArcGIS's "
                         f"default); got {time_step!r}.")
    return int(time_step)


def _window(global_window: str | None, time_step: int) -> str:
    if global_window is None:
        return "cube" if time_step > 0 else "period"
    if global_window not in GLOBAL_WINDOWS:
        raise InputError(f"global_window must be one of {list(GLOBAL_WINDOWS)} (or None); "
                         f"got {global_window!r}.")
    return global_window


def _band_sum(A: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.float64]:
    """Column t of the result = sum of columns max(0, t−k) … t of A."""
    out = A.copy()
    for d in range(1, min(k, A.shape[1] - 1) + 1):
        out[:, d:] += A[:, :-d]
    return out


def gistar_spacetime(
    values: npt.ArrayLike,
    w: sparse.spmatrix | sparse.sparray,
    *,
    time_step: int = 1,
    global_window: str | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    r"""Space-time Gi* z-scores and two-sided p-values on a cells × periods matrix.

    The neighbourhood of bin (*i*, *t*) is every spatial neighbour *j* of *i* in ``w``
    (binary, the cell itself included, as from ``grid.neighbour_matrix``) in period *t*
    and in the ``time_step`` periods before it (ArcGIS's "Neighborhood Time Step").
    As one weight matrix over the :math:`nT` bins (cell-major) it is
    :math:`W \otimes B` with :math:`B_{ts} = 1` when :math:`0 \le t - s \le` ``time_step``.
    Bins of the first ``time_step`` periods have fewer previous periods: their
    neighbourhood is smaller (no zeros are invented before the first period), so
    their z-scores are smaller for the same local excess; :func:`emerging` therefore
    uses those periods as history only.

    With :math:`L_{it} = \sum_{j,s} w_{ij} B_{ts} x_{js}`,
    :math:`W_{it} = \sum_{j,s} w_{ij} B_{ts}` and the global mean :math:`\bar x`,
    :math:`S = \sqrt{\overline{x^2} - \bar x^2}` and count *n* of the bins in the
    global window:

    .. math::

        G^*_{it} = \frac{L_{it} - \bar x W_{it}}{S \sqrt{(n W_{it} - W_{it}^2)/(n - 1)}}

    ``global_window`` (ArcGIS "Define Global Window"): ``"cube"`` every bin of the
    cube (ArcGIS's default, Entire cube); ``"neighbourhood"`` the bins of periods
    *t* − ``time_step`` … *t* (Neighborhood time step); ``"period"`` the bins of
    period *t* alone (Individual time step). ``None`` means ``"cube"`` when
    ``time_step`` > 0 and ``"period"`` when it is 0. With ``time_step=0`` and
    ``"period"`` the result is, bit for bit, ``gistar.gistar_arrays`` on every
    period; with ``"cube"`` it equals ``gistar_arrays`` on the whole cube with the
    weights :math:`W \otimes B`.

    Parameters
    ----------
    values
        Cells × periods (periods in time order).
    w
        Binary spatial weights, cells × cells, self included.
    time_step
        Previous periods in the neighbourhood (0 = spatial only).
    global_window
        ``"cube"``, ``"neighbourhood"``, ``"period"`` or ``None`` (see above).

    Returns
    -------
    z, p
        Cells × periods; p two-sided. Constant windows give NaN.

    Examples
    --------
    >>> w = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], float))
    >>> y = np.array([[0, 1, 4], [0, 0, 3], [1, 0, 0]], float)
    >>> z, p = gistar_spacetime(y, w, time_step=1)
    >>> np.round(z[:, -1], 3).tolist()
    [1.789, 0.943, -0.447]
    """
    k = _check_time_step(time_step)
    window = _window(global_window, k)
    Y = np.asarray(values, dtype="float64")
    if Y.ndim != 2:
        raise InputError(f"gistar_spacetime: values must be cells × periods (2-D); got {Y.ndim}-D.")
    n_cells, n_per = Y.shape
    if w.shape != (n_cells, n_cells):
        raise InputError(f"gistar_spacetime: weights are {w.shape}, values have {n_cells} cells; "
                         "they must match.")
    W = sparse.csr_matrix(w)
    wi = np.asarray(W.sum(axis=1), dtype="float64").ravel()[:, None]   # spatial W_i, self included
    n_bins = np.minimum(np.arange(n_per), k) + 1.0                     # periods in each bin's window
    wt = wi * n_bins[None, :]                                          # W_it
    lag = _band_sum(np.asarray(W @ Y, dtype="float64"), k)             # L_it
    if window == "period":
        n: Any = n_cells
        mean = Y.mean(axis=0, keepdims=True)
        msq = (Y * Y).mean(axis=0, keepdims=True)
    elif window == "cube":
        n = n_cells * n_per
        mean = np.full((1, n_per), Y.mean())
        msq = np.full((1, n_per), (Y * Y).mean())
    else:  # neighbourhood: the periods t-k … t
        n = n_cells * n_bins[None, :]
        mean = _band_sum(Y.sum(axis=0, keepdims=True), k) / n
        msq = _band_sum((Y * Y).sum(axis=0, keepdims=True), k) / n
    s = np.sqrt(np.maximum(msq - mean * mean, 0.0))
    denom = s * np.sqrt(np.maximum(n * wt - wt * wt, 0.0) / np.maximum(n - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (lag - mean * wt) / denom
    z[~np.isfinite(z)] = np.nan
    p = 2.0 * special.ndtr(-np.abs(z))
    return z, p


# ---------------------------------------------------------------------------
# the analysis
# ---------------------------------------------------------------------------
def emerging(
    incidents: pd.DataFrame,
    *,
    period: str | Sequence[Any] = "quarter",
    resolution: int = 9,
    rings: int = 1,
    time_step: int = 1,
    global_window: str | None = None,
    fill: bool | Any = True,
    alpha: float = 0.05,
    correction: str = "fdr",
    trend_alpha: float = 0.05,
    share: float = 0.9,
    categories: Sequence[str] | None = None,
    precisions: Sequence[str] = POINT_PRECISIONS,
) -> gpd.GeoDataFrame:
    """Emerging hot spot analysis (ArcGIS's "Emerging Hot Spot Analysis", on H3 cells).

    1. Count incidents on the space-time cube: cells × periods
       (:func:`lagesbild_geo.grid.count_cells` with ``period`` and ``fill``; every
       filled cell has every period, zeros included).
    2. Space-time Gi* of every bin (:func:`gistar_spacetime`): the neighbourhood is
       the cell and its cells within ``rings`` H3 steps, in the bin's period and the
       ``time_step`` periods before it (ArcGIS's "Neighborhood Time Step", default 1;
       0 = spatial only); the mean and variance come from the ``global_window``
       (default: every bin of the cube when ``time_step`` > 0, as ArcGIS's default
       "Entire cube"; each period alone when ``time_step=0``, which is exactly
       ``hotspots.gistar`` on each period). The first ``time_step`` periods have no
       complete neighbourhood: they serve as history for the following periods and
       are not classified. The ``correction`` is applied within each period; a bin
       is *hot* when ``gi_p_adj < alpha`` and z > 0, *cold* when ``gi_p_adj < alpha``
       and z < 0.
    3. Mann–Kendall trend of each cell's Gi* z-scores over time (:func:`mann_kendall`).
    4. A class per cell from :func:`classify_series` (``share`` = 0.9 is ArcGIS's
       "90 % of the periods"; rules and their order there and in
       ``docs/methods-hotspots.md``).

    Parameters
    ----------
    incidents
        Placed incidents with ``occurred_at`` and a position (or ``cell``).
    period, resolution, fill, precisions
        The space-time cube (:func:`lagesbild_geo.grid.count_cells`).
    rings
        Spatial neighbourhood in H3 steps.
    time_step
        Previous periods in each bin's neighbourhood (0, 1, 2 …).
    global_window
        ``"cube"``, ``"neighbourhood"``, ``"period"`` or ``None`` (see
        :func:`gistar_spacetime`).
    alpha, correction
        Significance of a bin (adjusted p-value below ``alpha``).
    trend_alpha, share
        Trend significance and the share of periods that makes "most periods".
    categories
        Only these categories (``None``: all).

    Returns
    -------
    GeoDataFrame
        Indexed by ``cell``: ``emerging_class``, ``emerging_class_sv``,
        ``n_periods`` (the classified periods), ``n_hot``, ``n_cold``, ``last_gi_z``,
        ``last_gi_bin``, ``mk_s``, ``mk_z``, ``mk_p``, ``mk_tau``, ``trend``
        (``up``/``down``/``none``), ``count`` (every period of the cube, the history
        periods included), hex geometry (EPSG:4326). ``attrs["periods"]`` lists the
        classified periods; ``attrs["emerging"]`` the parameters: the neighbourhood
        (``rings``, ``time_step``, ``global_window``), ``history_periods`` (the
        first ``time_step`` periods) and ``need_hot_periods`` (what "most periods"
        meant).

    Examples
    --------
    >>> t = pd.to_datetime(["2024-02-01"] * 30 + ["2024-05-01"] * 30).tz_localize("Europe/Stockholm")
    >>> df = pd.DataFrame({"lat": 59.4, "lon": 17.1, "precision": "point", "occurred_at": t})
    >>> e = emerging(df, fill=True, rings=1, alpha=0.05)
    >>> e.attrs["periods"], e.attrs["emerging"]["history_periods"], e.attrs["emerging"]["global_window"]
    (['2024Q2'], ['2024Q1'], 'cube')
    >>> emerging(df, time_step=0).attrs["periods"]
    ['2024Q1', '2024Q2']
    """
    if not 0 < share <= 1:
        raise InputError(f"share must be in (0, 1], got {share}.")
    k = _check_time_step(time_step)
    window = _window(global_window, k)
    cube = _space_time_cube(incidents, categories=categories, period=period, resolution=resolution,
                            fill=fill, rings=rings, precisions=precisions, history=k)
    all_periods = list(cube.attrs["periods"])
    cells, z, p = _cube_gistar(cube, all_periods, rings=rings, time_step=k, global_window=window)
    # The first k periods lack part of their neighbourhood: they are history for the next ones,
    # not classified (their smaller |z| would tilt the trend test up for every hot spot).
    z, p, periods = z[:, k:], p[:, k:], all_periods[k:]
    out = _emerging_frame(cube, cells, z, adjust_pvalues(p, correction), alpha=alpha, share=share,
                          trend_alpha=trend_alpha)
    params = {"period": period if isinstance(period, str) else list(map(str, period)),
              "resolution": resolution, "rings": rings, "time_step": k, "global_window": window,
              "history_periods": all_periods[:k], "alpha": alpha, "correction": correction,
              "trend_alpha": trend_alpha, "share": share, "need_hot_periods": need_periods(share, len(periods)),
              "note": _trend_note(len(periods))}
    out.attrs.update({"periods": periods, "emerging": params, "not_on_grid": cube.attrs.get("not_on_grid", {})})
    return out


def _space_time_cube(incidents: pd.DataFrame, *, categories: Sequence[str] | None,
                     period: str | Sequence[Any], resolution: int, fill: bool | Any, rings: int,
                     precisions: Sequence[str], history: int) -> pd.DataFrame:
    """Counts per (cell, period) of the chosen categories: every filled cell, every period."""
    data = incidents
    if categories is not None:
        if "category" not in incidents.columns:
            raise InputError("emerging(categories=...) needs a category column.")
        data = incidents.loc[incidents["category"].isin(list(categories)).fillna(False)]
    # the cube: fill True means every cell within `rings` of any incident, every period
    # (no hex polygons: the cube's counts are what is used; the result builds its own)
    cube = grid.count_cells(data, resolution=resolution, period=period, fill=fill, rings=rings,
                            precisions=precisions, geometry=False)
    all_periods = list(cube.attrs.get("periods", []))
    if cube.empty or not all_periods:
        raise InputError("emerging: no incidents with a time and a cell to build the space-time cube from.")
    if len(all_periods) <= history:
        raise InputError(f"emerging: {len(all_periods)} period(s) of data ({', '.join(all_periods)}) but "
                         f"time_step={history} uses the first {history} only as history; use a finer period "
                         f"(e.g. period='month'), more data or a smaller time_step.")
    return cube


def _cube_gistar(cube: pd.DataFrame, periods: list[str], *, rings: int, time_step: int,
                 global_window: str) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64],
                                              npt.NDArray[np.float64]]:
    """(cells, z, p): space-time Gi* of every bin of the cube (cells × periods)."""
    values = cube["count"].unstack("period", fill_value=0).reindex(columns=periods, fill_value=0)
    cells = values.index.to_numpy(dtype=np.uint64)
    w = grid.neighbour_matrix(cells, rings=rings, include_self=True)
    z, p = gistar_spacetime(values.to_numpy(dtype="float64"), w, time_step=time_step,
                            global_window=global_window)
    return cells, z, p


def _emerging_frame(cube: pd.DataFrame, cells: npt.NDArray[np.uint64], z: npt.NDArray[np.float64],
                    padj: npt.NDArray[np.float64], *, alpha: float, share: float,
                    trend_alpha: float) -> gpd.GeoDataFrame:
    """One row per cell: its class, hot and cold periods, last Gi*, trend and count."""
    gbin = gi_bin(z, padj)
    with np.errstate(invalid="ignore"):
        sig = padj < alpha
        n_hot = (sig & (z > 0)).sum(axis=1).astype(np.int64)
        n_cold = (sig & (z < 0)).sum(axis=1).astype(np.int64)
    cl = classify_series(z, sig, share=share, trend_alpha=trend_alpha)
    cls = cl["emerging_class"].to_numpy(dtype=object)
    total = cube["count"].groupby(level="cell").sum().reindex(pd.Index(cells, dtype="uint64"))
    return gpd.GeoDataFrame({
        "emerging_class": pd.array(cls, dtype="string"),
        "emerging_class_sv": pd.array([EMERGING_LABELS_SV[c] for c in cls], dtype="string"),
        "n_periods": np.full(cells.size, z.shape[1], dtype=np.int64),
        "n_hot": n_hot,
        "n_cold": n_cold,
        "last_gi_z": z[:, -1],
        "last_gi_bin": gbin[:, -1].astype(np.int64),
        "mk_s": cl["mk_s"].to_numpy(),
        "mk_z": cl["mk_z"].to_numpy(),
        "mk_p": cl["mk_p"].to_numpy(),
        "mk_tau": cl["mk_tau"].to_numpy(),
        "trend": cl["trend"].array,
        "count": total.to_numpy(dtype=np.int64),
    }, index=pd.Index(cells, dtype="uint64", name="cell"),
        geometry=grid.cells_to_polygons(cells).values, crs="EPSG:4326")


def _trend_note(n_periods: int) -> str:
    if n_periods >= 10:
        return ""
    return (f"Only {n_periods} periods: ArcGIS recommends at least 10 for the trend test; "
            "read intensifying/diminishing with care.")
