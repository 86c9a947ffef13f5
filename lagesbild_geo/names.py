"""Place names: when two names are the same place, and Sweden's kommuner and län.

The identity rule (used wherever place names are matched: districts, kommuner,
gazetteer places, the police feed's place phrases):

* two names are the same when they differ only in **case, spacing, hyphens and
  punctuation** ("Upplands-Bro" = "Upplands bro" = "UPPLANDS BRO"; "S:t Eriksplan" =
  "St. Eriksplan");
* **å, ä and ö are letters**, never folded away: Vårberg (a district of Stockholm) is
  not Varberg (a kommun in Halland), Håbo is not Habo. ü, æ and ø are kept too;
* accents that Swedish writes on the same letter (é, è, á, à …) are dropped:
  Swedish alphabetises é as e, and registers write "Kungsallén" and "Kungsallen",
  "Linnégatan" and "Linnegatan" for the same street;
* a match that needs å/ä/ö folded (Varberg ~ Vårberg) is at most offered as a
  suggestion in a message (:func:`loose_key`), never applied.

Column headers ("Område" vs "Omrade") are recognised by the tolerant
:func:`lagesbild_geo.schema.fold`; that is column recognition, not place identity.

The kommun table (:func:`kommuner`) ships with the package: SCB's 290 kommun codes
and names with their län (public reference data).
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = [
    "Kommun",
    "admin_levels",
    "find_kommun",
    "is_lan_name",
    "kommun_keys",
    "kommuner",
    "layer_kommun_codes",
    "loose_key",
    "loose_matches",
    "name_key",
    "name_words",
    "with_leading_zero",
]

# Letters kept as they are: the Swedish å, ä, ö, and foreign letters whose plain
# stand-in would name something else.
_KEEP = frozenset("åäöüæø")
# Inside a word these join (S:t, St., O'Connor); every other non-letter splits words.
_JOINERS = re.compile(r"(?<=\w)[:.'’](?=\w)|(?<=\w)[.:](?=\s|$)")
_SPLIT = re.compile(r"[\W_]+")
_LOOSE = str.maketrans({"å": "a", "ä": "a", "ö": "o", "ü": "u", "æ": "a", "ø": "o"})


@functools.lru_cache(maxsize=4096)
def _plain(ch: str) -> str:
    """A character without the accents Swedish treats as marks (é → e); å/ä/ö/ü/æ/ø kept."""
    if ch.isascii() or ch in _KEEP:
        return ch
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", base) or ch


def name_words(text: object) -> str:
    """A place name as comparable words: case, punctuation, hyphens and spacing folded,
    å/ä/ö kept (see the module docstring).

    Examples
    --------
    >>> name_words("  Upplands-BRO ")
    'upplands bro'
    >>> name_words("S:t Eriksplan"), name_words("Kungsallén")
    ('st eriksplan', 'kungsallen')
    >>> name_words("Vårberg") == name_words("Varberg")
    False
    """
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return ""
    s = unicodedata.normalize("NFC", str(text)).casefold()
    if not s.isascii():
        s = "".join(_plain(ch) for ch in s)
    s = _JOINERS.sub("", s)
    return " ".join(_SPLIT.sub(" ", s).split())


#: A DeSO or RegSO code that lost its leading zero ("180C4020", "180R111"), as a spreadsheet
#: leaves it (read_districts restores the zero in a layer's codes).
_SHORT_DISTRICT_CODE = re.compile(r"\d{3}(?:[ABCabc]\d{4}|[Rr]\d{3})")


def with_leading_zero(code: str) -> str:
    """A DeSO or RegSO code with the leading zero a spreadsheet dropped put back; any other
    text as it is.

    Examples
    --------
    >>> with_leading_zero("180C4020"), with_leading_zero("180r111"), with_leading_zero("24407")
    ('0180C4020', '0180r111', '24407')
    """
    return "0" + code if _SHORT_DISTRICT_CODE.fullmatch(code) else code


def name_key(text: object) -> str:
    """The identity key of a place name: :func:`name_words` without spaces.

    Two names are the same place name exactly when their keys are equal.

    Examples
    --------
    >>> name_key("Hässelby gård") == name_key("HÄSSELBY-GÅRD") == name_key("Hässelbygård")
    True
    >>> name_key("Torsby"), name_key("Vårberg"), name_key("Varberg")
    ('torsby', 'vårberg', 'varberg')
    """
    return name_words(text).replace(" ", "")


def loose_key(text: object) -> str:
    """:func:`name_key` with å, ä, ö (and ü, æ, ø) folded to a and o: **for suggestions
    only** ("did you mean Vårberg?"), never to decide that two names are the same.

    Examples
    --------
    >>> loose_key("Vårberg") == loose_key("Varberg")
    True
    """
    return name_key(text).translate(_LOOSE)


def loose_matches(name: object, candidates: Iterable[object]) -> list[str]:
    """Candidates that equal ``name`` only when å/ä/ö are folded (suggestions for a message).

    Examples
    --------
    >>> loose_matches("Varberg", ["Vårberg", "Varberg", "Vallentuna"])
    ['Vårberg']
    """
    k, lk = name_key(name), loose_key(name)
    if not lk:
        return []
    out: dict[str, None] = {}
    for c in candidates:
        if loose_key(c) == lk and name_key(c) != k:
            out.setdefault(str(c), None)
    return list(out)


# ------------------------------------------------------------------------------- kommuner


@dataclass(frozen=True)
class Kommun:
    """A Swedish kommun: SCB's four-digit code, its name and its län."""

    code: str
    name: str
    lan_code: str
    lan: str


