"""The police events feed (polisen.se/api/events): read it as it is, place it, keep an archive.

The feed is real public JSON: ``id``, ``datetime``, ``name``, ``summary``, ``url``,
``type`` and ``location`` (``name``: a kommun or a län; ``gps``: that area's centre).
:func:`lagesbild_geo.read.read_incidents` reads it through this module:

* **event time** (:func:`event_times`): ``occurred_at`` is the time at the start of
  ``name`` ("5 december 11.30, Stöld, Stockholm"), in Europe/Stockholm, with the year
  of the publication time ``datetime`` (kept as ``published_at``), an event of
  31 December published on 1 January belonging to the year before;
* **categories** (:func:`event_categories`): every event type of 2022–2026 has a
  category (:data:`EVENT_TYPES`), refined by the text where the type is too coarse
  ("Inbrott" in a lägenhet, villa, bostad or radhus is ``bostadsinbrott``); events
  that are not crimes are ``ej_brott`` (left out of counts by default);
* **level** (precision): a row naming a kommun is at ``kommun`` level, a row naming a
  län ("Uppsala län") at ``lan`` level, never a point.

:func:`place_events` then places kommun-level rows in a district when their text names
a place that lies in exactly one district ("Explosion i Bagarmossen"), and
:func:`fetch_events` / :func:`update_archive` keep a kommun's own archive of the feed,
which only returns recent events. See ``docs/polisen-feed.md``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS

from . import __version__
from ._geometry import check_shapefile_parts
from .crs import check_layer_axes, degrees_declared_but_metres, guess_layer_crs
from .errors import FetchError, InputError
from .names import admin_levels, find_kommun, kommun_keys, name_key, name_words
from .schema import CATEGORIES, fold, map_categories

__all__ = [
    "API_URL",
    "EVENT_TYPES",
    "USER_AGENT",
    "FetchError",
    "PoliceColumns",
    "event_categories",
    "event_columns",
    "event_times",
    "extract_places",
    "fetch_events",
    "is_police_table",
    "kommun_rows",
    "place_events",
    "read_archive",
    "read_places",
    "update_archive",
]

#: The public events API (returns the latest 500 events; ``?locationname=`` narrows it).
API_URL = "https://polisen.se/api/events"

# ------------------------------------------------------------------------------ categories

#: Every event type the feed used in 2022–2026 (85 011 events, 97 types) → category.
#: Types that are not crimes are ``ej_brott``. Spelling as in the feed (trailing blanks
#: are ignored; unknown future types fall back to :func:`lagesbild_geo.schema.map_categories`).
EVENT_TYPES: dict[str, str] = {
    # våld och hot
    "Misshandel": "vald", "Misshandel, grov": "vald", "Mord/dråp": "vald",
    "Mord/dråp, försök": "vald", "Olaga hot": "vald", "Våld/hot mot tjänsteman": "vald",
    "Bråk": "vald", "Ofredande/förargelse": "vald", "Olaga frihetsberövande/människorov": "vald",
    "Larm Överfall": "vald",
    # sexualbrott
    "Våldtäkt": "sexualbrott", "Våldtäkt, försök": "sexualbrott", "Sexualbrott": "sexualbrott",
    "Sedlighetsbrott": "sexualbrott",
    # rån
    "Rån": "ran", "Rån, försök": "ran", "Rån övrigt": "ran", "Rån väpnat": "ran",
    # stöld och inbrott (bostadsinbrott by the text, see _BOSTAD)
    "Stöld": "stold", "Stöld, försök": "stold", "Stöld/inbrott": "stold", "Inbrott": "stold",
    "Inbrott, försök": "stold", "Larm Inbrott": "stold", "Häleri": "stold",
    # fordon
    "Motorfordon, stöld": "fordonsbrott",
    # skadegörelse
    "Skadegörelse": "skadegorelse", "Sabotage mot blåljusverksamhet": "skadegorelse",
    # brand
    "Brand": "brand", "Mordbrand": "brand",
    # narkotika
    "Narkotikabrott": "narkotika",
    # ordning
    "Fylleri/LOB": "ordning", "Fylleri": "ordning", "Ordningslagen": "ordning",
    "Alkohollagen": "ordning", "Smällar": "ordning",
    # bedrägeri
    "Bedrägeri": "bedrageri", "Åldringsbrott": "bedrageri", "Förfalskningsbrott": "bedrageri",
    "Missbruk av urkund": "bedrageri", "Ekobrott": "bedrageri",
    # vapen, skottlossning, explosion
    "Vapenlagen": "vapen", "Knivlagen": "vapen", "Skottlossning": "vapen",
    "Skottlossning, misstänkt": "vapen", "Explosion": "vapen", "Detonation": "vapen",
    "Farligt föremål, misstänkt": "vapen", "Bombhot": "vapen",
    # trafikbrott
    "Rattfylleri": "trafik", "Trafikbrott": "trafik", "Olovlig körning": "trafik",
    "Trafikolycka, smitning från": "trafik",
    # other crimes
    "Olaga intrång": "ovrigt", "Vållande till kroppsskada": "ovrigt", "Hemfridsbrott": "ovrigt",
    "Skyddslagen": "ovrigt", "Sjölagen": "ovrigt", "Miljöbrott": "ovrigt",
    "Luftfartslagen": "ovrigt", "Utlänningslagen": "ovrigt", "Hets mot folkgrupp": "ovrigt",
    "Lagen om hundar och katter": "ovrigt", "Spridning smitta/kemikalier": "ovrigt",
    # not crimes: accidents, summaries, searches, animals, checks, information
    "Trafikolycka": "ej_brott", "Trafikolycka, personskada": "ej_brott",
    "Trafikolycka, vilt": "ej_brott", "Trafikolycka, singel": "ej_brott",
    "Sammanfattning natt": "ej_brott", "Sammanfattning kväll och natt": "ej_brott",
    "Sammanfattning dag": "ej_brott", "Sammanfattning kväll": "ej_brott",
    "Sammanfattning eftermiddag": "ej_brott", "Sammanfattning helg": "ej_brott",
    "Sammanfattning vecka": "ej_brott", "Sammanfattning dygn": "ej_brott",
    "Trafikkontroll": "ej_brott", "Kontroll person/fordon": "ej_brott", "Kontroll": "ej_brott",
    "Arbetsplatsolycka": "ej_brott", "Försvunnen person": "ej_brott", "Fjällräddning": "ej_brott",
    "Djur": "ej_brott", "Trafikhinder": "ej_brott", "Räddningsinsats": "ej_brott",
    "Anträffad död": "ej_brott", "Information": "ej_brott", "Polisinsats/kommendering": "ej_brott",
    "Uppdatering": "ej_brott", "Sjukdom/olycksfall": "ej_brott", "Anträffat gods": "ej_brott",
    "Efterlyst person": "ej_brott", "Upphittat föremål": "ej_brott",
    "Varningslarm/haveri": "ej_brott", "Brand automatlarm": "ej_brott",
    "Motorfordon, anträffat stulet": "ej_brott",
    # "Övrigt" is mostly press notices, exercises and information ("Efter klockan 22:00
    # finns ingen presstalesperson i tjänst"); map it with category_map to count it.
    "Övrigt": "ej_brott",
}

# Burglary types whose text may say it was a home; theft types that may say "inbrott".
_BURGLARY_TYPES = frozenset({"Inbrott", "Inbrott, försök", "Larm Inbrott", "Stöld/inbrott"})
_THEFT_TYPES = frozenset({"Stöld", "Stöld, försök"})
# A home: lägenhet, villa, bostad, radhus ... as a word or the start of a compound
# (villainbrott, lägenhetsdörr), but not lägenhetsförråd, villaområde, bostadsrättsföreningens
# källare and the like.
_BOSTAD = (r"(?i)(?<![\w])(?:lägenhet|villa|villor|bostad|radhus|parhus|kedjehus|fritidshus|"
           r"sommarstuga|stugan?\b|fritidsbostad|hemmet\b|bostadsinbrott)"
           r"(?!\w*(?:förråd|källar|garage|område|gata|gatan|väg|vägen|förening|rättsförening))")
_INBROTT = r"(?i)inbrott"

_MONTHS = {m: i for i, m in enumerate(
    ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
     "oktober", "november", "december"), start=1)}
_NAME_TIME = re.compile(
    r"^\s*(?P<day>\d{1,2})\s+(?P<month>" + "|".join(_MONTHS) + r")\.?(?:\s+(?P<year>\d{4}))?"
    r"(?:\s+(?:kl\.?\s*)?(?P<hour>\d{1,2})[.:](?P<minute>\d{2}))?\s*(?:,|$)",
    re.IGNORECASE)
_URL_DATE = r"/(?P<uyear>\d{4})/(?P<umonth>[a-zåäö]+)/(?P<uday>\d{1,2})/"


def _type_key(t: object) -> str:
    return " ".join(str(t).split())


_EVENT_TYPE_KEYS = {_type_key(k): v for k, v in EVENT_TYPES.items()}


def event_categories(
    types: pd.Series, text: pd.Series | None = None, *, category_map: Mapping[str, str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Categories of police event types, refined by the event text.

    Parameters
    ----------
    types
        The feed's ``type`` ("Misshandel", "Inbrott", "Trafikolycka" ...).
    text
        ``summary`` (and/or ``name``) of each event, for the refinements: a burglary
        type ("Inbrott", "Inbrott, försök", "Larm Inbrott", "Stöld/inbrott", or
        "Stöld" whose text says "inbrott") in a lägenhet, villa, bostad, radhus,
        parhus, kedjehus, fritidshus or "hemmet" is ``bostadsinbrott``.
    category_map
        The user's ``raw type → category`` entries; they win over the table and are
        not refined.

    Returns
    -------
    (category, unknown)
        Canonical ids (``ej_brott`` for events that are not crimes) and a mask of types
        neither in :data:`EVENT_TYPES` nor known to the general map (→ ``ovrigt``).

    Examples
    --------
    >>> cat, unk = event_categories(
    ...     pd.Series(["Inbrott", "Inbrott", "Larm Inbrott", "Trafikolycka", "Ufo"]),
    ...     pd.Series(["Inbrott i villa.", "Inbrott i källarförråd.", "Larm från butik.", "", ""]))
    >>> list(cat), list(unk)
    (['bostadsinbrott', 'stold', 'stold', 'ej_brott', 'ovrigt'], [False, False, False, False, True])
    """
    raw = types.astype("string")
    codes, uniques = pd.factorize(raw.fillna(""), sort=False)
    user = {fold(k): v for k, v in (category_map or {}).items()}
    bad = sorted({v for v in user.values() if v not in CATEGORIES})
    if bad:
        raise InputError(f"category_map maps to unknown categories {bad}; use one of {list(CATEGORIES)}.")
    cats: list[str] = []
    unknown: list[bool] = []
    by_user: list[bool] = []
    generic_u = [u for u in uniques if _type_key(u) not in _EVENT_TYPE_KEYS and fold(u) not in user]
    generic = dict(zip(generic_u, zip(*map_categories(pd.Series(generic_u, dtype="string")), strict=True),
                       strict=True)) if generic_u else {}
    for u in uniques:
        if fold(u) in user:
            cats.append(user[fold(u)])
            unknown.append(False)
            by_user.append(True)
        elif _type_key(u) in _EVENT_TYPE_KEYS:
            cats.append(_EVENT_TYPE_KEYS[_type_key(u)])
            unknown.append(False)
            by_user.append(False)
        else:
            c, unk = generic[u]
            cats.append(str(c))
            unknown.append(bool(unk) and bool(str(u).strip()))
            by_user.append(False)
    if not len(uniques):
        return (pd.Series([], index=types.index, dtype="string"),
                pd.Series([], index=types.index, dtype=bool))
    take = np.where(codes >= 0, codes, 0)
    cat = np.asarray(cats, dtype=object)[take]
    unk = np.asarray(unknown, dtype=bool)[take]
    if text is not None and len(types):
        keys = np.asarray([_type_key(u) for u in uniques], dtype=object)[take]
        mine = ~np.asarray(by_user, dtype=bool)[take]
        burglary = np.isin(keys, list(_BURGLARY_TYPES)) & mine
        theft = np.isin(keys, list(_THEFT_TYPES)) & mine
        cand = burglary | theft
        if cand.any():
            t = text.astype("string").fillna("").to_numpy(dtype=object)[cand]
            ts = pd.Series(t, dtype="string")
            home = ts.str.contains(_BOSTAD, regex=True).to_numpy(dtype=bool, na_value=False)
            says = ts.str.contains(_INBROTT, regex=True).to_numpy(dtype=bool, na_value=False)
            idx = np.flatnonzero(cand)
            home_b = home & (burglary[idx] | says)
            cat[idx[home_b]] = "bostadsinbrott"
    return (pd.Series(pd.array(cat, dtype="string"), index=types.index),
            pd.Series(unk, index=types.index, dtype=bool))


