"""Offline geocoding: placing rows that carry an address or a place name.

A :class:`Gazetteer` holds the kommun's own address points (e.g. Lantmäteriet's
belägenhetsadresser export) and named places, read from any file the
:mod:`lagesbild_geo.read` readers understand, in any CRS :mod:`lagesbild_geo.crs`
recognises. :func:`geocode` places the pending rows of an incident table against
it, tier by tier, and never sends anything to an outside service.

Tiers (``geocode_match``), tried in this order:

========================  =============  ==============================================
``geocode_match``         precision      what it means
========================  =============  ==============================================
``exact``                 address        street + house number (+ letter) in the register
``interpolated``          address        number missing: placed between its neighbours on
                                         the same street (same side preferred), only
                                         when they are at most ``max_gap_m`` apart
``street``                place          street only (no number, or number out of
                                         range): the street's medoid address point
``intersection``          place          two streets that meet ("Storgatan/Kyrkgatan")
``place``                 place          a named place (``typ=plats``)
``district``              area           a district name or code (``districts=``):
                                         a point inside the district
``online``                address/place  an online geocoder (off by default)
========================  =============  ==============================================

Street and place names that are not in the register are matched with
:mod:`rapidfuzz` (``geocode_fuzzy`` is True then); a candidate scoring under
``min_score`` is refused, because a wrong position is worse than none. A street
present in several postorter with no postcode or town in the text is placed only
when the house number exists in just one of them; otherwise the row is refused
as ambiguous. Refused rows go to the rejected table with reason
``"address not found"`` and the best refused candidate in ``geocode_candidate``.

Names are compared as place names are (:mod:`lagesbild_geo.names`): case,
spacing, hyphens and punctuation folded, **å, ä and ö kept**. "Vastra Ringvagen"
(the letters stripped) is not matched to "Västra Ringvägen": a candidate that is
close only when å, ä and ö are ignored is refused and offered in
``geocode_candidate`` (fix the source, or map it), never applied. An ASCII
transliteration ("Vaestra", ae = ä) is read as the letter.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from . import crs as _crs
from ._address import (
    ParsedAddress,
    compact,
    fold_words,
    parse_address,
    split_suffix,
    street_alternatives,
)
from ._columns import INCIDENT_ALIASES, find_columns
from ._geometry import inside_boundary
from ._nominatim import NominatimGeocoder, OnlineResult
from .errors import GeocodeError, InputError, SchemaError
from .grid import points_to_cells
from .names import loose_key, name_key, with_leading_zero
from .read.result import REASONS, ReadResult, with_counts
from .read.tables import read_table
from .read.values import parse_numbers
from .schema import INCIDENT_COLUMNS
from .settings import Settings

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "GAZETTEER_ALIASES",
    "TIERS",
    "Gazetteer",
    "GeocodeResult",
    "NominatimGeocoder",
    "OnlineResult",
    "geocode",
    "geocode_note_kind_sv",
    "geocode_note_sv",
    "place_pending",
]

#: Tier names in ``geocode_match`` → precision of the placed row.
TIERS: dict[str, str] = {
    "exact": "address",
    "interpolated": "address",
    "street": "place",
    "place": "place",
    "district": "area",
    "intersection": "place",
    "online": "place",
}
_ALLOWED = ("address", "street", "place", "area", "online")

#: A fuzzy street match also needs its distinctive part (the name without "gatan",
#: "vägen" ...) to score this much: "Borggatan" is not "Torggatan".
_MIN_STEM_SCORE = 80.0

REASON = "address not found"
REASON_SV = "adressen hittades inte"

#: Column roles of a gazetteer file → alias tiers (folded names; see ``_columns``).
GAZETTEER_ALIASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "kind": (("typ", "type", "kind", "objekttyp"),),
    "street": (("gatunamn", "gata", "street", "adressomrade", "adressomradesnamn", "vagnamn",
                "street name"),
               ("gatuadress", "adress", "address", "belagenhetsadress", "adressplats")),
    "number": (("husnummer", "nummer", "nr", "adressplatsnummer", "number", "housenumber",
                "house number", "gatunummer"),),
    "letter": (("bokstav", "bokstavstillagg", "letter", "husbokstav"),),
    "postcode": (("postnummer", "postnr", "post nr", "postcode", "zip", "zipcode"),),
    "town": (("postort", "ort", "town", "city", "kommundel"), ("kommun", "municipality")),
    "name": (("platsnamn", "namn", "name", "place", "plats", "place name", "ortnamn", "locality",
              "tatort", "lokalitet"),),
    "northing": (("nord", "n", "northing", "nordkoordinat", "north"),),
    "easting": (("ost", "e", "easting", "ostkoordinat", "east"),),
    "x": (("x", "x koordinat"),),
    "y": (("y", "y koordinat"),),
    "lat": (("lat", "latitud", "latitude"),),
    "lon": (("lon", "long", "lng", "longitud", "longitude"),),
}

_ADDRESS_KINDS = {"adress", "address", "adressplats", "belagenhetsadress", "a"}
_PLACE_KINDS = {"plats", "place", "platsnamn", "namn", "ortnamn", "poi", "p"}


# --------------------------------------------------------------------------- gazetteer
class Gazetteer:
    """Address points and named places to geocode against (read-only once built).

    Build one with :meth:`from_file` or :meth:`from_frame`. Attributes are
    DataFrames with documented columns:

    ``addresses``
        ``street``, ``number`` (int), ``letter``, ``postcode``, ``postort``,
        ``easting``, ``northing`` (SWEREF 99 TM), ``lat``, ``lon``, ``street_key``,
        ``postort_key``, ``street_id``.
    ``streets``
        One row per street and postort (index ``street_id``): ``street``,
        ``postort``, ``street_key``, ``postort_key``, ``n_addresses``, and the
        medoid address point (``easting``, ``northing``) used for street-only matches.
    ``places``
        ``name``, ``postort``, ``easting``, ``northing``, ``lat``, ``lon``,
        ``name_key``, ``postort_key``.

    Examples
    --------
    >>> g = Gazetteer.from_frame(pd.DataFrame({
    ...     "gatunamn": ["Storgatan", "Storgatan"], "husnummer": [1, 3],
    ...     "postort": ["Exempelstad"] * 2,
    ...     "nord": [6_580_000.0, 6_580_020.0], "ost": [660_000.0, 660_000.0]}))
    >>> len(g.addresses), len(g.streets), g.crs
    (2, 1, 'EPSG:3006')
    """

    def __init__(
        self,
        addresses: pd.DataFrame,
        places: pd.DataFrame,
        *,
        source: str = "",
        crs: str = _crs.SWEREF99TM,
        note: str = "",
        districts: pd.DataFrame | None = None,
    ) -> None:
        self._addresses = addresses
        self._places = places
        self._districts = districts
        self.source = source
        self.crs = crs
        self.note = note
        self._build_indexes()

    # -- public read-only views
    @property
    def addresses(self) -> pd.DataFrame:
        """Address points (a copy: the gazetteer never changes)."""
        return self._addresses.copy()

    @property
    def places(self) -> pd.DataFrame:
        """Named places (a copy)."""
        return self._places.copy()

    @property
    def streets(self) -> pd.DataFrame:
        """One row per street and postort with its medoid point (a copy)."""
        return self._streets.copy()

    @property
    def postorter(self) -> list[str]:
        """The postorter the register covers."""
        return sorted((set(self._streets["postort"]) | set(self._places["postort"])) - {""})

    def __repr__(self) -> str:
        towns = self.postorter
        shown = ", ".join(towns[:4]) + (f" and {len(towns) - 4} more" if len(towns) > 4 else "")
        return (f"Gazetteer({len(self._addresses)} addresses on {len(self._streets)} streets, "
                f"{len(self._places)} places, postorter: {shown or 'none'}, source={self.source!r})")

    def __len__(self) -> int:
        return len(self._addresses) + len(self._places)

    @property
    def districts(self) -> pd.DataFrame | None:
        """District names and codes with a point inside each (None when not attached)."""
        return None if self._districts is None else self._districts.copy()

    def with_districts(self, districts: gpd.GeoDataFrame) -> Gazetteer:
        """A copy of this gazetteer that also places district names (``precision="area"``).

        Useful where :func:`geocode` is called for you, e.g.
        :func:`place_pending` (``place_pending(read_incidents(f), gaz.with_districts(d))``).

        Parameters
        ----------
        districts
            District polygons with a name and a code column (``district_name`` and
            ``district_code`` as :func:`lagesbild_geo.districts.read_districts`
            returns them, or ``namn``/``name`` and ``deso``/``kod``/``code``).

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> d = gpd.GeoDataFrame({"district_name": ["Centrum"], "district_code": ["9999C1010"]},
        ...                      geometry=[box(17.0, 59.3, 17.1, 59.4)], crs=4326)
        >>> g = Gazetteer.from_frame(pd.DataFrame({"platsnamn": ["Torget"], "lat": [59.35],
        ...                                        "lon": [17.05]})).with_districts(d)
        >>> g.districts["name"].tolist()
        ['Centrum']
        """
        return Gazetteer(self._addresses.drop(columns="street_id"), self._places,
                         source=self.source, crs=self.crs, note=self.note,
                         districts=_district_points(districts))

    @classmethod
    def of_districts(cls, districts: gpd.GeoDataFrame) -> Gazetteer:
        """A gazetteer of district names and codes only (no addresses, no places).

        For rows that name their district instead of giving a position (an "Område"
        or "DeSO" column holding "Centrum" or "0380C1010") when no address register
        is at hand: :func:`place_pending` with ``unmatched="pending"`` then places
        the rows that name a district (``precision="area"``) and leaves the others
        pending. Names are compared as by :meth:`with_districts` (å, ä and ö are
        letters).

        Parameters
        ----------
        districts
            District polygons (see :meth:`with_districts`).

        Examples
        --------
        >>> from lagesbild_geo.districts import read_districts
        >>> g = Gazetteer.of_districts(read_districts("sample_data/districts.geojson"))
        >>> len(g), g.districts["name"].iloc[0]
        (0, 'Hagby')
        """
        def text() -> pd.Series:
            return pd.Series([], dtype="string")

        def num() -> pd.Series:
            return pd.Series([], dtype="float64")

        addresses = pd.DataFrame({"street": text(), "number": pd.Series([], dtype="int64"), "letter": text(),
                                  "postcode": text(), "postort": text(), "easting": num(), "northing": num(),
                                  "lat": num(), "lon": num(), "street_key": text(), "postort_key": text()})
        places = pd.DataFrame({"name": text(), "postort": text(), "easting": num(), "northing": num(),
                               "lat": num(), "lon": num(), "name_key": text(), "postort_key": text()})
        return cls(addresses, places, source="the district layer", districts=_district_points(districts))

    # -- construction
    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        settings: Settings | None = None,
        columns: Mapping[str, str] | None = None,
        layer: str | None = None,
        sheet: str | int | None = None,
        crs: object | None = None,
    ) -> Gazetteer:
        """Read a gazetteer from CSV, Excel, GeoJSON, GeoPackage, Shapefile or Parquet.

        Columns are recognised by name (Swedish or English, see
        :data:`GAZETTEER_ALIASES`): street (Gatunamn/Gatuadress/Adress), house
        number (Husnummer/Nummer), letter (Bokstav), Postnummer, Postort, place
        name (Platsnamn/Namn), an optional kind (Typ: ``adress``/``plats``), and
        coordinates (Nord/Ost, X/Y, lat/lon or a point geometry) in any CRS
        :func:`lagesbild_geo.crs.detect_crs` recognises.

        Parameters
        ----------
        path
            The file.
        settings
            Unused today; accepted for symmetry with the readers.
        columns
            Role → column name, for columns whose names are not recognised
            (roles: ``kind street number letter postcode town name northing
            easting x y lat lon``).
        layer, sheet
            Layer of a GeoPackage, sheet of a workbook.
        crs
            CRS of the coordinates when the values cannot tell (a SWEREF 99 local zone).

        Examples
        --------
        >>> g = Gazetteer.from_file("sample_data/gazetteer.csv")
        >>> len(g.addresses) > 0, len(g.places) > 0
        (True, True)
        """
        p = Path(path)
        if not p.exists():
            raise InputError(f"Gazetteer file {p} does not exist; give the path of the "
                             "address register (CSV, Excel, GeoJSON or GeoPackage).")
        frame = _read_any(p, layer=layer, sheet=sheet)
        return cls.from_frame(frame, columns=columns, crs=crs, source=p.name, settings=settings)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        crs: object | None = None,
        source: str = "",
        settings: Settings | None = None,
    ) -> Gazetteer:
        """Build a gazetteer from a DataFrame (or a GeoDataFrame of points).

        See :meth:`from_file` for the columns recognised. The frame is not changed.

        Examples
        --------
        >>> g = Gazetteer.from_frame(pd.DataFrame({
        ...     "typ": ["plats"], "platsnamn": ["Resecentrum"],
        ...     "lat": [59.35], "lon": [17.1]}))
        >>> g.places["name"].tolist()
        ['Resecentrum']
        """
        del settings
        if len(df) == 0:
            raise GeocodeError(f"Gazetteer {source or 'table'} is empty; it needs address points "
                               "or place names with coordinates.")
        cols = _gazetteer_columns(df, columns, crs=crs, source=source)
        e, n, used_crs, note = _coordinates(df, cols, crs=crs, source=source)
        lon, lat = _crs.to_wgs84(e, n, _crs.SWEREF99TM)
        n_rows = len(df)

        def col(role: str) -> pd.Series:
            if role in cols:
                return df[cols[role]].astype("string").fillna("").str.strip().reset_index(drop=True)
            return pd.Series([""] * n_rows, dtype="string")

        kind = _map_unique(col("kind"), compact)
        street = col("street")
        name = col("name")
        num_raw = col("number")
        letter = col("letter").str.lower()
        postcode = col("postcode").str.replace(r"\D", "", regex=True)
        town = col("town")

        # A full address in one column ("Storgatan 12 B") when there is no number column.
        number = pd.to_numeric(num_raw.str.extract(r"(\d+)", expand=False), errors="coerce")
        num_letter = num_raw.str.extract(r"\d+\s*([A-Za-z])\b", expand=False).fillna("").str.lower()
        letter = letter.where(letter != "", num_letter)
        if "number" not in cols and "street" in cols:
            parsed = [parse_address(s) for s in street.tolist()]
            number = pd.Series([float(p.number) if p.number else np.nan for p in parsed])
            letter = pd.Series([p.letter for p in parsed], dtype="string")
            street = pd.Series([_title_of(s, p) for s, p in zip(street, parsed, strict=True)],
                               dtype="string")
            postcode = postcode.where(postcode != "", pd.Series([p.postcode for p in parsed]))

        ok = np.isfinite(e) & np.isfinite(n)
        kind_np = kind.to_numpy(dtype=object)
        is_addr_kind = np.isin(kind_np, list(_ADDRESS_KINDS))
        is_place_kind = np.isin(kind_np, list(_PLACE_KINDS))
        has_kind = is_addr_kind | is_place_kind
        has_street = (street != "").to_numpy()
        has_number = number.notna().to_numpy()
        has_name = (name != "").to_numpy()
        addr_mask = ok & has_street & has_number & (is_addr_kind | ~has_kind)
        place_mask = ok & has_name & (is_place_kind | (~has_kind & ~(has_street & has_number)))
        if not addr_mask.any() and not place_mask.any():
            raise GeocodeError(
                f"Gazetteer {source or 'table'} has no usable rows: expected a street "
                f"(Gatunamn) with a house number (Husnummer) or a place name (Platsnamn), and "
                f"coordinates; found columns {list(map(str, df.columns))} ({dict(cols)} recognised). "
                "Name the columns with columns={'street': ..., 'number': ..., 'northing': ...}."
            )
        town_display = _map_unique(town, _title_town)
        addresses = pd.DataFrame({
            "street": street[addr_mask].to_numpy(),
            "number": number[addr_mask].astype("int64").to_numpy(),
            "letter": letter[addr_mask].fillna("").to_numpy(),
            "postcode": postcode[addr_mask].to_numpy(),
            "postort": town_display[addr_mask].to_numpy(),
            "easting": e[addr_mask], "northing": n[addr_mask],
            "lat": lat[addr_mask], "lon": lon[addr_mask],
        })
        addresses["street_key"] = _map_unique(addresses["street"], _street_key)
        addresses["postort_key"] = _map_unique(addresses["postort"], compact)
        places = pd.DataFrame({
            "name": name[place_mask].to_numpy(),
            "postort": town_display[place_mask].to_numpy(),
            "easting": e[place_mask], "northing": n[place_mask],
            "lat": lat[place_mask], "lon": lon[place_mask],
        })
        places["name_key"] = _map_unique(places["name"], lambda s: compact(parse_address(s).street))
        places["postort_key"] = _map_unique(places["postort"], compact)
        for frame in (addresses, places):
            for c in frame.columns:
                if frame[c].dtype == object:
                    frame[c] = frame[c].astype("string")
        return cls(addresses, places, source=source, crs=used_crs, note=note)

    # -- indexes
    def _build_indexes(self) -> None:
        a = self._addresses
        grp = a.groupby(["street_key", "postort_key"], sort=True, dropna=False)
        sid = grp.ngroup().to_numpy()
        a = a.assign(street_id=sid)
        self._addresses = a
        first = grp.first()
        streets = pd.DataFrame({
            "street": first["street"].to_numpy(),
            "postort": first["postort"].to_numpy(),
            "street_key": first.index.get_level_values(0).to_numpy(),
            "postort_key": first.index.get_level_values(1).to_numpy(),
            "n_addresses": grp.size().to_numpy(),
        })
        # Medoid: the address point closest to the street's mean point (it lies on the street).
        e = a["easting"].to_numpy()
        n = a["northing"].to_numpy()
        me = np.bincount(sid, weights=e, minlength=len(streets)) / np.maximum(streets["n_addresses"].to_numpy(), 1)
        mn = np.bincount(sid, weights=n, minlength=len(streets)) / np.maximum(streets["n_addresses"].to_numpy(), 1)
        d2 = (e - me[sid]) ** 2 + (n - mn[sid]) ** 2
        order = np.lexsort((d2, sid))
        first_of = order[np.r_[True, sid[order][1:] != sid[order][:-1]]] if len(order) else order
        streets["easting"] = e[first_of] if len(first_of) else np.array([], dtype=float)
        streets["northing"] = n[first_of] if len(first_of) else np.array([], dtype=float)
        streets.index.name = "street_id"
        self._streets = streets

        self._street_index: dict[str, list[int]] = {}
        for i, k in enumerate(streets["street_key"].tolist()):
            self._street_index.setdefault(k, []).append(i)
        self._street_postort = streets["postort_key"].tolist()
        # Exact lookups: (street_id, number, letter) and (street_id, number) → row.
        nums = a["number"].to_numpy()
        lets = a["letter"].astype(str).to_numpy()
        # Rows without a letter first so (sid, number) points at the plain number.
        o = np.lexsort((lets != "", nums, sid))
        self._exact: dict[tuple[int, int, str], int] = {}
        self._number: dict[tuple[int, int], int] = {}
        for r, s_, nu, le in zip(o.tolist(), sid[o].tolist(), nums[o].tolist(), lets[o].tolist(),
                                 strict=True):
            self._exact.setdefault((s_, nu, le), r)
            self._number.setdefault((s_, nu), r)
        # Per street: sorted distinct numbers with one point each (for interpolation).
        self._numbers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if len(a):
            plain = pd.DataFrame({"sid": sid, "num": nums, "e": e, "n": n}).groupby(
                ["sid", "num"], sort=True).first().reset_index()
            ps, pn = plain["sid"].to_numpy(), plain["num"].to_numpy()
            pe, pnn = plain["e"].to_numpy(), plain["n"].to_numpy()
            starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
            ends = np.r_[starts[1:], len(ps)]
            for st, en in zip(starts.tolist(), ends.tolist(), strict=True):
                self._numbers[int(ps[st])] = (pn[st:en], pe[st:en], pnn[st:en])
        self._postort_keys = {k for k in streets["postort_key"].tolist() if k} | {
            k for k in self._places["postort_key"].tolist() if k}
        pc = a.loc[a["postcode"] != "", ["postcode", "postort_key"]].drop_duplicates()
        self._postcode: dict[str, set[str]] = {}
        for p_, t_ in zip(pc["postcode"].tolist(), pc["postort_key"].tolist(), strict=True):
            self._postcode.setdefault(p_, set()).add(t_)
        self._postcode_prefixes = {p[:3] for p in self._postcode}
        self._street_keys = list(self._street_index)
        self._street_keys_by_town: dict[str, list[str]] = {}
        for k, t in zip(streets["street_key"].tolist(), self._street_postort, strict=True):
            self._street_keys_by_town.setdefault(t, []).append(k)
        self._stems = {k: split_suffix(k) for k in self._street_keys}
        self._place_index: dict[str, list[int]] = {}
        for i, k in enumerate(self._places["name_key"].tolist()):
            if k:
                self._place_index.setdefault(k, []).append(i)
        self._place_keys = list(self._place_index)


def _map_unique(values: pd.Series, fn: Callable[[Any], str]) -> pd.Series:
    """``values.map(fn)`` calling ``fn`` once per distinct value."""
    codes, uniques = pd.factorize(values.astype("string").fillna(""), sort=False)
    mapped = np.asarray([fn(u) for u in np.asarray(uniques, dtype=object)] + [""], dtype=object)
    return pd.Series(mapped[np.where(codes < 0, len(uniques), codes)], index=values.index,
                     dtype="string")


def _street_key(street: object) -> str:
    alts = street_alternatives(parse_address(street).street)
    return alts[0] if alts else compact(street)


def _title_of(raw: str, p: ParsedAddress) -> str:
    """The street part of a full address as written ("Storgatan" of "Storgatan 12 B")."""
    m = re.match(r"\s*([^\d,]*[^\d\s,])", raw)
    return m.group(1).strip() if m else p.street


def _title_town(town: object) -> str:
    s = str(town).strip()
    return s.title() if s.isupper() or s.islower() else s


def _read_any(path: Path, *, layer: str | None, sheet: str | int | None) -> pd.DataFrame:
    """Read a table through :func:`lagesbild_geo.read.read_table` (one sniffer for the library)."""
    hint = [a for tiers in GAZETTEER_ALIASES.values() for tier in tiers for a in tier if len(a) > 2]
    frame, _info = read_table(path, sheet=sheet, layer=layer, columns_hint=hint)
    return frame


def _numeric(s: pd.Series) -> np.ndarray:
    return parse_numbers(s)


def _coordinates(
    df: pd.DataFrame, cols: Mapping[str, str], *, crs: object | None, source: str
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """(easting, northing) in SWEREF 99 TM, the source CRS and a note."""
    pairs = (("northing", "easting"), ("x", "y"), ("lat", "lon"))
    for first, second in pairs:
        if first in cols and second in cols:
            a = _numeric(df[cols[first]])
            b = _numeric(df[cols[second]])
            names = (cols[first], cols[second])
            break
    else:
        geom = getattr(df, "geometry", None) if "geometry" in df.columns else None
        if geom is None:
            raise GeocodeError(
                f"Gazetteer {source or 'table'} has no coordinate columns: expected Nord/Ost, "
                f"X/Y, lat/lon or a point geometry; found {list(map(str, df.columns))}. "
                "Name them with columns={'northing': ..., 'easting': ...}."
            )
        pts = geom.representative_point() if not (geom.geom_type == "Point").all() else geom
        a = pts.x.to_numpy(dtype="float64")
        b = pts.y.to_numpy(dtype="float64")
        names = ("x", "y")
        if crs is None and getattr(df, "crs", None) is not None:
            crs = df.crs.to_string()
    guess = _crs.detect_crs(a, b, crs=crs, names=names)
    if guess.crs is None:
        raise GeocodeError(f"Gazetteer {source or 'table'}: {guess.note} Give crs= if the "
                           "coordinates are in a CRS the values cannot tell.")
    x, y, _ = _crs.orient_axes(a, b)
    if guess.crs == _crs.SWEREF99TM:
        e, n = x, y
    else:
        e, n = _crs.transform(x, y, guess.crs, _crs.SWEREF99TM)
    return np.asarray(e, dtype="float64"), np.asarray(n, dtype="float64"), guess.crs, guess.note


# --------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class GeocodeResult:
    """What :func:`geocode` returns.

    Attributes
    ----------
    placed
        The rows that were placed: the input columns with ``lat``, ``lon``,
        ``easting``, ``northing``, ``precision`` and ``cell`` filled, plus
        ``geocode_match`` (tier), ``geocode_score`` (0–100), ``geocode_fuzzy``,
        ``geocode_label`` (the register entry matched), ``geocode_street`` and
        ``geocode_postort``.
    rejected
        Rows that could not be placed, in the rejected-rows format (``source``,
        ``source_row``, ``reason``, ``reason_sv``, ``raw_<column>``) plus
        ``geocode_candidate`` (the best candidate refused) and ``geocode_note``.
    report
        ``rows``, ``placed``, ``rejected``, ``geocoded_by_tier``, ``match_rate``,
        ``fuzzy``, ``ambiguous``, ``by_precision``, ``unique_texts``, ``min_score``.
    """

    placed: pd.DataFrame
    rejected: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


class _Hit:
    __slots__ = ("candidate", "e", "fuzzy", "label", "n", "note", "postort", "precision", "score",
                 "street", "tier")

    def __init__(self) -> None:
        self.tier = ""
        self.e = np.nan
        self.n = np.nan
        self.score = np.nan
        self.fuzzy = False
        self.label = ""
        self.street = ""
        self.postort = ""
        self.candidate = ""
        self.note = ""
        self.precision = ""


class _Matcher:
    """Resolves unique texts against one gazetteer (caches per street text)."""

    def __init__(self, g: Gazetteer, *, min_score: float, allow: set[str], max_gap_m: float,
                 districts: pd.DataFrame | None) -> None:
        self.g = g
        self.min_score = float(min_score)
        self.allow = allow
        self.max_gap2 = float(max_gap_m) ** 2
        self.street_cache: dict[tuple[str, str], tuple[list[int], float, bool, str, str]] = {}
        self.town_cache: dict[tuple[str, bool, str], tuple[str, bool, str]] = {}
        self.streets = g._streets
        self.s_name = g._streets["street"].astype(str).tolist()
        self.s_town = g._streets["postort"].astype(str).tolist()
        self.s_e = g._streets["easting"].to_numpy()
        self.s_n = g._streets["northing"].to_numpy()
        a = g._addresses
        self.a_e = a["easting"].to_numpy()
        self.a_n = a["northing"].to_numpy()
        self.a_letter = a["letter"].astype(str).tolist()
        self.a_number = a["number"].tolist()
        self.a_pc = a["postcode"].astype(str).tolist()
        p = g._places
        self.p_name = p["name"].astype(str).tolist()
        self.p_town = p["postort"].astype(str).tolist()
        self.p_tkey = p["postort_key"].astype(str).tolist()
        self.p_e = p["easting"].to_numpy()
        self.p_n = p["northing"].to_numpy()
        self.d_index: dict[str, list[int]] = {}
        self.d_keys: list[str] = []
        self.d_name: list[str] = []
        self.d_e = np.array([])
        self.d_n = np.array([])
        if districts is not None and len(districts):
            self.d_name = districts["name"].astype(str).tolist()
            for i, (nm, code) in enumerate(zip(self.d_name, districts["code"].astype(str).tolist(),
                                               strict=True)):
                for k in {compact(parse_address(nm).street), compact(code)} - {""}:
                    self.d_index.setdefault(k, []).append(i)
            self.d_keys = list(self.d_index)
            self.d_e = districts["easting"].to_numpy()
            self.d_n = districts["northing"].to_numpy()

    # -- town / postcode
    def town_of(self, town: str, explicit: bool, postcode: str) -> tuple[str, bool, str]:
        """(register postort key or "", town uncovered?, note)."""
        key = (town, explicit, postcode)
        hit = self.town_cache.get(key)
        if hit is not None:
            return hit
        g = self.g
        tkey = compact(town)
        # "Uppsala kommun", "Göteborgs stad": the kommun's name is its main town's
        bare = re.sub(r"(?:kommun|stad)$", "", tkey) if tkey not in g._postort_keys else tkey
        for k in (bare, bare[:-1] if bare.endswith("s") else ""):  # Halmstad stays Halmstad
            if k != tkey and len(k) > 1 and k in g._postort_keys:
                tkey = k
                break
        out: tuple[str, bool, str] = ("", False, "")
        if tkey:
            if tkey in g._postort_keys:
                out = (tkey, False, "")
            else:
                best = process.extractOne(tkey, list(g._postort_keys), scorer=fuzz.ratio,
                                          score_cutoff=85) if g._postort_keys else None
                if best is not None and _only_by_folding(tkey, best[0]):
                    best = None  # Habo is not Håbo: å, ä and ö are letters
                if best is not None:
                    out = (best[0], False, "")
                elif explicit:
                    out = ("", True, _uncovered_town(town, tkey, g.postorter))
        if not out[0] and not out[1] and postcode:
            towns = g._postcode.get(postcode)
            if towns is not None and len(towns) == 1:
                out = (next(iter(towns)), False, "")
            elif towns is None and g._postcode_prefixes and postcode[:3] not in g._postcode_prefixes:
                out = ("", True, f"postcode {postcode[:3]} {postcode[3:]} is outside the "
                                 "gazetteer's area")
        self.town_cache[key] = out
        return out

    # -- fuzzy
    def _fuzzy(self, queries: Sequence[str], choices: Sequence[str], *, street: bool
               ) -> tuple[str | None, float, str, str]:
        """(accepted key or None, score, best refused candidate key, note).

        Every spelling in ``queries`` (the abbreviation alternatives) is tried; the
        best-scoring one decides.
        """
        if not queries or not choices:
            return None, 0.0, "", ""
        res: list[tuple[str, float, int]] = []
        query = queries[0]
        twins: list[tuple[str, float]] = []
        for q in queries:
            r = process.extract(q, choices, scorer=fuzz.ratio, limit=10, score_cutoff=50)
            # a name that is the text's but for å, ä or ö ("Vange": Vänge) is the name meant
            # or another one: never a third name that happens to score higher (Valinge)
            lq = q.translate(_LOOSE)
            twins += [(k, float(sc)) for k, sc, _ in r if k != q and k.translate(_LOOSE) == lq]
            if r and (not res or r[0][1] > res[0][1]):
                res, query = r, q
        if not res:
            return None, 0.0, "", ""
        key, score, _ = res[0]
        if twins and key not in queries:
            key, score = twins[0]
        if all(_only_by_folding(q, key) for q in queries):
            # å, ä and ö are letters: a candidate that is close only when they are folded
            # (Varbergsvägen ~ Vårbergsvägen) is a suggestion, never applied
            return None, float(score), key, ("close to the candidate only when å, ä and ö are "
                                             "ignored: not applied (å, ä and ö are letters)")
        if score < self.min_score:
            # one decimal, cut (not rounded): 87.6 against 88 is not "88 < 88"
            shown = math.floor(score * 10) / 10
            return None, float(score), key, f"best candidate scored {shown:.1f} < {self.min_score:g}"
        if len(res) > 1 and res[1][1] > score - 2:
            return None, float(score), key, (f"two candidates score alike ({res[0][0]} "
                                             f"{score:.0f}, {res[1][0]} {res[1][1]:.0f})")
        if street:
            stem_c, suf_c = self.g._stems.get(key, (key, ""))
            if suf_c:
                stem_q = query[: max(len(query) - len(suf_c), 1)]
                # Similar overall and at most one edit (two in long names; a swap of
                # neighbours counts once) in the distinctive part.
                edits = OSA.distance(stem_q, stem_c)
                if fuzz.ratio(stem_q, stem_c) < _MIN_STEM_SCORE or edits > (1 if len(stem_c) <= 7 else 2):
                    return None, float(score), key, f"name part differs ({stem_q} vs {stem_c})"
        return key, float(score), "", ""

    # -- street resolution
    def street_ids(self, street: str, town_key: str) -> tuple[list[int], float, bool, str, str]:
        """(street ids, score, fuzzy, refused candidate label, note)."""
        ck = (street, town_key)
        hit = self.street_cache.get(ck)
        if hit is not None:
            return hit
        g = self.g
        ids: list[int] = []
        score, fuzzy, cand, note = 100.0, False, "", ""
        for alt in street_alternatives(street):
            found = g._street_index.get(alt)
            if found:
                ids = list(found)
                break
        if ids and town_key:
            in_town = [i for i in ids if g._street_postort[i] == town_key]
            if not in_town:
                cand = "; ".join(f"{self.s_name[i]}, {self.s_town[i]}" for i in ids)
                note = "street not in that town"
            ids = in_town
        if not ids and not note:
            choices = g._street_keys_by_town.get(town_key, []) if town_key else g._street_keys
            key, score, refused, note = self._fuzzy(street_alternatives(street, exact_only=False), choices,
                                                    street=True)
            if key is not None:
                ids = [i for i in g._street_index[key] if not town_key or g._street_postort[i] == town_key]
                fuzzy = True
            elif refused:
                cand = ", ".join(sorted({f"{self.s_name[i]}, {self.s_town[i]}"
                                         for i in g._street_index[refused]}))
        out = (ids, score, fuzzy, cand, note)
        self.street_cache[ck] = out
        return out

    def _known(self, street: str, town_key: str) -> list[int]:
        """Street ids of an exact (not fuzzy) match of ``street``, in ``town_key`` if given."""
        for alt in street_alternatives(street):
            found = self.g._street_index.get(alt)
            if found:
                return [i for i in found if not town_key or self.g._street_postort[i] == town_key]
        return []

    def _interpolate(self, sid: int, number: int) -> tuple[float, float] | None:
        arrs = self.g._numbers.get(sid)
        if arrs is None:
            return None
        nums, e, n = arrs
        for same_side in (True, False):
            m = (nums % 2 == number % 2) if same_side else np.ones(len(nums), dtype=bool)
            lo = np.flatnonzero(m & (nums < number))
            hi = np.flatnonzero(m & (nums > number))
            if len(lo) and len(hi):
                i, j = lo[-1], hi[0]
                if (e[j] - e[i]) ** 2 + (n[j] - n[i]) ** 2 > self.max_gap2:
                    return None
                t = (number - nums[i]) / (nums[j] - nums[i])
                return float(e[i] + t * (e[j] - e[i])), float(n[i] + t * (n[j] - n[i]))
        return None

    # -- one unique text
    def resolve(self, text: str, postcode: str = "", town: str = "") -> _Hit:
        h = _Hit()
        p = _with_context(parse_address(text), postcode, town)
        low = text.lower()
        m = (_CROSSING.match(text) if "street" in self.allow
             and ("/" in low or "&" in low or " och " in low or " x " in low or " - " in low
                  or " – " in low) else None)
        if m is not None and self._crossing(h, m, postcode, town):
            return h
        if h.note:
            return h
        if not p.street:
            # A district code ("9999C1020") starts with digits: no street part. A numeric code
            # written as a decimal number by the program that exported it ("24407.0") is that code.
            code = re.sub(r"^(\d+)\.0+$", r"\1", text.strip())
            if self._district(h, ParsedAddress(compact(code), 0, "", "", "", False), fuzzy=False):
                return h
            h.note = "no street or place name in the text"
            return h
        town_key, uncovered, tnote = self.town_of(p.town, p.town_explicit, p.postcode)
        if uncovered:
            ids, _, _, cand, _ = self.street_ids(p.street, "")
            h.candidate = "; ".join(f"{self.s_name[i]}, {self.s_town[i]}" for i in ids) or cand
            h.note = tnote
            return h
        if p.alt_street:
            # "Lövg." reads as Lövägen or Lövgatan: the register decides, or nobody does.
            main, alt = self._known(p.street, town_key), self._known(p.alt_street, town_key)
            if main and alt:
                h.candidate = f"{self.s_name[main[0]]}; {self.s_name[alt[0]]}"
                h.note = ("ambiguous: the abbreviation fits both "
                          f"{self.s_name[main[0]]} and {self.s_name[alt[0]]}")
                return h
            if alt:
                p = p._replace(street=p.alt_street)
        if p.number:
            if self._address(h, p, town_key):
                return h
            return h if h.note.startswith("ambiguous") else self._named(h, p, town_key)
        if self._place(h, p, town_key, fuzzy=False):
            return h
        if self._address(h, p, town_key):
            return h
        if h.note.startswith("ambiguous"):
            return h
        return self._named(h, p, town_key)

    def _crossing(self, h: _Hit, m: re.Match[str], postcode: str, town: str) -> bool:
        """Two streets that meet ("Storgatan/Kyrkgatan"): midway between their closest
        address points, when those are at most ``_CROSSING_MAX_M`` apart in one postort."""
        tail = _with_context(parse_address("x, " + (m.group(3) or "")), postcode, town)
        town_key, uncovered, _ = self.town_of(tail.town, tail.town_explicit, tail.postcode)
        a, b = parse_address(m.group(1)).street, parse_address(m.group(2)).street
        if uncovered or not a or not b:
            return False
        ids_a, sc_a, fz_a, _, _ = self.street_ids(a, town_key)
        ids_b, sc_b, fz_b, _, _ = self.street_ids(b, town_key)
        if not ids_a or not ids_b:
            return False  # not two known streets: maybe a place name with "och"
        g = self.g
        found = []
        for i in ids_a:
            for j in ids_b:
                if i == j or g._street_postort[i] != g._street_postort[j]:
                    continue
                _, ea, na = g._numbers[i]
                _, eb, nb = g._numbers[j]
                d2 = (ea[:, None] - eb[None, :]) ** 2 + (na[:, None] - nb[None, :]) ** 2
                k = int(np.argmin(d2))
                ka, kb = divmod(k, d2.shape[1])
                if d2.flat[k] <= _CROSSING_MAX_M ** 2:
                    found.append((i, j, (ea[ka] + eb[kb]) / 2, (na[ka] + nb[kb]) / 2))
        if len(found) != 1:
            names = f"{self.s_name[ids_a[0]]} and {self.s_name[ids_b[0]]}"
            h.note = (f"ambiguous: {names} meet in {len(found)} postorter; add the town"
                      if found else f"{names} do not meet (no address points within "
                                    f"{_CROSSING_MAX_M:.0f} m of each other)")
            h.candidate = names
            return False
        i, j, e, n = found[0]
        h.tier = "intersection"
        h.e, h.n = float(e), float(n)
        h.score, h.fuzzy = min(sc_a, sc_b), fz_a or fz_b
        h.label = f"{self.s_name[i]} / {self.s_name[j]}, {self.s_town[i]}"
        h.street, h.postort = f"{self.s_name[i]} / {self.s_name[j]}", self.s_town[i]
        return True

    def _named(self, h: _Hit, p: ParsedAddress, town_key: str) -> _Hit:
        if self._place(h, p, town_key, fuzzy=False) or self._district(h, p, fuzzy=False):
            return h
        if self._place(h, p, town_key, fuzzy=True) or self._district(h, p, fuzzy=True):
            return h
        if not h.note:
            h.note = "no street, place or district of that name in the gazetteer"
        return h

    def _address(self, h: _Hit, p: ParsedAddress, town_key: str) -> bool:
        ids, score, fuzzy, cand, note = self.street_ids(p.street, town_key)
        if not ids:
            h.candidate = h.candidate or cand
            h.note = h.note or note
            return False
        g = self.g
        h.score, h.fuzzy = score, fuzzy
        if p.number:
            # Number and letter first; the number alone only when no street has both.
            exact = [(sid, r) for sid in ids
                     if (r := g._exact.get((sid, p.number, p.letter))) is not None]
            if not exact:
                exact = [(sid, r) for sid in ids if (r := g._number.get((sid, p.number))) is not None]
            if len(exact) == 1 and "address" in self.allow:
                sid, r = exact[0]
                h.tier = "exact"
                h.e, h.n = float(self.a_e[r]), float(self.a_n[r])
                let = self.a_letter[r]
                h.label = f"{self.s_name[sid]} {self.a_number[r]}{(' ' + let.upper()) if let else ''}, {self.s_town[sid]}"
                h.street, h.postort = self.s_name[sid], self.s_town[sid]
                return True
            if len(exact) > 1:
                return self._ambiguous(h, [s for s, _ in exact], p, "the house number")
            if not exact and "address" in self.allow:
                interp = [(sid, pt) for sid in ids if (pt := self._interpolate(sid, p.number)) is not None]
                if len(interp) == 1:
                    sid, (e, n) = interp[0]
                    h.tier = "interpolated"
                    h.e, h.n = e, n
                    h.label = f"{self.s_name[sid]} {p.number} (between neighbours), {self.s_town[sid]}"
                    h.street, h.postort = self.s_name[sid], self.s_town[sid]
                    return True
                if len(interp) > 1:
                    return self._ambiguous(h, [s for s, _ in interp], p, "the street")
        if fuzzy and p.number:
            # A misspelt street whose register lacks the number: two doubts, no position.
            h.candidate = "; ".join(f"{self.s_name[i]}, {self.s_town[i]}" for i in ids)
            h.note = (f"fuzzy street match ({score:.0f}) but house number {p.number} is not "
                      "on that street")
            h.score, h.fuzzy = np.nan, False
            return False
        if len(ids) > 1 and p.number:
            # Only one of the same-named streets spans the number: that one.
            spanning = [i for i in ids if (arr := g._numbers.get(i)) is not None
                        and arr[0][0] <= p.number <= arr[0][-1]]
            if len(spanning) == 1:
                ids = spanning
        if len(ids) > 1:
            return self._ambiguous(h, ids, p, "the street")
        sid = ids[0]
        if "street" not in self.allow:
            h.candidate = f"{self.s_name[sid]}, {self.s_town[sid]} (street only)"
            h.note = "street matched but street-level matches are not allowed"
            return False
        h.tier = "street"
        h.e, h.n = float(self.s_e[sid]), float(self.s_n[sid])
        h.label = f"{self.s_name[sid]}, {self.s_town[sid]}"
        h.street, h.postort = self.s_name[sid], self.s_town[sid]
        if p.number:
            h.note = f"house number {p.number} not in the register; street centroid"
        return True

    def _place_labels(self, rows: Iterable[int]) -> str:
        """Places as a person checks them: "Solberga, Kungälv; Solberga, Nässjö", each once
        (not "Solberga, Solberga, Solberga")."""
        return "; ".join(dict.fromkeys(f"{self.p_name[r]}, {self.p_town[r]}" if self.p_town[r] else
                                       str(self.p_name[r]) for r in rows))

    def _ambiguous(self, h: _Hit, ids: Iterable[int], p: ParsedAddress, what: str) -> bool:
        towns = sorted({self.s_town[i] for i in ids})
        h.candidate = "; ".join(f"{self.s_name[i]}{' ' + str(p.number) if p.number else ''}, "
                                f"{self.s_town[i]}" for i in ids)
        h.note = (f"ambiguous: {what} exists in {' and '.join(towns)}; "
                  "add the postcode or the town to the address")
        h.score, h.fuzzy = np.nan, False
        return False

    def _place(self, h: _Hit, p: ParsedAddress, town_key: str, *, fuzzy: bool) -> bool:
        if "place" not in self.allow or not self.g._place_index:
            return False
        g = self.g
        alts = street_alternatives(p.street)
        rows: list[int] = []
        score = 100.0
        if not fuzzy:
            for alt in alts:
                if alt in g._place_index:
                    rows = g._place_index[alt]
                    break
        else:
            key, score, refused, note = self._fuzzy(street_alternatives(p.street, exact_only=False),
                                                    g._place_keys, street=False)
            if key is None:
                if refused and not h.candidate:
                    # each name once: "Solberga", not "Solberga, Solberga, Solberga"
                    h.candidate = ", ".join(dict.fromkeys(str(self.p_name[i]) for i in g._place_index[refused]))
                    h.note = h.note or note
                return False
            rows = g._place_index[key]
        if town_key:
            rows = [r for r in rows if self.p_tkey[r] in (town_key, "")]
        if len(rows) > 1:
            h.candidate = self._place_labels(rows)
            h.note = "ambiguous: the place name exists more than once; add the town"
            return False
        if not rows:
            return False
        r = rows[0]
        h.tier = "place"
        h.e, h.n = float(self.p_e[r]), float(self.p_n[r])
        h.score, h.fuzzy = score, fuzzy
        h.label = self.p_name[r] + (f", {self.p_town[r]}" if self.p_town[r] else "")
        h.street, h.postort = "", self.p_town[r]
        h.note = h.candidate = ""
        return True

    def _district(self, h: _Hit, p: ParsedAddress, *, fuzzy: bool) -> bool:
        if "area" not in self.allow or not self.d_index:
            return False
        key: str | None = None
        score = 100.0
        if not fuzzy:
            for alt in (*street_alternatives(p.street), compact(p.street)):
                if alt in self.d_index:
                    key = alt
                    break
            lost_zero = with_leading_zero(compact(p.street))  # "180C4020", as read_districts restores it
            if key is None and lost_zero in self.d_index:
                key = lost_zero
        else:
            key, score, _, _ = self._fuzzy(street_alternatives(p.street, exact_only=False), self.d_keys,
                                           street=False)
        if key is None or len(self.d_index[key]) != 1:
            return False
        i = self.d_index[key][0]
        h.tier = "district"
        h.e, h.n = float(self.d_e[i]), float(self.d_n[i])
        h.score, h.fuzzy = score, fuzzy
        h.label = self.d_name[i]
        h.street = h.postort = ""
        h.note = h.candidate = ""
        return True


_LOOSE = str.maketrans({"å": "a", "ä": "a", "ö": "o", "ü": "u", "æ": "a", "ø": "o"})


def _gazetteer_columns(df: pd.DataFrame, columns: Mapping[str, str] | None, *, crs: object | None,
                       source: str) -> dict[str, str]:
    """The gazetteer's columns by role. A table without coordinates (postcode → kommun, a
    list of names) cannot place anything: that is the error, not which of its columns
    could be the town."""
    try:
        return find_columns([str(c) for c in df.columns if c != "geometry"],
                            aliases=GAZETTEER_ALIASES, overrides=columns)
    except SchemaError:
        coords = {k: v for k, v in GAZETTEER_ALIASES.items() if k in _COORDINATE_ROLES}
        if "geometry" not in df.columns and not find_columns([str(c) for c in df.columns], aliases=coords):
            _coordinates(df, {}, crs=crs, source=source)  # raises: no coordinate columns
        raise


#: The gazetteer's column roles that hold coordinates.
_COORDINATE_ROLES = ("northing", "easting", "x", "y", "lat", "lon")


def _uncovered_town(town: str, tkey: str, postorter: list[str]) -> str:
    """Why a town is not used: the gazetteer's postorter nearest to it (not all of a national
    register's, which filled the rejected-rows file), or the one it is but for å, ä and ö."""
    names = {compact(t): t for t in postorter}
    town = town.title()  # the parsed town is folded to lower case: "Upplands-Bro", not "upplands-bro"
    lq = tkey.translate(_LOOSE)
    twins = [t for k, t in names.items() if k.translate(_LOOSE) == lq]
    if twins:
        return (f"town '{town}' is not covered by the gazetteer; it is {twins[0]} only when å, ä and ö "
                "are ignored: not applied (å, ä and ö are letters)")
    near = [names[k] for k, _, _ in process.extract(tkey, list(names), scorer=fuzz.ratio, limit=5)]
    return (f"town '{town}' is not covered by the gazetteer ({len(names)} postorter"
            + (f"; nearest: {', '.join(near)}" if near else "") + ")")


