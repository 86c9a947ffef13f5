"""The configuration of a lägesbild: :class:`PipelineConfig`, :class:`SourceConfig` and
:func:`load_config` (a ``lagesbild.toml`` file; see ``lagesbild init`` and ``docs/pipeline.md``).

A frozen configuration is everything :func:`lagesbild_geo.pipeline.build_lagesbild`
needs; :func:`example_config` is Exempelkommun's (the sample data).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import InputError
from .schema import CATEGORIES, NON_CRIME
from .settings import Settings

__all__ = ["PipelineConfig", "SourceConfig", "example_config", "example_config_text", "load_config"]



@dataclass(frozen=True)
class SourceConfig:
    """One incident file and how to read it (the options of :func:`lagesbild_geo.read.read_incidents`)."""

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
    survey_options
        ``sheet`` and ``columns`` (role → column name) of
        :func:`lagesbild_geo.survey.read_survey` (``[survey]`` in the TOML).
    gazetteer, survey, pins, boundary
        Optional files: address register for geocoding, respondent-level survey, map
        survey pins, kommun boundary (points outside are rejected; the grid is filled
        over it).
    places
        Place layers for placing the police feed's rows by the places their text names
        (stadsdelar, basområden, a gazetteer of localities; see
        :func:`lagesbild_geo.polisen.place_events`). The district layer's own names and
        the gazetteer's street and place names are always used.
    population, population_key
        A population table of another level than the districts (SCB's DeSO population
        for RegSO districts) and SCB's key table between the levels
        (:func:`lagesbild_geo.districts.district_population`); wins over a population
        in the district layer.
    categories, exclude_categories
        Which categories are counted: only ``categories`` when given, never
        ``exclude_categories`` (default: ``ej_brott``, the police feed's events that are
        not crimes). Left-out rows are counted in ``metadata["counts"]["excluded"]``.
    resolution, rings, alpha, correction, min_count, min_respondents, seed
        Analysis settings (see :class:`lagesbild_geo.settings.Settings`).
    clusters, cluster_method, cluster_eps_m, cluster_min_samples
        Density clusters (skipped when ``clusters`` is false).
    emerging, emerging_period, emerging_time_step
        Emerging hotspot analysis over every date (skipped when false): the time bins and
        the neighbourhood time step (previous bins in each bin's Gi*; 1 as ArcGIS,
        0 = spatial only; see :func:`lagesbild_geo.emerging.emerging`).
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
    survey_options: Mapping[str, Any] = field(default_factory=dict)
    pins: str | None = None
    boundary: str | None = None
    places: tuple[str, ...] = ()
    population: str | None = None
    population_key: str | None = None
    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] = (NON_CRIME,)
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
    emerging_time_step: int = 1
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
        bad_opts = sorted(set(self.survey_options) - {"sheet", "columns"})
        bad_roles = sorted(set(self.survey_options.get("columns") or {}) - set(SURVEY_ROLES))
        if bad_opts or bad_roles:
            raise InputError(f"survey: unknown option(s) {bad_opts or bad_roles}; known are ['sheet', "
                             f"'columns'] and the columns' roles {list(SURVEY_ROLES)}.")
        places = (self.places,) if isinstance(self.places, str | Path) else self.places
        object.__setattr__(self, "places", tuple(str(p) for p in places))
        for key in ("categories", "exclude_categories"):
            value = getattr(self, key)
            if value is None:
                continue
            items = _category_list(value)
            bad = [c for c in items if c not in CATEGORIES]
            if bad:
                raise InputError(f"{key}: unknown categor{'y' if len(bad) == 1 else 'ies'} {bad}; use "
                                 f"the category ids {list(CATEGORIES)}.")
            object.__setattr__(self, key, items)
        _ = self.settings  # validates resolution, alpha ... now, not halfway through a build
        ts = self.emerging_time_step
        if isinstance(ts, bool) or not isinstance(ts, int) or ts < 0:
            raise InputError(f"emerging_time_step must be a whole number of periods, 0 or more "
                             f"(1 as ArcGIS, 0 = spatial only); got {ts!r}.")

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
        d["survey_options"] = dict(self.survey_options)
        return d


def _category_list(value: Any) -> tuple[str, ...]:
    """Category ids from a tuple/list or a comma-separated text ("vald,ran"); "" is none."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))