# ------------------------------------------------------------------------------ event time


def event_times(
    name: pd.Series,
    published: pd.Series,
    *,
    url: pd.Series | None = None,
    tz: str = "Europe/Stockholm",
) -> tuple[pd.Series, pd.Series]:
    """The event time from the feed's ``name`` ("5 december 11.30, Stöld, Stockholm").

    The name carries day, month and clock time but no year. The year is the one that
    puts the event at the latest moment not more than a day after its publication
    (``published``; the feed's ``datetime``): an event of "31 december 23.50" published
    on 1 January is of the year before; one of "1 januari 00.10" published (with the
    feed's clock skew) at 23.55 on 31 December is of the next year. A name whose date
    that rule puts more than half a year before its publication is taken as ahead of it
    instead, in the publication's year: "01 maj 08:00, Övrigt, Stockholm" published on
    28 April 2023 (an announcement) is of 1 May 2023, not 2022. Without a publication
    time the date in ``url`` ("/2024/december/31/") stands in for it.

    Wall-clock times in the autumn hour that happens twice are taken as summer time
    (the first occurrence); a time in the spring gap moves an hour forward (the rules
    of :func:`lagesbild_geo.read.parse_times`).

    Parameters
    ----------
    name
        The feed's ``name``.
    published
        The publication time, tz-aware (``read.parse_times`` of ``datetime``).
    url
        The feed's ``url`` (used only when ``published`` is missing).
    tz
        The time zone of the names' clock times.

    Returns
    -------
    (occurred_at, source)
        ``occurred_at`` (``datetime64[ns, tz]``) and where it came from: ``name`` (date
        and time from the name), ``name_date`` (a name with a date but no time: that
        day at 00:00), ``published`` (no date in the name: the publication time),
        ``none`` (nothing usable).

    Examples
    --------
    >>> pub = pd.Series(pd.to_datetime(["2024-01-01 00:40:16+01:00", "2025-03-05 12:10:00+01:00",
    ...                                 "2025-03-05 12:10:00+01:00"])).dt.tz_convert("Europe/Stockholm")
    >>> t, how = event_times(pd.Series(["31 december 00.07, Brand, Nacka", "5 mars, Sammanfattning natt, Malmö", "x"]), pub)
    >>> [str(v) for v in t], how.tolist()
    (['2023-12-31 00:07:00+01:00', '2025-03-05 00:00:00+01:00', '2025-03-05 12:10:00+01:00'], ['name', 'name_date', 'published'])
    """
    n = len(name)
    pub = pd.Series(published).reset_index(drop=True)
    if getattr(pub.dt, "tz", None) is None:
        pub = pub.dt.tz_localize(tz)
    pub = pub.dt.tz_convert(tz)
    day, month, hour, minute, year_given = _name_fields(name.astype("string").reset_index(drop=True))
    has_date = np.isfinite(day) & np.isfinite(month)
    has_clock = has_date & np.isfinite(hour) & np.isfinite(minute) & (hour < 24) & (minute < 60)
    ref = _reference_moment(pub, url)
    ref_year = pd.Series(ref).dt.year.to_numpy(dtype="float64", na_value=np.nan)
    h = np.where(has_clock, hour, 0.0)
    mi = np.where(has_clock, minute, 0.0)
    limit = ref + np.timedelta64(1, "D")
    best = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    for dy in (1, 0, -1):  # the latest candidate not after publication + 1 day
        y = np.where(np.isfinite(year_given), year_given, ref_year + dy)
        cand = pd.to_datetime(pd.DataFrame({"year": y, "month": month, "day": day, "hour": h, "minute": mi}),
                              errors="coerce").to_numpy(dtype="datetime64[ns]")
        ok = ~np.isnat(cand) & np.isnat(best) & (np.isfinite(year_given) | (cand <= limit))
        best[ok] = cand[ok]
    # A name dated some days after its publication announces something ("01 maj 08:00,
    # Övrigt, Stockholm" published on 28 April: a camera surveillance decision; "17 juni
    # 07.00" published on 13 June: the press phone's hours). The rule above put it a year
    # back, more than half a year before its publication; the date ahead is nearer.
    half_year = np.timedelta64(183, "D")
    far_back = ~np.isnat(best) & ~np.isfinite(year_given) & (best < ref - half_year)
    if far_back.any():
        y = pd.DatetimeIndex(best).year.to_numpy(dtype="float64") + 1
        ahead = pd.to_datetime(pd.DataFrame({"year": y, "month": month, "day": day, "hour": h, "minute": mi}),
                               errors="coerce").to_numpy(dtype="datetime64[ns]")
        use = far_back & ~np.isnat(ahead) & (ahead - ref <= half_year)
        best[use] = ahead[use]
    src = np.full(n, "none", dtype=object)
    got = ~np.isnat(best)
    src[got & has_clock] = "name"
    src[got & ~has_clock] = "name_date"
    local = pd.DatetimeIndex(best).tz_localize(tz, ambiguous=np.ones(n, dtype=bool),
                                               nonexistent=pd.Timedelta(hours=1))
    out = pd.Series(local, dtype=pd.DatetimeTZDtype("ns", tz))
    fall = ~got & pub.notna().to_numpy()
    if fall.any():
        out[fall] = pub[fall]
        src[fall] = "published"
    out.index = name.index
    out.attrs["dst"] = _dst_counts(best, got, tz)
    return out, pd.Series(pd.array(src, dtype="string"), index=name.index)


