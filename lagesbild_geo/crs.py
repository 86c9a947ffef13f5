"""Recognising and transforming the coordinate systems Swedish data arrives in.

Recognised from the values (no ``crs=`` needed):

- **WGS84** (EPSG:4326): latitude 54–70, longitude 9–25.5.
- **SWEREF 99 TM** (EPSG:3006): northing 6.0–7.8 million m, easting 250 000–1 100 000 m.
- **RT90 2.5 gon V** (EPSG:3021): northing 6.0–7.8 million m, easting 1 100 000–2 000 000 m.
- **SWEREF 99 local zones** (EPSG:3007–3018, e.g. "SWEREF 99 18 00"): northing as above,
  easting below 250 000 m (false easting 150 000). All twelve zones share that range,
  so a zone is used when the caller names it, or when exactly one zone puts the
  points inside its own area of use; otherwise :class:`~lagesbild_geo.errors.CRSError`
  asks for ``crs=``.

**Axes.** In Sweden the northing is always the larger number (6–7.8 million
against at most 2 million; latitude 55–69 against longitude 10–24), so the axes of
every row are put in order by value: Swedish surveying calls the northing X, and
lat/lon columns get swapped; both are fixed and counted.

Transforms use :class:`pyproj.Transformer` (``always_xy=True``) on numpy arrays,
one cached transformer per thread and CRS pair; no point geometries are built.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj import CRS

from .errors import CRSError

__all__ = [
    "CRS_RANGE_LABELS",
    "LOCAL_ZONES",
    "CRSGuess",
    "check_layer_axes",
    "degrees_declared_but_metres",
    "detect_crs",
    "fits_range",
    "guess_layer_crs",
    "normalise_crs",
    "orient_axes",
    "to_sweref",
    "to_wgs84",
    "transform",
]

WGS84 = "EPSG:4326"
SWEREF99TM = "EPSG:3006"
RT90 = "EPSG:3021"
#: SWEREF 99 local zones: EPSG code → name.
LOCAL_ZONES: dict[int, str] = {
    3007: "SWEREF99 12 00", 3008: "SWEREF99 13 30", 3009: "SWEREF99 15 00",
    3010: "SWEREF99 16 30", 3011: "SWEREF99 18 00", 3012: "SWEREF99 14 15",
    3013: "SWEREF99 15 45", 3014: "SWEREF99 17 15", 3015: "SWEREF99 18 45",
    3016: "SWEREF99 20 15", 3017: "SWEREF99 21 45", 3018: "SWEREF99 23 15",
}

_NAMES = {
    "wgs84": 4326, "wgs 84": 4326, "latlon": 4326, "lat lon": 4326, "4326": 4326,
    "sweref99tm": 3006, "sweref 99 tm": 3006, "sweref99 tm": 3006, "sweref": 3006,
    "sweref99": 3006, "sweref 99": 3006,
    "rt90": 3021, "rt 90": 3021, "rt90 2.5 gon v": 3021, "rt90 25 gon v": 3021,
    "rt 90 2.5 gon v": 3021,
}

# Value ranges, per row, on (larger, smaller) of the two coordinates.
_NORTHING = (6.0e6, 7.8e6)
_RANGES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    WGS84: ((54.0, 70.5), (9.0, 25.5)),
    SWEREF99TM: (_NORTHING, (2.5e5, 1.1e6)),
    RT90: (_NORTHING, (1.1e6, 2.0e6)),
    "local": (_NORTHING, (0.0, 2.5e5)),
}


#: The CRSs of :data:`_RANGES` as a note names them.
CRS_RANGE_LABELS: dict[str, str] = {
    WGS84: "WGS84 lat/lon (EPSG:4326)", SWEREF99TM: "SWEREF 99 TM (EPSG:3006)",
    RT90: "RT90 2.5 gon V (EPSG:3021)", "local": "a SWEREF 99 local zone",
}


def fits_range(x: np.ndarray, y: np.ndarray, key: str) -> np.ndarray:
    """Which points (x the smaller, y the larger coordinate, as :func:`orient_axes` gives
    them) lie in the value range of one CRS of :data:`CRS_RANGE_LABELS`.

    Examples
    --------
    >>> fits_range(np.array([1_574_198.0, 17.12]), np.array([6_583_424.0, 59.37]), "EPSG:3021").tolist()
    [True, False]
    """
    (ylo, yhi), (xlo, xhi) = _RANGES[key]
    return (y >= ylo) & (y <= yhi) & (x >= xlo) & (x < xhi)


def _label(epsg: int) -> str:
    if epsg == 4326:
        return "WGS84"
    if epsg == 3006:
        return "SWEREF 99 TM"
    if epsg == 3021:
        return "RT90 2.5 gon V"
    return LOCAL_ZONES.get(epsg, f"EPSG:{epsg}")


def normalise_crs(crs: object) -> str:
    """The ``"EPSG:n"`` string of a CRS given as a number, code, name or pyproj CRS.

    Examples
    --------
    >>> normalise_crs(3006), normalise_crs("sweref99tm"), normalise_crs("RT90")
    ('EPSG:3006', 'EPSG:3006', 'EPSG:3021')
    """
    if isinstance(crs, (int, np.integer)):
        return f"EPSG:{int(crs)}"
    text = str(crs).strip()
    key = re.sub(r"[\s_]+", " ", text.lower())
    if key in _NAMES:
        return f"EPSG:{_NAMES[key]}"
    if key.replace(" ", "") in _NAMES:
        return f"EPSG:{_NAMES[key.replace(' ', '')]}"
    m = re.fullmatch(r"(?:epsg)?\s*:?\s*(\d{4,6})", key)
    if m:
        return f"EPSG:{int(m.group(1))}"
    for code, name in LOCAL_ZONES.items():
        if key.replace(" ", "") == name.lower().replace(" ", ""):
            return f"EPSG:{code}"
    try:
        c = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise CRSError(
            f"Unknown coordinate reference system {crs!r}; give an EPSG code such as 3006 "
            "(SWEREF 99 TM), 4326 (WGS84), 3021 (RT90) or 3007–3018 (SWEREF 99 local zones)."
        ) from None
    epsg = c.to_epsg()
    if epsg is None:
        raise CRSError(f"CRS {crs!r} has no EPSG code; give one such as 3006 or 4326.")
    return f"EPSG:{epsg}"


@dataclass(frozen=True)
class CRSGuess:
    """What :func:`detect_crs` concluded about a pair of coordinate columns.

    Attributes
    ----------
    crs
        ``"EPSG:n"``, or None when no row looks like Swedish coordinates.
    swapped
        True when most rows had the northing/latitude in the *first* column
        (``names[0]``): X holding the northing, or lat in a "lon" column.
    swapped_rows
        Number of rows whose two values were put in order.
    rows_fitting
        Number of rows whose values fit the chosen CRS's Swedish range.
    rows
        Number of rows with two finite values.
    named
        True when the caller named the CRS (not detected).
    note
        One plain-English sentence for the ingest report.
    """

    crs: str | None
    swapped: bool
    swapped_rows: int
    rows_fitting: int
    rows: int
    named: bool
    note: str

    @property
    def epsg(self) -> int | None:
        """The EPSG code as an int (None when unknown)."""
        return None if self.crs is None else int(self.crs.split(":")[1])

    @property
    def is_geographic(self) -> bool:
        """True for WGS84 lon/lat."""
        return self.crs == WGS84


def orient_axes(
    a: npt.ArrayLike, b: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Order each row's two values as (x, y) = (easting/lon, northing/lat).

    In every CRS used in Sweden the northing (latitude) is the larger number, so
    ``y = max(a, b)`` and ``x = min(a, b)`` row by row.

    Returns
    -------
    (x, y, swapped)
        ``swapped`` marks rows where ``a`` held the larger value (NaN rows: False).

    Examples
    --------
    >>> x, y, s = orient_axes([6_580_000.0, 17.1], [660_000.0, 59.3])
    >>> x.tolist(), y.tolist(), s.tolist()
    ([660000.0, 17.1], [6580000.0, 59.3], [True, False])
    """
    av = np.asarray(a, dtype="float64")
    bv = np.asarray(b, dtype="float64")
    swapped = av > bv
    x = np.where(swapped, bv, av)
    y = np.where(swapped, av, bv)
    return x, y, swapped


