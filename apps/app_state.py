"""The app's state: the data in use, the cached library calls on it, and the one import
the pages need (``import app_state as S``).

Rules kept here:

- ``st.cache_data`` (bounded ``max_entries``) on pure library calls, keyed on file
  content hashes and parameters (never on an object excluded from the key);
- the starting data's picture is also kept on disk between restarts (:func:`_snapshot`,
  keyed on the files' hashes, the filters and the library's code), so the first map
  after a restart does not wait for the whole analysis;
- ``st.cache_resource`` only for shared handles (the measure store, the sign-in throttle);
- per-user choices in ``st.session_state``; nothing that must persist lives there;
- every figure shown comes from the publishing step (``privacy.publishable``; the map's
  picture and the trend panel's periods together: ``privacy.publishable_together``);
- analysis lives in the library (:mod:`lagesbild_geo.dashboard` and friends); this module
  only decides what to compute for whom and caches it.

The helpers of the other app modules are re-exported here, so pages keep one import:
:mod:`app_config` (paths, settings, store), :mod:`app_access` (sign-in),
:mod:`app_sources` (files and uploads), :mod:`app_ui` (Swedish texts, errors, tables,
charts, forms) and :mod:`app_measures` (areas, measures, åtgärdsplan).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import pickle
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from app_access import (
    NETWORK_READ_ONLY,
    ROLE_EDITOR,
    ROLE_READER,
    Access,
    SignInThrottle,
    access,
    listening_address,
    local_only,
    require_editor,
    sidebar_status,
    sign_in_throttle,
)
from app_cache import snapshot
from app_config import (
    APP_DIR,
    BASE_RESOLUTION,
    DEFAULT_STORE,
    ROOT,
    SAMPLE_DIR,
    VENDOR_DIR,
    assets_url,
    base_choice,
    list_areas,
    list_measures,
    store,
    store_kommun,
    store_path,
    tiles_attribution,
    tiles_choice,
)
from app_measures import (
    PLAN_SORT,
    area_names,
    check_measure,
    deleted_areas,
    deleted_measures,
    filter_measures,
    measure_record,
    measure_titles,
    measures_or_stop,
    plan_csv_bytes,
    plan_excel_bytes,
    save_candidate_area,
    save_measure,
    update_measure,
)
from app_sources import (
    UPLOAD_MAX_AGE_S,
    Source,
    check_file,
    cleanup_uploads,
    cleanup_uploads_now_and_then,
    column_choice,
    data_label,
    example_dir,
    example_sources,
    mark_unreadable,
    pipeline_config,
    read_incident_file,
    replace_staged,
    save_upload,
    set_sources,
    sources,
    stage,
    staged,
    table_preview,
    upload_root,
    usable_incident_files,
    use_example,
    use_staged,
    with_columns,
)
from app_ui import (
    ALLOW_FIELDS_SV,
    FIELD_LABELS_SV,
    LAYER_HELP,
    LAYER_LABELS_SV,
    PRECISION_SV,
    PROTECTED_TEXT,
    ROLE_LABELS_SV,
    TOO_FEW_CASES,
    UPLOAD_TYPES,
    WEEKDAYS_SV,
    category_label,
    drawn_feature,
    error_text,
    forget_form,
    friendly_errors,
    ingest_tables,
    layer_control,
    levels_caption,
    md_escape,
    measure_fields,
    problems_text,
    rejected_csv,
    rejected_download,
    show_error,
    show_html_table,
    show_problems,
    show_table,
    table_html,
    trend_month_svg,
    upload_help,
)
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from lagesbild_geo import dashboard, maps, nearrepeat, svformat
from lagesbild_geo.dashboard import (
    Filters,
    area_candidates,
    district_table,
    district_table_sv,
    filter_mask,
    filtered_lagesbild,
    headline,
    period_bounds,
    picture_notes,
    trend_table_sv,
)
from lagesbild_geo.errors import InputError
from lagesbild_geo.export import export_package, read_package, zip_package
from lagesbild_geo.followup import followup
from lagesbild_geo.pipeline import Lagesbild, build_lagesbild
from lagesbild_geo.privacy import publishable, publishable_together
from lagesbild_geo.report import write_report
from lagesbild_geo.schema import CATEGORIES

log = logging.getLogger("lagesbild_app")
T = TypeVar("T")

# --------------------------------------------------------------------------- the lägesbild


@st.cache_data(max_entries=4, show_spinner="Beräknar lägesbilden (första gången tar det en stund) …")
def _build(srcs: tuple[Source, ...], resolution: int) -> Lagesbild:
    return snapshot("build", resolution, srcs,
                     lambda: build_lagesbild(pipeline_config(srcs, resolution)))


def _no_data_warning() -> None:
    st.warning("Exempeldata saknas (mappen sample_data/). Kör `make sample` eller ladda upp egna "
               "filer på sidan Data.")


def _of_current_data(compute: Callable[[tuple[Source, ...]], T], *, failed: Any) -> Any:
    """``compute`` on the current sources; ``failed`` after showing why there is no data
    or why it could not be computed."""
    srcs = sources()
    if not srcs:
        _no_data_warning()
        return failed
    try:
        return compute(srcs)
    except ScriptControlException:
        raise
    except Exception as exc:
        show_error(exc, "Lägesbilden kunde inte beräknas")
        return failed


def lagesbild(*, resolution: int = 9) -> Lagesbild | None:
    """The lägesbild of the current sources (cached); ``None`` after showing an error."""
    return _of_current_data(lambda srcs: _build(srcs, resolution), failed=None)


def _compute_view(srcs: tuple[Source, ...], filters: Filters
                  ) -> tuple[Lagesbild, Lagesbild, dict[str, Any], tuple[Lagesbild, ...]]:
    base = _build(srcs, BASE_RESOLUTION)
    same = filters.is_default and filters.resolution == base.settings.resolution
    lb = base if same else filtered_lagesbild(base, filters)
    # Every figure shown is published, the trend panel's two periods with the map's picture
    # as one (a count hidden in one could otherwise be the other two's difference).
    sides = dashboard.trend_pictures(base, filters)
    pub, parts = publishable_together(lb, sides) if sides else (publishable(lb), [])
    # Aggregates only in the cached value: no incident rows (3/4 of it, unpickled per rerun).
    light = dataclasses.replace(lb, incidents=lb.incidents.iloc[0:0], rejected=lb.rejected.iloc[0:0],
                                pending=lb.pending.iloc[0:0])
    return pub, light, headline(pub), tuple(parts)


# A shared, read-only value (no copy per rerun: unpickling the view cost 0.1–0.3 s a rerun).
# Callers never change it: the map and the tables work on copies.
@st.cache_resource(max_entries=24, show_spinner=False)
def _view(srcs: tuple[Source, ...], filters: Filters
          ) -> tuple[Lagesbild, Lagesbild, dict[str, Any], tuple[Lagesbild, ...]]:
    if filters.categories or filters.weekdays or filters.hours != (0, 24):
        return _compute_view(srcs, filters)
    # the starting picture and its periods (the trend panel's too) are kept for a warm start
    return snapshot("view", filters, srcs, lambda: _compute_view(srcs, filters))


@st.cache_data(max_entries=8, show_spinner=False)
def _span(srcs: tuple[Source, ...]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    return snapshot("span", None, srcs, lambda: period_bounds(_build(srcs, BASE_RESOLUTION)))


def data_span() -> tuple[pd.Timestamp, pd.Timestamp] | Literal[False] | None:
    """First and last incident day of the current data (cached: cheap on every rerun);
    ``False`` after showing why the data could not be read."""
    return _of_current_data(_span, failed=False)


def view(filters: Filters) -> tuple[Lagesbild, Lagesbild, dict[str, Any]] | None:
    """The map page's picture narrowed by ``filters``: published (what may be shown), the
    unpublished aggregates (only for "show small numbers"; no incident rows) and the
    published headline figures; cached per data set and filter combination."""
    if not sources():
        return None
    try:
        with st.spinner("Räknar fram kartan för filtret …", show_time=True):
            return _view(sources(), filters)[:3]
    except ScriptControlException:
        raise
    except Exception as exc:
        show_error(exc, "Filtret kunde inte användas")
        return None


@dataclasses.dataclass(frozen=True)
class Trend:
    """The trend panel of one filter: both periods' filters, whether the data reach back a
    year, the three trend tables and the attention items that come from the data."""

    now: Filters
    before: Filters
    covered: bool
    month: pd.DataFrame
    category: pd.DataFrame
    district: pd.DataFrame
    attention: pd.DataFrame
    #: The tables as shown (Swedish text), by ``month``, ``category`` and ``district``; the
    #: month chart as inline SVG (:func:`app_ui.trend_month_svg`).
    text: dict[str, pd.DataFrame]
    month_chart: str | None = None


@st.cache_data(max_entries=24, show_spinner=False)
def _trend(srcs: tuple[Source, ...], filters: Filters) -> Trend | None:
    span = _span(srcs)
    if span is None:
        return None
    now_f, before_f, covered = dashboard.trend_periods(filters, span)
    page, _, _, parts = _view(srcs, filters)  # both periods published with the map's picture
    now, before = parts[0], (parts[1] if len(parts) > 1 else None)
    tables = {by: dashboard.trend_table(now, before, by=by, page=page) for by in dashboard.TREND_BY}
    return Trend(now=now_f, before=before_f, covered=covered, **tables,
                 attention=dashboard.attention_items(now, before, page=page),
                 text={by: trend_table_sv(t, by=by) for by, t in tables.items()},
                 month_chart=trend_month_svg(tables["month"]))


def trend(filters: Filters) -> Trend | None:
    """This period against the same period a year earlier under the same filters
    (:func:`lagesbild_geo.dashboard.trend_filters`): the trend tables by month, category
    and district from the published pictures of both periods (cached per filter); the
    year before is left out when the data do not reach back that far. ``None`` without
    dated incidents."""
    if not sources():
        return None
    with st.spinner("Jämför med samma period året innan …", show_time=True):
        return _trend(sources(), filters)


def attention(tr: Trend) -> pd.DataFrame:
    """"Behöver uppmärksamhet": overdue follow-ups from the store (left out, with a note in
    the log, when the store cannot be read), then the trend's districts and hotspots."""
    measures = pd.DataFrame()
    try:
        measures = list_measures()
    except ScriptControlException:
        raise
    except Exception:
        log.warning("Measures left out of the attention list: the store could not be read.", exc_info=True)
    return pd.concat([dashboard.overdue_items(measures), tr.attention], ignore_index=True)


