"""H3 grid: indexing, counting per cell, roll-ups, neighbours, hex polygons.

This is the only module that imports :mod:`h3`. h3 speaks (lat, lng); GeoJSON
and shapely speak (lng, lat): the swap happens here and nowhere else.
Cells are ``uint64`` everywhere; hex strings only at the edge (export, display).

Loops over h3 calls here run over *cells* (a few thousand), never over
incidents, except :func:`points_to_cells`, which is the one tight loop over
h3's integer API (h3-py 4 has no vectorised ``latlng_to_cell``).
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import sparse

from .errors import InputError, SchemaError
from .period import PERIODS, period_codes
from .schema import POINT_PRECISIONS, text_codes

__all__ = [
    "CENTRE_TOLERANCE",
    "PERIODS",
    "approx_cells_to_latlng",
    "cell_area_m2",
    "cells_resolution",
    "cells_to_latlng",
    "cells_to_parent",
    "cells_to_polygons",
    "cells_to_str",
    "count_cells",
    "disk_cells",
    "geometry_to_cells",
    "incident_cells",
    "neighbour_matrix",
    "period_labels",
    "points_to_cells",
    "roll_up",
    "str_to_cells",
]

_A = h3.api.basic_int
_M = h3.api.memview_int  # same C calls; a memoryview instead of a Python list (less conversion)
_latlng_to_cell = _A.latlng_to_cell


@functools.cache
def _fast() -> Any:
    """The optional vectorised H3 library ``h3ronpy`` (``None`` when not installed).

    Used only where it gives exactly the cells h3-py gives (indexing points,
    ``grid_disk``): the tests compare both paths. Hex polygon vertices differ from
    h3-py's in the last bits, so polygons always come from h3-py.
    """
    try:
        import h3ronpy
        import h3ronpy.vector
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    return h3ronpy

# ---------------------------------------------------------------------------
# indexing and representation
# ---------------------------------------------------------------------------
def points_to_cells(
    lat: npt.ArrayLike, lon: npt.ArrayLike, resolution: int
) -> npt.NDArray[np.uint64]:
    """H3 cells (uint64) of WGS84 points; 0 where a coordinate is missing.

    A tight loop over h3's integer API feeding numpy (h3-py 4 has no vectorised
    ``latlng_to_cell``); no pandas ``apply``. Measured at 1.0× a bare loop over
    ``h3.api.basic_int.latlng_to_cell`` (``benchmarks/bench_grid.py``).

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
    out = np.zeros(la.shape, dtype=np.uint64)
    fast = _fast()
    done = None  # the points h3ronpy indexed
    if fast is not None and la.size >= 1000:
        with np.errstate(invalid="ignore"):  # NaN and ±inf fail the bounds: not for h3ronpy
            ok_fast = (np.abs(la) <= 90.0) & (np.abs(lo) <= 180.0)
        every = bool(ok_fast.all())  # the usual case: a view of every point, no gather and scatter
        if every or ok_fast.any():
            idx: slice | np.ndarray = slice(None) if every else np.flatnonzero(ok_fast)
            got = _fast_points(fast, la.ravel()[idx], lo.ravel()[idx], int(resolution))
            if got is not None and every:
                return got.reshape(la.shape)
            if got is not None:
                out.ravel()[idx] = got
                done = ok_fast
    ok = np.isfinite(la) & np.isfinite(lo)
    if done is not None:
        ok &= ~done
    if not ok.any():
        return out
    flat, flat_la, flat_lo = out.ravel(), la.ravel(), lo.ravel()
    todo = None if ok.all() else np.flatnonzero(ok)  # every point: slices, no gathers
    count = la.size if todo is None else todo.size
    for i in range(0, count, _LOOP_PIECE):  # pieces keep h3's Python lists small
        part: slice | np.ndarray = slice(i, i + _LOOP_PIECE) if todo is None else todo[i:i + _LOOP_PIECE]
        pla, plo = flat_la[part], flat_lo[part]
        flat[part] = np.fromiter(map(_latlng_to_cell, pla.tolist(), plo.tolist(), itertools.repeat(int(resolution))),
                                 dtype=np.uint64, count=pla.size)
    return out


#: Points per piece of h3-py's loop (the Python lists of one piece: about 7 MB).
_LOOP_PIECE = 100_000


#: Points from which h3ronpy indexing is split over threads.
_PARALLEL_MIN = 200_000
#: Points converted to radians at a time for h3ronpy (512 kB per coordinate).
_RADIANS_PIECE = 65_536


