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

__all__ = ["BASE_MAP_TYPES", "BaseMapService", "Settings", "load_settings"]

#: Kinds of base-map service a kommun can configure (see :class:`BaseMapService`).
BASE_MAP_TYPES = ("xyz", "wmts", "wms")
#: Base-map names the library keeps for itself (OpenStreetMap and "no base map").
_RESERVED_BASE_NAMES = ("openstreetmap", "osm", "ingen", "none")
_TILE_KEYS = ("{z}", "{x}", "{y}")


@dataclass(frozen=True)
class BaseMapService:
    """A base map (background tiles) a kommun offers its users, e.g. Lantmäteriet's
    topographic web map or the kommun's own map server.

    Leaflet draws Web Mercator (EPSG:3857) tiles: an XYZ or WMTS service must offer a
    Web Mercator tile matrix set ("GoogleMapsCompatible", "3857"); a WMS service is
    asked for EPSG:3857 images.

    Parameters
    ----------
    name
        Shown to the user in the base-map choice ("Lantmäteriet topografisk").
    url
        ``xyz``: a tile URL template with ``{z}``, ``{x}``, ``{y}`` (``{s}`` optional).
        ``wmts``: a REST template with ``{z}``/``{TileMatrix}``, ``{y}``/``{TileRow}``,
        ``{x}``/``{TileCol}``, or the service's KVP endpoint (then ``layers`` and
        ``matrix_set`` are needed). ``wms``: the service endpoint. ``http(s)://`` or a
        path on the app's own server (``/karta/...``).
    type
        ``"xyz"``, ``"wmts"`` or ``"wms"``.
    attribution
        Credit shown in the map's corner (HTML allowed, e.g. a link to the licence).
    layers
        WMS: comma-separated layer names; WMTS KVP: the layer identifier.
    format
        Image format (WMS/WMTS KVP), ``image/png`` by default.
    style
        WMS styles / WMTS style (``""`` = the service's default).
    matrix_set
        WMTS KVP: the Web Mercator tile matrix set identifier.
    max_zoom
        Deepest zoom the service has tiles for.
    transparent
        WMS: ask for transparent images.
    version
        WMS version (``1.1.1`` or ``1.3.0``).

    Examples
    --------
    >>> BaseMapService(name="Kommunens karta", url="https://karta.example.se/{z}/{x}/{y}.png").type
    'xyz'
    """

    name: str
    url: str
    type: str = "xyz"
    attribution: str = ""
    layers: str = ""
    format: str = "image/png"
    style: str = ""
    matrix_set: str = ""
    max_zoom: int = 19
    transparent: bool = False
    version: str = "1.1.1"

    def __post_init__(self) -> None:
        problems: list[tuple[str, str, str]] = []
        label = f"base map {self.name!r}"
        if not str(self.name).strip():
            problems.append(("base_maps.name", "a base map needs a name",
                             "en bakgrundskarta behöver ett namn"))
        if self.type not in BASE_MAP_TYPES:
            problems.append(("base_maps.type", f"{label}: type must be one of {', '.join(BASE_MAP_TYPES)}, "
                             f"got {self.type!r}",
                             f"{label}: type måste vara {', '.join(BASE_MAP_TYPES)}, fick {self.type!r}"))
        url = str(self.url).strip()
        if not url.startswith(("https://", "http://", "/")):
            problems.append(("base_maps.url", f"{label}: url must start with https://, http:// or /, "
                             f"got {url[:60]!r}",
                             f"{label}: url måste börja med https://, http:// eller /, fick {url[:60]!r}"))
        rest = _wmts_rest(url)
        has_keys = all(k in rest for k in _TILE_KEYS)
        if self.type == "xyz" and not has_keys:
            problems.append(("base_maps.url", f"{label}: an xyz url needs {{z}}, {{x}} and {{y}}",
                             f"{label}: en xyz-adress behöver {{z}}, {{x}} och {{y}}"))
        if self.type == "wmts" and not has_keys and not (self.layers and self.matrix_set):
            problems.append(("base_maps.url",
                             f"{label}: a wmts service needs a REST url with {{z}}, {{y}}, {{x}} "
                             "(or {TileMatrix}, {TileRow}, {TileCol}), or layers and matrix_set "
                             "for its KVP endpoint",
                             f"{label}: en wmts-tjänst behöver en REST-adress med {{z}}, {{y}}, {{x}} "
                             "eller layers och matrix_set för KVP-adressen"))
        if self.type == "wms" and not str(self.layers).strip():
            problems.append(("base_maps.layers", f"{label}: a wms service needs layers",
                             f"{label}: en wms-tjänst behöver layers (lagernamn)"))
        if not 1 <= int(self.max_zoom) <= 24:
            problems.append(("base_maps.max_zoom", f"{label}: max_zoom must be 1..24",
                             f"{label}: max_zoom måste vara 1–24"))
        if problems:
            raise ValidationError(problems)

    def tile_url(self) -> str:
        """The URL template Leaflet requests tiles with (XYZ and WMTS), or the WMS endpoint.

        >>> BaseMapService(name="LM", type="wmts", url="https://lm.example/wmts",
        ...     layers="topowebb", matrix_set="3857").tile_url()  # doctest: +NORMALIZE_WHITESPACE
        'https://lm.example/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=topowebb&STYLE=default&TILEMATRIXSET=3857&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&FORMAT=image/png'
        """
        url = str(self.url).strip()
        if self.type == "wms":
            return url
        rest = _wmts_rest(url)
        if all(k in rest for k in _TILE_KEYS):
            return rest
        sep = "&" if "?" in url else "?"
        return (f"{url}{sep}SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={self.layers}"
                f"&STYLE={self.style or 'default'}&TILEMATRIXSET={self.matrix_set}"
                f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&FORMAT={self.format}")


def _wmts_rest(url: str) -> str:
    """A WMTS REST template with Leaflet's placeholders ({TileMatrix} → {z} ...)."""
    for a, b in (("{TileMatrix}", "{z}"), ("{TileRow}", "{y}"), ("{TileCol}", "{x}")):
        url = url.replace(a, b)
    return url


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
    base_maps
        The kommun's own base-map services (:class:`BaseMapService`), offered beside
        OpenStreetMap and "ingen" (:func:`lagesbild_geo.maps.base_maps`). In TOML, one
        ``[[settings.base_maps]]`` table each. Not part of :meth:`to_dict` (an access
        token in a URL must not travel with exported metadata).

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
    base_maps: tuple[BaseMapService, ...] = field(default=(), compare=False)
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
        names = [str(b.name).strip().casefold() for b in self.base_maps
                 if isinstance(b, BaseMapService)]
        if any(not isinstance(b, BaseMapService) for b in self.base_maps):
            problems.append(("base_maps", "must be BaseMapService objects",
                             "måste vara BaseMapService-objekt"))
        reserved = [n for n in names if n in _RESERVED_BASE_NAMES]
        if reserved:
            problems.append(("base_maps", f"{reserved[0]!r} is reserved for the built-in choices; "
                             "give the kommun's service its own name",
                             f"{reserved[0]!r} är reserverat för de inbyggda valen; ge kommunens "
                             "tjänst ett eget namn"))
        if len(set(names)) != len(names):
            problems.append(("base_maps", "two base maps have the same name",
                             "två bakgrundskartor har samma namn"))
        if problems:
            raise ValidationError(problems)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some values changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for metadata files)."""
        d = dataclasses.asdict(self)
        d.pop("base_maps", None)  # display only, and a URL may carry an access token
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
    if "base_maps" in values:
        values["base_maps"] = _base_maps_from(values["base_maps"])
    return Settings(**values)


def _base_maps_from(raw: Any) -> tuple[BaseMapService, ...]:
    """``[[settings.base_maps]]`` tables → :class:`BaseMapService` objects (unknown keys named)."""
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise InputError(f"base_maps must be a list of tables ([[settings.base_maps]]), got "
                         f"{type(raw).__name__}.")
    known = {f.name for f in fields(BaseMapService)}
    out = []
    for i, item in enumerate(raw, start=1):
        if isinstance(item, BaseMapService):
            out.append(item)
            continue
        if not isinstance(item, dict):
            raise InputError(f"base_maps entry {i} must be a table with name, url and type, got "
                             f"{type(item).__name__}.")
        unknown = sorted(set(item) - known)
        if unknown:
            raise InputError(f"Unknown key(s) {', '.join(unknown)} in base_maps entry {i}; known keys "
                             f"are {', '.join(sorted(known))}.")
        missing = [k for k in ("name", "url") if k not in item]
        if missing:
            raise InputError(f"base_maps entry {i} lacks {' and '.join(missing)}; give each service "
                             "a name and a url.")
        out.append(BaseMapService(**item))
    return tuple(out)