_TOP_KEYS = {"period", "previous_period", "created_at", "kommun", "sources", "districts", "inputs",
             "analysis", "outputs", "survey"}
#: The column roles of ``[survey] columns`` (as :func:`lagesbild_geo.survey.read_survey` takes them).
SURVEY_ROLES = ("respondent_id", "district_code", "safety", "worry", "weight", "lat", "lon")
_INPUT_KEYS = {"gazetteer", "survey", "pins", "boundary", "places", "population", "population_key"}
_ANALYSIS_KEYS = {"resolution", "rings", "alpha", "correction", "min_count", "min_respondents", "seed",
                  "clusters", "cluster_method", "cluster_eps_m", "cluster_min_samples", "emerging",
                  "emerging_period", "emerging_time_step", "categories", "exclude_categories"}


def load_config(path: str | Path) -> PipelineConfig:
    """Load a :class:`PipelineConfig` from a ``lagesbild.toml`` file.

    Relative paths are resolved against the TOML file's folder. Unknown keys are an
    error that names them (a typo is not silently ignored). The layout::

        period = "2025"
        previous_period = "previous"
        [kommun]       name, code
        [[sources]]    path, name, sheet, layer, crs, columns = {...}, category_map = {...}, time_optional
        [districts]    path, code, name, population, layer, population_table
        [inputs]       gazetteer, survey, pins, boundary, places = [...], population,
                       population_key
        [survey]       path, sheet, columns = {...} (the survey's file, sheet and column
                       names, as survey.read_survey takes them; path wins over [inputs])
        [analysis]     resolution, rings, alpha, correction, min_count, min_respondents, seed,
                       clusters, cluster_method, cluster_eps_m, cluster_min_samples,
                       emerging, emerging_period, emerging_time_step,
                       categories = [...], exclude_categories = [...]
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
    return _from_toml(data, _Toml(p))


def _from_toml(data: Mapping[str, Any], toml: _Toml) -> PipelineConfig:
    """The configuration of a parsed ``lagesbild.toml`` (relative paths against its folder)."""
    toml.check(data, _TOP_KEYS, "")
    kw: dict[str, Any] = {}
    for k in ("period", "previous_period", "created_at"):
        if k in data:
            v = data[k]
            kw[k] = v.isoformat() if hasattr(v, "isoformat") else str(v)
    kw.update(_kommun_options(toml, data.get("kommun", {})))
    kw["incidents"] = _source_options(toml, data.get("sources", []))
    kw.update(_district_options(toml, data.get("districts", {})))
    kw.update(_input_options(toml, data.get("inputs", {})))
    kw.update(_survey_options(toml, data.get("survey", {})))
    analysis = data.get("analysis", {})
    toml.check(analysis, _ANALYSIS_KEYS, "analysis")
    kw.update(analysis)
    outputs = data.get("outputs", {})
    toml.check(outputs, {"dir"}, "outputs")
    if outputs.get("dir"):
        kw["out_dir"] = toml.resolve(outputs["dir"])
    try:
        return PipelineConfig(**kw)
    except TypeError as exc:
        raise InputError(f"{toml.path}: {exc}") from None


class _Toml:
    """Where a config file is (for messages) and its folder (for relative paths)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.resolve().parent

    def where(self, key: str) -> str:
        return f"{self.path}: [{key}]" if key else str(self.path)

    def check(self, table: Any, known: set[str], key: str) -> None:
        """``table`` is a table with only ``known`` keys (else an error naming the unknown ones)."""
        if not isinstance(table, Mapping):
            raise InputError(f"{self.where(key)} must be a table, got {type(table).__name__}.")
        unknown = sorted(set(table) - known)
        if unknown:
            raise InputError(f"{self.where(key)} has unknown key(s) {unknown}; known keys are {sorted(known)}.")

    def resolve(self, v: Any) -> str | None:
        """A path relative to the config file's folder (``None`` for none)."""
        if v is None or v == "":
            return None
        q = Path(str(v)).expanduser()
        return str(q if q.is_absolute() else self.base / q)