@st.cache_data(max_entries=48, show_spinner=False)
def _district_tables(srcs: tuple[Source, ...], filters: Filters, show_small: bool
                     ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    pub, raw, _, _ = _view(srcs, filters)
    table = district_table(pub, show_small=show_small, raw=raw)
    text = district_table_sv(table)
    return None if table is None or text is None else (table, text)


def district_tables(filters: Filters, *, show_small: bool = False) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The Karta's district table for ``filters`` (:func:`lagesbild_geo.dashboard.district_table`)
    and its Swedish text, cached; ``None`` without districts."""
    return _district_tables(sources(), filters, bool(show_small))


def area_figures(lb: Lagesbild, area_id: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A saved area's figures (see :func:`lagesbild_geo.dashboard.area_figures`)."""
    return dashboard.area_figures(lb, store().get_area(area_id))


# --------------------------------------------------------------------------- maps


def _saved_areas(layers: Sequence[str]) -> gpd.GeoDataFrame | None:
    """The saved areas when the "areas" layer is asked for; a friendly error (and no
    layer) when the store cannot be read."""
    if "areas" not in layers:
        return None
    try:
        return list_areas()
    except ScriptControlException:
        raise
    except Exception as exc:
        show_error(exc, "Sparade områden kunde inte läsas")
        return None


# Shared and frozen: a rerun reads them without unpickling the whole picture (0.1–0.2 s).
@st.cache_resource(max_entries=8, show_spinner=False)
def _settings(srcs: tuple[Source, ...]) -> Any:
    return _build(srcs, BASE_RESOLUTION).settings


def lagesbild_settings() -> Any:
    """The settings of the picture in use (its kommun's base-map services), or None."""
    return _of_current_data(_settings, failed=None)


def make_map(lb: Lagesbild, *, layers: Sequence[str], draw: bool = False,
             category: str | None = None, district_measure: str = "count",
             with_areas: bool = True) -> folium.Map:
    """The lägesbild map with the app's settings (local scripts, tile choice, saved areas)."""
    areas = _saved_areas(layers) if with_areas else None
    return maps.lagesbild_map(
        lb, layers=tuple(layers), areas=areas, draw=draw, category=category,
        district_measure=district_measure, base=base_choice(), settings=lb.settings,
        attribution=tiles_attribution(), assets=assets_url(), height=560,
    )


def map_parts_request(filters: Filters, *, layers: Sequence[str], category: str | None = None,
                      district_measure: str = "count", show_suppressed: bool = False
                      ) -> tuple[tuple[Any, ...], gpd.GeoDataFrame | None]:
    """What makes :func:`make_map_parts`'s map (data set, filter, layers, options, base map,
    saved areas by content: a key to cache by) and the saved areas themselves."""
    areas = _saved_areas(layers)
    key = None if areas is None else hashlib.sha256(pickle.dumps(areas)).hexdigest()
    return (sources(), filters, tuple(layers), category, district_measure, bool(show_suppressed),
            base_choice(), tiles_attribution(), assets_url(), key), areas


def map_parts_of(request: tuple[Any, ...], areas: gpd.GeoDataFrame | None) -> maps.MapParts:
    """The map parts of a :func:`map_parts_request`, built once and handed out as a copy."""
    return copy.deepcopy(_map_parts(*request, _areas=areas))


def make_map_parts(filters: Filters, *, layers: Sequence[str], category: str | None = None,
                   district_measure: str = "count", show_suppressed: bool = False) -> maps.MapParts:
    """Base map and data layers apart for ``view(filters)``'s published picture: the page keeps
    the base map in the browser and swaps only the layers when a filter changes (the user's
    zoom and position stay). Built once per data set, filter, layers, base map and saved
    areas; every rerun gets its own copy (``st_folium`` changes the objects it is given)."""
    return map_parts_of(*map_parts_request(filters, layers=layers, category=category,
                                           district_measure=district_measure,
                                           show_suppressed=show_suppressed))


# Shared and never handed out: callers get a deep copy (5 ms against 30–600 ms to build).
@st.cache_resource(max_entries=16, show_spinner=False)
def _map_parts(srcs: tuple[Source, ...], filters: Filters, layers: tuple[str, ...], category: str | None,
               district_measure: str, show_suppressed: bool, base: str, attribution: str | None,
               assets: str | None, areas_key: str | None, *, _areas: gpd.GeoDataFrame | None
               ) -> maps.MapParts:
    lb = _view(srcs, filters)[0]
    return maps.map_parts(lb, layers=layers, areas=_areas, category=category,
                          district_measure=district_measure, base=base, settings=lb.settings,
                          attribution=attribution, assets=assets, height=560,
                          show_suppressed=show_suppressed)


def warm_up_map() -> str:
    """Fill the caches the Karta's first visit reads up to its map (the starting data, the default
    filter and layers), without a session, for :mod:`app_warm`; returns what was warmed, in words."""
    srcs = example_sources()
    if not srcs:
        return "inga exempeldata att förbereda"
    f = Filters()
    _span(srcs)
    _settings(srcs)
    pub = _view(srcs, f)[0]
    # the map parts, and folium's templates (compiled on their first use)
    make_map_parts(f, layers=tuple(maps.DEFAULT_LAYERS)).map.get_root().render()
    name = "Exempelkommun" if example_dir() == SAMPLE_DIR else str(example_dir())
    return f"{name}, {svformat.integer(len(pub.cells))} hexagoner"


def warm_up_rest() -> None:
    """Then the trend and the district table (a page asking meanwhile waits in Streamlit's cache)."""
    if srcs := example_sources():
        _trend(srcs, Filters())
        _district_tables(srcs, Filters(), False)


def zones_map(result: Any) -> folium.Map:
    """The follow-up's zones on a small map, with the app's tiles and local scripts."""
    return maps.zones_map(result.zones, base=base_choice(), settings=lagesbild_settings(),
                          attribution=tiles_attribution(), assets=assets_url())


def empty_lagesbild() -> Lagesbild:
    """A picture with nothing in it (the drawing map still works without data)."""
    e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    return Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
                     hotspots=e, clusters=e, emerging=e, districts=e,
                     district_summary=pd.DataFrame())