def _num_sv(text: str) -> str:
    """A number of a note the Swedish way (decimal comma)."""
    return text.replace(".", ",")


_FOLDED_SV = "bara om å, ä och ö bortses från: används inte (å, ä och ö är egna bokstäver)"

# Each note the matcher writes (English, in ``geocode_note``): what it means for the person
# who corrects the rows, in a few words many rows share (rows are counted by these on the
# app's Data page), and its Swedish text (names kept as written).
_NOTES_SV: tuple[tuple[re.Pattern[str], str, Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern, re.S), kind, make) for pattern, kind, make in (
        (r"close to the candidate only when å, ä and ö are ignored: not applied \(å, ä and ö are letters\)",
         "Namnet stämmer bara om å, ä och ö bortses från",
         lambda m: f"liknar kandidaten {_FOLDED_SV}"),
        (r"best candidate scored ([\d.]+) < ([\d.]+)",
         "Stavningen skiljer sig för mycket från registrets",
         lambda m: f"bästa kandidaten fick {_num_sv(m[1])} poäng av 100, under gränsen {_num_sv(m[2])}"),
        (r"two candidates score alike \((.*)\)",
         "Två namn i registret passar lika bra",
         lambda m: f"två kandidater är lika nära ({m[1]}); skriv adressen tydligare"),
        (r"name part differs \((.*) vs (.*)\)",
         "Stavningen skiljer sig för mycket från registrets",
         lambda m: f"namnleden skiljer sig ({m[1]} mot {m[2]})"),
        (r"street not in that town",
         "Gatan finns inte i den angivna orten",
         lambda m: "gatan finns inte i den orten"),
        (r"no street or place name in the text",
         "Inget gatu- eller platsnamn",
         lambda m: "texten innehåller inget gatu- eller platsnamn"),
        (r"ambiguous: the abbreviation fits both (.*) and (.*)",
         "Förkortningen passar flera gator",
         lambda m: f"tvetydig: förkortningen passar både {m[1]} och {m[2]}; skriv ut gatunamnet"),
        (r"ambiguous: (.*) meet in (\d+) postorter; add the town",
         "Finns i flera orter: orten saknas",
         lambda m: f"tvetydig: {m[1].replace(' and ', ' och ')} möts i {m[2]} postorter; lägg till orten"),
        (r"(.*) do not meet \(no address points within (\d+) m of each other\)",
         "Gatorna i korsningen möts inte",
         lambda m: f"{m[1].replace(' and ', ' och ')} möts inte (inga adresspunkter inom {m[2]} m "
                   "från varandra)"),
        (r"no street, place or district of that name in the gazetteer",
         "Namnet finns inte i registret",
         lambda m: "ingen gata, plats eller område med det namnet i adressregistret"),
        (r"fuzzy street match \((\d+)\) but house number (.*) is not on that street",
         "Husnumret finns inte på gatan",
         lambda m: f"gatunamnet liknar en gata ({m[1]} poäng av 100) men husnummer {m[2]} finns inte "
                   "på den gatan"),
        (r"street matched but street-level matches are not allowed",
         "Bara gatan hittades (gatunivå är inte tillåten)",
         lambda m: "gatan hittades men placering på gatunivå är inte tillåten"),
        (r"house number (.*) not in the register; street centroid",
         "Husnumret saknas i registret (gatans mitt)",
         lambda m: f"husnummer {m[1]} finns inte i registret; gatans mittpunkt"),
        (r"ambiguous: the (house number|street) exists in (.*); add the postcode or the town to the address",
         "Finns i flera orter: orten saknas",
         lambda m: f"tvetydig: {'husnumret' if m[1] == 'house number' else 'gatan'} finns i "
                   f"{m[2].replace(' and ', ' och ')}; lägg till postnummer eller ort i adressen"),
        (r"ambiguous: the place name exists more than once; add the town",
         "Finns i flera orter: orten saknas",
         lambda m: "tvetydig: platsnamnet finns flera gånger; lägg till orten"),
        (r"online geocoder failed: (.*)",
         "Adressökningen på nätet svarade inte",
         lambda m: f"adressökningen på nätet svarade inte ({m[1]})"),
        (r"town '(.*)' is not covered by the gazetteer; it is (.*) only when å, ä and ö are ignored: "
         r"not applied \(å, ä and ö are letters\)",
         "Orten stämmer bara om å, ä och ö bortses från",
         lambda m: f"orten '{m[1]}' finns inte i adressregistret; den är {m[2]} {_FOLDED_SV}"),
        (r"town '(.*)' is not covered by the gazetteer \((\d+) postorter(?:; nearest: (.*))?\)",
         "Orten finns inte i registret",
         lambda m: f"orten '{m[1]}' finns inte i adressregistret ({m[2]} postorter"
                   + (f"; närmast: {m[3]}" if m[3] else "") + ")"),
        (r"postcode (\d{3} \d{2}) is outside the gazetteer's area",
         "Postnumret ligger utanför registret",
         lambda m: f"postnummer {m[1]} ligger utanför adressregistrets område"),
    ))


