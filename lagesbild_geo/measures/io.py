"""Import and export for :class:`lagesbild_geo.measures.MeasureStoreProtocol`.

The functions take any store (:class:`~lagesbild_geo.measures.model.MeasureStoreProtocol`);
:class:`~lagesbild_geo.measures.MeasureStore` offers each of them as a method
(``store.export_geojson(...)`` etc.).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from .. import __version__
from .._personal import check_free_text
from .._spreadsheet import neutralise_formulas, safe_cell
from ..crs import guess_layer_crs, normalise_crs
from ..errors import InputError, NotFoundError, ValidationError
from ..schema import CATEGORY_LABELS, fold
from .model import (
    ACTORS,
    ALREADY_IN_STORE,
    DATE_FIELDS,
    DRAWN_ON_FIELDS,
    MEASURE_FIELDS,
    STATUSES,
    Area,
    MeasureStoreProtocol,
    StoreExport,
    validate_area,
    validate_measure,
)
from .schema import SCHEMA_VERSION

if TYPE_CHECKING:
    import geopandas as gpd

EXPORT_MARKER = "lagesbild_geo.measures"

#: Property names of the exported measures layer (stable; documented in docs/measures.md).
MEASURE_PROPERTIES: tuple[str, ...] = (
    "measure_id", "area_id", "area_name", "title", "description", "target_categories",
    "target_labels", "problem", "cause_tags", "responsible", "responsible_label", "partners",
    "start_date", "end_date", "status", "indicator", "next_followup", "cost", "agreement",
    "version", "created_at", "created_by", "updated_at", "updated_by", "deleted_at",
)
#: Property names of the exported areas layer.
AREA_PROPERTIES: tuple[str, ...] = (
    "area_id", "name", "description", "source_cells", "source_cluster", "n_measures",
    "measure_ids", "measure_titles", "target_categories", "area_km2", "drawn_kommun",
    "drawn_dataset", "drawn_dataset_label", "version", "created_at", "created_by",
    "updated_at", "updated_by", "deleted_at",
)

#: Swedish column headers of the åtgärdsplan (Excel/CSV), in order.
PLAN_COLUMNS: dict[str, str] = {
    "status": "Status",
    "area_name": "Område",
    "title": "Åtgärd",
    "description": "Beskrivning",
    "target_labels": "Brottskategorier",
    "problem": "Problem/orsak",
    "cause_tags": "Orsaker (taggar)",
    "responsible_label": "Ansvarig aktör",
    "partners": "Samverkanspartner",
    "start_date": "Startdatum",
    "end_date": "Slutdatum",
    "indicator": "Uppföljningsindikator",
    "next_followup": "Nästa uppföljning",
    "cost": "Kostnad (kr)",
    "agreement": "Samverkansöverenskommelse",
    "updated_at": "Senast ändrad",
    "updated_by": "Ändrad av",
    "version": "Version",
    "id": "Åtgärds-id",
    "area_id": "Områdes-id",
}
_DATE_HEADERS = ("Startdatum", "Slutdatum", "Nästa uppföljning")


def _join(v: Iterable[str] | None) -> str:
    return ", ".join(v) if v else ""


def _iso(v: Any) -> str | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _measure_records(store: MeasureStoreProtocol, include_deleted: bool) -> list[dict[str, Any]]:
    df = store.list_measures(include_deleted=include_deleted)
    df = df.astype(object).where(df.notna(), None)
    out = []
    for mid, r in df.iterrows():
        out.append({
            "measure_id": str(mid), "area_id": r["area_id"], "area_name": r["area_name"],
            "title": r["title"], "description": r["description"],
            "target_categories": _join(r["target_categories"]),
            "target_labels": _join(CATEGORY_LABELS[c] for c in r["target_categories"]),
            "problem": r["problem"], "cause_tags": _join(r["cause_tags"]),
            "responsible": r["responsible"],
            "responsible_label": ACTORS.get(r["responsible"], "") if r["responsible"] else "",
            "partners": _join(r["partners"]), "start_date": _iso(r["start_date"]),
            "end_date": _iso(r["end_date"]), "status": r["status"], "indicator": r["indicator"],
            "next_followup": _iso(r["next_followup"]),
            "cost": None if r["cost"] is None else float(r["cost"]),
            "agreement": r["agreement"], "version": int(r["version"]),
            "created_at": r["created_at"], "created_by": r["created_by"],
            "updated_at": r["updated_at"], "updated_by": r["updated_by"],
            "deleted_at": r["deleted_at"],
        })
    return out


def to_geodataframe(store: MeasureStoreProtocol, *, kind: str = "measures",
                    include_deleted: bool = False) -> gpd.GeoDataFrame:
    import geopandas as gpd

    areas = store.list_areas(include_deleted=include_deleted)
    recs = _measure_records(store, include_deleted)
    if kind == "measures":
        df = pd.DataFrame(recs, columns=list(MEASURE_PROPERTIES))
        geom = [areas.geometry.get(a) for a in df["area_id"]]
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs="EPSG:4326").array,
                                crs="EPSG:4326")
    if kind == "areas":
        by_area: dict[str, list[dict[str, Any]]] = {}
        for r in recs:
            by_area.setdefault(r["area_id"], []).append(r)
        rows = []
        for aid, a in areas.iterrows():
            ms = by_area.get(str(aid), [])
            cats: list[str] = []
            for m in ms:
                cats += [c for c in m["target_categories"].split(", ") if c and c not in cats]
            rows.append({
                "area_id": str(aid), "name": a["name"], "description": a["description"],
                "source_cells": _join(a["source_cells"]), "source_cluster": a["source_cluster"],
                "n_measures": len(ms), "measure_ids": _join(m["measure_id"] for m in ms),
                "measure_titles": "; ".join(m["title"] for m in ms),
                "target_categories": _join(cats), "area_km2": float(a["area_km2"]),
                **{k: _none_if_na(a[k]) for k in DRAWN_ON_FIELDS},
                "version": int(a["version"]), "created_at": a["created_at"],
                "created_by": a["created_by"], "updated_at": a["updated_at"],
                "updated_by": a["updated_by"], "deleted_at": a["deleted_at"],
            })
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(AREA_PROPERTIES)),
                                geometry=gpd.GeoSeries(list(areas.geometry),
                                                       crs="EPSG:4326").array,
                                crs="EPSG:4326")
    raise InputError(f"kind must be 'measures' or 'areas', got {kind!r}.")


def _meta() -> dict[str, Any]:
    return {"kind": EXPORT_MARKER, "schema_version": SCHEMA_VERSION,
            "library_version": __version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def export_geojson(store: MeasureStoreProtocol, path: str | os.PathLike[str], *,
                   include_deleted: bool = False) -> Path:
    out = Path(path)
    areas = store.list_areas(include_deleted=include_deleted)
    recs = _measure_records(store, include_deleted)
    by_area: dict[str, list[dict[str, Any]]] = {}
    for r in recs:
        by_area.setdefault(r["area_id"], []).append(r)
    features = []
    for aid, a in areas.iterrows():
        ms = by_area.get(str(aid), [])
        props = {
            "area_id": str(aid), "name": a["name"], "description": a["description"],
            "source_cells": list(a["source_cells"]), "source_cluster": a["source_cluster"],
            "n_measures": len(ms), "area_km2": round(float(a["area_km2"]), 6),
            **{k: _none_if_na(a[k]) for k in DRAWN_ON_FIELDS},
            "version": int(a["version"]), "created_at": a["created_at"],
            "created_by": a["created_by"], "updated_at": a["updated_at"],
            "updated_by": a["updated_by"], "deleted_at": a["deleted_at"],
            "measures": ms,
        }
        features.append({"type": "Feature", "id": str(aid), "geometry": mapping(a.geometry),
                         "properties": props})
    doc = {"type": "FeatureCollection", "lagesbild_geo": _meta(), "features": features}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False),
                   encoding="utf-8")
    return out


def export_gpkg(store: MeasureStoreProtocol, path: str | os.PathLike[str], *,
                include_deleted: bool = False) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    areas = to_geodataframe(store, kind="areas", include_deleted=include_deleted)
    measures = to_geodataframe(store, kind="measures", include_deleted=include_deleted)
    areas.to_file(out, layer="areas", driver="GPKG")
    measures.to_file(out, layer="measures", driver="GPKG", mode="a")
    meta = gpd_meta_frame()
    meta.to_file(out, layer="metadata", driver="GPKG", mode="a")
    return out


def gpd_meta_frame() -> gpd.GeoDataFrame:
    import geopandas as gpd

    m = _meta()
    return gpd.GeoDataFrame({"key": list(m), "value": [str(v) for v in m.values()]},
                            geometry=gpd.GeoSeries([None] * len(m)).array, crs="EPSG:4326")


# ---------------------------------------------------------------------- import

_NAME_CANDIDATES = ("name", "namn", "omrade", "omradesnamn", "omrades namn", "title", "titel",
                    "label", "benamning", "beteckning")
_DESC_CANDIDATES = ("description", "beskrivning", "desc", "kommentar", "comment", "notes")


def _find_column(columns: Iterable[str], wanted: Iterable[str]) -> str | None:
    folded = {fold(c): c for c in columns}
    for w in wanted:
        if fold(w) in folded:
            return folded[fold(w)]
    return None


def import_areas(store: MeasureStoreProtocol, path: str | os.PathLike[str], *,
                 name_column: str | None = None, layer: str | None = None,
                 user: str | None = None, crs: object | None = None) -> list[Area]:
    """Import areas from GeoJSON, GeoPackage or any file geopandas reads (all or nothing).

    ``crs`` is the CRS of a file that declares none (a shapefile without its .prj, e.g.
    ``3011``); without it such a file's CRS is recognised from its values when only one
    fits (with a warning), and a file holding several layers needs ``layer``.

    Files written by :func:`export_geojson`/:func:`export_gpkg` bring their measures
    and ids along (ids the store already has get new ones). See
    :meth:`~lagesbild_geo.measures.MeasureStore.import_areas`.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"Area file {p} does not exist.")
    items: list[dict[str, Any]] = []  # area values + "id" + "n" (feature number)
    own_measures: list[dict[str, Any]] = []
    if p.suffix.lower() in (".geojson", ".json"):
        items, own_measures = _read_own_geojson(p)
    if not items:
        items, own_measures = _read_gis_file(p, name_column=name_column, layer=layer, crs=crs)
    if not items:
        raise InputError(f"{p} holds no features; nothing imported.")
    areas, measures = _validated(items, own_measures)
    return _write_imported(store, areas, measures, user=user or store.user)