def _kommun_options(toml: _Toml, kommun: Any) -> dict[str, Any]:
    toml.check(kommun, {"name", "code"}, "kommun")
    kw: dict[str, Any] = {}
    if "name" in kommun:
        kw["kommun_name"] = str(kommun["name"])
    if "code" in kommun:
        kw["kommun_code"] = str(kommun["code"]).zfill(4)
    return kw


def _source_options(toml: _Toml, sources: Any) -> tuple[SourceConfig, ...]:
    if isinstance(sources, Mapping):
        sources = [sources]
    srcs = []
    for i, s in enumerate(sources):
        toml.check(s, _SOURCE_KEYS, f"sources #{i + 1}")
        if "path" not in s:
            raise InputError(f"{toml.where(f'sources #{i + 1}')} has no path; add path = \"file.xlsx\".")
        opts = dict(s)
        opts["path"] = toml.resolve(opts["path"])
        for m in ("columns", "category_map"):
            if m in opts:
                opts[m] = {str(a): str(b) for a, b in dict(opts[m]).items()}
        srcs.append(SourceConfig(**opts))
    return tuple(srcs)


def _district_options(toml: _Toml, districts: Any) -> dict[str, Any]:
    if isinstance(districts, str):
        districts = {"path": districts}
    toml.check(districts, _DISTRICT_KEYS, "districts")
    kw: dict[str, Any] = {}
    if districts.get("path"):
        kw["districts"] = toml.resolve(districts["path"])
    opts = {k: v for k, v in districts.items() if k != "path"}
    if opts.get("population_table"):
        opts["population_table"] = toml.resolve(opts["population_table"])
    kw["district_options"] = opts
    return kw


def _survey_options(toml: _Toml, survey: Any) -> dict[str, Any]:
    """``[survey]``: path, sheet, columns = { safety = "Hur trygg …", district_code = "Område" }."""
    if isinstance(survey, str):
        survey = {"path": survey}
    toml.check(survey, {"path", "sheet", "columns"}, "survey")
    kw: dict[str, Any] = {}
    if survey.get("path"):
        kw["survey"] = toml.resolve(survey["path"])
    opts = {k: v for k, v in survey.items() if k != "path"}
    if opts:
        kw["survey_options"] = opts
    return kw


def _input_options(toml: _Toml, inputs: Any) -> dict[str, Any]:
    toml.check(inputs, _INPUT_KEYS, "inputs")
    kw: dict[str, Any] = {}
    for k in _INPUT_KEYS - {"places"}:
        if inputs.get(k):
            kw[k] = toml.resolve(inputs[k])
    if inputs.get("places"):
        pl = inputs["places"]
        kw["places"] = tuple(r for r in (toml.resolve(x) for x in ([pl] if isinstance(pl, str) else pl)) if r)
    return kw


def example_config_text(sample_dir: str = "sample_data") -> str:
    """The example ``lagesbild.toml`` (Exempelkommun) with its paths pointing at ``sample_dir``.

    Examples
    --------
    >>> "[[sources]]" in example_config_text()
    True
    """
    text = resources.files("lagesbild_geo").joinpath("data/lagesbild.example.toml").read_text(encoding="utf-8")
    prefix = sample_dir.replace("\\", "/").rstrip("/")
    return text.replace('"sample_data/', f'"{prefix}/')


def example_config(sample_dir: str | Path = "sample_data", **changes: Any) -> PipelineConfig:
    """Exempelkommun's configuration (the example ``lagesbild.toml``) over the sample data
    in ``sample_dir`` (``lagesbild sample DIR`` writes it), with ``changes`` applied.

    Examples
    --------
    >>> cfg = example_config("sample_data", emerging=False)
    >>> cfg.kommun_name, len(cfg.sources), cfg.emerging
    ('Exempelkommun', 2, False)
    """
    base = Path(sample_dir).expanduser().resolve()
    cfg = _from_toml(tomllib.loads(example_config_text(base.as_posix())), _Toml(base / "lagesbild.toml"))
    return cfg.replace(**{"out_dir": None, **changes})