@functools.lru_cache(maxsize=1)
def _kommun_rows() -> tuple[tuple[str, str, str, str], ...]:
    text = resources.files("lagesbild_geo").joinpath("data/kommuner.csv").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.reader(lines))
    return tuple((r[0], r[1], r[2], r[3]) for r in rows[1:])


def kommuner() -> pd.DataFrame:
    """Sweden's 290 kommuner: ``kommunkod`` (4 digits, text), ``kommun``, ``lanskod``, ``lan``.

    Examples
    --------
    >>> k = kommuner()
    >>> len(k), k.loc[k["kommunkod"] == "0180", "kommun"].item()
    (290, 'Stockholm')
    """
    return pd.DataFrame(list(_kommun_rows()), columns=["kommunkod", "kommun", "lanskod", "lan"])


_KOMMUN_SUFFIXES = ("s kommun", " kommun", "s stad", " stad")
#: Names kommuner give themselves that are not SCB's list name: "Falu kommun" (SCB:
#: Falun), "Region Gotland" (SCB: Gotland).
_OWN_NAMES = {"Falu": "2080", "Region Gotland": "0980"}


def _base_words(words: str) -> tuple[str, ...]:
    """A name's words and its forms without a "kommun"/"stad" suffix ("Stockholms stad")."""
    out = [words]
    for suffix in _KOMMUN_SUFFIXES:
        if words.endswith(suffix) and len(words) > len(suffix):
            out.append(words[: -len(suffix)])
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _kommun_index() -> tuple[dict[str, Kommun], dict[str, Kommun]]:
    by_code: dict[str, Kommun] = {}
    by_key: dict[str, Kommun] = {}
    for code, name, lan_code, lan in _kommun_rows():
        k = Kommun(code, name, lan_code, lan)
        by_code[code] = k
        by_key[name_key(name)] = k
    for own, code in _OWN_NAMES.items():  # the kommun's own name where SCB's list differs
        by_key.setdefault(name_key(own), by_code[code])
    return by_code, by_key


def kommun_keys(name: str | None) -> frozenset[str]:
    """The keys (:func:`name_key`) of the ways a kommun is written: "Stockholm",
    "Stockholms kommun", "Stockholms stad", "Stockholm kommun".

    Examples
    --------
    >>> sorted(kommun_keys("Lysekils kommun"))
    ['lysekil', 'lysekilkommun', 'lysekilskommun', 'lysekilsstad', 'lysekilstad']
    """
    if not name:
        return frozenset()
    _, by_key = _kommun_index()
    bases = _base_words(name_words(name))
    known = next((by_key[b.replace(" ", "")] for b in bases if b.replace(" ", "") in by_key), None)
    stem = name_words(known.name) if known is not None else min(bases, key=len)
    keys = {stem.replace(" ", "")}
    keys.update((stem + s).replace(" ", "") for s in _KOMMUN_SUFFIXES)
    keys.add(bases[0].replace(" ", ""))
    return frozenset(k for k in keys if k)


def find_kommun(value: object) -> Kommun:
    """The kommun named by a code ("0180", "180", 180) or a name ("Stockholm",
    "Stockholms kommun", "stockholms stad").

    Raises
    ------
    InputError
        Unknown code or name; the message suggests the names that differ only in
        å/ä/ö (never applied) or start alike.

    Examples
    --------
    >>> find_kommun("0180").name, find_kommun("Stockholms stad").code, find_kommun(1480).name
    ('Stockholm', '0180', 'Göteborg')
    >>> find_kommun("Håbo").code, find_kommun("Habo").code
    ('0305', '0643')
    """
    by_code, by_key = _kommun_index()
    text = str(value).strip()
    if re.fullmatch(r"\d{1,4}", text):
        hit = by_code.get(text.zfill(4))
        if hit is None:
            raise InputError(f"Kommun code {text!r} is not one of SCB's 290 kommun codes "
                             "(4 digits, e.g. 0180 Stockholm, 1480 Göteborg).")
        return hit
    for base in _base_words(name_words(text)):
        hit = by_key.get(base.replace(" ", ""))
        if hit is not None:
            return hit
    names = [k.name for k in by_code.values()]
    similar = loose_matches(text, names)
    if not similar:
        start = name_key(text)[:4]
        similar = [n for n in names if start and name_key(n).startswith(start)][:5]
    hint = f" Did you mean {', '.join(similar)}?" if similar else ""
    raise InputError(f"Kommun {text!r} is not one of Sweden's 290 kommuner (by name, with å, ä "
                     f"and ö as written, or by its 4-digit code).{hint}")


