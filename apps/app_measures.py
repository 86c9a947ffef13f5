"""Areas and measures in the app: saving measures (with the library's validation and
Swedish messages), the store's records for the pages' pickers, the åtgärdsplan's filters
and downloads. Reads and writes go through the shared store handle; the management view
(the status map, the Swedish tables, areas drawn and reshaped) is :mod:`app_management`."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from app_config import list_areas, list_measures, store
from app_ui import friendly_errors, show_problems

from lagesbild_geo.measures import validate_measure


def check_measure(fields: dict[str, Any], *, area_id: str = "pending") -> list[tuple[str, str, str]]:
    """Validation problems of a measure form (the library's rules, Swedish messages)."""
    problems: list[tuple[str, str, str]] = []
    if not fields.get("target_categories"):
        problems.append(("target_categories", "at least one target category is required",
                         "välj minst en målkategori – vilka brott ska åtgärden minska?"))
    _, lib_problems = validate_measure({**fields, "area_id": area_id})
    problems += [p for p in lib_problems if p[0] != "target_categories" or not problems]
    return problems


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


def area_names(areas: pd.DataFrame) -> dict[str, str]:
    """``{area id: name}`` (areas are indexed by id)."""
    return {str(i): str(n) for i, n in zip(areas.index, areas["name"], strict=True)}


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
    rec = {str(k): v for k, v in measures.loc[measure_id].to_dict().items()}
    rec["id"] = measure_id
    return rec


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
