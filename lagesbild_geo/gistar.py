"""The Getis-Ord Gi* core shared by :mod:`hotspots` and :mod:`emerging`.

Gi* z-scores for one or many series on the same cells (:func:`gistar_arrays`), the
multiple-testing adjustment (:func:`adjust_pvalues`) and the confidence bins
(:func:`gi_bin`, :data:`HOTSPOT_CLASSES`). Pure numpy/scipy on arrays and a sparse
weight matrix; the cells and their neighbours come from :mod:`lagesbild_geo.grid`.
Methods and references: ``docs/methods-hotspots.md``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse, special

from .errors import InputError

__all__ = ["HOTSPOT_CLASSES", "adjust_pvalues", "gi_bin", "gistar_arrays"]

#: Gi_Bin → class name (ArcGIS Hot Spot Analysis confidence bins).
HOTSPOT_CLASSES: dict[int, str] = {
    3: "hot_99", 2: "hot_95", 1: "hot_90", 0: "none", -1: "cold_90", -2: "cold_95", -3: "cold_99",
}


def gistar_arrays(
    y: npt.ArrayLike, w: sparse.spmatrix | sparse.sparray
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Gi* z-scores and two-sided p-values for one or many series at once.

    ``y`` is ``(n,)`` or ``(n, k)`` (k series on the same n cells, e.g. every
    category × month), ``w`` an ``n × n`` binary weight matrix *with* the diagonal
    (self) set, as from ``grid.neighbour_matrix(cells, include_self=True)``.
    One sparse product does all series. Constant series give NaN.

    Examples
    --------
    >>> w = sparse.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]], float))
    >>> z, p = gistar_arrays([1.0, 2.0, 3.0, 9.0], w)
    >>> np.round(z, 4).tolist()
    [-1.2521, -1.6868, 0.8835, 1.2521]
    """
    Y = np.asarray(y, dtype="float64")
    one = Y.ndim == 1
    if one:
        Y = Y[:, None]
    n = Y.shape[0]
    if w.shape != (n, n):
        raise InputError(f"Weights are {w.shape}, values have {n} rows; they must match.")
    W = sparse.csr_matrix(w)
    wi = np.asarray(W.sum(axis=1), dtype="float64").ravel()[:, None]   # W_i (incl. self)
    lag = np.asarray(W @ Y, dtype="float64")                           # Σ_j w_ij x_j
    mean = Y.mean(axis=0, keepdims=True)
    s = np.sqrt(np.maximum((Y * Y).mean(axis=0, keepdims=True) - mean * mean, 0.0))
    denom = s * np.sqrt(np.maximum(n * wi - wi * wi, 0.0) / max(n - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (lag - mean * wi) / denom
    z[~np.isfinite(z)] = np.nan
    p = 2.0 * special.ndtr(-np.abs(z))  # = stats.norm.sf(|z|), bit for bit, without importing scipy.stats
    if one:
        return z[:, 0], p[:, 0]
    return z, p


def adjust_pvalues(p: npt.ArrayLike, method: str = "fdr") -> npt.NDArray[np.float64]:
    """Multiple-testing adjustment along axis 0 (NaN ignored).

    ``"fdr"``: Benjamini–Hochberg (1995) step-up adjusted p-values
    (``statsmodels.multipletests(method="fdr_bh")``); ``"bonferroni"``:
    ``min(1, p·m)``; ``"none"``: unchanged. ``m`` = number of non-NaN p-values.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.2]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    P = np.asarray(p, dtype="float64")
    one = P.ndim == 1
    if one:
        P = P[:, None]
    out = np.full_like(P, np.nan)
    for k in range(P.shape[1]):
        col = P[:, k]
        ok = np.flatnonzero(np.isfinite(col))
        m = ok.size
        if m == 0:
            continue
        if method == "none":
            out[ok, k] = col[ok]
        elif method == "bonferroni":
            out[ok, k] = np.minimum(col[ok] * m, 1.0)
        elif method == "fdr":
            order = ok[np.argsort(col[ok], kind="mergesort")]
            ranked = col[order] * m / np.arange(1, m + 1)
            ranked = np.minimum.accumulate(ranked[::-1])[::-1]
            out[order, k] = np.minimum(ranked, 1.0)
        else:
            raise InputError(f"correction must be 'fdr', 'bonferroni' or 'none'; got {method!r}.")
    return out[:, 0] if one else out


def gi_bin(z: npt.NDArray[np.float64], p_adj: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Gi_Bin: the confidence bin of each z-score, ±3 (99 %), ±2 (95 %), ±1 (90 %) or 0.

    The level comes from the (adjusted) p-value, the sign from ``z``; NaN is 0.
    :data:`HOTSPOT_CLASSES` names the bins.

    Examples
    --------
    >>> gi_bin(np.array([2.9, -2.1, 0.5, np.nan]), np.array([0.004, 0.04, 0.6, np.nan])).tolist()
    [3, -2, 0, 0]
    """
    level = np.zeros(z.shape, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        level[p_adj < 0.10] = 1
        level[p_adj < 0.05] = 2
        level[p_adj < 0.01] = 3
    sign = np.where(np.nan_to_num(z) < 0, -1, 1)
    return level * sign
