"""Emerging hot spots: Gi* per time bin, Mann–Kendall trend, ArcGIS-style classes.

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
from scipy import special

from . import grid
from .errors import InputError
from .schema import POINT_PRECISIONS

__all__ = ["EMERGING_CLASSES", "EMERGING_LABELS_SV", "emerging", "mann_kendall"]

_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing",
          "sporadic", "oscillating", "historical")
#: Every class :func:`emerging` can return.
EMERGING_CLASSES: tuple[str, ...] = (
    *(f"{k}_hot" for k in _KINDS), *(f"{k}_cold" for k in _KINDS), "no_pattern")
_SV = {"new": "Ny", "consecutive": "Sammanhängande", "intensifying": "Förstärkt",
       "persistent": "Ihållande", "diminishing": "Avtagande", "sporadic": "Sporadisk",
       "oscillating": "Växlande", "historical": "Historisk"}
#: Swedish labels of the classes (for maps and reports).
EMERGING_LABELS_SV: dict[str, str] = {
    **{f"{k}_hot": f"{v} hotspot" for k, v in _SV.items()},
    **{f"{k}_cold": f"{v} kallpunkt" for k, v in _SV.items()},
    "no_pattern": "Inget mönster",
}


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

    Returns
    -------
    DataFrame
        ``mk_s``, ``mk_var``, ``mk_z``, ``mk_p``, ``mk_tau`` per row.

    Examples
    --------
    >>> mann_kendall([[1, 2, 3, 4, 5]])[["mk_s", "mk_var"]].to_numpy().tolist()
    [[10.0, 16.666666666666668]]
    """
    X = np.asarray(series, dtype="float64")
    if X.ndim == 1:
        X = X[None, :]
    X = np.nan_to_num(X, nan=0.0)
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


def _classify(
    hot: npt.NDArray[np.bool_], cold: npt.NDArray[np.bool_], trend: npt.NDArray[np.int64],
    share: float,
) -> npt.NDArray[np.object_]:
    """Classes from hot/cold flags (cells × periods) and the trend sign (+1/−1/0)."""
    m, t = hot.shape
    need = share * t
    out = np.full(m, "no_pattern", dtype=object)

    def side(flag: npt.NDArray[np.bool_], other: npt.NDArray[np.bool_], sfx: str,
             up: int) -> None:
        n_flag = flag.sum(axis=1)
        last = flag[:, -1] if t else np.zeros(m, bool)
        # length of the run of flagged periods at the end
        notf = ~flag[:, ::-1]
        run = np.where(notf.any(axis=1), notf.argmax(axis=1), t)
        mostly = n_flag >= need
        other_before = other[:, :-1].any(axis=1) if t > 1 else np.zeros(m, bool)
        c = np.full(m, "", dtype=object)
        c[last & mostly & (trend == up)] = f"intensifying_{sfx}"
        c[last & mostly & (trend == -up)] = f"diminishing_{sfx}"
        c[last & mostly & (trend == 0)] = f"persistent_{sfx}"
        rest = last & ~mostly
        c[rest & (n_flag == 1)] = f"new_{sfx}"
        c[rest & (n_flag > 1) & (run >= 2) & (run == n_flag)] = f"consecutive_{sfx}"
        left = rest & (c == "")
        c[left & other_before] = f"oscillating_{sfx}"
        c[left & ~other_before] = f"sporadic_{sfx}"
        c[~last & mostly] = f"historical_{sfx}"
        sel = c != ""
        out[sel] = c[sel]

    side(hot, cold, "hot", +1)
    side(cold, hot, "cold", -1)
    return out


