"""Column recognition: Swedish and English column names, case- and åäö-insensitive.

The alias tables map a *role* (``"date"``, ``"x"``, ``"address"`` ...) to the
column names that usually carry it, in **tiers**: a column matching an alias of
an earlier tier wins over one matching a later tier; two columns matching the
same tier are ambiguous and raise :class:`~lagesbild_geo.errors.SchemaError`
listing the candidates (pass ``columns=`` to choose).

Matching is done on :func:`lagesbild_geo.schema.fold`-ed names, first exactly
("Brottsdatum" = "brottsdatum" = "BROTTSDATUM"), then, when no column matches
exactly, by whole words ("X-koordinat" has the word "x", "Brottsdatum (från)"
has the word "brottsdatum").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence

from .errors import SchemaError
from .schema import fold

#: ``fold`` of column names, cached: every role looks at every column (a file with
#: thousands of columns would otherwise fold each name once per role).
_fold_name = functools.lru_cache(maxsize=65_536)(fold)

__all__ = ["COUNT_HINTS", "INCIDENT_ALIASES", "find_column", "find_columns", "normalise_aliases"]

#: Role → alias tiers for incident tables. Folded forms are compared, so
#: "Händelsedatum", "handelsedatum" and "HÄNDELSEDATUM" are the same alias.
INCIDENT_ALIASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "id": (
        ("id", "diarienummer", "diarienr", "diarie nr", "arendenummer", "arendenr", "arende nr",
         "arende", "arende id", "incident id", "incident_id", "handelse id", "handelsenummer",
         "anmalan id", "anmalningsnummer", "ks nummer", "k nummer", "kr nummer", "event id"),
    ),
    "datetime": (
        ("datetime", "tidpunkt", "datum och tid", "datum tid", "datumtid", "brottstidpunkt",
         "handelsetidpunkt", "handelsetid", "timestamp", "occurred at", "occurred_at",
         "date time", "starttid", "brottstid fran", "tid fran datum", "brottstidpunkt fr o m"),
    ),
    "date": (
        ("datum", "brottsdatum", "handelsedatum", "date", "brottsdatum fran", "datum fran",
         "handelse datum", "brott datum", "incident date", "fran datum", "startdatum",
         # the police's "Brottsdatum fr.o.m." (from) beside "t.o.m." (to): the first day
         "brottsdatum fr o m", "brottsdatum from", "datum fr o m", "brottsdatum fran och med"),
        ("anmalningsdatum", "registreringsdatum", "rapportdatum", "inkom", "inkommen"),
        ("manad", "month", "brottsmanad", "ar manad", "manad ar"),  # an aggregated table per month
    ),
    "time": (
        ("tid", "klockslag", "kl", "klocka", "time", "brottstid", "handelsetid klockslag",
         "tid fran", "klockslag fran", "starttid klockslag", "brottstid fr o m", "klockslag fr o m",
         "tid fr o m", "brottstid from"),
    ),
    "category": (
        ("brottstyp", "kategori", "typ", "type", "category", "handelsetyp", "brottsrubrik",
         "brott", "brottsbenamning", "arendetyp", "handelse", "incident type", "rubrik",
         "brottsrubricering", "rubricering", "brottsslag"),
        ("brottskod", "kod", "brottskategori", "huvudkategori", "underkategori"),
    ),
    "x": (("x", "x koordinat", "koordinat x", "x koord", "x sweref", "x sweref99", "x rt90", "x sweref 99",
           "sweref x", "sweref99 x", "sweref 99 x", "sweref99tm x", "rt90 x", "rt 90 x", "x rt 90"),),
    "y": (("y", "y koordinat", "koordinat y", "y koord", "y sweref", "y sweref99", "y rt90", "y sweref 99",
           "sweref y", "sweref99 y", "sweref 99 y", "sweref99tm y", "rt90 y", "rt 90 y", "y rt 90"),),
    # "SWEREF99 N", "N (SWEREF 99 TM)", "Nkoord": the CRS's name beside the axis letter
    "northing": (("nord", "n", "northing", "nordkoordinat", "north", "n koordinat", "sweref n",
                  "sweref99 n", "sweref 99 n", "sweref99tm n", "sweref 99 tm n", "n sweref", "n sweref99",
                  "n sweref 99", "nkoord", "n koord", "nordkoord", "nord koord", "koordinat n", "koordinat nord"),),
    "easting": (("ost", "e", "o", "easting", "ostkoordinat", "east", "e koordinat",
                 "sweref e", "ost koordinat", "sweref99 e", "sweref 99 e", "sweref99tm e", "sweref 99 tm e",
                 "e sweref", "e sweref99", "e sweref 99", "ekoord", "e koord", "okoord", "o koord", "ostkoord",
                 "ost koord", "sweref o", "sweref99 o", "sweref 99 o", "koordinat e", "koordinat o",
                 "koordinat ost"),),
    "lat": (("lat", "latitud", "latitude", "breddgrad", "wgs84 lat", "lat wgs84"),),
    "lon": (("lon", "long", "lng", "longitud", "longitude", "langdgrad", "wgs84 lon",
             "lon wgs84", "long wgs84"),),
    "address": (
        ("adress", "gatuadress", "address", "street address", "brottsplats adress",
         "handelseadress", "plats adress", "besoksadress", "adress brottsplats"),
        ("gata", "gatunamn", "street"),
    ),
    "place": (
        ("plats", "platsnamn", "place", "place name", "brottsplats", "handelseplats", "lokal",
         "omrade", "stadsdel", "location", "location name", "plats namn"),
        ("garningsort", "garningsplats", "brottsort"),
        # a district named by its code or name (placed in it when districts are given)
        ("deso", "deso kod", "desokod", "regso", "regso kod", "regsokod", "distrikt", "distriktskod",
         "basomrade", "delomrade", "nyko", "district", "district code", "district name",
         # "Områdeskod", "Basområdeskod": as kommuner title them
         "omradeskod", "omrades kod", "stadsdelskod", "basomradeskod", "delomradeskod"),
        # a district's name beside its code ("Områdesnamn" next to "Områdeskod"): the code wins
        ("omradesnamn", "omrades namn", "stadsdelsomrade", "stadsdelsnamn", "basomradesnamn",
         "delomradesnamn", "regsonamn", "regso namn", "desonamn", "deso namn", "distriktsnamn"),
    ),
    # the number of an address whose street is a column of its own ("Gatunamn" + "Gatunummer"):
    # joined to the street for geocoding; never the bare "Nummer"/"Nr" ("Ärende nummer" is an id)
    "house_number": (("gatunummer", "husnummer", "gatunr", "husnr", "adressnummer", "adressnr",
                      "gatu nr", "hus nr", "gatu nummer", "hus nummer", "street number", "house number"),),
    "postcode": (("postnummer", "postnr", "post nr", "postcode", "zip", "zipcode"),),
    "town": (("postort", "ort", "town", "city", "stad"),),
    "gps": (("gps", "location gps", "koordinater", "position", "latlon", "lat lon"),),
    # incidents per row in an aggregated table: only when named (columns={"count": "Antal"});
    # "Antal gärningspersoner" must never multiply rows by itself
    "count": (),
}

#: Column names (folded) that usually hold a number of incidents per row: a note
#: suggests ``--column count=NAME`` when such a column holds whole numbers above 1.
COUNT_HINTS = frozenset({"antal", "antal brott", "antal anmalningar", "antal anmalda brott",
                         "antal handelser", "antal fall", "count", "antal anmalda", "anmalda brott"})


def normalise_aliases(aliases: Sequence[str] | Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Turn aliases into folded tiers.

    A flat sequence of strings is one tier; a sequence of sequences is several
    tiers in priority order.

    Examples
    --------
    >>> normalise_aliases(["Datum", "Brottsdatum"])
    (('datum', 'brottsdatum'),)
    >>> normalise_aliases([["Brottstyp"], ["Brottskod"]])
    (('brottstyp',), ('brottskod',))
    """
    items = list(aliases)
    if all(isinstance(a, str) for a in items):
        return (tuple(dict.fromkeys(fold(a) for a in items if fold(a))),)
    tiers: list[tuple[str, ...]] = []
    for tier in items:
        names = [tier] if isinstance(tier, str) else list(tier)
        tiers.append(tuple(dict.fromkeys(fold(a) for a in names if fold(a))))
    return tuple(tiers)


