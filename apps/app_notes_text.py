"""How the Swedish notes (:mod:`app_notes_sv`) write the parts they take from the library's
English notes: quoted names, counts and row numbers the Swedish way, the Data page's column
roles; and the table of rules, one per kind of note, that :mod:`app_notes_sv` fills.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from lagesbild_geo import svformat
from lagesbild_geo.read import REASONS

#: The Data page's column roles as the coordinator reads them.
ROLE_LABELS_SV: dict[str, str] = {
    "id": "Ärende-id", "datetime": "Datum och tid", "date": "Datum", "time": "Klockslag",
    "category": "Brottstyp/kategori", "x": "X-koordinat", "y": "Y-koordinat",
    "northing": "Nordkoordinat", "easting": "Ostkoordinat", "lat": "Latitud", "lon": "Longitud",
    "gps": "GPS (lat,lon i en kolumn)", "address": "Adress", "house_number": "Gatunummer", "place": "Plats",
    "postcode": "Postnummer", "town": "Postort",
    "count": "Antal per rad (sammanställd tabell)",
}
#: The Data page's button that reads a file again with the chosen columns.
REREAD = "Läs om med de här kolumnerna"
CHOOSE = f"under ”Igenkända kolumner” ovan och klicka ”{REREAD}”"

# A Python string literal as repr() writes it ('Antal', "it's").
STRING = r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
LITERAL = re.compile(STRING)


def literal_text(literal: str) -> str:
    """A repr()'d string as the text it holds."""
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return literal.strip("'\"")
    return str(value)


def q(literal: str) -> str:
    """A repr()'d string between Swedish quotation marks."""
    return f"”{literal_text(literal)}”"


def quoted(text: str) -> str:
    """Every repr()'d string in ``text`` between Swedish quotation marks; a list's brackets
    dropped and " (and N more)" in Swedish."""
    text = LITERAL.sub(lambda m: q(m.group(0)), text.strip())
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return re.sub(r" \(and (\d+) more\)", lambda m: f" (och {n(m.group(1))} till)", text)


def n(digits: str) -> str:
    """A count from a note (``1 239`` or ``1239``) written the Swedish way."""
    return svformat.integer(int(re.sub(r"\D", "", digits)))


def num(text: str) -> str:
    """A coordinate value from a note (``6583424``, ``59.37``, ``1.5e+06``) the Swedish way."""
    try:
        v = float(text)
    except ValueError:
        return text
    if v.is_integer() and abs(v) < 1e15:
        return svformat.integer(v)
    return svformat.number(v, decimals=len(text.split(".", 1)[1]) if "." in text and "e" not in text else 2)


def rader(digits: str, one: str = "rad", many: str = "rader") -> str:
    """A count with its noun in the singular or the plural ("1 rad", "2 rader")."""
    k = int(re.sub(r"\D", "", digits))
    return f"{n(digits)} {one if k == 1 else many}"


def rows(text: str) -> str:
    """Row numbers as the note lists them ("1, 2, 3 …")."""
    return re.sub(r"\d+", lambda m: n(m.group(0)), text.replace(" ...", " …"))


def reason(code: str) -> str:
    return f"”{REASONS.get(code, code)}”"


def crs_label(label: str) -> str:
    return {"a SWEREF 99 local zone": "en lokal SWEREF 99-zon",
            "WGS84 lat/lon (EPSG:4326)": "WGS84 latitud/longitud (EPSG:4326)"}.get(label.strip(), label.strip())


def role_pairs(text: str) -> str:
    """``['x/y', 'lat/lon']`` as the Data page names these roles."""
    out = []
    for pair in LITERAL.findall(text):
        a, _, b = literal_text(pair).partition("/")
        out.append(f"{ROLE_LABELS_SV.get(a, a)}/{ROLE_LABELS_SV.get(b, b)}")
    return " och ".join(out)


def role(name: str) -> str:
    return f"”{ROLE_LABELS_SV.get(name, name)}”"


Render = Callable[[re.Match[str]], str]
#: (kind, pattern, Swedish text). Every pattern matches a whole note, prefix included.
RULES: list[tuple[str, re.Pattern[str], Render]] = []


def rule(kind: str, pattern: str, *, source: bool = True) -> Callable[[Render], Render]:
    """Register the Swedish text of one kind of note; ``source`` prefixes the file's name."""
    prefix = r"(?P<src>[^\n]*?): " if source else ""

    def register(render: Render) -> Render:
        def with_source(m: re.Match[str]) -> str:
            text = render(m)
            src = m.groupdict().get("src")
            return f"{src}: {text}" if src else text
        RULES.append((kind, re.compile(prefix + pattern, re.DOTALL), with_source))
        return render
    return register