def _fast_points(fast: Any, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64],
                 resolution: int) -> npt.NDArray[np.uint64] | None:
    """Cells of valid WGS84 points with h3ronpy; ``None`` if it left any out."""
    import pyarrow as pa

    def chunk(la: npt.NDArray[np.float64], lo: npt.NDArray[np.float64]) -> list[Any]:
        # in radians: numpy's deg2rad is h3o's own conversion (x * (pi / 180)), bit for
        # bit, and skips a validating pass over the degrees (about 5 % of the indexing);
        # converted a piece at a time, so the copies stay small
        return [pa.array(fast.vector.coordinates_to_cells(np.radians(la[i:i + _RADIANS_PIECE]),
                                                          np.radians(lo[i:i + _RADIANS_PIECE]), resolution,
                                                          radians=True))
                for i in range(0, la.size, _RADIANS_PIECE)]

    workers = min(os.cpu_count() or 1, 4)
    if workers > 1 and lat.size >= _PARALLEL_MIN:
        # h3ronpy releases the GIL: the chunks run on all cores (about 1.7x on 2 cores)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            pieces = [a for part in pool.map(chunk, np.array_split(lat, workers), np.array_split(lon, workers))
                      for a in part]
    else:
        pieces = chunk(lat, lon)
    arr = pa.chunked_array(pieces, type=pa.uint64())
    if arr.null_count or len(arr) != lat.size:
        return None
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.uint64)


def cells_to_str(cells: npt.ArrayLike) -> list[str]:
    """Hex strings of uint64 cells (for export and display).

    Examples
    --------
    >>> cells_to_str(points_to_cells([59.4], [17.1], 9))
    ['8908861184fffff']
    """
    return [_A.int_to_str(int(c)) for c in np.asarray(cells, dtype=np.uint64)]


def str_to_cells(cells: Iterable[str]) -> npt.NDArray[np.uint64]:
    """uint64 cells of hex strings.

    Examples
    --------
    >>> int(str_to_cells(["8908861184fffff"])[0])
    617143099550859263
    """
    values = list(cells)
    return np.fromiter((_A.str_to_int(c) for c in values), dtype=np.uint64, count=len(values))


