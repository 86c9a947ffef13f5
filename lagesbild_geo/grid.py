"""H3 grid: indexing, counting per cell, roll-ups, hex polygons.

This is the only module that imports :mod:`h3`. h3 speaks (lat, lng); GeoJSON
and shapely speak (lng, lat): the swap happens here and nowhere else.
Cells are ``uint64`` everywhere; hex strings only at the edge (export, display).
"""

from __future__ import annotations

import h3
import numpy as np
import numpy.typing as npt

from .errors import InputError

__all__ = ["cells_to_str", "points_to_cells", "str_to_cells"]

_latlng_to_cell = h3.api.basic_int.latlng_to_cell


def points_to_cells(
    lat: npt.ArrayLike, lon: npt.ArrayLike, resolution: int
) -> npt.NDArray[np.uint64]:
    """H3 cells (uint64) of WGS84 points; 0 where a coordinate is missing.

    A tight loop over h3's integer API feeding numpy (h3-py 4 has no vectorised
    ``latlng_to_cell``); no pandas ``apply``.

    Examples
    --------
    >>> points_to_cells([59.4], [17.1], 9).dtype
    dtype('uint64')
    """
    la = np.asarray(lat, dtype="float64")
    lo = np.asarray(lon, dtype="float64")
    if la.shape != lo.shape:
        raise InputError(f"lat and lon differ in length ({la.size} vs {lo.size}).")
    if not 0 <= resolution <= 15:
        raise InputError(f"H3 resolution must be 0..15, got {resolution}.")
    ok = np.isfinite(la) & np.isfinite(lo)
    out = np.zeros(la.shape, dtype=np.uint64)
    if ok.all():
        out[:] = np.fromiter(
            map(_latlng_to_cell, la.tolist(), lo.tolist(), [resolution] * la.size),
            dtype=np.uint64, count=la.size,
        )
    elif ok.any():
        idx = np.flatnonzero(ok)
        out[idx] = np.fromiter(
            map(_latlng_to_cell, la[idx].tolist(), lo[idx].tolist(), [resolution] * idx.size),
            dtype=np.uint64, count=idx.size,
        )
    return out


def cells_to_str(cells: npt.ArrayLike) -> list[str]:
    """Hex strings of uint64 cells (for export and display)."""
    return [h3.int_to_str(int(c)) for c in np.asarray(cells, dtype=np.uint64)]


def str_to_cells(cells: list[str]) -> npt.NDArray[np.uint64]:
    """uint64 cells of hex strings."""
    return np.fromiter((h3.str_to_int(c) for c in cells), dtype=np.uint64, count=len(cells))
