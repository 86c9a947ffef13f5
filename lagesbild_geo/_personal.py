"""Personal data in text: personnummer, phone numbers, e-mail addresses, person names.

Private and low in the package (the measure store's exports use it too); the public
names are re-exported by :mod:`lagesbild_geo.privacy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, PrivacyError

__all__ = ["EMAIL_PATTERN", "FREE_TEXT_FIELDS", "PHONE_ANY_PATTERN", "PHONE_FULL_PATTERN",
           "TEXT_FINDING_COLUMNS", "check_free_text", "contains_valid_personnummer",
           "find_personal_text", "is_personnummer", "luhn_ok"]

# ---------------------------------------------------------------- personnummer

_PNR_CORE = r"(?:\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})"
#: Personnummer / samordningsnummer anywhere in a text (not inside a longer number).
_PNR_ANY = re.compile(r"(?<![\d])" + _PNR_CORE + r"(?![\d])")
_PNR_FULL = re.compile(r"^\s*" + _PNR_CORE + r"\s*$")


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check as used for the last digit of a Swedish personnummer.

    Parameters
    ----------
    digits
        The ten digits YYMMDDNNNC (century and separator removed).

    Examples
    --------
    >>> luhn_ok("8112189876")
    True
    >>> luhn_ok("8112189875")
    False
    """
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):  # double every second digit from the right
        d = int(ch) * (2 if i % 2 == 1 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _date_ok(mm: str, dd: str) -> bool:
    m, d = int(mm), int(dd)
    # samordningsnummer: day + 60
    return 1 <= m <= 12 and (1 <= d <= 31 or 61 <= d <= 91)


def is_personnummer(value: object, *, check_luhn: bool = True) -> bool:
    """Whether a value *is* a Swedish personnummer or samordningsnummer.

    Accepts YYMMDD-NNNC, YYMMDD+NNNC, YYMMDDNNNC and the same with century
    (YYYYMMDD...). Month and day must be valid (day + 60 for a
    samordningsnummer); with ``check_luhn`` the control digit must pass the Luhn check.

    Examples
    --------
    >>> is_personnummer("19811218-9876"), is_personnummer("811278-9873")
    (True, True)
    >>> is_personnummer("19850101-1234"), is_personnummer("19850101-1234", check_luhn=False)
    (False, True)
    """
    m = _PNR_FULL.match(str(value))
    if not m:
        return False
    yy, mm, dd, _sep, tail = m.groups()
    if not _date_ok(mm, dd):
        return False
    return not check_luhn or luhn_ok(yy + mm + dd + tail)


def contains_valid_personnummer(text: str) -> bool:
    """Whether a text holds a valid personnummer or samordningsnummer anywhere (a valid
    date and control digit; not part of a longer number).

    Examples
    --------
    >>> contains_valid_personnummer("anmält av 19811218-9876 i går"), contains_valid_personnummer("nr 12345")
    (True, False)
    """
    for m in _PNR_ANY.finditer(text):
        yy, mm, dd, _sep, tail = m.groups()
        if _date_ok(mm, dd) and luhn_ok(yy + mm + dd + tail):
            return True
    return False


# --------------------------------------------------------------- other patterns

#: An e-mail address anywhere in a text.
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Swedish phone numbers: +46/0046/0 then 7–9 digits, spaces and dashes allowed.
#: A value that is a Swedish phone number.
PHONE_FULL_PATTERN = re.compile(r"^\s*(?:\+46|0046|0)[\s\-]?\(?0?\)?[1-9](?:[\s\-]?\d){6,9}\s*$")
#: A Swedish phone number anywhere in a text.
PHONE_ANY_PATTERN = re.compile(r"(?<![\d\w])(?:\+46|0046|0)[\s\-]?[1-9](?:[\s\-]?\d){6,9}(?![\d])")



# ------------------------------------------------------------ free text leaving the kommun

#: Free-text fields that leave the kommun (package, GeoPackage, report, åtgärdsplan),
#: as ``table.field`` → Swedish name. Pass any of the keys in ``allow_personal_data``
#: to publish a field whose values look like personal data.
FREE_TEXT_FIELDS: dict[str, str] = {
    "areas.name": "områdets namn",
    "areas.description": "områdets beskrivning",
    "measures.title": "åtgärdens titel",
    "measures.description": "åtgärdens beskrivning",
    "measures.problem": "problem/orsak",
    "measures.agreement": "samverkansöverenskommelse",
    "measures.partners": "samverkanspartner",
    "measures.indicator": "uppföljningsindikator",
    "measures.cause_tags": "orsaker (taggar)",
    "districts.district_name": "distriktets namn",
}
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "areas.name": ("name", "area_name", "namn"),
    "areas.description": ("description",),
    "measures.title": ("title",),
    "measures.description": ("description",),
    "measures.problem": ("problem",),
    "measures.agreement": ("agreement",),
    "measures.partners": ("partners",),
    "measures.indicator": ("indicator", "followup_indicator"),
    "measures.cause_tags": ("cause_tags",),
    "districts.district_name": ("district_name",),
}
_KIND_SV = {"personnummer": "ett personnummer", "email": "en e-postadress",
            "phone": "ett telefonnummer", "name": "ett personnamn", "home": "ett lägenhetsnummer"}