def cells_resolution(cells: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """H3 resolution of each cell (vectorised bit arithmetic; -1 for 0 = not indexed).

    Examples
    --------
    >>> cells_resolution(points_to_cells([59.4, 59.4], [17.1, 17.1], 9)).tolist()
    [9, 9]
    """
    c = np.asarray(cells, dtype=np.uint64)
    res = ((c >> np.uint64(52)) & np.uint64(0xF)).astype(np.int64)
    res[c == 0] = -1
    return res


def _unique_cells(cells: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    c = np.asarray(cells, dtype=np.uint64).ravel()
    return _sorted_unique(c[c != 0])


def _sort_order(cells: npt.NDArray[np.uint64]) -> npt.NDArray[np.intp]:
    """A stable sorting order of ``cells`` (no sort when they are sorted already, as from count_cells)."""
    if cells.size < 2 or bool((cells[1:] > cells[:-1]).all()):
        return np.arange(cells.size)
    return np.argsort(cells, kind="stable")


def _sorted_unique(values: npt.ArrayLike) -> npt.NDArray[Any]:
    """The sorted distinct values of an integer array, as ``np.unique`` gives them, by sorting.

    numpy 2.3+ finds distinct values with a hash table, which on hundreds of thousands
    of uint64 H3 cells is several times slower than a sort (measured 0.3 s vs 0.04 s
    for 700 000 cells).

    Examples
    --------
    >>> _sorted_unique(np.array([5, 3, 5, 1], dtype=np.uint64)).tolist()
    [1, 3, 5]
    """
    s = np.sort(np.asarray(values).ravel())
    if s.size > 1:
        keep = np.empty(s.size, dtype=bool)
        keep[0] = True
        np.not_equal(s[1:], s[:-1], out=keep[1:])
        s = s[keep]
    return s


def cells_to_latlng(cells: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centre (lat, lon) of each cell, as two float arrays.

    Examples
    --------
    >>> lat, lon = cells_to_latlng(points_to_cells([59.4], [17.1], 9))
    >>> round(float(lat[0]), 2), round(float(lon[0]), 2)
    (59.4, 17.1)
    """
    c = np.asarray(cells, dtype=np.uint64).ravel()
    ll = np.fromiter(itertools.chain.from_iterable(map(_A.cell_to_latlng, c.tolist())),
                     dtype="float64", count=2 * c.size).reshape(-1, 2)
    return ll[:, 0].copy(), ll[:, 1].copy()


#: Largest difference, in degrees, between h3ronpy's and h3-py's cell centres that
#: :func:`approx_cells_to_latlng` allows for (about 1 mm). They differ in the last bits:
#: measured up to 1e-13 degrees in Sweden; longitudes more near the poles (3e-10 at
#: 89.99°), which is why centres beyond 80° are not given. The tests check a bound 100
#: times tighter than this all over the globe.
CENTRE_TOLERANCE = 1e-8


def approx_cells_to_latlng(cells: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """Centre (lat, lon) of each cell within :data:`CENTRE_TOLERANCE` degrees of
    :func:`cells_to_latlng`'s, vectorised (h3ronpy, about 2.5x faster); NaN for centres
    beyond 80° north or south (longitudes there are less exact); ``None`` when h3ronpy
    is not installed or does not give a centre for every cell.

    For a caller that then decides exactly where the tolerance cannot matter and asks
    :func:`cells_to_latlng` for the rest.

    Examples
    --------
    >>> cells = points_to_cells([59.4], [17.1], 9)
    >>> approx = approx_cells_to_latlng(cells)  # None without h3ronpy
    >>> exact = cells_to_latlng(cells)
    >>> approx is None or all(abs(a - e).max() <= CENTRE_TOLERANCE for a, e in zip(approx, exact, strict=True))
    True
    """
    fast = _fast()
    c = np.asarray(cells, dtype=np.uint64).ravel()
    if fast is None or not c.size:
        return None
    try:
        rb = fast.vector.cells_to_coordinates(c)
        lat, lon = rb.column("lat"), rb.column("lng")
        if lat.null_count or lon.null_count or len(lat) != c.size:
            return None
        la = np.asarray(lat.to_numpy(), dtype="float64").copy()
        lo = np.asarray(lon.to_numpy(), dtype="float64").copy()
    except Exception:  # invalid cells or another h3ronpy version: let the caller take the exact path
        return None
    polar = ~(np.abs(la) <= 80.0)
    la[polar] = np.nan
    lo[polar] = np.nan
    return la, lo


def cells_to_polygons(cells: npt.ArrayLike) -> gpd.GeoSeries:
    """Hexagon (or pentagon) polygons of cells, EPSG:4326, in (lng, lat) order.

    Built with one vectorised :func:`shapely.polygons` call per vertex count.

    Examples
    --------
    >>> g = cells_to_polygons(points_to_cells([59.4], [17.1], 9))
    >>> g.crs.to_epsg(), len(g.iloc[0].exterior.coords)
    (4326, 7)
    """
    c = np.asarray(cells, dtype=np.uint64).ravel()
    geoms = np.empty(c.size, dtype=object)
    if c.size:
        inv: npt.NDArray[np.intp] | None = None
        if c.size > 1 and bool((c[1:] > c[:-1]).all()):
            uniq = c  # already sorted and unique (count_cells): no gather
        else:
            uniq, inv = np.unique(c, return_inverse=True)
        bounds = [_A.cell_to_boundary(x) for x in uniq.tolist()]
        lengths = np.fromiter(map(len, bounds), dtype=np.int64, count=len(bounds))
        ug = np.empty(uniq.size, dtype=object)
        for k in np.unique(lengths).tolist():
            sel = np.flatnonzero(lengths == k)
            part = bounds if sel.size == len(bounds) else [bounds[i] for i in sel.tolist()]
            flat = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(part)),
                               dtype="float64", count=sel.size * k * 2)
            ug[sel] = _wkb_polygons(flat.reshape(sel.size, k, 2))
        geoms[:] = ug if inv is None else ug[inv.ravel()]
    return gpd.GeoSeries(geoms, crs="EPSG:4326")


def _wkb_polygons(latlng: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
    """Polygons of ``(m, k, 2)`` (lat, lng) rings.

    Gives the same geometries as ``shapely.polygons(latlng[:, :, ::-1])`` (same
    coordinates, ring closed by repeating the first vertex) at about a third of the
    cost: GEOS builds them from one flat coordinate array
    (:func:`shapely.from_ragged_array`), no coordinate sequence per ring in Python.
    """
    m, k = latlng.shape[0], latlng.shape[1]
    xy = np.empty((m, k + 1, 2), dtype="float64")
    xy[:, :k, :] = latlng[:, :, ::-1]
    xy[:, k, :] = latlng[:, 0, ::-1]
    rings = np.arange(0, m * (k + 1) + 1, k + 1, dtype=np.int64)
    polys = np.arange(m + 1, dtype=np.int64)
    return np.asarray(shapely.from_ragged_array(shapely.GeometryType.POLYGON, xy.reshape(-1, 2),
                                                (rings, polys)), dtype=object)


def cell_area_m2(cells: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Exact area of each cell in square metres (h3 ``cell_area``).

    Examples
    --------
    >>> round(float(cell_area_m2(points_to_cells([59.4], [17.1], 9))[0]))
    78802
    """
    c = np.asarray(cells, dtype=np.uint64).ravel()
    uniq, inv = np.unique(c, return_inverse=True)
    a = np.array([_A.cell_area(int(x), "m^2") if x else np.nan for x in uniq], dtype="float64")
    return a[inv.ravel()] if c.size else np.zeros(0)


def cells_to_parent(cells: npt.ArrayLike, resolution: int) -> npt.NDArray[np.uint64]:
    """Parent cell at a coarser ``resolution`` (0 stays 0).

    Examples
    --------
    >>> c = points_to_cells([59.4], [17.1], 9)
    >>> cells_resolution(cells_to_parent(c, 7)).tolist()
    [7]
    """
    c = np.asarray(cells, dtype=np.uint64).ravel()
    if c.size == 0:
        return c.copy()
    res = cells_resolution(c)
    if (res[c != 0] < resolution).any():
        raise InputError(
            f"cells_to_parent: some cells are coarser (resolution {res[c != 0].min()}) than "
            f"the requested parent resolution {resolution}; ask for a resolution ≤ the cells'."
        )
    uniq, inv = np.unique(c, return_inverse=True)
    par = np.array([_A.cell_to_parent(int(x), resolution) if x else 0 for x in uniq],
                   dtype=np.uint64)
    return par[inv.ravel()]


def disk_cells(cells: npt.ArrayLike, rings: int = 1) -> npt.NDArray[np.uint64]:
    """Sorted unique cells within ``rings`` grid steps of any given cell (the cells included).

    Examples
    --------
    >>> disk_cells(points_to_cells([59.4], [17.1], 9), 1).size
    7
    """
    uniq = _unique_cells(cells)
    if uniq.size == 0:
        return uniq
    rows, flat = _disks(uniq, int(rings))
    if _fast() is None:  # h3-py's loop: worth keeping for neighbour_matrix on the filled grid
        _remember_disks(uniq, int(rings), rows, flat)
    return _sorted_unique(flat)


# The disks of the last few cell sets (``disk_cells`` fills the grid around the observed
# cells; ``neighbour_matrix`` on the filled grid then only asks h3 for the new cells). Only
# with h3-py's loop: h3ronpy's vectorised grid_disk computes them again faster than they
# are found here (241 810 cells: 0,053 s against 0,075 s; /tmp/w/disks.py).
_DISK_MEMO: OrderedDict[tuple[bytes, int], tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64],
                                                 npt.NDArray[np.uint64]]] = OrderedDict()
_DISK_MEMO_LOCK = threading.Lock()
_DISK_MEMO_SIZE = 4


def _remember_disks(cells: npt.NDArray[np.uint64], rings: int, rows: npt.NDArray[np.int64],
                    flat: npt.NDArray[np.uint64]) -> None:
    """Keep the disks of sorted unique ``cells`` (``rows`` index into ``cells``)."""
    key = (cells.tobytes(), rings)
    with _DISK_MEMO_LOCK:
        _DISK_MEMO[key] = (cells.copy(), rows, flat)
        _DISK_MEMO.move_to_end(key)
        while len(_DISK_MEMO) > _DISK_MEMO_SIZE:
            _DISK_MEMO.popitem(last=False)


def _grid_disks(cells: npt.NDArray[np.uint64], rings: int) -> tuple[npt.NDArray[np.int64],
                                                                     npt.NDArray[np.uint64]]:
    """``grid_disk`` of each cell as (row, cell) pairs: row = position in ``cells``."""
    n = cells.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    fast = _fast()
    if fast is not None:
        import pyarrow as pa

        arr = pa.array(fast.grid_disk(np.ascontiguousarray(cells, dtype=np.uint64), rings))
        if arr.null_count == 0 and len(arr) == n:
            offsets = np.asarray(arr.offsets.to_numpy(), dtype=np.int64)
            flat = np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype=np.uint64)
            return np.repeat(np.arange(n), np.diff(offsets)), flat
    disks = [np.frombuffer(_M.grid_disk(x, rings), dtype=np.uint64) for x in cells.tolist()]
    lengths = np.fromiter(map(len, disks), dtype=np.int64, count=n)
    return np.repeat(np.arange(n), lengths), np.concatenate(disks)