def _dst_counts(best: npt.NDArray[np.datetime64], got: npt.NDArray[np.bool_], tz: str) -> dict[str, int]:
    """The names' wall-clock times in the autumn hour that happens twice and in the spring
    gap, counted as read.parse_times counts them (the feed's own datetime has an offset)."""
    n = len(best)
    gap = pd.DatetimeIndex(best).tz_localize(tz, ambiguous=np.ones(n, dtype=bool), nonexistent="NaT")
    twice = pd.DatetimeIndex(best).tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    return {"dst_ambiguous": int((got & np.isnat(twice.tz_localize(None).to_numpy())).sum()),
            "dst_nonexistent": int((got & np.isnat(gap.tz_localize(None).to_numpy())).sum())}


def _name_fields(names: pd.Series) -> tuple[npt.NDArray[np.float64], ...]:
    """(day, month, hour, minute, year) written at the start of each name; NaN where absent."""
    # Arrow's regular expressions run in C++ over the whole column (pandas' .str.extract
    # calls Python's re once per row)
    ex = pc.extract_regex(pa.array(names, from_pandas=True, type=pa.string()), "(?i)" + _NAME_TIME.pattern)

    def field(key: str) -> npt.NDArray[np.float64]:
        return pd.to_numeric(pd.Series(pc.struct_field(ex, [ex.type.get_field_index(key)]).to_numpy(
            zero_copy_only=False)), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)

    month_txt = pc.utf8_lower(pc.struct_field(ex, [ex.type.get_field_index("month")]))
    month = np.asarray(pd.Series(month_txt.to_numpy(zero_copy_only=False)).map(_MONTHS).to_numpy(
        dtype="float64", na_value=np.nan), dtype="float64")
    return field("day"), month, field("hour"), field("minute"), field("year")


def _reference_moment(pub: pd.Series, url: pd.Series | None) -> npt.NDArray[np.datetime64]:
    """Naive local publication time per row; where it is missing, noon of the url's date folder."""
    ref = pub.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").copy()
    if url is not None and bool(np.isnat(ref).any()):
        ux = url.astype("string").reset_index(drop=True).str.extract(_URL_DATE)
        um = ux["umonth"].str.lower().map(_MONTHS).astype("float64")
        udate = pd.to_datetime(pd.DataFrame({
            "year": pd.to_numeric(ux["uyear"], errors="coerce").astype("float64"), "month": um,
            "day": pd.to_numeric(ux["uday"], errors="coerce").astype("float64")}), errors="coerce")
        udate = udate + pd.Timedelta(hours=12)
        miss = np.isnat(ref)
        ref[miss] = udate.to_numpy(dtype="datetime64[ns]")[miss]
    return ref


# ------------------------------------------------------------------------------ reading


def is_police_table(columns: Iterable[object]) -> bool:
    """Whether a (flattened) table has the police feed's fields.

    Examples
    --------
    >>> is_police_table(["id", "datetime", "name", "summary", "url", "type", "location.name", "location.gps"])
    True
    """
    cols = {str(c) for c in columns}
    return {"datetime", "type", "location.gps"} <= cols or {"datetime", "name", "type", "location.name"} <= cols


@dataclass(frozen=True)
class PoliceColumns:
    """What :func:`event_columns` derives from the feed's fields (aligned to the rows)."""

    occurred_at: pd.Series
    time_status: npt.NDArray[np.int8]
    time_counts: dict[str, int]
    category: pd.Series
    category_raw: pd.Series
    unknown: pd.Series
    precision: pd.Series
    location_text: pd.Series
    extra: dict[str, pd.Series]


def event_columns(
    raw: pd.DataFrame,
    published: pd.Series,
    published_status: npt.NDArray[np.int8],
    *,
    tz: str = "Europe/Stockholm",
    category_map: Mapping[str, str] | None = None,
) -> PoliceColumns:
    """The canonical columns of the police feed's rows (used by ``read.read_incidents``).

    Parameters
    ----------
    raw
        The flattened feed (``id``, ``datetime``, ``name``, ``summary``, ``url``, ``type``,
        ``location.name``, ``location.gps``), as text.
    published, published_status
        ``datetime`` parsed by ``read.parse_times`` (time and status 0/1/2).
    tz
        Time zone.
    category_map
        The user's extra ``type → category`` entries.

    Returns
    -------
    PoliceColumns
        ``occurred_at`` (:func:`event_times`), ``time_status`` (0 when an event or
        publication time was found, else the publication's status), ``category``
        (:func:`event_categories`), ``precision`` (``kommun`` or ``lan``, from
        ``location.name``), ``location_text`` (``location.name``; for a row of a län whose
        ``name`` ends with a kommun of that län, that kommun: "…, Brand, Kävlinge" with
        location "Skåne län" is Kävlinge's row) and ``extra``: ``published_at``,
        ``time_source``, ``kommun_code``, ``lan_code``.
    """
    n = len(raw)

    def col(name: str) -> pd.Series:
        if name in raw.columns:
            return raw[name].astype("string").reset_index(drop=True)
        return pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="string")

    name, summary, url = col("name"), col("summary"), col("url")
    pub = pd.Series(published).reset_index(drop=True)
    occurred, source = event_times(name, pub, url=url, tz=tz)
    got = (source != "none").to_numpy(dtype=bool)
    status = np.where(got, 0, np.asarray(published_status, dtype=np.int8)).astype(np.int8)
    status[~got & (status == 0)] = 2
    counts = {f"from_{k}": int(v) for k, v in source.value_counts().items()}
    counts.update(occurred.attrs.get("dst", {}))  # the names' wall-clock times, not the publication's
    types = col("type").str.strip()
    text = summary.fillna("") + " " + name.fillna("")
    category, unknown = event_categories(types, text, category_map=category_map)
    loc = col("location.name").str.strip()
    levels = admin_levels(loc)
    # A row of a län often names its kommun at the end of "name" ("22 augusti 17.59, Brand,
    # Kävlinge" with location "Skåne län"): then it is that kommun's row (when the kommun
    # lies in that län). Only a row whose name says no more than the län is at län level.
    is_lan = (levels["level"] == "lan").to_numpy(dtype=bool, na_value=False)
    if is_lan.any():
        last = name.str.rsplit(",", n=1).str[-1].str.strip()
        named = admin_levels(last)
        same_lan = (named["level"] == "kommun").to_numpy(dtype=bool, na_value=False) & (
            named["lan_code"].fillna("-") == levels["lan_code"].fillna("+")).to_numpy(dtype=bool)
        use = is_lan & same_lan
        if use.any():
            loc = loc.mask(pd.Series(use), last)
            levels = levels.mask(pd.DataFrame({c: use for c in levels.columns}), named)
            counts["kommun_from_name"] = int(use.sum())
    # the feed names a kommun or a län; a name the table does not know ("Exempelkommun")
    # is read as a kommun name
    precision = pd.Series(np.where(levels["level"].to_numpy(dtype=object) == "lan", "lan", "kommun"),
                          dtype="string")
    extra = {
        "published_at": pub.astype(pd.DatetimeTZDtype("ns", tz)),
        "time_source": source.reset_index(drop=True),
        "kommun_code": levels["kommun_code"].reset_index(drop=True),
        "lan_code": levels["lan_code"].reset_index(drop=True),
    }
    return PoliceColumns(occurred_at=occurred.reset_index(drop=True), time_status=status,
                         time_counts=counts, category=category.reset_index(drop=True),
                         category_raw=types.reset_index(drop=True), unknown=unknown.reset_index(drop=True),
                         precision=precision, location_text=loc, extra=extra)