def emerging(
    incidents: pd.DataFrame,
    *,
    period: str | Sequence[Any] = "quarter",
    resolution: int = 9,
    rings: int = 1,
    fill: bool | Any = True,
    alpha: float = 0.05,
    correction: str = "fdr",
    trend_alpha: float = 0.05,
    share: float = 0.9,
    categories: Sequence[str] | None = None,
    precisions: Sequence[str] = POINT_PRECISIONS,
) -> gpd.GeoDataFrame:
    """Emerging hot spot analysis (the ArcGIS "Emerging Hot Spot Analysis" vocabulary).

    1. Count incidents on the space-time cube: cells × periods
       (:func:`lagesbild_geo.grid.count_cells` with ``period`` and ``fill``; every
       filled cell has every period, zeros included).
    2. Gi* per period on the same cells (binary ``rings`` neighbourhood), the
       ``correction`` applied within each period; a (cell, period) is *hot* when
       ``gi_p_adj < alpha`` and z > 0, *cold* when ``gi_p_adj < alpha`` and z < 0.
    3. Mann–Kendall trend of each cell's Gi* z-scores over time
       (:func:`mann_kendall`), significant when ``mk_p < trend_alpha``.
    4. A class per cell (``share`` = 0.9 is ArcGIS's "90 % of the periods"):

       - ``new_hot``: hot in the last period only;
       - ``consecutive_hot``: an uninterrupted run of ≥ 2 hot periods at the end,
         never hot before it, hot in < 90 % of periods;
       - ``intensifying_hot`` / ``persistent_hot`` / ``diminishing_hot``: hot in
         ≥ 90 % of periods including the last, with a significant upward /
         no significant / a significant downward trend;
       - ``oscillating_hot``: hot in the last period, hot in < 90 %, and cold in
         some earlier period; ``sporadic_hot``: the same without any cold period;
       - ``historical_hot``: not hot in the last period but hot in ≥ 90 %;
       - the ``*_cold`` classes mirror these (trend direction reversed);
       - ``no_pattern`` otherwise.

    Returns
    -------
    GeoDataFrame
        Indexed by ``cell``: ``emerging_class``, ``emerging_class_sv``,
        ``n_periods``, ``n_hot``, ``n_cold``, ``last_gi_z``, ``last_gi_bin``,
        ``mk_s``, ``mk_z``, ``mk_p``, ``mk_tau``, ``trend`` (``up``/``down``/``none``),
        ``count`` (all periods), hex geometry (EPSG:4326). ``attrs["periods"]``
        lists the periods; ``attrs["emerging"]`` the parameters.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-02-01"] * 30 + ["2024-05-01"] * 30).tz_localize("Europe/Stockholm")
    >>> df = pd.DataFrame({"lat": 59.4, "lon": 17.1, "precision": "point", "occurred_at": t})
    >>> e = emerging(df, fill=True, rings=1, alpha=0.05)
    >>> e.attrs["periods"]
    ['2024Q1', '2024Q2']
    """
    if not 0 < share <= 1:
        raise InputError(f"share must be in (0, 1], got {share}.")
    data = incidents
    if categories is not None:
        if "category" not in incidents.columns:
            raise InputError("emerging(categories=...) needs a category column.")
        data = incidents.loc[incidents["category"].isin(list(categories)).fillna(False)]
    # the cube: fill True means every cell within `rings` of any incident, every period
    cube = grid.count_cells(data, resolution=resolution, period=period, fill=fill, rings=rings,
                            precisions=precisions)
    from .hotspots import gistar_cube

    periods = list(cube.attrs.get("periods", []))
    if cube.empty or not periods:
        raise InputError("emerging: no incidents with a time and a cell to build the space-time cube from.")
    gi = gistar_cube(cube, "count", rings=rings, correction=correction)
    nper = len(periods)
    z = gi["gi_z"].to_numpy().reshape(-1, nper)
    padj = gi["gi_p_adj"].to_numpy().reshape(-1, nper)
    gbin = gi["gi_bin"].to_numpy().reshape(-1, nper)
    cells = gi.index.get_level_values("cell").to_numpy(dtype=np.uint64)[::nper]
    with np.errstate(invalid="ignore"):
        hot = (padj < alpha) & (z > 0)
        cold = (padj < alpha) & (z < 0)
    mk = mann_kendall(z)
    trend = np.where(mk["mk_p"].to_numpy() < trend_alpha, np.sign(mk["mk_s"].to_numpy()), 0)
    trend = trend.astype(np.int64)
    cls = _classify(hot, cold, trend, share)
    total = cube["count"].groupby(level="cell").sum().reindex(pd.Index(cells, dtype="uint64"))
    out = gpd.GeoDataFrame({
        "emerging_class": pd.array(cls, dtype="string"),
        "emerging_class_sv": pd.array([EMERGING_LABELS_SV[c] for c in cls], dtype="string"),
        "n_periods": np.full(cells.size, nper, dtype=np.int64),
        "n_hot": hot.sum(axis=1).astype(np.int64),
        "n_cold": cold.sum(axis=1).astype(np.int64),
        "last_gi_z": z[:, -1],
        "last_gi_bin": gbin[:, -1].astype(np.int64),
        "mk_s": mk["mk_s"].to_numpy(),
        "mk_z": mk["mk_z"].to_numpy(),
        "mk_p": mk["mk_p"].to_numpy(),
        "mk_tau": mk["mk_tau"].to_numpy(),
        "trend": pd.array(np.asarray(["down", "none", "up"], dtype=object)[trend + 1], dtype="string"),
        "count": total.to_numpy(dtype=np.int64),
    }, index=pd.Index(cells, dtype="uint64", name="cell"),
        geometry=grid.cells_to_polygons(cells).values, crs="EPSG:4326")
    if nper < 10:
        note = (f"Only {nper} periods: ArcGIS recommends at least 10 for the trend test; "
                "read intensifying/diminishing with care.")
    else:
        note = ""
    out.attrs.update({
        "periods": periods,
        "emerging": {"period": period if isinstance(period, str) else list(map(str, period)),
                     "resolution": resolution, "rings": rings, "alpha": alpha,
                     "correction": correction, "trend_alpha": trend_alpha, "share": share,
                     "need_hot_periods": math.ceil(share * nper - 1e-9), "note": note},
        "not_on_grid": cube.attrs.get("not_on_grid", {}),
    })
    return out
