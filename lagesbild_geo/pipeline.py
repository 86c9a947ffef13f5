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
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from .errors import InputError
from .schema import POINT_PRECISIONS
from .settings import Settings

__all__ = ["Lagesbild", "PipelineConfig", "SourceConfig", "build_lagesbild", "load_config"]

#: A progress callback: ``progress(step_name, fraction_done)`` with fraction in [0, 1].
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Lagesbild:
    """One complete lägesbild.

    Attributes
    ----------
    incidents
        Placed incidents of every source and every date (canonical columns, see
        ``docs/data-contracts.md``), plus ``district_code`` and ``district_method``
        when districts were given. The analysis period is in ``metadata["period"]``.
    rejected
        Rejected rows of every source (``source``, ``source_row``, ``reason`` ...).
    reports
        Ingest report per source name.
    cells
        Counts per H3 cell for the period (index ``cell`` uint64; ``count`` and
        ``count_<category>``), hex polygons in WGS84.
    hotspots
        ``cells`` with Gi* columns (``gi_z``, ``gi_p``, ``gi_p_adj``, ``gi_bin``,
        ``hotspot_class``, ``n_neighbours``).
    clusters
        Density clusters as polygons (may be empty).
    emerging
        Emerging hotspot class per cell (may be empty).
    districts
        District polygons (``district_code`` index) with the summary columns.
    district_summary
        The per-district lägesbild table with an outside row and a kommun-wide total
        row (see ``docs/districts.md``).
    survey
        Survey layers by name (e.g. ``"districts"``, ``"cells"``, ``"pins"``, ``"perceived_vs_reported"``).
    metadata
        Kommun, period, previous period, sources with file hashes, settings,
        library version, created at.
    settings
        The settings used.
    pending
        Rows still awaiting geocoding (no gazetteer given, or not tried).
    tables
        Published one-way tables (``"categories"``, ``"months"``, ``"hours"``,
        ``"weekdays"``: counts of the period's incidents), filled by
        :func:`lagesbild_geo.privacy.publishable`; empty in a built bundle.
    """

    incidents: pd.DataFrame
    rejected: pd.DataFrame
    reports: dict[str, dict[str, Any]]
    cells: gpd.GeoDataFrame
    hotspots: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    emerging: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    district_summary: pd.DataFrame
    survey: dict[str, gpd.GeoDataFrame | pd.DataFrame] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    pending: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceConfig:
    """One incident file and how to read it (the options of :func:`lagesbild_geo.io.read_incidents`)."""

    path: str
    name: str | None = None
    sheet: str | int | None = None
    layer: str | None = None
    crs: str | int | None = None
    columns: Mapping[str, str] | None = None
    category_map: Mapping[str, str] | None = None
    time_optional: bool = False


_SOURCE_KEYS = {f.name for f in dataclasses.fields(SourceConfig)}
_DISTRICT_KEYS = {"path", "code", "name", "population", "layer", "population_table", "crs"}