# ------------------------------------------------------------------------------ places in text

#: Words after which a capitalised place name says where the event was.
_LOCATIVES = frozenset({
    "i", "på", "vid", "utanför", "nära", "invid", "intill", "mittemot", "framför", "bakom",
    "längs", "utmed", "kring", "runt", "inne", "ute", "centrala", "norra", "södra", "östra",
    "västra", "om", "höjd", "med", "mellan", "och", "korsningen", "omkring", "inom", "genom",
    "över", "under", "till", "mot", "från",
})
# "förs till Södersjukhuset", "fördes till Kronoberg": where someone was taken, not where
# the event was.
_TAKEN = frozenset({
    "förs", "fördes", "förts", "körs", "kördes", "körts", "transporteras", "transporterades",
    "tas", "togs", "tagits", "skjutsas", "skjutsades", "förd", "förda", "fört", "flyttas",
    "flyttades", "omhändertogs", "lämnades", "hämtades", "hänvisades", "hänvisas",
})
_TOKEN = r"[^\W\d_](?:[\w\-]|[:’'](?=\w))*|\d+|[.!?,;:]"
# Lower-case words that begin a place's name ("på norra Djurgården" is Norra Djurgården).
_NAME_LEADS = frozenset({"norra", "södra", "östra", "västra", "nedre", "övre", "gamla", "stora", "lilla"})
_SENTENCE_END = frozenset({".", "!", "?"})
_COMPASS = re.compile(r"^(?P<base>.+?)\s+(?:v|ö|n|s|nord|syd|väst|öst|västra|östra|norra|södra)$",
                      re.IGNORECASE)
_SCB_PREFIX = re.compile(r"^(?:regso|deso)(?:\s*[-–:]\s*|\s+)(?P<base>\S.*)$", re.IGNORECASE)
_PLACE_NAME_COLUMNS = ("namn", "name", "stadsdel", "stadsdelsnamn", "omrade", "omradesnamn",
                       "delomrade", "basomrade", "platsnamn", "plats", "place", "regsonamn",
                       "desonamn", "locality", "tatort", "ort", "district name")
_PLACE_KOMMUN_COLUMNS = ("kommun", "kommunnamn", "municipality", "kommun namn", "kn namn")


def _name_column(columns: Sequence[object]) -> str | None:
    folded = {fold(c): str(c) for c in columns}
    return next((folded[c] for c in _PLACE_NAME_COLUMNS if c in folded), None)


def _places_wgs84(frame: gpd.GeoDataFrame, label: str) -> gpd.GeoSeries:
    """A place layer's geometries in WGS84. A layer without a CRS (a shapefile without its
    .prj) or a GeoJSON in metres read as WGS84 gets its CRS from the values, as a district
    layer does: taken for degrees, stadsdelar in SWEREF 99 18 00 lay off Africa and no
    place the feed names overlapped a district."""
    g = frame
    has_shapes = bool((g.geometry.notna() & ~g.geometry.is_empty).any())
    if g.crs is None and not has_shapes:
        g = g.set_crs(4326)
    elif g.crs is None or degrees_declared_but_metres(g):
        crs, _ = guess_layer_crs(
            np.asarray(g.geometry.dropna().values, dtype=object), label, what="Place layer",
            fix="Set the CRS on the file (a shapefile needs its .prj beside it; in QGIS: Layer → "
                "Set CRS, then export), or export the layer as a GeoPackage.")
        g = g.set_crs(crs, allow_override=True)
    if has_shapes:
        check_layer_axes(np.asarray(g.geometry.dropna().values, dtype=object), CRS.from_user_input(g.crs),
                         label, what="Place layer")
    return g.to_crs(4326).geometry


def read_places(source: str | os.PathLike[str] | gpd.GeoDataFrame | pd.DataFrame, *,
                kommun: str | None = None, name: str | None = None) -> gpd.GeoDataFrame:
    """A place layer for :func:`place_events`: named polygons or points.

    Parameters
    ----------
    source
        A vector file (GeoJSON, GeoPackage, Shapefile ...: stadsdelar, basområden) or a
        table (CSV/Excel) of named points with ``lat``/``lon`` (``Latitude``/
        ``Longitude``) columns (a gazetteer of localities), or a (Geo)DataFrame.
    kommun
        Keep only rows whose kommun column (``kommun``, ``Municipality`` …), if there is
        one, names this kommun (by :func:`lagesbild_geo.names.name_key`).
    name
        The name column (default: ``namn``, ``name``, ``stadsdel``, ``Locality`` …).

    Returns
    -------
    GeoDataFrame
        ``place_name`` and ``geometry`` (EPSG:4326); rows without a name or a geometry
        are left out.

    Examples
    --------
    >>> t = pd.DataFrame({"Locality": ["Torsby", "Gustavsberg"], "Municipality": ["Torsby", "Värmdö"],
    ...                   "Latitude": [60.13, 59.33], "Longitude": [13.0, 18.39]})
    >>> read_places(t, kommun="Värmdö")["place_name"].tolist()
    ['Gustavsberg']
    """
    label = "(DataFrame)" if isinstance(source, pd.DataFrame) else str(source)
    if isinstance(source, pd.DataFrame):
        frame: pd.DataFrame = source.copy()
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"Place layer {path} does not exist; check the path.")
        check_shapefile_parts(path, "Place layer")
        try:
            if path.suffix.lower() in (".csv", ".txt"):
                frame = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig", dtype=str)
            elif path.suffix.lower() in (".xlsx", ".xlsm"):
                frame = pd.read_excel(path, dtype=str, engine="openpyxl")
            elif path.suffix.lower() in (".parquet", ".geoparquet"):
                frame = gpd.read_parquet(path)
            else:
                frame = gpd.read_file(path)
        except Exception as exc:  # pyogrio/pandas raise several error types
            raise InputError(f"Place layer {path} cannot be read ({type(exc).__name__}: {exc}); expected "
                             "a vector file of named areas or a CSV of named points with lat/lon.") from None
    cols = [c for c in frame.columns if c != "geometry"]
    ncol = name if name is not None else _name_column(cols)
    if ncol is None or ncol not in frame.columns:
        raise InputError(f"Place layer {label}: no name column among {cols}; expected one of "
                         f"{list(_PLACE_NAME_COLUMNS)} (or pass name=).")
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geoms = _places_wgs84(frame, label)
    else:
        folded = {fold(c): str(c) for c in cols}
        la = next((folded[c] for c in ("lat", "latitude", "latitud") if c in folded), None)
        lo = next((folded[c] for c in ("lon", "long", "lng", "longitude", "longitud") if c in folded), None)
        if la is None or lo is None:
            raise InputError(f"Place layer {label}: a table needs lat/lon columns (Latitude, Longitude) "
                             f"beside the names; columns are {cols}.")
        lat = pd.to_numeric(frame[la].astype(str).str.replace(",", "."), errors="coerce")
        lon = pd.to_numeric(frame[lo].astype(str).str.replace(",", "."), errors="coerce")
        geoms = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326, index=frame.index)
        geoms = geoms.where(lat.notna() & lon.notna())
    keep = frame[ncol].notna().to_numpy() & geoms.notna().to_numpy() & ~geoms.is_empty.to_numpy()
    if kommun:
        folded = {fold(c): str(c) for c in cols}
        kcol = next((folded[c] for c in _PLACE_KOMMUN_COLUMNS if c in folded), None)
        if kcol is not None:
            keys = kommun_keys(kommun)
            keep &= frame[kcol].map(name_key).isin(keys).to_numpy()
    out = gpd.GeoDataFrame({"place_name": frame.loc[keep, ncol].astype(str).str.strip().to_numpy()},
                           geometry=gpd.GeoSeries(np.asarray(geoms[keep].array, dtype=object), crs=4326))
    return out[out["place_name"] != ""].reset_index(drop=True)


