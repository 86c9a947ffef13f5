"""A fast validity test for polygons with many vertices.

GEOS checks a ring for self-intersections with an index of monotone chains. A ring
that zigzags (a star-shaped district, a spiky coastline) has a chain per edge whose
bounding boxes overlap, and the check becomes quadratic: 3–4 s for one 50 000-vertex
star, called several times while a layer is read. Most large real polygons, and every
star-shaped one, pass a linear test instead: seen from a point inside, the vertices
turn strictly one way round, exactly once. Such a ring is simple (every ray from the
point meets it once), so a polygon without holes that passes is valid. The rest goes
to GEOS as before. A MultiPolygon whose parts lie apart (islands) is valid when its
parts are, so each part takes the same path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from .errors import InputError

__all__ = ["boundary_geometry", "check_shapefile_parts", "inside_boundary", "is_valid", "polygonal_parts", "repair_polygons"]

def boundary_geometry(boundary: Any) -> shapely.Geometry:
    """``boundary`` as one shapely geometry in WGS84: a polygon (shapely, WGS84) as it is,
    a GeoDataFrame/GeoSeries in any CRS as the union of its features."""
    if hasattr(boundary, "to_crs") and hasattr(boundary, "crs"):  # GeoDataFrame or GeoSeries
        b = boundary.to_crs(4326) if boundary.crs is not None else boundary
        return shapely.union_all(np.asarray(b.geometry.array if hasattr(b, "columns") else b.array))
    if isinstance(boundary, shapely.Geometry):
        return boundary
    raise InputError(f"boundary must be a shapely polygon in WGS84 or a GeoDataFrame, got {type(boundary).__name__}.")


def inside_boundary(lon: np.ndarray, lat: np.ndarray, mask: np.ndarray, boundary: Any) -> np.ndarray:
    """Which points (WGS84) lie in or on ``boundary`` (:func:`boundary_geometry`). Only the
    rows of ``mask`` are tested; the others are True."""
    geom = boundary_geometry(boundary)
    out = np.ones(len(lon), dtype=bool)
    idx = np.flatnonzero(mask)
    shapely.prepare(geom)
    out[idx] = shapely.intersects_xy(geom, lon[idx], lat[idx])  # inside or on its edge
    return out


_SHAPEFILE_PARTS = (".dbf", ".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qix")


def _sibling(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` with ``suffix`` in either case (.shx or .SHX), if any."""
    for s in (suffix, suffix.upper()):
        p = path.with_suffix(s)
        if p.exists():
            return p
    return None