@functools.lru_cache(maxsize=1)
def _lan_keys() -> dict[str, str]:
    out: dict[str, str] = {}
    for _code, _name, lan_code, lan in _kommun_rows():
        out[name_key(lan)] = lan_code
        short = lan[:-4] if lan.endswith(" län") else lan
        out[name_key(short + " län")] = lan_code
    return out


def is_lan_name(text: object) -> bool:
    """Whether a place text names a län ("Uppsala län", "Västra Götalands län", "län").

    Examples
    --------
    >>> is_lan_name("Uppsala län"), is_lan_name("Uppsala"), is_lan_name("Skåne län")
    (True, False, True)
    """
    w = name_words(text)
    return w == "län" or w.endswith(" län")


def admin_levels(values: pd.Series | Sequence[object]) -> pd.DataFrame:
    """What each place text names: a kommun, a län, or something else.

    Parameters
    ----------
    values
        Place texts such as the police feed's ``location.name`` ("Stockholm",
        "Uppsala län", "Upplands väsby").

    Returns
    -------
    DataFrame
        Aligned to ``values``: ``level`` (``kommun`` | ``lan`` | ``other`` | ``none``
        for empty), ``kommun_code`` and ``kommun_name`` (the table's spelling; NA unless
        a kommun), ``lan_code`` (the kommun's or the named län's; NA when unknown).

    Examples
    --------
    >>> admin_levels(["Upplands väsby", "Uppsala län", "Vårberg", ""])["level"].tolist()
    ['kommun', 'lan', 'other', 'none']
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(s.astype("string").fillna(""), sort=False)
    _, by_key = _kommun_index()
    lan_keys = _lan_keys()
    level: list[object] = []
    kcode: list[object] = []
    kname: list[object] = []
    lcode: list[object] = []
    for u in uniques:
        words = name_words(u)
        key = words.replace(" ", "")
        hit = None
        if key and not is_lan_name(u):
            for base in _base_words(words):
                hit = by_key.get(base.replace(" ", ""))
                if hit is not None:
                    break
        if not key:
            level.append("none")
            kcode.append(None)
            kname.append(None)
            lcode.append(None)
        elif hit is not None:
            level.append("kommun")
            kcode.append(hit.code)
            kname.append(hit.name)
            lcode.append(hit.lan_code)
        elif is_lan_name(u):
            level.append("lan")
            kcode.append(None)
            kname.append(None)
            lcode.append(lan_keys.get(key))
        else:
            level.append("other")
            kcode.append(None)
            kname.append(None)
            lcode.append(None)
    take = np.where(codes >= 0, codes, 0)

    def col(vals: list[object]) -> pd.Series:
        arr = np.asarray(vals if vals else [None], dtype=object)[take]
        return pd.Series(pd.array(arr, dtype="string"), index=s.index)

    return pd.DataFrame({"level": col(level), "kommun_code": col(kcode), "kommun_name": col(kname),
                         "lan_code": col(lcode)}, index=s.index)


def layer_kommun_codes(layer: pd.DataFrame, *, share: float = 0.9) -> dict[str, list[int]]:
    """The kommuner of a layer with one row per kommun (SCB's kommun layer, a boundary file
    of all of Sweden): code → the rows of that kommun, from the first column whose values
    are (at least ``share`` of them) SCB kommun codes ("0180", 180); empty when no column
    is, or when every row is the same kommun.

    Examples
    --------
    >>> layer = pd.DataFrame({"KnNamn": ["Stockholm", "Uppsala", "Uppsala"], "KnKod": ["0180", "0380", "380"]})
    >>> layer_kommun_codes(layer)
    {'0180': [0], '0380': [1, 2]}
    >>> layer_kommun_codes(layer.iloc[1:])
    {}
    """
    by_code, _ = _kommun_index()
    for c in layer.columns:
        col = layer[c]
        if col.dtype.kind not in "OUSi" and str(col.dtype) != "string":
            continue
        vals = col.astype("string").str.strip()
        codes = vals.where(vals.str.fullmatch(r"\d{3,4}").fillna(False)).str.zfill(4)
        known = codes.isin(list(by_code)).fillna(False).to_numpy(dtype=bool)
        if len(vals) and known.mean() >= share:
            rows: dict[str, list[int]] = {}
            for i in np.flatnonzero(known):
                rows.setdefault(str(codes.iloc[i]), []).append(int(i))
            return rows if len(rows) > 1 else {}
    return {}