@dataclass(frozen=True)
class _PlaceIndex:
    keys: dict[str, int]          # name key → place id
    names: list[str]              # a display name per place
    dominant: npt.NDArray[np.int64]  # district position, -1 when none holds it mostly
    overlaps: list[tuple[int, ...]]  # district positions each place overlaps
    max_words: int


def _place_index(districts: gpd.GeoDataFrame, layers: Sequence[gpd.GeoDataFrame],
                 points: pd.DataFrame | None, kommun: str | None, min_share: float) -> _PlaceIndex:
    """Every placeable name: the districts' own names, then the place layers' names (and
    their names without a compass suffix, "Stureplan V" → "Stureplan"), resolved to the
    districts they lie in."""
    skip = set(kommun_keys(kommun)) if kommun else set()
    dm = districts.to_crs(3006)
    dgeoms = np.asarray(dm.geometry.array, dtype=object)
    tree = shapely.STRtree(dgeoms)
    keys: dict[str, int] = {}
    names: list[str] = []
    dominant: list[int] = []
    overlaps: list[tuple[int, ...]] = []
    max_words = 1

    def add(name: str, dom: int, over: tuple[int, ...]) -> None:
        nonlocal max_words
        k = name_key(name)
        if not k or k in keys or k in skip:
            return
        keys[k] = len(names)
        names.append(name)
        dominant.append(dom)
        overlaps.append(over)
        max_words = max(max_words, len(name_words(name).split()))

    for i, nm in enumerate(districts["district_name"].astype(str)):
        add(nm, i, (i,))
        m = _SCB_PREFIX.match(nm)
        if m:  # SCB names some areas "RegSO-Lindängen" (Malmö): the text says "Lindängen"
            add(m["base"], i, (i,))
    # other layers: group their features by name key (a compass suffix dropped too)
    groups: dict[str, tuple[str, list[Any]]] = {}
    bases: dict[str, tuple[str, list[Any]]] = {}
    for layer in layers:
        lm = layer.to_crs(3006) if layer.crs is not None else layer.set_crs(4326).to_crs(3006)
        for nm, geom in zip(lm["place_name"].astype(str), lm.geometry, strict=True):
            if geom is None or geom.is_empty:
                continue
            groups.setdefault(name_key(nm), (nm, []))[1].append(geom)
            m = _COMPASS.match(nm.strip())
            if m:  # "Stureplan V" and "Stureplan Ö" together are "Stureplan"
                bases.setdefault(name_key(m["base"]), (m["base"].strip(), []))[1].append(geom)
    for k, v in bases.items():
        groups.setdefault(k, v)
    if points is not None and len(points):
        pg = gpd.GeoSeries(gpd.points_from_xy(points["lon"], points["lat"]), crs=4326).to_crs(3006)
        for nm, geom in zip(points["name"].astype(str), pg, strict=True):
            if not geom.is_empty:
                groups.setdefault(name_key(nm), (nm, []))[1].append(geom)
    for _k, (nm, geoms) in groups.items():
        arr = np.asarray(geoms, dtype=object)
        polys = arr[np.isin(shapely.get_type_id(arr), (3, 6))]
        if len(polys):
            u = shapely.union_all(polys)
            area = float(shapely.area(u))
            hit = tree.query(u, predicate="intersects")
            if area <= 0 or not len(hit):
                continue
            share = shapely.area(shapely.intersection(u, dgeoms[hit])) / area
            if share.sum() < 0.5:  # mostly outside the kommun's districts: another kommun's place
                continue
            over = tuple(int(h) for h, sh in sorted(zip(hit, share, strict=True)) if sh >= 0.02)
            best = int(np.argmax(share))
            add(nm, int(hit[best]) if share[best] >= min_share else -1, over)
        else:
            pts = arr[shapely.get_type_id(arr) == 0]
            hit = tree.query(pts, predicate="intersects")
            if not hit.shape[1]:
                continue
            inside = np.unique(hit[1])
            if np.unique(hit[0]).size < pts.size / 2:  # mostly outside the districts
                continue
            add(nm, int(inside[0]) if inside.size == 1 else -1, tuple(int(x) for x in inside))
    return _PlaceIndex(keys=keys, names=names, dominant=np.asarray(dominant, dtype=np.int64),
                       overlaps=overlaps, max_words=min(max_words, 6))


def extract_places(text: pd.Series, names: Iterable[str] | Mapping[str, int], *,
                   max_words: int | None = None) -> pd.DataFrame:
    """The place names of Swedish police prose found in each text.

    A place is a capitalised run of words ("Bagarmossen", "Hässelby gård", "Vita bergen",
    also led by a lower-case "norra", "södra" … as in "på norra Djurgården") whose
    :func:`lagesbild_geo.names.name_key` is one of ``names`` (the longest match wins),
    standing where a place stands: inside a sentence ("Explosion i Bagarmossen",
    "En inringare i Vårberg hörde …", "Man skjuten utanför nattklubb vid Stureplan"), or
    first in a sentence and followed by a comma or colon ("Södermalm, polis larmas …").
    Not taken: a capitalised word opening a sentence ("Hemmet …"), and a place someone
    was taken to ("fördes till Södersjukhuset").

    Parameters
    ----------
    text
        One text per row (``summary``, ``name``).
    names
        The place names to look for (or a ``{name key: id}`` mapping).
    max_words
        The most words a name has (default: counted from ``names``; needed with a mapping,
        whose keys have no spaces).

    Returns
    -------
    DataFrame
        One row per place found: ``row`` (the position in ``text``), ``start`` (token
        position), ``phrase`` (as written), ``key``.

    Examples
    --------
    >>> extract_places(pd.Series(["Explosion i Bagarmossen.", "Brand på Vita bergen, Södermalm.",
    ...                           "Hemmet var tomt. Man fördes till Södersjukhuset."]),
    ...                ["Bagarmossen", "Vita Bergen", "Södermalm", "Hemmet", "Södersjukhuset"])["phrase"].tolist()
    ['Bagarmossen', 'Vita bergen', 'Södermalm']
    """
    index, longest = _name_index(names, max_words)
    empty = pd.DataFrame({"row": pd.Series([], dtype="int64"), "start": pd.Series([], dtype="int64"),
                          "phrase": pd.Series([], dtype="string"), "key": pd.Series([], dtype="string")})
    toks = text.astype("string").fillna("").reset_index(drop=True).str.findall(_TOKEN).explode().dropna()
    if not len(toks):
        return empty
    t = _tokens(toks)
    found_len = np.zeros(t.n, dtype=np.int64)
    found_key = np.full(t.n, "", dtype=object)
    covered = np.zeros(t.n, dtype=bool)  # a token belongs to one match only
    for w in range(longest, 0, -1):  # n-grams, longest first
        _match_ngrams(t, w, index, covered, found_len, found_key)
    at = np.flatnonzero(found_len > 0)
    if not at.size:
        return empty
    phrase = pd.Series(t.tok[at], dtype=object)
    for k in range(1, int(found_len.max())):
        more = found_len[at] > k
        ext = np.where(more, " " + pd.Series(t.tok[np.minimum(at + k, t.n - 1)], dtype=object), "")
        phrase = phrase + ext
    return pd.DataFrame({"row": t.row[at], "start": t.pos[at],
                         "phrase": pd.array(phrase.to_numpy(dtype=object), dtype="string"),
                         "key": pd.array(found_key[at], dtype="string")})


def _name_index(names: Iterable[str] | Mapping[str, int], max_words: int | None) -> tuple[dict[str, int], int]:
    """(name key → id, the most words a name has, 1 to 6)."""
    if isinstance(names, Mapping):
        index = {k: v for k, v in names.items() if k}
        words = max_words or 6
    else:
        listed = [str(x) for x in names]
        index = {name_key(x): i for i, x in enumerate(listed) if name_key(x)}
        words = max_words or max((len(name_words(x).split()) for x in listed), default=1)
    return index, min(max(words, 1), 6)


