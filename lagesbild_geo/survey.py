"""Trygghet (perceived safety) survey indicators, map pins, small-number protection.

Respondent answers are personal data: every aggregate here carries its ``n``
and is suppressed (value NaN, ``suppressed`` true) when it rests on fewer than
``settings.min_respondents`` respondents, or rolled up to the parent H3 cell
when asked. Free text (comments on pins) is dropped when it is read and never
leaves this module. Methods and columns: ``docs/survey.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from . import grid
from ._columns import INCIDENT_ALIASES, find_column
from .errors import InputError, SchemaError
from .names import name_key, with_leading_zero
from .read.tables import read_table
from .read.values import parse_numbers
from .schema import fold
from .settings import Settings

__all__ = [
    "SAFETY_LEVELS",
    "perceived_vs_reported",
    "pins_to_cells",
    "read_pins",
    "read_survey",
    "survey_indicators",
]

#: Folded answer text → level (1 very safe … 4 very unsafe, 5 never goes out).
SAFETY_LEVELS: dict[str, int] = {
    "mycket trygg": 1,
    "ganska trygg": 2,
    "ganska otrygg": 3,
    "mycket otrygg": 4,
    "gar aldrig ut": 5,
    "very safe": 1,
    "fairly safe": 2,
    "fairly unsafe": 3,
    "very unsafe": 4,
    "never goes out": 5,
}
# "Vet ej", "Ingen uppfattning", blank: no valid answer (left out of n_safety)
_DONT_KNOW = ("vet ej", "vet inte", "ingen uppfattning", "ingen asikt", "ej svar", "don t know")
# Numeric exports code "Vet ej" as 9 (or 99) after the answers 1-4/1-5
_DONT_KNOW_CODES = frozenset({"9", "99"})

_ROLES: dict[str, list[list[str]]] = {
    "respondent_id": [["svar_id", "svarsid", "respondent_id", "respondent", "lopnummer", "id"]],
    "district_code": [["deso", "district_code", "regso", "distrikt", "omrade", "område",
                       "stadsdel", "district", "kommundel"]],
    "safety": [["trygg_kvall", "trygghet", "trygg", "hur trygg", "safety", "trygg kvall"]],
    "worry": [["oro_brott", "oro", "oro for brott", "worry", "orosindex"]],
    "weight": [["vikt", "weight", "vikter", "viktning", "vikt_ny"]],
    "lat": [["lat", "latitud", "latitude"]],
    "lon": [["lon", "long", "lng", "longitud", "longitude"]],
}


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings()


_CODED = re.compile(r"^(?:(\d{1,2}) )?(.*?)(?: (\d{1,2}))?$")


def _label(folded: str) -> str:
    """The answer label without the option number survey tools put before or after it
    ("4 - Mycket otrygg", "1. Mycket trygg", "Ganska trygg (2)" fold to "4 mycket otrygg" …),
    and "jag går aldrig ut"/"går ej ut" as "gar aldrig ut"."""
    m = _CODED.match(folded)
    label = m.group(2) if m and m.group(2) and (m.group(1) or m.group(3)) else folded
    if label.startswith("jag "):
        label = label[4:]
    return "gar aldrig ut" if label in ("gar ej ut", "gar inte ut") else label


def _level(text: pd.Series) -> npt.NDArray[np.float64]:
    """Safety level of each answer (NaN for don't know / blank / unknown)."""
    codes, uniques = pd.factorize(text.astype("string").fillna(""), sort=False)
    lv = []
    for u in uniques:
        f = fold(u)
        if not f.isdigit():
            f = _label(f)
        if f in SAFETY_LEVELS:
            lv.append(float(SAFETY_LEVELS[f]))
        elif f.startswith(("gar aldrig ut", "gar inte ut")):
            lv.append(5.0)
        elif f in _DONT_KNOW_CODES:
            lv.append(np.nan)
        elif f.isdigit() and 1 <= int(f) <= 5:
            lv.append(float(f))
        else:
            lv.append(np.nan)
    arr = np.asarray([*lv, np.nan], dtype="float64")
    return arr[codes]


def read_survey(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a respondent-level trygghet survey (one row per respondent).

    The columns are recognised by name (Swedish or English; override with
    ``columns={"district_code": "Område", ...}``): ``respondent_id`` (svar_id),
    ``district_code`` (deso …), ``safety`` (trygg_kvall: "Mycket trygg",
    "Ganska trygg", "Ganska otrygg", "Mycket otrygg", "Går aldrig ut", "Vet ej"
    or blank), ``worry`` (oro_brott, 1–5), ``weight`` (vikt; 1 when absent),
    optional ``lat``/``lon``. CSV (any delimiter/encoding/decimal comma),
    Excel and GIS files are read with :func:`lagesbild_geo.read.read_table`.

    Returns
    -------
    DataFrame
        ``respondent_id`` (str), ``district_code`` (str), ``safety_answer`` (the
        text as given), ``safety_level`` (Int64: 1 very safe … 4 very unsafe,
        5 never goes out; NA for don't know/blank/unknown), ``worry_score``
        (float 1–5, NaN otherwise), ``weight`` (float), and ``lat``/``lon`` when
        given. ``attrs["survey_report"]``: rows, unknown answer labels, invalid
        scores, invalid weights.

    Examples
    --------
    >>> raw = pd.DataFrame({"svar_id": ["1", "2"], "deso": ["9999C1010"] * 2,
    ...                     "trygg_kvall": ["Ganska otrygg", "Vet ej"], "oro_brott": ["4", "2"],
    ...                     "vikt": ["1,5", "0,8"]})
    >>> s = read_survey(raw)
    >>> s[["safety_level", "worry_score", "weight"]].to_numpy().tolist()
    [[3, 4.0, 1.5], [<NA>, 2.0, 0.8]]
    """
    table, info = read_table(source, sheet=sheet, columns_hint=[
        a for tiers in _ROLES.values() for tier in tiers for a in tier])
    name = info.get("source", "<survey>")
    given = dict(columns or {})
    found: dict[str, str | None] = {}
    taken: list[str] = []
    for role, aliases in _ROLES.items():
        if role in given:
            if given[role] not in table.columns:
                raise SchemaError(
                    f"{name}: columns[{role!r}] = {given[role]!r} is not a column; columns are "
                    f"{list(table.columns)}.")
            found[role] = given[role]
        else:
            try:
                found[role] = find_column(table.columns, aliases, role=role,
                                             required=role == "safety", exclude=taken)
            except SchemaError as exc:
                raise SchemaError(
                    f"Survey {name}: {exc} (In lagesbild.toml: [survey] columns = {{ {role} = "
                    f"\"<column name>\" }}.)") from None
        if found[role] is not None:
            taken.append(str(found[role]))
    if found["district_code"] is None and (found["lat"] is None or found["lon"] is None):
        raise SchemaError(
            f"{name}: no district column (deso, distrikt, område …) and no lat/lon columns "
            f"among {list(table.columns)}; name one with columns={{'district_code': '<column>'}}.")
    n = len(table)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    rid = found["respondent_id"]
    out["respondent_id"] = (table[rid].astype("string").to_numpy() if rid
                            else pd.array([str(i + 1) for i in range(n)], dtype="string"))
    dc = found["district_code"]
    out["district_code"] = (pd.array(table[dc].astype("string").str.strip().to_numpy(), dtype="string")
                            if dc else pd.array([None] * n, dtype="string"))
    ans = table[str(found["safety"])].astype("string")
    out["safety_answer"] = pd.array(ans.to_numpy(), dtype="string")
    lv = _level(ans)
    out["safety_level"] = pd.array(np.where(np.isnan(lv), 0, lv).astype(np.int64),
                                   dtype="Int64").copy()
    out.loc[np.isnan(lv), "safety_level"] = pd.NA
    folded = ans.fillna("").map(lambda a: _label(fold(a)))
    unknown = sorted({str(a) for a, f, v in zip(ans.fillna(""), folded, lv, strict=True)
                      if np.isnan(v) and f and not f.startswith(_DONT_KNOW) and f not in _DONT_KNOW_CODES})
    report: dict[str, Any] = {"source": name, "rows": n, "unknown_answers": unknown}
    if found["worry"]:
        text = table[str(found["worry"])].astype("string").fillna("").str.strip()
        w = parse_numbers(text)
        f = text.map(fold)
        # "Vet ej" or its code 9/99 is no answer; text that is no score ("x", "Mycket") is invalid
        dont = (f.str.startswith(_DONT_KNOW) | f.isin(_DONT_KNOW_CODES)).to_numpy(dtype=bool)
        bad = ~dont & (text != "").to_numpy(dtype=bool) & (np.isnan(w) | (w < 1) | (w > 5))
        report["invalid_worry_scores"] = int(bad.sum())
        out["worry_score"] = np.where(bad | dont, np.nan, w)
    else:
        out["worry_score"] = np.nan
    out["weight"] = _weights(table, found["weight"], report)
    if found["lat"] and found["lon"]:
        out["lat"] = parse_numbers(table[str(found["lat"])])
        out["lon"] = parse_numbers(table[str(found["lon"])])
    report["columns"] = {k: v for k, v in found.items() if v is not None}
    out.attrs["survey_report"] = report
    return out


def _weights(table: pd.DataFrame, column: str | None, report: dict[str, Any]) -> Any:
    """The design weights (NaN where blank, 0 or negative; 1 without a weight column or when
    the column is empty), noting the invalid ones in ``report``."""
    if not column:
        return 1.0
    wt = parse_numbers(table[str(column)])
    if len(wt) and np.isnan(wt).all():
        report["empty_weight_column"] = str(column)  # a blank column: no weights
        return 1.0
    badw = ~(wt > 0)
    report["invalid_weights"] = int(badw.sum())
    return np.where(badw, np.nan, wt)


def _group_values(
    df: pd.DataFrame, key: npt.NDArray[Any], *, include_never_out: bool, weighted: bool
) -> pd.DataFrame:
    lv = df["safety_level"].to_numpy(dtype="float64", na_value=np.nan)
    worry = df["worry_score"].to_numpy(dtype="float64")
    w = df["weight"].to_numpy(dtype="float64") if weighted else np.ones(len(df))
    w = np.where(np.isfinite(w), w, 0.0) if weighted else w
    # a respondent without a usable weight adds nothing to a weighted share, so is no valid
    # answer for it either: n_safety/n_worry (and their suppression) count those that do
    usable = (w > 0) if weighted else np.ones(len(df), dtype=bool)
    valid = np.isfinite(lv) & usable
    unsafe = (lv == 3) | (lv == 4) | ((lv == 5) if include_never_out else np.zeros_like(valid))
    never = lv == 5
    vw = np.isfinite(worry) & usable
    frame = pd.DataFrame({
        "k": key, "one": 1, "valid": valid.astype(int), "vworry": vw.astype(int),
        "w_valid": np.where(valid, w, 0.0), "w_unsafe": np.where(valid & unsafe, w, 0.0),
        "w_never": np.where(valid & never, w, 0.0),
        "w_worry": np.where(vw, w, 0.0), "w_worry_x": np.where(vw, w * np.nan_to_num(worry), 0.0),
    })
    g = frame.groupby("k", sort=True).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "n": g["one"].astype("int64"),
            "n_safety": g["valid"].astype("int64"),
            "n_worry": g["vworry"].astype("int64"),
            "otrygg_share": g["w_unsafe"] / g["w_valid"],
            "never_out_share": g["w_never"] / g["w_valid"],
            "mean_worry": g["w_worry_x"] / g["w_worry"],
        }, index=g.index)
    return out


def _suppress(t: pd.DataFrame, min_n: int) -> pd.DataFrame:
    t = t.copy()
    t["suppressed"] = (t["n"] < min_n).to_numpy()
    low_safety = (t["n_safety"] < min_n).to_numpy() | t["suppressed"].to_numpy()
    t.loc[low_safety, ["otrygg_share", "never_out_share"]] = np.nan
    low_worry = (t["n_worry"] < min_n).to_numpy() | t["suppressed"].to_numpy()
    t.loc[low_worry, "mean_worry"] = np.nan
    return t


def survey_indicators(
    responses: pd.DataFrame,
    *,
    by: str = "district_code",
    resolution: int | None = None,
    settings: Settings | None = None,
    include_never_out: bool = True,
    weighted: bool = True,
    roll_up: bool = False,
    min_resolution: int | None = None,
    districts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Trygghet indicators per district or per H3 cell, with small-number protection.

    Parameters
    ----------
    responses
        Respondent table from :func:`read_survey`.
    by
        ``"district_code"`` (default) or ``"cell"`` (respondents need ``lat``/``lon``
        or a ``cell`` column).
    resolution
        H3 resolution for ``by="cell"`` (default ``settings.resolution``).
    settings
        ``min_respondents`` (default 5) is the publication threshold.
    include_never_out
        Count "Går aldrig ut" (stays in because of fear) as unsafe (default; the
        usual "otrygga eller avstår" indicator); ``False`` keeps it in the
        denominator only.
    weighted
        Use the ``weight`` column (design weights) in shares and means.
    roll_up
        ``by="cell"`` only: respondents of cells with fewer than ``min_respondents``
        are pooled in their parent cell (one resolution coarser), repeatedly down to
        ``min_resolution`` (default ``resolution − 2``); what is still too small is
        suppressed.
    districts
        Optional district table (index ``district_code``, e.g. from
        :func:`lagesbild_geo.districts.read_districts`): every district is listed
        (n = 0 where nobody answered) and its geometry attached.

    Returns
    -------
    DataFrame (GeoDataFrame for cells or with ``districts``)
        Indexed by ``district_code`` or ``cell``: ``n`` (respondents),
        ``n_safety`` (valid safety answers), ``n_worry``, ``otrygg_share``
        ("Ganska otrygg" + "Mycket otrygg" [+ "Går aldrig ut"] among valid safety
        answers, weighted), ``never_out_share``, ``mean_worry`` (weighted mean of
        the 1–5 worry score), ``suppressed`` (n < min_respondents: values NaN).
        A value resting on fewer valid answers than the threshold is NaN too.
        Cells also get ``resolution`` (differs from the requested one where
        rolled up).

    Examples
    --------
    >>> r = pd.DataFrame({"district_code": ["A"] * 6 + ["B"] * 2,
    ...                   "safety_level": pd.array([1, 2, 3, 4, 5, None, 3, 3], dtype="Int64"),
    ...                   "worry_score": [1.0, 2, 3, 4, 5, 3, 4, 4], "weight": 1.0})
    >>> t = survey_indicators(r)
    >>> t[["n", "n_safety", "otrygg_share", "suppressed"]].to_numpy().tolist()
    [[6, 5, 0.6, False], [2, 2, nan, True]]
    """
    st = _settings(settings)
    need = {"safety_level", "worry_score", "weight"}
    missing = need - set(responses.columns)
    if missing:
        raise SchemaError(
            f"survey_indicators: responses lack {sorted(missing)}; read them with survey.read_survey.")
    if by == "district_code":
        return _district_indicators(responses, districts, min_n=st.min_respondents,
                                    include_never_out=include_never_out, weighted=weighted)
    if by != "cell":
        raise InputError(f"by must be 'district_code' or 'cell'; got {by!r}.")
    res = st.resolution if resolution is None else resolution
    return _cell_indicators(responses, res, min_n=st.min_respondents, include_never_out=include_never_out,
                            weighted=weighted, roll_up=roll_up,
                            min_resolution=(res - 2) if min_resolution is None else min_resolution)


def _district_indicators(responses: pd.DataFrame, districts: pd.DataFrame | None, *, min_n: int,
                         include_never_out: bool, weighted: bool) -> pd.DataFrame:
    """Indicators per district code (every district of ``districts`` listed, geometry attached)."""
    if "district_code" not in responses.columns:
        raise SchemaError("survey_indicators(by='district_code') needs a district_code column.")
    key = responses["district_code"].astype("string").fillna("").str.strip().to_numpy(dtype=object)
    matched: dict[str, int] = {}
    if districts is not None:
        key, matched = _match_districts(key, districts)
    sel = key != ""
    t = _group_values(responses.loc[sel], key[sel], include_never_out=include_never_out,
                      weighted=weighted)
    t.index = pd.Index(t.index.astype(str), dtype="string", name="district_code")
    if districts is not None:
        idx = pd.Index(districts.index.astype(str), dtype="string", name="district_code")
        unknown = sorted(set(t.index) - set(idx))
        t = t.reindex(idx.union(t.index, sort=False) if unknown else idx)
        for c in ("n", "n_safety", "n_worry"):
            t[c] = t[c].fillna(0).astype("int64")
        t.attrs["unknown_districts"] = unknown
        t.attrs["unknown_respondents"] = int(np.isin(key, unknown).sum()) if unknown else 0
        t.attrs["district_matches"] = matched
    out = _suppress(t, min_n)
    if districts is not None and isinstance(districts, gpd.GeoDataFrame):
        geo = districts.geometry.copy()
        geo.index = pd.Index(districts.index.astype(str), dtype="string")
        return gpd.GeoDataFrame(out, geometry=geo.reindex(out.index).values, crs=districts.crs)
    return out


def _match_districts(key: npt.NDArray[Any], districts: pd.DataFrame
                     ) -> tuple[npt.NDArray[Any], dict[str, int]]:
    """Respondents' area values as district codes, where they name a district otherwise.

    A value that is a district code stays. Else: the code with the leading zero that a
    spreadsheet dropped ("180C1010" for "0180C1010", :func:`~lagesbild_geo.names.with_leading_zero`),
    the code in other case, or the district's name (compared by
    :func:`~lagesbild_geo.names.name_key`, as incidents are: å, ä and ö are letters, so "Angby"
    is not "Ängby"; a name several districts share is not matched). What matches nothing stays
    as given (an unknown district). Returns the keys and the respondents matched per way.
    """
    codes = [str(c) for c in districts.index]
    known = set(codes)
    upper = {c.upper(): c for c in codes}
    by_name: dict[str, str | None] = {}
    if "district_name" in districts.columns:
        for c, nm in zip(codes, districts["district_name"].astype("string").fillna(""), strict=True):
            k = name_key(nm)
            if k:
                by_name[k] = c if k not in by_name else None  # shared name: ambiguous
    counts = {"leading_zero": 0, "case": 0, "name": 0}
    values, inverse = np.unique(key.astype(str), return_inverse=True)
    per_value = np.bincount(inverse, minlength=len(values))
    mapped = []
    for v, n in zip(values, per_value, strict=True):
        restored = with_leading_zero(v)
        if v == "" or v in known:
            hit, how = v, ""
        elif restored in known:
            hit, how = restored, "leading_zero"
        elif restored.upper() in upper:
            hit, how = upper[restored.upper()], "case"
        else:
            hit, how = by_name.get(name_key(v)), "name"
        mapped.append(v if hit is None else hit)
        if hit is not None and how:
            counts[how] += int(n)
    return np.asarray(mapped, dtype=object)[inverse], {k: v for k, v in counts.items() if v}


def _cell_indicators(responses: pd.DataFrame, res: int, *, min_n: int, include_never_out: bool,
                     weighted: bool, roll_up: bool, min_resolution: int) -> gpd.GeoDataFrame:
    """Indicators per H3 cell; with ``roll_up``, small cells pooled in their parents."""
    cells = grid.incident_cells(responses, res)
    sel = cells != 0
    pool = responses.loc[sel]
    cells = cells[sel]
    parts: list[pd.DataFrame] = []
    r = res
    while True:
        t = _group_values(pool, cells, include_never_out=include_never_out, weighted=weighted)
        t["resolution"] = r
        small = t["n"] < min_n
        if not roll_up or r <= max(min_resolution, 0) or not small.any():
            parts.append(t)
            break
        parts.append(t.loc[~small])
        keep = np.isin(cells, t.index[small].to_numpy(dtype=np.uint64))
        pool = pool.loc[keep]
        cells = grid.cells_to_parent(cells[keep], r - 1)
        r -= 1
    t = pd.concat(parts)
    t.index = pd.Index(t.index.to_numpy(dtype=np.uint64), dtype="uint64", name="cell")
    out = _suppress(t, min_n)
    out.attrs["not_on_grid"] = int((~sel).sum())
    return gpd.GeoDataFrame(out, geometry=grid.cells_to_polygons(out.index.to_numpy()).values,
                            crs="EPSG:4326")


# ---------------------------------------------------------------------------
# pins
# ---------------------------------------------------------------------------
_PIN_ROLES = {
    "pin_id": ["pin_id", "id", "nal_id", "markering"],
    "reason": ["orsak", "reason", "anledning", "kategori", "typ"],
    "date": ["datum", "date", "tid", "skapad"],
}


def read_pins(source: str | Path | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Read map-survey pins (points where people feel unsafe) **without their free text**.

    Keeps ``pin_id``, ``reason`` (orsak: "Dålig belysning", "Folksamlingar" …),
    ``date`` and the point; comments and every other column are dropped here so
    they cannot leak into a map or an export.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"pin_id": [1], "orsak": ["Skymd sikt"], "kommentar": ["Anna, 070-..."]},
    ...                      geometry=[Point(17.1, 59.4)], crs="EPSG:4326")
    >>> list(read_pins(g).columns)
    ['pin_id', 'reason', 'date', 'lat', 'lon', 'geometry']
    """
    if isinstance(source, gpd.GeoDataFrame):
        g = source
    else:
        p = Path(source)
        if not p.exists():
            raise InputError(f"Pin file {p} does not exist. Check the path.")
        g = _read_pin_file(p)
    if g.crs is None:
        raise InputError("Pins have no CRS; set it (e.g. .set_crs('EPSG:4326')) before reading.")
    g = g.to_crs("EPSG:4326")
    pts = g.geometry
    if not (pts.geom_type == "Point").all():
        pts = pts.representative_point()
    cols = {str(c): c for c in g.columns}
    found: dict[str, Any] = {}
    for role, aliases in _PIN_ROLES.items():
        hit = next((cols[c] for c in cols if fold(c) in {fold(a) for a in aliases}), None)
        found[role] = hit
    n = len(g)
    out = gpd.GeoDataFrame({
        "pin_id": (g[found["pin_id"]].astype("string").to_numpy() if found["pin_id"] is not None
                   else pd.array([str(i + 1) for i in range(n)], dtype="string")),
        "reason": (pd.array(g[found["reason"]].astype("string").str.strip().to_numpy(), dtype="string")
                   if found["reason"] is not None else pd.array(["Annat"] * n, dtype="string")),
        "date": (pd.to_datetime(g[found["date"]].astype("string"), errors="coerce", format="mixed")
                 .to_numpy() if found["date"] is not None
                 else np.full(n, np.datetime64("NaT", "ns"))),
        "lat": pts.y.to_numpy(),
        "lon": pts.x.to_numpy(),
    }, geometry=pts.values, crs="EPSG:4326")
    return out


def _read_pin_file(p: Path) -> gpd.GeoDataFrame:
    """Pins from a GIS file, or from a table (CSV/Excel, as survey tools export) with Lat/Lon."""
    if p.suffix.lower() in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
        table, _info = read_table(p)
        df = pd.DataFrame(table)
        lat_c = find_column(df.columns, INCIDENT_ALIASES["lat"], role="lat")
        lon_c = find_column(df.columns, INCIDENT_ALIASES["lon"], role="lon")
        if lat_c is None or lon_c is None:
            raise InputError(
                f"Pin file {p.name} is a table without Lat/Lon columns (columns: {list(df.columns)}); "
                "give the pins as GeoJSON/GeoPackage points or as a table with Lat and Lon (WGS84).")
        lat, lon = parse_numbers(df[lat_c]), parse_numbers(df[lon_c])
        ok = np.isfinite(lat) & np.isfinite(lon)
        if not ok.any():
            raise InputError(f"Pin file {p.name}: no row has numbers in {lat_c}/{lon_c}.")
        if np.nanmedian(lat[ok]) < np.nanmedian(lon[ok]):  # lat/lon swapped (Sweden: lat > lon)
            lat, lon = lon, lat
        return gpd.GeoDataFrame(df.loc[ok].drop(columns=[lat_c, lon_c]).reset_index(drop=True),
                                geometry=gpd.points_from_xy(lon[ok], lat[ok]), crs="EPSG:4326")
    try:
        g = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several error types
        raise InputError(f"Pin file {p.name} cannot be read as a GIS layer ({type(exc).__name__}: "
                         f"{exc}); give GeoJSON/GeoPackage points or a CSV with Lat/Lon.") from None
    if not isinstance(g, gpd.GeoDataFrame) or len(g) == 0 or g.geometry.isna().all():
        raise InputError(f"Pin file {p.name} has no points; give GeoJSON/GeoPackage points or a CSV "
                         "with Lat/Lon.")
    return g


def _slug(text: str) -> str:
    return fold(text).replace(" ", "_") or "okand"


def pins_to_cells(
    pins: pd.DataFrame,
    *,
    resolution: int | None = None,
    settings: Settings | None = None,
    roll_up: bool = False,
    min_resolution: int | None = None,
) -> gpd.GeoDataFrame:
    """Count pins per H3 cell and reason, suppressing cells with fewer than
    ``min_respondents`` pins (or pooling them in the parent cell with ``roll_up``).

    Returns
    -------
    GeoDataFrame
        Indexed by ``cell``: ``n`` (pins), ``n_<reason>`` per reason (folded,
        e.g. ``n_dalig_belysning``), ``top_reason``, ``resolution``,
        ``suppressed``; counts are NA and ``top_reason`` empty where suppressed.
        Free text is never read.

    Examples
    --------
    >>> p = pd.DataFrame({"lat": [59.4] * 6, "lon": [17.1] * 6,
    ...                   "reason": ["Skymd sikt"] * 4 + ["Annat"] * 2})
    >>> c = pins_to_cells(p)
    >>> row = c.iloc[0]
    >>> int(row["n"]), int(row["n_skymd_sikt"]), row["top_reason"], bool(row["suppressed"])
    (6, 4, 'Skymd sikt', False)
    """
    st = _settings(settings)
    min_n = st.min_respondents
    res = st.resolution if resolution is None else resolution
    if not {"lat", "lon"} <= set(pins.columns) and "cell" not in pins.columns:
        raise SchemaError("pins_to_cells needs lat/lon (read pins with survey.read_pins).")
    reason = (pins["reason"].astype("string").fillna("Annat") if "reason" in pins.columns
              else pd.Series(["Annat"] * len(pins), dtype="string"))
    cells = grid.incident_cells(pins, res)
    ok = cells != 0
    reasons = reason.to_numpy(dtype=object)[ok]
    cells = cells[ok]
    labels = sorted(set(reasons.tolist()))
    low = (res - 2) if min_resolution is None else min_resolution
    parts: list[pd.DataFrame] = []
    r = res
    while True:
        tab = pd.crosstab(pd.Index(cells, name="cell"), pd.Index(reasons, name="reason"))
        tab = tab.reindex(columns=labels, fill_value=0)
        n = tab.sum(axis=1)
        small = n < min_n
        t = pd.DataFrame({"n": n.astype("int64")})
        for lab in labels:
            t[f"n_{_slug(lab)}"] = tab[lab].astype("int64")
        arr = tab.to_numpy()
        t["top_reason"] = pd.array(
            [labels[i] for i in arr.argmax(axis=1)] if len(labels) else [], dtype="string")
        t["resolution"] = r
        if not roll_up or r <= max(low, 0) or not small.any():
            parts.append(t)
            break
        parts.append(t.loc[~small.to_numpy()])
        keep = np.isin(cells, tab.index[small.to_numpy()].to_numpy(dtype=np.uint64))
        reasons = reasons[keep]
        cells = grid.cells_to_parent(cells[keep], r - 1)
        r -= 1
    t = pd.concat(parts) if parts else pd.DataFrame({"n": []})
    t.index = pd.Index(t.index.to_numpy(dtype=np.uint64), dtype="uint64", name="cell")
    supp = (t["n"] < min_n).to_numpy()
    for c in [c for c in t.columns if str(c).startswith("n")]:
        t[c] = pd.array(t[c].to_numpy(), dtype="Int64")
        t.loc[supp, c] = pd.NA
    t.loc[supp, "top_reason"] = pd.NA
    t["suppressed"] = supp
    out = gpd.GeoDataFrame(t, geometry=grid.cells_to_polygons(t.index.to_numpy()).values,
                           crs="EPSG:4326")
    out.attrs["reasons"] = labels
    out.attrs["not_on_grid"] = int((~ok).sum())
    return out


# ---------------------------------------------------------------------------
# perceived vs reported
# ---------------------------------------------------------------------------
def _population(population: pd.Series | str | None, reported: pd.DataFrame,
                indicators: pd.DataFrame) -> pd.Series | None:
    """The population Series: given, or a column of ``reported`` or ``indicators``."""
    if isinstance(population, pd.Series):
        return population
    if isinstance(population, str):
        if population in reported.columns:
            return reported[population]
        if population in indicators.columns:
            return indicators[population]
    return None


def _reported_rate(counts: npt.NDArray[np.float64], idx: pd.Index, pop: pd.Series | None,
                   per: float) -> tuple[npt.NDArray[np.float64], str]:
    """(rate, unit): per ``per`` inhabitants, else per km² of an H3 cell, else the count."""
    if pop is not None:
        p = pd.to_numeric(pop, errors="coerce").groupby(level=0).first().reindex(idx).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(p > 0, counts / p * per, np.nan), f"per {per:g} inhabitants"
    if idx.dtype == np.uint64:
        return counts / (grid.cell_area_m2(idx.to_numpy(dtype=np.uint64)) / 1e6), "per km²"
    return counts.astype("float64"), "count"


def _standardised(v: npt.NDArray[np.float64], both: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """(v − mean) / sample s.d. over the units in ``both`` (0 when constant); NaN elsewhere."""
    o = np.full(v.shape, np.nan)
    if both.sum() >= 2:
        sd = v[both].std(ddof=1)
        if sd > 0:
            o[both] = (v[both] - v[both].mean()) / sd
        else:
            o[both] = 0.0
    return o


def perceived_vs_reported(
    indicators: pd.DataFrame,
    reported: pd.DataFrame | pd.Series,
    *,
    perceived: str = "otrygg_share",
    count: str = "count",
    population: pd.Series | str | None = "population",
    per: float = 1000.0,
    threshold: float = 1.0,
    log: bool = False,
) -> pd.DataFrame:
    r"""Perceived unsafety beside reported incidents, with a standardised difference.

    Per district (or cell): the survey indicator (default ``otrygg_share``) and
    the reported rate (incidents per ``per`` = 1 000 inhabitants when a
    population is known; per km² for H3 cells without population). Both are
    standardised over the units where both are published,
    :math:`z = (x - \bar x) / s` (sample s.d.), and
    ``std_diff = z_perceived − z_reported``: positive where a place feels less safe
    than its reports suggest, negative where many reports meet little
    unsafety. With ``log=True`` both are standardised as ``log(1 + x)``, which
    suits skewed counts (pins, incidents per km²) where a single big hotspot
    would otherwise dominate the standard deviation. ``pattern`` is
    ``feels_unsafe_few_reports`` (std_diff ≥
    ``threshold``), ``many_reports_feels_safe`` (≤ −threshold) or ``consistent``;
    suppressed or unknown units get NaN and ``pattern`` NA.

    Parameters
    ----------
    indicators
        From :func:`survey_indicators` (index ``district_code`` or ``cell``).
    reported
        Counts with the same index: a DataFrame with ``count`` (e.g. the district
        summary or ``grid.count_cells``) or a Series.
    population
        A Series by the same index, or the name of a column of ``reported`` or
        ``indicators``; None to skip.

    Examples
    --------
    >>> ind = pd.DataFrame({"otrygg_share": [0.1, 0.2, 0.5]}, index=pd.Index(list("ABC"), name="district_code"))
    >>> rep = pd.DataFrame({"count": [50, 20, 5], "population": [1000, 1000, 1000]}, index=ind.index)
    >>> perceived_vs_reported(ind, rep)["pattern"].tolist()
    ['many_reports_feels_safe', 'consistent', 'feels_unsafe_few_reports']
    """
    if perceived not in indicators.columns:
        raise SchemaError(f"perceived_vs_reported: indicators lack {perceived!r}; columns are "
                          f"{list(indicators.columns)}.")
    rep = reported.to_frame(count) if isinstance(reported, pd.Series) else reported
    if count not in rep.columns:
        raise SchemaError(f"perceived_vs_reported: reported lacks {count!r}; columns are {list(rep.columns)}.")
    idx = indicators.index
    counts = pd.to_numeric(rep[count], errors="coerce").groupby(level=0).sum().reindex(idx)
    out = pd.DataFrame(index=idx)
    out[perceived] = pd.to_numeric(indicators[perceived], errors="coerce")
    out["reported_count"] = counts.fillna(0).to_numpy()
    rate, out.attrs["rate_unit"] = _reported_rate(out["reported_count"].to_numpy(), idx,
                                                  _population(population, rep, indicators), per)
    out["reported_rate"] = rate
    x = out[perceived].to_numpy(dtype="float64")
    y = out["reported_rate"].to_numpy(dtype="float64")
    if log:
        with np.errstate(invalid="ignore"):
            x, y = np.log1p(x), np.log1p(y)
    both = np.isfinite(x) & np.isfinite(y)
    if "suppressed" in indicators.columns:
        both &= ~indicators["suppressed"].fillna(True).to_numpy(dtype=bool)
    out["z_perceived"] = _standardised(x, both)
    out["z_reported"] = _standardised(y, both)
    d = out["z_perceived"].to_numpy() - out["z_reported"].to_numpy()
    out["std_diff"] = d
    pat = np.where(d >= threshold, "feels_unsafe_few_reports",
                   np.where(d <= -threshold, "many_reports_feels_safe", "consistent")).astype(object)
    pat[~np.isfinite(d)] = None
    out["pattern"] = pd.array(pat, dtype="string")
    if isinstance(indicators, gpd.GeoDataFrame):
        return gpd.GeoDataFrame(out, geometry=indicators.geometry.values, crs=indicators.crs)
    return out
