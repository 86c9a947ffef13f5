"""The pipeline: ``build_lagesbild`` and its public steps, one reproducible call for the whole picture.

``build_lagesbild(config)`` reads every source, places and indexes the incidents,
counts them on the H3 grid, finds hotspots (Gi*), optionally density clusters and
emerging hotspots, joins everything to districts and builds the survey layers: the
sequence of :func:`place`, :func:`aggregate`, :func:`analyse`, :func:`join_districts`,
:func:`survey_layers` and :func:`describe`, each of which takes and returns a
:class:`~lagesbild_geo.bundle.Lagesbild`. :func:`filter_incidents` and :func:`rebuild`
give the picture of a subset (what the app's map page shows for a filter).
The configuration is a frozen :class:`~lagesbild_geo.config.PipelineConfig`, loadable
from a TOML file (``lagesbild.toml``, see ``lagesbild init`` and ``docs/pipeline.md``);
``Lagesbild``, ``PipelineConfig``, ``SourceConfig`` and ``load_config`` stay importable
from here.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS

from . import __version__, grid, hotspots, polisen, svformat
from ._geometry import check_shapefile_parts, repair_polygons
from .bundle import Lagesbild, PendingGeometry
from .config import PipelineConfig, SourceConfig, load_config
from .crs import check_layer_axes, to_sweref
from .districts import (
    assign_districts,
    check_declared_crs,
    degrees_declared_but_metres,
    district_kommun_codes,
    district_population,
    districts_in_kommun,
    guess_layer_crs,
    read_districts,
    summarize,
    survey_columns,
)
from .emerging import emerging as emerging_hotspots
from .errors import InputError
from .geocode import Gazetteer, place_pending
from .limits import Limits, check_vertices, file_sha256
from .names import Kommun, find_kommun, kommun_keys, kommuner, loose_key, name_key
from .period import Period, between_days, days_period, in_period, parse_period
from .read import INCIDENT_ALIASES, make_rejected, read_incidents
from .schema import (
    INCIDENT_COLUMNS,
    POINT_PRECISIONS,
    fold,
    hour_known,
    text_codes,
    text_isin,
    text_value_counts,
    weekday_known,
)
from .settings import Settings
from .survey import perceived_vs_reported, pins_to_cells, read_pins, read_survey, survey_indicators

__all__ = [
    "Lagesbild",
    "PipelineConfig",
    "Progress",
    "SourceConfig",
    "aggregate",
    "analyse",
    "build_lagesbild",
    "check_column_roles",
    "describe",
    "filter_incidents",
    "join_districts",
    "load_config",
    "place",
    "read_boundary",
    "rebuild",
    "survey_layers",
]

#: A progress callback: ``progress(step_name, fraction_done)`` with fraction in [0, 1].
Progress = Callable[[str, float], None]


# ----------------------------------------------------------------------------------------
# Building
# ----------------------------------------------------------------------------------------


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0].iloc[0:0].copy()
    return pd.concat(non_empty, ignore_index=True, sort=False) if len(non_empty) > 1 else non_empty[0].reset_index(drop=True)


class _Steps:
    """The build's progress over weighted steps: each step reports ``(name, 0.0)`` when it
    starts and ``(name, 1.0)`` when it ends; the caller hears the fraction of the build."""

    def __init__(self, progress: Progress | None, weights: dict[str, float]) -> None:
        self.progress = progress
        self.weights = weights
        self.total = sum(weights.values()) or 1.0
        self.done = 0.0

    def __call__(self, name: str, fraction: float) -> None:
        if fraction >= 1.0:
            self.done += self.weights.get(name, 0.0)
        if self.progress is not None:
            self.progress(name, min(self.done / self.total, 1.0))


def _report(progress: Progress | None, name: str, fraction: float) -> None:
    if progress is not None:
        progress(name, fraction)


def _as_config(config: PipelineConfig | str | Path, what: str) -> PipelineConfig:
    cfg = load_config(config) if isinstance(config, str | Path) else config
    if not isinstance(cfg, PipelineConfig):
        raise InputError(f"{what}: config must be a PipelineConfig or a TOML path, got {type(cfg).__name__}.")
    if not cfg.sources:
        raise InputError(f"{what}: no incident sources; add [[sources]] path = \"...\" to the config.")
    return cfg


def build_lagesbild(config: PipelineConfig | str | Path, *, progress: Progress | None = None) -> Lagesbild:
    """Build the complete lägesbild from a configuration.

    The sequence of the pipeline's steps: :func:`place` (read the districts, read and
    place every source, geocoding with the gazetteer, which also knows the district
    names) → :func:`aggregate` (count the period's incidents per H3 cell, filled with
    zeros over the boundary or within ``rings``) → :func:`analyse` (Gi* hotspots,
    density clusters and emerging hotspots over every date, the last two optional) →
    :func:`join_districts` (assign the incidents to districts, the district table) →
    :func:`survey_layers` (indicators per district and cell, pins, perceived vs
    reported) → :func:`describe` (the metadata).

    Deterministic: the same inputs and configuration give the same frames; the
    metadata then differs only in ``created_at`` unless the configuration fixes it.

    Parameters
    ----------
    config
        A :class:`PipelineConfig` or the path of a ``lagesbild.toml``.
    progress
        Called as ``progress(step, fraction)`` before and after each step
        (``"read"``, ``"cells"``, ``"hotspots"``, ``"clusters"``, ``"emerging"``,
        ``"districts"``, ``"survey"``, ``"done"``).

    Returns
    -------
    Lagesbild

    Examples
    --------
    >>> from lagesbild_geo.config import example_config
    >>> lb = build_lagesbild(example_config("sample_data", emerging=False))
    >>> int(lb.district_summary.loc["_total", "total"]) == lb.metadata["counts"]["placed_in_period"]
    True
    """
    cfg = _as_config(config, "build_lagesbild")
    steps = _Steps(progress, {"read": 40, "cells": 10, "hotspots": 10, "clusters": 10 if cfg.clusters else 0,
                              "emerging": 10 if cfg.emerging else 0, "districts": 15, "survey": 5})
    lb = place(cfg, progress=steps)
    lb = aggregate(lb, progress=steps)
    lb = analyse(lb, clusters=cfg.clusters, cluster_method=cfg.cluster_method,
                 cluster_eps_m=cfg.cluster_eps_m, cluster_min_samples=cfg.cluster_min_samples,
                 emerging=cfg.emerging, emerging_period=cfg.emerging_period,
                 emerging_time_step=cfg.emerging_time_step, progress=steps)
    lb = join_districts(lb, progress=steps)
    lb = survey_layers(lb, survey=cfg.survey, pins=cfg.pins, progress=steps,
                       survey_options=cfg.survey_options)
    lb = describe(lb, config=cfg)
    _report(progress, "done", 1.0)
    return lb


# ----------------------------------------------------------------------------------------
# Step 1: place
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Placing:
    """What placing gathers on the way: the kommun, notes, rejected rows and per-source counts."""

    kommun_name: str | None = None
    kommun_code: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    notes_sv: list[str] = dataclasses.field(default_factory=list)
    left_out: dict[str, int] = dataclasses.field(default_factory=dict)
    rejected: list[pd.DataFrame] = dataclasses.field(default_factory=list)
    reports: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    sources_meta: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    excluded: dict[str, int] = dataclasses.field(default_factory=dict)


def place(config: PipelineConfig | str | Path, *, progress: Progress | None = None) -> Lagesbild:
    """Read and place every incident source of a configuration (the first step of a build).

    Reads the district layer (narrowed to the kommun, with a population from another
    level when configured), the gazetteer and the kommun boundary; reads every source
    (:func:`lagesbild_geo.read.read_incidents`) and geocodes its pending rows; keeps the
    police feed's rows of the kommun (others are rejected as ``"other kommun"`` /
    ``"lan level"``), leaves the excluded categories out and places the feed's rows by
    the places their text names.

    Parameters
    ----------
    config
        A :class:`PipelineConfig` or the path of a ``lagesbild.toml``.
    progress
        Called as ``progress("read", 0.0)`` and ``progress("read", 1.0)``.

    Returns
    -------
    Lagesbild
        ``incidents``, ``pending``, ``rejected``, ``reports``, the district polygons
        (``districts``, not yet summarised), the ``boundary`` and the metadata so far
        (kommun, notes, period, sources); the cell, hotspot and district tables are
        empty until :func:`aggregate`, :func:`analyse` and :func:`join_districts`.

    Examples
    --------
    >>> from lagesbild_geo.config import example_config
    >>> lb = place(example_config("sample_data"))
    >>> len(lb.incidents) + len(lb.pending) + len(lb.rejected) == sum(
    ...     r["rows_read"] for r in lb.reports.values())
    True
    >>> len(lb.cells), lb.metadata["kommun"]
    (0, {'name': 'Exempelkommun', 'code': '9999'})
    """
    cfg = _as_config(config, "place")
    period, prev = _config_periods(cfg)
    _report(progress, "read", 0.0)
    st = _Placing()
    st.kommun_name, st.kommun_code = _resolve_kommun(cfg.kommun_name, cfg.kommun_code)
    empty = Lagesbild.empty(settings=cfg.settings)
    _check_population_inputs(cfg)
    districts = _district_layer(cfg, st) if cfg.districts else empty.districts
    _check_kommun_known(cfg, districts)
    gazetteer: Any = None
    if cfg.gazetteer:
        gazetteer = Gazetteer.from_file(cfg.gazetteer, settings=cfg.settings)
        if cfg.districts and hasattr(gazetteer, "with_districts"):
            gazetteer = gazetteer.with_districts(districts.reset_index())
    boundary: gpd.GeoDataFrame | None = None
    if cfg.boundary:
        boundary = _read_boundary(cfg.boundary, st.kommun_name, st.kommun_code, st.notes)
        if st.kommun_name is None:
            st.kommun_name = _boundary_name(boundary)
    # Without a gazetteer, rows that name a district ("Område: Centrum", "DeSO: 0380C1010")
    # are still placed there; the others stay pending. Made only for a source with rows to
    # place (most files have coordinates: 0,02 s of a build of 6 000 districts saved).
    by_names: Callable[[], Any] = functools.cache(
        lambda: gazetteer if gazetteer is not None else (
            Gazetteer.of_districts(districts.reset_index()) if len(districts) else None))
    incidents, pending = _read_sources(cfg, st, boundary, by_names, all_names=gazetteer is not None)
    incidents = _keep_kommun_rows(incidents, districts, boundary, st)
    incidents, pending = _exclude_categories(incidents, pending, cfg, st.excluded, st.sources_meta)
    if len(pending) and gazetteer is None:
        st.notes.append(_pending_note(pending, districts=len(districts) > 0))
    if st.excluded:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(st.excluded.items()))
        st.notes.append(f"Left out by category (exclude_categories/categories): {shown}.")
    incidents, placement = _place_feed_rows(incidents, districts, gazetteer, cfg, st)
    prev = _covered_previous(prev, incidents, pending, st)
    _report(progress, "read", 1.0)
    metadata: dict[str, Any] = {
        "kommun": {"name": st.kommun_name, "code": st.kommun_code},
        "notes": st.notes,
        "notes_sv": st.notes_sv,
        "period": period.to_dict() if period is not None else None,
        "previous_period": prev.to_dict() if prev is not None else None,
        "sources": st.sources_meta,
        # the Swedish notes are composed from these counts after publishing (never raw counts)
        "counts": {"excluded": dict(sorted(st.excluded.items())), **st.left_out},
        "categories": {"included": list(cfg.categories) if cfg.categories is not None else None,
                       "excluded": list(cfg.exclude_categories or ())},
        "placement": _jsonable(placement),
        "districts": _jsonable(dict(districts.attrs.get("report", {}))) if cfg.districts else {},
    }
    return dataclasses.replace(
        empty, incidents=incidents, rejected=_concat(st.rejected), reports=st.reports, pending=pending,
        districts=districts,
        boundary=boundary.to_crs(4326) if boundary is not None and boundary.crs is not None else boundary,
        metadata=metadata)


def _config_periods(cfg: PipelineConfig) -> tuple[Period | None, Period | None]:
    """The configuration's analysis period and the one compared with."""
    period = parse_period(cfg.period) if cfg.period else None
    if not cfg.previous_period:
        return period, None
    if cfg.previous_period.strip().lower() in ("previous", "auto"):
        if period is None:
            raise InputError("previous_period = \"previous\" needs a period (e.g. period = \"2025\"); "
                             "set one or give the previous period explicitly.")
        return period, period.previous()
    return period, parse_period(cfg.previous_period)