def check_shapefile_parts(path: str | Path, what: str) -> None:
    """Refuse one part of a shapefile given alone, or a .shp without the parts it needs.

    A shapefile is several files of one name: the geometry (.shp) with its index (.shx),
    the attributes (.dbf) and the CRS (.prj). A kommun that sends only ``stadsdelar.dbf``
    gets "has no geometry" from GDAL, and a .shp without its .dbf is read as shapes
    without names or codes; this says which file is missing. ``what`` names the input
    ("District layer", "Boundary file", "Place layer").

    Examples
    --------
    >>> check_shapefile_parts("stadsdelar.dbf", "District layer")
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.InputError: District layer stadsdelar.dbf is one part of a shapefile (its table of names and codes, no shapes), and stadsdelar.shp is not beside it. A shapefile is several files of one name: .shp (the shapes), .shx, .dbf and .prj (the CRS); copy them all into one folder and give the .shp, or export the layer as a GeoPackage or GeoJSON.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    what = f"{what} " if what else ""
    whole = ("A shapefile is several files of one name: .shp (the shapes), .shx, .dbf and .prj "
             "(the CRS); copy them all into one folder and give the .shp, or export the layer as "
             "a GeoPackage or GeoJSON.")
    if suffix in _SHAPEFILE_PARTS:
        shp = _sibling(p, ".shp")
        part = "its table of names and codes, no shapes" if suffix == ".dbf" else f"its {suffix} file"
        if shp is not None:
            raise InputError(f"{what}{p.name} is one part of a shapefile ({part}): give {shp.name}, "
                             "the .shp file beside it.")
        raise InputError(f"{what}{p.name} is one part of a shapefile ({part}), and "
                         f"{p.with_suffix('.shp').name} is not beside it. {whole}")
    if suffix == ".shp":
        missing = [s for s in (".shx", ".dbf") if _sibling(p, s) is None]
        if missing:
            what_missing = " and ".join(p.with_suffix(s).name for s in missing)
            lost = ("" if ".dbf" not in missing
                    else " Without the .dbf the shapes have none of their columns (names, codes, times).")
            raise InputError(f"{what}{p.name}: {what_missing} {'is' if len(missing) == 1 else 'are'} "
                             f"missing beside it.{lost} {whole}")


#: Polygons with fewer vertices go straight to GEOS (fast enough there).
FAST_FROM = 2_000
_EPS = 1e-12


def _turns_once(ring: npt.NDArray[np.float64], centre: npt.NDArray[np.float64]) -> bool:
    """True when the closed ring winds once around ``centre`` with strictly monotone angle."""
    if len(ring) < 4 or not np.array_equal(ring[0], ring[-1]):
        return False
    d = ring[:-1] - centre
    if not np.isfinite(d).all() or ((d[:, 0] == 0) & (d[:, 1] == 0)).any():
        return False
    ang = np.arctan2(d[:, 1], d[:, 0])
    step = np.diff(np.append(ang, ang[0]))
    step = (step + np.pi) % (2 * np.pi) - np.pi  # each edge's turn, in [-pi, pi)
    if np.all(step > _EPS):
        pass
    elif np.all(step < -_EPS):
        step = -step
    else:
        return False
    if (step >= np.pi - 1e-9).any():  # an edge passing (nearly) through the centre
        return False
    return bool(abs(float(step.sum()) - 2 * np.pi) < 1e-7)


def _star_valid(poly: Any) -> bool:
    """A polygon without holes whose ring turns once round its centroid or vertex mean."""
    if shapely.get_type_id(poly) != 3 or shapely.get_num_interior_rings(poly) != 0:
        return False
    ring = shapely.get_coordinates(shapely.get_exterior_ring(poly))
    if ring.shape[0] < 4:
        return False
    c1 = shapely.get_coordinates(shapely.centroid(poly))
    candidates = [c1[0]] if len(c1) else []
    candidates.append(ring[:-1].mean(axis=0))
    return any(_turns_once(ring, c) for c in candidates if np.isfinite(c).all())


def _disjoint_parts_valid(multi: Any) -> bool:
    """A MultiPolygon whose parts' bounding boxes do not even touch, each part valid."""
    parts = shapely.get_parts(multi)
    if len(parts) < 2:
        return False
    tree = shapely.STRtree(parts)
    pairs = tree.query(parts)
    if (pairs[0] != pairs[1]).any():
        return False
    return bool(is_valid(parts).all())


def is_valid(geoms: Any) -> npt.NDArray[np.bool_]:
    """``shapely.is_valid`` with a linear fast path for large hole-free polygons.

    Same answer as GEOS for every geometry (the fast path only ever says "valid" for
    rings that are provably simple); missing geometries are ``False`` as in shapely.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> t = np.linspace(0, 2 * np.pi, 6000, endpoint=False)
    >>> r = np.where(np.arange(6000) % 2 == 0, 2.0, 1.0)
    >>> star = shapely.Polygon(np.c_[r * np.cos(t), r * np.sin(t)])
    >>> bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> is_valid([star, bow, None]).tolist()
    [True, False, False]
    """
    arr = np.asarray(geoms, dtype=object)
    flat = arr.ravel()
    out = np.zeros(flat.shape, dtype=bool)
    if flat.size == 0:
        return out.reshape(arr.shape)
    n = shapely.get_num_coordinates(flat)
    big = np.flatnonzero((n >= FAST_FROM) & ~shapely.is_missing(flat))
    rest = np.ones(flat.shape, dtype=bool)
    for i in big.tolist():
        g = flat[i]
        kind = shapely.get_type_id(g)
        if (kind == 3 and _star_valid(g)) or (kind == 6 and _disjoint_parts_valid(g)):
            out[i] = True
            rest[i] = False
    if rest.any():
        out[rest] = shapely.is_valid(flat[rest])
    return out.reshape(arr.shape)


def polygonal_parts(geom: Any) -> Any:
    """Keep only the polygonal parts of a (repaired) geometry (``None`` stays ``None``)."""
    if geom is None:
        return None
    if shapely.get_type_id(geom) in (3, 6):  # Polygon, MultiPolygon
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def repair_polygons(geoms: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """Invalid polygons repaired (``shapely.make_valid``, polygonal parts kept) and which
    were invalid; missing geometries are left as they are."""
    invalid = ~is_valid(geoms) & ~shapely.is_missing(geoms)
    out = geoms.copy()
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        out[invalid] = np.array([polygonal_parts(g) for g in fixed], dtype=object)
    return out, invalid