@dataclass(frozen=True)
class _Tokens:
    """Every token of every text, in order, with what a place name needs to know about it."""

    row: npt.NDArray[np.int64]  # the text it is in
    tok: npt.NDArray[np.str_]
    pos: npt.NDArray[np.int64]  # its position in the text
    is_punct: npt.NDArray[np.bool_]
    sent_start: npt.NDArray[np.bool_]  # first of a sentence
    starts: npt.NDArray[np.bool_]  # may start a place name

    @property
    def n(self) -> int:
        return int(self.tok.size)


def _tokens(toks: pd.Series) -> _Tokens:
    row = toks.index.to_numpy(dtype=np.int64)
    tok = toks.to_numpy(dtype=object).astype(str)
    n = tok.size
    first = np.r_[True, row[1:] != row[:-1]]
    pos = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    is_punct = np.isin(tok, [".", "!", "?", ",", ";", ":"])
    upper = np.fromiter((t[:1].isupper() for t in tok), dtype=bool, count=n)
    prev = np.r_[[""], tok[:-1]].astype(object)
    prev[first] = ""
    prev2 = np.r_[["", ""], tok[:-2]].astype(object) if n >= 2 else np.full(n, "", dtype=object)
    prev2[first] = ""
    prev2[np.r_[False, first[:-1]]] = ""
    # not a place someone was taken to ("fördes till Södersjukhuset")
    taken = np.isin(np.char.lower(prev.astype(str)), ["till", "mot"]) & np.isin(
        np.char.lower(prev2.astype(str)), list(_TAKEN))
    lead = np.isin(np.char.lower(tok), list(_NAME_LEADS)) & np.r_[upper[1:], False] & np.r_[row[1:] == row[:-1], False]
    return _Tokens(row=row, tok=tok, pos=pos, is_punct=is_punct,
                   sent_start=first | np.isin(prev, list(_SENTENCE_END)),
                   starts=(upper | lead) & ~is_punct & ~taken)


def _match_ngrams(t: _Tokens, w: int, index: Mapping[str, int], covered: npt.NDArray[np.bool_],
                  found_len: npt.NDArray[np.int64], found_key: npt.NDArray[np.object_]) -> None:
    """Mark the names of ``w`` words (in ``found_len``/``found_key`` at their first token and in
    ``covered`` over their tokens) that stand where a place stands and no longer name covers."""
    n, row, tok = t.n, t.row, t.tok
    cand = t.starts & ~covered
    if w > 1:
        ok = np.zeros(n, dtype=bool)
        ok[: n - w + 1] = True
        for k in range(1, w):
            same = np.zeros(n, dtype=bool)
            same[: n - k] = (row[k:] == row[:-k]) & ~t.is_punct[k:]
            ok &= same
        cand &= ok
    idx = np.flatnonzero(cand)
    if not idx.size:
        return
    gram = pd.Series(tok[idx], dtype=object)
    for k in range(1, w):
        gram = gram + " " + pd.Series(tok[idx + k], dtype=object)
    uniq, inv = np.unique(gram.to_numpy(dtype=str), return_inverse=True)
    ukeys = np.array([name_key(u) for u in uniq], dtype=object)
    hit = np.array([k in index for k in ukeys], dtype=bool)[inv]
    hidx = idx[hit]
    if not hidx.size:
        return
    # where a place stands: inside a sentence, or opening one and followed by , or :
    after = np.minimum(hidx + w, n - 1)
    follows = (hidx + w < n) & np.isin(tok[after], [",", ":"]) & (row[after] == row[hidx])
    good = ~t.sent_start[hidx] | follows
    hidx = hidx[good]
    keys_here = ukeys[inv[hit]][good]
    # not overlapping a longer match already taken
    span_free = np.ones(hidx.size, dtype=bool)
    for k in range(w):
        span_free &= ~covered[hidx + k]
    hidx, keys_here = hidx[span_free], keys_here[span_free]
    for k in range(w):
        covered[hidx + k] = True
    found_len[hidx] = w
    found_key[hidx] = keys_here


def place_events(
    incidents: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    kommun: str | None = None,
    places: Sequence[gpd.GeoDataFrame] = (),
    points: pd.DataFrame | None = None,
    text_columns: Sequence[str] = ("summary", "name"),
    min_share: float = 0.8,
) -> pd.DataFrame:
    """Place kommun-level police rows in a district when their text names a place there.

    Only rows at ``kommun`` precision (the police feed's rows of the chosen kommun) are
    looked at. Their ``summary`` and ``name`` are searched for place names
    (:func:`extract_places`) from the district layer's own names, the place layers
    (stadsdelar, basområden, a gazetteer of localities: :func:`read_places`) and named
    points (the kommun's address register: street and place names). Names match by
    :func:`lagesbild_geo.names.name_key` (å, ä, ö are letters); the kommun's own name
    ("i centrala Stockholm") means the kommun, not a district named like it.

    A place **resolves to one district** when it is that district, or when at least
    ``min_share`` of its area (or all of its points) lies in one district. A row is
    placed in a district only when its places resolve to exactly one district and every
    other place it names overlaps that district ("i Skarpnäck vid Skarpnäcks gård").
    Otherwise it keeps the coarsest level it honestly has: ``stadsdel`` when the places
    it names are larger than a district but share at least one district (the districts
    they overlap are listed), else ``kommun``.

    Parameters
    ----------
    incidents
        Read incidents (``read.read_incidents`` of the feed): ``precision``, ``summary``,
        ``name``. Not modified.
    districts
        The kommun's districts (:func:`lagesbild_geo.districts.read_districts`, index
        ``district_code``, ``district_name``), already narrowed to the kommun.
    kommun
        The kommun's name (its name in a text is kommun level).
    places
        Place layers (``place_name`` + polygons or points, :func:`read_places`).
    points
        Named points: ``name``, ``lat``, ``lon`` (e.g. an address register's streets).
    text_columns
        Where the text is.
    min_share
        The share of a place's area that must lie in one district ("mostly inside").

    Returns
    -------
    DataFrame
        A copy with ``precision`` set to ``district``/``stadsdel``/``kommun`` on the
        kommun-level rows, ``place_district`` (the district code of ``district`` rows),
        ``place_districts`` (";"-joined codes a ``stadsdel`` row's area overlaps),
        ``place_name`` (the place names found, "; "-joined). ``attrs["placement"]``
        counts the rows per level and the most frequent unplaced names.

    Examples
    --------
    >>> import shapely
    >>> d = gpd.GeoDataFrame({"district_name": ["Bagarmossen", "Vårberg", "Skarpnäck södra"]},
    ...     geometry=[shapely.box(18.12, 59.27, 18.14, 59.28), shapely.box(17.89, 59.27, 17.91, 59.28),
    ...               shapely.box(18.12, 59.26, 18.14, 59.27)],
    ...     index=pd.Index(["R1", "R2", "R3"], name="district_code"), crs=4326)
    >>> sd = gpd.GeoDataFrame({"place_name": ["Skarpnäck"]},
    ...     geometry=[shapely.box(18.12, 59.26, 18.14, 59.28)], crs=4326)
    >>> inc = pd.DataFrame({"precision": ["kommun"] * 4, "name": "1 maj 12.00, Brand, Stockholm",
    ...     "summary": ["Explosion i Bagarmossen.", "Bilbrand i Skarpnäck.", "Rån i Varberg.",
    ...                 "Brand i centrala Stockholm."]})
    >>> out = place_events(inc, d, kommun="Stockholm", places=[sd])
    >>> out["precision"].tolist(), out["place_district"].tolist()
    (['district', 'stadsdel', 'kommun', 'kommun'], ['R1', <NA>, <NA>, <NA>])
    """
    if "district_name" not in districts.columns:
        raise InputError("place_events: districts need a 'district_name' column (use read_districts()).")
    out = incidents.copy(deep=False)
    prec = out["precision"].astype("string").fillna("").to_numpy(dtype=object) if "precision" in out else \
        np.full(len(out), "", dtype=object)
    todo = np.flatnonzero(prec == "kommun")
    resolved = None
    if todo.size and len(districts):
        idx = _place_index(districts, list(places), points, kommun, min_share)
        text = pd.Series("", index=pd.RangeIndex(todo.size), dtype="string")
        for c in (c for c in text_columns if c in out.columns):
            text = text + " . " + out[c].iloc[todo].astype("string").fillna("").reset_index(drop=True)
        found = extract_places(text, idx.keys, max_words=idx.max_words)
        if len(found):
            resolved = _resolve_places(found, idx, np.asarray(districts.index.astype(str), dtype=object))
    columns, counts = _placement_columns(prec, todo, resolved)
    for c, values in columns.items():
        out[c] = pd.array(values, dtype="string")
    out.attrs = dict(incidents.attrs)
    out.attrs["placement"] = counts
    return out