def _contains_words(column: str, alias: str) -> bool:
    c, a = column.split(" "), alias.split(" ")
    n = len(a)
    return any(c[i:i + n] == a for i in range(len(c) - n + 1))


def find_column(
    columns: Iterable[object],
    aliases: Sequence[str] | Sequence[Sequence[str]],
    *,
    role: str,
    required: bool = False,
    exclude: Iterable[object] = (),
) -> str | None:
    """Find the one column that plays ``role``, by its name.

    Parameters
    ----------
    columns
        The table's column names.
    aliases
        Names that carry the role: a flat list (one tier) or a list of tiers in
        priority order (see the module docstring). Matching is case-,
        accent- and punctuation-insensitive (:func:`lagesbild_geo.schema.fold`).
    role
        What the column means, used in error messages (e.g. ``"date"``).
    required
        Raise :class:`~lagesbild_geo.errors.SchemaError` when no column matches.
    exclude
        Columns already taken by another role; never returned.

    Returns
    -------
    str or None
        The matching column name as it is spelled in ``columns``, or None.

    Raises
    ------
    SchemaError
        Two or more columns match equally well (the message lists them and
        says how to choose), or none matches and ``required`` is true.

    Examples
    --------
    >>> find_column(["Ärendenummer", "DATUM", "Tid"], ["datum", "brottsdatum"], role="date")
    'DATUM'
    >>> find_column(["Brottskod", "Brottstyp"], INCIDENT_ALIASES["category"], role="category")
    'Brottstyp'
    """
    cols = [c for c in columns]
    excluded = {str(e) for e in exclude}
    folded = [(str(c), _fold_name(str(c))) for c in cols if str(c) not in excluded]
    words = [frozenset(f.split()) for _, f in folded]
    tiers = normalise_aliases(aliases)
    for exact in (True, False):
        for tier in tiers:
            hits: list[str] = []
            usable = [(a, frozenset(a.split())) for a in tier if len(a) > 1 or a in "xy"]
            for (name, f), w in zip(folded, words, strict=True):
                if not f:
                    continue
                if exact:
                    ok = f in tier
                else:
                    ok = any(aw <= w and _contains_words(f, a) for a, aw in usable)
                if ok and name not in hits:
                    hits.append(name)
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise SchemaError(
                    f"Several columns could be the {role} column: {hits}. "
                    f"Choose one with columns={{'{role}': '<column name>'}}."
                )
    if required:
        shown = [str(c) for c in cols]
        raise SchemaError(
            f"No {role} column found among {shown}; expected a name like "
            f"{', '.join(repr(a) for a in tiers[0][:6]) if tiers else '(none)'}. "
            f"Name it with columns={{'{role}': '<column name>'}}."
        )
    return None


