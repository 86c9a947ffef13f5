"""Settings: one frozen dataclass, passed explicitly, loadable from TOML.

There are no module-level mutable settings: the app serves several users at once.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InputError, ValidationError
from .limits import Limits

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """Analysis settings shared by every step.

    Parameters
    ----------
    resolution
        H3 resolution for cell counts (9 ≈ 0.1 km², street-block scale).
    metric_crs
        CRS for distances, buffers, clustering and areas (SWEREF 99 TM).
    min_count
        Aggregates resting on fewer incidents are suppressed on export.
    min_respondents
        Survey values resting on fewer respondents are suppressed.
    rings
        Gi* neighbourhood: H3 ``grid_disk`` radius.
    alpha
        Significance level for hotspot classification.
    correction
        Multiple-testing correction for Gi*: ``"fdr"``, ``"bonferroni"`` or ``"none"``.
    timezone
        Time zone of incident times.
    bounds_wgs84
        (min_lon, min_lat, max_lon, max_lat); points outside are rejected.
    coordinate_precision
        Decimals of exported lon/lat.
    seed
        Seed for anything random.
    limits
        Resource limits for reading files (:class:`lagesbild_geo.limits.Limits`).

    Examples
    --------
    >>> s = Settings(resolution=8)
    >>> s.resolution, s.metric_crs
    (8, 'EPSG:3006')
    """

    resolution: int = 9
    metric_crs: str = "EPSG:3006"
    min_count: int = 3
    min_respondents: int = 5
    rings: int = 1
    alpha: float = 0.05
    correction: str = "fdr"
    timezone: str = "Europe/Stockholm"
    bounds_wgs84: tuple[float, float, float, float] = (10.0, 55.0, 24.5, 69.5)
    coordinate_precision: int = 6
    seed: int = 20240101
    limits: Limits = field(default_factory=Limits)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        problems: list[tuple[str, str, str]] = []
        if not 0 <= self.resolution <= 15:
            problems.append(("resolution", f"must be 0..15, got {self.resolution}",
                             f"måste vara 0–15, fick {self.resolution}"))
        if self.min_count < 1:
            problems.append(("min_count", "must be at least 1", "måste vara minst 1"))
        if self.min_respondents < 1:
            problems.append(("min_respondents", "must be at least 1", "måste vara minst 1"))
        if self.rings < 1:
            problems.append(("rings", "must be at least 1", "måste vara minst 1"))
        if not 0 < self.alpha < 1:
            problems.append(("alpha", "must be between 0 and 1", "måste ligga mellan 0 och 1"))
        if self.correction not in ("fdr", "bonferroni", "none"):
            problems.append(("correction", "must be 'fdr', 'bonferroni' or 'none'",
                             "måste vara 'fdr', 'bonferroni' eller 'none'"))
        if not isinstance(self.limits, Limits):
            problems.append(("limits", f"must be a Limits object, got {type(self.limits).__name__}",
                             f"måste vara ett Limits-objekt, fick {type(self.limits).__name__}"))
        if problems:
            raise ValidationError(problems)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some values changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for metadata files)."""
        d = dataclasses.asdict(self)
        d["bounds_wgs84"] = list(self.bounds_wgs84)
        return d


def load_settings(path: str | Path | None = None, *, table: dict[str, Any] | None = None) -> Settings:
    """Load :class:`Settings` from a TOML file (its ``[settings]`` table or top level).

    Unknown keys are an error that names them, so a typo is not silently ignored.

    Examples
    --------
    >>> load_settings(table={"resolution": 8}).resolution
    8
    """
    if table is None:
        if path is None:
            return Settings()
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"Settings file {p} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"Settings file {p} is not valid TOML: {exc}") from None
        table = data.get("settings", data)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(
            f"Unknown setting(s) {', '.join(unknown)}; known settings are {', '.join(sorted(known))}."
        )
    values = dict(table)
    if "bounds_wgs84" in values:
        values["bounds_wgs84"] = tuple(values["bounds_wgs84"])
    if isinstance(values.get("limits"), dict):
        values["limits"] = Limits.from_mapping(values["limits"])
    return Settings(**values)
