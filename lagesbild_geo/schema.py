"""Canonical columns, categories and the raw → canonical category mapping.

Every reader produces the incident table described here; every later step
relies on it. See ``docs/data-contracts.md``.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import InputError

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "DATE_PRECISION",
    "INCIDENT_COLUMNS",
    "LEVEL_PRECISIONS",
    "NON_CRIME",
    "POINT_PRECISIONS",
    "PRECISIONS",
    "RAW_CATEGORY_MAP",
    "REJECTED_COLUMNS",
    "empty_incidents",
    "fold",
    "hour_known",
    "map_categories",
    "remember_text_codes",
    "text_codes",
    "text_isin",
    "text_value_counts",
    "weekday_known",
]

#: Canonical incident columns in order; other source columns ride along after them.
INCIDENT_COLUMNS: dict[str, str] = {
    "incident_id": "string",
    "occurred_at": "datetime64[ns, Europe/Stockholm]",
    "category": "string",
    "category_raw": "string",
    "lat": "float64",
    "lon": "float64",
    "easting": "float64",
    "northing": "float64",
    "precision": "string",
    "location_text": "string",
    "cell": "uint64",
    "source": "string",
    "source_row": "int64",
}

#: How exactly a row was placed. ``pending`` rows await geocoding. ``district``,
#: ``stadsdel``, ``kommun`` and ``lan`` are levels known from a name (the police feed):
#: placed in one district, in a named area larger than a district, only in the kommun,
#: only in the län.
PRECISIONS: tuple[str, ...] = ("point", "address", "place", "area", "district", "stadsdel",
                               "kommun", "lan", "pending")
#: A column set to ``"month"`` on rows whose date is only a month (an aggregated table per
#: month, read as the month's first day at 00:00): they have no weekday and no hour; and to
#: ``"day"`` on rows with a date but no time of day (read as 00:00): they have no hour.
DATE_PRECISION = "date_precision"


def _time_known(incidents: pd.DataFrame, unknown: list[str]) -> npt.NDArray[np.bool_]:
    if DATE_PRECISION not in incidents.columns:
        return np.ones(len(incidents), dtype=bool)
    return ~incidents[DATE_PRECISION].astype("string").isin(unknown).to_numpy(dtype=bool, na_value=False)


def hour_known(incidents: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """True for the rows whose time of day is known (not a ``day`` or ``month`` date).

    Examples
    --------
    >>> hour_known(pd.DataFrame({DATE_PRECISION: ["day", None, "month"]})).tolist()
    [False, True, False]
    """
    return _time_known(incidents, ["day", "month"])


def weekday_known(incidents: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """True for the rows whose weekday is known (not a ``month`` date).

    Examples
    --------
    >>> weekday_known(pd.DataFrame({DATE_PRECISION: ["day", None, "month"]})).tolist()
    [True, True, False]
    """
    return _time_known(incidents, ["month"])


#: Only these take part in point-level statistics (cells, Gi*, clusters).
POINT_PRECISIONS: tuple[str, ...] = ("point", "address")
#: Levels known only from a name: such rows never count in the district that holds their
#: coordinates (a kommun's or län's centre), only at their own level.
LEVEL_PRECISIONS: tuple[str, ...] = ("district", "stadsdel", "kommun", "lan")

#: Columns of the rejected-rows table (raw source columns ride along as ``raw_<name>``).
REJECTED_COLUMNS: tuple[str, ...] = ("source", "source_row", "reason", "reason_sv")

#: Canonical category ids (stable ASCII) → Swedish labels.
CATEGORY_LABELS: dict[str, str] = {
    "vald": "Våld och hot",
    "sexualbrott": "Sexualbrott",
    "ran": "Rån",
    "bostadsinbrott": "Bostadsinbrott",
    "stold": "Stöld och snatteri",
    "fordonsbrott": "Fordonsbrott",
    "skadegorelse": "Skadegörelse och klotter",
    "brand": "Brand",
    "narkotika": "Narkotikabrott",
    "ordning": "Ordningsstörning",
    "bedrageri": "Bedrägeri",
    "vapen": "Vapen, skottlossning och explosion",
    "trafik": "Trafikbrott",
    "ovrigt": "Övrigt",
    "ej_brott": "Ej brott",
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_LABELS)
#: The category of events that are not crimes (traffic accidents, the police's summaries,
#: missing persons, animals, checks, information); left out of counts by default
#: (``PipelineConfig.exclude_categories``).
NON_CRIME = "ej_brott"


def fold(text: object) -> str:
    """Fold a label for tolerant recognition: lower case, å/ä→a, ö→o, other accents
    dropped, punctuation to spaces, whitespace collapsed.

    For **column headers and category labels only** ("Område" = "Omrade",
    "Skadegörelse" = "skadegorelse"). Place names are never compared with it: they
    follow :func:`lagesbild_geo.names.name_key`, which keeps å, ä and ö.

    Examples
    --------
    >>> fold("  Skadegörelse,  KLOTTER ")
    'skadegorelse klotter'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return _fold_text(str(text))


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=8192)
def _fold_text(text: str) -> str:
    # headers and labels repeat (the alias tables are folded on every read): remembered
    s = text.strip().lower()
    if not s.isascii():  # plain ASCII has no accents to take off
        s = unicodedata.normalize("NFKD", s)
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
        s = s.replace("æ", "a").replace("ø", "o")
    return " ".join(_NOT_ALNUM.sub(" ", s).split())