def _classify(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray | bool]:
    """Which of the (finite) points fall in each CRS's range: a mask, or ``True``/``False``
    for every point when their bounding box settles it (the usual file, in one CRS: four
    reductions instead of a mask per CRS over a million points)."""
    if not x.size:
        return dict.fromkeys(_RANGES, False)
    x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    out: dict[str, np.ndarray | bool] = {}
    for key, ((ylo, yhi), (xlo, xhi)) in _RANGES.items():
        if y0 >= ylo and y1 <= yhi and x0 >= xlo and x1 < xhi:
            out[key] = True
        elif y1 < ylo or y0 > yhi or x1 < xlo or x0 >= xhi:
            out[key] = False
        else:
            out[key] = fits_range(x, y, key)
    return out


def _local_zone_candidates(x: np.ndarray, y: np.ndarray) -> list[int]:
    """Zones that put the median point inside their own area of use."""
    mx, my = float(np.median(x)), float(np.median(y))
    hits = []
    for code in LOCAL_ZONES:
        lon, lat = to_wgs84(np.array([mx]), np.array([my]), f"EPSG:{code}")
        aou = pyproj.CRS.from_epsg(code).area_of_use
        if aou is None:
            continue
        if aou.west <= lon[0] <= aou.east and aou.south <= lat[0] <= aou.north:
            hits.append(code)
    return hits


