"""The files the app works with: the starting data (Exempelkommun or ``LAGESBILD_DATA``),
uploads kept per session (and deleted when the session has ended or after a day), and
the files staged on the Data page before they are put to use."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from app_config import SAMPLE_DIR

from lagesbild_geo.crs import LOCAL_ZONES
from lagesbild_geo.districts import district_kommun_codes, districts_in_kommun, read_districts
from lagesbild_geo.errors import InputError
from lagesbild_geo.geocode import Gazetteer, place_pending
from lagesbild_geo.limits import file_sha256
from lagesbild_geo.names import kommuner, layer_kommun_codes
from lagesbild_geo.pipeline import PipelineConfig, SourceConfig, read_boundary
from lagesbild_geo.read import read_incidents, read_table
from lagesbild_geo.survey import read_pins, read_survey
from lagesbild_geo.svformat import integer, sort_key

log = logging.getLogger("lagesbild_app")


@dataclass(frozen=True)
class Source:
    """One input file: its role, where it is, and its content hash (the cache key)."""

    kind: str  # incidents | districts | gazetteer | survey | pins | boundary
    path: str
    sha256: str
    name: str
    options: tuple[tuple[str, Any], ...] = field(default=())


_EXAMPLE_FILES: tuple[tuple[str, str], ...] = (
    ("incidents", "incidents_polis.xlsx"),
    ("incidents", "incidents_kommun.csv"),
    ("districts", "districts.geojson"),
    ("boundary", "kommun.geojson"),
    ("gazetteer", "gazetteer.csv"),
    ("survey", "survey_trygghet.csv"),
    ("pins", "survey_pins.geojson"),
)


# A plain memo, not st.cache_data: every run of a page asks for the starting files' hashes
# (56 calls), whose argument hashing in Streamlit's cache took 0,03 s of a 0,2 s run.
@functools.lru_cache(maxsize=512)
def _hash_cached(path: str, mtime_ns: int, size: int) -> str:
    return file_sha256(path)


def _source(kind: str, path: Path, **options: Any) -> Source:
    stat = path.stat()
    return Source(kind=kind, path=str(path), sha256=_hash_cached(str(path), stat.st_mtime_ns, stat.st_size),
                  name=path.name, options=tuple(sorted(options.items())))


def _option(src: Source, key: str) -> Any:
    """An option chosen for a file (``None``: not chosen)."""
    return next((v for k, v in src.options if k == key), None)


def _with_option(src: Source, key: str, value: object) -> Source:
    """The same file with option ``key`` set to ``value`` (left out when empty)."""
    opts = tuple((k, v) for k, v in src.options if k != key)
    return Source(kind=src.kind, path=src.path, sha256=src.sha256, name=src.name,
                  options=(*opts, *(((key, value),) if value else ())))


def column_choice(src: Source) -> dict[str, str]:
    """The user's corrected column mapping of a file (role → column); empty: recognised."""
    return dict(_option(src, "columns") or ())


def crs_choice(src: Source) -> str | None:
    """The coordinate system chosen for a file's coordinates (``EPSG:3857`` …); ``None``:
    recognised from the values."""
    return None if (v := _option(src, "crs")) is None else str(v)


#: The coordinate systems the Data page offers for an incident file ("" = recognised): the
#: SWEREF 99 local zones too (a kommun's GIS often uses its own; the values alone cannot
#: always tell which), by longitude.
CRS_CHOICES_SV: dict[str, str] = {
    "": "Känns igen av värdena",
    "EPSG:4326": "WGS84 (grader, GPS)",
    "EPSG:3006": "SWEREF 99 TM (meter)",
    **{f"EPSG:{code}": f"SWEREF 99 {name.split(' ', 1)[1]} (lokal zon, EPSG:{code})"
       for code, name in sorted(LOCAL_ZONES.items(), key=lambda cn: cn[1])},
    "EPSG:3021": "RT90 2,5 gon V (EPSG:3021)",
    "EPSG:3857": "Web Mercator (webbkartor, EPSG:3857)",
    "EPSG:32633": "UTM zon 33N (EPSG:32633)",
    "EPSG:32632": "UTM zon 32N (EPSG:32632)",
}


def example_dir() -> Path:
    """The starting data: env ``LAGESBILD_DATA`` (a folder laid out like ``sample_data/``)
    or Exempelkommun."""
    return Path(os.environ.get("LAGESBILD_DATA") or SAMPLE_DIR)