# Raw labels (folded) → canonical id. Police event types (polisen.se/api/events; the
# feed's own complete list is polisen.EVENT_TYPES), common Brå crime names, and usual
# kommun incident-report wording.
_RAW: dict[str, tuple[str, ...]] = {
    "vald": (
        "misshandel", "misshandel grov", "grov misshandel", "misshandel dodlig", "vald",
        "vald och hot", "hot", "olaga hot", "ofredande", "mord drap", "mord drap forsok",
        "mord", "drap", "dod", "vald mot tjansteman", "hot mot tjansteman", "bråk",
        "brak", "slagsmal", "knivskuren", "personrån", "kvinnofridskrankning",
        "grov kvinnofridskrankning", "fridskrankning", "olaga tvang",
        "vald mot person", "hot och vald", "misshandel ej grov", "bortforande",
        "mord drap forsok", "vald eller hot mot tjansteman", "hot vald",
        "olaga frihetsberovande manniskorov", "olaga frihetsberovande", "manniskorov",
        "larm overfall",
    ),
    "sexualbrott": (
        "sexualbrott", "valdtakt", "valdtakt forsok", "sexuellt ofredande",
        "sexuellt utnyttjande", "koppleri", "blottning", "sedlighetsbrott",
    ),
    "ran": (
        "ran", "ran vapen", "ran ovrigt", "ran vapen forsok", "ran forsok", "ran vapen ej",
        "rån", "personran", "butiksran", "vaskryckning", "vaskryckning ran", "ran grovt",
        "vaskryckning forsok", "ran vapnat",
    ),
    "bostadsinbrott": (
        "bostadsinbrott", "inbrott bostad", "inbrott i bostad", "lagenhetsinbrott",
        "villainbrott", "inbrott villa", "inbrott lagenhet", "inbrott forsok bostad",
    ),
    "stold": (
        "stold", "stold inbrott", "inbrott", "inbrott forsok", "snatteri", "stold ringa",
        "ringa stold", "grov stold", "stold grov", "fickstold", "cykelstold", "stold cykel",
        "butiksstold", "inbrott kallare", "kallarinbrott", "inbrott forrad", "stold ur butik",
        "stold och snatteri", "tillgrepp", "egenmaktighet", "hälerei", "haleri",
        "stold ovrigt", "inbrott skola", "inbrott lokal", "stold inbrott forsok", "stold forsok",
        # a burglar alarm: the text often says what was broken into (polisen refines it)
        "larm inbrott",
    ),
    "fordonsbrott": (
        "fordonsbrott", "bilbrand", "stold bil", "bilstold", "stold ur bil",
        "inbrott bil", "bilinbrott", "tillgrepp av fortskaffningsmedel",
        "fordonsstold", "stold ur fordon", "stold av fordon", "olovligt brukande",
        "mopedstold", "stold moped", "motorfordon stold",
    ),
    "skadegorelse": (
        "skadegorelse", "klotter", "skadegorelse klotter", "skadegorelse och klotter",
        "skadegorelse genom brand", "vandalisering", "grov skadegorelse", "sabotage",
        "ateruppkallelse skadegorelse", "glaskross", "fonsterkross", "nedskrapning",
        "sabotage mot blaljusverksamhet",
    ),
    "brand": (
        "brand", "brand ovrigt", "anlagd brand", "brandlarm", "soptunnebrand",
        "containerbrand", "mordbrand", "mordbrand forsok", "brand i byggnad", "gräsbrand", "grasbrand",
    ),
    "narkotika": (
        "narkotikabrott", "narkotika", "narkotikabrott ringa", "narkotikabrott grovt",
        "eget bruk", "innehav narkotika", "narkotikainnehav", "langning", "droger",
        "drogbrott", "dopningsbrott",
    ),
    "ordning": (
        "ordningsstorning", "fylleri lob", "fylleri", "lob", "ofog", "ofog barn ungdom",
        "ofog ungdom", "bråk ungdom", "alkohollagen", "larm overfall ordning",
        "storande", "oljud", "folksamling", "storning", "forargelseväckande beteende",
        "forargelsevackande beteende", "ordningslagen", "tillstand ordningslagen",
        "uppsikt", "bråk och stök", "stok", "ungdomar stok", "smallar",
        "ofredande ordning", "allman ordning",
    ),
    "bedrageri": (
        "bedrageri", "bedrägeri", "bedrageri ovrigt", "kortbedrageri", "telefonbedrageri",
        "bluffsamtal", "ulv", "identitetsstold", "penningtvatt", "forskingring",
        "bokforingsbrott", "bedrageri grovt", "utpressning", "ekobrott", "aldringsbrott",
        "forfalskningsbrott", "forfalskning", "missbruk av urkund",
    ),
    "vapen": (
        "vapenlagen", "vapen", "skottlossning", "skottlossning misstankt", "explosion",
        "detonation", "sprangning", "knivlagen", "brott mot knivlagen", "vapenbrott",
        "farligt foremal", "farligt foremal misstankt", "bombhot", "skjutning",
    ),
    "trafik": (
        "trafikbrott", "rattfylleri", "olovlig korning", "vallningsolycka",
        "smitning", "hastighetsovertradelse", "grov vårdslöshet i trafik",
        "vardsloshet i trafik", "rattonykterhet", "drograttfylleri", "trafikbrott ovrigt",
        "fartkontroll", "trafikolycka smitning", "trafikolycka smitning fran",
    ),
    "ovrigt": (
        "ovrigt brott", "annat", "olaga intrang", "miljobrott", "lagkrav", "motorfordon stulet",
        "rattfylleri sammanfattning", "spridning smittsamma amnen", "luftfartslagen", "jaktlagen",
        "fylleri lob sammanfattning", "skyddslagen", "tillstand", "ovrigt ovrigt",
        "sjolagen", "spridning smitta kemikalier", "lagen om hundar och katter",
        "utlanningslagen", "hemfridsbrott", "vallande till kroppsskada", "hets mot folkgrupp",
    ),
    # Events that are not crimes: accidents, the police's summaries, missing persons,
    # animals, checks, information. Left out of counts by default.
    "ej_brott": (
        "ej brott", "sammanfattning", "sammanfattning natt",
        "sammanfattning kvall och natt", "sammanfattning kvall", "sammanfattning dag",
        "sammanfattning helg", "sammanfattning vecka", "sammanfattning eftermiddag",
        "sammanfattning dygn", "trafikolycka", "trafikolycka personskada", "trafikolycka vilt",
        "trafikolycka singel", "forsvunnen person", "kontroll person fordon", "anträffad död",
        "antraffad dod", "antraffat gods", "anträffat gods", "arbetsplatsolycka", "djur",
        "fjallraddning", "sjoraddning", "efterlyst person", "polisinsats",
        "polisinsats kommendering", "naturkatastrof", "information", "uppdatering",
        "raddningsinsats", "sjukdom olycksfall", "upphittat foremal", "varningslarm haveri",
        "brand automatlarm", "kontroll", "larm", "trafikkontroll", "trafikhinder",
        "motorfordon antraffat stulet",
    ),
}