def _zone_inside(zones: list[int], x: np.ndarray, y: np.ndarray,
                 inside: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> int | None:
    """The local zone whose reading of (x, y) puts most points ``inside``: more than half of
    them, and more than twice as many as any other zone (in a kommun as wide as the zones
    are apart, two zones may both put many there: Uppsala's points read in 18 45 instead of
    18 00 are still 31 % inside); ``None`` when none stands out."""
    step = max(1, x.size // 2000)  # a sample is enough to tell zones 20-100 km apart
    sx, sy = x[::step], y[::step]
    hits = {}
    for code in zones:
        lon, lat = to_wgs84(sx, sy, f"EPSG:{code}")
        hits[code] = int(np.asarray(inside(lon, lat), dtype=bool).sum())
    ranked = sorted(hits, key=lambda c: -hits[c])
    best = ranked[0]
    if hits[best] * 2 <= sx.size or (len(ranked) > 1 and hits[ranked[1]] * 2 >= hits[best]):
        return None
    return best


class _ZoneUnknown(CRSError):
    """A SWEREF 99 local zone the values cannot tell: ``finding`` says so, without the advice
    for an incident file (crs=, a boundary) that the message adds."""

    def __init__(self, finding: str, advice: str) -> None:
        super().__init__(f"{finding}. {advice}")
        self.finding = finding


def _local_zone(x: np.ndarray, y: np.ndarray, names: tuple[str, str],
                inside: Callable[[np.ndarray, np.ndarray], np.ndarray] | None) -> tuple[str, str]:
    """(EPSG code, note) of the SWEREF 99 local zone of (x, y): the only one that fits, or the
    one ``inside`` tells (:func:`_zone_inside`); raises :class:`CRSError` naming the candidates."""
    zones = _local_zone_candidates(x, y)
    if len(zones) > 1 and inside is not None and (picked := _zone_inside(zones, x, y, inside)) is not None:
        code = f"EPSG:{picked}"
        return code, (f"{LOCAL_ZONES[picked]} ({code}) chosen: of the local zones that fit the values "
                      f"({', '.join(LOCAL_ZONES[z] for z in zones)}), the only one that puts most of the "
                      f"{x.size} points inside the boundary.")
    if len(zones) != 1:
        listed = ", ".join(f"EPSG:{z} ({LOCAL_ZONES[z]})" for z in (zones or LOCAL_ZONES))
        raise _ZoneUnknown(
            f"Coordinates in {'/'.join(dict.fromkeys(names))} look like a SWEREF 99 local zone "
            f"(eastings around 150 000 m), but the zone cannot be told from the values; candidates: {listed}",
            "Name it with crs= (--crs), e.g. crs=3011 for SWEREF 99 18 00, or give the kommun boundary "
            "(boundary=, --boundary): the zone that puts the points in it is taken.")
    code = f"EPSG:{zones[0]}"
    return code, f"{LOCAL_ZONES[zones[0]]} ({code}) detected: the only local zone that fits."


def detect_crs(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    crs: object | None = None,
    names: tuple[str, str] = ("X", "Y"),
    inside: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> CRSGuess:
    """Recognise the CRS of two coordinate columns from their values.

    Parameters
    ----------
    a, b
        The two columns as numbers (NaN where missing), in the order the source
        gives them (``a`` is the column called ``names[0]``). Which one is the
        northing is decided per row (see :func:`orient_axes`).
    crs
        The CRS when the caller knows it (EPSG code or name); then only the axes
        are checked. Required for a SWEREF 99 local zone unless exactly one zone fits.
    names
        Column names, used in the note.
    inside
        Which WGS84 points (lon, lat arrays → bool array) lie where the data belong, e.g.
        in the kommun's boundary: of several SWEREF 99 local zones that fit the values, the
        one that puts most points there (and more than half of them, and more than any
        other zone) is taken. Without it, or when no zone stands out, several zones raise.

    Returns
    -------
    CRSGuess

    Raises
    ------
    CRSError
        The values look like a SWEREF 99 local zone and more than one zone fits;
        the message lists them and asks for ``crs=``.

    Examples
    --------
    >>> g = detect_crs([6_580_000.0, 6_581_000.0], [660_000.0, 661_000.0])
    >>> g.crs, g.swapped
    ('EPSG:3006', True)
    >>> detect_crs([17.1], [59.3], names=("lon", "lat")).crs
    'EPSG:4326'
    """
    av = np.asarray(a, dtype="float64")
    bv = np.asarray(b, dtype="float64")
    if av.shape != bv.shape:
        raise CRSError(f"Coordinate columns {names[0]} and {names[1]} differ in length.")
    ok = np.isfinite(av) & np.isfinite(bv)
    every = bool(ok.all())  # the usual column: no copies of a million values
    x, y, sw = orient_axes(av if every else av[ok], bv if every else bv[ok])
    n = int(ok.sum())
    swapped_rows = int(sw.sum())
    classes = _classify(x, y)
    counts = {k: (n if v is True else 0) if isinstance(v, bool) else int(v.sum()) for k, v in classes.items()}
    # the axis order of the file is decided by the rows that look Swedish at all
    masks = [v for v in classes.values() if not isinstance(v, bool)]
    if any(v is True for v in classes.values()) or not masks:
        basis = sw  # every row looks Swedish, or none does
    else:
        plausible = np.logical_or.reduce(masks)
        basis = sw[plausible] if plausible.any() else sw
    swapped = bool(basis.size) and int(basis.sum()) * 2 > basis.size
    axes_note = _axes_note(names, swapped, swapped_rows, n)

    if crs is not None:
        return _given(crs, counts, n, swapped, swapped_rows, axes_note)

    if n == 0:
        return CRSGuess(None, False, 0, 0, 0, False, "No coordinates.")
    best = max(counts, key=lambda k: counts[k])
    if counts[best] == 0:
        return CRSGuess(None, swapped, swapped_rows, 0, n, False,
                        f"No row of {'/'.join(dict.fromkeys(names))} looks like Swedish coordinates "
                        "(WGS84, SWEREF 99 TM, SWEREF 99 local zone or RT90)." + axes_note)
    if best == "local":
        sel = classes["local"]
        lx, ly = (x, y) if sel is True else (x[sel], y[sel])
        code, note = _local_zone(lx, ly, names, inside)
        return CRSGuess(code, swapped, swapped_rows, counts["local"], n, False, note + axes_note)
    epsg = int(best.split(":")[1])
    note = f"{_label(epsg)} ({best}) detected from the value ranges ({counts[best]} of {n} rows fit)."
    return CRSGuess(best, swapped, swapped_rows, counts[best], n, False, note + axes_note)


def _axes_note(names: tuple[str, str], swapped: bool, swapped_rows: int, n: int) -> str:
    """The note's sentence on swapped axes ("" when none are)."""
    if swapped:
        if names[0].strip().lower() in ("lat", "latitud", "latitude", "y"):
            axes = f"{names[0]} holds the larger value"
        else:
            axes = f"{names[0]} holds the northing/latitude (Swedish convention: X is north)"
        return f" Axes swapped in {swapped_rows} of {n} rows: {axes}; fixed."
    if swapped_rows:
        return f" Axes swapped in {swapped_rows} of {n} rows; fixed."
    return ""


def _given(crs: object, counts: dict[str, int], n: int, swapped: bool, swapped_rows: int,
           axes_note: str) -> CRSGuess:
    """The guess for a CRS the caller named: taken as given, with a warning when the values
    fit another CRS better."""
    code = normalise_crs(crs)
    epsg = int(code.split(":")[1])
    key = code if code in _RANGES else ("local" if epsg in LOCAL_ZONES else code)
    fitting = counts.get(key, n)
    note = f"{_label(epsg)} ({code}) as given."
    best = max(counts, key=lambda k: counts[k]) if n else None
    if n and best is not None and best != key and counts[best] > fitting:
        seen = "a SWEREF 99 local zone" if best == "local" else f"{_label(int(best.split(':')[1]))} ({best})"
        note += f" Warning: the values look like {seen}, not {code}."
    return CRSGuess(code, swapped, swapped_rows, fitting, n, True, note + axes_note)


_local = threading.local()


def _transformer(src: str, dst: str) -> pyproj.Transformer:
    # pyproj transformers are not shared between threads; keep one per thread.
    cache: dict[tuple[str, str], pyproj.Transformer] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = {}
        _local.cache = cache
    key = (src, dst)
    t = cache.get(key)
    if t is None:
        t = pyproj.Transformer.from_crs(src, dst, always_xy=True)
        cache[key] = t
    return t


@functools.cache
def wgs84_crs() -> pyproj.CRS:
    """EPSG:4326 as a pyproj CRS, made once (pyproj takes milliseconds to make one; a
    GeoSeries given the text ``"EPSG:4326"`` makes a new one every time).

    >>> wgs84_crs().to_epsg(), wgs84_crs() is wgs84_crs()
    (4326, True)
    """
    return pyproj.CRS.from_epsg(4326)


def transform(
    x: npt.ArrayLike, y: npt.ArrayLike, src: object, dst: object
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Transform coordinate arrays (x = easting/lon, y = northing/lat) between CRSs.

    Examples
    --------
    >>> e, n = transform([18.0686], [59.3293], 4326, 3006)
    >>> round(float(e[0])), round(float(n[0]))
    (674572, 6580743)
    """
    s, d = normalise_crs(src), normalise_crs(dst)
    xv = np.asarray(x, dtype="float64")
    yv = np.asarray(y, dtype="float64")
    if s == d:
        return xv.copy(), yv.copy()
    try:
        tx, ty = _transformer(s, d).transform(xv, yv)
    except pyproj.exceptions.ProjError as exc:  # pragma: no cover - unusual inputs
        raise CRSError(f"Cannot transform from {s} to {d}: {exc}") from None
    tx = np.asarray(tx, dtype="float64")
    ty = np.asarray(ty, dtype="float64")
    bad = ~(np.isfinite(tx) & np.isfinite(ty))
    if bad.any():
        tx[bad] = np.nan
        ty[bad] = np.nan
    return tx, ty


def to_wgs84(
    x: npt.ArrayLike, y: npt.ArrayLike, crs: object
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(lon, lat) in WGS84 of (x, y) = (easting, northing) in ``crs``.

    Examples
    --------
    >>> lon, lat = to_wgs84([674572.0], [6580743.0], 3006)
    >>> round(float(lon[0]), 4), round(float(lat[0]), 4)
    (18.0686, 59.3293)
    """
    return transform(x, y, crs, WGS84)


def to_sweref(
    lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(easting, northing) in SWEREF 99 TM of WGS84 (lon, lat).

    Examples
    --------
    >>> e, n = to_sweref([18.0686], [59.3293])
    >>> round(float(e[0])), round(float(n[0]))
    (674572, 6580743)
    """
    return transform(lon, lat, WGS84, SWEREF99TM)


def degrees_declared_but_metres(gdf: Any) -> bool:
    """A layer whose CRS says degrees (WGS84) while its coordinates are far outside ±180/±90."""
    if gdf.crs is None or not len(gdf):
        return False
    try:
        geographic = bool(CRS.from_user_input(gdf.crs).is_geographic)
    except Exception:  # pragma: no cover - an unusual CRS object
        return False
    b = gdf.total_bounds
    return geographic and bool(np.isfinite(b).all()) and (abs(b).max() > 360)


def guess_layer_crs(geoms: npt.NDArray[Any], source: str, *, what: str = "District layer",
                    fix: str | None = None) -> tuple[CRS, bool]:
    """The CRS of a layer that declares none, recognised from its coordinates: ``(crs, True)``.

    WGS84 when every coordinate is in degrees; else SWEREF 99 TM, RT90 or the one SWEREF 99
    local zone that fits (:func:`lagesbild_geo.crs.detect_crs`). :class:`CRSError` naming
    ``source`` (a ``what``: "District layer", "Place layer") and the fix (``fix``, default
    how to give a district layer's CRS) when none fits. Used for district, boundary and
    place layers.

    Examples
    --------
    >>> crs, guessed = guess_layer_crs(np.array([shapely.box(660000, 6580000, 661000, 6581000)]), "a.shp")
    >>> crs.to_epsg(), guessed
    (3006, True)
    """
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        return CRS.from_epsg(4326), True
    fix = fix or ("Set the CRS on the file (a shapefile needs its .prj; in QGIS: Layer → Set CRS, then "
                  "export) or pass crs= to read_districts (lagesbild build --districts-crs 3011; in lagesbild.toml: "
                  "crs = 3011 under [districts]).")
    # The value ranges tell SWEREF 99 TM, RT90 and the local zones apart (crs.detect_crs);
    # a local zone only when exactly one zone fits.
    xy = shapely.get_coordinates(geoms)
    if len(xy) > 20_000:
        xy = xy[:: len(xy) // 20_000 + 1]
    try:
        guess = detect_crs(xy[:, 0], xy[:, 1], names=("x", "y"))
    except CRSError as exc:  # what the values allow; a layer's fix, not an incident file's
        found = exc.finding if isinstance(exc, _ZoneUnknown) else str(exc).rstrip(".")
        raise CRSError(f"{what} {source} has no CRS. {found}. {fix}") from None
    if guess.crs is not None and guess.crs != "EPSG:4326" and not guess.swapped \
            and guess.rows_fitting == guess.rows:
        return CRS.from_user_input(guess.crs), True
    raise CRSError(
        f"{what} {source} has no CRS and its coordinates ({minx:.0f}, {miny:.0f}, "
        f"{maxx:.0f}, {maxy:.0f}) look neither like WGS84 degrees nor Swedish metres (SWEREF 99 "
        f"TM, a SWEREF 99 local zone, RT90) with x the easting. {fix}"
    )


def check_layer_axes(geoms: npt.NDArray[Any], crs: CRS, source: str, *, what: str = "District layer") -> None:
    """Refuse a layer whose x and y are exchanged: read in its CRS it lies outside Sweden,
    with x and y swapped inside it (a GeoJSON written as lat, lon; a northing in x).

    Such a layer was read without a word, and every incident fell outside all its areas.

    Examples
    --------
    >>> check_layer_axes(np.array([shapely.box(55.5, 12.9, 55.6, 13.1)]), CRS.from_epsg(4326), "m.geojson")
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.CRSError: District layer m.geojson has its x and y exchanged: read as EPSG:4326 (x 55.5 to 55.6, y 12.9 to 13.1) it lies outside Sweden, with x and y swapped inside it. Swap them in the file (QGIS: Processing ▸ Toolbox ▸ 'Swap X and Y coordinates', then save the layer) and read it again.
    """
    xy = shapely.get_coordinates(geoms)
    if not len(xy):
        return
    if len(xy) > 5_000:
        xy = xy[:: len(xy) // 5_000 + 1]
    (lat0, lat1), (lon0, lon1) = _RANGES[WGS84]

    def share_in_sweden(x: np.ndarray, y: np.ndarray) -> float:
        try:
            lon, lat = (x, y) if crs.is_geographic else to_wgs84(x, y, crs.to_string())
        except Exception:  # pyproj refuses values far outside the CRS: not in Sweden
            return 0.0
        with np.errstate(invalid="ignore"):
            return float(np.mean((lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)))

    if share_in_sweden(xy[:, 0], xy[:, 1]) >= 0.5 or share_in_sweden(xy[:, 1], xy[:, 0]) < 0.5:
        return
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    raise CRSError(
        f"{what} {source} has its x and y exchanged: read as {crs.to_string()} (x {x0:.6g} to {x1:.6g}, "
        f"y {y0:.6g} to {y1:.6g}) it lies outside Sweden, with x and y swapped inside it. Swap them in "
        "the file (QGIS: Processing ▸ Toolbox ▸ 'Swap X and Y coordinates', then save the layer) and "
        "read it again.")
