"""Privacy rules for everything that leaves the library: small-number
suppression and personal-data detection.

A file handed to another authority becomes an *allmän handling*, so the
export (:mod:`lagesbild_geo.export`) and the report (:mod:`lagesbild_geo.report`)
apply these rules by default:

* aggregates resting on fewer than ``min_count`` incidents (cells, districts,
  clusters) are suppressed: the value becomes missing and ``suppressed`` is true;
  when a single value in a row would be suppressed, the next smallest is
  suppressed too, so no suppressed value can be derived by subtraction from the
  row total (secondary suppression);
* survey values resting on fewer than ``min_respondents`` respondents are suppressed;
* columns that look like personal data (personnummer/samordningsnummer, person
  names, phone numbers, e-mail addresses) or free text are found by their header
  *and* by sampling their content (:func:`find_personal_data`) and never exported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import InputError
from .schema import fold

__all__ = [
    "FINDING_COLUMNS",
    "Privacy",
    "find_personal_data",
    "is_personnummer",
    "luhn_ok",
    "suppress_across_rows",
    "suppress_counts",
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


def _contains_valid_personnummer(text: str) -> bool:
    for m in _PNR_ANY.finditer(text):
        yy, mm, dd, _sep, tail = m.groups()
        if _date_ok(mm, dd) and luhn_ok(yy + mm + dd + tail):
            return True
    return False


# --------------------------------------------------------------- other patterns

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Swedish phone numbers: +46/0046/0 then 7–9 digits, spaces and dashes allowed.
_PHONE_FULL = re.compile(r"^\s*(?:\+46|0046|0)[\s\-]?\(?0?\)?[1-9](?:[\s\-]?\d){6,9}\s*$")
_PHONE_ANY = re.compile(r"(?<![\d\w])(?:\+46|0046|0)[\s\-]?[1-9](?:[\s\-]?\d){6,9}(?![\d])")

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
    phone_full = s.str.match(_PHONE_FULL)
    if phone_full.mean() >= 0.5 and s.str.match(r"^\s*(?:\+46|0046|0)").mean() >= 0.5:
        return "phone", f"{int(phone_full.sum())} of {n} sampled values are phone numbers"
    pnr_shape = s.map(lambda v: is_personnummer(v, check_luhn=False))
    if pnr_shape.mean() >= 0.5:
        return "personnummer", f"{int(pnr_shape.sum())} of {n} sampled values have the personnummer shape"
    pnr_in_text = s.map(_contains_valid_personnummer)
    if pnr_in_text.any() and (pnr_in_text.mean() >= 0.2 or s.str.contains(r"\d{6}[-+]\d{4}").any()):
        return "personnummer", f"{int(pnr_in_text.sum())} of {n} sampled values contain a valid personnummer"
    email = s.str.contains(_EMAIL)
    if email.any():
        return "email", f"{int(email.sum())} of {n} sampled values contain an e-mail address"
    phone_any = s.str.contains(_PHONE_ANY)
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
    return (s.map(_contains_valid_personnummer) | s.str.contains(_EMAIL)
            | s.str.contains(_PHONE_ANY)).astype(bool)


# ------------------------------------------------------------------ suppression

def suppress_counts(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    min_count: int,
    total: str | None = "count",
    secondary: bool = True,
    derived: Sequence[str] = (),
) -> pd.DataFrame:
    """Suppress counts below ``min_count`` (1 … min_count-1; zero stays zero).

    Values already missing stay missing. A ``suppressed`` column is true where
    the row's ``total`` is suppressed (or any listed count when there is no
    total); the ``derived`` columns (rates, shares, changes) are set missing
    in those rows. With ``secondary``, a row where exactly one category count
    is suppressed while the total is shown gets its next smallest non-zero
    category count suppressed too, so the hidden value cannot be recovered by
    subtracting the others from the total.

    Parameters
    ----------
    frame
        Table with count columns; not modified.
    columns
        Count columns to examine (the total included).
    min_count
        Smallest count that may be shown.
    total
        The total column (in ``columns``) or ``None``.
    secondary
        Apply secondary suppression among the non-total columns.
    derived
        Columns set missing where the row is suppressed.

    Returns
    -------
    DataFrame
        A copy with nullable ``Int64`` count columns and a boolean ``suppressed``.

    Examples
    --------
    >>> df = pd.DataFrame({"count": [10, 2], "count_a": [9, 1], "count_b": [1, 1]})
    >>> out = suppress_counts(df, ["count", "count_a", "count_b"], min_count=3)
    >>> out["count"].tolist(), out["suppressed"].tolist()
    ([10, <NA>], [False, True])
    >>> out["count_a"].tolist()  # 9 hidden too: 10 - 9 would reveal count_b
    [<NA>, <NA>]
    """
    out = frame.copy()
    cols = [c for c in columns if c in out.columns]
    previously = (out["suppressed"].fillna(False).astype(bool).to_numpy()
                  if "suppressed" in out.columns else np.zeros(len(out), dtype=bool))
    small: dict[str, np.ndarray] = {}
    for c in cols:
        v = pd.to_numeric(out[c], errors="coerce").round().astype("Int64")
        arr = v.to_numpy(dtype="float64", na_value=np.nan)
        is_small = (arr > 0) & (arr < min_count)
        small[c] = is_small
        out[c] = v.mask(is_small)
    cats = [c for c in cols if c != total]
    if secondary and cats:
        nums = np.column_stack([out[c].to_numpy(dtype="float64", na_value=np.nan) for c in cats])
        n_small = np.column_stack([small[c] for c in cats]).sum(axis=1)
        total_shown = (np.ones(len(out), dtype=bool) if total is None or total not in out.columns
                       else out[total].notna().to_numpy())
        need = (n_small == 1) & total_shown
        if need.any():
            masked = np.where((nums > 0) & np.isfinite(nums), nums, np.inf)
            pick = np.argmin(masked, axis=1)
            rows = np.flatnonzero(need & np.isfinite(masked.min(axis=1)))
            for j, c in enumerate(cats):
                hit = rows[pick[rows] == j]
                if hit.size:
                    col = out[c].copy()
                    col.iloc[hit] = pd.NA
                    out[c] = col
    if total is not None and total in small:
        row_suppressed = small[total] | previously
    elif small:
        row_suppressed = np.column_stack(list(small.values())).any(axis=1) | previously
    else:
        row_suppressed = previously
    out["suppressed"] = row_suppressed.astype(bool)
    for c in derived:
        if c in out.columns:
            out[c] = out[c].mask(out["suppressed"].to_numpy())
    return out


def suppress_across_rows(frame: pd.DataFrame, column: str = "count") -> pd.DataFrame:
    """Secondary suppression down a column whose sum is published elsewhere.

    When exactly one row's ``column`` is missing (suppressed) while its sum
    over all rows is known (a kommun total), the next smallest shown value is
    suppressed too, and its row flagged ``suppressed``; otherwise the hidden
    value would be the total minus the others.

    Examples
    --------
    >>> df = pd.DataFrame({"count": pd.array([10, None, 4, 7], dtype="Int64"),
    ...                    "suppressed": [False, True, False, False]})
    >>> suppress_across_rows(df)["count"].tolist()
    [10, <NA>, <NA>, 7]
    """
    out = frame.copy()
    if column not in out.columns:
        return out
    v = out[column]
    supp = out["suppressed"].fillna(False).astype(bool) if "suppressed" in out.columns else v.isna()
    hidden = v.isna() & supp
    if int(hidden.sum()) != 1:
        return out
    shown = pd.to_numeric(v, errors="coerce").where(~hidden & (v > 0))
    if shown.notna().any():
        pos = int(np.nanargmin(shown.to_numpy(dtype="float64", na_value=np.nan)))
        col = out[column].copy()
        col.iloc[pos] = pd.NA
        out[column] = col
        if "suppressed" in out.columns:
            flags = out["suppressed"].astype(bool).copy()
            flags.iloc[pos] = True
            out["suppressed"] = flags
    return out


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