def _note_sv(note: str) -> tuple[str, str] | None:
    """A note's kind and Swedish text (None: no pattern knows it)."""
    for pattern, kind, make in _NOTES_SV:
        if (m := pattern.fullmatch(note)) is not None:
            return kind, make(m)
    return None


def geocode_note_kind_sv(note: str | None) -> str | None:
    """What a geocoder's note (``geocode_note``) means, in a few Swedish words that many
    rows share (for counting rejected addresses by what to do about them); ``None`` for no
    note, "Annat" for a note without a kind.

    Examples
    --------
    >>> geocode_note_kind_sv("best candidate scored 64.0 < 88")
    'Stavningen skiljer sig för mycket från registrets'
    >>> geocode_note_kind_sv("ambiguous: the street exists in Exempelstad and Norrby; add the postcode or the town to the address")
    'Finns i flera orter: orten saknas'
    """
    if not note:
        return None
    found = _note_sv(note)
    return "Annat" if found is None else found[0]


def geocode_note_sv(note: str | None) -> str | None:
    """The Swedish text of a geocoder's note (``geocode_note``), names kept as written; a
    note without a Swedish text is returned as it is.

    Examples
    --------
    >>> geocode_note_sv("best candidate scored 87.5 < 88")
    'bästa kandidaten fick 87,5 poäng av 100, under gränsen 88'
    >>> geocode_note_sv("town 'Varbrg' is not covered by the gazetteer (2 postorter; nearest: Varberg, Vårberg)")
    "orten 'Varbrg' finns inte i adressregistret (2 postorter; närmast: Varberg, Vårberg)"
    """
    found = _note_sv(note) if note else None
    return note if found is None else found[1]