# Two capitalised words after a word that introduces a person ("samtal med Anna
# Berg", "kontakt: Sven-Erik Johansson"). Organisations are told apart by a few words.
_NAME_WORD = r"[A-ZÅÄÖÉÜ][a-zåäöéü]+(?:-[A-ZÅÄÖÉÜ][a-zåäöéü]+)?"
_PERSON_AFTER = re.compile(
    r"(?i:\b(?:med|av|hos|kontakt|kontaktperson|kontakta|ring|ringa|mejla|ansvarig|"
    r"handläggare|samordnare|enligt|c/o|till|från|mot))\b[\s:,]+(" + _NAME_WORD + r")\s+(" + _NAME_WORD + r")")
# A household: "familj Johansson", "familjen Hassan"; a flat's number ("lgh 1002": the
# four-digit number of the national register of flats) next to an address.
_FAMILY = re.compile(r"(?i:\bfamilj(?:en)?)\s+(" + _NAME_WORD + r")")
_FLAT = re.compile(r"(?i:\blgh\.?)\s*\d{4}\b")
# A private person named with their part: "Kalle Andersson (granne)".
_PRIVATE_ROLE = re.compile(r"(" + _NAME_WORD + r")\s+(" + _NAME_WORD + r")\s*\((?i:granne|grannen|boende|"
                           r"hyresgäst|privatperson|förälder|vårdnadshavare|anhörig|vittne|målsägande)\)")
_NOT_PERSON = frozenset(
    ["polisen", "polis", "kommun", "kommunen", "kommunens", "region", "regionen", "länsstyrelsen", "trafikverket", "räddningstjänsten", "socialtjänsten", "stiftelsen", "stiftelse", "bostäder", "bostad", "bostadsbolaget", "fastigheter", "fastighets", "fastighetsägare", "förening", "föreningen", "skola", "skolan", "skolor", "gymnasiet", "fritidsgården", "fritidsgård", "centrum", "torget", "torg", "parken", "park", "gatan", "vägen", "stad", "staden", "kyrkan", "församlingen", "bolaget", "bolag", "ab", "hb", "kb", "företag", "företagare", "näringsliv", "handel", "grannsamverkan", "nattvandrare", "nattvandrarna", "vaktbolag", "securitas", "avarn", "ungdomar", "föräldrar", "brå", "samverkan", "stora", "lilla", "norra", "södra", "östra", "västra", "nya", "gamla"])