# --------------------------------------------------------------------------- near repeats


@st.cache_data(max_entries=8, show_spinner="Prövar om händelser upprepas nära varandra …")
def _knox(srcs: tuple[Source, ...], category: str, distances: tuple[float, ...],
          days: tuple[float, ...], permutations: int) -> tuple[Any, gpd.GeoDataFrame] | None:
    inc = _build(srcs, BASE_RESOLUTION).incidents
    try:
        result = nearrepeat.knox(inc, category=category, distance_bands=list(distances),
                                 time_bands=list(days), permutations=permutations, seed=1)
    except InputError:  # fewer than nearrepeat.MIN_EVENTS placed, dated events of the category
        return None
    return result, nearrepeat.risk_zones(inc, result)


def knox(category: str, *, distances: Sequence[float], days: Sequence[float],
         permutations: int = 99) -> tuple[Any, gpd.GeoDataFrame] | None:
    """The Knox test of one category on the current data (every date; reproducible: seed 1)
    and the risk zones of its latest events (cached per data set and bands); ``None``
    when the category has too few placed, dated incidents (``nearrepeat.MIN_EVENTS``)."""
    return _knox(sources(), category, tuple(float(d) for d in distances),
                 tuple(float(d) for d in days), int(permutations))


def risk_zones_map(zones: gpd.GeoDataFrame) -> folium.Map:
    return dashboard.risk_zones_map(zones, base=base_choice(), settings=lagesbild_settings(),
                                    assets=assets_url())