def _only_by_folding(query: str, candidate: str) -> bool:
    """Whether ``candidate`` is closer to ``query`` only when å/ä/ö are folded to a/o: the
    two differ (also) in a Swedish letter, which makes them different names."""
    lq, lc = query.translate(_LOOSE), candidate.translate(_LOOSE)
    if lq == query and lc == candidate:
        return False
    return fuzz.ratio(lq, lc) > fuzz.ratio(query, candidate)


#: Two streets "meet" when address points of both lie at most this far apart.
_CROSSING_MAX_M = 60.0
# "Storgatan/Kyrkgatan", "korsningen Storgatan & Kyrkgatan, Norrby", "Storg. och Kyrkg.".
_CROSSING = re.compile(
    r"^\s*(?:korsningen|korsning|hörnet|hornet|krysset)?\s*"
    r"([^\d/&,]*[^\W\d_][^\d/&,]*?)\s*(?:/|&|\s+och\s+|\s+x\s+|\s+[-–]\s+)\s*"
    r"([^\d/&,]*[^\W\d_][^\d/&,]*?)\s*(?:,(.*))?$",
    re.IGNORECASE,
)


def _with_context(p: ParsedAddress, postcode: str, town: str) -> ParsedAddress:
    """Postcode/town from their own columns, when the text has none."""
    if not (postcode or town) or p.postcode or p.town:
        return p
    pc = "".join(ch for ch in postcode if ch.isdigit())
    pc = pc if len(pc) == 5 else ""
    tw = " ".join(fold_words(town).replace(".", " ").replace(":", " ").replace(",", " ").split())
    return p._replace(postcode=pc, town=tw, town_explicit=bool(tw or pc))