def _text_matches(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) of every piece of personal data found in ``text``."""
    out: list[tuple[str, str]] = []
    for m in _PNR_ANY.finditer(text):
        yy, mm, dd, _sep, tail = m.groups()
        if _date_ok(mm, dd) and luhn_ok(yy + mm + dd + tail):
            out.append(("personnummer", m.group(0)))
    for m in EMAIL_PATTERN.finditer(text):
        out.append(("email", m.group(0)))
    for m in PHONE_ANY_PATTERN.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not any(digits in re.sub(r"\D", "", p) for k, p in out if k == "personnummer"):
            out.append(("phone", m.group(0)))
    for m in _PERSON_AFTER.finditer(text):
        first, last = m.group(1), m.group(2)
        words = {w.lower() for part in (first, last) for w in part.split("-")}
        if not words & _NOT_PERSON:
            out.append(("name", f"{first} {last}"))
    for m in _PRIVATE_ROLE.finditer(text):
        out.append(("name", f"{m.group(1)} {m.group(2)}"))
    for m in _FAMILY.finditer(text):
        if m.group(1).lower() not in _NOT_PERSON:
            out.append(("name", m.group(0)))
    for m in _FLAT.finditer(text):
        out.append(("home", m.group(0)))
    return out


def _texts(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x) for x in v if x is not None and not (isinstance(x, float) and np.isnan(x))]
    if isinstance(v, float) and np.isnan(v):
        return []
    if v is pd.NA:
        return []
    return [str(v)]


#: Columns of :func:`find_personal_text`.
TEXT_FINDING_COLUMNS: tuple[str, ...] = ("field", "row", "id", "kind", "match")


def find_personal_text(tables: Mapping[str, pd.DataFrame | None], *,
                       fields: Iterable[str] = tuple(FREE_TEXT_FIELDS)) -> pd.DataFrame:
    """Personal data in the free-text fields of areas, measures and districts.

    Every value is scanned for a personnummer or samordningsnummer (with or
    without century, with or without ``-``/``+``, Luhn-checked), an e-mail
    address, a Swedish phone number and a person's name (two capitalised words
    after "med", "av", "hos", "kontakt" and similar words; a few organisation
    words such as "Polisen" or "AB" are not names).

    Parameters
    ----------
    tables
        ``{"areas": frame, "measures": frame, "districts": frame}`` (any may be
        missing); columns as in the measure store (``name``/``area_name``,
        ``title``, ``description``, ``problem``, ``agreement``, ``partners`` …).
    fields
        Which ``table.field`` keys of :data:`FREE_TEXT_FIELDS` to scan.

    Returns
    -------
    DataFrame
        ``field`` (``table.field``), ``row`` (1-based position), ``id`` (the row's
        index value), ``kind`` (``personnummer``, ``email``, ``phone``, ``name``) and
        ``match`` (the text found); empty when nothing was found.

    Examples
    --------
    >>> m = pd.DataFrame({"title": ["Samtal med Birgitta Holmström", "Belysning"]})
    >>> find_personal_text({"measures": m})[["field", "row", "kind", "match"]].to_dict("records")
    [{'field': 'measures.title', 'row': 1, 'kind': 'name', 'match': 'Birgitta Holmström'}]
    """
    rows: list[dict[str, Any]] = []
    wanted = list(fields)
    unknown = [f for f in wanted if f not in FREE_TEXT_FIELDS]
    if unknown:
        raise InputError(f"Unknown free-text field(s) {unknown}; known are {list(FREE_TEXT_FIELDS)}.")
    for key in wanted:
        table, _ = key.split(".", 1)
        frame = tables.get(table)
        if frame is None or len(frame) == 0:
            continue
        col = next((c for c in FIELD_ALIASES[key] if c in frame.columns), None)
        if col is None:
            continue
        for pos, (ident, v) in enumerate(zip(frame.index, frame[col].tolist(), strict=True)):
            for text in _texts(v):
                for kind, match in _text_matches(text):
                    rows.append({"field": key, "row": pos + 1, "id": str(ident), "kind": kind,
                                 "match": match})
    return pd.DataFrame(rows, columns=list(TEXT_FINDING_COLUMNS))


def check_free_text(tables: Mapping[str, pd.DataFrame | None], *,
                    allow_personal_data: Iterable[str] = (), what: str = "exporten",
                    fields: Iterable[str] = tuple(FREE_TEXT_FIELDS)) -> pd.DataFrame:
    """Refuse (:class:`~lagesbild_geo.errors.PrivacyError`, in Swedish) when a free-text
    field that leaves the kommun holds personal data, unless the field is allowed.

    Parameters
    ----------
    tables
        As for :func:`find_personal_text`.
    allow_personal_data
        ``table.field`` keys (see :data:`FREE_TEXT_FIELDS`) the user has explicitly
        chosen to publish as they are, e.g. ``{"areas.name"}``.
    what
        What is being written, for the message (``"exporten"``, ``"rapporten"`` …).
    fields
        The ``table.field`` keys this output writes (default: all).

    Returns
    -------
    DataFrame
        The findings in allowed fields (published on the user's word).

    Examples
    --------
    >>> m = pd.DataFrame({"title": ["Ring 070-123 45 67"]}, index=["m1"])
    >>> check_free_text({"measures": m})
    Traceback (most recent call last):
    ...
    lagesbild_geo.errors.PrivacyError: Exporten stoppades: åtgärdens titel (measures.title) rad 1 (id m1) innehåller ett telefonnummer ('070-123 45 67'). ...
    >>> len(check_free_text({"measures": m}, allow_personal_data={"measures.title"}))
    1
    """
    allowed = set(allow_personal_data)
    unknown = sorted(allowed - set(FREE_TEXT_FIELDS))
    if unknown:
        raise InputError(f"allow_personal_data: unknown field(s) {unknown}; known are "
                         f"{list(FREE_TEXT_FIELDS)}.")
    found = find_personal_text(tables, fields=fields)
    blocked = found[~found["field"].isin(allowed)]
    if len(blocked):
        lines = []
        for rec in blocked.head(10).to_dict(orient="records"):
            f, kind = str(rec["field"]), str(rec["kind"])
            lines.append(f"{FREE_TEXT_FIELDS[f]} ({f}) rad {rec['row']} (id {rec['id']}) innehåller "
                         f"{_KIND_SV[kind]} ({str(rec['match'])!r})")
        more = f" och {len(blocked) - 10} till" if len(blocked) > 10 else ""
        names = sorted({str(f) for f in blocked["field"]})
        raise PrivacyError(
            f"{what.capitalize()} stoppades: " + "; ".join(lines) + more + ". "
            "Det ser ut som personuppgifter, som inte får lämna kommunen i en lägesbild. "
            "Ändra texten (t.ex. skriv en roll i stället för ett namn) och försök igen, eller, "
            "om uppgiften ska med, tillåt fältet uttryckligen: "
            f"allow_personal_data={{{', '.join(repr(f) for f in names)}}} "
            f"(kommandoraden: {' '.join('--allow-personal-data ' + f for f in names)}; "
            "appen: välj fältet under \"Tillåt personuppgifter\" på sidan Export)."
        )
    return found[found["field"].isin(allowed)].reset_index(drop=True)
