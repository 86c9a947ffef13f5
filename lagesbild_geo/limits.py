"""Resource limits for reading files as they arrive (and as an attacker would send them).

A kommun's files are small; a file that is far larger than any real export once
unpacked or parsed (a zip bomb, a spreadsheet with a stray cell in its last column,
JSON nested thousands deep, a CSV whose unclosed quote turns the rest of the file
into one cell) is refused early with a message that names the limit and the fix,
instead of filling the memory or running for minutes.

Every limit is a field of the frozen :class:`Limits`, passed explicitly:
``Settings(limits=Limits(max_rows=...))`` for :func:`lagesbild_geo.read.read_incidents`,
``limits=`` for :func:`lagesbild_geo.read.read_table`,
:func:`lagesbild_geo.districts.read_districts` and
:func:`lagesbild_geo.export.read_package`. The defaults are far above real data
(see ``docs/reading-data.md``, "Limits").

The helpers here are the one place the limits are checked:
:func:`check_zip` and :func:`extract_zip` (member count, unpacked size, compression
ratio, unsafe member names), :func:`load_json` (nesting depth),
:func:`check_table` (rows, columns, cell length) and :func:`check_vertices`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import shapely

from .errors import InputError, ValidationError

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "check_table",
    "check_vertices",
    "check_zip",
    "extract_zip",
    "file_sha256",
    "json_depth",
    "load_json",
    "raise_hint",
    "spaced",
]


@dataclass(frozen=True)
class Limits:
    """Resource limits for reading input files.

    Parameters
    ----------
    max_rows
        Rows of one table (a national decade of incidents is about 10 million).
    max_columns
        Columns of one table (16 384 is Excel's own maximum).
    max_cell_chars
        Characters in one cell (32 767 is Excel's own maximum). A longer cell in a
        CSV is nearly always an unclosed quote that swallowed the rows after it.
    max_json_depth
        Nesting depth of JSON (the police feed and GeoJSON need 5–7 levels).
    max_unpacked_bytes
        Total size of a zip's members once unpacked (also an ``.xlsx``, which is a zip).
    max_zip_members
        Files in one zip.
    max_zip_ratio
        Unpacked size / packed size of a zip above ``ratio_from_bytes`` unpacked:
        text compresses 5–20 times, a zip bomb thousands of times.
    ratio_from_bytes
        The ratio is only checked for zips that unpack to more than this.
    max_polygon_vertices
        Vertices of one polygon (a DeSO or RegSO polygon has at most a few thousand).

    Examples
    --------
    >>> Limits(max_rows=1000).max_rows
    1000
    >>> Limits(max_rows=0)
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.ValidationError: max_rows: must be a positive whole number, got 0
    """

    max_rows: int = 20_000_000
    max_columns: int = 16_384
    max_cell_chars: int = 32_767
    max_json_depth: int = 64
    max_unpacked_bytes: int = 2 * 1024**3
    max_zip_members: int = 1_000
    max_zip_ratio: float = 200.0
    ratio_from_bytes: int = 50 * 1024**2
    max_polygon_vertices: int = 50_000

    def __post_init__(self) -> None:
        problems = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                problems.append((f.name, f"must be a positive whole number, got {v!r}",
                                 f"måste vara ett positivt heltal, fick {v!r}"))
        if problems:
            raise ValidationError(problems)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Limits:
        """Limits from a mapping (a ``[settings.limits]`` TOML table); unknown keys are an error.

        Examples
        --------
        >>> Limits.from_mapping({"max_zip_members": 10}).max_zip_members
        10
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"Unknown limit(s) {', '.join(unknown)}; known limits are "
                             f"{', '.join(sorted(known))}.")
        return cls(**dict(values))


#: The limits used when none are given.
DEFAULT_LIMITS = Limits()

_HOW = "(a limit of lagesbild_geo.limits.Limits: raise it with Limits({field}=...) if the file is genuine)"


def raise_hint(field: str) -> str:
    """How to raise the limit ``field`` (the end of every limit's message).

    >>> raise_hint("max_rows")[:40]
    '(a limit of lagesbild_geo.limits.Limits:'
    """
    return _HOW.format(field=field)


def spaced(n: float) -> str:
    """A whole number with spaces between thousands, for the limits' messages.

    >>> spaced(20_000_000)
    '20 000 000'
    """
    return f"{int(n):,}".replace(",", " ")





def _mb(n: float) -> str:
    return f"{n / 1024**2:,.1f} MB".replace(",", " ")


# --------------------------------------------------------------------------- zip


def check_zip(zf: zipfile.ZipFile, *, name: str, limits: Limits | None = None,
              what: str = "zip file") -> int:
    """Check a zip's member count, unpacked size and compression ratio before reading it.

    The sizes are those the zip declares; :mod:`zipfile` refuses to unpack a member
    beyond its declared size (a CRC error), so reading through it cannot exceed them.

    Returns
    -------
    int
        The total unpacked size in bytes.

    Raises
    ------
    InputError
        Too many members, too large unpacked, a bomb-like ratio, or a member name that
        would land outside the target folder (``../``, an absolute path).

    Examples
    --------
    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("a.txt", "x" * 1000)
    >>> check_zip(zipfile.ZipFile(buf), name="a.zip")
    1000
    >>> check_zip(zipfile.ZipFile(buf), name="a.zip", limits=Limits(max_unpacked_bytes=100))
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.InputError: a.zip: the zip file unpacks to 0.0 MB (1 000 bytes), more than the limit of 0.0 MB (100 bytes) (a limit of lagesbild_geo.limits.Limits: raise it with Limits(max_unpacked_bytes=...) if the file is genuine). Nothing was unpacked.
    """
    lim = limits or DEFAULT_LIMITS
    infos = zf.infolist()
    if len(infos) > lim.max_zip_members:
        raise InputError(
            f"{name}: the {what} holds {spaced(len(infos))} files, more than the limit of "
            f"{spaced(lim.max_zip_members)} {raise_hint('max_zip_members')}. "
            "Nothing was unpacked.")
    total = sum(max(i.file_size, 0) for i in infos)
    packed = sum(max(i.compress_size, 0) for i in infos)
    if total > lim.max_unpacked_bytes:
        raise InputError(
            f"{name}: the {what} unpacks to {_mb(total)} ({spaced(total)} bytes), more than the "
            f"limit of {_mb(lim.max_unpacked_bytes)} ({spaced(lim.max_unpacked_bytes)} bytes) "
            f"{raise_hint('max_unpacked_bytes')}. Nothing was unpacked.")
    if total > lim.ratio_from_bytes and total > lim.max_zip_ratio * max(packed, 1):
        raise InputError(
            f"{name}: the {what} unpacks to {_mb(total)} from {_mb(packed)}, "
            f"{spaced(total / max(packed, 1))} times its packed size: that is a zip bomb, not a data "
            f"export (real data packs 5–20 times; the limit is {lim.max_zip_ratio:g} "
            f"{raise_hint('max_zip_ratio')}). Nothing was unpacked.")
    for i in infos:
        p = PurePosixPath(i.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", i.filename):
            raise InputError(
                f"{name}: the {what} holds a file named {i.filename!r}, which would be written "
                "outside the folder it is unpacked to; such a zip is not a lagesbild package. "
                "Nothing was unpacked.")
    return total


def extract_zip(path: str | os.PathLike[str], dest: str | os.PathLike[str], *,
                limits: Limits | None = None, names: Iterable[str] | None = None,
                what: str = "zip file") -> list[Path]:
    """Unpack a zip into ``dest`` after :func:`check_zip`, counting the bytes written.

    Only regular members are written (folders are created as needed; names with
    ``..`` or an absolute path are refused). ``names``: unpack only these members
    (by base name, e.g. the layer files of a package); others are skipped.

    Examples
    --------
    >>> import tempfile, zipfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(tmp / "a.zip", "w") as z:
    ...     z.writestr("dir/a.txt", "hej")
    >>> [p.name for p in extract_zip(tmp / "a.zip", tmp / "out")]
    ['a.txt']
    """
    lim = limits or DEFAULT_LIMITS
    p = Path(path)
    wanted = None if names is None else set(names)
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{p.name} cannot be opened as a zip file ({exc}). Check that the "
                         "download is complete, or give the unpacked folder.") from None
    out: list[Path] = []
    with zf:
        check_zip(zf, name=p.name, limits=lim, what=what)
        written = 0
        root = Path(dest)
        root.mkdir(parents=True, exist_ok=True)
        for info in zf.infolist():
            if info.is_dir():
                continue
            rel = PurePosixPath(info.filename.replace("\\", "/"))
            if wanted is not None and rel.name not in wanted:
                continue
            target = root.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, target.open("wb") as dst:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > lim.max_unpacked_bytes:  # pragma: no cover - zipfile stops first
                            raise InputError(
                                f"{p.name}: unpacking exceeded {_mb(lim.max_unpacked_bytes)}; "
                                "stopped.")
                        dst.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
                    NotImplementedError, RuntimeError) as exc:
                shutil.rmtree(root, ignore_errors=True)
                raise InputError(f"{p.name}: member {info.filename!r} cannot be unpacked ({exc}); "
                                 "the zip is damaged or encrypted. Make it again.") from None
            out.append(target)
    return out


