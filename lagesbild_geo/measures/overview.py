"""Measures as a management view: status colours, follow-ups due, the audit trail in words.

What a coordinator's overview of the åtgärdsplan needs besides the records: which
status an area shows on a map (:func:`area_status`, :data:`STATUS_COLOURS`), when a
follow-up is due in words (:func:`followup_due_sv`: "12 dagar sen", "om 5 dagar"),
and each change of the audit trail as a Swedish line (:func:`describe_change`,
:func:`history_sv`: "namn ändrat: «Torget» → «Centrumtorget»", "form ändrad
(0,63 km² → 0,81 km²)").

Examples
--------
>>> followup_due_sv("2026-01-10", "pågående", today="2026-02-01")
'22 dagar sen'
>>> describe_change("area", "update", {"name": "Torget"}, {"name": "Centrumtorget"})
'namn ändrat: «Torget» → «Centrumtorget»'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
from shapely.geometry import shape

from ..schema import CATEGORY_LABELS
from ..svformat import MISSING, TIMEZONE, date_sv, datetime_sv, integer, is_missing, number
from .model import ACTORS, DATE_FIELDS, STATUSES, MeasureStoreProtocol, parse_date, to_3006

__all__ = [
    "AREA_FIELD_LABELS_SV",
    "MEASURE_FIELD_LABELS_SV",
    "NO_MEASURE_COLOUR",
    "OVERDUE_COLOUR",
    "STATUS_COLOURS",
    "STATUS_LABELS_SV",
    "area_status",
    "days_late_sv",
    "describe_change",
    "followup_due_sv",
    "history_sv",
]

#: Map colour of each status: apart from one another for colour-blind eyes, and from the
#: map's other layers (hotspot reds and oranges, cluster purple, district blues).
STATUS_COLOURS: dict[str, str] = {
    "planerad": "#e6ab02",   # gold
    "pågående": "#1b9e77",   # teal
    "genomförd": "#3953a4",  # indigo
    "avbruten": "#8c8c8c",   # grey
}
#: Outline of an area without any measure.
NO_MEASURE_COLOUR = "#404040"
#: Outline of an area with a follow-up whose date has passed.
OVERDUE_COLOUR = "#c51b1b"
#: Status as a label (capitalised).
STATUS_LABELS_SV: dict[str, str] = {s: s.capitalize() for s in STATUSES}
#: Order in which an area's measures decide its colour: a running measure first.
_PRIORITY = ("pågående", "planerad", "genomförd", "avbruten")

#: Swedish names of the area fields in the audit trail.
AREA_FIELD_LABELS_SV: dict[str, str] = {
    "name": "namn", "geometry": "form", "description": "beskrivning",
    "source_cells": "hotspot-celler", "source_cluster": "kluster",
    "drawn_kommun": "kommun", "drawn_dataset": "underlag", "drawn_dataset_label": "underlag",
}
#: Swedish names of the measure fields in the audit trail.
MEASURE_FIELD_LABELS_SV: dict[str, str] = {
    "area_id": "Område", "title": "Åtgärd", "description": "Beskrivning",
    "target_categories": "Målkategorier", "problem": "Problem/orsak", "cause_tags": "Orsaker",
    "responsible": "Ansvarig", "partners": "Samverkanspartner", "start_date": "Startdatum",
    "end_date": "Slutdatum", "status": "Status", "indicator": "Uppföljningsindikator",
    "next_followup": "Nästa uppföljning", "cost": "Kostnad (kr)", "agreement": "Överenskommelse",
}
_OPEN = ("planerad", "pågående")


def area_status(measures: pd.DataFrame) -> pd.Series:
    """The status an area shows on a map: that of its most active measure.

    A running measure (``pågående``) wins, then ``planerad``, ``genomförd`` and
    ``avbruten``. Deleted measures (``deleted_at`` set) do not count.

    Parameters
    ----------
    measures
        ``MeasureStore.list_measures()`` (columns ``area_id`` and ``status``).

    Returns
    -------
    Series
        Index area id, values a status; areas without measures are absent.

    Examples
    --------
    >>> m = pd.DataFrame({"area_id": ["a", "a", "b"], "status": ["genomförd", "pågående", "avbruten"]})
    >>> area_status(m).to_dict()
    {'a': 'pågående', 'b': 'avbruten'}
    """
    if measures.empty:
        return pd.Series(dtype=object, name="status")
    m = measures
    if "deleted_at" in m.columns:
        m = m[m["deleted_at"].isna()]
    rank = m["status"].map({s: i for i, s in enumerate(_PRIORITY)}).fillna(len(_PRIORITY))
    best = (pd.DataFrame({"area_id": m["area_id"].astype(str).to_numpy(),
                          "rank": rank.to_numpy()})
            .groupby("area_id", sort=True)["rank"].min())
    out = best.map(lambda r: _PRIORITY[int(r)] if r < len(_PRIORITY) else None).dropna()
    out.name = "status"
    out.index.name = "area_id"
    return out.astype(object)


def days_late_sv(days: int) -> str:
    """How late a follow-up is, in words: ``"1 dag sen"``, ``"12 dagar sen"``.

    Examples
    --------
    >>> days_late_sv(1), days_late_sv(1234)
    ('1 dag sen', '1\\xa0234 dagar sen')
    """
    return f"{integer(days)} {'dag' if abs(int(days)) == 1 else 'dagar'} sen"


def followup_due_sv(next_followup: Any, status: str, *,
                    today: dt.date | str | None = None) -> str:
    """When a measure's follow-up is due, in words.

    ``"12 dagar sen"`` when the date has passed and the measure is still open
    (planerad or pågående), ``"i dag"``, ``"om 5 dagar"`` (``"i morgon"``), and the
    date itself for a finished or cancelled measure; "–" without a date.

    Examples
    --------
    >>> followup_due_sv("2026-03-01", "planerad", today="2026-02-24")
    'om 5 dagar'
    >>> followup_due_sv(None, "pågående"), followup_due_sv("2026-01-01", "genomförd", today="2026-02-01")
    ('–', '1 januari 2026')
    """
    problems: list[tuple[str, str, str]] = []
    due = None if is_missing(next_followup) else parse_date(next_followup, "next_followup",
                                                             problems)
    if due is None:
        return MISSING
    if status not in _OPEN:
        return date_sv(due)
    now = (parse_date(today, "today", problems) if today is not None else None) or \
        dt.datetime.now(TIMEZONE).date()
    days = (due - now).days
    if days < 0:
        return days_late_sv(-days)
    if days == 0:
        return "i dag"
    if days == 1:
        return "i morgon"
    return f"om {integer(days)} dagar"


def _km2(geojson: Any) -> str:
    try:
        return number(float(to_3006(shape(geojson)).area) / 1e6, decimals=2)
    except Exception:  # a hand-edited trail: say nothing rather than fail
        return MISSING


def _value_sv(field: str, value: Any) -> str:
    if value is None or (isinstance(value, list | tuple) and not value) or value == "":
        return MISSING
    if field == "target_categories":
        return ", ".join(CATEGORY_LABELS.get(str(c), str(c)) for c in value)
    if field == "responsible":
        return ACTORS.get(str(value), str(value))
    if field in DATE_FIELDS:
        d = parse_date(value, field, [])
        return date_sv(d) if d else str(value)
    if field == "cost":
        try:
            return f"{number(float(value), decimals=0)} kr"
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe_change(entity: str, action: str, before: Mapping[str, Any] | None,
                    after: Mapping[str, Any] | None) -> str:
    """One audit-trail row in Swedish words.

    Parameters
    ----------
    entity
        ``"area"`` or ``"measure"``.
    action
        ``create``, ``update``, ``delete``, ``restore`` (others are shown as they are).
    before, after
        The changed fields before and after (``MeasureStore.history()``).

    Examples
    --------
    >>> sq = {"type": "Polygon", "coordinates": [[[17.1, 59.37], [17.12, 59.37], [17.12, 59.375], [17.1, 59.375], [17.1, 59.37]]]}
    >>> big = {"type": "Polygon", "coordinates": [[[17.1, 59.37], [17.12, 59.37], [17.12, 59.38], [17.1, 59.38], [17.1, 59.37]]]}
    >>> describe_change("area", "update", {"geometry": sq, "description": ""}, {"geometry": big, "description": "Kväll"})
    'form ändrad (0,63 km² → 1,27 km²); beskrivning ändrad'
    >>> describe_change("measure", "update", {"status": "planerad"}, {"status": "pågående"})
    'Status: planerad → pågående'
    """
    before, after = dict(before or {}), dict(after or {})
    if entity == "area":
        simple = {"create": "området skapat", "delete": "området borttaget",
                  "restore": "området återställt", "import": "området importerat"}
        if action in simple:
            return simple[action]
        parts: list[str] = []
        fields = sorted(set(before) | set(after),
                        key=lambda f: list(AREA_FIELD_LABELS_SV).index(f)
                        if f in AREA_FIELD_LABELS_SV else 99)
        for f in fields:
            if f == "name":
                parts.append(f"namn ändrat: «{before.get(f) or MISSING}» → «{after.get(f) or MISSING}»")
            elif f == "geometry":
                parts.append(f"form ändrad ({_km2(before.get(f))} km² → {_km2(after.get(f))} km²)")
            elif f == "description":
                parts.append("beskrivning ändrad")
            elif f in ("source_cells", "source_cluster"):
                if "koppling till hotspot eller kluster ändrad" not in parts:
                    parts.append("koppling till hotspot eller kluster ändrad")
            elif f == "drawn_kommun":
                parts.append(f"kommun: {before.get(f) or MISSING} → {after.get(f) or MISSING}")
            elif f in ("drawn_dataset", "drawn_dataset_label"):
                label = after.get("drawn_dataset_label") or after.get("drawn_dataset")
                text = f"kopplat till underlaget «{label or MISSING}»"
                if text not in parts:
                    parts.append(text)
            elif f not in ("notes",):
                parts.append(f"{f} ändrat")
        return "; ".join(parts) or "ändrat"
    simple = {"create": "ny åtgärd", "delete": "åtgärden borttagen",
              "restore": "åtgärden återställd", "import": "åtgärden importerad"}
    if action in simple:
        return simple[action]
    fields = [f for f in MEASURE_FIELD_LABELS_SV if f in before or f in after]
    fields += sorted((set(before) | set(after)) - set(fields))
    return "; ".join(f"{MEASURE_FIELD_LABELS_SV.get(f, f)}: {_value_sv(f, before.get(f))} → "
                     f"{_value_sv(f, after.get(f))}" for f in fields) or "ändrad"


_ACTION_SV = {"create": "skapad", "update": "ändrad", "delete": "borttagen",
              "restore": "återställd", "import": "importerad"}


def history_sv(store: MeasureStoreProtocol, entity_id: str, *,
               entity: str = "measure") -> pd.DataFrame:
    """The audit trail of one area or measure as a Swedish table, oldest first.

    Columns ``Tid`` (Swedish local time), ``Vem``, ``Händelse``, ``Ändring`` (in words,
    :func:`describe_change`) and ``Version``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lagesbild_geo.measures import MeasureStore
    >>> with MeasureStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", user="anna") as s:
    ...     a = s.add_area(name="Torget", geometry="POLYGON ((17.1 59.37, 17.11 59.37, 17.11 59.375, 17.1 59.37))")
    ...     _ = s.update_area(a.id, {"name": "Centrumtorget"}, expected_version=1)
    ...     history_sv(s, a.id, entity="area")["Ändring"].tolist()
    ['området skapat', 'namn ändrat: «Torget» → «Centrumtorget»']
    """
    h = store.history(entity_id, entity=entity)
    return pd.DataFrame({
        "Tid": [datetime_sv(pd.Timestamp(t)) for t in h["at"]],
        "Vem": [str(u) for u in h["user"]],
        "Händelse": [_ACTION_SV.get(str(a), str(a)) for a in h["action"]],
        "Ändring": [describe_change(entity, str(r["action"]), r["before"], r["after"])
                    for _, r in h.iterrows()],
        "Version": [int(v) for v in h["version"]],
    }, columns=["Tid", "Vem", "Händelse", "Ändring", "Version"])