def _covered_previous(prev: Period | None, incidents: pd.DataFrame, pending: pd.DataFrame,
                      st: _Placing) -> Period | None:
    """The comparison period, or None (with a note) when the data begin well after its first day.

    A comparison period the data do not reach back to would be counted as if nothing had
    happened in it (an archive of 2025 compared with 2024 showed every district's whole
    count as a significant rise). The first incident may come some days after the period's
    first day by chance (a small kommun's first crime of the year on 3 January): the data
    are taken to reach back when their first day is at most :func:`_reach_slack` days
    after it (a week, or ten times the data's mean gap between incidents).
    """
    if prev is None:
        return None
    times = [t.dropna() for f in (incidents, pending) if f is not None and "occurred_at" in f.columns and len(f)
             for t in [pd.to_datetime(f["occurred_at"], errors="coerce", utc=True)]]
    times = [t for t in times if len(t)]
    if not times:
        return prev
    first, last = min(t.min() for t in times), max(t.max() for t in times)
    first_day = first.tz_convert(prev.start.tz).date()
    slack = _reach_slack(first, last, sum(len(t) for t in times))
    if (first_day - prev.first_day).days <= slack:
        return prev
    st.notes.append(f"Previous period {prev.label}: the incidents begin on {first_day.isoformat()}, after "
                    f"its first day ({prev.first_day.isoformat()}), so the period is not compared with it "
                    "(days without data are not days without crimes).")
    st.notes_sv.append(f"Jämförelseperioden {prev.label} jämförs inte: händelserna börjar "
                       f"{svformat.date_sv(first_day)}, efter periodens första dag "
                       f"({svformat.date_sv(prev.first_day)}). Dagar utan uppgifter är inte dagar "
                       "utan brott.")
    return None


def _reach_slack(first: pd.Timestamp, last: pd.Timestamp, n: int) -> float:
    """Days the first incident may come after a period's first day with the data still taken
    to cover the period: a week, or ten mean gaps between incidents (``n`` over first to
    last), after which the chance of no incident at all is below 1 in 20 000 (Poisson)."""
    span_days = max((last - first).total_seconds() / 86_400, 1.0)
    return max(7.0, 10.0 * span_days / max(n, 1))


def _check_population_inputs(cfg: PipelineConfig) -> None:
    """Refuse a population input the build would leave unused: rates per 1 000 are per
    district, so a population table needs a district layer, and a key table a population
    table (both were ignored without a word, and the rates stayed empty)."""
    if cfg.population_key and not cfg.population:
        raise InputError(
            f"--population-key {Path(cfg.population_key).name} is a key table between a population "
            "table's areas and the districts; give the population table too (--population FILE, e.g. "
            "SCB's DeSO population; lagesbild.toml: population under [inputs]).")
    if cfg.population and not cfg.districts:
        raise InputError(
            f"--population {Path(cfg.population).name} gives the population of districts, for rates "
            "per 1 000 inhabitants per district; give the district layer too (--districts FILE, e.g. "
            "RegSO; lagesbild.toml: path under [districts]).")


def _district_layer(cfg: PipelineConfig, st: _Placing) -> gpd.GeoDataFrame:
    """The configured districts of the kommun, with the population of another level when given."""
    assert cfg.districts is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        districts = read_districts(cfg.districts, **dict(cfg.district_options))
    for w in caught:  # passed on as they came
        warnings.warn(w.message, w.category, stacklevel=3)
    # what the layer's reader only noted in its report (a layer chosen among several …) is
    # a note of the build too, so that it is printed
    warned = {str(w.message) for w in caught}
    label = Path(str(cfg.districts)).name
    st.notes.extend(f"Districts ({label}): {w}" for w in districts.attrs.get("report", {}).get("warnings", [])
                    if w not in warned)
    if st.kommun_code is None and st.kommun_name is None:
        st.kommun_name, st.kommun_code = _kommun_of_districts(districts, st.notes)
    if st.kommun_code is not None:
        n_all = len(districts)
        districts = districts_in_kommun(districts, st.kommun_code)
        if len(districts) < n_all:
            st.notes.append(f"Districts: {len(districts)} of the layer's {n_all} districts are in kommun "
                            f"{st.kommun_code} ({st.kommun_name}); only these are used.")
    if cfg.population:
        pop = district_population(cfg.population, districts, key=cfg.population_key)
        districts = districts.assign(population=pop.to_numpy())
        rep = dict(districts.attrs.get("report", {}))
        rep["population_source"] = "aggregated"
        rep["population_aggregation"] = pop.attrs.get("report", {})
        rep["population_missing"] = districts.index[districts["population"].isna()].tolist()
        districts.attrs["report"] = rep
        st.notes.extend(pop.attrs.get("report", {}).get("warnings", []))
    return districts