def _placement_columns(prec: npt.NDArray[np.object_], todo: npt.NDArray[np.int64],
                       r: _Resolved | None) -> tuple[dict[str, npt.NDArray[np.object_]], dict[str, int]]:
    """``precision``, ``place_district``, ``place_districts`` and ``place_name`` of every row,
    and the counts per level (``todo``: the kommun-level rows looked at)."""
    n = len(prec)
    new_prec = prec.copy()
    place_district = np.full(n, None, dtype=object)
    place_districts = np.full(n, None, dtype=object)
    place_name = np.full(n, None, dtype=object)
    counts = {"looked_at": int(todo.size), "district": 0, "stadsdel": 0, "kommun": int(todo.size),
              "ambiguous": 0}
    if r is not None:
        new_prec[todo[r.district_rows]] = "district"
        place_district[todo[r.district_rows]] = r.district_codes
        new_prec[todo[r.stadsdel_rows]] = "stadsdel"
        place_districts[todo[r.stadsdel_rows]] = r.stadsdel_codes
        place_name[todo[r.named_rows]] = r.names
        counts.update(district=int(r.district_rows.size), stadsdel=int(r.stadsdel_rows.size),
                      kommun=int(todo.size) - int(r.district_rows.size) - int(r.stadsdel_rows.size),
                      ambiguous=r.ambiguous)
    return {"precision": new_prec, "place_district": place_district, "place_districts": place_districts,
            "place_name": place_name}, counts


@dataclass(frozen=True)
class _Resolved:
    """Where the texts' places put their rows (row = position among the rows looked at)."""

    district_rows: npt.NDArray[np.int64]
    district_codes: npt.NDArray[np.object_]  # the district of each
    stadsdel_rows: npt.NDArray[np.int64]
    stadsdel_codes: npt.NDArray[np.object_]  # the districts their places share, ";"-joined
    named_rows: npt.NDArray[np.int64]
    names: npt.NDArray[np.object_]  # the place names found in each, "; "-joined
    ambiguous: int  # rows with places in several districts and none shared


def _resolve_places(found: pd.DataFrame, idx: _PlaceIndex, codes: npt.NDArray[np.object_]) -> _Resolved:
    """A row is placed in a district when its places' dominant districts are one, shared by
    every place it names; else at stadsdel level when its places share districts."""
    pid = np.asarray([idx.keys[str(k)] for k in found["key"]], dtype=np.int64)
    frow = found["row"].to_numpy(dtype=np.int64)
    # per row: the distinct dominant districts of its places
    m = pd.DataFrame({"row": frow, "pid": pid, "dom": idx.dominant[pid]})
    n_places = m.groupby("row")["pid"].nunique()
    doms = m[m["dom"] >= 0].groupby("row")["dom"].agg(["nunique", "first"])
    # (place, district) overlap pairs, for the consistency check and the stadsdel level
    pairs = pd.DataFrame([(p, d) for p in np.unique(pid) for d in idx.overlaps[p]], columns=["pid", "d"])
    mo = m.drop_duplicates(["row", "pid"]).merge(pairs, on="pid", how="left")
    per_rd = mo.dropna(subset=["d"]).groupby(["row", "d"])["pid"].nunique()
    shared = per_rd[per_rd.to_numpy() == n_places.reindex(per_rd.index.get_level_values(0)).to_numpy()]
    shared_rows = shared.reset_index()[["row", "d"]].astype({"d": np.int64})
    # district: one dominant district, shared by every place the row names
    one = doms[doms["nunique"] == 1]["first"].astype(np.int64).rename("d").reset_index()
    placed = one.merge(shared_rows, on=["row", "d"], how="inner")
    placed_rows = placed["row"].to_numpy(dtype=np.int64)
    # stadsdel: no single district, but the places share districts
    rest = ~n_places.index.isin(placed_rows)
    sh = shared_rows[shared_rows["row"].isin(n_places.index[rest])].sort_values(["row", "d"])
    sd = sh.assign(code=codes[sh["d"].to_numpy(dtype=np.int64)]).groupby("row")["code"].agg(";".join)
    names_per_row = (found.assign(name=[idx.names[p] for p in pid])
                     .drop_duplicates(["row", "name"]).groupby("row")["name"].agg("; ".join))
    return _Resolved(district_rows=placed_rows, district_codes=codes[placed["d"].to_numpy(dtype=np.int64)],
                     stadsdel_rows=sd.index.to_numpy(dtype=np.int64), stadsdel_codes=sd.to_numpy(dtype=object),
                     named_rows=names_per_row.index.to_numpy(dtype=np.int64),
                     names=names_per_row.to_numpy(dtype=object), ambiguous=int(rest.sum()) - len(sd))


def kommun_rows(
    incidents: pd.DataFrame, *, kommun_name: str | None = None, kommun_code: str | None = None
) -> npt.NDArray[np.int8]:
    """Which of the feed's rows are the kommun's: by the kommun named in ``location.name``.

    A row is the kommun's when its ``location_text`` names the kommun
    (:func:`lagesbild_geo.names.kommun_keys`: "Stockholm", "Stockholms kommun") or its
    ``kommun_code`` is the kommun's code. Never by its coordinates: a kommun's or a län's
    centre may lie anywhere ("Uppsala län" has its centre inside Uppsala kommun).

    Returns
    -------
    ndarray of int8
        0: the kommun's row (and every row that is not a feed row at kommun or län
        level, e.g. a point), 1: another kommun's row, 2: a row at län level.

    Examples
    --------
    >>> inc = pd.DataFrame({"precision": ["kommun", "kommun", "lan", "point"],
    ...                     "location_text": ["Uppsala", "Varberg", "Uppsala län", None]})
    >>> kommun_rows(inc, kommun_name="Uppsala").tolist()
    [0, 1, 2, 0]
    """
    n = len(incidents)
    out = np.zeros(n, dtype=np.int8)
    if not n or "precision" not in incidents.columns:
        return out
    prec = incidents["precision"].astype("string").fillna("").to_numpy(dtype=object)
    out[prec == "lan"] = 2
    level = np.isin(prec, ["kommun", "district", "stadsdel"])
    if not level.any():
        return out
    keys = kommun_keys(kommun_name) if kommun_name else frozenset()
    if kommun_code and not keys:
        try:
            keys = kommun_keys(find_kommun(kommun_code).name)
        except InputError:  # a code SCB's table does not know: by the rows' codes only
            keys = frozenset()
    text = (incidents["location_text"].astype("string").fillna("") if "location_text" in incidents.columns
            else pd.Series("", index=incidents.index, dtype="string"))
    codes_u, uniques = pd.factorize(text, sort=False)
    mine_u = np.array([name_key(u) in keys for u in uniques], dtype=bool)
    mine = mine_u[codes_u] if len(uniques) else np.zeros(n, dtype=bool)
    if kommun_code and "kommun_code" in incidents.columns:
        code = str(kommun_code).strip().zfill(4)
        mine |= (incidents["kommun_code"].astype("string") == code).to_numpy(dtype=bool, na_value=False)
    out[level & ~mine] = 1
    return out


# ------------------------------------------------------------------------------ the live API

#: Sent with every request: who is asking (the API's operators can tell us apart).
USER_AGENT = f"lagesbild_geo/{__version__} (brottsförebyggande lägesbild; +https://pypi.org/project/lagesbild_geo/)"


def _fetch_url(url: str, location: Sequence[str] | None) -> str:
    if not location:
        return url
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}locationname={urllib.parse.quote(';'.join(location), safe=';')}"