#: Folded raw label → canonical category id.
RAW_CATEGORY_MAP: dict[str, str] = {}
for _cat, _labels in _RAW.items():
    for _label in _labels:
        RAW_CATEGORY_MAP.setdefault(fold(_label), _cat)
# Canonical ids and Swedish labels map to themselves.
for _cat, _label in CATEGORY_LABELS.items():
    RAW_CATEGORY_MAP[fold(_cat)] = _cat
    RAW_CATEGORY_MAP[fold(_label)] = _cat
# Corrections where folding made two labels collide on purpose.
RAW_CATEGORY_MAP[fold("Motorfordon, stulet")] = "fordonsbrott"
RAW_CATEGORY_MAP[fold("Motorfordon, anträffat stulet")] = "ej_brott"
RAW_CATEGORY_MAP[fold("Stöld/inbrott")] = "stold"


def map_categories(
    raw: pd.Series, category_map: Mapping[str, str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map raw crime types to canonical categories.

    Parameters
    ----------
    raw
        Raw labels as they came from the source.
    category_map
        Extra ``raw label → canonical id`` entries; they win over the built-in map.
        Values must be canonical ids (see :data:`CATEGORIES`).

    Returns
    -------
    (category, is_unknown)
        The canonical ids (``"ovrigt"`` for unknown labels) and a boolean mask of
        rows whose label was unknown (counted in the ingest report).

    Examples
    --------
    >>> cat, unknown = map_categories(pd.Series(["Misshandel", "Klotter", "Ufo"]))
    >>> list(cat), list(unknown)
    (['vald', 'skadegorelse', 'ovrigt'], [False, False, True])
    """
    table = dict(RAW_CATEGORY_MAP)
    if category_map:
        bad = sorted({v for v in category_map.values() if v not in CATEGORY_LABELS})
        if bad:
            raise InputError(
                f"category_map maps to unknown categories {bad}; use one of {list(CATEGORIES)}."
            )
        table.update({fold(k): v for k, v in category_map.items()})
    # Map the distinct labels only (a column has few distinct values).
    codes, uniques = pd.factorize(raw.astype("string").fillna(""), sort=False)
    folded = [fold(u) for u in uniques]
    mapped = np.array([table.get(f, table.get(f.split(" ")[0], "")) if f else "" for f in folded],
                      dtype=object)
    # A label such as "Misshandel, grov" folds to "misshandel grov"; try the head
    # word only when the whole label is unknown.
    unknown_u = np.array([m == "" for m in mapped], dtype=bool)
    mapped[unknown_u] = "ovrigt"
    if len(mapped) == 0:
        return (pd.Series([], index=raw.index, dtype="string"),
                pd.Series([], index=raw.index, dtype=bool))
    cat = pd.Series(mapped[codes], index=raw.index, dtype="string")
    unk = pd.Series(unknown_u[codes], index=raw.index, dtype=bool)
    return cat, unk


def empty_incidents() -> pd.DataFrame:
    """An incident table with the canonical columns and dtypes and no rows."""
    data: dict[str, pd.Series] = {}
    for name, dtype in INCIDENT_COLUMNS.items():
        data[name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(data)


# ----------------------------------------------------------------------------------------
# Codes of the few-valued text columns (precision, category), computed once per column
# ----------------------------------------------------------------------------------------

#: Codes of Arrow-backed text columns by the identity of their (immutable) Arrow data,
#: kept while that data lives: the steps of a build that ask for the codes of the same
#: precision or category column get them without hashing a million strings again.
_TEXT_CODES: dict[int, tuple[weakref.ref[Any], npt.NDArray[np.signedinteger[Any]], npt.NDArray[np.object_]]] = {}
_TEXT_CODES_LOCK = threading.RLock()  # a weakref callback may run during a collection under it


def _arrow_data(values: pd.Series | pd.Index | Any) -> Any:
    """The Arrow data of a ``string[pyarrow]`` column (immutable, so its identity names its
    content), else ``None``."""
    arr = values.array if isinstance(values, (pd.Series, pd.Index)) else values
    if isinstance(arr, pd.arrays.ArrowStringArray):
        return arr.__arrow_array__()
    return None


def _forget(key: int, _ref: Any = None) -> None:
    with _TEXT_CODES_LOCK:
        _TEXT_CODES.pop(key, None)


def _remembered(data: Any) -> tuple[npt.NDArray[np.signedinteger[Any]], npt.NDArray[np.object_]] | None:
    if data is None:
        return None
    with _TEXT_CODES_LOCK:
        hit = _TEXT_CODES.get(id(data))
    if hit is None or hit[0]() is not data:
        return None
    return hit[1], hit[2]


def _small_type(n_labels: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type whose codes reach ``n_labels``."""
    for t in (np.int8, np.int16, np.int32):
        if n_labels <= np.iinfo(t).max:
            return t
    return np.intp


def _small(codes: npt.NDArray[np.integer[Any]], n_labels: int) -> npt.NDArray[np.signedinteger[Any]]:
    """The codes in the smallest signed integer type that holds them (int8 for a few labels:
    an eighth of the memory a remembered column's codes would otherwise keep)."""
    return codes.astype(_small_type(n_labels), copy=False)


def _remember(data: Any, codes: npt.NDArray[np.signedinteger[Any]], labels: npt.NDArray[np.object_]) -> None:
    if data is None:
        return
    codes.flags.writeable = False  # shared by every caller: nobody may change them
    key = id(data)
    ref = weakref.ref(data, functools.partial(_forget, key))
    with _TEXT_CODES_LOCK:
        _TEXT_CODES[key] = (ref, codes, labels)


def text_codes(values: pd.Series | pd.Index) -> tuple[npt.NDArray[np.signedinteger[Any]], npt.NDArray[np.object_]]:
    """Integer codes of a text column over its distinct values, and those values.

    ``labels[codes]`` is the column (code -1 where a value is missing); the labels are
    distinct strings in no promised order (what :func:`pandas.factorize` gives, or the
    order a reader chose). A ``string`` column stored in Arrow (as every reader makes
    ``precision`` and ``category``) remembers its codes while it lives, so every later
    step that asks for them gets them without hashing each row again; other columns
    are factorised at each call. The codes are read-only, in the smallest signed integer
    type that holds them (int8 for a few labels).

    Parameters
    ----------
    values
        A text column (``string`` dtype or objects; anything else is compared as text).

    Returns
    -------
    tuple of ndarray
        ``(codes, labels)``: integer codes, one per row, and an object array of ``str``.

    Examples
    --------
    >>> codes, labels = text_codes(pd.Series(["point", "address", None, "point"], dtype="string"))
    >>> codes.tolist(), labels.tolist()
    ([0, 1, -1, 0], ['point', 'address'])
    >>> text_codes(pd.Series(["point", "address", None, "point"], dtype="string"))[0] is codes
    False
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # codes and labels as they are kept
        cat = pd.Categorical(values)  # a Series' or an Index's categorical alike
        labels = np.asarray([str(u) for u in cat.categories], dtype=object)
        if len(set(labels.tolist())) == len(labels):
            return _small(np.asarray(cat.codes), len(labels)), labels
    data = _arrow_data(values)
    known = _remembered(data)
    if known is not None:
        return known
    codes, uniq = pd.factorize(values if data is not None else pd.Series(values).astype("string"))
    labels = np.asarray([str(u) for u in uniq], dtype=object)
    codes = _small(np.asarray(codes), len(labels))
    _remember(data, codes, labels)
    return codes, labels


def text_value_counts(values: pd.Series, mask: npt.NDArray[np.bool_] | None = None) -> dict[str, int] | None:
    """``values[mask].value_counts()`` as a dict (most first, ties in the order they first
    occur) from the column's :func:`text_codes` (no text per row); ``None`` when one of the
    selected values is missing (pandas' own counting then names it).

    Examples
    --------
    >>> text_value_counts(pd.Series(["area", "point", "point", "lan"], dtype="string"))
    {'point': 2, 'area': 1, 'lan': 1}
    >>> text_value_counts(pd.Series(["area", None], dtype="string")) is None
    True
    """
    codes, labels = text_codes(values)
    c = codes if mask is None else codes[mask]
    if (c < 0).any():
        return None
    n = np.bincount(c, minlength=len(labels))
    seen = np.flatnonzero(n)
    first = np.array([int(np.argmax(c == k)) for k in seen], dtype=np.int64)
    seen = seen[np.argsort(first, kind="stable")]
    seen = seen[np.argsort(-n[seen], kind="stable")]
    return {str(labels[k]): int(n[k]) for k in seen}


def text_isin(values: pd.Series, items: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Which rows of a text column hold one of ``items`` (missing values: no), from its
    codes (:func:`text_codes`).

    Examples
    --------
    >>> text_isin(pd.Series(["point", "area", None], dtype="string"), ["point", "address"]).tolist()
    [True, False, False]
    """
    codes, labels = text_codes(values)
    hit = np.append(np.isin(labels, np.asarray(list(items), dtype=object)), False)
    return hit[codes]


def remember_text_codes(values: pd.Series, codes: npt.ArrayLike, labels: Sequence[str | None]) -> None:
    """Tell :func:`text_codes` the codes of a column a reader built from them.

    ``values`` must be ``labels[codes]`` (a ``None`` label or a negative code: a missing
    value; labels may repeat); only a ``string`` column stored in Arrow keeps them.

    Examples
    --------
    >>> s = pd.Series(["a", "b", None, "a"], dtype="string[pyarrow]")
    >>> remember_text_codes(s, [0, 1, 2, 3], ["a", "b", None, "a"])
    >>> [text_codes(s)[1][c] if c >= 0 else None for c in text_codes(s)[0]]
    ['a', 'b', None, 'a']
    """
    data = _arrow_data(values)
    if data is None:
        return
    c = np.asarray(codes)
    names = [None if v is None else str(v) for v in labels]
    distinct = list(dict.fromkeys(v for v in names if v is not None))
    if len(distinct) == len(names) and c.dtype.kind == "i" and (
            c.size == 0 or (int(c.min()) >= -1 and int(c.max()) < len(names))):
        # distinct labels, none missing, -1 for a missing value: the codes as they are, in the
        # smallest type (a copy: the remembered codes are made read-only)
        c = c.astype(_small_type(len(distinct)), copy=True)
    else:
        where = {v: i for i, v in enumerate(distinct)}
        remap = np.asarray([where[v] if v is not None else -1 for v in names] + [-1], dtype=np.intp)
        c = c.astype(np.intp, copy=False)
        c = _small(remap[np.where(c >= 0, c, len(names))], len(distinct))
    _remember(data, c, np.asarray(distinct, dtype=object))