def example_sources() -> tuple[Source, ...]:
    """The files of :func:`example_dir` (Exempelkommun); empty when they are missing."""
    d = example_dir()
    return tuple(_source(kind, d / name) for kind, name in _EXAMPLE_FILES if (d / name).is_file())


def sources() -> tuple[Source, ...]:
    """The files the user works with now (Exempelkommun until they upload their own)."""
    chosen = st.session_state.get("sources")
    if chosen is None:
        return example_sources()
    return tuple(chosen)


def data_label() -> str:
    if st.session_state.get("sources") is None:
        if os.environ.get("LAGESBILD_DATA"):
            return f"filerna i {example_dir()}"
        return "Exempelkommun (exempeldata)"
    names = [s.name for s in sources() if s.kind == "incidents"]
    return ", ".join(names) or "inga händelsefiler"


def use_example() -> None:
    st.session_state.pop("sources", None)


#: Uploads older than this are deleted even when their session still looks active.
UPLOAD_MAX_AGE_S = 24 * 3600
_CLEANUP_EVERY_S = 600


def upload_root() -> Path:
    """Where uploaded files are kept, one folder per session: env ``LAGESBILD_UPLOADS`` or
    ``lagesbild_uploads-<user id>`` in the system's temporary folder."""
    env = os.environ.get("LAGESBILD_UPLOADS")
    if env:
        return Path(env)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"lagesbild_uploads-{uid}"


def _own_folder(path: Path) -> bool:
    """A real folder of ours (not a symlink or another user's folder in a shared /tmp)."""
    try:
        st_ = path.lstat()
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st_.st_uid == os.getuid()
    return stat.S_ISDIR(st_.st_mode) and mine


def _session_id() -> str:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is not None and ctx.session_id:
            return "".join(ch for ch in str(ctx.session_id) if ch.isalnum() or ch == "-")
    except Exception:  # no runtime (tests, bare mode)
        pass
    return str(st.session_state.setdefault("_upload_session", os.urandom(8).hex()))


def _session_is_active(session_id: str) -> bool | None:
    """True/False from Streamlit's runtime; None when it cannot tell (AppTest, bare mode)."""
    try:
        from streamlit import runtime

        if not runtime.exists():
            return None
        return bool(runtime.get_instance().is_active_session(session_id))
    except Exception:
        return None


def cleanup_uploads(root: Path | None = None, *, max_age_s: float = UPLOAD_MAX_AGE_S,
                    keep: str | None = None, now: float | None = None,
                    is_active: Callable[[str], bool | None] | None = None) -> list[Path]:
    """Delete the upload folders of sessions that have ended, and any older than a day.

    Also removes the per-session temporary folders older versions of the app left
    (``lagesbild_upload_*`` in the temporary folder) once they are a day old. Returns
    what was deleted. ``is_active``: whether a session id is still active (default:
    Streamlit's runtime; ``None`` from it means "cannot tell": then by age only).
    """
    is_active = _session_is_active if is_active is None else is_active
    root = upload_root() if root is None else root
    now = time.time() if now is None else now
    gone: list[Path] = []
    candidates: list[tuple[Path, bool]] = []
    if _own_folder(root):
        candidates += [(d, True) for d in root.iterdir() if d.is_dir()]
    legacy = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        candidates += [(d, False) for d in legacy.glob("lagesbild_upload_*") if d.is_dir()]
    for d, per_session in candidates:
        if keep is not None and d.name == keep:
            continue
        try:
            age = now - d.stat().st_mtime
        except OSError:
            continue
        ended = per_session and is_active(d.name) is False
        if age > max_age_s or (ended and age > 60):
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    if gone:
        log.info("Deleted %d upload folder(s) of ended or day-old sessions.", len(gone))
    return gone


@st.cache_resource(show_spinner=False)
def _cleanup_clock() -> dict[str, float]:
    return {"last": 0.0}


def cleanup_uploads_now_and_then() -> None:
    """Run :func:`cleanup_uploads` at app start and then at most every ten minutes."""
    clock = _cleanup_clock()
    now = time.time()
    if now - clock.get("last", 0.0) < _CLEANUP_EVERY_S:
        return
    clock["last"] = now
    with contextlib.suppress(OSError):
        cleanup_uploads(keep=_session_id(), now=now)


def _upload_dir() -> Path:
    d = st.session_state.get("upload_dir")
    if not d or not Path(d).is_dir():
        root = upload_root()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if _own_folder(root):
            path = root / _session_id()
            path.mkdir(exist_ok=True, mode=0o700)
        else:  # someone else's folder of that name: a private one instead
            path = Path(tempfile.mkdtemp(prefix="lagesbild_upload_"))
        d = str(path)
        st.session_state["upload_dir"] = d
    with contextlib.suppress(OSError):
        os.utime(d)  # in use: not a day-old folder
    return Path(d)


