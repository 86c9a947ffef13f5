"""Areas and measures in the app: saving (with the library's validation and Swedish
messages), the Swedish tables of the store's records, the åtgärdsplan's filters and
downloads, and the audit trail. Reads and writes go through the shared store handle."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from app_config import list_areas, list_measures, store
from app_ui import (
    FIELD_LABELS_SV,
    _measure_constants,
    category_label,
    friendly_errors,
    show_problems,
)

from lagesbild_geo import svformat
from lagesbild_geo.dashboard import table_sv
from lagesbild_geo.measures import validate_measure


def _is_blank_measure(fields: dict[str, Any]) -> bool:
    return not fields.get("title") and not fields.get("target_categories")


def check_measure(fields: dict[str, Any], *, area_id: str = "pending") -> list[tuple[str, str, str]]:
    """Validation problems of a measure form (the library's rules, Swedish messages)."""
    problems: list[tuple[str, str, str]] = []
    if not fields.get("target_categories"):
        problems.append(("target_categories", "at least one target category is required",
                         "välj minst en målkategori – vilka brott ska åtgärden minska?"))
    _, lib_problems = validate_measure({**fields, "area_id": area_id})
    problems += [p for p in lib_problems if p[0] != "target_categories" or not problems]
    return problems


def save_area(*, name: str, geometry: dict[str, Any], description: str = "",
              measure: dict[str, Any] | None = None, user: str) -> str | None:
    """Save a drawn area (and an optional first measure); ``None`` after showing problems."""
    problems: list[tuple[str, str, str]] = []
    if not name.strip():
        problems.append(("name", "name required", "ge området ett namn"))
    with_measure = measure is not None and not _is_blank_measure(measure)
    if with_measure:
        assert measure is not None
        problems += check_measure(measure)
    if problems:
        show_problems(problems, "Området sparades inte")
        return None
    s = store()
    area = s.add_area(name=name.strip(), geometry=geometry, description=description,
                      created_by=user)
    if with_measure:
        assert measure is not None
        try:
            s.add_measure(area_id=area.id, created_by=user, **measure)
        except Exception:
            s.delete_area(area.id, user=user)  # all or nothing for the user
            raise
    return str(area.id)


def save_measure(*, area_id: str, fields: dict[str, Any], user: str) -> bool:
    """Add a measure to an area; shows the problems and returns False when refused."""
    problems = check_measure(fields, area_id=area_id)
    if problems:
        show_problems(problems, "Åtgärden sparades inte")
        return False
    store().add_measure(area_id=area_id, created_by=user, **fields)
    return True


def update_measure(measure_id: str, fields: dict[str, Any], *, expected_version: Any,
                   user: str) -> bool:
    """Save an edit (optimistic locking: a stale form gives a conflict message)."""
    problems = check_measure(fields, area_id="x")
    if problems:
        show_problems(problems, "Ändringen sparades inte")
        return False
    store().update_measure(measure_id, fields, expected_version=int(expected_version), user=user)
    return True


def save_candidate_area(row: pd.Series, *, name: str, user: str) -> str:
    """Save a hotspot group, cluster or district (a row of ``area_candidates``) as an area."""
    kwargs: dict[str, Any] = {}
    if row["kind"] == "cluster":
        kwargs["source_cluster"] = row["source_id"]
    elif row["kind"] == "hotspot":
        kwargs["source_cells"] = row["source_id"].split(",")
    area = store().add_area(name=name.strip() or str(row["name"]), geometry=row["geometry"],
                            description=f"Skapat från {row['label']}", created_by=user, **kwargs)
    return str(area.id)


def measures_or_stop(error_title: str, empty_text: str) -> pd.DataFrame:
    """The store's measures; stops the page with a friendly message when there are none
    or the store cannot be read."""
    measures = None
    with friendly_errors(error_title):
        measures = list_measures()
    if measures is None:
        st.stop()
    if len(measures) == 0:
        st.info(empty_text)
        st.stop()
    return measures


# --------------------------------------------------------------------------- Swedish tables


def _local_time(values: pd.Series) -> list[str]:
    """Stored UTC ISO times as Swedish local time ("5 december 2026 14:03")."""
    return [svformat.datetime_sv(pd.Timestamp(v)) if isinstance(v, str) and v else svformat.MISSING
            for v in values.tolist()]


def area_names(areas: pd.DataFrame) -> dict[str, str]:
    """``{area id: name}`` (areas are indexed by id)."""
    return {str(i): str(n) for i, n in zip(areas.index, areas["name"], strict=True)}


def areas_table(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Saved areas as a Swedish table (text: decimal comma, local time, "–" when missing)."""
    cols = {"name": "Namn", "n_measures": "Åtgärder", "area_km2": "Yta (km²)",
            "description": "Beskrivning", "updated_by": "Senast ändrad av", "updated_at": "Ändrad"}
    t = pd.DataFrame(areas.drop(columns="geometry", errors="ignore"))
    t = t[[c for c in cols if c in t.columns]]
    if "updated_at" in t:
        t = t.assign(updated_at=_local_time(t["updated_at"]))
    return table_sv(t.rename(columns=cols), decimals={"Yta (km²)": 3})


def deleted_areas() -> gpd.GeoDataFrame:
    a = list_areas(include_deleted=True)
    if "deleted_at" not in a.columns:
        return a.iloc[0:0]
    return a[a["deleted_at"].notna()]


def deleted_measures() -> pd.DataFrame:
    m = list_measures(include_deleted=True)
    if "deleted_at" not in m.columns:
        return m.iloc[0:0]
    return m[m["deleted_at"].notna()]


def measure_titles(measures: pd.DataFrame) -> dict[str, str]:
    area = measures["area_name"] if "area_name" in measures.columns else pd.Series("", index=measures.index)
    return {str(i): f"{t} ({a})" for i, t, a in zip(measures.index, measures["title"], area, strict=True)}


def measure_record(measures: pd.DataFrame, measure_id: str) -> dict[str, Any]:
    rec = measures.loc[measure_id].to_dict()
    rec["id"] = measure_id
    return rec


MEASURE_COLUMNS_SV: dict[str, str] = {
    "title": "Åtgärd", "area_name": "Område", "target_categories": "Målkategorier",
    "status": "Status", "responsible": "Ansvarig", "start_date": "Start", "end_date": "Slut",
    "next_followup": "Nästa uppföljning", "indicator": "Indikator", "cost": "Kostnad (kr)",
    "partners": "Samverkan", "updated_by": "Senast ändrad av",
}


def measures_table(measures: pd.DataFrame) -> pd.DataFrame:
    """Measures as a Swedish table: labels instead of ids, dates in words, "–" when missing."""
    _, actors, _ = _measure_constants()
    t = pd.DataFrame(measures)
    if "target_categories" in t:
        t["target_categories"] = [", ".join(category_label(c) for c in (v or [])) for v in t["target_categories"]]
    if "partners" in t:
        t["partners"] = [", ".join(v or []) for v in t["partners"]]
    if "responsible" in t:
        t["responsible"] = [actors.get(v, "") if isinstance(v, str) else "" for v in t["responsible"]]
    for c in ("start_date", "end_date", "next_followup"):
        if c in t:
            t[c] = [svformat.date_sv(pd.Timestamp(v).date()) if not svformat.is_missing(v) else None
                    for v in t[c].tolist()]
    t = t[[c for c in MEASURE_COLUMNS_SV if c in t.columns]].rename(columns=MEASURE_COLUMNS_SV)
    return table_sv(t, decimals={"Kostnad (kr)": 0})


PLAN_SORT: dict[str, str] = {
    "status": "Status (planerad → genomförd)", "start_date": "Startdatum", "title": "Åtgärd",
    "area_name": "Område", "next_followup": "Nästa uppföljning", "updated_at": "Senast ändrad",
}


def filter_measures(measures: pd.DataFrame, *, statuses: Sequence[str] = (),
                    categories: Sequence[str] = (), areas: Sequence[str] = (),
                    sort: str = "status") -> pd.DataFrame:
    """Measures narrowed and sorted as chosen on the åtgärdsplan page."""
    keep = pd.Series(True, index=measures.index)
    if statuses:
        keep &= measures["status"].isin(list(statuses))
    if categories:
        want = set(categories)
        keep &= measures["target_categories"].map(lambda v: bool(want & set(v or [])))
    if areas:
        keep &= measures["area_name"].astype(str).isin(list(areas))
    out = measures[keep]
    if sort != "status" and sort in out.columns:
        out = out.sort_values(sort, na_position="last", kind="stable")
    return out


def _export_bytes(method: str, suffix: str, allow: Sequence[str]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"atgardsplan{suffix}"
        getattr(store(), method)(path, allow_personal_data=tuple(allow))
        return path.read_bytes()


def plan_excel_bytes(allow_personal_data: Sequence[str] = ()) -> bytes:
    return _export_bytes("export_plan_excel", ".xlsx", allow_personal_data)


def plan_csv_bytes(allow_personal_data: Sequence[str] = ()) -> bytes:
    return _export_bytes("export_plan_csv", ".csv", allow_personal_data)


_ACTION_SV = {"create": "skapad", "update": "ändrad", "delete": "borttagen", "restore": "återställd",
              "import": "importerad"}


def _history_value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v) or svformat.MISSING
    return svformat.MISSING if svformat.is_missing(v) or v == "" else str(v)


def history_table(measure_id: str) -> pd.DataFrame:
    """The audit trail of one measure in Swedish: when (local time), who, what, before → after."""
    h = store().history(measure_id)

    def change(row: pd.Series) -> str:
        if row["action"] == "create":
            return "ny åtgärd"
        parts = []
        for f in row["fields"]:
            before, after = row["before"].get(f), row["after"].get(f)
            parts.append(f"{FIELD_LABELS_SV.get(f, f)}: {_history_value(before)} → {_history_value(after)}")
        return "; ".join(parts)

    return pd.DataFrame({
        "Tid": _local_time(h["at"]),
        "Vem": h["user"],
        "Händelse": h["action"].map(lambda a: _ACTION_SV.get(a, a)),
        "Version": [svformat.integer(v) for v in h["version"]],
        "Ändring": [change(r) for _, r in h.iterrows()] if len(h) else [],
    })