# --------------------------------------------------------------------------- follow-up


@st.cache_data(max_entries=16, show_spinner="Räknar före och efter …")
def _followup(srcs: tuple[Source, ...], measure_id: str, measure_version: int, area_version: int,
              buffer_m: float, control: tuple[str, int] | None, store_file: str) -> Any:
    lb = _build(srcs, BASE_RESOLUTION)
    s = store()
    m = s.get_measure(measure_id)
    control_geom = s.get_area(control[0]).geometry if control else None
    return followup(m, lb.incidents, area=s.get_area(m.area_id), buffer_m=buffer_m,
                    control=control_geom)


def followup_result(measure_id: str, *, buffer_m: float = 250.0,
                    control_area: str | None = None) -> Any:
    """``followup.followup`` of a stored measure on the current data (cached per version).

    ``control_area``: a saved area to compare with; ``None``: the rest of the kommun."""
    s = store()
    m = s.get_measure(measure_id)
    a = s.get_area(m.area_id)
    control = (control_area, int(s.get_area(control_area).version)) if control_area else None
    return _followup(sources(), measure_id, int(m.version), int(a.version), float(buffer_m),
                     control, str(store_path()))


# --------------------------------------------------------------------------- export and import


def _lb_for_export() -> Lagesbild:
    lb = lagesbild(resolution=9)
    if lb is None:
        raise InputError("Det finns ingen lägesbild att exportera; se felet ovan.")
    return lb