@dataclass(frozen=True)
class PipelineConfig:
    """Everything :func:`build_lagesbild` needs; load one with :func:`load_config`.

    Paths are as given (a TOML file's relative paths are resolved against its folder).

    Parameters
    ----------
    incidents
        Incident sources: :class:`SourceConfig` or plain paths.
    kommun_name, kommun_code
        The kommun (metadata; ``kommun_name`` also lets area rows naming the kommun be
        recognised).
    period
        The analysis period (``"2025"``, ``"2025-Q2"``, ``"2025-03"``,
        ``"2025-01-01/2025-06-30"``); ``None``: every date.
    previous_period
        The comparison period, or ``"previous"`` for the same-length period before.
    districts, district_options
        District layer and the options of :func:`lagesbild_geo.districts.read_districts`
        (``code``, ``name``, ``population``, ``layer``, ``population_table``).
    gazetteer, survey, pins, boundary
        Optional files: address register for geocoding, respondent-level survey, map
        survey pins, kommun boundary (points outside are rejected; the grid is filled
        over it).
    resolution, rings, alpha, correction, min_count, min_respondents, seed
        Analysis settings (see :class:`lagesbild_geo.settings.Settings`).
    clusters, cluster_method, cluster_eps_m, cluster_min_samples
        Density clusters (skipped when ``clusters`` is false).
    emerging, emerging_period
        Emerging hotspot analysis over every date (skipped when false).
    out_dir
        Where ``lagesbild build`` writes (``None``: the CLI's ``--out``).
    created_at
        Fixed creation time for the metadata (ISO 8601). Default: the build time;
        set it for byte-identical outputs from identical inputs.
    """

    incidents: tuple[SourceConfig | str, ...] = ()
    kommun_name: str | None = None
    kommun_code: str | None = None
    period: str | None = None
    previous_period: str | None = None
    districts: str | None = None
    district_options: Mapping[str, Any] = field(default_factory=dict)
    gazetteer: str | None = None
    survey: str | None = None
    pins: str | None = None
    boundary: str | None = None
    resolution: int = 9
    rings: int = 1
    alpha: float = 0.05
    correction: str = "fdr"
    min_count: int = 3
    min_respondents: int = 5
    seed: int = 20240101
    clusters: bool = True
    cluster_method: str = "dbscan"
    cluster_eps_m: float = 150.0
    cluster_min_samples: int = 15
    emerging: bool = True
    emerging_period: str = "quarter"
    out_dir: str | None = None
    created_at: str | None = None

    def __post_init__(self) -> None:
        items = (self.incidents,) if isinstance(self.incidents, str | Path | SourceConfig) else self.incidents
        srcs = tuple(s if isinstance(s, SourceConfig) else SourceConfig(path=str(s)) for s in items)
        object.__setattr__(self, "incidents", srcs)
        unknown = sorted(set(self.district_options) - (_DISTRICT_KEYS - {"path"}))
        if unknown:
            raise InputError(f"district_options: unknown option(s) {unknown}; known are "
                             f"{sorted(_DISTRICT_KEYS - {'path'})}.")
        _ = self.settings  # validates resolution, alpha ... now, not halfway through a build

    @property
    def sources(self) -> tuple[SourceConfig, ...]:
        """The incident sources as :class:`SourceConfig`."""
        return tuple(s for s in self.incidents if isinstance(s, SourceConfig))

    @property
    def settings(self) -> Settings:
        """The :class:`Settings` these options make."""
        return Settings(resolution=self.resolution, rings=self.rings, alpha=self.alpha,
                        correction=self.correction, min_count=self.min_count,
                        min_respondents=self.min_respondents, seed=self.seed)

    def replace(self, **changes: Any) -> PipelineConfig:
        """A copy with some values changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for metadata)."""
        d = dataclasses.asdict(self)
        d["incidents"] = [dataclasses.asdict(s) for s in self.sources]
        d["district_options"] = dict(self.district_options)
        return d


_TOP_KEYS = {"period", "previous_period", "created_at", "kommun", "sources", "districts", "inputs",
             "analysis", "outputs"}
_INPUT_KEYS = {"gazetteer", "survey", "pins", "boundary"}
_ANALYSIS_KEYS = {"resolution", "rings", "alpha", "correction", "min_count", "min_respondents", "seed",
                  "clusters", "cluster_method", "cluster_eps_m", "cluster_min_samples", "emerging",
                  "emerging_period"}