def save_upload(name: str, data: bytes, kind: str, **options: Any) -> Source:
    """Write an uploaded file to this session's folder (named by content) and describe it."""
    sha = hashlib.sha256(data).hexdigest()
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(name).name) or "fil"
    path = _upload_dir() / f"{sha[:16]}_{safe}"
    if not path.exists():
        path.write_bytes(data)
    return Source(kind=kind, path=str(path), sha256=sha, name=name,
                  options=tuple(sorted(options.items())))


def set_sources(new: Sequence[Source]) -> None:
    st.session_state["sources"] = tuple(new)


def pipeline_config(srcs: tuple[Source, ...], resolution: int) -> PipelineConfig:
    """The pipeline configuration of the chosen files (every date; the app filters the picture)."""
    path = {s.kind: s.path for s in reversed(srcs)}  # the first file of each kind
    incidents = [SourceConfig(path=s.path, name=s.name, columns=column_choice(s) or None, crs=crs_choice(s))
                 for s in srcs if s.kind == "incidents"]
    if not incidents:
        raise InputError("Det finns ingen händelsefil. Ladda upp en på sidan Data eller "
                         "använd Exempelkommun.")
    example = all(Path(s.path).parent == example_dir() for s in srcs)
    district_crs = next((_layer_crs(s) for s in srcs if s.kind == "districts"), None)  # the first, as `path`
    return PipelineConfig(
        incidents=tuple(incidents),
        kommun_name="Exempelkommun" if example and example_dir() == SAMPLE_DIR else None,
        kommun_code=chosen_kommun(srcs),  # a layer of the whole country, narrowed to one kommun
        districts=path.get("districts"), gazetteer=path.get("gazetteer"), survey=path.get("survey"),
        pins=path.get("pins"), boundary=path.get("boundary"), resolution=resolution,
        population=path.get("population"), population_key=path.get("population_key"),
        district_options={"crs": district_crs} if district_crs else {})


# --------------------------------------------------------------------------- staged uploads (Data page)


def with_columns(src: Source, columns: dict[str, str]) -> Source:
    """The same file read with a corrected column mapping (role → column)."""
    return _with_option(src, "columns", tuple(sorted(columns.items())))


def with_crs(src: Source, crs: str | None) -> Source:
    """The same incident file or district layer with its coordinates read in ``crs`` (``None``:
    recognised, or the layer's own)."""
    return _with_option(src, "crs", crs)


def with_kommun(src: Source, code: str) -> Source:
    """The same layer (districts or boundary of the whole country) narrowed to one kommun."""
    return _with_option(src, "kommun", code)


def source_kommun(src: Source) -> str | None:
    """The kommun code chosen for a layer of several kommuner, or None."""
    return None if (v := _option(src, "kommun")) is None else str(v)


def _kommun_choices(srcs: Sequence[Source]) -> list[tuple[Source, str]]:
    """Each district layer or boundary file among ``srcs`` narrowed to a kommun, with it."""
    return [(s, k) for s in srcs if s.kind in ("districts", "boundary") and (k := source_kommun(s))]


def chosen_kommun(srcs: Sequence[Source]) -> str | None:
    """The kommun chosen for a layer of several kommuner among ``srcs`` (the first such choice)."""
    return next((k for _, k in _kommun_choices(srcs)), None)


def kommun_conflict(srcs: Sequence[Source]) -> list[tuple[str, str]]:
    """(file, kommun) of each layer of several kommuner among ``srcs`` when they were narrowed
    to different kommuner (a build uses one kommun: the districts' would win unsaid); empty
    when they agree."""
    chosen = _kommun_choices(srcs)
    if len({k for _, k in chosen}) < 2:
        return []
    return [(s.name, dict(layer_kommuner(s)).get(k, k)) for s, k in chosen]


def staged() -> dict[str, list[Source]]:
    """Files uploaded on the Data page but not yet in use."""
    return st.session_state.setdefault("staged", {})


def stage(kind: str, src: Source) -> None:
    """Stage an uploaded file (one of each kind but incidents); a file staged already keeps
    what was chosen for it (its columns, its kommun): the uploader gives it on every run."""
    files = staged().setdefault(kind, [])
    if any(f.sha256 == src.sha256 for f in files):
        return
    if kind != "incidents":
        files.clear()
    files.append(src)


