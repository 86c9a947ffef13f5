"""The one publishing step: what may be shown or handed over, and what must be hidden.

Every outward surface takes its numbers from :func:`publishable`: the export
package (:mod:`lagesbild_geo.export`), the report (:mod:`lagesbild_geo.report`),
the map (:mod:`lagesbild_geo.maps`), the app's tables and figures and the CLI's
shareable tables. Nothing else decides what is hidden.

* **Primary suppression**: a count of 1 … ``min_count``−1 incidents is hidden
  (listed in ``suppressed_primary``; zero stays zero).
* **Secondary (complementary) suppression**: further values are hidden
  (``suppressed_secondary``; or, for a zero, ``suppressed_primary``) until no hidden
  value can be narrowed to a single number from what is published with it: row
  totals, the kommun's totals per category, district totals, the outside row,
  shares and rates, the change against the previous period, parent cells, the
  hour/weekday/month tables and the other layers. The check is the *interval
  audit* (tau-Argus's "protection interval"): every hidden value is minimised and
  maximised by linear programming over all tables consistent with the published
  figures, and must keep at least two possible values (:mod:`lagesbild_geo._protect`).
* Derived values (rates, shares, changes, p-values, top categories) go with the counts
  they rest on; Gi* z-scores and p-values go as soon as one cell's count is hidden (each
  rests on the grid's mean and standard deviation, which two of them give back).
* Survey values resting on fewer than ``min_respondents`` respondents are hidden, and
  the survey's cells are protected against its districts (whole cells hidden).
* :func:`audit_package` attacks a written package with the same equations.
* Free text that leaves the kommun (area names, measure texts, district names)
  is checked for personnummer, phone numbers, e-mail addresses and person names
  (:func:`check_free_text`); the export refuses unless a field is explicitly allowed.
* Columns that look like personal data are found by header and content
  (:func:`find_personal_data`) and never exported.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from . import _protect, grid, hotspots
from ._personal import (
    EMAIL_PATTERN,
    FREE_TEXT_FIELDS,
    PHONE_ANY_PATTERN,
    PHONE_FULL_PATTERN,
    TEXT_FINDING_COLUMNS,
    check_free_text,
    contains_valid_personnummer,
    find_personal_text,
    is_personnummer,
    luhn_ok,
)
from ._protect import PRIMARY, SECONDARY, SHOWN
from .bundle import Lagesbild
from .errors import InputError, PrivacyError, PrivacyWarning
from .limits import extract_zip, load_json
from .period import Period, in_period, instants, month_of
from .schema import CATEGORIES, CATEGORY_LABELS, fold, hour_known, weekday_known
from .settings import Settings
from .survey import perceived_vs_reported
from .svformat import count_text

__all__ = [
    "AUDIT_COLUMNS",
    "FINDING_COLUMNS",
    "FREE_TEXT_FIELDS",
    "TEXT_FINDING_COLUMNS",
    "Privacy",
    "audit_package",
    "check_free_text",
    "find_personal_data",
    "find_personal_text",
    "hidden_kind",
    "is_personnummer",
    "left_out_sv",
    "luhn_ok",
    "protect_table",
    "publishable",
    "publishable_together",
    "resolve_privacy",
    "suppress_survey",
    "values_with_personal_data",
]

#: Columns of the table returned by :func:`find_personal_data`.
FINDING_COLUMNS: tuple[str, ...] = ("table", "column", "kind", "evidence", "detail")


@dataclass(frozen=True)
class Privacy:
    """Privacy options of an export or report.

    Parameters
    ----------
    min_count
        Aggregates of fewer incidents are suppressed; ``None`` takes
        ``settings.min_count`` of the bundle (default 3).
    min_respondents
        Survey values resting on fewer respondents are suppressed; ``None`` takes
        ``settings.min_respondents`` (default 5).
    small_cells
        ``"suppress"`` (count omitted, ``suppressed: true``) or ``"rollup"``
        (cells below the threshold are merged into their H3 parent cell; a
        parent still below the threshold is suppressed).
    include_points
        Export individual incidents and survey pins as points. Off by default;
        when on, the metadata carries a warning.
    exclude_columns
        Extra column names never to export (in addition to what is detected).

    Examples
    --------
    >>> Privacy(min_count=5).small_cells
    'suppress'
    """

    min_count: int | None = None
    min_respondents: int | None = None
    small_cells: str = "suppress"
    include_points: bool = False
    exclude_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.small_cells not in ("suppress", "rollup"):
            raise InputError(
                f"Privacy(small_cells={self.small_cells!r}) is not known; "
                "expected 'suppress' or 'rollup'."
            )
        for name in ("min_count", "min_respondents"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise InputError(f"Privacy({name}={v}) must be at least 1.")


# Common Swedish first names (SCB's most frequent), folded.
_FIRST_NAMES = frozenset(
    ["anna", "eva", "maria", "karin", "sara", "kristina", "lena", "emma", "kerstin", "marie", "malin", "ingrid", "jenny", "hanna", "linda", "elin", "annika", "susanne", "monica", "birgitta", "johanna", "sofia", "carina", "elisabeth", "ulla", "katarina", "linnea", "helena", "marianne", "emilia", "ida", "julia", "ella", "alice", "maja", "wilma", "ebba", "lisa", "erik", "lars", "karl", "anders", "johan", "per", "nils", "carl", "mikael", "jan", "hans", "peter", "olof", "lennart", "gunnar", "sven", "fredrik", "daniel", "bengt", "alexander", "bo", "magnus", "leif", "mats", "stefan", "ulf", "oskar", "andreas", "thomas", "goran", "bjorn", "christer", "jonas", "martin", "kjell", "henrik", "mohammed", "ali", "ahmed", "liam", "noah", "william", "hugo", "lucas", "elias", "adam", "oliver", "isak", "filip", "viktor", "gustav", "axel", "ahmad"]
)
_SURNAME_END = re.compile(
    r"(son|sson|berg|strom|qvist|kvist|lund|gren|dahl|lin|ander|holm|blom|stedt|man)$"
)
_NAME_SHAPE = re.compile(r"^[A-ZÅÄÖÉ][a-zåäöéü]+(?:[ -][A-ZÅÄÖÉ][a-zåäöéü]+){1,3}$")

# Headers (folded, tokens joined by "_")
_HEADER_PNR = ("personnummer", "personnr", "pnr", "persnr", "personnumer", "samordningsnummer",
               "samordningsnr", "fodelsenummer", "fodelsedatum", "personal_number",
               "personal_id_number", "ssn", "social_security_number", "personid", "person_nr")
_HEADER_NAME_EXACT = ("namn", "name", "fullname", "full_name", "fullstandigt_namn", "person",
                      "personnamn", "kontakt", "kontaktperson", "contact", "contact_person",
                      "handlaggare", "utredare", "created_by", "updated_by", "deleted_by",
                      "registrerad_av", "anvandare", "user", "username")
_HEADER_NAME_STEMS = ("fornamn", "efternamn", "tilltalsnamn", "mellannamn", "firstname",
                      "first_name", "lastname", "last_name", "surname", "given_name",
                      "family_name", "anmalare", "malsagande", "misstankt", "vittne",
                      "gärningsperson", "garningsperson", "kontaktperson", "reporter_name",
                      "victim", "suspect", "witness", "complainant")
_HEADER_PHONE = ("telefon", "telefonnummer", "tel", "tfn", "mobil", "mobilnummer", "mobiltelefon",
                 "phone", "phone_number", "mobile", "telephone", "telnr")
_HEADER_EMAIL = ("e_post", "epost", "epostadress", "e_postadress", "email", "e_mail", "mejl",
                 "mail", "mailadress", "email_address")
_HEADER_FREE = ("kommentar", "kommentarer", "beskrivning", "summary", "description", "fritext",
                "notering", "noteringar", "anteckning", "anteckningar", "meddelande", "text",
                "comment", "comments", "notes", "note", "message", "handelseforlopp",
                "berattelse", "ovrigt", "ovrig_information", "motivering", "details", "body",
                "free_text", "fritt_svar", "svar_fritext")


def _header_key(column: object) -> str:
    return fold(column).replace(" ", "_")


def _header_kind(column: object) -> tuple[str, str] | None:
    key = _header_key(column)
    if not key:
        return None
    tokens = key.split("_")
    if key in _HEADER_PNR or any(t in _HEADER_PNR for t in tokens):
        return "personnummer", f"header {column!r}"
    if key in _HEADER_EMAIL or any(t in ("epost", "email", "mejl") for t in tokens):
        return "email", f"header {column!r}"
    if key in _HEADER_PHONE or any(t in _HEADER_PHONE for t in tokens):
        return "phone", f"header {column!r}"
    if key in _HEADER_NAME_EXACT or any(s in key for s in _HEADER_NAME_STEMS):
        return "name", f"header {column!r}"
    if (tokens[-1] in ("namn", "name") and len(tokens) > 1
            and tokens[0] in ("anmalarens", "kontakt", "person", "contact", "reporter",
                              "malsagandes", "misstankts", "vittnets")):
        return "name", f"header {column!r}"
    if key in _HEADER_FREE or tokens[0] in ("kommentar", "beskrivning", "fritext", "comment"):
        return "free_text", f"header {column!r}"
    return None


def _sample(values: pd.Series, n: int) -> pd.Series:
    """Up to ``n`` non-missing values, evenly spaced (deterministic), as stripped text.

    Numbers carry personal data only as long digit strings (phone numbers,
    personnummer stored as numbers), so numeric columns keep values ≥ 10⁶ only.
    """
    s = values.dropna()
    if s.dtype.kind in "fiu":
        arr = s.to_numpy(dtype="float64")
        keep = np.isfinite(arr) & (np.abs(arr) >= 1e6) & (arr == np.floor(arr))
        s = s[keep].astype("int64")
    if len(s) > 2 * n:  # sample before converting: a column may hold millions of rows
        idx = np.unique(np.linspace(0, len(s) - 1, 2 * n).round().astype(int))
        s = s.iloc[idx]
    s = s.astype(str).str.strip()
    s = s[s != ""]
    if len(s) > n:
        idx = np.unique(np.linspace(0, len(s) - 1, n).round().astype(int))
        s = s.iloc[idx]
    return s


def _content_kind(values: pd.Series, *, sample: int) -> tuple[str, str] | None:
    if values.dtype.kind in "bMmc":
        return None
    s = _sample(values, sample)
    if s.empty:
        return None
    n = len(s)
    phone_full = s.str.match(PHONE_FULL_PATTERN)
    if phone_full.mean() >= 0.5 and s.str.match(r"^\s*(?:\+46|0046|0)").mean() >= 0.5:
        return "phone", f"{int(phone_full.sum())} of {n} sampled values are phone numbers"
    pnr_shape = s.map(lambda v: is_personnummer(v, check_luhn=False))
    if pnr_shape.mean() >= 0.5:
        return "personnummer", f"{int(pnr_shape.sum())} of {n} sampled values have the personnummer shape"
    pnr_in_text = s.map(contains_valid_personnummer)
    if pnr_in_text.any() and (pnr_in_text.mean() >= 0.2 or s.str.contains(r"\d{6}[-+]\d{4}").any()):
        return "personnummer", f"{int(pnr_in_text.sum())} of {n} sampled values contain a valid personnummer"
    email = s.str.contains(EMAIL_PATTERN)
    if email.any():
        return "email", f"{int(email.sum())} of {n} sampled values contain an e-mail address"
    phone_any = s.str.contains(PHONE_ANY_PATTERN)
    if phone_any.mean() >= 0.2:
        return "phone", f"{int(phone_any.sum())} of {n} sampled values contain a phone number"

    def _is_person_name(v: str) -> bool:
        if not _NAME_SHAPE.match(v):
            return False
        parts = [fold(p) for p in re.split(r"[ -]", v)]
        return parts[0] in _FIRST_NAMES or bool(_SURNAME_END.search(parts[-1]))

    names = s.map(_is_person_name)
    if names.mean() >= 0.5 and n >= 3:
        return "name", f"{int(names.sum())} of {n} sampled values look like person names"
    lengths = s.str.len()
    words = s.str.count(r"\s+") + 1
    if (lengths.mean() >= 40 and words.mean() >= 6
            and s.nunique() >= 0.8 * n and n >= 3):
        return "free_text", f"sampled values average {lengths.mean():.0f} characters, {words.mean():.0f} words"
    return None


def find_personal_data(
    frame: pd.DataFrame,
    *,
    table: str = "",
    headers: bool = True,
    content: bool = True,
    sample: int = 500,
    ignore: Iterable[str] = ("geometry",),
) -> pd.DataFrame:
    """Columns of ``frame`` that look like personal data or free text.

    A column is flagged by its **header** (personnummer, personnr, pnr,
    samordningsnummer; namn/name, förnamn, efternamn, anmälare, målsägande,
    misstänkt, vittne, kontaktperson, handläggare; telefon, mobil, phone;
    e-post, email, mejl; kommentar, beskrivning, summary, fritext …) or by its
    **content**, sampled deterministically (up to ``sample`` non-missing values,
    evenly spaced):

    * personnummer/samordningsnummer: half the values have the shape
      (YY)YYMMDD[-+]NNNC with a valid month and day (day + 60 for
      samordningsnummer), or any value *contains* a number that also passes
      the Luhn check;
    * e-mail: any value contains an address;
    * phone: half the values are Swedish phone numbers (or a fifth contain one);
    * names: half the values are 2–4 capitalised words starting with a common
      Swedish first name or ending in a common surname ending;
    * free text: long (≥ 40 characters, ≥ 6 words on average), mostly unique values.

    Parameters
    ----------
    frame
        Any table; it is not modified.
    table
        Name of the table, copied into the result.
    headers, content
        Which evidence to use.
    sample
        Values sampled per column.
    ignore
        Columns never examined.

    Returns
    -------
    DataFrame
        One row per flagged column: ``table``, ``column``, ``kind``
        (``personnummer``, ``name``, ``phone``, ``email``, ``free_text``),
        ``evidence`` (``header`` or ``content``) and ``detail``.

    Examples
    --------
    >>> df = pd.DataFrame({"pnr": ["x"], "uppgift": ["070-123 45 67"], "antal": [3]})
    >>> find_personal_data(df, table="t")[["column", "kind", "evidence"]].to_dict("records")
    [{'column': 'pnr', 'kind': 'personnummer', 'evidence': 'header'}, {'column': 'uppgift', 'kind': 'phone', 'evidence': 'content'}]
    """
    rows: list[dict[str, str]] = []
    skip = set(ignore)
    for col in frame.columns:
        if col in skip:
            continue
        found = _header_kind(col) if headers else None
        evidence = "header"
        if found is None and content:
            values = frame[col]
            if isinstance(values, pd.DataFrame):  # duplicate column names
                values = values.iloc[:, 0]
            found = _content_kind(values, sample=sample)
            evidence = "content"
        if found is not None:
            rows.append({"table": table, "column": str(col), "kind": found[0],
                         "evidence": evidence, "detail": found[1]})
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def values_with_personal_data(values: Sequence[object] | pd.Series) -> pd.Series:
    """Per value: whether it contains a Luhn-valid personnummer, an e-mail
    address or a phone number (for short texts such as area names or titles).

    Examples
    --------
    >>> values_with_personal_data(["Torget", "ring 070-1234567", "a@b.se"]).tolist()
    [False, True, True]
    """
    s = pd.Series(values, dtype="object").fillna("").astype(str)
    return (s.map(contains_valid_personnummer) | s.str.contains(EMAIL_PATTERN)
            | s.str.contains(PHONE_ANY_PATTERN)).astype(bool)


# ------------------------------------------------------------------ survey rule

def suppress_survey(
    frame: pd.DataFrame,
    *,
    n_column: str = "n",
    value_columns: Sequence[str] = (),
    min_respondents: int,
) -> pd.DataFrame:
    """Suppress survey values resting on fewer than ``min_respondents`` answers.

    In such rows every value column *and* ``n`` itself become missing and
    ``suppressed`` is true (rows already flagged ``suppressed`` stay so).

    Examples
    --------
    >>> df = pd.DataFrame({"n": [12, 3], "share_unsafe": [0.25, 0.67]})
    >>> out = suppress_survey(df, value_columns=["share_unsafe"], min_respondents=5)
    >>> out["share_unsafe"].tolist(), out["n"].tolist(), out["suppressed"].tolist()
    ([0.25, nan], [12, <NA>], [False, True])
    """
    if n_column not in frame.columns:
        raise InputError(
            f"Survey table has no respondent count column {n_column!r} (columns: "
            f"{', '.join(map(str, frame.columns))}); pass n_column= the column with the number of answers."
        )
    out = frame.copy()
    n = pd.to_numeric(out[n_column], errors="coerce")
    flag = ~(n >= min_respondents).to_numpy(dtype=bool, na_value=False)
    if "suppressed" in out.columns:
        flag = flag | out["suppressed"].fillna(False).astype(bool).to_numpy()
    for c in value_columns:
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").mask(flag)
    out[n_column] = n.round().astype("Int64").mask(flag)
    out["suppressed"] = flag.astype(bool)
    return out


# ------------------------------------------------------------------ the publishing step

_PRIMARY_COL = "suppressed_primary"
_SECONDARY_COL = "suppressed_secondary"


def resolve_privacy(lb: Lagesbild | None, privacy: Privacy | Settings | None = None) -> Privacy:
    """A :class:`Privacy` with every threshold filled (from the bundle's settings).

    Examples
    --------
    >>> resolve_privacy(None, Settings(min_count=4)).min_count
    4
    """
    s = lb.settings if lb is not None and isinstance(getattr(lb, "settings", None), Settings) else Settings()
    if isinstance(privacy, Settings):
        return Privacy(min_count=privacy.min_count, min_respondents=privacy.min_respondents)
    p = privacy or Privacy()
    return dataclasses.replace(
        p, min_count=p.min_count if p.min_count is not None else s.min_count,
        min_respondents=p.min_respondents if p.min_respondents is not None else s.min_respondents)


def _count_columns(frame: pd.DataFrame, total: str = "count") -> list[str]:
    cats = [f"count_{c}" for c in CATEGORIES if f"count_{c}" in frame.columns]
    return cats + ([total] if total in frame.columns else [])


def _as_float(frame: pd.DataFrame, cols: Sequence[str]) -> npt.NDArray[np.float64]:
    if not cols:
        return np.zeros((len(frame), 0))
    return np.column_stack([pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                            for c in cols])


def _listed(frame: pd.DataFrame, col: str) -> list[set[str]]:
    if col not in frame.columns:
        return [set() for _ in range(len(frame))]
    out = []
    for v in frame[col].tolist():
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except json.JSONDecodeError:
                v = [v]
        out.append({str(x) for x in v} if isinstance(v, (list, tuple, set, np.ndarray)) else set())
    return out


def _known_status(frame: pd.DataFrame, cols: Sequence[str], values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Status of values already hidden in ``frame`` (a package read back): from its lists."""
    st = np.full(values.shape, -1, dtype=np.int64)
    if np.isfinite(values).all():
        return st
    prim, sec = _listed(frame, _PRIMARY_COL), _listed(frame, _SECONDARY_COL)
    for j, c in enumerate(cols):
        miss = ~np.isfinite(values[:, j])
        for i in np.flatnonzero(miss):
            st[i, j] = PRIMARY if c in prim[i] else SECONDARY if c in sec[i] else _protect.HIDDEN
    return st


@dataclass
class _Tab:
    """A table of the publication: which frame rows/columns are which values."""

    frame: str
    rows: npt.NDArray[np.int64]  # positions in the frame (merged packages repeat labels)
    cols: list[str]
    idx: npt.NDArray[np.int64]


def _table(system: _protect.System, frame: pd.DataFrame, name: str, rows: npt.NDArray[np.int64],
           cols: list[str], *,
           total: str | None, col_totals: str | None,
           col_total_values: Mapping[str, float] | None = None,
           same_as: npt.NDArray[np.int64] | None = None) -> _Tab:
    """Add a table with a row-total column and (optionally) known column totals.
    ``same_as`` (rows × columns, −1 for none): values that are another table's value (the
    same quantity published twice) take its index instead of one of their own. A column
    that holds the row total in every row (one category left by a filter, the others 0)
    is the total: one value per row, not two that only the certificates' linear programs
    could tell apart (a category filter of a 419-district kommun: 330 such values)."""
    part = frame.iloc[rows]
    vals = _as_float(part, cols)
    st = _known_status(part, cols, vals)
    prio = np.broadcast_to(np.array([1 if c == total else 0 for c in cols], dtype=np.int64), vals.shape)
    idx = np.full(vals.shape, -1, dtype=np.int64) if same_as is None else \
        np.array(same_as, dtype=np.int64).reshape(vals.shape)
    body = [j for j, c in enumerate(cols) if c != total]
    jt = cols.index(total) if total is not None and total in cols else -1
    as_total = [j for j in body if jt >= 0 and len(rows) and np.isfinite(vals[:, j]).all()
                and np.array_equal(vals[:, j], vals[:, jt])] if body else []
    own = idx < 0
    own[:, as_total] = False
    if own.any():
        idx[own] = system.block(vals[own], prio=prio[own], status=st[own])
    if as_total:
        idx[:, as_total] = idx[:, [jt]]
        body = [j for j in body if j not in as_total]
    if jt >= 0 and body:
        coef = np.r_[np.ones(len(body)), -1.0]
        system.relate_rows(idx[:, [*body, jt]], coef)
        system.grid(idx[:, [*body, jt]], coef)  # rows and column totals: the audit's rectangles
    if col_totals is not None and len(rows):
        for j, c in enumerate(cols):
            given = (col_total_values or {}).get(c)
            if given is None:
                v = vals[:, j]
                given = float(v.sum()) if np.isfinite(v).all() else np.nan
            status = _protect.FREE if not np.isfinite(given) else None
            k = system.shared((col_totals, c), float(given), prio=2, status=status)
            system.relate(np.r_[idx[:, j], k], np.r_[np.ones(len(rows)), -1.0])
    return _Tab(name, rows, list(cols), idx)


def _period_of(period: Any) -> Period | None:
    """The :class:`~lagesbild_geo.period.Period` of a bundle's ``metadata["period"]`` (None without one)."""
    if not isinstance(period, Mapping) or not period.get("start") or not period.get("end"):
        return None
    return Period.from_dict(period)


def _month_aligned(period: Any) -> tuple[pd.Period, pd.Period] | None:
    """First and last month of a period that starts and ends on month boundaries."""
    p = _period_of(period)
    if p is None:
        return None
    s, e = p.start.tz_localize(None), p.end.tz_localize(None)
    if s != s.normalize() or e != e.normalize() or s.day != 1 or e.day != 1:
        return None
    return s.to_period("M"), (e - pd.Timedelta(days=1)).to_period("M")


def _profiles(lb: Lagesbild) -> dict[str, pd.DataFrame]:
    """The period's incidents by category, hour and weekday, and every month of the data."""
    inc = lb.incidents
    if not len(inc) or "category" not in inc.columns or "occurred_at" not in inc.columns:
        return {}
    meta = lb.metadata or {}
    times = pd.to_datetime(inc["occurred_at"], errors="coerce")
    mask = in_period(times, _period_of(meta.get("period")))
    cat = inc.loc[mask, "category"].astype("string")
    vc = cat.value_counts()
    order = [c for c in CATEGORY_LABELS if c in vc.index] + sorted(c for c in vc.index if c not in CATEGORY_LABELS)
    out = {"categories": pd.DataFrame({"count": vc.reindex(order).astype("int64").to_numpy()},
                                      index=pd.Index(order, name="category"))}
    t = times.loc[mask]
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("Europe/Stockholm")
    # a month as the date (an aggregated table): its first day's midnight is no weekday and no
    # hour of the incidents, and with each month's first day the weekdays gave the months back
    # (2025-02-01 and 2025-03-01 are Saturdays: Saturday less March = February); a date without
    # a time of day is no hour (its midnight would fill hour 0)
    rows = inc.loc[mask]
    by_day = t.loc[weekday_known(rows)].dropna()
    by_hour = t.loc[hour_known(rows)].dropna()
    if len(by_day) or not len(cat):  # every row a month only: no table by hour or weekday
        out["hours"] = pd.DataFrame({"count": by_hour.dt.hour.value_counts().reindex(range(24), fill_value=0)
                                     .astype("int64").to_numpy()}, index=pd.Index(range(24), name="hour"))
        out["weekdays"] = pd.DataFrame({"count": by_day.dt.day_of_week.value_counts()
                                        .reindex(range(7), fill_value=0).astype("int64").to_numpy()},
                                       index=pd.Index(range(7), name="weekday"))
    every = month_of(times).dropna()
    if len(every):
        months = every.value_counts().sort_index()
        full = pd.period_range(months.index.min(), months.index.max(), freq="M")
        months = months.reindex(full, fill_value=0)
        out["months"] = pd.DataFrame({"count": months.astype("int64").to_numpy()},
                                     index=pd.Index([str(p) for p in full], name="month"))
    return out


def _group_rows(frame: pd.DataFrame, rows: npt.NDArray[np.int64]) -> list[tuple[str, npt.NDArray[np.int64]]]:
    """Row positions per side of a merged package (``source``), else one group."""
    if "source" in frame.columns and len(rows):
        src = frame["source"].astype("string").fillna("").to_numpy()[rows]
        return [(str(s), rows[src == s]) for s in sorted(set(src.tolist()))]
    return [("", rows)]


def _mask(frame: pd.DataFrame, tab: _Tab, status: npt.NDArray[np.int64]) -> pd.DataFrame:
    """Hide the table's hidden values in ``frame`` and list them per row."""
    out = frame
    st = status[tab.idx]
    if st.size == 0:
        return out
    hidden = np.isin(st, (PRIMARY, SECONDARY, _protect.HIDDEN))
    pos = tab.rows
    for j, c in enumerate(tab.cols):
        vals = pd.to_numeric(out[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan, copy=True)
        vals[pos[hidden[:, j]]] = np.nan
        miss = ~np.isfinite(vals)
        out[c] = pd.arrays.IntegerArray(np.rint(np.where(miss, 0.0, vals)).astype("int64"), miss)
    prim = list(out[_PRIMARY_COL]) if _PRIMARY_COL in out.columns else [() for _ in range(len(out))]
    sec = list(out[_SECONDARY_COL]) if _SECONDARY_COL in out.columns else [() for _ in range(len(out))]
    prim = [tuple(v) if isinstance(v, (list, tuple)) else () for v in prim]
    sec = [tuple(v) if isinstance(v, (list, tuple)) else () for v in sec]
    is_p = st == PRIMARY
    is_s = np.isin(st, (SECONDARY, _protect.HIDDEN))
    for listed, flags in ((prim, is_p), (sec, is_s)):
        rows = np.flatnonzero(flags.any(axis=1))
        for p, add in zip(pos[rows].tolist(), _column_tuples(flags[rows], tab.cols), strict=True):
            have = listed[p]
            listed[p] = add if not have else (*have, *(c for c in add if c not in have))
    out[_PRIMARY_COL] = pd.Series(prim, index=out.index, dtype=object)
    out[_SECONDARY_COL] = pd.Series(sec, index=out.index, dtype=object)
    return out


def _column_tuples(flags: npt.NDArray[np.bool_], columns: Sequence[str]) -> list[tuple[str, ...]]:
    """Per row of ``flags``, the ``columns`` it marks (in their order): one tuple per
    distinct pattern, shared by the rows that have it (a table has few patterns)."""
    if not len(flags):
        return []
    if flags.shape[1] <= 62:  # each row's pattern as the bits of one integer
        codes, inverse = np.unique(flags @ (np.int64(1) << np.arange(flags.shape[1], dtype=np.int64)),
                                   return_inverse=True)
        patterns = (codes[:, None] >> np.arange(flags.shape[1], dtype=np.int64) & 1).astype(bool)
    else:
        patterns, inverse = np.unique(flags, axis=0, return_inverse=True)
    tuples = [tuple(c for c, f in zip(columns, row, strict=True) if f) for row in patterns.tolist()]
    return [tuples[k] for k in inverse.ravel().tolist()]


def hidden_kind(row: Mapping[Any, Any], column: str) -> str | None:
    """Why a published value is missing: ``"few"`` (fewer than ``min_count``, or a zero
    hidden with them), ``"protect"`` (hidden to protect other values) or ``None``.

    Examples
    --------
    >>> hidden_kind({"count": None, "suppressed_primary": ("count",)}, "count")
    'few'
    """
    prim = row.get(_PRIMARY_COL)
    sec = row.get(_SECONDARY_COL)
    if isinstance(prim, (list, tuple)) and column in prim:
        return "few"
    if isinstance(sec, (list, tuple)) and column in sec:
        return "protect"
    return None


def _empty_lists(frame: pd.DataFrame) -> pd.DataFrame:
    for c in (_PRIMARY_COL, _SECONDARY_COL):
        if c not in frame.columns:
            frame[c] = pd.Series([() for _ in range(len(frame))], index=frame.index, dtype=object)
    return frame


def _rollup(cells: pd.DataFrame, mc: int) -> tuple[pd.DataFrame, dict[Any, list[Any]]]:
    """Cells below ``mc`` merged into their parent (one resolution up); parent → children."""
    cols = _count_columns(cells)
    total = pd.to_numeric(cells["count"], errors="coerce").to_numpy(dtype="float64")
    small = (total > 0) & (total < mc)
    if not small.any():
        out = cells.copy()
        out["rolled_up"] = False
        return out, {}
    idx = np.asarray(cells.index, dtype=np.uint64)
    res = int(grid.cells_resolution(idx[:1])[0])
    if res == 0:
        raise PrivacyError("Cells at resolution 0 have no parent to roll up to; "
                           "use Privacy(small_cells='suppress').")
    par = grid.cells_to_parent(idx[small], res - 1)
    part = pd.DataFrame(cells.loc[small, cols].to_numpy(dtype="float64"), columns=cols)
    part["parent"] = par
    rolled = part.groupby("parent", sort=True)[cols].sum()
    children = {p: list(idx[small][par == p]) for p in rolled.index}
    rolled.index = pd.Index(np.asarray(rolled.index, dtype=np.uint64), name=cells.index.name)
    rolled = rolled.astype("int64")
    geom = grid.cells_to_polygons(np.asarray(rolled.index, dtype=np.uint64))
    rolled_g = gpd.GeoDataFrame(rolled, geometry=gpd.GeoSeries(np.asarray(geom.values), index=rolled.index,
                                                               crs="EPSG:4326"), crs="EPSG:4326")
    rolled_g["rolled_up"] = True
    keep = cells.loc[~small].copy()
    keep["rolled_up"] = False
    if isinstance(keep, gpd.GeoDataFrame) and keep.crs is not None and keep.crs.to_epsg() != 4326:
        keep = keep.to_crs("EPSG:4326")
    out = pd.concat([keep, rolled_g])
    return (gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
            if "geometry" in out.columns else out), children


_MARK = "published"
#: Row types of the district table that count once in the kommun's total.
_BODY_ROWS = ("district", "stadsdel", "kommun", "outside")


@dataclass
class _Levels:
    """Where the level figures of the district table are in the system: the stadsdel and kommun
    rows' totals, the outside row's, the sum of the districts (``metadata.counts.levels``) and
    the districts' ``stadsdel_level`` values (a table of their own)."""

    stadsdel: int | None
    kommun: int | None
    outside: int | None
    district: int | None
    tab: _Tab | None


def _level_system(system: _protect.System, summary: pd.DataFrame, tab: _Tab, tot: str,
                  attrs: Mapping[Any, Any]) -> _Levels | None:
    """Add what the level rows publish besides their own counts (the rows themselves are part
    of the district table): the sum of the districts' totals (``metadata.counts.levels.district``),
    ``kommun_level`` (= the kommun row's total, on every row) and ``stadsdel_level`` (per
    district: the stadsdel-level rows whose area overlaps it).

    ``stadsdel_level`` is a sum of the counts of groups of stadsdel-level rows (rows whose
    named area overlaps the same districts: ``attrs["stadsdel_groups"]`` of
    :func:`lagesbild_geo.districts.summarize`): differences between districts can give a
    group's count, so the groups take part as values no surface publishes (a group below
    ``min_count`` must not be pinned). Without the groups (a table made elsewhere), each
    district's value is only known to be at most the stadsdel row's total.
    """
    rt = summary["row_type"].astype(str).to_numpy()
    jt = tab.cols.index(tot)
    pos = {int(r): i for i, r in enumerate(tab.rows)}

    def row_var(kind: str) -> int | None:
        hits = [pos[int(r)] for r in np.flatnonzero(rt == kind) if int(r) in pos]
        return int(tab.idx[hits[0], jt]) if len(hits) == 1 else None

    d_rows = np.asarray([r for r in tab.rows if rt[r] == "district"], dtype=np.int64)
    d_vars = np.asarray([tab.idx[pos[int(r)], jt] for r in d_rows], dtype=np.int64)
    k_dist = None
    if d_vars.size:
        v = system.arrays()[0][d_vars]
        k_dist = int(system.block([float(v.sum()) if np.isfinite(v).all() else np.nan], prio=2,
                                  status=None if np.isfinite(v).all() else _protect.FREE)[0])
        system.relate(np.r_[d_vars, k_dist], np.r_[np.ones(d_vars.size), -1.0])
    k_st = row_var("stadsdel")
    out = _Levels(stadsdel=k_st, kommun=row_var("kommun"), outside=row_var("outside"), district=k_dist, tab=None)
    if "stadsdel_level" not in summary.columns or not d_rows.size or k_st is None:
        return out
    vals = pd.to_numeric(summary["stadsdel_level"].iloc[d_rows], errors="coerce").to_numpy(dtype="float64")
    if not (np.nan_to_num(vals, nan=1.0) != 0).any():
        return out  # every district 0: nothing at stadsdel level to protect
    st = _known_status(summary.iloc[d_rows], ["stadsdel_level"], vals.reshape(-1, 1)).ravel()
    idx = system.block(vals, prio=0, status=st)
    values = system.arrays()[0]
    groups = attrs.get("stadsdel_groups") if isinstance(attrs, Mapping) else None
    codes = summary.index.astype(str).to_numpy()[d_rows]
    modelled = False
    if isinstance(groups, Mapping) and groups.get("count"):
        counts = np.asarray(groups["count"], dtype="float64")
        where = {c: i for i, c in enumerate(codes)}
        member = [[where[c] for c in str(g).split(";") if c in where] for g in groups["districts"]]
        expect = np.zeros(len(codes))
        for m, n in zip(member, counts, strict=True):
            expect[m] += n
        if (np.isfinite(values[k_st]) and counts.sum() == values[k_st]
                and np.array_equal(np.where(np.isfinite(vals), vals, expect), expect)):
            small = (counts > 0) & (counts < system.min_count)
            g = system.block(counts, prio=_protect.NEVER,
                             status=np.where(small, PRIMARY, _protect.FREE))
            system.relate(np.r_[g, k_st], np.r_[np.ones(g.size), -1.0])
            rows_of: list[list[int]] = [[] for _ in range(len(codes))]
            for k, m in enumerate(member):
                for i in m:
                    rows_of[i].append(int(g[k]))
            for i, gs in enumerate(rows_of):
                system.relate(np.r_[gs, idx[i]], np.r_[np.ones(len(gs)), -1.0])
            modelled = True
    if not modelled:
        for i in range(len(codes)):
            system.relate([int(idx[i]), k_st], [1.0, -1.0], eq=False)
    out.tab = _Tab("district_summary", d_rows, ["stadsdel_level"], idx.reshape(-1, 1))
    return out


def _shown(system: _protect.System, status: npt.NDArray[np.int64], k: int | None) -> int | None:
    """A value as published: ``None`` where hidden (or unknown)."""
    if k is None:
        return None
    v = system.arrays()[0][k]
    return int(np.rint(v)) if status[k] == SHOWN and np.isfinite(v) else None


def _publish_level_columns(summary: pd.DataFrame, levels: _Levels, system: _protect.System,
                           status: npt.NDArray[np.int64]) -> pd.DataFrame:
    """``kommun_level`` (every row) and ``stadsdel_level`` (rows other than districts) as the
    kommun and stadsdel rows' published totals; hidden with them, and listed so."""
    out = _empty_lists(summary)
    rt = out["row_type"].astype(str).to_numpy() if "row_type" in out.columns else np.array([])
    prim, sec = list(out[_PRIMARY_COL]), list(out[_SECONDARY_COL])
    for col, key, which in (("kommun_level", levels.kommun, np.ones(len(out), dtype=bool)),
                            ("stadsdel_level", levels.stadsdel, rt != "district")):
        if col not in out.columns or key is None:
            continue
        v = _shown(system, status, key)
        vals = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan, copy=True)
        vals[which] = np.nan if v is None else float(v)
        out[col] = pd.array(np.where(np.isfinite(vals), vals, 0).astype("int64"), dtype="Int64")
        out.loc[~np.isfinite(vals), col] = pd.NA
        if v is None:
            for i in np.flatnonzero(which):
                if status[key] == PRIMARY and col not in prim[i]:
                    prim[i] = (*tuple(prim[i]), col)
                elif status[key] != PRIMARY and col not in sec[i]:
                    sec[i] = (*tuple(sec[i]), col)
    out[_PRIMARY_COL] = pd.Series([tuple(x) for x in prim], index=out.index, dtype=object)
    out[_SECONDARY_COL] = pd.Series([tuple(x) for x in sec], index=out.index, dtype=object)
    return out


def _published_counts(counts: Any, levels: _Levels | None, system: _protect.System,
                      status: npt.NDArray[np.int64], kommun_keys: Mapping[str, int],
                      attrs: Mapping[Any, Any], mc: int) -> dict[str, Any]:
    """``metadata["counts"]`` as published: the levels (district, stadsdel, kommun, outside,
    total) and the period's total are the protected figures of the district table (``None``
    where hidden); the rows left out by category, pending, rejected, off the grid, of other
    kommuner and at län level below ``min_count`` are hidden (``None``), and the rejected
    total with a hidden part; ``placed`` (every period: with the period's total it could
    reveal a hidden previous period), ``by_precision`` (the build's own check) and
    ``not_on_grid`` (the rows off the grid per precision: with the total they would give a
    hidden level back) are not published."""
    out = {k: v for k, v in counts.items() if k != "placed"} if isinstance(counts, Mapping) else {}

    def few(v: Any) -> int | None:
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return None
        v = int(v)
        return None if 0 < v < mc else v

    if isinstance(out.get("excluded"), Mapping):
        out["excluded"] = {str(k): few(v) for k, v in out["excluded"].items()}
    for k in ("pending", "rejected", "other_kommun", "lan_level"):
        if k in out:
            out[k] = few(out[k])
    if any(k in out and out[k] is None for k in ("other_kommun", "lan_level")):
        out["rejected"] = None  # the rejected total less a shown part would give a hidden one
    # rows off the grid per precision: the kommun-level ones are the kommun level's count, and
    # with the total they gave a hidden level figure back (the police feed's Göteborg: 110 −
    # 109 = 1 placed in a district); the levels below carry what may be shown of them
    out.pop("not_on_grid", None)
    k_total = kommun_keys.get("total", kommun_keys.get("count"))
    if "placed_in_period" in out and k_total is not None:  # the kommun's total, as published
        out["placed_in_period"] = _shown(system, status, k_total)
    old = dict(out["levels"]) if isinstance(out.get("levels"), Mapping) else {}
    if levels is None:
        if old:  # no district table to take them from: primary suppression only
            out["levels"] = {k: few(v) for k, v in old.items() if k != "by_precision"}
        return out
    lan = (attrs.get("levels") or {}).get("lan_not_counted") if isinstance(attrs, Mapping) else None
    lan = old.get("lan_not_counted") if lan is None else lan

    def level(k: int | None) -> int | None:  # a row the table does not have holds no incident
        return 0 if k is None else _shown(system, status, k)

    out["levels"] = {
        "district": level(levels.district),
        "stadsdel": level(levels.stadsdel),
        "kommun": level(levels.kommun),
        "outside": level(levels.outside),
        "total": _shown(system, status, k_total),
        "lan_not_counted": few(lan) if lan is not None else 0,
    }
    return out


def left_out_sv(lb: Lagesbild) -> list[str]:
    """Swedish sentences on the rows the picture leaves out (by category; the police feed's
    rows of other kommuner and at län level), from the bundle's published counts: a count
    below ``min_count`` reads "färre än N", a hidden one "ett dolt antal".

    Parameters
    ----------
    lb
        A bundle; publish it first (:func:`publishable`) for the figures a recipient may
        see: a raw bundle's counts are taken as they are.

    Examples
    --------
    >>> from lagesbild_geo.bundle import Lagesbild
    >>> lb = Lagesbild.empty()
    >>> lb.metadata.update(counts={"excluded": {"ej_brott": 173}, "other_kommun": 2, "lan_level": 40},
    ...                    published={"min_count": 5})
    >>> for s in left_out_sv(lb): print(s)
    Utelämnade efter kategori: Ej brott 173.
    Polisens händelser i andra kommuner (färre än 5) och bara på länsnivå (40) ingår inte.
    """
    meta = lb.metadata or {}
    counts = meta.get("counts") or {}
    mark = meta.get(_MARK)
    mc = int(mark.get("min_count") or 1) if isinstance(mark, Mapping) else int(lb.settings.min_count or 1)

    def n(v: Any) -> str:  # these counts are hidden only when below min_count
        return f"färre än {mc}" if v is None else count_text(v, mc)

    out = []
    excluded = counts.get("excluded") or {}
    if excluded:
        shown = ", ".join(f"{CATEGORY_LABELS.get(str(k), str(k))} {n(v)}" for k, v in sorted(excluded.items()))
        out.append(f"Utelämnade efter kategori: {shown}.")
    other, lan = counts.get("other_kommun", 0), counts.get("lan_level", 0)
    if other != 0 or lan != 0:
        out.append(f"Polisens händelser i andra kommuner ({n(other)}) och bara på länsnivå ({n(lan)}) ingår inte.")
    return out


def _district_tables(system: _protect.System, tabs: list[_Tab], summary: pd.DataFrame,
                     attrs: Mapping[Any, Any]) -> tuple[dict[str, int], _Levels | None]:
    """The district table in the system (its kommun row is the kommun's totals): the rows that
    count once in the kommun's total, the previous period, the level figures and the total row.
    Returns the keys of the kommun's totals by column and the level figures."""
    kommun_keys: dict[str, int] = {}
    levels: _Levels | None = None
    if not len(summary):
        return kommun_keys, levels
    has_rows = "row_type" in summary.columns
    tot = "total" if "total" in summary.columns else "count"
    cols = _count_columns(summary, tot)
    # every row that counts once in the kommun's total: districts, the level rows (known only
    # in a stadsdel / only in the kommun) and the outside row
    body_rows = (np.flatnonzero(summary["row_type"].isin(list(_BODY_ROWS)).to_numpy())
                 if has_rows else np.arange(len(summary)))
    totals: dict[str, float] = {}
    if has_rows and (summary["row_type"] == "total").any():
        trow = summary.loc[summary["row_type"] == "total"].iloc[0]
        totals = {c: float(pd.to_numeric(trow[c], errors="coerce")) for c in cols}
        if "total_previous" in summary.columns:
            totals["total_previous"] = float(pd.to_numeric(trow["total_previous"], errors="coerce"))
    for src, rows in _group_rows(summary, body_rows):
        if cols:
            tabs.append(_table(system, summary, "district_summary", rows, cols, total=tot,
                               col_totals=f"kommun{src}",
                               col_total_values={c: totals[c] for c in cols if c in totals}))
            if src == "" and has_rows and tot in cols:
                levels = _level_system(system, summary, tabs[-1], tot, attrs)
                if levels is not None and levels.tab is not None:
                    tabs.append(levels.tab)
        if "total_previous" in summary.columns:
            tabs.append(_table(system, summary, "district_summary", rows, ["total_previous"], total=None,
                               col_totals=f"kommun{src}",
                               col_total_values={"total_previous": totals["total_previous"]}
                               if "total_previous" in totals else None))
    for c in [*cols, "total_previous"]:
        k = system.get(("kommun", c))
        if k is not None:
            kommun_keys[c] = k
    if has_rows and (summary["row_type"] == "total").any():
        trows = np.flatnonzero((summary["row_type"] == "total").to_numpy())
        tcols = [c for c in [*cols, "total_previous"] if c in kommun_keys]
        idx = np.asarray([[kommun_keys[c] for c in tcols]] * len(trows), dtype=np.int64)
        tabs.append(_Tab("district_summary", trows, tcols, idx))
    return kommun_keys, levels


def _profile_tables(system: _protect.System, profiles: Mapping[str, pd.DataFrame],
                    kommun_keys: dict[str, int], meta: Mapping[str, Any]) -> dict[str, _Tab]:
    """The period's one-way tables (report) in the system: categories, hours, weekdays, months.
    Adds the kommun's total to ``kommun_keys`` when the district table has none."""
    prof_tabs: dict[str, _Tab] = {}
    if not profiles:
        return prof_tabs
    cats = profiles["categories"]
    grand = float(cats["count"].sum())
    t_key = kommun_keys.get("total", kommun_keys.get("count"))
    if t_key is None:
        t_key = system.shared(("kommun", "total"), grand, prio=_protect.NEVER)
        kommun_keys["total"] = t_key
    cidx = []
    for cat, v in cats["count"].items():
        k = kommun_keys.get(f"count_{cat}")
        if k is None:
            k = system.shared(("kommun", f"count_{cat}"), float(v), prio=2)
        cidx.append(k)
    cidx_a = np.asarray(cidx, dtype=np.int64)
    system.relate(np.r_[cidx_a, t_key], np.r_[np.ones(len(cidx_a)), -1.0])
    prof_tabs["categories"] = _Tab("categories", np.arange(len(cats)), ["count"], cidx_a.reshape(-1, 1))
    values_t = system.arrays()[0][t_key]
    for name in ("hours", "weekdays"):
        if name not in profiles:
            continue
        f = profiles[name]
        v = f["count"].to_numpy(dtype="float64")
        idx = system.block(v, prio=0)
        rest = float(values_t - v.sum())
        if np.isfinite(rest) and rest > 1e-9:
            # the incidents with no hour or weekday (a month as the date, a date without a
            # time): the total less the table, a count no surface publishes; a small one must
            # not be pinned (two of an aggregated table's robberies less than the weekdays'
            # sum). One per table: a date without a time has a weekday but no hour
            small = rest < system.min_count - 1e-9
            r = system.shared(("kommun", f"no_{name}"), rest, prio=_protect.NEVER,
                              status=PRIMARY if small else _protect.FREE)
            system.relate(np.r_[idx, r, t_key], np.r_[np.ones(len(idx)), 1.0, -1.0])
        else:
            system.relate(np.r_[idx, t_key], np.r_[np.ones(len(idx)), -1.0], eq=bool(v.sum() == values_t))
        prof_tabs[name] = _Tab(name, np.arange(len(f)), ["count"], idx.reshape(-1, 1))
    if "months" in profiles:
        f = profiles["months"]
        v = f["count"].to_numpy(dtype="float64")
        idx = system.block(v, prio=0)
        k_all = system.shared(("kommun", "all_dates"), float(v.sum()), prio=_protect.NEVER)
        system.relate(np.r_[idx, k_all], np.r_[np.ones(len(idx)), -1.0])
        if meta.get("period") is None and float(v.sum()) == system.arrays()[0][t_key]:
            # no period: the months are the picture's every incident, so they add up to its
            # total (a total hidden while every month is shown hides nothing)
            system.relate(np.r_[k_all, t_key], np.r_[1.0, -1.0])
        months = pd.PeriodIndex(f.index, freq="M")
        for per, key in ((meta.get("period"), t_key), (meta.get("previous_period"),
                                                        kommun_keys.get("total_previous"))):
            span = _month_aligned(per)
            if span is None or key is None:
                continue
            sel = (months >= span[0]) & (months <= span[1])
            if float(v[sel].sum()) == system.arrays()[0][key]:
                system.relate(np.r_[idx[sel], key], np.r_[np.ones(int(sel.sum())), -1.0])
        prof_tabs["months"] = _Tab("months", np.arange(len(f)), ["count"], idx.reshape(-1, 1))
    return prof_tabs


_CellVars = dict[str, tuple[pd.Index, list[str], npt.NDArray[np.int64]]]


def _cell_tables(system: _protect.System, tabs: list[_Tab], cells: pd.DataFrame) -> _CellVars:
    """The cells in the system (hotspots share the values), by source; the cells' totals never
    exceed the kommun's. Returns each source's cell ids, columns and value keys."""
    cell_vars: _CellVars = {}
    if not len(cells):
        return cell_vars
    cols = _count_columns(cells)
    vals = _as_float(cells, cols)
    rows = (np.flatnonzero((np.nan_to_num(vals, nan=1.0) != 0).any(axis=1)) if cols
            else np.zeros(0, dtype=np.int64))
    for src, grp in _group_rows(cells, rows):
        tab = _table(system, cells, "cells", grp, cols, total="count" if "count" in cols else None,
                     col_totals=f"cells{src}")
        tabs.append(tab)
        cell_vars[src] = (pd.Index(cells.index[grp]), cols, tab.idx)
        for c in cols:  # the cells' totals never exceed the kommun's
            k_cells = system.get((f"cells{src}", c))
            k_kommun = system.get((f"kommun{src}", "total" if c == "count" else c))
            if k_cells is None or k_kommun is None:
                continue
            v = system.arrays()[0]
            if np.isfinite(v[k_cells]) and np.isfinite(v[k_kommun]):
                system.relate([k_cells, k_kommun], [1.0, -1.0], eq=bool(v[k_cells] == v[k_kommun]))
    return cell_vars


def _district_vars(tabs: list[_Tab], summary: pd.DataFrame) -> dict[str, dict[str, int]]:
    """District code → column (``count`` for the row total) → value index, for the district rows."""
    out: dict[str, dict[str, int]] = {}
    if not len(summary) or "row_type" not in summary.columns:
        return out
    is_district = (summary["row_type"] == "district").to_numpy()
    for tab in tabs:
        if tab.frame != "district_summary" or tab.idx.ndim != 2:
            continue
        for i, r in enumerate(tab.rows.tolist()):
            if not is_district[r]:
                continue
            row = out.setdefault(str(summary.index[r]), {})
            for j, c in enumerate(tab.cols):
                row.setdefault("count" if c == "total" else c, int(tab.idx[i, j]))
    return out


#: A district's count and its cells (:func:`_district_links`): the value indices of the cells,
#: then the district's; ``True`` where the district's count is their sum, else at least it; the
#: least a hidden cell holds (1 for a cell's total: a cell with no incident shows 0, else 0).
_Link = tuple[npt.NDArray[np.int64], bool, float]


def _district_links(system: _protect.System, tabs: list[_Tab], summary: pd.DataFrame,
                    cell_vars: _CellVars, cells: pd.DataFrame, districts: Any) -> list[_Link]:
    """A district's count per column and its cells, as a recipient sees them on the map: the
    cells wholly in it add up to its count where the cells across its border hold none of the
    column and every incident of it has a cell. (Elsewhere they add up to at most its count:
    not tied.) A sum whose values are all hidden is not tied either: a hidden district of 2
    with two hidden cells wholly inside, each at least 1, cannot be protected by hiding more
    (the app's filtered pictures would warn of it in every other view). Unrelated,
    Lillby's 7 fires less its shown cells' 5 (the cells across its border all 0) gave a
    hidden cell's 2. Such a relation is tied (:func:`publishable`) where it would pin a count
    to 1 … ``min_count``−1 (:func:`_narrowing_links`). Returns each (:data:`_Link`); none
    without the cells' and districts' geometries."""
    links: list[_Link] = []
    dvars = _district_vars(tabs, summary)
    if "" not in cell_vars or not dvars or "count" not in cell_vars[""][1]:
        return links
    ids, cols, idx = cell_vars[""]
    # what a recipient sees: the cells wholly in a district, and the cells across its border
    where = _cells_in_districts(cells, ids, districts)
    if where is None:
        return links
    inside: dict[str, list[int]] = {}
    border: dict[str, list[int]] = {}
    for p_, ds in enumerate(where):
        for d in ds:
            (inside if len(ds) == 1 else border).setdefault(d, []).append(p_)
    values = system.arrays()[0]
    for j, col in enumerate(cols):
        for dcode, cells_in in inside.items():
            kd = dvars.get(dcode, {}).get(col)
            if kd is None or not np.isfinite(values[kd]):
                continue
            members = idx[cells_in, j]
            s_in, d_v = float(values[members].sum()), float(values[kd])
            if s_in > d_v + 1e-9:
                continue  # the district's incidents are not its cells' (positions on a border)
            # exact where the cells across its border hold none and every incident has a cell
            across = idx[border.get(dcode, []), j]
            if abs(s_in - d_v) < 1e-9 and not (values[across] > 0).any():
                links.append((np.r_[members, kd], True, 1.0 if col == "count" else 0.0))
    return links


def _cells_in_districts(cells: pd.DataFrame, ids: pd.Index, districts: Any) -> list[list[str]] | None:
    """For each cell of ``ids`` the codes of the districts it shares area with (``None`` without
    the geometries)."""
    if not (isinstance(districts, gpd.GeoDataFrame) and len(districts) and districts.crs is not None):
        return None
    poly = (cells.geometry.reindex(ids) if isinstance(cells, gpd.GeoDataFrame) and cells.crs is not None
            else None)
    geo = (gpd.GeoDataFrame(geometry=poly.to_numpy(), crs=cells.crs) if poly is not None and poly.notna().all()
           else gpd.GeoDataFrame(geometry=grid.cells_to_polygons(np.asarray(ids, dtype=np.uint64)).values,
                                 crs=4326))
    codes = [str(c) for c in districts.index]
    return [[codes[d] for d in ds] for ds in _survey_cell_districts(geo, districts)]


def _narrowing_links(system: _protect.System, links: list[_Link], status: npt.NDArray[np.int64]) -> list[int]:
    """The links (:data:`_Link`) that pin a hidden count to 1 … ``min_count``−1 by themselves:
    the district's value less the others' bounds (or, where the district's count is only at
    least its cells', the district's value by its cells' lower bounds) leaves it a single
    value. (Tying every link that narrows one made the audit's linear programs 30 times
    slower; a pin that needs a link and other relations together is not looked for.)"""
    if not links:
        return []
    values = system.arrays()[0]
    lo, hi = _protect.apriori(status, values, system.min_count, system.floors())
    mc = system.min_count

    def small_pin(a: float, b: float) -> bool:
        one = np.ceil(a - 1e-9)
        return bool(np.floor(b + 1e-9) - one < 1 and 1 <= one <= mc - 1)

    out = []
    for n, (link, exact, floor) in enumerate(links):
        prim = status[link] == PRIMARY
        if not prim.any() or not (status[link] == SHOWN).any():
            continue  # nothing small, or nothing left to hide in it (see _district_links)
        m, kd = link[:-1], link[-1]
        lo_m = np.where(np.isin(status[m], (PRIMARY, SECONDARY, _protect.HIDDEN)),
                        np.maximum(lo[m], floor), lo[m])
        hi_m = np.maximum(hi[m], lo_m)
        if not exact:  # the district at least its cells
            if status[kd] == PRIMARY and small_pin(max(lo[kd], lo_m.sum()), hi[kd]):
                out.append(n)
            continue
        tot_lo, tot_hi = lo_m.sum(), hi_m.sum()
        for t in np.flatnonzero(prim[:-1]).tolist():  # a cell: the district less the other cells
            a = lo[kd] - (tot_hi - hi_m[t])
            b = hi[kd] - (tot_lo - lo_m[t])
            if small_pin(max(a, lo_m[t]), min(b, hi_m[t])):
                out.append(n)
                break
        else:
            if prim[-1] and small_pin(max(lo[kd], tot_lo), min(hi[kd], tot_hi)):
                out.append(n)
    return out


def _rollup_table(system: _protect.System, tabs: list[_Tab], frames: dict[str, pd.DataFrame],
                  notes: dict[str, Any], cells: pd.DataFrame, cell_vars: _CellVars, mc: int) -> None:
    """The roll-up parents of small cells in the system (each the sum of its children); the
    rolled layer goes to ``frames["rolled"]``."""
    rolled, children = _rollup(cells, mc)
    if not children:
        return
    ids_c, cols_c, idx_c = cell_vars[""]
    pos = {c: i for i, c in enumerate(ids_c)}
    prow = pd.Index(list(children), name=cells.index.name)
    ppos = rolled.index.get_indexer(prow)
    pvals = _as_float(rolled.iloc[ppos], cols_c)
    pidx = system.block(pvals, prio=0).reshape(pvals.shape)
    for i, par in enumerate(prow):
        kids = [pos[k] for k in children[par] if k in pos]
        for j in range(len(cols_c)):
            system.relate(np.r_[idx_c[kids, j], pidx[i, j]], np.r_[np.ones(len(kids)), -1.0])
    frames["rolled"] = rolled
    notes["rolled_up"] = int(sum(len(v) for v in children.values()))
    tabs.append(_Tab("rolled", ppos.astype(np.int64), cols_c, pidx))


def _emerging_table(system: _protect.System, tabs: list[_Tab], emerging: pd.DataFrame,
                    cell_vars: _CellVars, *, every_date: bool = False, min_count: int = 1) -> None:
    """Emerging counts (over every date) in the system; never below a cell's count in the
    period. With ``every_date`` (a picture without a period: the cells count every date
    too) a cell's emerging count is its count: the same value, not a second one tied to it
    (two values for one quantity made the audit prove each of 30 000 cells twice over).

    A cell's emerging count less its count in the period is its count outside the period:
    where that is 1 … ``min_count``−1 it is a hidden count of its own (the difference of
    the two published values gave it, 7 − 5 = 2), tied to both by an equation, so that one
    of them is hidden."""
    if not (len(emerging) and "count" in emerging.columns):
        return
    v = pd.to_numeric(emerging["count"], errors="coerce").to_numpy(dtype="float64")
    rows = np.flatnonzero(np.nan_to_num(v, nan=1.0) != 0)
    vals_all = system.arrays()[0]
    for src, grp in _group_rows(emerging, rows):
        kc = np.full(grp.size, -1, dtype=np.int64)
        if src in cell_vars and "count" in cell_vars[src][1]:
            cgrp, ccols, cidx2 = cell_vars[src]
            cpos = cgrp.get_indexer(emerging.index[grp])
            hit = cpos >= 0
            kc[hit] = cidx2[cpos[hit], ccols.index("count")]
        same = np.full(grp.size, -1, dtype=np.int64)
        if every_date:
            eq = (kc >= 0) & (vals_all[np.clip(kc, 0, None)] == v[grp])
            same[eq] = kc[eq]
        tab = _table(system, emerging, "emerging", grp, ["count"], total=None,
                     col_totals=f"emerging{src}", same_as=same.reshape(-1, 1))
        tabs.append(tab)
        vals_all = system.arrays()[0]
        tied = np.flatnonzero((kc >= 0) & (same < 0))
        kc, ke = kc[tied], tab.idx[tied, 0]
        ok = np.isfinite(vals_all[kc]) & np.isfinite(vals_all[ke]) & (vals_all[kc] <= vals_all[ke])
        kc, ke = kc[ok], ke[ok]
        outside = vals_all[ke] - vals_all[kc]
        small = (outside > 0) & (outside < min_count)
        if small.any():  # the count outside the period, hidden, = emerging − the period's
            kd = system.block(outside[small], prio=0, status=PRIMARY)
            system.relate_rows(np.column_stack([kc[small], kd, ke[small]]), np.array([1.0, 1.0, -1.0]))
        system.relate_rows(np.column_stack([kc[~small], ke[~small]]), np.array([1.0, -1.0]), eq=False)


def _cluster_table(system: _protect.System, clusters: pd.DataFrame) -> _Tab | None:
    """Clusters in the system: n and the counts of the three commonest categories (share × n)."""
    if not (len(clusters) and "n" in clusters.columns):
        return None
    n = pd.to_numeric(clusters["n"], errors="coerce").to_numpy(dtype="float64")
    top = [k for k in (1, 2, 3) if f"top{k}_share" in clusters.columns]
    ccols = ["n"] + [f"top{k}" for k in top]
    mat = np.full((len(clusters), len(ccols)), np.nan)
    mat[:, 0] = n
    for j, k in enumerate(top, start=1):
        mat[:, j] = np.round(pd.to_numeric(clusters[f"top{k}_share"], errors="coerce").to_numpy() * n)
    prio = np.broadcast_to(np.array([1] + [0] * len(top)), mat.shape)
    idx = system.block(mat, prio=prio).reshape(mat.shape)
    for i in range(len(clusters)):
        if not top or not np.isfinite(n[i]):
            continue
        present = np.isfinite(mat[i, 1:])
        parts = idx[i, 1:][present]
        if present.sum() == 3:  # other categories may exist beyond the three
            rest = system.block([n[i] - float(mat[i, 1:].sum())], status=_protect.FREE)
            parts = np.r_[parts, rest]
        system.relate(np.r_[parts, idx[i, 0]], np.r_[np.ones(parts.size), -1.0])
    return _Tab("clusters", np.arange(len(clusters)), ccols, idx)


@dataclass
class _Build:
    """Every table of a bundle in one protection system (:func:`_build_system`), for the
    write-back (:func:`_write_back`)."""

    system: _protect.System
    tabs: list[_Tab]
    frames: dict[str, pd.DataFrame]
    notes: dict[str, Any]
    kommun_keys: dict[str, int]
    levels: _Levels | None
    profiles: dict[str, pd.DataFrame]
    prof_tabs: dict[str, _Tab]
    cells: pd.DataFrame
    emerging: pd.DataFrame
    clusters: pd.DataFrame
    cl_tab: _Tab | None
    from_districts: bool
    #: a district's count and its cells (:func:`_district_links`), tied where it would pin
    links: list[_Link] = dataclasses.field(default_factory=list)


def _build_system(lb: Lagesbild, p: Privacy, mc: int, meta: Mapping[str, Any],
                  system: _protect.System | None = None, *, links: bool = True) -> _Build:
    """Step 1 of :func:`publishable`: every table of the bundle in one protection system
    (a new one, or ``system`` shared with other bundles under its own key namespace);
    ``links``: find the district-to-cells sums (:func:`_district_links`, a spatial join of
    the cells and districts), which only a caller that ties them needs."""
    system = _protect.System(mc) if system is None else system
    tabs: list[_Tab] = []
    frames: dict[str, pd.DataFrame] = {}
    notes: dict[str, Any] = {"min_count": mc}
    # -- the district table (its kommun row is the kommun's totals)
    summary = pd.DataFrame(lb.district_summary).drop(columns="geometry", errors="ignore").copy()
    from_districts = not len(summary) and isinstance(lb.districts, pd.DataFrame) and len(lb.districts) > 0
    if from_districts:  # a bundle with district counts but no summary table (e.g. made by hand)
        summary = pd.DataFrame(lb.districts).drop(columns="geometry", errors="ignore").copy()
    frames["district_summary"] = summary
    kommun_keys, levels = _district_tables(system, tabs, summary, lb.district_summary.attrs)
    # -- the period's one-way tables (report): categories, hours, weekdays, months
    profiles = _profiles(lb)
    prof_tabs = _profile_tables(system, profiles, kommun_keys, meta)
    # -- cells (hotspots share the values), roll-up parents
    cells = lb.cells.copy() if isinstance(lb.cells, pd.DataFrame) else pd.DataFrame()
    cell_vars = _cell_tables(system, tabs, cells)
    if (len(cells) and p.small_cells == "rollup" and "count" in cells.columns
            and "source" not in cells.columns):
        _rollup_table(system, tabs, frames, notes, cells, cell_vars, mc)
    found = _district_links(system, tabs, summary, cell_vars, cells, lb.districts) if links else []
    # -- emerging: counts over every date; never below a cell's count in the period
    emerging = lb.emerging.copy() if isinstance(lb.emerging, pd.DataFrame) else pd.DataFrame()
    _emerging_table(system, tabs, emerging, cell_vars, every_date=_period_of(meta.get("period")) is None,
                    min_count=mc)
    # -- clusters: n and the counts of the three commonest categories (share × n)
    clusters = lb.clusters.copy() if isinstance(lb.clusters, pd.DataFrame) else pd.DataFrame()
    cl_tab = _cluster_table(system, clusters)
    return _Build(system=system, tabs=tabs, frames=frames, notes=notes, kommun_keys=kommun_keys,
                  levels=levels, profiles=profiles, prof_tabs=prof_tabs, cells=cells,
                  emerging=emerging, clusters=clusters, cl_tab=cl_tab, from_districts=from_districts,
                  links=found)


def _published_cells(cells: pd.DataFrame, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The cells layer as published: with a roll-up, the shown children as published, then the
    parents; ``suppressed`` where the count is hidden."""
    if "rolled" in frames:  # the cells layer: shown children as published, then the parents
        r = frames["rolled"]
        parents = r.loc[r["rolled_up"].fillna(False).astype(bool).to_numpy()]
        kid_ids = r.index[~r["rolled_up"].fillna(False).astype(bool).to_numpy()]
        base = cells.loc[cells.index.isin(kid_ids)].copy()
        base["rolled_up"] = False
        merged = pd.concat([_empty_lists(base), _empty_lists(parents.copy())])
        cells = (gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")
                 if "geometry" in merged.columns else merged)
    if len(cells):
        cells = _empty_lists(cells)
        if "count" in cells.columns:
            cells["suppressed"] = cells["count"].isna().to_numpy()
    return cells


def _published_tables(lb: Lagesbild, b: _Build, status: npt.NDArray[np.int64],
                      mc: int) -> dict[str, pd.DataFrame]:
    """``tables`` as published: the one-way tables, the density surface and the period's total."""
    tables: dict[str, pd.DataFrame] = {}
    for name, tab in b.prof_tabs.items():
        f = b.profiles[name].copy()
        f = _mask(f, tab, status)
        tables[name] = f
    density = _published_density(lb, mc)
    if density is not None:
        tables["density"] = density
    t_key = b.kommun_keys.get("total", b.kommun_keys.get("count"))
    if t_key is not None:
        vals_all = b.system.arrays()[0]
        shown_t = status[t_key] == SHOWN and np.isfinite(vals_all[t_key])
        tables["totals"] = pd.DataFrame(
            {"count": pd.array([int(vals_all[t_key]) if shown_t else pd.NA], dtype="Int64")},
            index=pd.Index(["period"], name="total"))
    return tables


def _write_back(lb: Lagesbild, b: _Build, p: Privacy, mc: int, meta: dict[str, Any],
                mark: Mapping[str, Any], status: npt.NDArray[np.int64],
                exposed: npt.NDArray[np.bool_]) -> Lagesbild:
    """Step 3 of :func:`publishable`: the chosen suppressions written into every table."""
    system = b.system
    summary, cells, emerging, clusters = b.frames["district_summary"], b.cells, b.emerging, b.clusters
    for tab in b.tabs:
        if tab.frame == "district_summary":
            summary = _mask(summary, tab, status)
        elif tab.frame == "cells":
            cells = _mask(cells, tab, status)
        elif tab.frame == "emerging":
            emerging = _mask(emerging, tab, status)
        elif tab.frame == "rolled":
            b.frames["rolled"] = _mask(b.frames["rolled"], tab, status)
    hotspots = _publish_hotspots(lb, cells, mc)
    cells = _published_cells(cells, b.frames)
    if len(emerging) and "count" in emerging.columns:
        emerging = _empty_lists(emerging)
        emerging["suppressed"] = emerging["count"].isna().to_numpy()
    emerging = _publish_emerging(emerging)
    if b.cl_tab is not None:
        clusters = _publish_clusters(clusters, b.cl_tab, status)
        if not p.include_points:
            clusters = _clusters_on_grid(clusters, lb.settings.resolution)
    if b.levels is not None:
        summary = _publish_level_columns(summary, b.levels, system, status)
    if len(summary):
        summary = _publish_summary(_empty_lists(summary), p)
    districts = _publish_districts(lb, summary)
    survey = _publish_survey(lb, summary, p)
    if b.from_districts:
        summary = pd.DataFrame(lb.district_summary)
    tables = _published_tables(lb, b, status, mc)
    n_exp = int(exposed.sum())
    if n_exp:
        b.notes["unprotected"] = n_exp
        warnings.warn(f"{n_exp} hidden count(s) below min_count {mc} could still be worked out from the "
                      "published figures: no published value was left that could protect them. Check the "
                      "package with `lagesbild validate` and raise min_count or leave out the small table.",
                      PrivacyWarning, stacklevel=3)
    meta["counts"] = _published_counts(meta.get("counts"), b.levels, system, status, b.kommun_keys,
                                       lb.district_summary.attrs, mc)
    meta[_MARK] = mark
    meta["published_notes"] = b.notes
    meta.update(_published_log(meta))
    keep_points = bool(p.include_points)
    return dataclasses.replace(
        lb,
        incidents=lb.incidents if keep_points else lb.incidents.iloc[0:0],
        rejected=lb.rejected.iloc[0:0] if isinstance(lb.rejected, pd.DataFrame) else pd.DataFrame(),
        pending=lb.pending.iloc[0:0] if isinstance(lb.pending, pd.DataFrame) else pd.DataFrame(),
        cells=cells, hotspots=hotspots, clusters=clusters, emerging=emerging, districts=districts,
        district_summary=summary, survey=survey, metadata=meta, tables=tables,
        reports=_published_reports(lb.reports, meta["counts"], mc),
    )


#: What a published source keeps: its identity, not its row counts.
_SOURCE_KEYS = ("name", "file", "path", "sha256", "hash", "file_hash", "format", "kind", "size")


#: What the district layer's report does not publish: the incidents per way of finding their
#: district (raw counts: "kommun" is the kommun level's count, and beside the total it gave a
#: hidden level back) and the place texts of single incidents that nearly matched a district.
_DISTRICT_REPORT_RAW = ("assignment", "suggestions")


def _published_log(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The build's log as published: the English ``notes`` and the police feed's
    ``placement`` quote raw counts and are dropped (the CLI prints them to the analyst);
    the sources keep their identity without row counts; the district layer's report keeps
    what it says of the layer, with the file's name instead of its path on the analyst's
    computer, without the incidents' counts (:data:`_DISTRICT_REPORT_RAW`)."""
    out: dict[str, Any] = {"notes": [], "placement": {}}
    src = meta.get("sources")
    if isinstance(src, (list, tuple)):
        out["sources"] = [{k: v for k, v in s.items() if k in _SOURCE_KEYS} if isinstance(s, Mapping) else s
                          for s in src]
    rep = meta.get("districts")
    if isinstance(rep, Mapping):
        out["districts"] = {k: v for k, v in rep.items() if k not in _DISTRICT_REPORT_RAW}
        if isinstance(rep.get("source"), str):
            out["districts"]["source"] = re.split(r"[\\/]", rep["source"])[-1] or rep["source"]
    return out


def _published_reports(reports: Any, counts: Mapping[str, Any], mc: int) -> dict[str, dict[str, Any]]:
    """Each source's ingest report as published: its rows pending and rejected, or ``None``
    for every source when the total is hidden or any source's count is below ``min_count``
    (the published total less the shown sources would give it). Rows read and placed per
    source are not published: a source's placed rows are a total of the tables, which may be
    hidden."""
    reps = {str(name): rep for name, rep in (reports or {}).items() if isinstance(rep, Mapping)}
    out: dict[str, dict[str, Any]] = {name: {} for name in reps}
    for k in ("pending", "rejected"):
        vals = {name: int(rep.get(k) or 0) for name, rep in reps.items()}
        hidden = (k in counts and counts[k] is None) or any(0 < v < mc for v in vals.values())
        for name, v in vals.items():
            out[name][k] = None if hidden else v
    return out


def _options(lb: Lagesbild, privacy: Privacy | Settings | None) -> tuple[Privacy, int, dict[str, Any]]:
    """The privacy options, ``min_count`` and the mark a published bundle carries."""
    p = resolve_privacy(lb, privacy)
    mc = int(p.min_count or 1)
    return p, mc, {"min_count": mc, "min_respondents": int(p.min_respondents or 1),
                   "small_cells": p.small_cells, "include_points": bool(p.include_points)}


def publishable(lb: Lagesbild, privacy: Privacy | Settings | None = None) -> Lagesbild:
    """The bundle as it may be shown or handed over: every number already protected.

    The one publishing step (see the module docstring): primary suppression of
    counts below ``min_count``, secondary suppression checked by the interval
    audit over every table of the bundle together (cells and hotspots, the
    district table with its outside and kommun rows, the previous period, parent
    cells of a roll-up, emerging counts, clusters and the one-way tables of the
    period by category, hour, weekday and month), derived values hidden with
    their counts, Gi* values hidden in every cell when a count is hidden,
    survey values below ``min_respondents`` hidden, and
    perceived-vs-reported recomputed from published figures only.

    Hidden values are missing (``<NA>``); each row lists its hidden values in
    ``suppressed_primary`` (fewer than ``min_count``, or a zero hidden with
    them: a recipient knows 0 … ``min_count``−1) and ``suppressed_secondary``
    (hidden to protect other values: at least ``min_count``); ``suppressed`` is
    true where the row's total is hidden. Individual incidents, rejected and
    pending rows are dropped (incidents are kept only with
    ``Privacy(include_points=True)``). Publishing a published bundle again with
    the same options returns it unchanged.

    Parameters
    ----------
    lb
        The bundle (not modified), e.g. from ``build_lagesbild``, a filtered view
        or a package read back.
    privacy
        :class:`Privacy` or :class:`~lagesbild_geo.settings.Settings` (thresholds);
        default the bundle's settings.

    Returns
    -------
    Lagesbild
        With ``tables`` holding the published one-way tables (``categories``,
        ``hours``, ``weekdays``, ``months``) and ``metadata["published"]`` the options
        used.

    Examples
    --------
    >>> from lagesbild_geo.sample import example_lagesbild  # build_lagesbild(example_config())
    >>> pub = publishable(example_lagesbild(clusters=False, emerging=False))
    >>> pub.metadata["published"]["min_count"], len(pub.incidents)  # no incident rows
    (3, 0)
    >>> hidden = pub.cells["suppressed"]  # cells whose count is hidden: missing, never a number
    >>> bool(hidden.any()), bool(pub.cells.loc[hidden, "count"].isna().all())
    (True, True)
    """
    p, mc, mark = _options(lb, privacy)
    meta = dict(lb.metadata or {})
    if meta.get(_MARK) == mark:
        return lb
    built = _build_system(lb, p, mc, meta)
    # -- choose the suppressions
    status, exposed = _protect_with_links(built.system, built.links)
    return _write_back(lb, built, p, mc, meta, mark, status, exposed)


def publishable_together(whole: Lagesbild, parts: Sequence[Lagesbild],
                         privacy: Privacy | Settings | None = None, *,
                         tie_cells_to_districts: bool = False) -> tuple[Lagesbild, list[Lagesbild]]:
    """Publish a picture and pictures of parts of it that are shown together, protected as one.

    :func:`publishable` protects one bundle against every subtraction within it. Two
    bundles published one at a time are not protected against each other: the map of
    every date beside a trend panel of this year and the year before shows each
    district three times, and a count hidden in one year is the whole less the other
    year where both of those are shown. Here every table of ``whole`` and of each part
    goes into one protection system, with the relations their periods give: each count
    of ``whole`` (per district and category, per category, hour, weekday and month) is
    the sum of the same count in the parts inside its period plus a rest (the days no
    part covers), and its previous period's counts (``total_previous``) relate the same
    way to a part that holds or lies within that period. A rest is a value of its own
    that no surface publishes: a small one must not be pinned either (a single day's
    count is the year less the 364 days). So a value hidden in one picture stays hidden
    wherever the others would give it away.

    Parameters
    ----------
    whole
        The picture of everything shown (e.g. the map's picture of every date).
    parts
        Pictures of the same filter over other periods, each a period of its own (e.g. this
        period and the same period a year earlier); how they relate to ``whole`` comes
        from their ``metadata["period"]`` and ``whole``'s ``period``/``previous_period``.
    privacy
        As for :func:`publishable`; default ``whole``'s settings.
    tie_cells_to_districts
        Also tie a district's counts to the cells wholly in it, as :func:`publishable` does
        (Lillby's 7 fires less its shown cells' 5). Off by default: this is the app's map
        view, recomputed on every filter change, and the ties made a filtered view of
        Exempelkommun (hours 08–20) take 22 s instead of 0,4 s. Every file that leaves the
        app or the command line (package, GeoPackage, report) is published by
        :func:`publishable`, with the ties.

    Returns
    -------
    (Lagesbild, list of Lagesbild)
        ``whole`` and the parts as published (each marked as published: passing one to
        :func:`publishable` again returns it unchanged).

    Examples
    --------
    >>> import pandas as pd
    >>> from lagesbild_geo.dashboard import Filters, filtered_lagesbild
    >>> from lagesbild_geo.sample import example_lagesbild
    >>> base = example_lagesbild(clusters=False, emerging=False, period=None, previous_period=None)
    >>> years = [Filters(start=pd.Timestamp(f"{y}-01-01"), end=pd.Timestamp(f"{y}-12-31"),
    ...                  categories=("fordonsbrott",)) for y in (2025, 2024)]
    >>> whole = filtered_lagesbild(base, Filters(categories=("fordonsbrott",)))
    >>> pub, (now, before) = publishable_together(whole, [filtered_lagesbild(base, f) for f in years])
    >>> tot = [pd.to_numeric(x.district_summary["total"], errors="coerce") for x in (pub, now, before)]
    >>> one_hidden = sum(t.isna() for t in tot) == 1  # a district hidden in one picture only
    >>> int(one_hidden.sum())
    0
    """
    p, mc, mark = _options(whole, privacy)
    pictures = [whole, *parts]
    if any((x.metadata or {}).get(_MARK) for x in pictures):
        raise PrivacyError("publishable_together needs the pictures before publishing (build_lagesbild, "
                           "filtered_lagesbild); a published picture cannot be protected again together "
                           "with others.")
    system = _protect.System(mc)
    metas = [dict(x.metadata or {}) for x in pictures]
    builds = []
    for i, (x, meta) in enumerate(zip(pictures, metas, strict=True)):
        system.namespace = i
        builds.append(_build_system(x, p, mc, meta, system=system, links=tie_cells_to_districts))
    system.namespace = None
    _link_parts(system, builds[0], builds[1:], metas)
    status, exposed = _protect_with_links(system, [k for b in builds for k in b.links])
    out = [_write_back(x, b, p, mc, meta, mark, status, exposed)
           for x, b, meta in zip(pictures, builds, metas, strict=True)]
    return out[0], out[1:]


def _protect_with_links(system: _protect.System, links: list[_Link],
                        rounds: int = 4) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """:func:`_protect.protect`, then the links (a district's count and its cells) that would
    pin a small count are tied and the suppressions chosen again, until none is left (every
    link tied at once made the audit's certificates fail on the whole table: 0.6 s → 20 s
    for Exempelkommun)."""
    status, exposed = _protect.protect(system)
    tied: set[int] = set()
    for _ in range(rounds):
        new = [n for n in _narrowing_links(system, links, status) if n not in tied]
        if not new:
            break
        for n in new:
            link, exact, floor = links[n]
            system.relate(link, np.r_[np.ones(link.size - 1), -1.0], eq=exact)
            if floor:
                system.set_floor(link[:-1], floor)
            tied.add(n)
        status, exposed = _protect.protect(system)
    return status, exposed


def _table_vars(b: _Build) -> dict[tuple[str, Any, str], int]:
    """(table, row key, column) → the value's index, for the district table and the one-way
    tables of a built bundle."""
    out: dict[tuple[str, Any, str], int] = {}
    for tab in b.tabs:
        if tab.frame == "district_summary":
            keys = b.frames["district_summary"].index[tab.rows]
            for i, k in enumerate(keys):
                for j, c in enumerate(tab.cols):
                    out[("district_summary", str(k), c)] = int(tab.idx[i, j])
    for name, tab in b.prof_tabs.items():
        keys = b.profiles[name].index[tab.rows]
        for i, k in enumerate(keys):
            for j, c in enumerate(tab.cols):
                out[(name, str(k), c)] = int(tab.idx[i, j])
    return out


def _within(inner: tuple[Any, Any], outer: tuple[Any, Any]) -> bool:
    (a, b), (c, d) = inner, outer
    return (c is None or (a is not None and a >= c)) and (d is None or (b is not None and b <= d))


def _link_parts(system: _protect.System, whole: _Build, parts: Sequence[_Build],
                metas: Sequence[Mapping[str, Any]]) -> None:
    """What a recipient knows between the pictures from their periods: a count of a period is
    the sum of the same count in the periods inside it plus the rest (the incidents of the
    days no part covers). The rest is a value of its own that no surface publishes: a small
    one (1 … min_count−1) must not be pinned, since subtracting would give it. This links
    ``whole``'s counts with the parts within its period, and its previous period's counts
    (``total_previous``) with a part that holds that period or lies within it."""
    w = _table_vars(whole)
    qs = [_table_vars(b) for b in parts]
    cur, prev = instants(metas[0].get("period")), instants(metas[0].get("previous_period"))
    has_prev = isinstance(metas[0].get("previous_period"), Mapping)
    windows = [instants(m.get("period")) for m in metas[1:]]
    inside = [i for i, pw in enumerate(windows) if _within(pw, cur)]
    for key, i in w.items():
        if not key[2].startswith(("count", "total")) or key[2].endswith("_previous"):
            continue
        _link_one(system, i, [qs[k][key] for k in inside if key in qs[k]],
                  exact=any(windows[k] == cur for k in inside))
    if not has_prev:
        return
    for k, pw in enumerate(windows):
        if k in inside:
            continue
        for key, j in qs[k].items():
            ip = w.get((key[0], key[1], f"{key[2]}_previous"))
            if ip is None:
                continue
            if _within(prev, pw):  # the part holds the previous period: part = previous + rest
                _link_one(system, j, [ip], exact=pw == prev)
            elif _within(pw, prev):
                _link_one(system, ip, [j], exact=pw == prev)


def _link_one(system: _protect.System, whole: int, parts: Sequence[int], *, exact: bool) -> None:
    """``whole`` = sum of ``parts`` (+ a rest no surface publishes, unless ``exact``)."""
    if not parts:
        return
    values = system.arrays()[0]
    idx = [*parts, whole]
    if not np.isfinite(values[idx]).all():
        system.relate(idx, [*([1.0] * len(parts)), -1.0], eq=False)
        return
    rest = float(values[whole] - values[list(parts)].sum())
    if rest < -1e-9:
        return  # not a part of it after all: nothing a recipient could use
    if exact or abs(rest) < 1e-9:  # nothing left over: taken as known (the careful choice)
        system.relate(idx, [*([1.0] * len(parts)), -1.0])
        return
    small = 1e-9 < rest < system.min_count - 1e-9
    r = int(system.block([rest], prio=_protect.NEVER, status=PRIMARY if small else _protect.FREE)[0])
    system.relate([*idx, r], [*([1.0] * len(parts)), -1.0, 1.0])


#: What a published density surface keeps of :func:`~lagesbild_geo.hotspots.kde`'s attrs (no counts).
_KDE_KEEP = ("bandwidth_m", "bandwidth_rule", "kernel", "min_count", "cell_size_m", "origin", "crs_metric")


def _published_density(lb: Lagesbild, mc: int) -> pd.DataFrame | None:
    """The density surfaces of the period's point and address incidents (all, and per category),
    generalised by :func:`~lagesbild_geo.hotspots.kde_surfaces`'s own rule: a bandwidth of at
    least 100 m, and a square only where at least ``min_count`` incidents lie within it. Only
    the squares' centres and densities leave (no count within the bandwidth, no expected
    count, no number of events), so the map's "Täthet" layer needs no incident.

    ``tables["density"]``: ``surface`` ("" = every category), ``easting``, ``northing``,
    ``density_per_km2``; ``attrs["kde"]`` per surface: bandwidth, cell size, grid origin.
    None for a picture whose ``metadata["publish_density"]`` is False (the trend panel's
    periods: no one sees their surfaces).
    """
    inc = lb.incidents
    if not isinstance(inc, pd.DataFrame) or not len(inc) or (lb.metadata or {}).get("publish_density") is False:
        return None
    cols = [c for c in ("easting", "northing", "lat", "lon", "precision", "category", "occurred_at")
            if c in inc.columns]
    if not ({"easting", "northing"} <= set(cols) or {"lat", "lon"} <= set(cols)):
        return None
    sub = inc[cols]
    period = _period_of((lb.metadata or {}).get("period"))
    if "occurred_at" in cols and period is not None:
        sub = sub.loc[in_period(pd.to_datetime(sub["occurred_at"], errors="coerce"), period)]
    surf = hotspots.kde_surfaces(sub, by="category" if "category" in cols else None, min_count=mc)
    out = surf[["surface", "easting", "northing", "density_per_km2"]].reset_index(drop=True)
    shown = set(out["surface"].unique().tolist()) | {""}
    out.attrs["kde"] = {k: {f: v for f, v in a.items() if f in _KDE_KEEP}
                        for k, a in surf.attrs["kde"].items() if k in shown}
    return out


_GI = ("gi_z", "gi_p", "gi_p_adj")


def _publish_hotspots(lb: Lagesbild, cells: pd.DataFrame, mc: int) -> Any:
    """Hotspots with the cells' published counts; Gi* values (z and p-values) hidden in every
    cell as soon as one count of the layer is hidden.

    A cell's z is a linear function of its neighbourhood's sum (known where its counts are
    shown), of the grid's mean and of its standard deviation S: two published z-scores give
    the mean and S exactly, so the sum and the sum of squares of the hidden counts. With
    those, Σ(x−1)(x−2) over the hidden cells (never negative for whole numbers, zero only for
    1 and 2) told Exempelkommun's recipient that each of the 270 hidden cells held 1 or 2,
    23 of them 2; where that sum is the number of hidden cells, every one of them is 1. The
    classes (``gi_bin``, ``hotspot_class``, ``gi_significant``) stay: they only bound z."""
    hs = lb.hotspots
    if not isinstance(hs, pd.DataFrame) or not len(hs):
        return hs
    out = hs.copy()
    cols = _count_columns(cells)
    same = cells.index.equals(out.index) or out.index.isin(cells.index).all()
    if cols and same:
        for c in [*cols, _PRIMARY_COL, _SECONDARY_COL]:
            if c in cells.columns:
                out[c] = cells[c].reindex(out.index)
        out = _empty_lists(out)
        if "count" in out.columns:
            out["suppressed"] = out["count"].isna().to_numpy()
    if "count" in out.columns and out["count"].isna().any():
        for c in _GI:
            if c in out.columns:
                out[c] = np.nan
    return out


#: Emerging-hotspot values withheld from every publication: the last period's Gi* z of
#: each cell is a linear function of that period's neighbourhood sums, which are never
#: published; with every cell's z a reader solves for the period's counts per cell (the
#: weights are known), small ones included. The classes, ``last_gi_bin`` (which only
#: bounds a sum) and the Mann-Kendall trend of the z-scores' order stay.
_EMERGING_WITHHELD = ("last_gi_z",)


def _publish_emerging(emerging: pd.DataFrame) -> pd.DataFrame:
    """The emerging table without the values of :data:`_EMERGING_WITHHELD` (``NaN``)."""
    cols = [c for c in _EMERGING_WITHHELD if c in emerging.columns]
    if not (len(emerging) and cols):
        return emerging
    out = emerging.copy()
    for c in cols:
        out[c] = np.nan
    return out


def _publish_clusters(clusters: pd.DataFrame, tab: _Tab, status: npt.NDArray[np.int64]) -> pd.DataFrame:
    out = clusters.copy()
    st = status[tab.idx]
    hidden = np.isin(st, (PRIMARY, SECONDARY, _protect.HIDDEN))
    n_hidden = hidden[:, 0]
    out["n"] = pd.to_numeric(out["n"], errors="coerce").round().astype("Int64").mask(n_hidden)
    out["suppressed"] = n_hidden
    prim: list[tuple[str, ...]] = []
    sec: list[tuple[str, ...]] = []
    for i in range(len(out)):
        prim.append(tuple("n" if c == "n" else f"{c}_share" for j, c in enumerate(tab.cols) if st[i, j] == PRIMARY))
        sec.append(tuple("n" if c == "n" else f"{c}_share" for j, c in enumerate(tab.cols)
                         if st[i, j] in (SECONDARY, _protect.HIDDEN)))
    for j, c in enumerate(tab.cols[1:], start=1):
        h = hidden[:, j] | n_hidden
        if f"{c}_share" in out.columns:
            out[f"{c}_share"] = pd.to_numeric(out[f"{c}_share"], errors="coerce").mask(h)
        if f"{c}_category" in out.columns:
            out[f"{c}_category"] = out[f"{c}_category"].astype(object).mask(h)
    for c in out.columns:
        if c in ("cluster_id", "area_m2", "geometry", "n", "suppressed", "source") or c.startswith("top"):
            continue
        if pd.api.types.is_numeric_dtype(out[c]) and out[c].dtype.kind != "b":
            out[c] = pd.to_numeric(out[c], errors="coerce").mask(n_hidden)
        else:
            out[c] = out[c].astype(object).mask(n_hidden)
    out[_PRIMARY_COL] = pd.Series(prim, index=out.index, dtype=object)
    out[_SECONDARY_COL] = pd.Series(sec, index=out.index, dtype=object)
    return out


def _clusters_on_grid(clusters: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Each cluster as the H3 cells (the picture's resolution) whose centre lies in its area,
    never finer than the cells layer; dated by nothing.

    A cluster's own shape is the buffered hull of its incidents' positions: every vertex of
    the hull is an incident, which the 25 m arcs of the buffer gave back to within 5 m
    (55 of Exempelkommun's incidents, six of them alone in a cell whose count is hidden).
    Its cells show where it is as the cells layer does. A cluster smaller than a cell is
    the cell that holds its centre. ``area_m2`` and ``density_per_km2`` follow the cells;
    ``first_date`` and ``last_date`` (single incidents' dates) are not published."""
    if not len(clusters) or not isinstance(clusters, gpd.GeoDataFrame) or clusters.crs is None:
        return clusters
    out = clusters.to_crs(4326) if clusters.crs.to_epsg() != 4326 else clusters.copy()
    shapes: list[Any] = []
    for geom in out.geometry.to_numpy():
        if geom is None or geom.is_empty:
            shapes.append(None)
            continue
        cells = grid.geometry_to_cells(geom, resolution)
        if not cells.size:
            c = shapely.point_on_surface(geom)
            cells = grid.points_to_cells([c.y], [c.x], resolution)
        shapes.append(shapely.union_all(np.asarray(grid.cells_to_polygons(cells).values)))
    out = out.set_geometry(gpd.GeoSeries(shapes, index=out.index, crs=4326))
    area = out.geometry.to_crs(3006).area.to_numpy()
    if "area_m2" in out.columns:
        out["area_m2"] = area.round(0)
    if "density_per_km2" in out.columns and "n" in out.columns:
        n = pd.to_numeric(out["n"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        dens = np.where(area > 0, n / np.where(area > 0, area, 1.0) * 1e6, np.nan)
        out["density_per_km2"] = pd.Series(dens, index=out.index).round(1).mask(np.isnan(n))
    for c in ("first_date", "last_date"):
        if c in out.columns:
            out[c] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out


_CHANGE = ("change", "change_pct", "change_p", "change_significant", "change_direction")


def _publish_summary(summary: pd.DataFrame, p: Privacy) -> pd.DataFrame:
    """Derived columns of the district table follow the counts they rest on."""
    out = summary
    tot = "total" if "total" in out.columns else "count"
    if tot in out.columns:
        hidden = out[tot].isna().to_numpy()
        out["suppressed"] = hidden
        for c in ("per_1000", "share_of_total"):
            if c in out.columns:
                out[c] = pd.to_numeric(out[c], errors="coerce").mask(hidden)
        prev_col = "total_previous" if "total_previous" in out.columns else "count_previous"
        if prev_col in out.columns:
            h2 = hidden | out[prev_col].isna().to_numpy()
            for c in _CHANGE:
                if c in out.columns:
                    out[c] = out[c].astype(object).mask(h2) if out[c].dtype == object else out[c].mask(h2)
    tops = [c for c in ("top1", "top2", "top3") if c in out.columns]
    if tops:  # a top category whose count is hidden goes, with the ones after it
        cut = np.zeros(len(out), dtype=bool)
        for c in tops:
            v = out[c].astype("string").fillna("").to_numpy(dtype=object)
            for cat in {x for x in v.tolist() if x}:
                col = f"count_{cat}"
                if col in out.columns:
                    cut |= (v == cat) & out[col].isna().to_numpy()
            out[c] = out[c].mask(cut)
    trygg = [c for c in out.columns if c.startswith("trygg_") and c not in ("trygg_suppressed",)]
    if "trygg_n" in trygg:
        mr = int(p.min_respondents or 1)
        n = pd.to_numeric(out["trygg_n"], errors="coerce")
        few = ~(n >= mr).to_numpy(dtype=bool, na_value=False)
        if "trygg_suppressed" in out.columns:
            few |= out["trygg_suppressed"].fillna(False).astype(bool).to_numpy()
            out["trygg_suppressed"] = few
        for c in trygg:
            out[c] = pd.to_numeric(out[c], errors="coerce").mask(few)
    return out


def _publish_districts(lb: Lagesbild, summary: pd.DataFrame) -> Any:
    d = lb.districts
    if not isinstance(d, pd.DataFrame) or not len(d) or not len(summary):
        return d
    out = d.copy()
    rows = summary.loc[summary.index.isin(out.index)] if "row_type" not in summary.columns else \
        summary.loc[summary["row_type"] == "district"]
    for c in rows.columns:
        if c in ("district_name", "population", "row_type", "geometry"):
            continue
        if c in out.columns or c in (_PRIMARY_COL, _SECONDARY_COL, "suppressed"):
            out[c] = rows[c].reindex(out.index)
    return out


def _publish_survey(lb: Lagesbild, summary: pd.DataFrame, p: Privacy) -> dict[str, Any]:
    mr = int(p.min_respondents or 1)
    out: dict[str, Any] = {}
    for name, frame in (lb.survey or {}).items():
        if not isinstance(frame, pd.DataFrame) or name == "perceived_vs_reported":
            continue
        f = frame.copy()
        if "n" in f.columns:
            values = [c for c in f.columns if c not in ("n", "suppressed", "geometry", "resolution", "source",
                                                        "district_name", "top_reason")
                      and (pd.api.types.is_numeric_dtype(f[c]) and f[c].dtype.kind != "b")]
            g = suppress_survey(f, n_column="n", value_columns=values, min_respondents=mr)
            reasons = [c for c in values if c.startswith("n_")]
            if name == "pins" and reasons:
                g = _protect_pin_reasons(g, reasons, int(p.min_count or 1))
            if "top_reason" in g.columns:
                g["top_reason"] = g["top_reason"].astype(object).mask(g["suppressed"].to_numpy())
            f = g
        out[name] = f
    raw = lb.survey or {}
    if isinstance(out.get("cells"), gpd.GeoDataFrame) and isinstance(raw.get("districts"), gpd.GeoDataFrame):
        out["cells"] = _protect_survey_cells(raw["cells"], out["cells"], raw["districts"], mr)
    pvr = (lb.survey or {}).get("perceived_vs_reported")
    ind = out.get("districts")
    if isinstance(pvr, pd.DataFrame) and ind is not None and len(summary) and "row_type" in summary.columns:
        rep = summary.loc[summary["row_type"] == "district", ["total", "population"]].rename(
            columns={"total": "count"})
        rep["count"] = pd.to_numeric(rep["count"], errors="coerce").astype("float64")
        ind_df = pd.DataFrame(ind).drop(columns="geometry", errors="ignore")
        if "district_code" in ind_df.columns:
            ind_df = ind_df.set_index("district_code")
        with contextlib.suppress(InputError, ValueError, KeyError):
            out["perceived_vs_reported"] = perceived_vs_reported(ind_df, rep)
    return out


#: A cell and a district share a piece of area this large (m²) or more: less is a shared edge.
_SHARED_M2 = 1.0


def _survey_cell_districts(cells: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> list[list[int]]:
    """For each survey cell (row position) the districts (row positions) it shares area with."""
    out: list[list[int]] = [[] for _ in range(len(cells))]
    if cells.crs is None or districts.crs is None:
        return out
    c = gpd.GeoDataFrame(geometry=cells.geometry.to_crs(3006).to_numpy(), crs=3006)
    d = gpd.GeoDataFrame(geometry=districts.geometry.to_crs(3006).to_numpy(), crs=3006)
    ci, di = d.sindex.query(c.geometry, predicate="intersects")
    if not ci.size:
        return out
    area = shapely.area(shapely.intersection(c.geometry.to_numpy()[ci], d.geometry.to_numpy()[di]))
    for a, b in zip(ci[area >= _SHARED_M2].tolist(), di[area >= _SHARED_M2].tolist(), strict=True):
        out[a].append(b)
    return out


def _survey_system(mr: int, nc: npt.NDArray[np.float64], st_c: npt.NDArray[np.int64],
                   nd: npt.NDArray[np.float64], st_d: npt.NDArray[np.int64], where: list[list[int]],
                   parts: dict[int, npt.NDArray[np.float64]] | None, *, exact: bool = False
                   ) -> tuple[_protect.System, npt.NDArray[np.int64]]:
    """The survey's cells (``n``) and districts (``n``) in one protection system: a district's
    respondents are those of the cells wholly in it plus a part of each cell across its border
    (``parts``: the parts' values, NaN where unknown; ``None``: no split adds up, and a
    district is only at least its cells wholly in it). ``exact``: every district's equation
    taken as known (the audit: a recipient assumes every respondent has a position)."""
    system = _protect.System(mr)
    kc = system.block(nc, prio=0, status=st_c)
    kd = system.block(nd, prio=_protect.NEVER, status=st_d)
    inside: list[list[int]] = [[] for _ in range(len(nd))]  # cells wholly in each district
    crossed: list[list[int]] = [[] for _ in range(len(nd))]  # parts of cells across its border
    split = [k for k, ds in enumerate(where) if len(ds) > 1]
    for k, ds in enumerate(where):
        if len(ds) == 1:
            inside[ds[0]].append(int(kc[k]))
    if parts is not None:
        for k in split:
            kp = system.block(parts[k], status=_protect.FREE)
            system.relate(np.r_[kp, kc[k]], np.r_[np.ones(kp.size), -1.0])
            for j, d in enumerate(where[k]):
                crossed[d].append(int(kp[j]))
    touched = {d for k in split for d in where[k]}
    values = system.arrays()[0]
    for d in range(len(nd)):
        idx = inside[d] + crossed[d]
        if not idx:
            continue
        if exact or ((parts is not None or d not in touched)
                     and abs(float(values[idx].sum()) - nd[d]) < 1e-9):
            system.relate(np.r_[idx, kd[d]], np.r_[np.ones(len(idx)), -1.0])
        elif inside[d] and float(values[inside[d]].sum()) <= nd[d]:  # respondents without a position
            system.relate(np.r_[inside[d], kd[d]], np.r_[np.ones(len(inside[d])), -1.0], eq=False)
    return system, kc


def _protect_survey_cells(raw_cells: pd.DataFrame, cells: gpd.GeoDataFrame, raw_districts: gpd.GeoDataFrame,
                          mr: int) -> gpd.GeoDataFrame:
    """The survey's cells protected against its districts (:func:`_survey_system`). Published
    one row at a time, a district of 52 respondents with a shown cell of 50 gave the hidden
    cell's 2, and with unweighted answers the district's and the cell's shares gave their
    answers (neither otrygg, worry 2 and 3). Cells are hidden until no hidden cell's ``n`` is
    pinned (whole rows: every value and ``n``)."""
    if not (len(cells) and len(raw_districts) and "n" in raw_cells.columns and "n" in raw_districts.columns
            and len(raw_cells) == len(cells)):
        return cells
    nc = pd.to_numeric(raw_cells["n"], errors="coerce").to_numpy(dtype="float64")
    nd = pd.to_numeric(raw_districts["n"], errors="coerce").fillna(0).to_numpy(dtype="float64")
    if not np.isfinite(nc).all():
        return cells
    hid = cells["suppressed"].fillna(False).astype(bool).to_numpy()
    where = _survey_cell_districts(cells, raw_districts)
    parts = _survey_split(nc, nd, where, [k for k, ds in enumerate(where) if len(ds) > 1])
    st_c = np.where(hid, np.where(nc >= mr, SECONDARY, PRIMARY), -1)
    st_d = np.where((nd > 0) & (nd < mr), PRIMARY, -1)
    system, kc = _survey_system(mr, nc, st_c, nd, st_d, where, parts)
    status, _ = _protect.protect(system)
    more = np.isin(status[kc], (PRIMARY, SECONDARY, _protect.HIDDEN)) & ~hid
    if not more.any():
        return cells
    out = cells.copy()
    out["suppressed"] = hid | more
    values = [c for c in out.columns if c not in ("suppressed", "geometry", "resolution", "source")
              and pd.api.types.is_numeric_dtype(out[c]) and out[c].dtype.kind != "b"]
    return suppress_survey(out, n_column="n", value_columns=values, min_respondents=mr)


def _survey_split(nc: npt.NDArray[np.float64], nd: npt.NDArray[np.float64], where: list[list[int]],
                  split: list[int]) -> dict[int, npt.NDArray[np.float64]] | None:
    """Respondents of the cells across borders split among their districts so that each
    district's cells add up to its ``n`` (a linear program; ``None`` when none does: the
    positions and the districts named in the answers disagree)."""
    if not split:
        return {}
    from scipy.optimize import linprog

    var = [(k, d) for k in split for d in where[k]]
    rest = nd.copy()
    for k, ds in enumerate(where):
        if len(ds) == 1:
            rest[ds[0]] -= nc[k]
    a_eq = np.zeros((len(split) + len(nd), len(var)))
    b_eq = np.r_[nc[split], rest]
    row = {k: i for i, k in enumerate(split)}
    for j, (k, d) in enumerate(var):
        a_eq[row[k], j] = 1.0
        a_eq[len(split) + d, j] = 1.0
    touched = np.flatnonzero(np.abs(a_eq[len(split):]).sum(axis=1) > 0)
    keep = np.r_[np.arange(len(split)), len(split) + touched]
    r = linprog(np.zeros(len(var)), A_eq=a_eq[keep], b_eq=b_eq[keep], bounds=(0, None), method="highs")
    if r.status != 0:
        return None
    x = np.round(r.x)
    ends = np.cumsum([len(where[k]) for k in split])  # var holds each cell's districts in turn
    return {k: x[e - len(where[k]):e] for k, e in zip(split, ends.tolist(), strict=True)}


def _protect_pin_reasons(pins: pd.DataFrame, reasons: list[str], mc: int) -> pd.DataFrame:
    """A pin cell's counts per reason protected like every count (a cell of five pins showed
    droghandel 1, belysning 1, folksamlingar 2 …): below ``min_count`` hidden, and enough
    others that the cell's ``n`` less the shown ones gives none back; the commonest reason
    is not named where its count is hidden."""
    shown = ~pins["suppressed"].fillna(False).astype(bool).to_numpy()
    if not shown.any():
        return pins
    out = pins.copy()
    part = protect_table(pins.loc[shown, [*reasons, "n"]], reasons, min_count=mc, row_total="n")
    for c in [*reasons, "n"]:
        out.loc[shown, c] = part[c].to_numpy()
    if "top_reason" in out.columns:  # not named where the commonest may be a hidden count
        counts = out[reasons].apply(pd.to_numeric, errors="coerce").astype("float64")
        unsure = counts.isna().any(axis=1).to_numpy() & ~(counts.max(axis=1) >= mc).to_numpy()
        out["top_reason"] = out["top_reason"].astype(object).mask(unsure)
    return out


def protect_table(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    min_count: int,
    row_total: str | None = None,
    column_totals: bool = False,
    derived: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Protect one stand-alone table of counts (an area's figures, a follow-up's zones).

    Primary and secondary suppression as in :func:`publishable`, for a table whose
    row totals (``row_total``) and/or column totals (``column_totals``) are shown
    beside it. ``derived`` maps a column (a rate, a share) to the count column it
    rests on: it is hidden with it.

    Returns
    -------
    DataFrame
        A copy with hidden counts missing, ``suppressed_primary`` and
        ``suppressed_secondary`` per row; ``attrs["column_totals"]`` holds the
        published column totals (``None`` where hidden).

    Examples
    --------
    >>> f = pd.DataFrame({"count": [10, 2, 0], "per_km2": [5.0, 1.0, 0.0]}, index=["a", "b", "c"])
    >>> out = protect_table(f, ["count"], min_count=3, column_totals=True,
    ...                     derived={"per_km2": "count"})
    >>> out["count"].tolist(), out["per_km2"].tolist(), out.attrs["column_totals"]
    ([10, <NA>, <NA>], [5.0, nan, nan], {'count': 12})
    """
    cols = [c for c in columns if c in frame.columns]
    if row_total is not None and row_total in frame.columns and row_total not in cols:
        cols.append(row_total)
    out = frame.copy()
    system = _protect.System(min_count)
    tab = _table(system, out, "t", np.arange(len(out)), cols, total=row_total,
                 col_totals="col" if column_totals else None)
    status, _ = _protect.protect(system)
    out = _mask(out, tab, status)
    for d, base in (derived or {}).items():
        if d in out.columns and base in out.columns:
            out[d] = pd.to_numeric(out[d], errors="coerce").mask(out[base].isna().to_numpy())
    totals: dict[str, int | None] = {}
    if column_totals:
        vals, _, _ = system.arrays()
        for c in cols:
            k = system.get(("col", c))
            totals[c] = None if k is None or status[k] != SHOWN else int(vals[k])
    out.attrs["column_totals"] = totals
    return out


# ------------------------------------------------------------------ the audit of a package

#: Columns of the table :func:`audit_package` returns.
AUDIT_COLUMNS: tuple[str, ...] = ("layer", "feature", "property", "kind", "low", "high", "detail")


def _feature_ids(g: pd.DataFrame, key: str) -> list[str]:
    if key in g.columns:
        return [str(v) for v in g[key]]
    if g.index.name == "cell" or g.index.dtype.kind == "u":
        return grid.cells_to_str(np.asarray(g.index, dtype=np.uint64))
    return [str(v) for v in g.index]


_AUDITED = ("cells", "hotspots", "districts", "emerging", "clusters", "trygghet", "trygghet_cells")
#: Audited layers whose geometry the audit needs (``_geometry``): the survey's districts.
_WITH_GEOMETRY = ("trygghet",)


def _mapping(v: Any) -> Mapping[str, Any]:
    """``v`` when it is a JSON object, else an empty one (a package read back may hold anything)."""
    return v if isinstance(v, Mapping) else {}


def _numbers(values: pd.Series) -> npt.NDArray[np.float64]:
    """:func:`_number` of every value of a column (fast for a numeric column)."""
    if values.dtype.kind in "iuf":
        x = values.to_numpy(dtype="float64", na_value=np.nan)
        return np.where(np.isfinite(x), x, np.nan)
    return np.fromiter((_number(v) for v in values.tolist()), dtype="float64", count=len(values))


def _number(v: Any) -> float:
    """A published number as float; NaN for a missing value or anything that is not a number."""
    if v is None or isinstance(v, (bool, np.bool_, list, dict, tuple)):
        return np.nan
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return np.nan
    return x if np.isfinite(x) else np.nan


#: The file a build writes beside its package: the bundle's metadata as published.
BUILD_METADATA_NAME = "lagesbild.json"
#: Where :func:`_read_properties` puts that file for the audit.
_BUILD_COUNTS = " lagesbild.json"


def _read_properties(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Feature properties of the audited layers and ``metadata.json`` of a package
    (directory, zip or GeoPackage); geometries are not needed. Anything unreadable is an
    :class:`~lagesbild_geo.errors.InputError` naming the file."""
    if not path.exists():
        raise InputError(f"Package {path} does not exist; give a package directory, a zip or a "
                         "lagesbild.gpkg.")
    if path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path)):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                extract_zip(path, tmp, what="package",
                            names={*(f"{x}.geojson" for x in _AUDITED), "metadata.json", "lagesbild.gpkg"})
            except (zipfile.BadZipFile, OSError) as exc:
                raise InputError(f"{path} is not a readable zip ({exc}); give the package's zip, "
                                 "directory or lagesbild.gpkg.") from None
            dirs = {f.parent for f in Path(tmp).rglob("*") if f.is_file()}
            if not dirs:
                raise InputError(f"{path} holds no package files (<layer>.geojson, metadata.json or "
                                 "lagesbild.gpkg); it is not a lagesbild package.")
            return _read_properties(dirs.pop() if len(dirs) == 1 else Path(tmp))
    layers: dict[str, pd.DataFrame] = {}
    meta: dict[str, Any] = {}
    if path.is_dir():
        if (path / "metadata.json").exists():
            loaded = load_json((path / "metadata.json").read_bytes(), name=str(path / "metadata.json"))
            if not isinstance(loaded, dict):
                raise InputError(f"{path / 'metadata.json'} is not a JSON object; it is not a lagesbild "
                                 "package's metadata.")
            meta = loaded
        if (path / BUILD_METADATA_NAME).exists():  # a build's folder: its metadata is handed over too
            built = load_json((path / BUILD_METADATA_NAME).read_bytes(), name=str(path / BUILD_METADATA_NAME))
            if isinstance(built, dict):
                meta = {**meta, _BUILD_COUNTS: built}
        found = False
        for name in _AUDITED:
            f = path / f"{name}.geojson"
            if f.exists():
                found = True
                fc = load_json(f.read_bytes(), name=str(f))
                feats = fc.get("features") if isinstance(fc, dict) else None
                if not isinstance(feats, list):
                    raise InputError(f"{f} is not a GeoJSON FeatureCollection (no list of features).")
                layers[name] = pd.DataFrame([ft["properties"] if isinstance(ft, dict) and
                                             isinstance(ft.get("properties"), dict) else {} for ft in feats])
                if name in _WITH_GEOMETRY:
                    layers[name]["_geometry"] = [_shape(ft.get("geometry")) if isinstance(ft, dict) else None
                                                 for ft in feats]
        if not found and (path / "lagesbild.gpkg").exists():
            return _read_properties(path / "lagesbild.gpkg")
        if not found:
            raise InputError(f"{path} holds no layer files (<layer>.geojson) nor lagesbild.gpkg; "
                             "it is not a lagesbild package.")
        return layers, meta
    try:
        return _read_gpkg(path)
    except InputError:
        raise
    except Exception as exc:  # GDAL's errors on a file that is not a GeoPackage
        raise InputError(f"{path} could not be read as a GeoPackage ({type(exc).__name__}: {exc}); "
                         "give the package's directory, zip or lagesbild.gpkg.") from None


def _shape(geom: Any) -> Any:
    """A GeoJSON geometry as shapely's (``None`` where it is not one)."""
    if not isinstance(geom, dict):
        return None
    with contextlib.suppress(Exception):
        return shapely.geometry.shape(geom)
    return None


def _read_gpkg(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    import pyogrio  # optional at import time: only a GeoPackage needs it

    layers: dict[str, pd.DataFrame] = {}
    meta: dict[str, Any] = {}
    in_gpkg = {str(n) for n, _ in pyogrio.list_layers(path)}
    if "lagesbild_metadata" in in_gpkg:
        m = pyogrio.read_dataframe(path, layer="lagesbild_metadata")
        if len(m) and "value" in m.columns:
            loaded = load_json(str(m["value"].iloc[0]), name=f"{path} (lagesbild_metadata)")
            meta = loaded if isinstance(loaded, dict) else {}
    for name in _AUDITED:
        if name in in_gpkg:
            g = pd.DataFrame(pyogrio.read_dataframe(path, layer=name, read_geometry=name in _WITH_GEOMETRY))
            if name in _WITH_GEOMETRY and "geometry" in g.columns:
                geo = gpd.GeoSeries(g.pop("geometry"))
                g["_geometry"] = list(geo.to_crs(4326) if geo.crs is not None else geo)
            for c in (_PRIMARY_COL, _SECONDARY_COL):
                if c in g.columns:
                    g[c] = [json.loads(v) if isinstance(v, str) and v.startswith("[") else [] for v in g[c]]
            layers[name] = g
    if not layers and not meta:
        raise InputError(f"{path} holds none of a package's layers ({', '.join(_AUDITED)}); it is not "
                         "a lagesbild package.")
    return layers, meta


def audit_package(path: str | Path) -> pd.DataFrame:
    """Attack a written package (directory, ``lagesbild.gpkg`` or zip) as a careful recipient would.

    Checks every published count against ``min_count``, then solves the interval
    audit over everything the package publishes together: per feature ``count`` =
    the sum of its ``count_<category>`` values; the kommun's totals and the outside
    row (``metadata.totals``) = the column sums of the district layer; the cells'
    totals never above the kommun's; a cell's count in ``cells`` and ``hotspots``
    is one value; a rolled-up parent = the sum of its children (in ``hotspots``);
    ``emerging`` counts (every date) at least the period's count; ``per_1000`` ×
    population / 1000, ``share_of_total`` × the kommun total, ``change`` and
    ``change_pct`` with ``count_previous`` = ``count``; a cluster's density × area =
    ``n`` and ``topN_share`` × ``n`` = a category count. Hidden values carry what a
    recipient knows: listed in ``suppressed_primary`` 0 … ``min_count``−1, in
    ``suppressed_secondary`` at least ``min_count``, otherwise at least 0.
    Every hidden value is minimised and maximised (linear programming); one whose
    interval holds a single integer is *pinned*. Published Gi* values of a cell
    whose neighbourhood holds a hidden count are reported too (``gi_neighbourhood``), any
    other Gi* value of a layer that hides a count (``gi_variance``: two z-scores give the
    grid's mean and standard deviation, so the hidden counts' sum of squares), and
    an emerging layer's published ``last_gi_z`` (``period_gi``). In a build's folder the
    build's metadata beside the package (``lagesbild.json``) is attacked with it: its level
    figures are the package's and add up to its total (``unprotected``: the rows off the grid
    per precision that an older build published there beside a hidden level).

    Returns
    -------
    DataFrame
        One row per finding (:data:`AUDIT_COLUMNS`): ``layer``, ``feature`` (id),
        ``property``, ``kind`` (``below_min_count``, ``pinned``, ``gi_neighbourhood``,
        ``gi_variance``, ``period_gi``, ``unprotected``, ``inconsistent``), ``low``, ``high`` (the feasible interval) and ``detail``.
        Empty: nothing the package publishes pins a hidden value.

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.export import export_package
    >>> from lagesbild_geo.sample import example_lagesbild  # build_lagesbild(example_config())
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = export_package(example_lagesbild(clusters=False, emerging=False), tmp / "paket", gpkg=False)
    >>> audit_package(tmp / "paket").empty
    True
    """
    layers, meta = _read_properties(Path(path))
    try:
        return _audit(layers, meta)
    except InputError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise InputError(
            f"{path}: the privacy audit could not read the package's figures ({type(exc).__name__}: "
            f"{exc}); the files do not hold what a lagesbild package holds. Check them with "
            "`lagesbild validate`, or write the package again with `lagesbild build`.") from None


class _Attack:
    """The state of :func:`_audit`: the system of what a package publishes, the labels of its
    values and the findings so far."""

    def __init__(self, mc: int) -> None:
        self.mc = mc
        self.system = _protect.System(mc)
        self.labels: dict[int, tuple[str, str, str]] = {}
        self.blocks: list[tuple[npt.NDArray[np.int64], str, list[str], list[str]]] = []
        self.findings: list[dict[str, Any]] = []

    def label_of(self, k: int) -> tuple[str, str, str]:
        if k in self.labels:
            return self.labels[k]
        for idx, layer, ids, cols in self.blocks:
            hit = np.argwhere(idx == k)
            if hit.size:
                return layer, str(ids[hit[0, 0]]), cols[hit[0, 1]]
        return "", "", ""

    def add(self, layer: str, feature: str, prop: str, kind: str, lo: float | None, hi: float | None,
            detail: str) -> None:
        self.findings.append({"layer": layer, "feature": feature, "property": prop, "kind": kind,
                              "low": lo, "high": hi, "detail": detail})

    def var(self, key: tuple[Any, ...], value: Any, status: int, label: tuple[str, str, str]) -> int:
        v = _number(value)
        k = self.system.shared(key, v, prio=0, status=SHOWN if np.isfinite(v) else status)
        self.labels.setdefault(k, label)
        return k

    @staticmethod
    def status_of(row: Mapping[Any, Any], col: str) -> int:
        kind = hidden_kind(row, col)
        return PRIMARY if kind == "few" else SECONDARY if kind == "protect" else _protect.HIDDEN

    def check_small(self, layer: str, fid: str, prop: str, v: Any) -> None:
        x = _number(v)
        if np.isfinite(x) and 0 < x < self.mc:
            self.add(layer, fid, prop, "below_min_count", x, x,
                     f"published count {x:g} is below min_count {self.mc}")

    def table_vars(self, layer: str, g: pd.DataFrame, keys: list[tuple[Any, ...]],
                   cols: list[str]) -> npt.NDArray[np.int64]:
        """Every value of a layer's table at once (rows × cols of value indices); the
        published counts below min_count found."""
        mc = self.mc
        vals = np.column_stack([_numbers(g[c]) for c in cols])
        st = np.where(np.isfinite(vals), SHOWN, _protect.HIDDEN).astype(np.int64)
        miss = np.flatnonzero(~np.isfinite(vals).all(axis=1))
        if miss.size:
            recs = g.iloc[miss][[c for c in (_PRIMARY_COL, _SECONDARY_COL) if c in g.columns]].to_dict("records")
            for i, rec in zip(miss.tolist(), recs, strict=True):
                for j in np.flatnonzero(~np.isfinite(vals[i])).tolist():
                    st[i, j] = self.status_of(rec, cols[j])
        ids = [k[-1] for k in keys]
        for i, j in np.argwhere((vals > 0) & (vals < mc)).tolist():
            self.add(layer, str(ids[i]), cols[j], "below_min_count", vals[i, j], vals[i, j],
                     f"published count {vals[i, j]:g} is below min_count {mc}")
        flat = [(*k, c) for k in keys for c in cols]
        idx = self.system.shared_many(flat, vals.ravel(), status=st.ravel()).reshape(vals.shape)
        self.blocks.append((idx, layer, ids, cols))
        return idx


def _audit_totals(a: _Attack, meta: Mapping[str, Any]
                  ) -> tuple[Mapping[str, Any], dict[str, Mapping[str, Any]], Mapping[str, Any]]:
    """The totals of the metadata (kommun row, outside row, the level rows: known only in a
    stadsdel / only in the kommun) and ``metadata.levels``. Returns the kommun row, the level
    rows and ``metadata.levels``."""
    system, check_small, var, status_of = a.system, a.check_small, a.var, a.status_of
    totals = _mapping(meta.get("totals"))
    kommun = _mapping(totals.get("kommun"))
    outside = _mapping(totals.get("outside"))
    level_rows = {n: _mapping(totals.get(n)) for n in ("stadsdel_level", "kommun_level") if n in totals}
    for name, row in (("kommun", kommun), ("outside", outside), *level_rows.items()):
        for c, v in row.items():
            if str(c).startswith("count") and not isinstance(v, (list, dict)):
                check_small("metadata.totals", name, str(c), v)
                var(("tot", name, str(c)), v, status_of(row, str(c)), ("metadata.totals", name, str(c)))
        if name in level_rows:  # a level row's count is the sum of its categories
            cats = [system.get(("tot", name, f"count_{c}")) for c in CATEGORIES]
            body = [k for k in cats if k is not None]
            kc = system.get(("tot", name, "count"))
            if body and kc is not None:
                system.relate(np.r_[body, kc], np.r_[np.ones(len(body)), -1.0])
    # metadata.levels: the same level totals again, and the districts' sum
    levels = _mapping(meta.get("levels"))
    for key, row_name in (("stadsdel", "stadsdel_level"), ("kommun", "kommun_level"), ("outside", "outside"),
                          ("total", "kommun")):
        if key not in levels:
            continue
        check_small("metadata.levels", key, "count", levels[key])
        k_lv = var(("levels", key), levels[key], _protect.HIDDEN, ("metadata.levels", key, "count"))
        kt = system.get(("tot", row_name, "count"))
        if kt is None:  # an older package: the level rows' totals only here
            kt = var(("tot", row_name, "count"), levels[key], _protect.HIDDEN, ("metadata.levels", key, "count"))
        if kt != k_lv:
            system.relate([k_lv, kt], [1.0, -1.0])
    if "lan_not_counted" in levels:
        check_small("metadata.levels", "lan_not_counted", "count", levels["lan_not_counted"])
    for cat, v in _mapping(meta.get("excluded_by_category")).items():
        check_small("metadata.excluded_by_category", str(cat), "count", v)
    return kommun, level_rows, levels


def _audit_build_counts(a: _Attack, built: Mapping[str, Any]) -> None:
    """A build folder's ``lagesbild.json``: its level figures (``counts``) are the package's
    (``metadata.levels``) and add up to the total; the rows left out below ``min_count``; the
    raw counts an older build published (rows off the grid per precision, the district
    layer's assignment counts) beside a hidden level."""
    system, check_small = a.system, a.check_small
    label = BUILD_METADATA_NAME
    counts = _mapping(built.get("counts"))
    for k, v in counts.items():
        if k in ("pending", "rejected", "other_kommun", "lan_level", "placed_in_period"):
            check_small(label, "counts", str(k), v)
    for k, v in _mapping(counts.get("excluded")).items():
        check_small(label, "excluded", str(k), v)
    levels = _mapping(counts.get("levels"))
    # (where it is, its key there, the package's figure it is): the period's total twice
    figures = [*(("levels", k, k) for k in ("district", "stadsdel", "kommun", "outside", "total")),
               ("counts", "placed_in_period", "total")]
    got: dict[str, int] = {}
    for where, key, same_as in figures:
        src = levels if where == "levels" else counts
        if key not in src:
            continue
        if where == "levels":  # (the counts' figures were checked above)
            check_small(label, where, key, src[key])
        got[key] = a.var(("build", key), src[key], _protect.HIDDEN, (label, where, key))
        same = system.get(("levels", same_as))
        if same is not None:  # the same figure as the package's
            system.relate([got[key], same], [1.0, -1.0])
    if "placed_in_period" in got and "total" in got:
        system.relate([got["placed_in_period"], got["total"]], [1.0, -1.0])
    parts = [got[k] for k in ("district", "stadsdel", "kommun", "outside") if k in got]
    if len(parts) == 4 and "total" in got:
        system.relate(np.r_[parts, got["total"]], np.r_[np.ones(4), -1.0])
    hidden = [k for k in ("district", "stadsdel", "kommun", "outside", "total") if k in levels and
              not np.isfinite(_number(levels[k]))]
    for feature, what in (("not_on_grid", _mapping(counts.get("not_on_grid"))),
                          ("districts.assignment", _mapping(_mapping(built.get("districts")).get("assignment")))):
        shown = sorted(str(k) for k, v in what.items() if np.isfinite(_number(v)) and _number(v) > 0)
        for k, v in what.items():
            check_small(label, feature, str(k), v)
        if shown and hidden:  # written before these were left out: they give a hidden level back
            a.add(label, feature, ", ".join(shown), "unprotected", None, None,
                  f"incidents per precision or way of placing are published while the level(s) "
                  f"{', '.join(hidden)} are hidden: the kommun-level ones are the kommun level's count, "
                  "and with the total they give a hidden level back; write the folder again with this version")


def _audit_cells(a: _Attack, cells_l: pd.DataFrame, hot_l: pd.DataFrame, kommun: Mapping[str, Any]) -> None:
    """Cells and hotspots: one value per cell and property; the cells' column sums never exceed
    the kommun's totals; a rolled-up parent is the sum of its children."""
    system = a.system
    cell_idx: dict[str, tuple[list[str], list[str], npt.NDArray[np.int64]]] = {}
    for layer, g in (("cells", cells_l), ("hotspots", hot_l)):
        if not len(g):
            continue
        ids = _feature_ids(g, "cell")
        cols = _count_columns(g)
        if not cols:
            continue
        rolled = g["rolled_up"].fillna(False).astype(bool).to_numpy() if "rolled_up" in g.columns else \
            np.zeros(len(g), dtype=bool)
        srcs = g["source"].fillna("").astype(str).tolist() if "source" in g.columns else [""] * len(g)
        keys = [("parent" if r else "cell", s_, f) for r, s_, f in zip(rolled.tolist(), srcs, ids, strict=True)]
        idx = a.table_vars(layer, g, keys, cols)
        cell_idx[layer] = (ids, cols, idx)
        if "count" in cols:  # a cell with no incident shows 0: a hidden one holds at least 1
            system.set_floor(idx[:, cols.index("count")], 1.0)
        if "count" in cols and len(cols) > 1:
            jt = cols.index("count")
            body = [j for j in range(len(cols)) if j != jt]
            coef = np.r_[np.ones(len(body)), -1.0]
            system.relate_rows(idx[:, [*body, jt]], coef)
    # the cells' column sums never exceed the kommun's totals; parents = sum of children
    hs = "hotspots" if "hotspots" in cell_idx else "cells"
    if hs in cell_idx and kommun:
        ids, cols, idx = cell_idx[hs]
        g = hot_l if hs == "hotspots" else cells_l
        plain = (~g["rolled_up"].fillna(False).astype(bool).to_numpy() if "rolled_up" in g.columns
                 else np.ones(len(g), dtype=bool))
        if "source" in g.columns:
            plain &= g["source"].fillna("").astype(str).to_numpy() == ""
        for j, c in enumerate(cols):
            kk = system.get(("tot", "kommun", c))
            kl = idx[plain, j]
            if kk is not None and kl.size:
                system.relate(np.r_[kl, kk], np.r_[np.ones(kl.size), -1.0], eq=False)
    if len(cells_l) and "rolled_up" in cells_l.columns and len(hot_l):
        child_ids = grid.str_to_cells(hot_l["cell"].astype(str).tolist())
        res = int(grid.cells_resolution(child_ids[:1])[0]) if child_ids.size else 0
        if res > 0:
            parents = grid.cells_to_parent(child_ids, res - 1)
            roll = cells_l["rolled_up"].fillna(False).astype(bool).to_numpy()
            shown_base = set(cells_l.loc[~roll, "cell"].astype(str))
            child_str = hot_l["cell"].astype(str).to_numpy()
            for fid in cells_l.loc[roll, "cell"].astype(str):
                pid = grid.str_to_cells([fid])[0]
                kids = [k for k in child_str[parents == pid] if k not in shown_base]
                for c in _count_columns(cells_l):
                    kpar = system.get(("parent", "", fid, c))
                    got_kids = [system.get(("cell", "", k, c)) for k in kids]
                    kid_keys = [k for k in got_kids if k is not None]
                    if kpar is not None and kid_keys:
                        system.relate(np.r_[kid_keys, kpar], np.r_[np.ones(len(kid_keys)), -1.0])


def _audit_district_rows(a: _Attack, ids: list[str], recs: list[dict[Any, Any]], cols: list[str]) -> None:
    """Each district's counts and what is derived from them (per_1000, share_of_total, change,
    change_pct, kommun_level, stadsdel_level)."""
    system, check_small, var, status_of = a.system, a.check_small, a.var, a.status_of
    kt = system.get(("tot", "kommun", "count"))
    for fid, rec in zip(ids, recs, strict=True):
        src = str(rec.get("source") or "")
        ks = {}
        for c in [*cols, "count_previous"]:
            if c in rec:
                check_small("districts", fid, c, rec.get(c))
                ks[c] = var(("district", src, fid, c), rec.get(c), status_of(rec, c), ("districts", fid, c))
        body = [ks[c] for c in cols if c != "count"]
        if "count" in ks and body:
            system.relate(np.r_[body, ks["count"]], np.r_[np.ones(len(body)), -1.0])
        kc, kp = ks.get("count"), ks.get("count_previous")
        pop = rec.get("population")
        if kc is not None:
            per = rec.get("per_1000")
            if per is not None and not pd.isna(per) and pop and not pd.isna(pop) and pop > 0:
                system.relate([kc], [1.0], float(per) * float(pop) / 1000.0)
            share = rec.get("share_of_total")
            if share is not None and not pd.isna(share) and kt is not None:
                system.relate([kc, kt], [1.0, -float(share)])
            ch = rec.get("change")
            if ch is not None and not pd.isna(ch) and kp is not None:
                system.relate([kc, kp], [1.0, -1.0], float(ch))
            pct = rec.get("change_pct")
            if pct is not None and not pd.isna(pct) and kp is not None:
                system.relate([kc, kp], [1.0, -(1.0 + float(pct) / 100.0)])
    # a district's kommun_level is the kommun-level row's count; its stadsdel_level at most the
    # stadsdel-level row's count (which stadsdel rows overlap which district is not published)
    for fid, rec in zip(ids, recs, strict=True):
        src = str(rec.get("source") or "")
        for col, eq in (("kommun_level", True), ("stadsdel_level", False)):
            if col not in rec:
                continue
            check_small("districts", fid, col, rec.get(col))
            kd = var(("district", src, fid, col), rec.get(col), status_of(rec, col), ("districts", fid, col))
            kt = system.get(("tot", col, "count"))
            if kt is not None:
                system.relate([kd, kt], [1.0, -1.0], eq=eq)


def _audit_districts(a: _Attack, d: pd.DataFrame, kommun: Mapping[str, Any],
                     level_rows: Mapping[str, Any], levels: Mapping[str, Any]) -> None:
    """Districts, with the kommun and outside rows from the metadata: the districts' sum and the
    kommun's totals as column sums of the district layer."""
    if not len(d):
        return
    system = a.system
    ids = _feature_ids(d, "district_code")
    cols = _count_columns(d)
    recs = d.to_dict(orient="records")
    _audit_district_rows(a, ids, recs, cols)
    dsum = [system.get(("district", "", fid, "count")) for fid in ids]
    if "district" in levels and dsum and all(k is not None for k in dsum):
        a.check_small("metadata.levels", "district", "count", levels["district"])
        k_ld = a.var(("levels", "district"), levels["district"], _protect.HIDDEN,
                     ("metadata.levels", "district", "count"))
        system.relate(np.r_[dsum, k_ld], np.r_[np.ones(len(dsum)), -1.0])
    if kommun:
        for c in [*cols, "count_previous"]:
            kk = system.get(("tot", "kommun", c))
            ko = system.get(("tot", "outside", c))
            found_k = [system.get(("district", "", fid, c)) for fid in ids]
            members = [k for k in found_k if k is not None]
            if kk is None or not members:
                continue
            lv = [system.get(("tot", n, c)) for n in ("stadsdel_level", "kommun_level")]
            known_lv = [k for k in lv if k is not None]
            # every row is in the sum only when the outside row and both level rows are known
            # (a package without level rows: no row is known only at a level above a district)
            complete = ko is not None and (len(known_lv) == 2 or not (level_rows or levels))
            extra = ([ko] if ko is not None else []) + known_lv
            system.relate(np.r_[members, extra, kk], np.r_[np.ones(len(members) + len(extra)), -1.0],
                          eq=complete)


def _audit_emerging_clusters(a: _Attack, em: pd.DataFrame, cl: pd.DataFrame) -> None:
    """Emerging counts (every date) at least the period's, and their difference (the count
    outside the period) a finding where both are published and it is 1 … ``min_count``−1;
    a cluster's density × area = ``n`` and ``topN_share`` × ``n`` a category count."""
    system = a.system
    if len(em) and "count" in em.columns:
        ids = _feature_ids(em, "cell")
        ke_a = a.table_vars("emerging", em, [("emerging", f) for f in ids], ["count"])[:, 0]
        known = system._keys
        kc_a = np.fromiter((known.get(("cell", "", f, "count"), -1) for f in ids), dtype=np.int64,
                           count=len(ids))
        hit = np.flatnonzero(kc_a >= 0)
        vals = system.arrays()[0]
        both = np.isfinite(vals[kc_a[hit]]) & np.isfinite(vals[ke_a[hit]])
        # a cell's count outside the period: its emerging count less its period's, read off
        # where both are published (a hidden variable per cell made the audit minutes long)
        outside = vals[ke_a[hit[both]]] - vals[kc_a[hit[both]]]
        for i, d in zip(hit[both].tolist(), outside.tolist(), strict=True):
            if 0 < d < a.mc:
                a.add("emerging", str(ids[i]), "count outside the period (count − the cell's)", "pinned", d, d,
                      f"the emerging count less the cell's count in the period leaves only {d:g}")
        system.relate_rows(np.column_stack([kc_a[hit], ke_a[hit]]), np.array([1.0, -1.0]), eq=False)
    if len(cl) and "n" in cl.columns:
        recs = cl.to_dict(orient="records")
        for rec in recs:
            fid = str(rec.get("cluster_id"))
            n = rec.get("n")
            a.check_small("clusters", fid, "n", n)
            kn = a.var(("cluster", fid), n, a.status_of(rec, "n"), ("clusters", fid, "n"))
            dens, area = rec.get("density_per_km2"), rec.get("area_m2")
            if dens is not None and not pd.isna(dens) and area is not None and not pd.isna(area):
                system.relate([kn], [1.0], float(dens) * float(area) / 1e6)
            for k in (1, 2, 3):
                sh = rec.get(f"top{k}_share")
                if sh is None or pd.isna(sh):
                    continue
                if n is not None and not pd.isna(n):
                    a.check_small("clusters", fid, f"top{k}_share", round(float(sh) * float(n)))


def _audit_gi(a: _Attack, h: pd.DataFrame, rings: int) -> None:
    """Published Gi* values beside hidden counts: in the neighbourhood of one (its z fixes the
    neighbourhood's sum: ``gi_neighbourhood``), or anywhere in a layer that hides a count (two
    z-scores give the grid's mean and standard deviation, so the hidden counts' sum of squares:
    ``gi_variance``, at most 50 cells listed)."""
    cols = [c for c in _GI if c in h.columns]
    if not (len(h) and "count" in h.columns and cols):
        return
    hid_ids = grid.str_to_cells(h["cell"].astype(str).tolist())
    hidden = hid_ids[pd.to_numeric(h["count"], errors="coerce").isna().to_numpy()]
    if not hidden.size:
        return
    near = np.isin(hid_ids, grid.disk_cells(hidden, rings))
    shown = np.column_stack([pd.to_numeric(h[c], errors="coerce").notna().to_numpy() for c in cols])
    z_near = near & shown[:, cols.index("gi_z")] if "gi_z" in cols else np.zeros(len(h), dtype=bool)
    for fid in grid.cells_to_str(hid_ids[z_near]):
        a.add("hotspots", fid, "gi_z", "gi_neighbourhood", None, None,
              "gi_z is published for a neighbourhood holding a hidden count: it fixes the "
              "neighbourhood's sum")
    for i in np.flatnonzero(shown.any(axis=1) & ~z_near)[:50]:
        prop = cols[int(np.argmax(shown[i]))]
        a.add("hotspots", grid.cells_to_str(hid_ids[i:i + 1])[0], prop, "gi_variance", None, None,
              f"{prop} is published in a layer that hides counts: two z-scores give the grid's mean "
              "and standard deviation, so the sum of squares of the hidden counts")


def _audit_period_gi(a: _Attack, em: pd.DataFrame) -> None:
    """Published per-period Gi* values of the emerging layer (see :data:`_EMERGING_WITHHELD`)."""
    for c in _EMERGING_WITHHELD:
        shown = pd.to_numeric(em[c], errors="coerce").notna().to_numpy() if c in em.columns else None
        if shown is None or not shown.any():
            continue
        ids = _feature_ids(em, "cell")
        for fid in [f for f, k in zip(ids, shown, strict=True) if k][:50]:
            a.add("emerging", fid, c, "period_gi", None, None,
                  f"{c} is published: with every cell's value a reader solves for the "
                  "period's counts per cell (a linear function of its neighbourhood sums)")


def _audit_survey(a: _Attack, cells: pd.DataFrame, districts: pd.DataFrame, mr: int) -> None:
    """The survey's cells against its districts (:func:`_survey_system`): a district's
    respondents less those of its shown cells are its hidden cells' (a recipient takes every
    respondent to have a position, and a cell across a border to split in unknown parts)."""
    if not (len(cells) and len(districts) and "n" in cells.columns and "n" in districts.columns
            and "cell" in cells.columns and "_geometry" in districts.columns):
        return
    geoms = districts["_geometry"].to_numpy()
    ok = np.asarray([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not ok.any():
        return
    ids = cells["cell"].astype(str).tolist()
    cg = gpd.GeoDataFrame(geometry=grid.cells_to_polygons(grid.str_to_cells(ids)).values, crs=4326)
    dg = gpd.GeoDataFrame(geometry=list(geoms[ok]), crs=4326)
    where = _survey_cell_districts(cg, dg)
    nc = pd.to_numeric(cells["n"], errors="coerce").to_numpy(dtype="float64")
    nd = pd.to_numeric(districts["n"], errors="coerce").to_numpy(dtype="float64")[ok]
    for k, v in enumerate(nc):
        if np.isfinite(v) and 0 < v < mr:
            a.add("trygghet_cells", ids[k], "n", "below_min_count", v, v,
                  f"published number of respondents {v:g} is below min_respondents {mr}")
    parts = {k: np.full(len(ds), np.nan) for k, ds in enumerate(where) if len(ds) > 1}
    st_c = np.where(np.isfinite(nc), -1, _protect.HIDDEN)
    st_d = np.where(np.isfinite(nd), -1, _protect.HIDDEN)
    system, kc = _survey_system(mr, nc, st_c, nd, st_d, where, parts, exact=True)
    _, _, status = system.arrays()
    r = _protect.ranges(system, status, known=False, sensitive=status == _protect.HIDDEN)
    if r.infeasible:
        return
    for i in np.flatnonzero(~np.isfinite(nc)).tolist():
        lo, hi = float(r.lo[kc[i]]), float(r.hi[kc[i]])
        if abs(hi - lo) < 1e-6 and 1 <= round(lo) <= mr - 1:
            a.add("trygghet_cells", ids[i], "n", "pinned", lo, hi,
                  f"the district's respondents less its shown cells' leave only {lo:g}")


def _audit_intervals(a: _Attack) -> None:
    """The interval audit: every hidden value minimised and maximised; the pinned ones found."""
    system, mc = a.system, a.mc
    if not len(system):
        return
    _, _, status = system.arrays()
    # a value hidden to protect others (at least min_count) can never be pinned to a
    # small count; the others can
    r = _protect.ranges(system, status, known=False, sensitive=np.isin(status, (PRIMARY, _protect.HIDDEN)))
    if r.infeasible:
        a.add("", "", "", "inconsistent", None, None,
              "the published figures contradict each other or the suppression rules")
    for kx in np.flatnonzero(r.exposed):
        # pinned to a small count (1 … min_count−1) is a disclosure; to 0 it is not (a zero
        # may be published)
        low, high = float(r.lo[kx]), float(r.hi[kx])
        ints = range(int(np.ceil(low - 1e-6)), int(np.floor(high + 1e-6)) + 1)
        if not any(1 <= k <= mc - 1 for k in ints):
            continue
        lay, fid, prop = a.label_of(int(kx))
        a.add(lay, fid, prop, "pinned", low, high, f"the published figures leave only {low:g}")


def _audit(layers: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> pd.DataFrame:
    """The attack of :func:`audit_package` on a package read back."""
    mc_v = _number(_mapping(meta.get("suppression")).get("min_count"))
    mc = int(mc_v) if np.isfinite(mc_v) and mc_v >= 1 else Settings().min_count
    rings_v = _number(_mapping(meta.get("method")).get("rings"))
    rings = int(rings_v) if np.isfinite(rings_v) and 1 <= rings_v <= 10 else 1
    empty = pd.DataFrame()
    cells_l, hot_l = layers.get("cells", empty), layers.get("hotspots", empty)
    dist_l, em_l, cl_l = layers.get("districts", empty), layers.get("emerging", empty), layers.get("clusters", empty)
    a = _Attack(mc)
    kommun, level_rows, levels = _audit_totals(a, meta)
    _audit_build_counts(a, _mapping(meta.get(_BUILD_COUNTS)))
    _audit_cells(a, cells_l, hot_l, kommun)
    _audit_districts(a, dist_l, kommun, level_rows, levels)
    _audit_emerging_clusters(a, em_l, cl_l)
    _audit_gi(a, hot_l, rings)
    _audit_period_gi(a, em_l)
    mr_v = _number(_mapping(meta.get("suppression")).get("min_respondents"))
    _audit_survey(a, layers.get("trygghet_cells", empty), layers.get("trygghet", empty),
                  int(mr_v) if np.isfinite(mr_v) and mr_v >= 1 else Settings().min_respondents)
    _audit_intervals(a)
    return pd.DataFrame(a.findings, columns=list(AUDIT_COLUMNS))