# --------------------------------------------------------------------------- JSON

_STRING_RE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: 3x faster


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text (brackets inside strings ignored).

    Vectorised (a regular expression drops the strings, numpy counts the brackets),
    so it runs before the parser would recurse.

    Examples
    --------
    >>> json_depth('{"a": [1, {"b": "[[["}]}')
    3
    """
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else bytes(data)
    if b"[" not in raw and b"{" not in raw:
        return 0
    stripped = _STRING_RE.sub(b'""', raw) if b'"' in raw else raw
    arr = np.frombuffer(stripped, dtype=np.uint8)
    opening = (arr == ord("[")) | (arr == ord("{"))
    brackets = arr[opening | (arr == ord("]")) | (arr == ord("}"))]  # the brackets alone, in order
    step = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(step).max(initial=0))


def load_json(data: bytes | str, *, name: str, limits: Limits | None = None) -> Any:
    """``json.loads`` with the nesting-depth limit checked first and clear errors.

    Raises
    ------
    InputError
        Invalid JSON (with line and column), or nested deeper than
        ``limits.max_json_depth``.

    Examples
    --------
    >>> load_json('[{"a": 1}]', name="x.json")
    [{'a': 1}]
    >>> load_json("[" * 100 + "]" * 100, name="x.json")
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.InputError: x.json: the JSON is nested 100 levels deep, more than the limit of 64 (a limit of lagesbild_geo.limits.Limits: raise it with Limits(max_json_depth=...) if the file is genuine); the police feed and GeoJSON need fewer than 10. Check that it is the right file.
    """
    lim = limits or DEFAULT_LIMITS
    depth = json_depth(data)
    if depth > lim.max_json_depth:
        raise InputError(
            f"{name}: the JSON is nested {depth} levels deep, more than the limit of "
            f"{lim.max_json_depth} {raise_hint('max_json_depth')}; the police feed and "
            "GeoJSON need fewer than 10. Check that it is the right file.")
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and (rows := _json_lines(data, name)) is not None:
            return rows  # JSON Lines (an archive of the feed, one event per line)
        raise InputError(f"{name} is not valid JSON ({exc}). Check that the file is complete "
                         "(not cut off) and really JSON.") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not JSON text ({exc}); JSON must be UTF-8.") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise InputError(f"{name}: the JSON is nested too deeply to read.") from None


def _json_lines(data: bytes | str, name: str) -> list[Any] | None:
    """The objects of a JSON Lines file (one JSON value per line: ``.jsonl``, ``.ndjson``, an
    archive of the police feed written a line per event), or None when its first line is no
    JSON object; a later line that is not JSON is named."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    lines = [(i, t) for i, t in enumerate(text.splitlines(), start=1) if t.strip()]
    try:
        first = json.loads(lines[0][1]) if lines else None
    except json.JSONDecodeError:
        return None
    if not isinstance(first, dict):
        return None
    out: list[Any] = [first]
    for i, t in lines[1:]:
        try:
            out.append(json.loads(t))
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: line {i} of this JSON Lines file (one object per line) is not "
                             f"valid JSON ({exc.msg}, column {exc.colno}). Check that the file is "
                             "complete (not cut off).") from None
    return out