def find_columns(
    columns: Iterable[object],
    *,
    aliases: Mapping[str, Sequence[str] | Sequence[Sequence[str]]] | None = None,
    overrides: Mapping[str, str] | None = None,
    roles: Iterable[str] | None = None,
) -> dict[str, str]:
    """Find the columns of several roles at once (role → column name).

    ``overrides`` (role → column name, e.g. the ``columns=`` argument of
    :func:`lagesbild_geo.read.read_incidents`) win; a column named in an
    override must exist. A column is given to at most one role, in the order of
    ``roles`` (default: the order of ``aliases``).

    Examples
    --------
    >>> find_columns(["Datum", "Tid", "X", "Y"], roles=["date", "time", "x", "y"])
    {'date': 'Datum', 'time': 'Tid', 'x': 'X', 'y': 'Y'}
    """
    table = dict(INCIDENT_ALIASES if aliases is None else aliases)
    cols = [str(c) for c in columns]
    found: dict[str, str] = {}
    for role, name in (overrides or {}).items():
        if name is None:
            continue
        if name not in cols:
            match = [c for c in cols if fold(c) == fold(name)]
            if len(match) != 1:
                raise SchemaError(
                    f"columns={{'{role}': '{name}'}} names a column that does not exist; "
                    f"the columns are {cols}."
                )
            name = match[0]
        found[role] = name
    for role in roles if roles is not None else table:
        if role in found or role not in table:
            continue
        hit = find_column(cols, table[role], role=role, exclude=found.values())
        if hit is not None:
            found[role] = hit
    return found