def _disks(cells: npt.NDArray[np.uint64], rings: int) -> tuple[npt.NDArray[np.int64],
                                                                npt.NDArray[np.uint64]]:
    """Like :func:`_grid_disks`, reusing remembered disks of any of the cells (kept only
    when h3ronpy is not installed)."""
    need = np.ones(cells.size, dtype=bool)
    rows_parts: list[npt.NDArray[np.int64]] = []
    flat_parts: list[npt.NDArray[np.uint64]] = []
    with _DISK_MEMO_LOCK:
        entries = [v for (_, r), v in reversed(_DISK_MEMO.items()) if r == rings]
    if entries and cells.size:
        order = _sort_order(cells)
        sc = cells[order]
        for known, k_rows, k_flat in entries:
            pos = np.minimum(np.searchsorted(sc, known), sc.size - 1)
            hit = sc[pos] == known
            where = np.full(known.size, -1, dtype=np.int64)
            where[hit] = order[pos[hit]]  # position in `cells` of each remembered cell
            target = where[k_rows]
            take = target >= 0
            take &= need[np.maximum(target, 0)]
            if take.any():
                rows_parts.append(target[take])
                flat_parts.append(k_flat[take])
                need[where[hit]] = False
            if not need.any():
                break
    if need.any():
        todo = np.flatnonzero(need)
        r, f = _grid_disks(cells[todo], rings)
        rows_parts.append(todo[r])
        flat_parts.append(f)
    if len(rows_parts) == 1:
        return rows_parts[0], flat_parts[0]
    return np.concatenate(rows_parts), np.concatenate(flat_parts)