def _read_sources(cfg: PipelineConfig, st: _Placing, boundary: gpd.GeoDataFrame | None,
                  names: Callable[[], Any], *, all_names: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every source read and its pending rows geocoded: the placed and the pending rows.
    ``names()`` gives the gazetteer (``None``: none), asked for only when a source has
    pending rows. Without ``all_names`` the gazetteer holds only the districts: rows it
    does not find stay pending."""
    settings = cfg.settings
    placed, pending = [], []
    for i, src in enumerate(cfg.sources):
        if not Path(src.path).exists():
            raise InputError(f"Incident file {src.path} does not exist; check the path in the config.")
        name = src.name or Path(src.path).name
        try:
            check_column_roles(src.columns or {}, form='columns = {{{role} = "{column}"}}')
        except InputError as exc:
            raise InputError(f"lagesbild.toml, [[sources]] path = {Path(src.path).name!r}: {exc}") from None
        if name in st.reports:
            name = f"{name} ({i + 1})"
        res = read_incidents(
            src.path, columns=dict(src.columns) if src.columns else None, crs=src.crs,
            category_map=dict(src.category_map) if src.category_map else None, sheet=src.sheet,
            layer=src.layer, settings=settings, time_optional=src.time_optional,
            boundary=boundary, source_name=name,
        )
        if len(res.pending) and (gazetteer := names()) is not None:
            n_before, said = len(res.pending), list(res.report.get("warnings", []))
            res = place_pending(res, gazetteer, settings=settings, boundary=boundary,
                                unmatched="reject" if all_names else "pending")
            if not all_names and len(res.pending) < n_before:
                st.notes.append(f"{name}: {n_before - len(res.pending)} row(s) without coordinates name a "
                                "district (by name or code) and were placed in it, at district level "
                                "(no gazetteer given: the district layer's names and codes were used).")
            if not all_names:
                # the district-name hints place_pending added become the build's notes (said once)
                st.notes.extend(res.report.get("warnings", [])[len(said):])
                res.report["warnings"] = said
        placed.append(res.placed)
        st.rejected.append(res.rejected)
        pending.append(res.pending)
        st.reports[name] = res.report
        st.sources_meta.append({"name": name, "path": Path(src.path).name, "sha256": file_sha256(src.path),
                                "options": {k: v for k, v in dataclasses.asdict(src).items()
                                            if k not in ("path", "name") and v not in (None, False, {})},
                                "rows_read": res.report.get("rows_read"), "placed": len(res.placed),
                                "pending": len(res.pending), "rejected": len(res.rejected)})
    st.notes.extend(_shared_ids(list(st.reports), placed, pending))
    return _concat(placed), _concat(pending)


def _shared_ids(names: list[str], placed: list[pd.DataFrame], pending: list[pd.DataFrame]) -> list[str]:
    """A note when incident ids of one file are in another too: overlapping exports (two
    months' files that both hold the turn of the month, one file given twice) count those
    incidents twice. Within one file an id may repeat (a case of several crimes)."""
    if len(names) < 2:
        return []
    earlier: list[tuple[str, set[str]]] = []
    shared: dict[tuple[str, str], list[str]] = {}
    for name, frames in zip(names, zip(placed, pending, strict=True), strict=True):
        cols = [f["incident_id"] for f in frames if "incident_id" in f.columns and len(f)]
        own = set(pd.concat(cols).dropna().astype(str).str.strip()) - {""} if cols else set()
        for first, ids in earlier:
            both = own & ids
            if both:
                shared[(first, name)] = sorted(both)
        earlier.append((name, own))
    return [f"{len(v)} incident id(s) of {a} are in {b} too (e.g. {', '.join(map(repr, v[:3]))}): if the "
            "files overlap, those incidents are counted twice; leave the overlap out of one of them."
            for (a, b), v in shared.items()]


def check_column_roles(columns: Mapping[str, str], *,
                       form: str = "columns={{'{role}': '{column}'}}") -> None:
    """Refuse a column role that :func:`lagesbild_geo.read.read_incidents` does not know.

    ``read_incidents(columns={"datum": "Datum"})`` would take the column from the role that
    recognised it ("Datum" is the date) and use it for nothing, so every row's time went
    missing without a word; a build and ``lagesbild read --column`` check first.

    Parameters
    ----------
    columns
        Role → column name, as ``read_incidents`` takes ``columns=``.
    form
        How the user writes a choice, for the message: ``"--column {role}={column}"`` on
        the command line, ``'columns = {{{role} = "{column}"}}'`` in lagesbild.toml.

    Raises
    ------
    InputError
        A role is not one of ``lagesbild_geo.read.INCIDENT_ALIASES``; the message lists the
        roles and, when the unknown role is a column name the reader recognises ("datum",
        "klockslag"), the role meant.

    Examples
    --------
    >>> check_column_roles({"date": "Brottsdatum", "time": "Klockslag"})
    >>> try:
    ...     check_column_roles({"datum": "Datum"}, form="--column {role}={column}")
    ... except InputError as exc:
    ...     print(str(exc).split("did you mean ")[-1])
    --column date=Datum?
    """
    unknown = [r for r in columns if r not in INCIDENT_ALIASES]
    if not unknown:
        return
    role = unknown[0]
    # a role written as a column name the reader recognises ("datum" → date)
    meant = [r for r, tiers in INCIDENT_ALIASES.items() if any(fold(role) in tier for tier in tiers)]
    hint = (f" {role!r} is a column name, of the role {meant[0]}: did you mean "
            f"{form.format(role=meant[0], column=columns[role])}?" if meant else "")
    raise InputError(
        f"unknown column role{'s' if len(unknown) > 1 else ''} {', '.join(repr(r) for r in unknown)}: "
        f"in {form.format(role='ROLE', column='NAME')}, ROLE says what the file's column NAME holds "
        f"and is one of {', '.join(INCIDENT_ALIASES)}.{hint}")


def _pending_note(pending: pd.DataFrame, *, districts: bool = False) -> str:
    """Rows with only an address or a place name, read without a gazetteer: what they need."""
    per_source = pending["source"].astype(str).value_counts(sort=False) if "source" in pending.columns else None
    where = (f" ({', '.join(f'{k} {v}' for k, v in per_source.items())})"
             if per_source is not None and len(per_source) > 1 else "")
    named = " (and name no single district)" if districts else ""
    return (f"{len(pending)} row(s){where} have only an address or a place name{named}, no coordinates, "
            "and were not placed: geocoding them needs a gazetteer (--gazetteer FILE, or gazetteer = "
            "\"FILE\" under [inputs] in lagesbild.toml). They are pending, not rejected: they are "
            "not among the rejected rows and not counted in the lägesbild.")


def _keep_kommun_rows(incidents: pd.DataFrame, districts: gpd.GeoDataFrame,
                      boundary: gpd.GeoDataFrame | None, st: _Placing) -> pd.DataFrame:
    """The police feed names a kommun or a län per row: keep the kommun's rows (by name,
    never by the position of a kommun's or län's centre)."""
    if not (len(incidents) and "precision" in incidents.columns
            and text_isin(incidents["precision"], ["kommun", "lan"]).any()):
        return incidents
    if st.kommun_name is None and st.kommun_code is None:
        st.kommun_name, st.kommun_code = _kommun_of_feed(incidents, districts, boundary, st.notes)
    if st.kommun_name is not None or _known_code(st.kommun_code):
        where = polisen.kommun_rows(incidents, kommun_name=st.kommun_name, kommun_code=st.kommun_code)
        incidents = _move_to_rejected(incidents, where, st.rejected, st.reports, st.sources_meta)
        _level_notes(where, st.kommun_name or st.kommun_code or "", st)
    elif boundary is not None:
        # the boundary used to keep the rows whose centre lay inside it; the kommun is now
        # chosen by name, so a boundary that names none must not count every kommun's rows
        n_k = incidents.loc[incidents["precision"] == "kommun", "location_text"].nunique()
        raise InputError(
            f"The police feed names {n_k} kommuner and the boundary neither names the kommun (no "
            "name or code column) nor holds the centre of exactly one of them: name the kommun with "
            "--kommun NAME or CODE (lagesbild.toml: name/code under [kommun]).")
    else:
        n_k = incidents.loc[incidents["precision"] == "kommun", "location_text"].nunique()
        st.notes.append(f"The police feed names {n_k} kommun(er) and no kommun was named: every "
                        "kommun-level row is counted. Name the kommun (--kommun NAME or CODE, [kommun] "
                        "name/code) to keep only its rows.")
        if n_k > 1:
            st.notes_sv.append(
                f"Polisens händelser gäller {n_k} kommuner och ingen kommun är vald, så alla räknas: "
                "bilden visar mer än en kommun. Välj kommunen genom att ladda upp kommunens "
                "områdesindelning (DeSO, RegSO) eller kommungräns på sidan Data (kommandoraden: "
                "--kommun).")
    return incidents


def _place_feed_rows(incidents: pd.DataFrame, districts: gpd.GeoDataFrame, gazetteer: Any,
                     cfg: PipelineConfig, st: _Placing) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The police feed's kommun-level rows placed by the places their text names."""
    if not (len(incidents) and cfg.districts and "precision" in incidents.columns
            and (incidents["precision"] == "kommun").any()):
        return incidents, {}
    place_layers = [polisen.read_places(p, kommun=st.kommun_name) for p in cfg.places]
    incidents = polisen.place_events(incidents, districts, kommun=st.kommun_name, places=place_layers,
                                     points=_gazetteer_points(gazetteer))
    placement = dict(incidents.attrs.get("placement", {}))
    st.notes.append(f"Police feed rows placed by the places their text names: {placement.get('district', 0)} "
                    f"in a district, {placement.get('stadsdel', 0)} only in a stadsdel, "
                    f"{placement.get('kommun', 0)} only at kommun level.")
    return incidents, placement


# ----------------------------------------------------------------------------------------
# Steps 2-3: aggregate, analyse
# ----------------------------------------------------------------------------------------


def _period_of(lb: Lagesbild, key: str = "period") -> Period | None:
    """The bundle's analysis period (``key="previous_period"``: the one compared with)."""
    meta = (lb.metadata or {}).get(key)
    return Period.from_dict(meta) if isinstance(meta, Mapping) and meta.get("start") else None


def _in_period(lb: Lagesbild) -> npt.NDArray[np.bool_]:
    """Which of the bundle's incidents lie in its analysis period (all without one)."""
    inc, period = lb.incidents, _period_of(lb)
    if period is None or not len(inc):
        return np.ones(len(inc), dtype=bool)
    return in_period(inc["occurred_at"], period)


def _note(lb: Lagesbild, en: str, sv: str | None = None) -> dict[str, Any]:
    """The metadata with a note added (once)."""
    return _with_notes(lb.metadata, [(en, sv)])


def _with_notes(metadata: Mapping[str, Any], found: Sequence[tuple[str, str | None]]) -> dict[str, Any]:
    """``metadata`` with the notes (English, Swedish or None) added, each once."""
    meta = dict(metadata)
    notes, notes_sv = list(meta.get("notes", [])), list(meta.get("notes_sv", []))
    for en, sv in found:
        if en not in notes:
            notes.append(en)
        if sv is not None and sv not in notes_sv:
            notes_sv.append(sv)
    meta["notes"], meta["notes_sv"] = notes, notes_sv
    return meta


def _period_rows(inc: pd.DataFrame, columns: list[str], rows: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """``inc.loc[rows, columns]`` for counting: the text columns as categoricals of the whole
    column's codes (no text per row is copied or hashed again)."""
    out: dict[str, Any] = {}
    for c in columns:
        if isinstance(inc[c].array, pd.arrays.ArrowStringArray):
            codes, labels = text_codes(inc[c])
            out[c] = pd.Categorical.from_codes(codes[rows], categories=pd.Index(labels, dtype=object))
        else:
            out[c] = inc[c].array[rows]  # the column's own type (a nullable one stays so)
    return pd.DataFrame(out, copy=False)


def aggregate(lb: Lagesbild, *, fill: bool | Any = None, progress: Progress | None = None) -> Lagesbild:
    """Count the analysis period's incidents per H3 cell (step 2 of a build).

    Counts the point- and address-placed incidents of ``metadata["period"]`` (every
    date without one) per cell at ``lb.settings.resolution``, with ``count_<category>``
    columns (:func:`lagesbild_geo.grid.count_cells`); the zero cells around them are
    kept, as Gi* needs them.

    Parameters
    ----------
    lb
        A placed lägesbild (:func:`place`).
    fill
        Which zero cells: ``None`` (default) every cell of ``lb.boundary`` when the
        bundle has one, else as ``True``; ``True`` every cell within
        ``lb.settings.rings`` of a counted cell; a polygon (GeoDataFrame, GeoSeries or
        shapely) every cell of it.
    progress
        Called as ``progress("cells", 0.0)`` and ``progress("cells", 1.0)``.

    Returns
    -------
    Lagesbild
        With ``cells`` (index ``cell``; ``count`` and ``count_<category>``; hex
        polygons in WGS84) and ``metadata["parameters"]["fill"]``.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)  # build_lagesbild(example_config())
    >>> ringed = aggregate(lb, fill=True)
    >>> int(ringed.cells["count"].sum()) == int(lb.cells["count"].sum()), len(ringed.cells) < len(lb.cells)
    (True, True)
    >>> ringed.metadata["parameters"]["fill"], lb.metadata["parameters"]["fill"]
    ('rings=1', 'boundary')
    """
    _report(progress, "cells", 0.0)
    s = lb.settings
    inc = lb.incidents
    in_per = _in_period(lb)
    # count_cells reads only these columns: select them with the period's rows (one copy
    # of a few columns, not of the whole incident table)
    grid_cols = [c for c in ("cell", "lat", "lon", "precision", "category") if c in inc.columns]
    on_grid = inc[grid_cols] if bool(in_per.all()) else _period_rows(inc, grid_cols, in_per)
    area: Any = lb.boundary if fill is None and lb.boundary is not None else (True if fill is None else fill)
    if area is lb.boundary and not _any_on_grid(inc):
        # nothing can be on the grid (the police feed: kommun centres only): no boundary of
        # zero cells (Uppsala's: 28 750 cells, 25 MB of zeros in the package), as the note says
        area = True
    # the hex polygons are built when the cells are first used (a map, an export), not here
    counts = grid.count_cells(on_grid, resolution=s.resolution, by="category", fill=area, rings=s.rings,
                              geometry=False)
    meta = dict(lb.metadata)
    meta["parameters"] = {**meta.get("parameters", {}),
                          "fill": ("boundary" if area is lb.boundary else f"rings={s.rings}" if area is True
                                   else "area")}
    _report(progress, "cells", 1.0)
    return lb.replace(cells=PendingGeometry(counts, grid.cells_to_polygons), metadata=meta)


def _any_on_grid(inc: pd.DataFrame) -> bool:
    """True when an incident of any date has a point or address position (a cell)."""
    return bool(len(inc)) and "precision" in inc.columns and bool(text_isin(inc["precision"], POINT_PRECISIONS).any())


def analyse(lb: Lagesbild, *, clusters: bool = True, cluster_method: str = "dbscan",
            cluster_eps_m: float = 150.0, cluster_min_samples: int = 15, emerging: bool = True,
            emerging_period: str = "quarter", emerging_time_step: int = 1,
            progress: Progress | None = None) -> Lagesbild:
    """Find hotspots, density clusters and emerging hotspots (step 3 of a build).

    Gi* over the cells (:func:`lagesbild_geo.hotspots.gistar`, with the settings'
    ``rings``, ``alpha`` and ``correction``); density clusters of the period's
    incidents (:func:`lagesbild_geo.hotspots.clusters`); emerging hotspots over every
    date (:func:`lagesbild_geo.emerging.emerging`; too few periods or cells for a trend
    is a note, not an error).

    Parameters
    ----------
    lb
        A lägesbild with cells (:func:`aggregate`).
    clusters, cluster_method, cluster_eps_m, cluster_min_samples
        Density clusters and their options; ``False`` keeps ``lb.clusters`` as it is.
    emerging, emerging_period, emerging_time_step
        Emerging hotspots and their options; ``False`` keeps ``lb.emerging`` as it is.
    progress
        Called before and after each part (``"hotspots"``, ``"clusters"``, ``"emerging"``).

    Returns
    -------
    Lagesbild
        With ``hotspots``, ``clusters``, ``emerging`` and their options in
        ``metadata["parameters"]``.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = analyse(example_lagesbild(clusters=False, emerging=False), emerging=False)
    >>> bool(lb.hotspots["hotspot_class"].str.startswith("hot").any()), len(lb.clusters) > 0
    (True, True)
    >>> lb.metadata["parameters"]["clusters"]
    {'method': 'dbscan', 'eps_m': 150.0, 'min_samples': 15}
    """
    s = lb.settings
    _report(progress, "hotspots", 0.0)
    lb = lb.replace(hotspots=_gistar_of(lb))
    _report(progress, "hotspots", 1.0)
    _report(progress, "clusters", 0.0)
    params = dict(lb.metadata.get("parameters", {}))
    if clusters:
        params["clusters"] = {"method": cluster_method, "eps_m": cluster_eps_m,
                              "min_samples": cluster_min_samples}
        lb = lb.replace(clusters=_clusters_of(lb, params["clusters"]))
    _report(progress, "clusters", 1.0)
    _report(progress, "emerging", 0.0)
    inc = lb.incidents
    on_grid = _any_on_grid(inc)
    if len(inc) and not on_grid:
        lb = lb.replace(metadata=_note(
            lb, "No incident has a point or address position (e.g. only the police events "
            "feed, whose positions are kommun centres): cells, hotspots, clusters and "
            "emerging hotspots are empty; the district table counts rows by name.",
            "Ingen händelse har en punkt- eller adressposition (till exempel bara "
            "polisens händelseflöde, vars positioner är kommunens mitt): hexagoner, "
            "hotspots och kluster blir tomma; distriktstabellen räknar rader efter namn."))
    if emerging:
        lb = _emerging_of(lb, emerging_period, emerging_time_step, on_grid)
        params["emerging"] = {"period": emerging_period, "rings": s.rings, "time_step": emerging_time_step,
                              **{k: v for k, v in lb.emerging.attrs.get("emerging", {}).items()
                                 if k in ("global_window", "history_periods")}}
    _report(progress, "emerging", 1.0)
    return lb.replace(metadata={**lb.metadata, "parameters": params})


def _gistar_of(lb: Lagesbild) -> Any:
    """Gi* on the cells; polygons still pending stay so (built once for cells and hotspots)."""
    s = lb.settings
    cells = lb.stored("cells")
    if not isinstance(cells, PendingGeometry) or not len(cells.frame):
        return (hotspots.gistar(lb.cells, "count", rings=s.rings, alpha=s.alpha, correction=s.correction)
                if len(lb.cells) else lb.cells.copy())
    hot = hotspots.gistar(cells.frame, "count", rings=s.rings, alpha=s.alpha, correction=s.correction)
    return PendingGeometry(hot, cells.build, loc=len(cells.frame.columns), like=cells)


def _clusters_of(lb: Lagesbild, options: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Density clusters of the period's incidents (none without incidents in the period)."""
    in_per = _in_period(lb)
    if not in_per.any():
        return lb.clusters.iloc[0:0]
    current = lb.incidents if bool(in_per.all()) else lb.incidents.loc[in_per]
    return hotspots.clusters(current, method=options["method"], eps_m=options["eps_m"],
                             min_samples=options["min_samples"])


def _emerging_of(lb: Lagesbild, period: str, time_step: int, on_grid: bool) -> Lagesbild:
    """Emerging hotspots over every date; too few periods or cells become a note."""
    if not on_grid:
        return lb.replace(emerging=lb.emerging.iloc[0:0])
    s = lb.settings
    try:
        found = emerging_hotspots(lb.incidents, period=period, resolution=s.resolution, rings=s.rings,
                                  time_step=time_step, alpha=s.alpha, correction=s.correction)
    except InputError as exc:  # too few time bins or cells for a trend: say so, go on
        return lb.replace(emerging=lb.emerging.iloc[0:0], metadata=_note(
            lb, f"Emerging hotspots skipped: {exc}",
            "Framväxande hotspots beräknades inte: för få tidsperioder eller hexagoner."))
    return lb.replace(emerging=found)


# ----------------------------------------------------------------------------------------
# Steps 4-5: districts, survey
# ----------------------------------------------------------------------------------------


def join_districts(lb: Lagesbild, *, progress: Progress | None = None) -> Lagesbild:
    """Assign the incidents to districts and build the district table (step 4 of a build).

    Incidents without ``district_code`` are assigned
    (:func:`lagesbild_geo.districts.assign_districts`: points by polygon, area rows by
    name); without a boundary, area rows outside every district that do not name the
    kommun are rejected as ``"outside boundary"``. The table
    (:func:`lagesbild_geo.districts.summarize`) counts the analysis period, compares it
    with the previous period when the bundle has one, counts hot cells per district and
    joins the survey's district indicators when ``lb.survey`` has them. Nothing happens
    without districts.

    Parameters
    ----------
    lb
        A lägesbild with hotspots (:func:`analyse`).
    progress
        Called as ``progress("districts", 0.0)`` and ``progress("districts", 1.0)``.

    Returns
    -------
    Lagesbild
        With ``district_code``/``district_method`` on the incidents, ``district_summary``
        and the district polygons with the table's columns.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = join_districts(example_lagesbild(clusters=False, emerging=False))
    >>> s = lb.district_summary
    >>> int(s.loc["_total", "total"]) == int(s.loc[s["row_type"] != "total", "total"].sum())
    True
    >>> lb.incidents["district_method"].value_counts().index[0]
    'point'
    """
    _report(progress, "districts", 0.0)
    if len(lb.districts):
        lb = _assigned(lb) if "district_code" not in lb.incidents.columns else lb
        lb = _summarised(lb)
    _report(progress, "districts", 1.0)
    return lb


def _assigned(lb: Lagesbild) -> Lagesbild:
    """The incidents with their districts (and the notes and rejections that come with it)."""
    kommun_name = (lb.metadata.get("kommun") or {}).get("name")
    report = dict(lb.districts.attrs.get("report", {}))
    with warnings.catch_warnings():  # a suggestion becomes a note of the build
        warnings.simplefilter("ignore", UserWarning)
        incidents = assign_districts(lb.incidents, lb.districts, kommun_name=kommun_name)
    report["assignment"] = dict(incidents.attrs.get("district_assignment", {}))
    notes = list(lb.metadata.get("notes", []))
    suggestions = incidents.attrs.get("district_suggestions") or {}
    if suggestions:
        report["suggestions"] = dict(suggestions)
        notes.append("Place text(s) that match a district only when å, ä and ö are ignored were not "
                     "placed there (å, ä and ö are letters; Varberg is not Vårberg): "
                     + "; ".join(f"{t!r} (did you mean {', '.join(v)}?)"
                                 for t, v in list(suggestions.items())[:5])
                     + ". Correct the names in the source if they mean these districts.")
    n_ap = int(report["assignment"].get("area_point", 0) or 0)
    if n_ap and not kommun_name:
        top = incidents.loc[incidents["district_method"].astype("string") == "area_point",
                            "location_text"].astype("string").value_counts().head(3)
        notes.append(
            f"{n_ap} area row(s) were put in the district that holds their area's centre "
            f"({', '.join(f'{k} {v}' for k, v in top.items())}). If these name the whole kommun "
            "(the police feed gives kommun centres), name the kommun (--kommun NAME, [kommun] "
            "name) so that they count for the kommun, not for one district.")
    meta = {**lb.metadata, "notes": notes}
    rejected = [lb.rejected]
    reports = {k: dict(v) for k, v in lb.reports.items()}
    sources = [dict(m) for m in meta.get("sources", [])]
    if lb.boundary is None:
        incidents = _reject_areas_elsewhere(incidents, rejected, reports, sources, notes)
        meta["sources"] = sources
        notes.extend(_geocoded_outside_note(incidents))
    districts = lb.districts.copy()
    # keep what read_districts noted (its coverage check lets summarize reuse the locator)
    districts.attrs = {**lb.districts.attrs, "report": report}
    return lb.replace(incidents=incidents, rejected=_concat(rejected), reports=reports,
                      districts=districts, metadata=meta)


def _summarised(lb: Lagesbild) -> Lagesbild:
    """The district table and the district polygons with its columns."""
    ind = lb.survey.get("districts")
    summary = summarize(
        lb.incidents, _district_polygons(lb), period=_period_of(lb),
        previous_period=_period_of(lb, "previous_period"),
        survey=pd.DataFrame(ind).drop(columns="geometry", errors="ignore") if ind is not None else None,
        hotspots=hot if len(hot := lb.table("hotspots")) else None,
        kommun_name=(lb.metadata.get("kommun") or {}).get("name"), alpha=lb.settings.alpha)
    rows = summary.loc[summary["row_type"] == "district"].drop(columns=["district_name", "population"])
    districts = _district_polygons(lb).join(rows)
    districts.attrs = {**lb.districts.attrs, "report": dict(lb.districts.attrs.get("report", {}))}
    meta = {**lb.metadata, "districts": _jsonable(districts.attrs["report"])}
    return lb.replace(district_summary=summary, districts=districts, metadata=meta)


def _district_polygons(lb: Lagesbild) -> gpd.GeoDataFrame:
    """The district layer without the columns a district table added to it."""
    table = [c for c in lb.district_summary.columns if c not in ("district_name", "population")]
    return lb.districts.drop(columns=[c for c in table if c in lb.districts.columns])


def survey_layers(lb: Lagesbild, *, survey: str | Path | pd.DataFrame | None = None,
                  pins: str | Path | gpd.GeoDataFrame | None = None,
                  progress: Progress | None = None,
                  survey_options: Mapping[str, Any] | None = None) -> Lagesbild:
    """The trygghet survey's layers (step 5 of a build).

    From the respondents (:func:`lagesbild_geo.survey.read_survey`): indicators per
    district (every district of ``lb.districts``) and per H3 cell when respondents have
    positions (:func:`lagesbild_geo.survey.survey_indicators`, small numbers
    suppressed); with a district table, its ``trygg_*`` columns and the perceived vs
    reported comparison (:func:`lagesbild_geo.survey.perceived_vs_reported`). From the
    map pins (:func:`lagesbild_geo.survey.read_pins`): pins per cell and reason.

    Parameters
    ----------
    lb
        A lägesbild (after :func:`join_districts` for the district comparison).
    survey
        Respondent-level survey: a file or a frame as ``read_survey`` takes it.
    survey_options
        ``sheet`` and ``columns`` passed to ``read_survey`` (``[survey]`` of the config).
    pins
        Map survey pins: a file or a GeoDataFrame as ``read_pins`` takes it.
    progress
        Called as ``progress("survey", 0.0)`` and ``progress("survey", 1.0)``.

    Returns
    -------
    Lagesbild
        With ``survey`` layers ``"districts"``, ``"cells"``, ``"perceived_vs_reported"``
        and ``"pins"`` (those the inputs allow).

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)
    >>> sorted(lb.survey)
    ['districts', 'perceived_vs_reported', 'pins']
    >>> pins = survey_layers(lb, pins="sample_data/survey_pins.geojson").survey["pins"]
    >>> pins.equals(lb.survey["pins"])
    True
    """
    _report(progress, "survey", 0.0)
    layers = dict(lb.survey)
    summary, districts = lb.district_summary, lb.districts
    meta = lb.metadata
    if survey is not None:
        responses = read_survey(survey, **dict(survey_options or {}))
        if len(lb.districts):
            layers["districts"] = survey_indicators(responses, settings=lb.settings, districts=lb.districts)
            if len(summary) and not any(c.startswith("trygg_") for c in summary.columns):
                summary, districts = _with_survey_columns(summary, districts, layers["districts"])
        found = _survey_notes(responses, layers.get("districts"), lb.settings.min_respondents)
        if found:
            meta = _with_notes(meta, found)
        if "lat" in responses.columns and "lon" in responses.columns:
            layers["cells"] = survey_indicators(responses, by="cell", settings=lb.settings)
        if "districts" in layers and len(summary):
            rep = summary.loc[summary["row_type"] == "district", ["total", "population"]].rename(
                columns={"total": "count"})
            layers["perceived_vs_reported"] = perceived_vs_reported(
                pd.DataFrame(layers["districts"]).drop(columns="geometry", errors="ignore"), rep)
    if pins is not None:
        layers["pins"] = pins_to_cells(read_pins(pins), settings=lb.settings)
    _report(progress, "survey", 1.0)
    return lb.replace(survey=layers, district_summary=summary, districts=districts, metadata=meta)


def _survey_notes(responses: pd.DataFrame, indicators: pd.DataFrame | None, min_n: int = 5
                  ) -> list[tuple[str, str]]:
    """Notes (English, Swedish) on what the survey's reading could not use or had to match.

    The Swedish ones are published (``notes_sv`` in lagesbild.json, beside the app's map, in
    the report): they give no number of respondents, which could give a district's hidden
    count back (two respondents in the one area that is no district). The English ones, for
    the analyst's console, keep the counts; they are not published."""
    rep = responses.attrs.get("survey_report") or {}
    n = len(responses)
    notes: list[tuple[str, str]] = []
    att = indicators.attrs if indicators is not None else {}
    how = att.get("district_matches") or {}
    if how:
        words = {"leading_zero": ("a code without its leading zero", "kod utan inledande nolla"),
                 "case": ("a code in other case", "kod med andra versaler"),
                 "name": ("the district's name", "distriktets namn")}
        notes.append((
            "Survey: respondents' areas matched to districts by "
            + ", ".join(f"{words[k][0]} ({v})" for k, v in how.items()) + ".",
            "Enkäten: svarandes område kopplat till distrikt via "
            + ", ".join(words[k][1] for k in how) + "."))
    unknown = list(att.get("unknown_districts") or [])
    if unknown:
        k = int(att.get("unknown_respondents", 0))
        shown = ", ".join(repr(u) for u in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        notes.append((
            f"Survey: {k} of {n} respondent(s) name an area that is no district ({shown}); they are "
            "counted in rows of their own, not in any district. Give the areas as district codes or "
            "names of the district layer.",
            "Enkäten: svarande som anger ett område som inte är något distrikt räknas inte in i "
            "något distrikt."))
    if rep.get("unknown_answers"):
        # Only labels that min_n respondents gave are named: an answer option recurs, while
        # free text in the answer column (a name, a phone number) is one respondent's.
        given = responses["safety_answer"].astype("string")
        counts = given[given.isin(rep["unknown_answers"])].value_counts()
        named = [str(a) for a, c in counts.items() if c >= min_n][:5]
        k = int(counts.sum())
        notes.append((
            f"Survey: {k} of {n} answer(s) not recognised (counted as no valid answer)"
            + (": " + ", ".join(repr(a) for a in named) if named else "")
            + (f"; labels given by fewer than {min_n} respondents are not named (they may be free text)"
               if len(named) < len(counts) else "") + ".",
            "Enkäten: svar som inte kändes igen räknas som ogiltiga."))
    if rep.get("empty_weight_column"):
        notes.append((f"Survey: the weight column {rep['empty_weight_column']!r} is empty; the answers are "
                      "not weighted.", "Enkäten: viktkolumnen är tom; svaren viktas inte."))
    bad_s = int(rep.get("invalid_worry_scores", 0) or 0)
    if bad_s:
        col = (rep.get("columns") or {}).get("worry", "worry")
        notes.append((
            f"Survey: {bad_s} of {n} worry score(s) in {col!r} are no score from 1 to 5 (counted as no answer).",
            "Enkäten: oroskattningar som inte är ett tal från 1 till 5 räknas som inget svar."))
    bad_w = int(rep.get("invalid_weights", 0) or 0)
    if bad_w:
        notes.append((
            f"Survey: {bad_w} of {n} respondent(s) have no valid weight (blank, zero or negative) and are "
            "left out of the weighted shares and means (and of the answers they rest on).",
            "Enkäten: svarande utan giltig vikt ingår inte i de viktade andelarna."))
    return notes


def _with_survey_columns(summary: pd.DataFrame, districts: gpd.GeoDataFrame, indicators: pd.DataFrame
                         ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The district table and polygons with the survey's ``trygg_*`` columns (as ``summarize`` adds them)."""
    out = summary.join(survey_columns(pd.DataFrame(indicators).drop(columns="geometry", errors="ignore")),
                       how="left")
    out.attrs = dict(summary.attrs)
    trygg = [c for c in out.columns if c.startswith("trygg_")]
    joined = districts.join(out.loc[out["row_type"] == "district", trygg])
    joined.attrs = dict(districts.attrs)
    return out, joined


# ----------------------------------------------------------------------------------------
# Step 6: describe
# ----------------------------------------------------------------------------------------


def describe(lb: Lagesbild, *, config: PipelineConfig | None = None) -> Lagesbild:
    """The lägesbild's metadata (the last step of a build).

    Kommun, notes (English and Swedish), period and previous period, sources with file
    hashes, the other inputs' hashes, settings, analysis parameters, counts (placed,
    in the period, pending, rejected, excluded by category, not on the grid, per
    level), categories, placement, the district report, the library version and the
    creation time, in that order (plain JSON).

    Parameters
    ----------
    lb
        A built lägesbild.
    config
        The configuration it was built from: its other inputs are hashed and its
        ``created_at`` (default: now) is used. Without it, what ``lb.metadata`` has
        is kept.

    Returns
    -------
    Lagesbild

    Examples
    --------
    >>> from lagesbild_geo.config import example_config
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)
    >>> cfg = example_config("sample_data", created_at="2026-01-01T00:00:00+00:00")
    >>> m = describe(lb, config=cfg).metadata
    >>> m["created_at"], m["counts"]["placed"] == len(lb.incidents), list(m)[:3]
    ('2026-01-01T00:00:00+00:00', True, ['kommun', 'notes', 'notes_sv'])
    """
    old = dict(lb.metadata or {})
    in_per = _in_period(lb)
    params = dict(old.get("parameters", {}))
    counts = dict(old.get("counts", {}))
    inputs = _input_hashes(config) if config is not None else dict(old.get("inputs", {}))
    created = (config.created_at if config is not None else None) or old.get("created_at") or \
        _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    metadata: dict[str, Any] = {
        "kommun": old.get("kommun", {"name": None, "code": None}),
        "notes": list(old.get("notes", [])),
        "notes_sv": list(old.get("notes_sv", [])),
        "period": old.get("period"),
        "previous_period": old.get("previous_period"),
        "sources": old.get("sources", []),
        "inputs": inputs,
        "settings": lb.settings.to_dict(),
        "parameters": {"clusters": params.get("clusters"), "emerging": params.get("emerging"),
                       "fill": params.get("fill", f"rings={lb.settings.rings}")},
        "counts": {
            "placed": len(lb.incidents),
            "placed_in_period": int(in_per.sum()),
            "pending": len(lb.pending),
            "rejected": len(lb.rejected),
            "excluded": dict(counts.get("excluded", {})),
            **{k: counts[k] for k in ("other_kommun", "lan_level") if k in counts},
            "not_on_grid": dict(lb.table("cells").attrs.get("not_on_grid", {})),
            # the period's rows per level: district (placed in one), stadsdel, kommun (known
            # only in the kommun), outside (points outside every district)
            "levels": _levels(lb.district_summary, lb.incidents, in_per),
        },
        "categories": old.get("categories", {"included": None, "excluded": []}),
        "placement": old.get("placement", {}),
        "districts": old.get("districts", {}),
        "library": {"name": "lagesbild_geo", "version": __version__},
        "created_at": created,
    }
    extra = {k: v for k, v in old.items() if k not in metadata}
    return lb.replace(metadata={**metadata, **extra})


def _input_hashes(cfg: PipelineConfig) -> dict[str, Any]:
    """File name and SHA-256 of every input besides the incident sources."""
    out: dict[str, Any] = {}
    for k in ("districts", "gazetteer", "survey", "pins", "boundary", "population", "population_key"):
        v = getattr(cfg, k)
        if v:
            out[k] = {"path": Path(v).name, "sha256": file_sha256(v)}
    if cfg.places:
        out["places"] = [{"path": Path(v).name, "sha256": file_sha256(v)} for v in cfg.places]
    if cfg.district_options.get("population_table"):
        pt = cfg.district_options["population_table"]
        out["population_table"] = {"path": Path(pt).name, "sha256": file_sha256(pt)}
    return out


# ----------------------------------------------------------------------------------------
# A narrower picture: filter_incidents, rebuild
# ----------------------------------------------------------------------------------------


def filter_incidents(incidents: pd.DataFrame, *, categories: Sequence[str] | None = None,
                     start: Any = None, end: Any = None, hours: tuple[int, int] | None = None,
                     weekdays: Sequence[int] | None = None,
                     districts: Sequence[str] | None = None) -> npt.NDArray[np.bool_]:
    """Which incidents a narrower picture keeps: a boolean mask for :func:`rebuild`.

    Every option left ``None`` (or empty) keeps every row; the options combine with "and".

    Parameters
    ----------
    incidents
        The incident table (``lb.incidents``).
    categories
        Category ids kept (e.g. ``["vald", "ran"]``).
    start, end
        First and last day kept, both whole days and inclusive on the local clock
        (Europe/Stockholm); either may be left open.
    hours
        ``(from, to)``: the hours of the day kept, ``from`` inclusive and ``to``
        exclusive (``(8, 17)`` is 08:00–16:59); ``from > to`` wraps past midnight
        (``(22, 6)``); ``(0, 24)`` keeps every hour.
    weekdays
        Days of the week kept, 0 = Monday … 6 = Sunday.
    districts
        District codes kept (the incidents' ``district_code``).

    Returns
    -------
    numpy.ndarray
        Boolean, one value per row of ``incidents``. Rows without a time are dropped by
        any time option; rows without a category or district by those options.

    Examples
    --------
    >>> inc = pd.DataFrame({"category": ["vald", "ran", "vald"],
    ...     "occurred_at": pd.to_datetime(["2025-03-03 23:10", "2025-03-04 09:00",
    ...                                    "2025-03-08 12:00"]).tz_localize("Europe/Stockholm")})
    >>> filter_incidents(inc, categories=["vald"], hours=(22, 6)).tolist()
    [True, False, False]
    >>> filter_incidents(inc, end="2025-03-04", weekdays=[1]).tolist()
    [False, True, False]
    """
    keep = np.ones(len(incidents), dtype=bool)
    t = incidents.get("occurred_at")
    if categories:
        keep &= _column(incidents, "category").isin(list(categories)).to_numpy(dtype=bool, na_value=False)
    if districts:
        codes = _column(incidents, "district_code").astype("string")
        keep &= codes.isin([str(d) for d in districts]).to_numpy(dtype=bool, na_value=False)
    time_options = (start is not None or end is not None or (hours is not None and tuple(hours) != (0, 24))
                    or bool(weekdays))
    if not time_options:
        return keep
    if t is None:
        raise InputError("filter_incidents: the incidents have no 'occurred_at' column to filter by time; "
                         "read them with lagesbild_geo.read.read_incidents.")
    keep &= between_days(t, start, end)
    if hours is not None and tuple(hours) != (0, 24):
        lo, hi = hours
        h = t.dt.hour.to_numpy(dtype="float64", na_value=np.nan)
        # a date without a time of day (or a month) has no hour: in no part of the day
        keep &= ((h >= lo) & (h < hi) if lo <= hi else (h >= lo) | (h < hi)) & hour_known(incidents)
    if weekdays:
        keep &= t.dt.day_of_week.isin(list(weekdays)).to_numpy(dtype=bool, na_value=False) & weekday_known(incidents)
    return keep


def _column(incidents: pd.DataFrame, name: str) -> pd.Series:
    if name not in incidents.columns:
        raise InputError(f"filter_incidents: the incidents have no {name!r} column to filter by; "
                         "use the incidents of a built lägesbild (lb.incidents).")
    return incidents[name]


def rebuild(lb: Lagesbild, mask: npt.ArrayLike, *, resolution: int | None = None,
            settings: Settings | None = None, period: Any = None, fill: bool | Any = True,
            cells: bool = True) -> Lagesbild:
    """The lägesbild of a subset of its incidents: what the app's map page shows for a filter.

    Keeps the rows ``mask`` selects and runs :func:`aggregate`, :func:`analyse` (Gi* and
    density clusters; emerging hotspots stay those of every incident, as a trend needs
    the whole time line, and are dropped at another resolution), :func:`join_districts`
    (the district table of the subset; the incidents keep their districts) and
    :func:`describe` on it. Reading, placing and the survey are not repeated.

    Parameters
    ----------
    lb
        A built lägesbild.
    mask
        Boolean, one value per row of ``lb.incidents`` (:func:`filter_incidents`).
    resolution
        Another H3 resolution for the cells (default: the build's).
    settings
        Other settings (default: the build's; ``resolution`` wins over theirs).
    period
        Another analysis period: anything :func:`lagesbild_geo.period.parse_period`
        takes, or ``(first day, last day)`` with ``None`` for the first or last day of
        the data. The cells count its incidents; the district table counts it and
        compares it with the period just before it. Default: the build's period and
        comparison.
    fill
        Which zero cells the grid keeps (see :func:`aggregate`): ``True`` (default) the
        cells within ``rings`` of the subset's cells, as the app's filtered map; ``None``
        as the build (over ``lb.boundary`` when it has one).
    cells
        ``False``: no cells, hotspots, clusters or emerging hotspots, only the district
        table and the metadata (what a panel of counts needs; much quicker).

    Returns
    -------
    Lagesbild
        ``incidents`` are the kept rows of every date; ``metadata["period"]`` is the
        period counted.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> lb = example_lagesbild(clusters=False, emerging=False)  # build_lagesbild(example_config())
    >>> vald = rebuild(lb, filter_incidents(lb.incidents, categories=["vald"]))
    >>> int(vald.cells["count"].sum()) == int(lb.cells["count_vald"].sum())
    True
    """
    keep = np.asarray(mask, dtype=bool)
    if keep.shape != (len(lb.incidents),):
        raise InputError(f"rebuild: the mask has {keep.size} values for {len(lb.incidents)} incidents; "
                         "make it with filter_incidents(lb.incidents, ...).")
    s = settings if settings is not None else lb.settings
    if resolution is not None:
        s = s.replace(resolution=resolution)
    inc = lb.incidents.loc[keep] if not keep.all() else lb.incidents
    meta = dict(lb.metadata or {})
    if period is not None:
        per = days_period(lb.incidents["occurred_at"], *period) if _open_pair(period) else parse_period(period)
        meta["period"], meta["previous_period"] = per.to_dict(), per.previous().to_dict()
    out = lb.replace(incidents=inc, settings=s, metadata=meta)
    if not cells:
        empty = {k: lb.table(k).iloc[0:0] for k in ("cells", "hotspots", "clusters", "emerging")}
        for frame in empty.values():
            frame.attrs = {}  # nothing of the whole picture's grid (e.g. its rows not on the grid)
        return describe(join_districts(out.replace(**empty)))
    out = aggregate(out, fill=fill)
    options = (lb.metadata or {}).get("parameters", {}).get("clusters", _DEFAULT_CLUSTERS)
    out = analyse(out, clusters=options is not None, **_cluster_kwargs(options), emerging=False)
    if s.resolution != lb.settings.resolution:
        out = out.replace(emerging=lb.emerging.iloc[0:0])  # a trend per cell exists at the build's resolution only
    return describe(join_districts(out))


_DEFAULT_CLUSTERS = {"method": "dbscan", "eps_m": 150.0, "min_samples": 15}


def _cluster_kwargs(options: Mapping[str, Any] | None) -> dict[str, Any]:
    o = {**_DEFAULT_CLUSTERS, **(options or {})}
    return {"cluster_method": o["method"], "cluster_eps_m": o["eps_m"], "cluster_min_samples": o["min_samples"]}


def _open_pair(period: Any) -> bool:
    """A ``(first day, last day)`` pair with an open side."""
    return isinstance(period, tuple | list) and len(period) == 2 and (period[0] is None or period[1] is None)


def _resolve_kommun(name: str | None, code: str | None) -> tuple[str | None, str | None]:
    """The kommun's name and code from either (SCB's table); a name the table does not know
    (a fictional kommun) is kept as it is, unless it is a kommun's name with å, ä or ö
    written otherwise ("Goteborg"): that is refused with the kommun as a suggestion, never
    taken for it (å, ä and ö are letters)."""
    by_code: Kommun | None = None
    if code:
        try:
            by_code = find_kommun(code)
        except InputError:  # a fictional kommun (Exempelkommun's 9999): kept as given
            by_code = None
    by_name: Kommun | None = None
    if name:
        try:
            by_name = find_kommun(name)
        except InputError:
            by_name = None
            similar = _kommuner_like(name)
            if similar:
                raise InputError(
                    f"Kommun {name!r} is not a Swedish kommun (å, ä and ö are letters: no kommun is "
                    f"written so). Did you mean {_listed(similar)}? Give the name as SCB writes it or "
                    f"the code (--kommun {similar[0].code}, or [kommun] code = \"{similar[0].code}\" in "
                    "lagesbild.toml). A district's or stadsdel's name is not a kommun: give the "
                    "kommun it lies in.") from None
    if by_code is not None and by_name is not None and by_code.code != by_name.code:
        raise InputError(f"The kommun is named {name!r} ({by_name.code}) and coded {code!r} "
                         f"({by_code.name}): they are different kommuner. Give one of them, or both "
                         "of the same kommun.")
    known = by_code or by_name
    return (name or (known.name if known else None)), (known.code if known else code)


def _kommuner_like(name: str) -> list[Kommun]:
    """The kommuner whose name equals ``name`` when å, ä and ö are folded (and a "kommun" or
    "stad" suffix left out): suggestions for a message, never a match."""
    wanted = {loose_key(k) for k in kommun_keys(name)} - {""}
    return [k for k in _all_kommuner() if loose_key(k.name) in wanted]


def _all_kommuner() -> list[Kommun]:
    return [Kommun(*row) for row in kommuner().itertuples(index=False, name=None)]


def _listed(found: Sequence[Kommun]) -> str:
    """``Göteborg (1480)``, ``Habo (0643) or Håbo (0305)``."""
    shown = [f"{k.name} ({k.code})" for k in found[:5]]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _check_kommun_known(cfg: PipelineConfig, districts: gpd.GeoDataFrame) -> None:
    """A kommun named by a name or a code SCB's table does not know is refused unless the
    inputs know it: a fictional kommun (the sample's Exempelkommun, 9999) is named by both
    name and code, or has its boundary, or a district layer of its own code(s)."""
    name, code = cfg.kommun_name, cfg.kommun_code
    name_known = not name or _known_name(name)
    code_known = not code or _known_code(code)
    if name_known and code_known:
        return
    if cfg.boundary or (name and code):  # the boundary names it, or name and code declare it
        return
    layer = district_kommun_codes(districts) if cfg.districts else set()
    fictional = bool(layer) and not any(_known_code(c) for c in layer)
    if not name_known and fictional:
        return  # a kommun outside the table with districts of its own (fictional) code
    if not code_known and code and str(code).strip().zfill(4) in layer:
        return
    how = ("A kommun outside SCB's table (a fictional one, like the sample's Exempelkommun 9999) "
           "needs both its name and its code (--kommun NAME --kommun-code CODE; [kommun] name and "
           "code in lagesbild.toml), its boundary (--boundary) or a district layer of its code.")
    if name and not name_known:
        start = name_key(name)[:4]
        similar = [k for k in _all_kommuner() if start and name_key(k.name).startswith(start)]
        hint = f" Did you mean {_listed(similar)}?" if similar else ""
        raise InputError(f"Kommun {name!r} is not a Swedish kommun: it is not one of SCB's 290 kommuner "
                         f"(by name, with å, ä and ö as written, or by its 4-digit code).{hint} {how}")
    raise InputError(f"Kommun code {code!r} is not a Swedish kommun: it is not one of SCB's 290 kommun "
                     f"codes (4 digits, e.g. 0180 Stockholm, 1480 Göteborg). {how}")


def _known_name(name: str) -> bool:
    try:
        find_kommun(name)
    except InputError:
        return False
    return True


def _known_code(code: str | None) -> bool:
    if not code:
        return False
    try:
        find_kommun(code)
    except InputError:
        return False
    return True


def _boundary_name(boundary: gpd.GeoDataFrame) -> str | None:
    """The kommun's name from the boundary's own name column, when it has one value."""
    for c in boundary.columns:
        if name_key(c) in _BOUNDARY_NAME_KEYS:
            vals = set(boundary[c].dropna().astype(str).str.strip()) - {""}
            if len(vals) == 1:
                return next(iter(vals))
    return None


def _kommun_of_districts(districts: gpd.GeoDataFrame, notes: list[str]) -> tuple[str | None, str | None]:
    """The kommun of a district layer of one kommun (its kommun codes or DeSO/RegSO codes)."""
    vals = district_kommun_codes(districts)
    if len(vals) != 1:
        return None, None
    try:
        k = find_kommun(next(iter(vals)))
    except InputError:
        return None, None
    notes.append(f"Kommun: {k.name} ({k.code}), from the district layer's codes.")
    return k.name, k.code


def _kommun_of_feed(incidents: pd.DataFrame, districts: gpd.GeoDataFrame, boundary: Any,
                    notes: list[str]) -> tuple[str | None, str | None]:
    """The kommun whose feed rows (kommun centres) lie inside the districts or boundary,
    when exactly one does; else nothing is guessed."""
    area: Any = boundary if boundary is not None else (districts if len(districts) else None)
    if area is None:
        return None, None
    rows = incidents.loc[incidents["precision"] == "kommun", ["location_text", "lon", "lat"]].dropna()
    if not len(rows):
        return None, None
    first = rows.drop_duplicates("location_text")
    geom = shapely.union_all(np.asarray(area.to_crs(4326).geometry.array, dtype=object))
    inside = shapely.contains_xy(geom, first["lon"].to_numpy(), first["lat"].to_numpy())
    where = "lies in the " + ("districts" if boundary is None else "boundary")
    if not inside.any():
        # a coastal town's centre may lie in the sea, outside a land polygon (Varberg's, in
        # its harbour, is about 450 m outside SCB's): the one kommun centre near it
        metres = shapely.union_all(np.asarray(area.to_crs(3006).geometry.array, dtype=object))
        e, n = to_sweref(first["lon"].to_numpy(dtype=float), first["lat"].to_numpy(dtype=float))
        inside = shapely.distance(metres, shapely.points(e, n)) <= _NEAR_CENTRE_M
        where = where.replace("lies in", f"lies within {_NEAR_CENTRE_M / 1000:g} km of")
    names = first.loc[inside, "location_text"].astype(str).tolist()
    if len(names) != 1:
        return None, None
    name, code = _resolve_kommun(names[0], None)
    notes.append(f"Kommun: {name}, the only kommun of the police feed whose centre {where} "
                 "(name it with --kommun to be sure).")
    return name, code


#: How far outside a boundary or district layer a kommun's centre in the police feed may lie
#: and still name the kommun, when no centre lies inside.
_NEAR_CENTRE_M = 5_000.0


def _move_to_rejected(incidents: pd.DataFrame, where: np.ndarray, rejected: list[pd.DataFrame],
                      reports: dict[str, dict[str, Any]], sources_meta: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of another kommun (``where == 1``) and at län level (``2``) → rejected, with
    "other kommun" / "lan level"; per-source counts are updated so that placed + pending
    + rejected still equals the rows read."""
    move = where > 0
    if not move.any():
        return incidents
    moved = incidents.loc[move]
    reasons = np.where(where[move] == 2, "lan level", "other kommun")
    extra = [c for c in moved.columns if c not in INCIDENT_COLUMNS and c not in (
        "published_at", "time_source", "kommun_code", "lan_code")]
    raw = moved[extra] if extra else moved[["location_text", "category_raw"]]
    rejected.append(make_rejected(raw, reasons, source=moved["source"].astype(str).tolist(),
                                  source_row=moved["source_row"].to_numpy()))
    _count_rejected(moved["source"], reasons, reports, sources_meta)
    out = incidents.loc[~move]
    out.attrs = dict(incidents.attrs)
    return out


def _count_rejected(sources: pd.Series, reasons: Any, reports: dict[str, dict[str, Any]],
                    sources_meta: list[dict[str, Any]]) -> None:
    """Placed rows of ``sources`` moved to rejected with ``reasons`` (one or one per row): each
    source's report and metadata counts updated so that placed + pending + rejected still
    equals the rows read."""
    counts = pd.DataFrame({"s": sources.astype(str).to_numpy(),
                           "r": np.broadcast_to(np.asarray(reasons, dtype=object), len(sources))}).value_counts()
    for key, k in counts.items():
        name, reason = str(key[0]), str(key[1])  # type: ignore[index]
        rep = reports.get(name)
        if rep is not None:
            rep["placed"] = int(rep.get("placed", 0)) - int(k)
            rep["rejected"] = int(rep.get("rejected", 0)) + int(k)
            by = dict(rep.get("rejected_by_reason") or {})
            by[reason] = int(by.get(reason, 0)) + int(k)
            rep["rejected_by_reason"] = by
        for meta in sources_meta:
            if meta["name"] == name:
                meta["placed"] -= int(k)
                meta["rejected"] += int(k)


def _level_notes(where: np.ndarray, kommun: str, st: _Placing) -> None:
    """The police feed's rows of other kommuner and at län level: counted in
    ``st.left_out`` (published through the publishing step) and an English note."""
    other, lan, mine = int((where == 1).sum()), int((where == 2).sum()), int((where == 0).sum())
    if other or lan:
        st.left_out.update(other_kommun=other, lan_level=lan)
        st.notes.append(f"Police feed: {mine} row(s) of {kommun} kept; {other} row(s) of other kommuner "
                        f"and {lan} row(s) at län level (a län is not the kommun, even when its centre "
                        "lies inside it) were left out (rejected as 'other kommun' / 'lan level').")


def _exclude_categories(incidents: pd.DataFrame, pending: pd.DataFrame, cfg: PipelineConfig,
                        excluded: dict[str, int], sources_meta: list[dict[str, Any]]
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave out the rows of excluded categories (counted per category and source)."""
    out = []
    for frame in (incidents, pending):
        if not len(frame) or "category" not in frame.columns:
            out.append(frame)
            continue
        cat = frame["category"].astype("string")
        drop = np.zeros(len(frame), dtype=bool)
        if cfg.categories is not None:  # a missing category is not one of them
            drop |= ~text_isin(cat, list(cfg.categories))
        if cfg.exclude_categories:
            drop |= text_isin(cat, list(cfg.exclude_categories))
        if drop.any():
            for k, v in cat[drop].value_counts().items():
                excluded[str(k)] = excluded.get(str(k), 0) + int(v)
            per_source = frame.loc[drop, "source"].astype(str).value_counts()
            for meta in sources_meta:
                k = int(per_source.get(meta["name"], 0))
                if k:
                    meta["excluded"] = int(meta.get("excluded", 0)) + k
                    meta["placed" if frame is incidents else "pending"] -= k
            kept = frame.loc[~drop]
            kept.attrs = dict(frame.attrs)
            frame = kept
        out.append(frame)
    return out[0], out[1]


def _gazetteer_points(gazetteer: Any) -> pd.DataFrame | None:
    """Named points of an address register for place_events: its streets (every address
    point) and its places."""
    if gazetteer is None:
        return None
    a = gazetteer.addresses
    p = gazetteer.places
    parts = [pd.DataFrame({"name": a["street"], "lat": a["lat"], "lon": a["lon"]}),
             pd.DataFrame({"name": p["name"], "lat": p["lat"], "lon": p["lon"]})]
    return pd.concat(parts, ignore_index=True).dropna()


def _levels(summary: pd.DataFrame, incidents: pd.DataFrame, in_period: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = dict(summary.attrs.get("levels", {})) if len(summary) else {}
    if len(incidents) and "precision" in incidents.columns:
        out["by_precision"] = _text_counts(incidents["precision"], in_period)
    return out


def _text_counts(values: pd.Series, mask: np.ndarray) -> dict[str, int]:
    """``values[mask].astype(str).value_counts()`` as a dict (most first, ties in the order
    they first occur), from the column's codes (no text per row)."""
    counts = text_value_counts(values, mask)
    if counts is None:  # missing values: counted under the name pandas gives them
        vc = values[mask].astype(str).value_counts()
        return {str(k): int(v) for k, v in vc.items()}
    return counts


def _geocoded_outside_note(incidents: pd.DataFrame) -> list[str]:
    """Without a boundary, geocoded rows outside every district stay the kommun's ("outside
    every district"): a national list of localities places 'Kiruna' in Kiruna. Say which."""
    if not len(incidents) or "geocode_match" not in incidents.columns or "district_method" not in incidents.columns:
        return []
    far = (incidents["geocode_match"].notna().to_numpy(dtype=bool)
           & (incidents["district_method"] == "outside").to_numpy(dtype=bool, na_value=False))
    if not far.any():
        return []
    top = incidents.loc[far, "location_text"].astype("string").value_counts().head(3)
    return [f"{int(far.sum())} geocoded row(s) lie outside every district ({', '.join(f'{k} {v}' for k, v in top.items())}) "
            "and are counted for the kommun as 'outside every district'. If the gazetteer placed them in "
            "another kommun (a national list of localities), give the kommun boundary (--boundary FILE) "
            "to reject those outside it."]


def _reject_areas_elsewhere(incidents: pd.DataFrame, rejected: list[pd.DataFrame],
                            reports: dict[str, dict[str, Any]], sources_meta: list[dict[str, Any]],
                            notes: list[str]) -> pd.DataFrame:
    """Area rows (police feed: kommun/län centres) outside every district → rejected.

    A nationwide feed names every kommun; without a boundary, the rows whose area is
    neither a district nor the kommun would otherwise be counted as the kommun's own
    ("outside all districts"). They are rejected as "outside boundary" (counts per
    source are updated so that placed + pending + rejected still equals rows read).
    """
    if not len(incidents) or "district_method" not in incidents.columns:
        return incidents
    # compared as they are (district_method is categorical): no text copy of a million rows
    far = ((incidents["precision"] == "area").to_numpy(dtype=bool, na_value=False)
           & (incidents["district_method"] == "outside").to_numpy(dtype=bool, na_value=False))
    if not far.any():
        return incidents
    moved = incidents.loc[far]
    extra = [c for c in moved.columns if c not in INCIDENT_COLUMNS
             and c not in ("district_code", "district_method")]
    raw = moved[extra] if extra else moved[["location_text", "category_raw"]]
    rej = make_rejected(raw, "outside boundary", source=moved["source"].astype(str).tolist(),
                        source_row=moved["source_row"].to_numpy())
    rejected.append(rej)
    _count_rejected(moved["source"], "outside boundary", reports, sources_meta)
    places = moved["location_text"].astype("string").value_counts().head(3)
    notes.append(
        f"{int(far.sum())} area row(s) (e.g. the police feed's kommun/län centres: "
        f"{', '.join(f'{n} {v}' for n, v in places.items())}) lie outside every district and do not "
        "name the kommun: rejected as 'outside boundary' (another kommun's or län's).")
    out = incidents.loc[~far]
    out.attrs = dict(incidents.attrs)
    return out


def read_boundary(path: str | Path, *, kommun_name: str | None = None,
                  kommun_code: str | None = None) -> gpd.GeoDataFrame:
    """The kommun boundary as a build reads it (``boundary`` in the configuration): its CRS
    checked (or recognised from the values), invalid polygons repaired, and from a file of
    many kommuner (SCB's kommun layer) the one named by name or code; a file of many
    kommuner without a name or code is returned whole. What was noted on the way is in
    ``attrs["notes"]``.

    Examples
    --------
    >>> b = read_boundary("sample_data/kommun.geojson")
    >>> len(b), b.attrs["notes"]
    (1, [])
    """
    notes: list[str] = []
    g = _read_boundary(path, kommun_name, kommun_code, notes)
    g.attrs["notes"] = notes
    return g


def _read_boundary(path: str | Path, kommun_name: str | None, kommun_code: str | None,
                   notes: list[str], limits: Limits | None = None) -> gpd.GeoDataFrame:
    """The kommun boundary; from a layer of many kommuner, the one named by name or code.
    Invalid polygons are repaired (with a warning and a note naming them)."""
    g = _boundary_features(path, kommun_name, kommun_code, notes, limits)
    return _repaired_boundary(g, Path(path).name, notes)


_BOUNDARY_NAME_KEYS = ("knnamn", "kommun", "kommunnamn", "kommunname", "namn", "name")
# GEOS's "Self-intersection[17.1 59.3]" in words: "Self-intersection at 17.1, 59.3"
_GEOS_AT = re.compile(r"\[(\S+) (\S+)\]$")


def _repaired_boundary(g: gpd.GeoDataFrame, label: str, notes: list[str]) -> gpd.GeoDataFrame:
    """The boundary with its invalid polygons (a ring that crosses itself, a bow-tie) repaired
    as the district layer's are: ``shapely.make_valid``, its polygonal parts kept. Unrepaired,
    GEOS fails on the boundary's union or the point-in-boundary test goes wrong."""
    raw = np.asarray(g.geometry.values, dtype=object)
    geoms, invalid = repair_polygons(raw)
    if not invalid.any():
        return g
    reasons = shapely.is_valid_reason(raw[invalid])
    named_by = next((c for c in g.columns if c != g.geometry.name and name_key(c) in _BOUNDARY_NAME_KEYS),
                    None)
    which = []
    for pos, reason in zip(np.flatnonzero(invalid), reasons, strict=True):
        value = g[named_by].iloc[pos] if named_by is not None else None
        feature = f"feature {pos + 1}" + (f" ({named_by} = {value})" if pd.notna(value) else "")
        which.append(f"{feature}: " + _GEOS_AT.sub(r" at \1, \2", str(reason)))
    if shapely.is_empty(geoms[~shapely.is_missing(geoms)]).all():
        raise InputError(f"Boundary file {label}: its polygon is invalid ({'; '.join(which)}) and "
                         "nothing of it is left after repair; give the kommun's boundary polygon.")
    msg = (f"Boundary file {label}: {int(invalid.sum())} invalid polygon(s) repaired ({'; '.join(which[:5])}"
           f"{' …' if len(which) > 5 else ''}); the repaired boundary keeps the areas its rings enclose. "
           "Check the boundary (e.g. in QGIS) if incidents come out as 'outside boundary'.")
    notes.append(msg)
    warnings.warn(msg, UserWarning, stacklevel=4)
    out = g.copy()
    out[g.geometry.name] = gpd.GeoSeries(geoms, index=g.index, crs=g.crs)
    return out


def _boundary_features(path: str | Path, kommun_name: str | None, kommun_code: str | None,
                       notes: list[str], limits: Limits | None = None) -> gpd.GeoDataFrame:
    """The boundary's features: from a layer of many kommuner, the one named by name or code."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"Boundary file {p} does not exist; check the path.")
    check_shapefile_parts(p, "Boundary file")
    try:
        g = gpd.read_parquet(p) if p.suffix.lower() in (".parquet", ".geoparquet") else gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several error types
        raise InputError(
            f"Boundary file {p.name} cannot be read as a vector layer ({type(exc).__name__}: {exc}); "
            "expected the kommun polygon as GeoJSON, GeoPackage, Shapefile or GeoParquet.") from None
    if not isinstance(g, gpd.GeoDataFrame) or len(g) == 0 or g.geometry.isna().all():
        raise InputError(f"Boundary file {p.name} has no polygon features; expected the kommun polygon "
                         "as GeoJSON, GeoPackage, Shapefile or GeoParquet.")
    types = set(g.geometry.geom_type.dropna())
    if not types & {"Polygon", "MultiPolygon"}:
        raise InputError(f"Boundary file {p.name} has no polygons (geometry types: {sorted(types)}); "
                         "expected the kommun polygon.")
    if g.crs is None or degrees_declared_but_metres(g):
        # no CRS (a shapefile without .prj) or a GeoJSON in metres read as WGS84: from the values
        crs, _ = guess_layer_crs(np.asarray(g.geometry.values, dtype=object), f"(boundary) {p.name}")
        notes.append(f"Boundary: {p.name} has no usable CRS; {crs.to_string()} was recognised from "
                     "its coordinates (set the CRS on the file to be sure).")
        g = g.set_crs(crs, allow_override=True)
    else:  # a declared CRS that contradicts the values is refused (both named, with the fix)
        check_declared_crs(np.asarray(g.geometry.values, dtype=object), CRS.from_user_input(g.crs),
                            f"(boundary) {p.name}", given=False)
    check_layer_axes(np.asarray(g.geometry.values, dtype=object), CRS.from_user_input(g.crs), p.name,
                     what="Boundary file")
    check_vertices(np.asarray(g.geometry.values, dtype=object), name=f"Boundary file {p.name}",
                   limits=limits)
    if len(g) == 1:
        return g
    keys = kommun_keys(kommun_name)
    code = str(kommun_code).strip().zfill(4) if kommun_code else None
    for c in g.columns:
        if c == g.geometry.name or (g[c].dtype.kind not in "OUSi" and str(g[c].dtype) != "string"):
            continue
        vals = g[c].astype("string").str.strip()
        hit = pd.Series(False, index=g.index)
        if code:
            hit |= (vals.str.fullmatch(r"\d{1,4}") & (vals.str.zfill(4) == code)).fillna(False)
        if keys:
            hit |= vals.fillna("").map(name_key).isin(keys)
        if hit.any():
            notes.append(f"Boundary: {int(hit.sum())} of {len(g)} feature(s) of {p.name} where "
                         f"{c} = {', '.join(sorted(set(vals[hit].dropna())))}.")
            return g.loc[hit]
    if kommun_name or kommun_code:
        example: list[Any] = next((g[c].astype("string").head(3).tolist() for c in g.columns
                        if c != g.geometry.name and g[c].dtype.kind in "OU"), [])
        raise InputError(
            f"Boundary file {p.name} has {len(g)} features and none is the kommun "
            f"{kommun_name or ''}{' ' if kommun_name and code else ''}{code or ''} (by name or code "
            f"in any column; e.g. {example}). Check --kommun / --kommun-code, or give a file with "
            "only the kommun's polygon.")
    notes.append(f"Boundary: the union of all {len(g)} features of {p.name} (name the kommun with "
                 "--kommun or --kommun-code to use only its polygon).")
    return g


def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v