def load_config(path: str | Path) -> PipelineConfig:
    """Load a :class:`PipelineConfig` from a ``lagesbild.toml`` file.

    Relative paths are resolved against the TOML file's folder. Unknown keys are an
    error that names them (a typo is not silently ignored). The layout::

        period = "2025"
        previous_period = "previous"
        [kommun]       name, code
        [[sources]]    path, name, sheet, layer, crs, columns = {...}, category_map = {...}, time_optional
        [districts]    path, code, name, population, layer, population_table
        [inputs]       gazetteer, survey, pins, boundary
        [analysis]     resolution, rings, alpha, correction, min_count, min_respondents, seed,
                       clusters, cluster_method, cluster_eps_m, cluster_min_samples,
                       emerging, emerging_period
        [outputs]      dir

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "lagesbild.toml").write_text('period = "2025"\\n[[sources]]\\npath = "a.csv"\\n')
    >>> c = load_config(d / "lagesbild.toml")
    >>> c.period, c.sources[0].path == str(d / "a.csv")
    ('2025', True)
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"Config file {p} does not exist; create one with `lagesbild init {p}`.") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Config file {p} is not valid TOML: {exc}.") from None
    base = p.resolve().parent

    def where(key: str) -> str:
        return f"{p}: [{key}]" if key else str(p)

    def check(table: Mapping[str, Any], known: set[str], key: str) -> None:
        if not isinstance(table, Mapping):
            raise InputError(f"{where(key)} must be a table, got {type(table).__name__}.")
        unknown = sorted(set(table) - known)
        if unknown:
            raise InputError(f"{where(key)} has unknown key(s) {unknown}; known keys are {sorted(known)}.")

    def resolve(v: Any) -> str | None:
        if v is None or v == "":
            return None
        q = Path(str(v)).expanduser()
        return str(q if q.is_absolute() else base / q)

    check(data, _TOP_KEYS, "")
    kw: dict[str, Any] = {}
    for k in ("period", "previous_period", "created_at"):
        if k in data:
            v = data[k]
            kw[k] = v.isoformat() if hasattr(v, "isoformat") else str(v)
    kommun = data.get("kommun", {})
    check(kommun, {"name", "code"}, "kommun")
    if "name" in kommun:
        kw["kommun_name"] = str(kommun["name"])
    if "code" in kommun:
        kw["kommun_code"] = str(kommun["code"]).zfill(4)
    sources = data.get("sources", [])
    if isinstance(sources, Mapping):
        sources = [sources]
    srcs = []
    for i, s in enumerate(sources):
        check(s, _SOURCE_KEYS, f"sources #{i + 1}")
        if "path" not in s:
            raise InputError(f"{where(f'sources #{i + 1}')} has no path; add path = \"file.xlsx\".")
        opts = dict(s)
        opts["path"] = resolve(opts["path"])
        for m in ("columns", "category_map"):
            if m in opts:
                opts[m] = {str(a): str(b) for a, b in dict(opts[m]).items()}
        srcs.append(SourceConfig(**opts))
    kw["incidents"] = tuple(srcs)
    districts = data.get("districts", {})
    if isinstance(districts, str):
        districts = {"path": districts}
    check(districts, _DISTRICT_KEYS, "districts")
    if districts.get("path"):
        kw["districts"] = resolve(districts["path"])
    opts = {k: v for k, v in districts.items() if k != "path"}
    if opts.get("population_table"):
        opts["population_table"] = resolve(opts["population_table"])
    kw["district_options"] = opts
    inputs = data.get("inputs", {})
    check(inputs, _INPUT_KEYS, "inputs")
    for k in _INPUT_KEYS:
        if inputs.get(k):
            kw[k] = resolve(inputs[k])
    analysis = data.get("analysis", {})
    check(analysis, _ANALYSIS_KEYS, "analysis")
    kw.update(analysis)
    outputs = data.get("outputs", {})
    check(outputs, {"dir"}, "outputs")
    if outputs.get("dir"):
        kw["out_dir"] = resolve(outputs["dir"])
    try:
        return PipelineConfig(**kw)
    except TypeError as exc:
        raise InputError(f"{p}: {exc}") from None


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

    Steps: read the districts; read and place every source (``io.read_incidents``,
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
    from . import grid, hotspots, io
    from .districts import assign_districts, parse_period, read_districts, summarize

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
    districts = _empty_gdf()
    if cfg.districts:
        districts = read_districts(cfg.districts, **dict(cfg.district_options))
    gazetteer: Any = None
    if cfg.gazetteer:
        from .geocode import Gazetteer

        gazetteer = Gazetteer.from_file(cfg.gazetteer, settings=settings)
        if cfg.districts and hasattr(gazetteer, "with_districts"):
            gazetteer = gazetteer.with_districts(districts.reset_index())
    boundary: Any = None
    notes: list[str] = []
    if cfg.boundary:
        boundary = _read_boundary(cfg.boundary, cfg.kommun_name, cfg.kommun_code, notes)
    placed, rejected, pending = [], [], []
    reports: dict[str, dict[str, Any]] = {}
    sources_meta = []
    for i, src in enumerate(cfg.sources):
        if not Path(src.path).exists():
            raise InputError(f"Incident file {src.path} does not exist; check the path in the config.")
        name = src.name or Path(src.path).name
        if name in reports:
            name = f"{name} ({i + 1})"
        res = io.read_incidents(
            src.path, columns=dict(src.columns) if src.columns else None, crs=src.crs,
            category_map=dict(src.category_map) if src.category_map else None, sheet=src.sheet,
            layer=src.layer, settings=settings, gazetteer=gazetteer, time_optional=src.time_optional,
            boundary=boundary, source_name=name,
        )
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
    notes_sv: list[str] = []
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
                                 rings=settings.rings, alpha=settings.alpha,
                                 correction=settings.correction)
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
        incidents = assign_districts(incidents, districts, kommun_name=cfg.kommun_name)
        district_report["assignment"] = dict(incidents.attrs.get("district_assignment", {}))
        n_ap = int(district_report["assignment"].get("area_point", 0) or 0)
        if n_ap and not cfg.kommun_name:
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
                            hotspots=hot if len(hot) else None, kommun_name=cfg.kommun_name,
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

    extra_inputs = {}
    for k in ("districts", "gazetteer", "survey", "pins", "boundary"):
        v = getattr(cfg, k)
        if v:
            extra_inputs[k] = {"path": Path(v).name, "sha256": _sha256(v)}
    if cfg.district_options.get("population_table"):
        pt = cfg.district_options["population_table"]
        extra_inputs["population_table"] = {"path": Path(pt).name, "sha256": _sha256(pt)}
    metadata: dict[str, Any] = {
        "kommun": {"name": cfg.kommun_name, "code": cfg.kommun_code},
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
            "emerging": {"period": cfg.emerging_period} if cfg.emerging else None,
            "fill": "boundary" if boundary is not None else f"rings={settings.rings}",
        },
        "counts": {
            "placed": len(incidents),
            "placed_in_period": int(in_period.sum()),
            "pending": int(sum(len(p) for p in pending)),
            "rejected": int(sum(len(r) for r in rejected)),
            "not_on_grid": dict(cells.attrs.get("not_on_grid", {})),
        },
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
        pending=_concat(pending),
    )
    if progress is not None:
        progress("done", 1.0)
    return lb


def _reject_areas_elsewhere(incidents: pd.DataFrame, rejected: list[pd.DataFrame],
                            reports: dict[str, dict[str, Any]], sources_meta: list[dict[str, Any]],
                            notes: list[str]) -> pd.DataFrame:
    """Area rows (police feed: kommun/län centres) outside every district → rejected.

    A nationwide feed names every kommun; without a boundary, the rows whose area is
    neither a district nor the kommun would otherwise be counted as the kommun's own
    ("outside all districts"). They are rejected as "outside boundary" (counts per
    source are updated so that placed + pending + rejected still equals rows read).
    """
    from .io import make_rejected
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
                   notes: list[str]) -> gpd.GeoDataFrame:
    """The kommun boundary; from a layer of many kommuner, the one named by name or code."""
    from .districts import _kommun_keys
    from .schema import fold

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
    from .districts import _degrees_declared_but_metres, _guess_crs

    if g.crs is None or _degrees_declared_but_metres(g):
        # no CRS (a shapefile without .prj) or a GeoJSON in metres read as WGS84: from the values
        crs, _ = _guess_crs(np.asarray(g.geometry.values, dtype=object), f"(boundary) {p.name}")
        notes.append(f"Boundary: {p.name} has no usable CRS; {crs.to_string()} was recognised from "
                     "its coordinates (set the CRS on the file to be sure).")
        g = g.set_crs(crs, allow_override=True)
    if len(g) == 1:
        return g
    keys = _kommun_keys(kommun_name)
    code = str(kommun_code).strip().zfill(4) if kommun_code else None
    for c in g.columns:
        if c == g.geometry.name or (g[c].dtype.kind not in "OUSi" and str(g[c].dtype) != "string"):
            continue
        vals = g[c].astype("string").str.strip()
        hit = pd.Series(False, index=g.index)
        if code:
            hit |= (vals.str.fullmatch(r"\d{1,4}") & (vals.str.zfill(4) == code)).fillna(False)
        if keys:
            hit |= vals.fillna("").map(fold).isin(keys)
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
