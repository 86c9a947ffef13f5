"""The ``Lagesbild`` bundle and ``build_lagesbild``: one reproducible call for the whole picture.

``build_lagesbild(config)`` reads every source, places and indexes the incidents,
counts them on the H3 grid, finds hotspots (Gi*), optionally density clusters and
emerging hotspots, joins everything to districts and builds the survey layers.
The configuration is a frozen :class:`PipelineConfig`, loadable from a TOML file
(``lagesbild.toml``, see ``lagesbild init`` and ``docs/pipeline.md``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import __version__, polisen
from .bundle import Lagesbild
from .config import PipelineConfig, SourceConfig, load_config
from .errors import InputError
from .geocode import Gazetteer, place_pending
from .limits import Limits, check_vertices
from .names import Kommun, find_kommun, kommun_keys, name_key
from .read import make_rejected
from .schema import INCIDENT_COLUMNS, POINT_PRECISIONS

__all__ = ["Lagesbild", "PipelineConfig", "SourceConfig", "build_lagesbild", "load_config"]

#: A progress callback: ``progress(step_name, fraction_done)`` with fraction in [0, 1].
Progress = Callable[[str, float], None]


# ----------------------------------------------------------------------------------------
# Building
# ----------------------------------------------------------------------------------------


def _sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _empty_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0].iloc[0:0].copy()
    return pd.concat(non_empty, ignore_index=True, sort=False) if len(non_empty) > 1 else non_empty[0].reset_index(drop=True)


class _Steps:
    """Progress over weighted steps."""

    def __init__(self, progress: Progress | None, weights: dict[str, float]) -> None:
        self.progress = progress
        self.weights = weights
        self.total = sum(weights.values()) or 1.0
        self.done = 0.0

    def start(self, name: str) -> None:
        if self.progress is not None:
            self.progress(name, min(self.done / self.total, 1.0))

    def end(self, name: str) -> None:
        self.done += self.weights.get(name, 0.0)
        if self.progress is not None:
            self.progress(name, min(self.done / self.total, 1.0))


def build_lagesbild(config: PipelineConfig | str | Path, *, progress: Progress | None = None) -> Lagesbild:
    """Build the complete lägesbild from a configuration.

    Steps: read the districts; read and place every source (``read.read_incidents``,
    geocoding with the gazetteer, which also knows the district names) → count the period's incidents per H3 cell (``grid.count_cells``,
    filled with zeros over the boundary or within ``rings``) → Gi* hotspots
    (``hotspots.gistar``) → density clusters (optional) → emerging hotspots over
    every date (optional) → districts (``read_districts``, ``assign_districts``,
    ``summarize``) → survey layers (indicators per district and cell, pins,
    perceived vs reported) → metadata.

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
    >>> lb = build_lagesbild("lagesbild.toml")  # doctest: +SKIP
    >>> lb.district_summary.loc["_total", "total"]  # doctest: +SKIP
    """
    from . import grid, hotspots, read
    from .districts import (
        assign_districts,
        district_population,
        districts_in_kommun,
        parse_period,
        read_districts,
        summarize,
    )

    cfg = load_config(config) if isinstance(config, str | Path) else config
    if not isinstance(cfg, PipelineConfig):
        raise InputError(f"build_lagesbild: config must be a PipelineConfig or a TOML path, got {type(cfg).__name__}.")
    if not cfg.sources:
        raise InputError("build_lagesbild: no incident sources; add [[sources]] path = \"...\" to the config.")
    settings = cfg.settings
    steps = _Steps(progress, {"read": 40, "cells": 10, "hotspots": 10, "clusters": 10 if cfg.clusters else 0,
                              "emerging": 10 if cfg.emerging else 0, "districts": 15, "survey": 5})
    period = parse_period(cfg.period) if cfg.period else None
    prev = None
    if cfg.previous_period:
        if cfg.previous_period.strip().lower() in ("previous", "auto"):
            if period is None:
                raise InputError("previous_period = \"previous\" needs a period (e.g. period = \"2025\"); "
                                 "set one or give the previous period explicitly.")
            prev = period.previous()
        else:
            prev = parse_period(cfg.previous_period)

    # Read and place (districts first: the gazetteer also places district names).
    steps.start("read")
    notes: list[str] = []
    notes_sv: list[str] = []
    kommun_name, kommun_code = _resolve_kommun(cfg.kommun_name, cfg.kommun_code)
    districts = _empty_gdf()
    if cfg.districts:
        districts = read_districts(cfg.districts, **dict(cfg.district_options))
        if kommun_code is None and kommun_name is None:
            kommun_name, kommun_code = _kommun_of_districts(districts, notes)
        if kommun_code is not None:
            n_all = len(districts)
            districts = districts_in_kommun(districts, kommun_code)
            if len(districts) < n_all:
                notes.append(f"Districts: {len(districts)} of the layer's {n_all} districts are in kommun "
                             f"{kommun_code} ({kommun_name}); only these are used.")
        if cfg.population:
            pop = district_population(cfg.population, districts, key=cfg.population_key)
            districts = districts.assign(population=pop.to_numpy())
            rep_ = dict(districts.attrs.get("report", {}))
            rep_["population_source"] = "aggregated"
            rep_["population_aggregation"] = pop.attrs.get("report", {})
            rep_["population_missing"] = districts.index[districts["population"].isna()].tolist()
            districts.attrs["report"] = rep_
            notes.extend(pop.attrs.get("report", {}).get("warnings", []))
    gazetteer: Any = None
    if cfg.gazetteer:
        gazetteer = Gazetteer.from_file(cfg.gazetteer, settings=settings)
        if cfg.districts and hasattr(gazetteer, "with_districts"):
            gazetteer = gazetteer.with_districts(districts.reset_index())
    boundary: Any = None
    if cfg.boundary:
        boundary = _read_boundary(cfg.boundary, kommun_name, kommun_code, notes)
        if kommun_name is None:
            kommun_name = _boundary_name(boundary)
    placed, rejected, pending = [], [], []
    reports: dict[str, dict[str, Any]] = {}
    sources_meta = []
    for i, src in enumerate(cfg.sources):
        if not Path(src.path).exists():
            raise InputError(f"Incident file {src.path} does not exist; check the path in the config.")
        name = src.name or Path(src.path).name
        if name in reports:
            name = f"{name} ({i + 1})"
        res = read.read_incidents(
            src.path, columns=dict(src.columns) if src.columns else None, crs=src.crs,
            category_map=dict(src.category_map) if src.category_map else None, sheet=src.sheet,
            layer=src.layer, settings=settings, time_optional=src.time_optional,
            boundary=boundary, source_name=name,
        )
        if gazetteer is not None:
            res = place_pending(res, gazetteer, settings=settings)
        placed.append(res.placed)
        rejected.append(res.rejected)
        pending.append(res.pending)
        reports[name] = res.report
        sources_meta.append({"name": name, "path": Path(src.path).name, "sha256": _sha256(src.path),
                             "options": {k: v for k, v in dataclasses.asdict(src).items()
                                         if k not in ("path", "name") and v not in (None, False, {})},
                             "rows_read": res.report.get("rows_read"), "placed": len(res.placed),
                             "pending": len(res.pending), "rejected": len(res.rejected)})
    incidents = _concat(placed)
    pending_all = _concat(pending)

    # The police feed names a kommun or a län per row: keep the kommun's rows (by name,
    # never by the position of a kommun's or län's centre), then leave categories out.
    if len(incidents) and "precision" in incidents.columns and \
            incidents["precision"].isin(["kommun", "lan"]).any():
        if kommun_name is None and kommun_code is None:
            kommun_name, kommun_code = _kommun_of_feed(incidents, districts, boundary, notes)
        if kommun_name is not None or _known_code(kommun_code):
            where = polisen.kommun_rows(incidents, kommun_name=kommun_name, kommun_code=kommun_code)
            incidents = _move_to_rejected(incidents, where, rejected, reports, sources_meta)
            _level_notes(where, kommun_name or kommun_code or "", notes, notes_sv)
        else:
            n_k = incidents.loc[incidents["precision"] == "kommun", "location_text"].nunique()
            notes.append(f"The police feed names {n_k} kommun(er) and no kommun was named: every "
                         "kommun-level row is counted. Name the kommun (--kommun NAME or CODE, [kommun] "
                         "name/code) to keep only its rows.")
    excluded: dict[str, int] = {}
    incidents, pending_all = _exclude_categories(incidents, pending_all, cfg, excluded, sources_meta)
    if excluded:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(excluded.items()))
        notes.append(f"Left out by category (exclude_categories/categories): {shown}.")
        notes_sv.append(f"Utelämnade efter kategori: {shown} (ändra med --categories/--exclude-categories).")
    placement: dict[str, Any] = {}
    if len(incidents) and cfg.districts and "precision" in incidents.columns and \
            (incidents["precision"] == "kommun").any():
        place_layers = [polisen.read_places(p, kommun=kommun_name) for p in cfg.places]
        incidents = polisen.place_events(incidents, districts, kommun=kommun_name, places=place_layers,
                                         points=_gazetteer_points(gazetteer))
        placement = dict(incidents.attrs.get("placement", {}))
        notes.append(f"Police feed rows placed by the places their text names: {placement.get('district', 0)} "
                     f"in a district, {placement.get('stadsdel', 0)} only in a stadsdel, "
                     f"{placement.get('kommun', 0)} only at kommun level.")
    steps.end("read")

    # Cells and hotspots for the period.
    steps.start("cells")
    in_period = _period_mask(incidents, period)
    everything = bool(in_period.all())
    # count_cells reads only these columns: select them with the period's rows (one copy
    # of a few columns, not of the whole incident table)
    grid_cols = [c for c in ("cell", "lat", "lon", "precision", "category") if c in incidents.columns]
    on_grid = incidents[grid_cols] if everything else incidents.loc[in_period, grid_cols]
    fill: Any = boundary if boundary is not None else True
    cells = grid.count_cells(on_grid, resolution=settings.resolution, by="category", fill=fill,
                             rings=settings.rings)
    del on_grid
    steps.end("cells")
    steps.start("hotspots")
    if len(cells):
        hot = hotspots.gistar(cells, "count", rings=settings.rings, alpha=settings.alpha,
                              correction=settings.correction)
    else:
        hot = cells.copy()
    steps.end("hotspots")

    steps.start("clusters")
    clusters = _empty_gdf()
    if cfg.clusters and in_period.any():
        current = incidents if everything else incidents.loc[in_period]
        clusters = hotspots.clusters(current, method=cfg.cluster_method, eps_m=cfg.cluster_eps_m,
                                     min_samples=cfg.cluster_min_samples)
    steps.end("clusters")

    steps.start("emerging")
    emerging = _empty_gdf()
    n_exact = int(incidents["precision"].isin(POINT_PRECISIONS).sum()) if len(incidents) else 0
    if n_exact == 0 and len(incidents):
        notes.append("No incident has a point or address position (e.g. only the police events "
                     "feed, whose positions are kommun centres): cells, hotspots, clusters and "
                     "emerging hotspots are empty; the district table counts rows by name.")
        notes_sv.append("Ingen händelse har en punkt- eller adressposition (till exempel bara "
                        "polisens händelseflöde, vars positioner är kommunens mitt): hexagoner, "
                        "hotspots och kluster blir tomma; distriktstabellen räknar rader efter namn.")
    if cfg.emerging and n_exact:
        from .emerging import emerging as _emerging

        try:
            emerging = _emerging(incidents, period=cfg.emerging_period, resolution=settings.resolution,
                                 rings=settings.rings, time_step=cfg.emerging_time_step,
                                 alpha=settings.alpha, correction=settings.correction)
        except InputError as exc:  # too few time bins or cells for a trend: say so, go on
            notes.append(f"Emerging hotspots skipped: {exc}")
            notes_sv.append("Framväxande hotspots beräknades inte: för få tidsperioder eller hexagoner.")
    steps.end("emerging")

    # Survey (read before districts: the summary joins its district indicators).
    responses = None
    if cfg.survey:
        from .survey import read_survey

        responses = read_survey(cfg.survey)

    # Districts.
    steps.start("districts")
    summary = pd.DataFrame()
    district_report: dict[str, Any] = {}
    survey_layers: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    if cfg.districts:
        district_report = dict(districts.attrs.get("report", {}))
        with warnings.catch_warnings():  # a suggestion becomes a note of the build
            warnings.simplefilter("ignore", UserWarning)
            incidents = assign_districts(incidents, districts, kommun_name=kommun_name)
        district_report["assignment"] = dict(incidents.attrs.get("district_assignment", {}))
        suggestions = incidents.attrs.get("district_suggestions") or {}
        if suggestions:
            district_report["suggestions"] = dict(suggestions)
            notes.append("Place text(s) that match a district only when å, ä and ö are ignored were not "
                         "placed there (å, ä and ö are letters; Varberg is not Vårberg): "
                         + "; ".join(f"{t!r} (did you mean {', '.join(v)}?)"
                                     for t, v in list(suggestions.items())[:5])
                         + ". Correct the names in the source if they mean these districts.")
        n_ap = int(district_report["assignment"].get("area_point", 0) or 0)
        if n_ap and not kommun_name:
            top = incidents.loc[incidents["district_method"].astype("string") == "area_point",
                                "location_text"].astype("string").value_counts().head(3)
            notes.append(
                f"{n_ap} area row(s) were put in the district that holds their area's centre "
                f"({', '.join(f'{k} {v}' for k, v in top.items())}). If these name the whole kommun "
                "(the police feed gives kommun centres), name the kommun (--kommun NAME, [kommun] "
                "name) so that they count for the kommun, not for one district.")
        if boundary is None:
            n_before = len(incidents)
            incidents = _reject_areas_elsewhere(incidents, rejected, reports, sources_meta, notes)
            if len(incidents) != n_before:
                in_period = _period_mask(incidents, period)
        ind = None
        if responses is not None:
            from .survey import survey_indicators

            ind = survey_indicators(responses, settings=settings, districts=districts)
            survey_layers["districts"] = ind
        summary = summarize(incidents, districts, period=period, previous_period=prev,
                            survey=pd.DataFrame(ind).drop(columns="geometry", errors="ignore") if ind is not None else None,
                            hotspots=hot if len(hot) else None, kommun_name=kommun_name,
                            alpha=settings.alpha)
        rows = summary.loc[summary["row_type"] == "district"].drop(columns=["district_name", "population"])
        districts = districts.join(rows)
        districts.attrs = {"report": district_report}
    steps.end("districts")

    steps.start("survey")
    if responses is not None:
        from .survey import perceived_vs_reported, survey_indicators

        if "lat" in responses.columns and "lon" in responses.columns:
            survey_layers["cells"] = survey_indicators(responses, by="cell", settings=settings)
        if "districts" in survey_layers and len(summary):
            rep = summary.loc[summary["row_type"] == "district", ["total", "population"]].rename(
                columns={"total": "count"})
            survey_layers["perceived_vs_reported"] = perceived_vs_reported(
                pd.DataFrame(survey_layers["districts"]).drop(columns="geometry", errors="ignore"), rep)
    if cfg.pins:
        from .survey import pins_to_cells, read_pins

        survey_layers["pins"] = pins_to_cells(read_pins(cfg.pins), settings=settings)
    steps.end("survey")

    extra_inputs: dict[str, Any] = {}
    for k in ("districts", "gazetteer", "survey", "pins", "boundary", "population", "population_key"):
        v = getattr(cfg, k)
        if v:
            extra_inputs[k] = {"path": Path(v).name, "sha256": _sha256(v)}
    if cfg.places:
        extra_inputs["places"] = [{"path": Path(v).name, "sha256": _sha256(v)} for v in cfg.places]
    if cfg.district_options.get("population_table"):
        pt = cfg.district_options["population_table"]
        extra_inputs["population_table"] = {"path": Path(pt).name, "sha256": _sha256(pt)}
    metadata: dict[str, Any] = {
        "kommun": {"name": kommun_name, "code": kommun_code},
        "notes": notes,
        "notes_sv": notes_sv,
        "period": period.to_dict() if period is not None else None,
        "previous_period": prev.to_dict() if prev is not None else None,
        "sources": sources_meta,
        "inputs": extra_inputs,
        "settings": settings.to_dict(),
        "parameters": {
            "clusters": {"method": cfg.cluster_method, "eps_m": cfg.cluster_eps_m,
                         "min_samples": cfg.cluster_min_samples} if cfg.clusters else None,
            "emerging": {"period": cfg.emerging_period, "rings": settings.rings,
                         "time_step": cfg.emerging_time_step,
                         **{k: v for k, v in emerging.attrs.get("emerging", {}).items()
                            if k in ("global_window", "history_periods")}} if cfg.emerging else None,
            "fill": "boundary" if boundary is not None else f"rings={settings.rings}",
        },
        "counts": {
            "placed": len(incidents),
            "placed_in_period": int(in_period.sum()),
            "pending": len(pending_all),
            "rejected": int(sum(len(r) for r in rejected)),
            "excluded": dict(sorted(excluded.items())),
            "not_on_grid": dict(cells.attrs.get("not_on_grid", {})),
            # the period's rows per level: district (placed in one), stadsdel, kommun (known
            # only in the kommun), outside (points outside every district)
            "levels": _levels(summary, incidents, in_period),
        },
        "categories": {"included": list(cfg.categories) if cfg.categories is not None else None,
                       "excluded": list(cfg.exclude_categories or ())},
        "placement": _jsonable(placement),
        "districts": _jsonable(district_report),
        "library": {"name": "lagesbild_geo", "version": __version__},
        "created_at": cfg.created_at or _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
    }
    lb = Lagesbild(
        incidents=incidents,
        rejected=_concat(rejected),
        reports=reports,
        cells=cells,
        hotspots=hot,
        clusters=clusters,
        emerging=emerging,
        districts=districts,
        district_summary=summary,
        survey=survey_layers,
        metadata=metadata,
        settings=settings,
        pending=pending_all,
    )
    if progress is not None:
        progress("done", 1.0)
    return lb


def _resolve_kommun(name: str | None, code: str | None) -> tuple[str | None, str | None]:
    """The kommun's name and code from either (SCB's table); a name the table does not know
    (a fictional kommun) is kept as it is."""
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
    if by_code is not None and by_name is not None and by_code.code != by_name.code:
        raise InputError(f"The kommun is named {name!r} ({by_name.code}) and coded {code!r} "
                         f"({by_code.name}): they are different kommuner. Give one of them, or both "
                         "of the same kommun.")
    known = by_code or by_name
    return (name or (known.name if known else None)), (known.code if known else code)


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
        if name_key(c) in ("knnamn", "kommun", "kommunnamn", "kommunname", "namn", "name"):
            vals = set(boundary[c].dropna().astype(str).str.strip()) - {""}
            if len(vals) == 1:
                return next(iter(vals))
    return None


def _kommun_of_districts(districts: gpd.GeoDataFrame, notes: list[str]) -> tuple[str | None, str | None]:
    """The kommun of a district layer of one kommun (its kommun codes or DeSO/RegSO codes)."""
    cols = [c for c in districts.columns if name_key(c) in ("kommunkod", "knkod")]
    if cols:
        vals = set(districts[cols[0]].astype("string").dropna().str.strip().str.zfill(4))
    else:
        idx = pd.Series(districts.index.astype(str))
        vals = set(idx.str[:4]) if len(idx) and idx.str.fullmatch(r"\d{4}([ABC]\d{4}|R\d{3})").all() else set()
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
    names = first.loc[inside, "location_text"].astype(str).tolist()
    if len(names) != 1:
        return None, None
    name, code = _resolve_kommun(names[0], None)
    notes.append(f"Kommun: {name}, the only kommun of the police feed whose centre lies in the "
                 "districts (name it with --kommun to be sure).")
    return name, code


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
    counts = pd.DataFrame({"s": moved["source"].astype(str).to_numpy(), "r": reasons}).value_counts()
    for key, k in counts.items():
        name, reason = str(key[0]), str(key[1])  # type: ignore[index]
        rep = reports.get(str(name))
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
    out = incidents.loc[~move]
    out.attrs = dict(incidents.attrs)
    return out


def _level_notes(where: np.ndarray, kommun: str, notes: list[str], notes_sv: list[str]) -> None:
    other, lan, mine = int((where == 1).sum()), int((where == 2).sum()), int((where == 0).sum())
    if other or lan:
        notes.append(f"Police feed: {mine} row(s) of {kommun} kept; {other} row(s) of other kommuner "
                     f"and {lan} row(s) at län level (a län is not the kommun, even when its centre "
                     "lies inside it) were left out (rejected as 'other kommun' / 'lan level').")
        notes_sv.append(f"Polisens händelseflöde: {mine} händelser i {kommun}; {other} i andra kommuner "
                        f"och {lan} bara på länsnivå räknas inte (länet är inte kommunen).")


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
        if cfg.categories is not None:
            drop |= ~cat.isin(list(cfg.categories)).to_numpy(dtype=bool, na_value=True)
        if cfg.exclude_categories:
            drop |= cat.isin(list(cfg.exclude_categories)).to_numpy(dtype=bool, na_value=False)
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
        vc = incidents.loc[in_period, "precision"].astype(str).value_counts()
        out["by_precision"] = {str(k): int(v) for k, v in vc.items()}
    return out


def _reject_areas_elsewhere(incidents: pd.DataFrame, rejected: list[pd.DataFrame],
                            reports: dict[str, dict[str, Any]], sources_meta: list[dict[str, Any]],
                            notes: list[str]) -> pd.DataFrame:
    """Area rows (police feed: kommun/län centres) outside every district → rejected.

    A nationwide feed names every kommun; without a boundary, the rows whose area is
    neither a district nor the kommun would otherwise be counted as the kommun's own
    ("outside all districts"). They are rejected as "outside boundary" (counts per
    source are updated so that placed + pending + rejected still equals rows read).
    """
    from .schema import INCIDENT_COLUMNS

    if not len(incidents) or "district_method" not in incidents.columns:
        return incidents
    far = ((incidents["precision"].astype("string") == "area")
           & (incidents["district_method"].astype("string") == "outside")).to_numpy(dtype=bool)
    if not far.any():
        return incidents
    moved = incidents.loc[far]
    extra = [c for c in moved.columns if c not in INCIDENT_COLUMNS
             and c not in ("district_code", "district_method")]
    raw = moved[extra] if extra else moved[["location_text", "category_raw"]]
    rej = make_rejected(raw, "outside boundary", source=moved["source"].astype(str).tolist(),
                        source_row=moved["source_row"].to_numpy())
    rejected.append(rej)
    per_source = moved["source"].astype(str).value_counts()
    for name, k in per_source.items():
        rep = reports.get(str(name))
        if rep is not None:
            rep["placed"] = int(rep.get("placed", 0)) - int(k)
            rep["rejected"] = int(rep.get("rejected", 0)) + int(k)
            by = dict(rep.get("rejected_by_reason") or {})
            by["outside boundary"] = int(by.get("outside boundary", 0)) + int(k)
            rep["rejected_by_reason"] = by
        for meta in sources_meta:
            if meta["name"] == name:
                meta["placed"] -= int(k)
                meta["rejected"] += int(k)
    places = moved["location_text"].astype("string").value_counts().head(3)
    notes.append(
        f"{int(far.sum())} area row(s) (e.g. the police feed's kommun/län centres: "
        f"{', '.join(f'{n} {v}' for n, v in places.items())}) lie outside every district and do not "
        "name the kommun: rejected as 'outside boundary' (another kommun's or län's).")
    out = incidents.loc[~far]
    out.attrs = dict(incidents.attrs)
    return out


def _read_boundary(path: str | Path, kommun_name: str | None, kommun_code: str | None,
                   notes: list[str], limits: Limits | None = None) -> gpd.GeoDataFrame:
    """The kommun boundary; from a layer of many kommuner, the one named by name or code."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"Boundary file {p} does not exist; check the path.")
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
    from .districts import check_declared_crs, degrees_declared_but_metres, guess_layer_crs

    if g.crs is None or degrees_declared_but_metres(g):
        # no CRS (a shapefile without .prj) or a GeoJSON in metres read as WGS84: from the values
        crs, _ = guess_layer_crs(np.asarray(g.geometry.values, dtype=object), f"(boundary) {p.name}")
        notes.append(f"Boundary: {p.name} has no usable CRS; {crs.to_string()} was recognised from "
                     "its coordinates (set the CRS on the file to be sure).")
        g = g.set_crs(crs, allow_override=True)
    else:  # a declared CRS that contradicts the values is refused (both named, with the fix)
        check_declared_crs(np.asarray(g.geometry.values, dtype=object), CRS.from_user_input(g.crs),
                            f"(boundary) {p.name}", given=False)
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


def _period_mask(incidents: pd.DataFrame, period: Any) -> np.ndarray:
    if period is None or not len(incidents):
        return np.ones(len(incidents), dtype=bool)
    t = incidents["occurred_at"]
    return ((t >= period.start) & (t < period.end)).to_numpy(dtype=bool, na_value=False)


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