def replace_staged(old: Source, new: Source) -> None:
    files = staged().get(old.kind, [])
    staged()[old.kind] = [new if f.sha256 == old.sha256 and f.path == old.path else f for f in files]


def mark_unreadable(src: Source) -> None:
    """Remember that a staged file could not be read: it is never put to use."""
    st.session_state.setdefault("unreadable", set()).add(src.sha256)


def mark_readable(src: Source) -> None:
    """A staged file may be used again (a kommun was chosen for a layer of several)."""
    st.session_state.setdefault("unreadable", set()).discard(src.sha256)


def usable_incident_files() -> list[Source]:
    bad = st.session_state.get("unreadable", set())
    return [s for s in staged().get("incidents", []) if s.sha256 not in bad]


def use_staged(*, keep_example_layers: bool) -> None:
    """Work with the uploaded files (the example's districts etc. fill what was not uploaded)."""
    bad = st.session_state.get("unreadable", set())
    chosen = [s for files in staged().values() for s in files if s.sha256 not in bad]
    if keep_example_layers:
        have = {s.kind for s in chosen}
        chosen += [s for s in example_sources() if s.kind not in have and s.kind != "incidents"]
    set_sources(chosen)


# --------------------------------------------------------------------------- the Data page's files


@st.cache_data(max_entries=8, show_spinner="Läser filen …")
def _read_incidents_cached(path: str, sha256: str, columns: tuple[tuple[str, str], ...],
                           gazetteer: str | None, gazetteer_sha: str | None, crs: str | None = None,
                           boundary: tuple[str, str, str | None] | None = None) -> Any:
    result = read_incidents(path, columns=dict(columns) or None, crs=crs,
                            boundary=_boundary_of(*boundary) if boundary else None,
                            source_name=Path(path).name.split("_", 1)[-1])
    return place_pending(result, gazetteer) if gazetteer is not None else result


def _boundary_of(path: str, sha256: str, kommun: str | None) -> gpd.GeoDataFrame | None:
    """A boundary file as the build reads it (``pipeline.read_boundary``): one kommun of a
    file of every kommun (``None`` while none is chosen, or when the file cannot be read:
    its own check on the page says why)."""
    try:
        g = read_boundary(path, kommun_code=kommun)
    except Exception:
        return None
    return None if len(layer_kommun_codes(g)) > 1 else g


def read_incident_file(src: Source, *, gazetteer: Source | None = None, boundary: Source | None = None) -> Any:
    """``read.read_incidents`` (and ``geocode.place_pending``) of one staged file (cached on
    content, column choices and coordinate system), within ``boundary`` as the build reads it
    (rows outside it rejected; a SWEREF 99 local zone the values cannot tell, told by it)."""
    columns = tuple(sorted(column_choice(src).items()))
    return _read_incidents_cached(src.path, src.sha256, columns,
                                  gazetteer.path if gazetteer else None,
                                  gazetteer.sha256 if gazetteer else None, crs_choice(src),
                                  (boundary.path, boundary.sha256, source_kommun(boundary)) if boundary else None)


@st.cache_data(max_entries=8, show_spinner=False)
def _table_preview(path: str, sha256: str) -> tuple[pd.DataFrame, list[str]]:
    raw, _ = read_table(path)
    frame = pd.DataFrame(raw.drop(columns="geometry", errors="ignore")) if "geometry" in raw else pd.DataFrame(raw)
    return frame.head(10).astype("string"), [str(c) for c in frame.columns]


def table_preview(src: Source) -> tuple[pd.DataFrame, list[str]]:
    """The first rows of a file as read (text) and its column names."""
    return _table_preview(src.path, src.sha256)


def district_kommuner(d: gpd.GeoDataFrame) -> set[str]:
    """The kommun codes a district layer spans (:func:`lagesbild_geo.districts.district_kommun_codes`),
    or its codes themselves when they are kommun codes (a layer of kommuner)."""
    codes = district_kommun_codes(d)
    idx = pd.Series(d.index.astype(str))
    if not codes and len(idx) and idx.str.fullmatch(r"\d{4}").all():
        return set(idx)
    return codes


def swedish_input_error(text: str) -> InputError:
    """An :class:`InputError` whose message is Swedish already (shown as it is)."""
    exc = InputError(text)
    exc.swedish = True  # type: ignore[attr-defined]
    return exc


# Shared and read-only (no copy per call): the kommun list and the check of a staged layer
# read it once (a national RegSO layer took 4 s to read).
@st.cache_resource(max_entries=4, show_spinner="Läser filen …")
def _layer(kind: str, path: str, sha256: str, crs: str | None = None) -> gpd.GeoDataFrame:
    return read_districts(path, crs=crs) if kind == "districts" else gpd.read_file(path)