#: Largest grid :func:`geometry_to_cells` builds (the largest kommun, Kiruna, is
#: about 200 000 cells at resolution 9).
MAX_FILL_CELLS = 1_500_000


def geometry_to_cells(area: Any, resolution: int) -> npt.NDArray[np.uint64]:
    """Cells whose centre lies in a (multi)polygon, GeoSeries or GeoDataFrame.

    Geo objects with a CRS are transformed to EPSG:4326 first; bare shapely
    geometries are taken as WGS84 (lng, lat).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> geometry_to_cells(box(17.09, 59.39, 17.11, 59.41), 9).size > 20
    True
    """
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        g = area if area.crs is None else area.to_crs("EPSG:4326")
        geom = shapely.union_all(np.asarray(g.geometry.values))
    elif isinstance(area, shapely.Geometry):
        geom = area
    else:
        raise InputError(
            f"fill/area must be a shapely polygon, GeoSeries or GeoDataFrame; got {type(area).__name__}."
        )
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon) and not p.is_empty]
    if not polys:
        raise InputError("The area has no polygon in it; pass the study area as (Multi)Polygon.")
    # A whole country (a nationwide kommun layer given as the boundary) would take minutes
    # and gigabytes: refuse it with the fix instead.
    area_km2 = float(gpd.GeoSeries(polys, crs="EPSG:4326").to_crs("EPSG:3006").area.sum()) / 1e6
    n_est = area_km2 / (4_357_449.0 / 7.0 ** int(resolution))
    if n_est > MAX_FILL_CELLS:
        raise InputError(
            f"The area to fill is {area_km2:,.0f} km² (about {n_est:,.0f} H3 cells at resolution "
            f"{resolution}), more than {MAX_FILL_CELLS:,} cells: is it a layer of every kommun or "
            "the whole country? Give the kommun's own boundary (with a nationwide kommun layer, "
            "name the kommun: --kommun / [kommun] name or code), or a coarser resolution."
        )
    out: list[int] = []
    for p in polys:
        out.extend(_A.geo_to_cells(p, int(resolution)))
    return _sorted_unique(np.asarray(out, dtype=np.uint64))


def neighbour_matrix(
    cells: npt.ArrayLike, *, rings: int = 1, include_self: bool = True
) -> sparse.csr_matrix:
    """Binary spatial weights between the given cells: ``w[i, j] = 1`` when cell j is
    within ``rings`` grid steps of cell i (H3 ``grid_disk``), in the order given.

    Only cells in ``cells`` count as neighbours: absent cells are not zeros. Fill
    the grid first (:func:`count_cells` with ``fill=``) when zeros matter. The
    last few matrices are memoised by their cells (a pure function of H3 ids),
    so Gi* on many series of the same grid builds the weights once.

    Examples
    --------
    >>> c = disk_cells(points_to_cells([59.4], [17.1], 9), 1)
    >>> w = neighbour_matrix(c)
    >>> w.shape, int(w.sum())
    ((7, 7), 31)
    """
    c = np.ascontiguousarray(np.asarray(cells, dtype=np.uint64).ravel())
    if c.size == 0:
        return sparse.csr_matrix((0, 0), dtype="float64")
    if _sorted_unique(c).size != c.size:
        raise InputError("neighbour_matrix: cells must be unique; drop duplicates first.")
    if rings < 0:
        raise InputError(f"rings must be ≥ 0, got {rings}.")
    return _neighbour_matrix(c.tobytes(), int(rings), bool(include_self)).copy()


@functools.lru_cache(maxsize=8)
def _neighbour_matrix(key: bytes, rings: int, include_self: bool) -> sparse.csr_matrix:
    c = np.frombuffer(key, dtype=np.uint64)
    n = c.size
    rows, flat = _disks(c, rings)
    # position in `c` of each disk cell (-1: not one of the cells), by hash (the cells are unique)
    pos = pd.Index(c).get_indexer(pd.Index(flat))
    hit = pos >= 0
    cols = pos[hit]
    rows = rows[hit]
    if not include_self:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
    # a disk holds each cell once, and each row comes from one disk: no duplicates to sum.
    # Rows in order (disks computed here): the CSR arrays directly; remembered disks put
    # rows out of order: SciPy's COO → CSR (a counting sort, no argsort of every entry)
    if rows.size < 2 or bool((rows[1:] >= rows[:-1]).all()):
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        w = sparse.csr_matrix((np.ones(cols.size), cols, indptr), shape=(n, n))
    else:
        w = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    w.sort_indices()  # canonical: the same sums, in the same order, however the disks came
    return w