# --------------------------------------------------------------------------- tables


def check_table(n_rows: int, n_columns: int, *, name: str, limits: Limits | None = None) -> None:
    """Refuse a table with more rows or columns than the limits allow.

    Examples
    --------
    >>> check_table(10, 20_000, name="a.csv")
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.InputError: a.csv has 20 000 columns, more than the limit of 16 384 (a limit of lagesbild_geo.limits.Limits: raise it with Limits(max_columns=...) if the file is genuine). Is the delimiter right, or is there a stray value far to the right? Delete the empty columns and save the file again.
    """
    lim = limits or DEFAULT_LIMITS
    if n_columns > lim.max_columns:
        raise InputError(
            f"{name} has {spaced(n_columns)} columns, more than the limit of "
            f"{spaced(lim.max_columns)} {raise_hint('max_columns')}. Is the delimiter right, "
            "or is there a stray value far to the right? Delete the empty columns and save the "
            "file again.")
    if n_rows > lim.max_rows:
        raise InputError(
            f"{name} has {spaced(n_rows)} rows, more than the limit of {spaced(lim.max_rows)} "
            f"{raise_hint('max_rows')}. Split the file (e.g. one file per year).")


def cell_too_long(name: str, row: int | None, column: str, length: int,
                  limits: Limits | None = None) -> InputError:
    """The error for a cell longer than ``limits.max_cell_chars`` (row is 1-based, as shown)."""
    lim = limits or DEFAULT_LIMITS
    where = f"row {row}, " if row is not None else ""
    return InputError(
        f"{name}: {where}column {column!r} holds {spaced(length)} characters, more than the limit "
        f"of {spaced(lim.max_cell_chars)} {raise_hint('max_cell_chars')}. In a CSV file "
        "this is nearly always an unclosed quote (\") that turned the rest of the file into one "
        "cell: fix the quote in that row, or export the file again.")