def police_package_zip(allow_personal_data: Sequence[str] = ()) -> bytes:
    """The package for the police (GeoJSON per layer, GeoPackage, metadata) as a zip."""
    lb = _lb_for_export()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "paket"
        export_package(lb, out, store=store(), allow_personal_data=tuple(allow_personal_data))
        return zip_package(out, Path(tmp) / "lagesbild_paket.zip").read_bytes()


def geopackage_bytes(allow_personal_data: Sequence[str] = ()) -> bytes:
    lb = _lb_for_export()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "paket"
        export_package(lb, out, store=store(), gpkg=True, allow_personal_data=tuple(allow_personal_data))
        return (out / "lagesbild.gpkg").read_bytes()


def report_html(allow_personal_data: Sequence[str] = ()) -> bytes:
    """The standalone HTML lägesbild report (Swedish)."""
    lb = _lb_for_export()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lagesbild.html"
        write_report(lb, path, store=store(), allow_personal_data=tuple(allow_personal_data))
        return path.read_bytes()


@st.cache_data(max_entries=4, show_spinner="Läser paketet …")
def _read_package(path: str, sha256: str) -> Any:
    return read_package(path)


def read_police_package(src: Source) -> Any:
    return _read_package(src.path, src.sha256)


def compare_packages(theirs: Any) -> pd.DataFrame:
    """Hot/cold cells, clusters and districts per side (ours vs the imported package)."""
    return dashboard.compare_packages(publishable(_lb_for_export()), theirs)