# ---------------------------------------------------------------------------
# counting
# ---------------------------------------------------------------------------
def period_labels(incidents: pd.DataFrame, period: str | Sequence[Any]) -> pd.Series:
    """Period label of each incident ("2024-03", "2024Q1", "2024", or "start/end"
    for custom edges); NA when the time is missing or outside the bins.

    Examples
    --------
    >>> df = pd.DataFrame({"occurred_at": pd.to_datetime(["2024-02-03 22:00"]).tz_localize("Europe/Stockholm")})
    >>> period_labels(df, "quarter").tolist()
    ['2024Q1']
    """
    codes, labels = period_codes(incidents["occurred_at"], period)
    lab = np.asarray([*labels, None], dtype=object)
    return pd.Series(lab[codes], index=incidents.index, dtype="string", name="period")


def incident_cells(incidents: pd.DataFrame, resolution: int) -> npt.NDArray[np.uint64]:
    """H3 cell of each incident at ``resolution`` (0 when not placed).

    The ``cell`` column is used when it is at ``resolution`` and complete;
    otherwise cells are recomputed from ``lat``/``lon``.

    Examples
    --------
    >>> incident_cells(pd.DataFrame({"lat": [59.4], "lon": [17.1]}), 7).tolist()
    [608135900307652607]
    """
    if "cell" in incidents.columns:
        c = pd.to_numeric(incidents["cell"], errors="coerce").fillna(0).to_numpy(dtype=np.uint64)
        res = cells_resolution(c)
        nz = c != 0
        if nz.any() and (res[nz] == resolution).all() and (
            not {"lat", "lon"} <= set(incidents.columns)
            or nz.sum() == np.isfinite(incidents["lat"].to_numpy(dtype="float64")).sum()
        ):
            return c
    if not {"lat", "lon"} <= set(incidents.columns):
        raise SchemaError(
            "count_cells needs incident columns lat and lon (WGS84) or a cell column at "
            f"resolution {resolution}; got columns {list(incidents.columns)}."
        )
    return points_to_cells(incidents["lat"].to_numpy(dtype="float64"),
                           incidents["lon"].to_numpy(dtype="float64"), resolution)


def count_cells(
    incidents: pd.DataFrame,
    *,
    resolution: int = 9,
    by: str | None = None,
    period: str | Sequence[Any] | None = None,
    fill: bool | Any = False,
    rings: int = 1,
    precisions: Sequence[str] = POINT_PRECISIONS,
    geometry: bool = True,
) -> gpd.GeoDataFrame:
    """Count incidents per H3 cell (optionally per category and per period).

    Parameters
    ----------
    incidents
        Incident table (canonical columns: ``lat``, ``lon``, ``precision``,
        ``category``, ``occurred_at``; a ``cell`` column at ``resolution`` is used
        as is, at any other resolution it is recomputed from lat/lon).
    resolution
        H3 resolution (9 ≈ 0.1 km², street blocks; 8 neighbourhoods; 7 districts).
    by
        A column to split counts by (usually ``"category"``): adds ``count_<value>``.
    period
        ``"week"``, ``"month"``, ``"quarter"``, ``"year"``, or a list of bin edges
        (``["2024-01-01", "2024-07-01", "2025-01-01"]``, left-closed). The result is
        then indexed by (``cell``, ``period``), where ``period`` is a label such as
        ``"2024-03"``, ``"2024Q1"``, ``"2024"`` or ``"2024-01-01/2024-07-01"``.
    fill
        ``False``: only cells with incidents. ``True``: also every cell within
        ``rings`` of an observed cell, with zero counts (Gi* needs the zeros).
        A polygon/GeoSeries/GeoDataFrame: every cell of that study area (plus the
        observed cells). With ``period``, every filled cell gets every period
        between the first and last observed one (a full space-time cube).
    rings
        Ring distance used by ``fill=True``.
    precisions
        Precisions that are counted on the grid (default ``point`` and ``address``).
        Other rows (``place``, ``area``) are never put on a cell: they are counted
        in ``result.attrs["not_on_grid"]`` (``{precision: n}``).
    geometry
        ``False``: a DataFrame without the hex polygons (for counting and Gi*; build
        them later with :func:`cells_to_polygons` of the index).

    Returns
    -------
    GeoDataFrame
        Indexed by ``cell`` (uint64) or (``cell``, ``period``), columns ``count`` and
        ``count_<value>`` per ``by`` value, geometry = hex polygon (EPSG:4326),
        built only for the returned cells. ``attrs``: ``resolution``,
        ``not_on_grid``, ``not_indexed`` (grid rows without coordinates),
        ``outside_periods`` (rows with no time or outside custom bins), ``periods``.

    Examples
    --------
    >>> df = pd.DataFrame({"lat": [59.4, 59.4, 59.41], "lon": [17.1, 17.1, 17.1],
    ...                    "precision": ["point", "address", "place"],
    ...                    "category": ["vald", "stold", "vald"]})
    >>> cells = count_cells(df, by="category")
    >>> cells[["count", "count_stold", "count_vald"]].to_numpy().tolist()
    [[2, 1, 1]]
    >>> cells.attrs["not_on_grid"]
    {'place': 1}
    """
    _check_count_args(incidents, resolution, by, period)
    sub, not_on_grid = _grid_rows(incidents, precisions)
    cells = incident_cells(sub, resolution)
    indexed = cells != 0
    pcodes, plabels, outside_periods = _periods_of(sub, period, indexed)
    keep = indexed & (pcodes >= 0)
    cells_k = cells[keep]
    pcodes_k = np.maximum(pcodes[keep], 0)
    bcodes, blabels = _by_codes(sub[by], keep) if by is not None else (np.zeros(cells_k.size, dtype=np.int64), [])
    # what np.unique(..., return_inverse=True) gives, by pandas' hash table and a sort of the
    # distinct cells (about half the time of numpy's sort of every row)
    codes, uniques = pd.factorize(cells_k, sort=True)
    obs_of_row = np.asarray(codes, dtype=np.int64)
    observed = np.asarray(uniques, dtype=np.uint64)
    ucells = _cells_to_report(observed, fill, rings, resolution)
    # row → position in ucells, searching only the distinct observed cells
    ci = (obs_of_row if ucells is observed else np.searchsorted(ucells, observed)[obs_of_row]).astype(np.int64)
    total, dense = _tally(ci, pcodes_k, bcodes, ucells.size, len(plabels), len(blabels))
    rows = np.arange(ucells.size * len(plabels))
    if fill is False or fill is None:
        rows = rows[total > 0]
    out = _cell_frame(ucells, rows, total, dense, blabels, plabels if period is not None else None,
                      geometry=geometry)
    out.attrs.update({
        "resolution": int(resolution),
        "not_on_grid": not_on_grid,
        "not_indexed": int((~indexed).sum()),
        "outside_periods": outside_periods,
        "periods": list(plabels) if period is not None else [],
        "by": by,
    })
    return out