@st.cache_data(max_entries=8, show_spinner="Läser områdesindelningen …")
def _layer_kommuner(kind: str, path: str, sha256: str, crs: str | None = None) -> list[tuple[str, str]]:
    if kind == "districts":
        codes = district_kommuner(_layer(kind, path, sha256, crs))
    else:  # a boundary file of every kommun (SCB's kommun layer)
        codes = set(layer_kommun_codes(_layer(kind, path, sha256)))
    names = dict(zip(kommuner()["kommunkod"], kommuner()["kommun"], strict=True))
    return sorted(((c, names.get(c, c)) for c in codes), key=lambda cn: (sort_key(cn[1]), cn[0]))


def layer_kommuner(src: Source) -> list[tuple[str, str]]:
    """The kommuner a district layer divides or a boundary file holds, as (code, name) by
    name: more than one for a layer of the whole country (SCB's DeSO and RegSO files, the
    kommun layer), of which one is chosen."""
    if src.kind not in ("districts", "boundary"):
        return []
    return _layer_kommuner(src.kind, src.path, src.sha256, _layer_crs(src))


def _layer_crs(src: Source) -> str | None:
    """The CRS chosen for a district layer that declares none (only a district layer has one)."""
    return crs_choice(src) if src.kind == "districts" else None


@st.cache_data(max_entries=16, show_spinner="Kontrollerar filen …")
def _check_file(kind: str, path: str, sha256: str, kommun: str | None = None, crs: str | None = None) -> str:
    if kind == "districts":
        d = _layer(kind, path, sha256, crs)
        codes = district_kommuner(d)
        if kommun is not None and len(codes) > 1:
            n_all = len(d)
            d = districts_in_kommun(d, kommun)
            name = dict(_layer_kommuner(kind, path, sha256, crs)).get(kommun, kommun)
            pop = int(d["population"].notna().sum())
            return (f"{integer(len(d))} områden i {name} (av filens {integer(n_all)}; {integer(pop)} "
                    "med befolkning)")
        if len(codes) > 1:
            raise swedish_input_error(
                f"Filen delar in {integer(len(codes))} kommuner i {integer(len(d))} områden (till "
                "exempel hela landets RegSO eller DeSO), inte en kommun i områden. Välj din kommun i listan nedan, så "
                "används bara dess områden och händelser; eller ladda upp bara din kommuns områden. "
                "Kommunens yttre gräns laddas upp under Kommungräns.")
        pop = int(d["population"].notna().sum())
        return f"{integer(len(d))} områden ({integer(pop)} med befolkning)"
    if kind == "boundary":
        g = _layer(kind, path, sha256)
        if g.empty or not g.geom_type.isin(["Polygon", "MultiPolygon"]).any():
            raise InputError(
                f"{Path(path).name} has no polygon; expected the kommun boundary as a polygon.")
        if len(rows := layer_kommun_codes(g)) > 1:
            if kommun in rows:
                name = dict(_layer_kommuner(kind, path, sha256)).get(kommun, kommun)
                return f"kommungräns för {name} (av filens {integer(len(rows))} kommuner)"
            raise swedish_input_error(
                f"Filen har gränserna för {integer(len(rows))} kommuner, inte en kommuns gräns. Välj din "
                "kommun i listan nedan, så används bara dess gräns och händelser; eller ladda upp bara "
                "din kommuns gräns.")
        return "kommungräns (polygon)"
    if kind == "gazetteer":
        gz = Gazetteer.from_file(path)
        return f"{integer(len(gz.addresses))} adresser och {integer(len(gz.places))} platsnamn"
    if kind == "survey":
        return f"{integer(len(read_survey(path)))} enkätsvar"
    if kind == "pins":
        return f"{integer(len(read_pins(path)))} kartnålar"
    if kind in ("population", "population_key"):
        table, _ = read_table(path)
        what = "områden" if kind == "population" else "rader"
        return (f"{integer(len(table))} {what}; kopplas till områdesindelningen när filerna används "
                "(hur många områden som får befolkning står i inläsningsrapporten)")
    return ""


def check_file(src: Source) -> str:
    """Read a staged non-incident file with its library reader (cached); a short Swedish
    description of what it holds. Raises the reader's error when it cannot be used."""
    return _check_file(src.kind, src.path, src.sha256, source_kommun(src), _layer_crs(src))