# --------------------------------------------------------------------------- polygons


def check_vertices(geoms: Any, *, name: str, labels: Iterable[object] | None = None,
                   limits: Limits | None = None) -> None:
    """Refuse polygons with more vertices than ``limits.max_polygon_vertices``.

    Counted per polygon (each part of a MultiPolygon on its own, holes included; the
    closing point of a ring repeats its first and is not counted).

    Examples
    --------
    >>> import shapely
    >>> check_vertices([shapely.box(0, 0, 1, 1)], name="d.geojson", limits=Limits(max_polygon_vertices=3))
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.InputError: d.geojson: feature 1 has a polygon with 4 vertices, more than the limit of 3 (a limit of lagesbild_geo.limits.Limits: raise it with Limits(max_polygon_vertices=...) if the file is genuine). Simplify it first (QGIS: Vector → Geometry Tools → Simplify, tolerance 1 m), or check that it is the right file.
    """
    lim = limits or DEFAULT_LIMITS
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return
    arr = arr.ravel()
    total = shapely.get_num_coordinates(arr)
    if int(np.max(total, initial=0)) <= lim.max_polygon_vertices:
        return  # no feature, let alone one of its polygons, has that many
    parts, index = shapely.get_parts(arr, return_index=True)
    rings = np.where(shapely.get_type_id(parts) == 3,
                     1 + np.maximum(shapely.get_num_interior_rings(parts), 0), 0)
    counts = shapely.get_num_coordinates(parts) - rings
    bad = np.flatnonzero(counts > lim.max_polygon_vertices)
    if not len(bad):
        return
    i = int(index[bad[0]])
    label_list = list(labels) if labels is not None else None
    which = f"feature {i + 1}" + (f" ({label_list[i]})" if label_list is not None else "")
    raise InputError(
        f"{name}: {which} has a polygon with {spaced(int(counts[bad[0]]))} vertices, more than "
        f"the limit of {spaced(lim.max_polygon_vertices)} "
        f"{raise_hint('max_polygon_vertices')}. Simplify it first (QGIS: Vector → "
        "Geometry Tools → Simplify, tolerance 1 m), or check that it is the right file.")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), read in pieces: how a source is named in
    the metadata and how the app knows a file it has read before.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    with open(path, "rb") as f:  # into one reused buffer: no new bytes object per piece
        return hashlib.file_digest(f, "sha256").hexdigest()