def _check_count_args(incidents: pd.DataFrame, resolution: int, by: str | None, period: object) -> None:
    if not isinstance(incidents, pd.DataFrame):
        raise InputError(f"count_cells expects an incident DataFrame, got {type(incidents).__name__}.")
    if not 0 <= resolution <= 15:
        raise InputError(f"H3 resolution must be 0..15, got {resolution}.")
    if by is not None and by not in incidents.columns:
        raise SchemaError(f"count_cells(by={by!r}): no such column; columns are {list(incidents.columns)}.")
    if period is not None and "occurred_at" not in incidents.columns:
        raise SchemaError("count_cells(period=...) needs an occurred_at column.")


def _grid_rows(incidents: pd.DataFrame, precisions: Sequence[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows counted on the grid, and how many of each other precision were left out."""
    if "precision" not in incidents.columns:
        return incidents, {}
    # codes over the few distinct values (computed once per column) instead of a string per row
    pcodes_all, ulabels = text_codes(incidents["precision"])
    if (pcodes_all < 0).any():  # a missing precision reads as "pending"
        pcodes_all, ulabels = np.where(pcodes_all >= 0, pcodes_all, len(ulabels)), np.append(ulabels, "pending")
    on_grid = np.isin(ulabels, np.asarray(list(precisions), dtype=object))[pcodes_all]
    off = pd.Series(ulabels[pcodes_all[~on_grid]]).value_counts()
    sub = incidents if on_grid.all() else incidents.loc[on_grid]
    return sub, {str(k): int(v) for k, v in off.items()}


def _periods_of(sub: pd.DataFrame, period: str | Sequence[Any] | None,
                indexed: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], list[str], int]:
    """(period code per row, -1 outside; the labels; indexed rows outside every period)."""
    if period is None:
        return np.zeros(len(sub), dtype=np.int64), [""], 0
    pcodes, plabels = period_codes(sub["occurred_at"], period)
    return pcodes, plabels, int((indexed & (pcodes < 0)).sum())


def _by_codes(values: pd.Series, keep: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Code per kept row (-1 where missing) and the sorted labels that occur in those rows."""
    # codes of the column as it is (computed once per column), then keep the labels that
    # occur in the counted rows
    bcodes_all, buniq = text_codes(values)
    bcodes = bcodes_all[keep] if not keep.all() else bcodes_all
    seen = np.bincount(bcodes[bcodes >= 0], minlength=len(buniq)) > 0
    if not seen.all():
        renum = np.cumsum(seen) - 1
        bcodes = np.where(bcodes >= 0, renum[np.maximum(bcodes, 0)], -1)
        buniq = buniq[seen]
    blabels = [str(b) for b in buniq]
    order = np.argsort(blabels)
    remap = np.empty(len(blabels), dtype=np.int64)
    remap[order] = np.arange(len(blabels))
    bcodes = np.where(bcodes >= 0, remap[np.maximum(bcodes, 0)], -1)
    return bcodes, [blabels[i] for i in order]


def _cells_to_report(observed: npt.NDArray[np.uint64], fill: bool | Any, rings: int,
                     resolution: int) -> npt.NDArray[np.uint64]:
    """The observed cells, grown by ``rings`` (``fill=True``) or joined by a study area's cells."""
    if fill is False or fill is None:
        return observed
    if fill is True:
        return disk_cells(observed, rings) if observed.size else observed
    return np.union1d(geometry_to_cells(fill, resolution), observed)


def _tally(ci: npt.NDArray[np.int64], pcodes: npt.NDArray[np.int64], bcodes: npt.NDArray[np.int64],
           nc: int, npd: int, nby: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(total per cell × period, counts per cell × period × ``by`` value) by bincount."""
    nb = max(nby, 1)
    key = (ci * npd + pcodes) * nb + np.maximum(bcodes, 0)
    dense = np.bincount(key, minlength=nc * npd * nb).reshape(nc * npd, nb)
    total = np.bincount(ci * npd + pcodes, minlength=nc * npd)
    na = bcodes < 0  # rows whose `by` value is missing count in total only
    if nby and na.any():
        dense -= np.bincount(key[na], minlength=nc * npd * nb).reshape(nc * npd, nb)
    return total, dense


def _cell_frame(ucells: npt.NDArray[np.uint64], rows: npt.NDArray[np.int64], total: npt.NDArray[np.int64],
                dense: npt.NDArray[np.int64], blabels: list[str], plabels: list[str] | None,
                geometry: bool = True) -> gpd.GeoDataFrame:
    """The counts of ``rows`` (cell × period positions) with the cells' hex polygons (unless not ``geometry``)."""
    npd = len(plabels) if plabels is not None else 1
    cell_of_row = ucells[rows // npd]
    # one int64 block, column by column (as pandas stores it): no per-column arrays to stack
    block = np.empty((1 + len(blabels), rows.size), dtype=np.int64)
    block[0] = total[rows]
    if blabels:
        block[1:] = dense[rows, :len(blabels)].T
    columns = ["count", *(f"count_{b}" for b in blabels)]
    if plabels is not None:
        plab = np.asarray(plabels, dtype=object)[rows % npd]
        index = pd.MultiIndex.from_arrays(
            [pd.Index(cell_of_row, dtype="uint64"), pd.Index(plab, dtype="string")],
            names=["cell", "period"],
        )
    else:
        index = pd.Index(cell_of_row, dtype="uint64", name="cell")
    data = pd.DataFrame(block.T, index=index, columns=columns, copy=False)
    if not geometry:
        return data
    return gpd.GeoDataFrame(data, geometry=cells_to_polygons(cell_of_row).values, crs="EPSG:4326")


def roll_up(cells: pd.DataFrame, resolution: int) -> gpd.GeoDataFrame:
    """Sum cell counts up to a coarser ``resolution`` (e.g. 9 → 8 → 7); totals are preserved.

    Every ``count*`` column is summed per parent cell (and per ``period`` when the
    index has one); the hex polygons are rebuilt for the parents. H3 cells are
    not exactly nested, so a point near a parent's edge can lie in a different
    cell when indexed directly at the coarser resolution: the roll-up keeps the
    fine cells' totals, a recount puts points exactly. Going to a finer
    resolution cannot be done from counts: recount the incidents with
    :func:`count_cells` instead.

    Examples
    --------
    >>> df = pd.DataFrame({"lat": [59.40, 59.401, 59.43], "lon": [17.1, 17.102, 17.2],
    ...                    "precision": "point"})
    >>> roll_up(count_cells(df, resolution=9), 7)["count"].sum()
    np.int64(3)
    """
    if not isinstance(cells, pd.DataFrame):
        raise InputError(f"roll_up expects a cell table from count_cells, got {type(cells).__name__}.")
    if isinstance(cells.index, pd.MultiIndex):
        cell_idx = cells.index.get_level_values("cell").to_numpy(dtype=np.uint64)
        period = cells.index.get_level_values("period")
    else:
        cell_idx = cells.index.to_numpy(dtype=np.uint64)
        period = None
    res = cells_resolution(cell_idx)
    if cell_idx.size and (res < resolution).any():
        raise InputError(
            f"roll_up: resolution {resolution} is finer than some cells ({res.min()}); "
            "recount incidents with count_cells(resolution=...) instead."
        )
    parents = cells_to_parent(cell_idx, resolution)
    cols = [c for c in cells.columns if str(c).startswith("count")]
    frame = pd.DataFrame(cells[cols].to_numpy(), columns=cols)
    frame["cell"] = pd.Series(parents, dtype="uint64")
    keys = ["cell"]
    if period is not None:
        frame["period"] = np.asarray(period)
        keys.append("period")
    summed = frame.groupby(keys, sort=True).sum()
    pc = summed.index.get_level_values("cell").to_numpy(dtype=np.uint64)
    out = gpd.GeoDataFrame(summed, geometry=cells_to_polygons(pc).values, crs="EPSG:4326")
    out.attrs.update({k: v for k, v in cells.attrs.items() if k != "resolution"})
    out.attrs["resolution"] = int(resolution)
    return out