__all__ = [
    "ALLOW_FIELDS_SV", "APP_DIR", "BASE_RESOLUTION", "CATEGORIES", "DEFAULT_STORE", "FIELD_LABELS_SV", "LAYER_HELP",
    "LAYER_LABELS_SV", "NETWORK_READ_ONLY", "PLAN_SORT", "PRECISION_SV", "PROTECTED_TEXT", "ROLE_EDITOR",
    "ROLE_LABELS_SV", "ROLE_READER", "ROOT", "SAMPLE_DIR", "TOO_FEW_CASES", "UPLOAD_MAX_AGE_S", "UPLOAD_TYPES",
    "VENDOR_DIR", "WEEKDAYS_SV", "Access", "Filters", "SignInThrottle", "Source", "Trend", "_build", "access",
    "area_candidates", "area_figures", "area_names", "assets_url", "attention", "base_choice", "category_label",
    "check_file", "check_measure", "cleanup_uploads", "cleanup_uploads_now_and_then", "column_choice",
    "compare_packages", "data_label", "data_span", "deleted_areas", "deleted_measures", "district_table",
    "district_table_sv", "district_tables", "drawn_feature", "empty_lagesbild", "error_text", "example_dir",
    "example_sources", "filter_mask", "filter_measures", "filtered_lagesbild", "followup_result", "forget_form",
    "friendly_errors", "geopackage_bytes", "headline", "ingest_tables", "knox", "lagesbild", "lagesbild_settings",
    "layer_control", "levels_caption", "list_areas", "list_measures", "listening_address", "local_only", "make_map",
    "make_map_parts", "map_parts_of", "map_parts_request", "mark_unreadable", "md_escape", "measure_fields",
    "measure_record", "measure_titles", "measures_or_stop", "period_bounds", "picture_notes", "plan_csv_bytes",
    "plan_excel_bytes", "police_package_zip", "problems_text", "read_incident_file", "read_police_package",
    "rejected_csv", "rejected_download", "replace_staged", "report_html", "require_editor", "risk_zones_map",
    "save_candidate_area", "save_measure", "save_upload", "set_sources", "show_error", "show_html_table",
    "show_problems", "show_table", "sidebar_status", "sign_in_throttle", "sources", "stage", "staged", "store",
    "store_kommun", "store_path", "table_html", "table_preview", "tiles_attribution", "tiles_choice", "trend",
    "trend_table_sv", "update_measure", "upload_help", "upload_root", "usable_incident_files", "use_example",
    "use_staged", "view", "warm_up_map", "warm_up_rest", "with_columns", "zones_map",
]