def fetch_events(
    *,
    location: str | Sequence[str] | None = None,
    url: str = API_URL,
    timeout: float = 20.0,
    retries: int = 3,
    backoff: float = 2.0,
    user_agent: str = USER_AGENT,
) -> list[dict[str, Any]]:
    """Fetch the latest events from the police's public events API.

    The API returns only recent events (the latest 500, or those of the places asked
    for); keep your own history with :func:`update_archive`.

    Parameters
    ----------
    location
        Place name(s) for ``?locationname=`` (a kommun and/or a län: "Lysekil",
        ["Lysekil", "Västra Götalands län"]); all of Sweden when None.
    url
        The API's address (a test server, a mirror).
    timeout
        Seconds to wait for an answer.
    retries
        Attempts after the first one when the connection fails or the server answers
        5xx/429; waits ``backoff``, 2 × ``backoff`` … seconds between them.
    backoff
        Seconds before the first retry.
    user_agent
        The User-Agent header.

    Returns
    -------
    list of dict
        The events as the API sends them (``id``, ``datetime``, ``name``, ``summary``,
        ``url``, ``type``, ``location``).

    Raises
    ------
    FetchError
        Offline, the server unreachable, an HTTP error or an answer that is not the
        events list; the message (in Swedish) says what happened and what to do.

    Examples
    --------
    ``fetch_events(location="Lysekil")`` asks polisen.se; here a local test server
    answers instead:

    >>> import functools, http.server, json, pathlib, tempfile, threading
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "events").write_text(json.dumps([{"id": 1, "type": "Rån", "location": {"name": "Lysekil"},
    ...     "datetime": "2025-05-01 22:10:00 +02:00", "name": "01 maj 22.10, Rån, Lysekil"}]))
    >>> class Quiet(http.server.SimpleHTTPRequestHandler):
    ...     def log_message(self, *args): pass
    >>> server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=d))
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()
    >>> events = fetch_events(location="Lysekil", url=f"http://127.0.0.1:{server.server_port}/events")
    >>> [(e["type"], e["location"]["name"]) for e in events]
    [('Rån', 'Lysekil')]
    >>> server.shutdown(); server.server_close()
    """
    locs = [location] if isinstance(location, str) else list(location or [])
    full = _fetch_url(url, locs)
    req = urllib.request.Request(full, headers={"User-Agent": user_agent, "Accept": "application/json"})
    last: str = ""
    for attempt in range(max(0, int(retries)) + 1):
        if attempt:
            time.sleep(backoff * (2 ** (attempt - 1)))
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read()
            break
        except urllib.error.HTTPError as exc:
            last = f"servern svarade {exc.code} {exc.reason}"
            if exc.code < 500 and exc.code != 429:
                raise FetchError(
                    f"Polisens händelse-API ({full}) svarade {exc.code} {exc.reason}. Kontrollera adressen "
                    "och platsnamnet (en kommun eller ett län, som på polisen.se).") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            last = f"{type(reason).__name__}: {reason}"
    else:
        raise FetchError(
            f"Kunde inte hämta polisens händelser från {full} efter {int(retries) + 1} försök ({last}). "
            "Datorn verkar sakna internetanslutning, eller så stoppar en brandvägg eller proxy anropet "
            "(en proxy anges med miljövariabeln HTTPS_PROXY). Arkivet är oförändrat; försök igen senare "
            "(en schemalagd körning tar igen det som missats, så länge det inte gått för lång tid: "
            "API:et visar bara de senaste händelserna).")
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"Polisens händelse-API ({full}) svarade med något som inte är JSON ({exc}); "
                         "försök igen senare.") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) and "id" in r for r in data):
        raise FetchError(f"Polisens händelse-API ({full}) svarade inte med en lista av händelser "
                         "(med id); har API:et ändrats? Försök igen senare eller rapportera felet.")
    return data


def read_archive(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The events of a local archive (a JSON list as the API sends it); empty when the
    file does not exist.

    Raises
    ------
    InputError
        The file is not a JSON list of events.
    """
    p = Path(path)
    if not p.exists():
        return []
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig") or "[]")
    except json.JSONDecodeError as exc:
        raise InputError(f"Archive {p} is not valid JSON ({exc}); it is left as it is. Move it aside "
                         "(a new archive starts empty) or repair it.") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) and "id" in r for r in data):
        raise InputError(f"Archive {p} is not a list of police events (objects with an id); choose "
                         "another file name.")
    return data


def _event_key(e: Mapping[str, Any]) -> tuple[int, str]:
    try:
        return (0, f"{int(str(e.get('id'))):012d}")
    except ValueError:
        return (1, str(e.get("id")))


def _keep_kommun(events: list[dict[str, Any]], kommun: str) -> list[dict[str, Any]]:
    """The events of a kommun: its own location, or its län's with the kommun in the name."""
    if not events:
        return []
    frame = pd.DataFrame({"location.name": [(e.get("location") or {}).get("name") for e in events],
                          "name": [e.get("name") for e in events],
                          "datetime": [e.get("datetime") for e in events]})
    pub = pd.Series(pd.NaT, index=frame.index, dtype=pd.DatetimeTZDtype("ns", "Europe/Stockholm"))
    cols = event_columns(frame, pub, np.zeros(len(frame), dtype=np.int8))
    probe = pd.DataFrame({"precision": cols.precision, "location_text": cols.location_text,
                          "kommun_code": cols.extra["kommun_code"]})
    k = find_kommun(kommun)
    mine = kommun_rows(probe, kommun_name=k.name, kommun_code=k.code) == 0
    mine &= (probe["precision"] != "lan").to_numpy()
    return [e for e, m in zip(events, mine.tolist(), strict=True) if m]


def update_archive(
    archive: str | os.PathLike[str],
    *,
    kommun: str | None = None,
    url: str = API_URL,
    timeout: float = 20.0,
    retries: int = 3,
    backoff: float = 2.0,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Fetch the latest events and add them to a local archive, without duplicates.

    Run it regularly (daily; see ``docs/polisen-feed.md`` for cron, systemd timers and
    Windows Task Scheduler): the API returns only recent events, so the archive is how a
    kommun keeps its own history. The archive is a JSON list in the API's own format, read
    by ``lagesbild build --incidents ARCHIVE`` and :func:`lagesbild_geo.read.read_incidents`.

    Parameters
    ----------
    archive
        The archive file (created when missing). Written atomically (a temporary file
        renamed into place), so an interrupted run never leaves half a file.
    kommun
        A kommun's name or code ("Lysekil", "1484"): the API is asked for the kommun and
        its län, and the kommun's events are kept (its own location, or its län's with
        the kommun at the end of ``name``). None: every event.
    url, timeout, retries, backoff
        See :func:`fetch_events`.
    events
        Events already fetched (skips the request; for tests and scripts).

    Returns
    -------
    dict
        ``archive``, ``kommun``, ``fetched`` (events the API sent), ``kept`` (the
        kommun's), ``new``, ``updated`` (an id already archived whose text the police
        changed: the newer version is kept), ``unchanged``, ``total`` (events in the
        archive now).

    Raises
    ------
    FetchError
        The API could not be reached (the archive is left as it was).
    InputError
        The archive is not a list of events; an unknown kommun.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "arkiv.json"
    >>> ev = [{"id": 1, "datetime": "2025-03-05 12:10:00 +01:00", "name": "5 mars 11.30, Stöld, Lysekil",
    ...        "summary": "", "url": "/", "type": "Stöld", "location": {"name": "Lysekil", "gps": "58.27,11.43"}}]
    >>> update_archive(path, kommun="1484", events=ev)["new"], update_archive(path, kommun="1484", events=ev)["new"]
    (1, 0)
    """
    k = find_kommun(kommun) if kommun else None
    path = Path(archive)
    old = read_archive(path)  # before fetching: a broken archive is reported first
    if events is None:
        events = fetch_events(location=[k.name, k.lan] if k else None, url=url, timeout=timeout,
                              retries=retries, backoff=backoff)
    kept = _keep_kommun(events, k.code) if k else list(events)
    by_id = {str(e["id"]): e for e in old}
    new = updated = 0
    for e in kept:
        key = str(e["id"])
        if key not in by_id:
            new += 1
        elif by_id[key] != e:
            updated += 1
        else:
            continue
        by_id[key] = e
    records = sorted(by_id.values(), key=_event_key)
    if new or updated or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + ("\n]\n" if records else "]\n")
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return {"archive": str(path), "kommun": k.name if k else None, "fetched": len(events),
            "kept": len(kept), "new": new, "updated": updated, "unchanged": len(kept) - new - updated,
            "total": len(records)}