def _read_own_geojson(p: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Areas and measures of a GeoJSON written by :func:`export_geojson` (else nothing)."""
    try:
        doc = json.loads(p.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{p} is not valid GeoJSON ({exc}).") from None
    items: list[dict[str, Any]] = []
    own_measures: list[dict[str, Any]] = []
    own = isinstance(doc, dict) and (doc.get("lagesbild_geo") or {}).get("kind") \
        == EXPORT_MARKER
    if own:
        for n, feat in enumerate(doc.get("features") or [], start=1):
            pr = feat.get("properties") or {}
            items.append({"n": n, "id": pr.get("area_id"), "name": pr.get("name"),
                          "description": pr.get("description") or "",
                          "geometry": shape(feat["geometry"]) if feat.get("geometry")
                          else None,
                          "source_cells": pr.get("source_cells") or None,
                          "source_cluster": pr.get("source_cluster"),
                          **{k: pr.get(k) for k in DRAWN_ON_FIELDS}})
            for m in pr.get("measures") or []:
                own_measures.append(dict(m))
    return items, own_measures


def _read_layer(p: Path, layer: str | None, crs: object | None = None
                ) -> tuple[gpd.GeoDataFrame, dict[str, Any], str | None]:
    """The area layer in WGS84, the file's layers and the layer chosen."""
    import geopandas as gpd
    import pyogrio

    try:
        layers = {str(r[0]): r[1] for r in pyogrio.list_layers(p)}
    except Exception as exc:
        raise InputError(f"Cannot read {p} as a GIS file ({exc}); give GeoJSON or "
                         "GeoPackage.") from None
    if layer is None and "areas" in layers and "measures" in layers:
        layer = "areas"
    if layer is None and len(layers) > 1:
        # a kommun's GIS file often holds several layers: the first is not the user's choice
        raise InputError(f"{p.name} holds {len(layers)} layers ({', '.join(layers)}); choose the one with "
                         "the areas: --layer NAME (layer= in Python). Nothing imported.")
    try:
        gdf = gpd.read_file(p, layer=layer) if layer else gpd.read_file(p)
    except Exception as exc:
        raise InputError(f"Cannot read {p} (layer {layer!r}): {exc}. Layers: "
                         f"{', '.join(layers)}.") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or len(gdf) == 0 or gdf.geometry.isna().all():
        raise InputError(f"{p.name} has no area polygons (a table without geometry?); give the "
                         "areas as GeoJSON or GeoPackage polygons, e.g. an åtgärdsplan export.")
    if crs is not None:
        try:
            gdf = gdf.set_crs(normalise_crs(crs), allow_override=True)
        except Exception as exc:
            raise InputError(f"{p.name}: the CRS {crs!r} is not one pyproj knows ({exc}); give an EPSG "
                             "code such as 3006 or 3011.") from None
    elif gdf.crs is None:
        # a shapefile without its .prj: recognised from the values as district layers are
        # (lon/lat, SWEREF 99 TM, RT90, or the one SWEREF 99 local zone that fits)
        geoms = gdf.geometry.dropna().to_numpy()
        fix = ("Set the CRS on the file in your GIS (a shapefile needs its .prj) and export again, or "
               "give it: --crs 3011 (crs= in Python).")
        crs, _ = guess_layer_crs(geoms, p.name, what="Area file", fix=fix)
        if crs.to_epsg() != 4326:
            warnings.warn(f"{p.name} has no CRS; {crs.to_string()} ({crs.name}) was recognised from the "
                          "coordinate values: check that the areas lie where they should. " + fix,
                          UserWarning, stacklevel=3)
        gdf = gdf.set_crs(crs)
    return gdf.to_crs(4326), layers, layer


def _read_gis_file(p: Path, *, name_column: str | None, layer: str | None, crs: object | None = None
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Areas of any GIS file; with the measures when it is our own GeoPackage export."""
    import geopandas as gpd

    gdf, layers, layer = _read_layer(p, layer, crs)
    own_gpkg = layer == "areas" and "area_id" in gdf.columns and "measures" in layers
    ncol = name_column or _find_column(gdf.columns, _NAME_CANDIDATES)
    if name_column is not None and name_column not in gdf.columns:
        raise InputError(f"Column {name_column!r} is not in {p}; columns are "
                         f"{', '.join(map(str, gdf.columns))}.")
    dcol = _find_column(gdf.columns, _DESC_CANDIDATES)
    items: list[dict[str, Any]] = []
    for n, (_, r) in enumerate(gdf.iterrows(), start=1):
        name = r[ncol] if ncol and isinstance(r[ncol], str) and r[ncol].strip() \
            else f"{p.stem} {n}"
        cells = r.get("source_cells") if own_gpkg else None
        items.append({
            "n": n, "id": r["area_id"] if own_gpkg else None, "name": name,
            "description": (r[dcol] if dcol and isinstance(r[dcol], str) else ""),
            "geometry": r.geometry,
            "source_cells": [c for c in str(cells).split(", ") if c] if cells else None,
            "source_cluster": (r.get("source_cluster") or None) if own_gpkg else None,
            **{k: (None if _isna(r.get(k)) else r.get(k)) if own_gpkg else None
               for k in DRAWN_ON_FIELDS},
        })
    own_measures: list[dict[str, Any]] = []
    if own_gpkg:
        mdf = gpd.read_file(p, layer="measures")
        for _, r in mdf.iterrows():
            own_measures.append({k: (None if _isna(r.get(k)) else r.get(k))
                                 for k in MEASURE_PROPERTIES})
    return items, own_measures


_Checked = list[tuple[dict[str, Any], dict[str, Any]]]  # (as read, validated values)


def _validated(items: list[dict[str, Any]], own_measures: list[dict[str, Any]]
               ) -> tuple[_Checked, _Checked]:
    """Every area and measure validated; all problems raised at once, numbered."""
    problems: list[tuple[str, str, str]] = []
    clean: _Checked = []
    for it in items:
        values, probs, _ = validate_area({k: it.get(k) for k in (
            "name", "description", "geometry", "source_cells", "source_cluster",
            *DRAWN_ON_FIELDS)})
        problems += [(f"feature {it['n']}: {f}", en, f"objekt {it['n']}: {sv}")
                     for f, en, sv in probs]
        clean.append((it, values))
    mclean: _Checked = []
    for i, m in enumerate(own_measures, start=1):
        fields = {k: m.get(k) for k in ("title", "description", "target_categories", "problem",
                                        "cause_tags", "responsible", "partners", "start_date",
                                        "end_date", "status", "indicator", "next_followup",
                                        "cost", "agreement")}
        fields["area_id"] = str(m.get("area_id") or "")
        for k in ("description", "problem", "indicator", "agreement"):
            fields[k] = fields[k] or ""
        values, probs = validate_measure(fields)
        problems += [(f"measure {i}: {f}", en, f"åtgärd {i}: {sv}") for f, en, sv in probs]
        mclean.append((m, values))
    if problems:
        raise ValidationError(problems)
    return clean, mclean


def _write_imported(store: MeasureStoreProtocol, clean: _Checked, mclean: _Checked, *,
                    user: str) -> list[Area]:
    """Areas, then their measures (area ids mapped), in one transaction. An area the store
    already has (the same name and boundary: the same file imported twice) is not added
    again; it comes back with the note :data:`ALREADY_IN_STORE`, and a measure of it that
    the store already has (by id) is not added again either."""
    out: list[Area] = []
    id_map: dict[str, str] = {}
    twins: set[str] = set()
    with store.transaction():
        existing = store.list_areas()
        for it, values in clean:
            twin = _twin(existing, values)
            if twin is not None:
                area = store.get_area(twin)
                out.append(dataclasses.replace(area, notes=(*area.notes, ALREADY_IN_STORE)))
                twins.add(twin)
                if it.get("id"):
                    id_map[str(it["id"])] = twin
                continue
            keep = _unused_id(store.get_area, it.get("id"))
            try:
                area = store.add_area(**values, created_by=user, id=keep)
            except ValidationError as exc:  # an id that is not a UUID: take a new one
                if keep is None:
                    raise
                del exc
                area = store.add_area(**values, created_by=user)
            if it.get("id"):
                id_map[str(it["id"])] = area.id
            out.append(area)
        for m, values in mclean:
            values = dict(values)
            values["area_id"] = id_map.get(values["area_id"], values["area_id"])
            keep = _unused_id(store.get_measure, m.get("measure_id"))
            if keep is None and m.get("measure_id") and values["area_id"] in twins:
                continue  # the measure of an area already in the store, already there
            store.add_measure(**values, created_by=user, id=keep)
    return out


#: Boundaries this close (degrees, about 0,1 m) are the same: a file's rounded coordinates
#: (an export's 7 decimals) and the store's full ones.
_SAME_BOUNDARY_DEG = 1e-6


def _twin(existing: Any, values: Mapping[str, Any]) -> str | None:
    """The id of a stored area with the same name and the same boundary (within
    :data:`_SAME_BOUNDARY_DEG`, whatever the vertices' order), or ``None``."""
    same_name = existing.loc[existing["name"] == values["name"]] if len(existing) else existing
    for area_id, geom in zip(same_name.index, same_name.geometry, strict=True):
        if geom is not None and shapely.hausdorff_distance(geom, values["geometry"]) <= _SAME_BOUNDARY_DEG:
            return str(area_id)
    return None


def _unused_id(get: Callable[[str], object], value: object) -> str | None:
    """``value`` as the id to keep, or ``None`` (take a new one) when the store has it."""
    if not value:
        return None
    try:
        get(str(value))
    except NotFoundError:
        return str(value)
    return None


def _isna(v: Any) -> bool:
    try:
        return bool(v is None or pd.isna(v))
    except (TypeError, ValueError):
        return False


# -------------------------------------------------------------------- the plan


def plan_table(store: MeasureStoreProtocol, *, include_deleted: bool = False) -> pd.DataFrame:
    df = store.list_measures(include_deleted=include_deleted)
    t = pd.DataFrame(index=df.index)
    t["status"] = df["status"].str.capitalize()
    t["area_name"] = df["area_name"]
    t["title"] = df["title"]
    t["description"] = df["description"]
    t["target_labels"] = [_join(CATEGORY_LABELS[c] for c in v) for v in df["target_categories"]]
    t["problem"] = df["problem"]
    t["cause_tags"] = df["cause_tags"].map(_join)
    t["responsible_label"] = df["responsible"].map(lambda r: ACTORS.get(r, "") if r else "")
    t["partners"] = df["partners"].map(_join)
    for c in ("start_date", "end_date"):
        t[c] = df[c]
    t["indicator"] = df["indicator"]
    t["next_followup"] = df["next_followup"]
    t["cost"] = df["cost"]
    t["agreement"] = df["agreement"]
    t["updated_at"] = pd.to_datetime(df["updated_at"], utc=True).dt.tz_convert(
        "Europe/Stockholm").dt.tz_localize(None).dt.floor("s") if len(df) else \
        pd.Series([], dtype="datetime64[ns]")
    t["updated_by"] = df["updated_by"]
    t["version"] = df["version"]
    t["id"] = df.index.astype(str)
    t["area_id"] = df["area_id"]
    order = {s: i for i, s in enumerate(STATUSES)}
    key = pd.DataFrame({"s": df["status"].map(order), "d": df["start_date"],
                        "a": df["area_name"].str.lower(), "t": df["title"].str.lower()})
    t = t.loc[key.sort_values(["s", "d", "a", "t"], na_position="last").index]
    return t.rename(columns=PLAN_COLUMNS).reset_index(drop=True)


#: Free-text fields the åtgärdsplan writes (checked for personal data first).
PLAN_TEXT_FIELDS = ("areas.name", "measures.title", "measures.description", "measures.problem",
                    "measures.agreement", "measures.partners", "measures.indicator", "measures.cause_tags")


def _check_plan_text(store: MeasureStoreProtocol, include_deleted: bool, allow: Iterable[str]) -> None:
    """The plan leaves the kommun (kommunstyrelsen, the web): refuse personal data in it."""
    measures = store.list_measures(include_deleted=include_deleted)
    areas = store.list_areas(include_deleted=include_deleted)
    check_free_text({"areas": pd.DataFrame(areas), "measures": measures}, allow_personal_data=allow,
                    what="exporten av åtgärdsplanen", fields=PLAN_TEXT_FIELDS)


def export_plan_excel(store: MeasureStoreProtocol, path: str | os.PathLike[str], *,
                      include_deleted: bool = False, allow_personal_data: Iterable[str] = ()) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    out = Path(path)
    _check_plan_text(store, include_deleted, allow_personal_data)
    table = plan_table(store, include_deleted=include_deleted)
    wb = Workbook()
    sheets: list[tuple[str, pd.DataFrame]] = [("Åtgärdsplan", table)]
    for s in STATUSES:
        sheets.append((s.capitalize(), table[table["Status"] == s.capitalize()]))
    widths = {"Beskrivning": 40, "Problem/orsak": 30, "Åtgärd": 30, "Område": 20,
              "Brottskategorier": 28, "Åtgärds-id": 38, "Områdes-id": 38}
    for i, (name, df) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = name
        ws.append(list(df.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in df.itertuples(index=False):
            vals: list[Any] = []
            for col, v in zip(df.columns, row, strict=True):
                if _isna(v):
                    vals.append(None)
                elif col in _DATE_HEADERS:
                    vals.append(pd.Timestamp(v).date())
                elif col == "Senast ändrad":
                    vals.append(pd.Timestamp(v).to_pydatetime())
                elif isinstance(v, np.integer):
                    vals.append(int(v))
                elif isinstance(v, np.floating):
                    vals.append(float(v))
                else:
                    vals.append(safe_cell(v))  # text that Excel would run as a formula
            ws.append(vals)
        for j, col in enumerate(df.columns, start=1):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = widths.get(col, max(12, len(col) + 2))
            fmt = ("yyyy-mm-dd" if col in _DATE_HEADERS else
                   "yyyy-mm-dd hh:mm" if col == "Senast ändrad" else
                   '# ##0 "kr"' if col == "Kostnad (kr)" else None)
            for r in range(2, len(df) + 2):
                c = ws.cell(row=r, column=j)
                if fmt:
                    c.number_format = fmt
                if col in ("Beskrivning", "Problem/orsak"):
                    c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(len(df) + 1, 1)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def export_plan_csv(store: MeasureStoreProtocol, path: str | os.PathLike[str], *,
                    include_deleted: bool = False, allow_personal_data: Iterable[str] = ()) -> Path:
    out = Path(path)
    _check_plan_text(store, include_deleted, allow_personal_data)
    t = plan_table(store, include_deleted=include_deleted)
    for c in _DATE_HEADERS:
        t[c] = t[c].dt.strftime("%Y-%m-%d")
    t["Senast ändrad"] = t["Senast ändrad"].dt.strftime("%Y-%m-%d %H:%M")
    t["Kostnad (kr)"] = t["Kostnad (kr)"].map(
        lambda v: "" if pd.isna(v) else f"{v:.2f}".rstrip("0").rstrip(".").replace(".", ","))
    out.parent.mkdir(parents=True, exist_ok=True)
    neutralise_formulas(t).to_csv(out, sep=";", index=False, encoding="utf-8-sig")
    return out




# ------------------------------------------------------------ the store's own export

#: ``kind`` of the store's own export (backup and move between backends).
STORE_EXPORT_KIND = "lagesbild_geo.measure-store"
#: Version of that file format.
STORE_EXPORT_FORMAT = 1
_META_KEYS = ("version", "created_at", "created_by", "updated_at", "updated_by", "deleted_at",
              "deleted_by")
_AREA_KEYS = ("name", "description", "geometry", "source_cells", "source_cluster",
              *DRAWN_ON_FIELDS)
#: Schema versions whose exports this library reads (a version-2 export has no
#: ``drawn_*`` fields: they are read as unknown).
READABLE_EXPORT_VERSIONS: tuple[int, ...] = (2, SCHEMA_VERSION)
_AUDIT_KEYS = ("entity", "entity_id", "action", "version", "user", "at", "before", "after")


def _none_if_na(v: Any) -> Any:
    return None if _isna(v) else v


def store_export(store: MeasureStoreProtocol) -> dict[str, Any]:
    """Everything in a store (of its kommun) as a JSON-ready document: every area and
    measure with all fields (deleted ones too) and the whole audit trail in order.

    See :meth:`~lagesbild_geo.measures.MeasureStore.export_store` and
    ``docs/measures.md`` for the format.
    """
    areas = store.list_areas(include_deleted=True)
    measures = store.list_measures(include_deleted=True)
    area_recs = [{"id": str(aid), "name": a["name"], "description": a["description"],
                  "geometry": mapping(a.geometry), "source_cells": list(a["source_cells"]),
                  "source_cluster": _none_if_na(a["source_cluster"]),
                  **{k: _none_if_na(a[k]) for k in DRAWN_ON_FIELDS},
                  **{k: _none_if_na(a[k]) for k in _META_KEYS}}
                 for aid, a in areas.iterrows()]
    for r in area_recs:
        r["version"] = int(r["version"])
    measure_recs = []
    for mid, m in measures.iterrows():
        rec: dict[str, Any] = {"id": str(mid)}
        for k in (*MEASURE_FIELDS, *_META_KEYS):
            v = m[k]
            rec[k] = (list(v) if isinstance(v, list | tuple) else _iso(v)
                      if k in DATE_FIELDS else _none_if_na(v))
        rec["version"] = int(rec["version"])
        rec["cost"] = None if rec["cost"] is None else float(rec["cost"])
        measure_recs.append(rec)
    trail = pd.concat([store.history(entity="area"), store.history(entity="measure")])
    audit = [{k: (None if k in ("before", "after") and not r[k] else
                  int(r[k]) if k == "version" else r[k]) for k in _AUDIT_KEYS}
             for _, r in trail.sort_values("seq").iterrows()]
    return {"kind": STORE_EXPORT_KIND, "format": STORE_EXPORT_FORMAT,
            "schema_version": SCHEMA_VERSION, "library_version": __version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "kommun": getattr(store, "kommun", None),
            "counts": {"areas": len(area_recs), "measures": len(measure_recs),
                       "audit": len(audit)},
            "areas": area_recs, "measures": measure_recs, "audit": audit}


def write_store_export(doc: Mapping[str, Any], path: str | os.PathLike[str], *,
                       overwrite: bool = False) -> Path:
    """Write a :func:`store_export` document as JSON (gzip-compressed when the name ends
    in ``.gz``); written beside the target first, then moved into place."""
    out = Path(path).expanduser()
    if out.exists() and not overwrite:
        raise InputError(f"{out} exists; choose a new name or pass overwrite=True.")
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")
    if out.name.lower().endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return out


def is_store_export(path: str | os.PathLike[str]) -> bool:
    """True when the file looks like the store's own export (gzip or JSON), not SQLite."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(b"\x1f\x8b") or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def read_store_export(source: str | os.PathLike[str] | Mapping[str, Any]) -> StoreExport:
    """A store export (a file written by :func:`write_store_export`, or its document),
    checked record by record; every problem is listed at once.

    Raises
    ------
    InputError
        Not an export of this kind, or a format or schema version this library does not
        read.
    ValidationError
        Records that break the model's rules (``"area 3: name: ..."``).
    """
    doc = _load_export(source) if not isinstance(source, Mapping) else source
    name = source if not isinstance(source, Mapping) else "the export"
    if doc.get("kind") != STORE_EXPORT_KIND:
        raise InputError(f"{name} is not an export of a measure store (kind "
                         f"{doc.get('kind')!r}); give a file written by `lagesbild measures "
                         "backup` or MeasureStore.export_store().")
    if doc.get("format") != STORE_EXPORT_FORMAT \
            or doc.get("schema_version") not in READABLE_EXPORT_VERSIONS:
        raise InputError(f"{name} has format {doc.get('format')!r} / schema version "
                         f"{doc.get('schema_version')!r}; this library reads format "
                         f"{STORE_EXPORT_FORMAT}, schema versions "
                         f"{', '.join(map(str, READABLE_EXPORT_VERSIONS))}. Use the library "
                         "version that wrote it.")
    problems: list[tuple[str, str, str]] = []
    areas = [_export_area(i, r, problems) for i, r in enumerate(_records(doc, "areas"), 1)]
    ids = {a["id"] for a in areas}
    measures = [_export_measure(i, r, ids, problems)
                for i, r in enumerate(_records(doc, "measures"), 1)]
    audit = [_export_audit(i, r, problems) for i, r in enumerate(_records(doc, "audit"), 1)]
    if problems:
        raise ValidationError(problems)
    kommun = doc.get("kommun")
    return StoreExport(kommun=str(kommun) if kommun else None,
                       schema_version=int(doc["schema_version"]),
                       created_at=str(doc.get("created_at") or ""),
                       areas=areas, measures=measures, audit=audit)


def _load_export(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
        if data.startswith(b"\x1f\x8b"):
            data = gzip.decompress(data)
        doc = json.loads(data.decode("utf-8-sig"))
    except OSError as exc:
        raise InputError(f"Cannot read {p}: {exc}.") from None
    except (EOFError, gzip.BadGzipFile, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{p} is not a readable store export ({exc}); nothing was "
                         "restored.") from None
    if not isinstance(doc, dict):
        raise InputError(f"{p} is not a store export (no JSON object).")
    return doc


def _records(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    recs = doc.get(key)
    if not isinstance(recs, list) or not all(isinstance(r, Mapping) for r in recs):
        raise InputError(f"The export's {key!r} is not a list of records.")
    return recs


def _export_meta(where: str, r: Mapping[str, Any], problems: list[tuple[str, str, str]]
                 ) -> dict[str, Any]:
    out = {k: r.get(k) for k in _META_KEYS}
    v = out["version"]
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        problems.append((f"{where}: version", f"must be a whole number ≥ 1, got {v!r}",
                         f"måste vara ett heltal ≥ 1, fick {v!r}"))
    for k in ("created_at", "updated_at", "deleted_at"):
        if out[k] is None and k == "deleted_at":
            continue
        try:
            ts = dt.datetime.fromisoformat(str(out[k]))
            if ts.tzinfo is None:
                raise ValueError("no time zone")
        except (TypeError, ValueError):
            problems.append((f"{where}: {k}", f"must be a UTC time (ISO 8601), got {out[k]!r}",
                             f"måste vara en tidpunkt (ISO 8601), fick {out[k]!r}"))
    for k in ("created_by", "updated_by", "deleted_by"):
        if not isinstance(out[k], str) and not (k == "deleted_by" and out[k] is None):
            problems.append((f"{where}: {k}", f"must be a user name, got {out[k]!r}",
                             f"måste vara ett användarnamn, fick {out[k]!r}"))
    return out


def _export_area(i: int, r: Mapping[str, Any], problems: list[tuple[str, str, str]]
                 ) -> dict[str, Any]:
    where = f"area {i}"
    values, probs, _ = validate_area({k: r.get(k) for k in _AREA_KEYS})
    problems += [(f"{where}: {f}", en, f"område {i}: {sv}") for f, en, sv in probs]
    if not isinstance(r.get("id"), str) or not r.get("id"):
        problems.append((f"{where}: id", "is missing", "saknas"))
    return {"id": str(r.get("id")), **values, **_export_meta(where, r, problems)}


def _export_measure(i: int, r: Mapping[str, Any], area_ids: set[str],
                    problems: list[tuple[str, str, str]]) -> dict[str, Any]:
    where = f"measure {i}"
    fields = {k: r.get(k) for k in MEASURE_FIELDS}
    values, probs = validate_measure(fields)
    problems += [(f"{where}: {f}", en, f"åtgärd {i}: {sv}") for f, en, sv in probs]
    if not isinstance(r.get("id"), str) or not r.get("id"):
        problems.append((f"{where}: id", "is missing", "saknas"))
    if values["area_id"] and values["area_id"] not in area_ids:
        problems.append((f"{where}: area_id", f"{values['area_id']!r} is not an area of the "
                                              "export", "området finns inte i filen"))
    return {"id": str(r.get("id")), **values, **_export_meta(where, r, problems)}


def _export_audit(i: int, r: Mapping[str, Any], problems: list[tuple[str, str, str]]
                  ) -> dict[str, Any]:
    where = f"audit row {i}"
    out = {k: r.get(k) for k in _AUDIT_KEYS}
    if out["entity"] not in ("area", "measure"):
        problems.append((f"{where}: entity", f"must be 'area' or 'measure', got "
                                             f"{out['entity']!r}", "måste vara area/measure"))
    for k in ("entity_id", "action", "user", "at"):
        if not isinstance(out[k], str) or not out[k]:
            problems.append((f"{where}: {k}", f"must be text, got {out[k]!r}",
                             f"måste vara text, fick {out[k]!r}"))
    if not isinstance(out["version"], int) or isinstance(out["version"], bool):
        problems.append((f"{where}: version", f"must be a whole number, got {out['version']!r}",
                         f"måste vara ett heltal, fick {out['version']!r}"))
    for k in ("before", "after"):
        if out[k] is not None and not isinstance(out[k], Mapping):
            problems.append((f"{where}: {k}", "must be a JSON object or null",
                             "måste vara ett JSON-objekt eller null"))
        elif not out[k]:
            out[k] = None
    return out