def _district_points(districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Name, code and a point inside each district (SWEREF 99 TM)."""
    d = districts
    if d.crs is None:
        raise GeocodeError("districts has no CRS; read it with districts.read_districts() "
                           "or set one with set_crs().")
    name_col = next((c for c in ("district_name", "namn", "name", "Namn", "NAMN") if c in d.columns),
                    None)
    code_col = next((c for c in ("district_code", "deso", "regsokod", "kod", "code", "Deso", "DESO")
                     if c in d.columns), None)
    code = d[code_col] if code_col is not None else pd.Series(d.index, index=d.index)
    if name_col is None:
        raise GeocodeError(f"districts needs a district_name column; it has {list(d.columns)}. "
                           "Read it with lagesbild_geo.districts.read_districts().")
    pts = d.geometry.to_crs(_crs.SWEREF99TM).representative_point()
    return pd.DataFrame({
        "name": d[name_col].astype(str).to_numpy(),
        "code": code.astype(str).to_numpy(),
        "easting": pts.x.to_numpy(), "northing": pts.y.to_numpy(),
    })


def geocode(
    incidents: pd.DataFrame,
    gazetteer: Gazetteer | str | Path,
    *,
    min_score: float = 88.0,
    allow: Sequence[str] = ("address", "street", "place", "area"),
    districts: gpd.GeoDataFrame | None = None,
    settings: Settings | None = None,
    max_gap_m: float = 150.0,
    online: NominatimGeocoder | None = None,
    text_column: str = "location_text",
    postcode_column: str | None = None,
    town_column: str | None = None,
) -> GeocodeResult:
    """Place rows by their address or place text against a gazetteer, offline.

    Parameters
    ----------
    incidents
        Rows to place (e.g. ``ReadResult.pending``): the canonical incident table
        with the text in ``location_text``; other columns ride along. Not changed.
    gazetteer
        A :class:`Gazetteer` or the path of a gazetteer file.
    min_score
        Fuzzy matches (rapidfuzz ``fuzz.ratio`` on folded, compact names, 0–100)
        below this are refused. 88 accepts one missing or extra letter in a
        9-letter name and refuses "Torggatan" for "Storgatan" (score 88.9 but the
        distinctive part differs).
    allow
        Tiers that may place a row: ``"address"`` (exact and interpolated house
        numbers), ``"street"`` (street centroid), ``"place"`` (place names),
        ``"area"`` (district names, needs ``districts``), ``"online"`` (needs
        ``online``).
    districts
        District polygons (``district_name``, ``district_code``) for the area tier;
        default: the ones attached with :meth:`Gazetteer.with_districts`.
    settings
        H3 resolution for ``cell`` (address rows only; place/area rows get cell 0,
        so they never enter cell counts).
    max_gap_m
        A missing house number is interpolated only between neighbours at most
        this far apart (metres).
    online
        An online geocoder tried for texts the gazetteer cannot place (off by default;
        see :class:`NominatimGeocoder`).
    text_column
        Column holding the text.
    postcode_column, town_column
        Columns with the postcode and the town (postort), used when the text has
        neither. Default: recognised by name among the input's columns
        (Postnummer/Postnr, Postort/Ort); ``""`` turns the recognition off.

    Returns
    -------
    GeocodeResult
        ``placed``, ``rejected`` and ``report``; ``len(placed) + len(rejected) == len(incidents)``.

    Examples
    --------
    >>> g = Gazetteer.from_frame(pd.DataFrame({
    ...     "gatunamn": ["Storgatan", "Storgatan"], "husnummer": [1, 5],
    ...     "postort": ["Exempelstad"] * 2,
    ...     "nord": [6_580_000.0, 6_580_040.0], "ost": [660_000.0, 660_000.0]}))
    >>> rows = pd.DataFrame({"location_text": ["STORG. 5", "Storgatan 3", "Lillgatan 1"],
    ...                      "source": "x.csv", "source_row": [2, 3, 4]})
    >>> r = geocode(rows, g)
    >>> r.placed[["geocode_match", "northing"]].values.tolist()
    [['exact', 6580040.0], ['interpolated', 6580020.0]]
    >>> r.rejected["reason"].tolist()
    ['address not found']
    """
    settings = settings or Settings()
    if not isinstance(gazetteer, Gazetteer):
        gazetteer = Gazetteer.from_file(gazetteer, settings=settings)
    matcher = _matcher(incidents, gazetteer, allow=allow, min_score=min_score, max_gap_m=max_gap_m,
                       districts=districts, text_column=text_column)
    codes, triples = _distinct_texts(incidents, text_column, postcode_column, town_column)
    hits = [matcher.resolve(t, pc, tw) for t, pc, tw in triples]
    if online is not None and "online" in allow:
        _online(hits, [", ".join(x for x in (t, f"{pc} {tw}".strip()) if x) for t, pc, tw in triples],
                online)
    out, cand, note = _with_hits(incidents, hits, np.where(codes < 0, len(hits), codes))
    placed_mask = (out["geocode_match"].fillna("") != "").to_numpy(dtype=bool)
    placed = out.loc[placed_mask].copy()
    placed["cell"] = _address_cells(placed, settings.resolution)
    rejected = _rejected(incidents.loc[~placed_mask], cand[~placed_mask], note[~placed_mask], text_column,
                         np.flatnonzero(~placed_mask) + 1)
    report = _geocode_report(out, placed, note, unique_texts=len(hits), min_score=min_score, gazetteer=gazetteer)
    return GeocodeResult(placed=placed, rejected=rejected, report=report)


def _geocode_report(out: pd.DataFrame, placed: pd.DataFrame, note: np.ndarray, *, unique_texts: int,
                    min_score: float, gazetteer: Gazetteer) -> dict[str, Any]:
    tier = out["geocode_match"].fillna("").to_numpy(dtype=object)
    n_rows = len(out)
    return {
        "rows": n_rows,
        "placed": len(placed),
        "rejected": n_rows - len(placed),
        "geocoded_by_tier": {t: int((tier == t).sum()) for t in TIERS if (tier == t).any()},
        "match_rate": float(len(placed) / n_rows) if n_rows else 1.0,
        "fuzzy": int(placed["geocode_fuzzy"].sum()),
        "ambiguous": int(pd.Series(note, dtype="string").str.startswith("ambiguous").fillna(False).sum()),
        "by_precision": {k: int(v) for k, v in placed["precision"].value_counts().items()},
        "unique_texts": unique_texts,
        "min_score": float(min_score),
        "gazetteer": repr(gazetteer),
    }


def _matcher(incidents: pd.DataFrame, gazetteer: Gazetteer, *, allow: Sequence[str], min_score: float,
             max_gap_m: float, districts: gpd.GeoDataFrame | None, text_column: str) -> _Matcher:
    """The matcher for these options, after checking them."""
    bad = sorted(set(allow) - set(_ALLOWED))
    if bad:
        raise GeocodeError(f"allow= has unknown tier(s) {bad}; use some of {list(_ALLOWED)}.")
    if text_column not in incidents.columns:
        raise InputError(f"geocode() needs a {text_column!r} column with the address or place "
                         f"text; the table has {list(map(str, incidents.columns))}.")
    if not 0 <= min_score <= 100:
        raise GeocodeError(f"min_score must be between 0 and 100, got {min_score}.")
    allow_set = set(allow)
    dpts = _district_points(districts) if districts is not None else gazetteer._districts
    if "area" not in allow_set:
        dpts = None
    return _Matcher(gazetteer, min_score=min_score, allow=allow_set, max_gap_m=max_gap_m, districts=dpts)


def _distinct_texts(incidents: pd.DataFrame, text_column: str, postcode_column: str | None,
                    town_column: str | None) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    """(code per row, -1 for a missing text; the distinct (text, postcode, town) triples)."""
    text = incidents[text_column].astype("string")
    context = _context_columns(incidents, text_column, postcode_column, town_column)
    if not context:
        codes, uniques = pd.factorize(text, sort=False)
        return codes, [(str(u), "", "") for u in np.asarray(uniques, dtype=object)]
    # Distinct (text, postcode, town) triples; a missing text stays missing.
    key = text
    for c in context.values():
        key = key + "\x1f" + incidents[c].astype("string").fillna("")
    codes, uniques = pd.factorize(key, sort=False)
    parts = [str(u).split("\x1f") for u in np.asarray(uniques, dtype=object)]
    order = list(context)
    return codes, [(pp[0], pp[1 + order.index("postcode")] if "postcode" in context else "",
                    pp[1 + order.index("town")] if "town" in context else "") for pp in parts]


def _with_hits(incidents: pd.DataFrame, hits: list[_Hit],
               codes: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A copy of the rows with each one's hit (``codes``: its hit, ``len(hits)`` for none), and
    the refused candidates and notes per row."""
    e_u = np.array([h.e for h in hits] + [np.nan], dtype="float64")
    n_u = np.array([h.n for h in hits] + [np.nan], dtype="float64")
    lon_u, lat_u = _crs.to_wgs84(e_u, n_u, _crs.SWEREF99TM)

    def per_row(values: list[Any], dtype: str) -> np.ndarray:
        return np.asarray([*values, _empty(dtype)], dtype=dtype)[codes]

    out = incidents.copy()
    out["easting"] = e_u[codes]
    out["northing"] = n_u[codes]
    out["lat"] = lat_u[codes]
    out["lon"] = lon_u[codes]
    prec_u = [h.precision or TIERS.get(h.tier, "pending") if h.tier else "pending" for h in hits]
    out["precision"] = pd.array(per_row(prec_u, "object"), dtype="string")
    out["geocode_match"] = pd.array(np.array([h.tier for h in hits] + [""], dtype=object)[codes], dtype="string")
    out["geocode_score"] = per_row([h.score for h in hits], "float64")
    out["geocode_fuzzy"] = per_row([h.fuzzy for h in hits], "bool")
    out["geocode_label"] = pd.array(per_row([h.label for h in hits], "object"), dtype="string")
    out["geocode_street"] = pd.array(per_row([h.street for h in hits], "object"), dtype="string")
    out["geocode_postort"] = pd.array(per_row([h.postort for h in hits], "object"), dtype="string")
    return out, per_row([h.candidate for h in hits], "object"), per_row([h.note for h in hits], "object")


def _address_cells(placed: pd.DataFrame, resolution: int) -> np.ndarray:
    """H3 cells of the rows placed at an address (0 for place and area rows: not on the grid)."""
    is_point = (placed["precision"] == "address").to_numpy(dtype=bool)
    cells = np.zeros(len(placed), dtype=np.uint64)
    if is_point.any():
        cells[is_point] = points_to_cells(placed["lat"].to_numpy()[is_point],
                                          placed["lon"].to_numpy()[is_point], resolution)
    return cells


def _context_columns(incidents: pd.DataFrame, text_column: str, postcode_column: str | None,
                     town_column: str | None) -> dict[str, str]:
    """Role → column for the postcode and town columns riding along (may be empty)."""
    found: dict[str, str] = {}
    cols = [str(c) for c in incidents.columns if c not in INCIDENT_COLUMNS and c != text_column]
    for role, given in (("postcode", postcode_column), ("town", town_column)):
        if given == "":
            continue
        if given is not None:
            if given not in incidents.columns:
                raise InputError(f"{role}_column={given!r} is not a column of the table; "
                                 f"the columns are {list(map(str, incidents.columns))}.")
            found[role] = given
            continue
        try:
            hit = find_columns(cols, aliases={role: INCIDENT_ALIASES[role]}, roles=[role])
        except InputError:  # several candidates: do not guess
            hit = {}
        if hit:
            found[role] = hit[role]
    return found


def _empty(dtype: str) -> Any:
    return {"float64": np.nan, "bool": False}.get(dtype, "")


def _rejected(rows: pd.DataFrame, cand: np.ndarray, note: np.ndarray, text_column: str,
              positions: np.ndarray) -> pd.DataFrame:
    src = rows["source"].astype("string") if "source" in rows.columns else pd.Series(
        [""] * len(rows), index=rows.index, dtype="string")
    srow = rows["source_row"].astype("int64") if "source_row" in rows.columns else pd.Series(
        positions, index=rows.index, dtype="int64")  # 1-based row of the input table
    empty_text = rows[text_column].astype("string").fillna("").str.strip() == ""
    out = pd.DataFrame({
        "source": src,
        "source_row": srow,
        "reason": pd.array(np.where(empty_text, "no location", REASON), dtype="string"),
        "reason_sv": pd.array(np.where(empty_text, "ingen plats", REASON_SV), dtype="string"),
    }, index=rows.index)
    raw = [c for c in rows.columns
           if c not in INCIDENT_COLUMNS and not str(c).startswith(("geocode_", "raw_"))]
    if not raw:
        raw = [text_column]
    for c in raw:
        out[f"raw_{c}"] = rows[c].astype("string")
    for c in rows.columns:
        if str(c).startswith("raw_") and c not in out.columns:
            out[c] = rows[c].astype("string")
    out["geocode_candidate"] = pd.array(cand, dtype="string")
    out["geocode_note"] = pd.array(note, dtype="string")
    out["geocode_note_sv"] = pd.array([geocode_note_sv(n) for n in note], dtype="string")
    return out.reset_index(drop=True)


def _online(hits: list[_Hit], texts: list[str], online: NominatimGeocoder) -> None:
    """Ask the online geocoder for texts the gazetteer could not place (not ambiguous ones)."""
    for h, t in zip(hits, texts, strict=True):
        if h.tier or h.note.startswith("ambiguous") or not t.strip():
            continue
        try:
            found = online.geocode(t)
        except GeocodeError as exc:  # the service is down: keep the offline results
            h.note = f"online geocoder failed: {exc}"
            break
        if found is None:
            continue
        e, n = _crs.to_sweref([found.lon], [found.lat])
        h.tier = "online"
        h.e, h.n = float(e[0]), float(n[0])
        h.score, h.fuzzy = np.nan, False
        h.label = found.display_name
        h.note = h.candidate = ""
        h.precision = found.precision


def place_pending(
    result: ReadResult,
    gazetteer: Gazetteer | str | os.PathLike[str],
    *,
    settings: Settings | None = None,
    boundary: Any = None,
    unmatched: str = "reject",
) -> ReadResult:
    """Geocode the pending rows of a read: placed, or rejected with "address not found".

    The step after :func:`lagesbild_geo.read.read_incidents` for rows that carry an
    address or a place name instead of coordinates. Placed rows get their H3 cell
    (``settings.resolution``) and join ``placed``; the others join ``rejected``;
    ``pending`` is then empty and the counts still add up. The report gains
    ``geocoded_by_tier``, ``match_rate`` and ``geocode`` (the rest of the
    geocoder's report). A result without pending rows comes back as it is (the
    gazetteer file is not even read).

    Parameters
    ----------
    result
        What :func:`lagesbild_geo.read.read_incidents` returned.
    gazetteer
        A :class:`Gazetteer` or the path of a gazetteer file (see :meth:`Gazetteer.from_file`).
    settings
        The H3 resolution of the ``cell`` column (default :class:`~lagesbild_geo.settings.Settings`).
    boundary
        The kommun boundary (as ``read_incidents(boundary=)``): a geocoded row whose position
        lies outside it (a national gazetteer's "Kiruna" in Uppsala's file) is rejected as
        "outside boundary", like a row with coordinates there; ``geocode_candidate`` names
        the entry found.
    unmatched
        ``"reject"`` (default): a row the gazetteer has no entry for is rejected;
        ``"pending"``: it stays pending, for a gazetteer that only holds part of what
        the rows may name (:meth:`Gazetteer.of_districts`). Rows outside the boundary
        are rejected either way.

    Returns
    -------
    ReadResult

    Examples
    --------
    >>> from lagesbild_geo.read import read_incidents
    >>> r = read_incidents(pd.DataFrame({"Datum": ["2024-03-05 22:15", "2024-03-06 08:00"],
    ...                                  "Adress": ["Storgatan 1", "Okändavägen 9"]}))
    >>> gaz = Gazetteer.from_frame(pd.DataFrame({"gatunamn": ["Storgatan"], "husnummer": ["1"],
    ...                                          "lat": [59.33], "lon": [18.06]}))
    >>> placed = place_pending(r, gaz)
    >>> len(r.pending), len(placed.placed), placed.rejected["reason"].tolist()
    (2, 1, ['address not found'])
    """
    if unmatched not in ("reject", "pending"):
        raise ValueError(f"place_pending: unmatched must be 'reject' or 'pending', got {unmatched!r}")
    if not len(result.pending):
        return result
    settings = settings or Settings()
    gaz = gazetteer if isinstance(gazetteer, Gazetteer) else Gazetteer.from_file(Path(gazetteer), settings=settings)
    g = geocode(result.pending, gaz, settings=settings)
    found, outside = _outside_boundary(g.placed, boundary)
    found = _with_cells(found, settings.resolution)
    placed = pd.concat([result.placed, found], ignore_index=True) if len(found) else result.placed
    not_found = g.rejected
    still_pending = result.pending.iloc[:0]
    if unmatched == "pending" and len(not_found):
        key = ["source", "source_row"]  # a row's source and row number name it
        back = pd.MultiIndex.from_frame(result.pending[key].astype(str)).isin(
            pd.MultiIndex.from_frame(not_found[key].astype(str)))
        still_pending = result.pending.loc[back].reset_index(drop=True)
        not_found = not_found.iloc[:0]
    rejected = _joined_rejected(result.rejected, _joined_rejected(not_found, outside))
    report = dict(result.report)
    if unmatched == "pending" and len(still_pending) and gaz._districts is not None:
        report["warnings"] = [*report.get("warnings", []),
                              *district_name_hints(str(report.get("source", "")), still_pending, gaz._districts)]
    report["geocoded_by_tier"] = dict(g.report.get("geocoded_by_tier", {}))
    report["match_rate"] = g.report.get("match_rate")
    report["geocode"] = {k: v for k, v in g.report.items() if k not in ("geocoded_by_tier", "match_rate")}
    return with_counts(ReadResult(placed=placed, pending=still_pending, rejected=rejected, report=report))


def district_name_hints(source: str, pending: pd.DataFrame, districts: pd.DataFrame | None) -> list[str]:
    """Notes on the pending rows' texts that a district layer nearly names: equal to a
    district's name only with å, ä and ö folded (suggested, never applied: Varberg is not
    Vårberg), or the name of several districts (a national layer's "Östermalm" is in
    four kommuner: none is chosen).

    ``districts`` has ``name`` and ``code`` columns (:attr:`Gazetteer.districts`).

    Examples
    --------
    >>> d = pd.DataFrame({"name": ["Vårberg", "Haga", "Haga"], "code": ["0180C4020", "2281R011", "2480R009"]})
    >>> for n in district_name_hints("f.csv", pd.DataFrame({"location_text": ["Varberg", "Haga"]}), d):
    ...     print(n.split("): ", 1)[1][:40])
    'Varberg' (did you mean Vårberg?). Corre
    'Haga' (2 districts: 2281R011, 2480R009)
    """
    if districts is None or not len(districts) or "location_text" not in pending.columns:
        return []
    names = districts["name"].astype(str).tolist()
    codes = districts["code"].astype(str).tolist() if "code" in districts.columns else [""] * len(names)
    loose: dict[str, list[str]] = {}
    exact: dict[str, list[str]] = {}
    for nm, code in zip(names, codes, strict=True):
        if nm not in loose.get(loose_key(nm), []):
            loose.setdefault(loose_key(nm), []).append(nm)
        exact.setdefault(name_key(nm), []).append(code)
    hints: dict[str, list[str]] = {}
    shared: dict[str, list[str]] = {}
    for t in pending["location_text"].astype("string").dropna().unique():
        similar = [nm for nm in loose.get(loose_key(t), []) if name_key(nm) != name_key(t)]
        if similar:
            hints[str(t)] = similar
        same = exact.get(name_key(t), [])
        if len(same) > 1:
            shared[str(t)] = same
    notes = []
    if hints:
        shown = "; ".join(f"{t!r} (did you mean {', '.join(v)}?)" for t, v in list(hints.items())[:5])
        notes.append(f"{source}: place text(s) that match a district only when å, ä and ö are ignored were not "
                     f"placed there (å, ä and ö are letters): {shown}. Correct the names in the source if they "
                     "mean these districts.")
    if shared:
        shown = "; ".join(f"{t!r} ({len(v)} districts: {', '.join(v[:4])}{' ...' if len(v) > 4 else ''})"
                          for t, v in list(shared.items())[:5])
        notes.append(f"{source}: place text(s) that name several districts were not placed (none is chosen): "
                     f"{shown}. Give the district code instead of the name, or use the kommun's districts "
                     "only (lagesbild build --kommun NAME|CODE narrows a national layer).")
    return notes


def _outside_boundary(placed: pd.DataFrame, boundary: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The geocoded rows inside the boundary, and those outside it as rejected rows."""
    if boundary is None or not len(placed):
        return placed, placed.iloc[:0]
    lon, lat = placed["lon"].to_numpy(dtype=float), placed["lat"].to_numpy(dtype=float)
    inside = inside_boundary(lon, lat, np.isfinite(lon) & np.isfinite(lat), boundary)
    if inside.all():
        return placed, placed.iloc[:0]
    far = placed.loc[~inside]
    label = far["geocode_label"].astype("string").fillna("") if "geocode_label" in far.columns else (
        pd.Series([""] * len(far), index=far.index, dtype="string"))
    rej = _rejected(far, label.to_numpy(dtype=object),
                    np.full(len(far), "the gazetteer's entry lies outside the kommun boundary", dtype=object),
                    "location_text" if "location_text" in far.columns else far.columns[0],
                    np.arange(1, len(far) + 1))
    rej["reason"] = pd.array(["outside boundary"] * len(rej), dtype="string")
    rej["reason_sv"] = pd.array([REASONS["outside boundary"]] * len(rej), dtype="string")
    kept = placed.loc[inside].reset_index(drop=True)
    kept.attrs = dict(placed.attrs)
    return kept, rej


def _with_cells(placed: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """H3 cells for geocoded point/address rows that have none yet."""
    if not len(placed) or "cell" not in placed.columns:
        return placed
    need = (placed["cell"].to_numpy() == 0) & placed["precision"].isin(["point", "address"]).to_numpy(dtype=bool)
    if not need.any():
        return placed
    cells = placed["cell"].to_numpy(dtype=np.uint64).copy()
    cells[need] = points_to_cells(placed["lat"].to_numpy()[need], placed["lon"].to_numpy()[need], resolution)
    return placed.assign(cell=cells)


def _joined_rejected(before: pd.DataFrame, geocoded: pd.DataFrame) -> pd.DataFrame:
    """The read's rejected rows and the geocoder's, with every column but ``source_row`` as text."""
    if not len(geocoded):
        rejected = before
    elif len(before) == 0:
        rejected = geocoded.reset_index(drop=True)
    else:
        rejected = pd.concat([before, geocoded], ignore_index=True)
    text_cols = {c: "string" for c in rejected.columns if c not in ("source_row",)
                 and str(rejected[c].dtype) != "string"}
    return rejected.astype(text_cols) if text_cols else rejected
