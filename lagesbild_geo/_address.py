"""Swedish address normalisation for offline geocoding (private helpers).

The public entry points live in :mod:`lagesbild_geo.geocode`; this module only
turns text into comparable keys. Nothing here knows a gazetteer.

Keys are *folded* as place names are (:mod:`lagesbild_geo.names`): lower case,
punctuation and spacing folded, **å, ä and ö kept** (Vårbergsvägen is not
Varbergsvägen), other accents dropped (é → e); and *compact* (letters and digits,
no spaces), so "Stor gatan", "STORGATAN" and "Storgatan" share one key. The
address vocabulary (vägen, södra, lägenhet …) is also recognised in ASCII
("vagen", "sodra", "lagenhet"): that is the words around a name, not the name.
The original text is never changed; keys are extra columns.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "GENERIC_SUFFIXES",
    "ParsedAddress",
    "compact",
    "fold_words",
    "normalize_address",
    "parse_address",
    "split_suffix",
    "street_alternatives",
]

_TRANSLATE = str.maketrans({"ß": "ss", "\u00a0": " ", "\u2013": "-", "\u2014": "-", "\u2212": "-",
                            "\u2010": "-", "\u2011": "-"})
#: The letters of keys: a–z and the letters kept by the identity rule.
_L = "a-zåäöüæø"
_KEEP = frozenset("åäöüæø")


@functools.lru_cache(maxsize=4096)
def _plain(ch: str) -> str:
    """A letter without the accents Swedish treats as marks (é → e); å, ä, ö, ü, æ, ø kept."""
    if ch.isascii() or ch in _KEEP:
        return ch
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", base)


def fold_words(text: object) -> str:
    """Fold text to lower-case words separated by single spaces, **å, ä and ö kept**.

    Unlike :func:`lagesbild_geo.schema.fold` this keeps ``:`` and ``.``, which the
    address parser needs ("S:t", "Storg."), and the Swedish letters (a street
    name's identity: Vårbergsvägen is not Varbergsvägen); other accents go (é → e).

    Examples
    --------
    >>> fold_words("  Skolvägen  12 B ")
    'skolvägen 12 b'
    >>> fold_words("Linnégatan"), fold_words("ÅSVÄGEN")
    ('linnegatan', 'åsvägen')
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    s = str(text)
    if not s or s == "<NA>":
        return ""
    s = unicodedata.normalize("NFC", s).lower().translate(_TRANSLATE)
    if not s.isascii():
        s = "".join(_plain(ch) for ch in s)
    s = _NOT_KEPT.sub(" ", s)
    return " ".join(s.split())


_NOT_KEPT = re.compile(f"[^0-9{_L}:.,/&-]+")
_NOT_ALNUM = re.compile(f"[^0-9{_L}]+")


def compact(text: object) -> str:
    """Compact key of a name: folded, only letters and digits.

    Examples
    --------
    >>> compact("S:t Eriks-gatan"), compact("Vårbergs vägen")
    ('steriksgatan', 'vårbergsvägen')
    """
    return _NOT_ALNUM.sub("", fold_words(text))


# --- abbreviations ---------------------------------------------------------------
# Deterministic expansions (applied by normalisation itself). Order matters.
_COLON_ABBREV = (
    (re.compile(r"\bs:ta\b"), "sankta "),
    (re.compile(r"\bs:t\b"), "sankt "),
    (re.compile(r"\bst:a\b"), "stora "),
    (re.compile(r"\b(?:s|sö):a\b"), "södra "),
    (re.compile(r"\bn:a\b"), "norra "),
    (re.compile(r"\b(?:v|vä):a\b"), "västra "),
    (re.compile(r"\b(?:o|ö):a\b"), "östra "),
    (re.compile(r"\bl:a\b"), "lilla "),
    (re.compile(r"\bg:la\b"), "gamla "),
)
# A street-type abbreviation glued to a word: "storg." "storgt" "stationsv." "stationsvg".
# The "vg" rule runs first: "Stationsvg." must not read as "Stationsv" + "g.".
_VG = re.compile(f"([{_L}]{{2,}})vg\\.?(?![{_L}])")
_SUFFIX_ABBREV = (
    (_VG, r"\1vägen "),
    (re.compile(f"([{_L}]{{2,}})v\\.(?![{_L}])"), r"\1vägen "),
    (re.compile(f"([{_L}]{{2,}})(?:gt\\.?|g\\.)(?![{_L}])"), r"\1gatan "),
)
# "Lövg." is Lö-vägen or Löv-gatan: the second reading, tried against the register.
_SUFFIX_ABBREV_GATAN = ((_VG, r"\1vgatan "), *_SUFFIX_ABBREV[1:])
# A street-type abbreviation as a word of its own: "Stor gt 5".
_WORD_ABBREV = {"gt": "gatan", "vg": "vägen"}
# House-number ranges and lists: "12-14", "12 - 14", "12/14" -> "12".
_RANGE = re.compile(r"(\d+)\s*[-/&]\s*\d+")
#: A minus sign stuck to the first number ("Almvägen -5"): not a house number.
_NEGATIVE = re.compile(r"(?:^|\s)-(\d+)")
_TOKEN = re.compile(f"\\d+|[{_L}]+|,")

#: Street-name endings, longest first, used to compare the distinctive part of a name.
GENERIC_SUFFIXES: tuple[str, ...] = (
    "platsen", "stigen", "gatan", "vägen", "vagen", "gränd", "grand", "torget", "backen",
    "allen", "leden", "parken", "gärdet", "gardet", "slingan", "gången", "gangen", "kajen",
    "plan", "gata", "stig", "torg", "alle", "väg", "vag", "led", "park", "backe", "gång", "gang",
)

# Ambiguous abbreviations: expansions tried in order against the register.
_PREFIX_ALT: dict[str, tuple[str, ...]] = {
    "st": ("sankt", "stora"),
    "s": ("södra", "sankt"),
    "n": ("norra",),
    "v": ("västra",),
    "o": ("östra",),
    "ö": ("östra",),
    "l": ("lilla",),
    "g": ("gamla",),
    "gla": ("gamla",),
    "sö": ("södra",),
    "no": ("norra",),
    "vä": ("västra",),
}
_SUFFIX_ALT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gatan", ("gata",)),
    ("gata", ("gatan",)),
    ("vägen", ("väg",)),
    ("väg", ("vägen",)),
    ("plan", ("platsen",)),
    ("torget", ("torg",)),
    ("torg", ("torget",)),
    ("stig", ("stigen",)),
    ("pl", ("platsen", "plan")),
    ("gr", ("gränd",)),
    ("gat", ("gatan",)),
    ("g", ("gatan",)),
    ("v", ("vägen",)),
)

# Tokens after the house number that say where *in* the building (dropped):
# lägenhet, uppgång, trappor, våning, port, ingång, nedre botten, bottenvåning.
# (Vocabulary, not names: the ASCII spellings are recognised too.)
_TAKES_NEXT = frozenset({"lgh", "lägenhet", "lagenhet", "uppg", "uppgång", "uppgang", "port",
                         "ingång", "ingang", "våning", "vaning", "vån", "van"})
_DROP = frozenset({"nb", "bv", "tr", "trappor", "trappa", "trp", "bottenvåning", "bottenvaning",
                   "vind", "källare", "kallare", "nedre", "botten", "övre", "ovre", "lgh", "lägenhet",
                   "lagenhet", "co", "c", "o"})


# Words before a place name that say where *near* it something happened (dropped when a
# name follows): "utanför ICA", "vid busshållplatsen", "strax norr om torget".
_LOCATIVE = frozenset({"utanför", "utanfor", "vid", "framför", "framfor", "bakom", "nära", "nara",
                       "intill", "invid", "mittemot", "nedanför", "nedanfor", "ovanför", "ovanfor",
                       "innanför", "innanfor", "bredvid", "strax", "utmed", "längs", "langs", "norr",
                       "söder", "soder", "öster", "oster", "väster", "vaster", "om", "i", "på", "pa",
                       "höjd", "hojd", "med"})
_NUMBER_WORDS = frozenset({"nr", "nummer", "no"})


class ParsedAddress(NamedTuple):
    """An address broken into comparable parts (all folded).

    ``street`` is the street or place name as folded words; ``number`` is 0
    when the text carries no house number; ``town_explicit`` says the town came
    after a comma or a postcode (so it surely is a town, not a stray word);
    ``alt_street`` is a second reading of an ambiguous abbreviation ("Lövg." is
    Lövägen in ``street`` and Lövgatan here), "" when there is none.
    """

    street: str
    number: int
    letter: str
    postcode: str
    town: str
    town_explicit: bool
    alt_street: str = ""


_UPPG = re.compile(r"\buppg\.")


def _expand(s: str, *, gatan_reading: bool = False) -> str:
    if "uppg." in s:  # "uppg. A" (entrance) must not read as an abbreviated "...gatan"
        s = _UPPG.sub("uppg ", s)
    if ":" in s:
        for rx, rep in _COLON_ABBREV:
            s = rx.sub(rep, s)
    if "g." in s or "gt" in s or "v." in s or "vg" in s:
        for rx, rep in _SUFFIX_ABBREV_GATAN if gatan_reading else _SUFFIX_ABBREV:
            s = rx.sub(rep, s)
    return s


def parse_address(text: object) -> ParsedAddress:
    """Split an address or place text into street, house number, letter, postcode, town.

    Entrances, apartments and floors ("lgh 1102", "uppg. A", "1 tr", "nb") are
    dropped; "12-14" keeps the first number; "12b" and "12 B" give number 12,
    letter "b"; "645 30" and "64530" give postcode "64530".

    Examples
    --------
    >>> parse_address("STORGATAN 12B lgh 1102, 645 30 Exempelstad")
    ParsedAddress(street='storgatan', number=12, letter='b', postcode='64530', town='exempelstad', town_explicit=True, alt_street='')
    >>> parse_address("Stationsv. 3").street
    'stationsvägen'
    >>> parse_address("Lövg. 3")[::6]
    ('lövägen', 'lövgatan')
    """
    if isinstance(text, str):
        # Fast path for the common "Street 12" / "Street 12b" (same result as the full parse).
        m = _SIMPLE.match(text)
        if m is not None:
            street, alt = _street_of_head(m.group(1))
            if street:
                return ParsedAddress(street, int(m.group(2)), (m.group(3) or "").lower(), "", "",
                                     False, alt)
    return _parse_full(text)


_SIMPLE = re.compile(r"\s*([^\d,]*?[^\d,\s])(?:\s+(?:[Nn][Rr]|[Nn]ummer|[Nn][Oo])\.?)?\s+(\d{1,4})\s*([A-Za-z])?\s*$")


@functools.lru_cache(maxsize=65536)
def _street_of_head(head: str) -> tuple[str, str]:
    """Folded street (and second reading) of a text without digits or commas
    (("", "") if it is not a plain street)."""
    p = _parse_full(head)
    return (p.street, p.alt_street) if not (p.number or p.town or p.postcode) else ("", "")


def _parse_full(text: object) -> ParsedAddress:
    s = fold_words(text)
    if not s:
        return ParsedAddress("", 0, "", "", "", False)
    p = _parse_folded(s, gatan_reading=False)
    if "vg" in s and _VG.search(s):
        alt = _parse_folded(s, gatan_reading=True).street
        if alt != p.street:
            p = p._replace(alt_street=alt)
    return p


def _parse_folded(s: str, *, gatan_reading: bool) -> ParsedAddress:
    s = _expand(s, gatan_reading=gatan_reading)
    negative = False
    if "-" in s or "/" in s or "&" in s:
        s = _RANGE.sub(r"\1", s)
        first = re.search(r"\d", s)
        neg = _NEGATIVE.search(s)
        negative = neg is not None and first is not None and neg.start(1) == first.start()
    tokens = _TOKEN.findall(s.replace(".", " ").replace(":", " "))
    n = len(tokens)
    i = 0
    street: list[str] = []
    while i < n and not tokens[i].isdigit() and tokens[i] != ",":
        street.append(tokens[i])
        i += 1
    if len(street) >= 2 and street[-1] in _NUMBER_WORDS and i < n and tokens[i].isdigit():
        street.pop()  # "Storgatan nr 12"
    # "utanför ICA Maxi", "vid Biblioteket", "strax utanför Centrumtorget": the place is the rest
    while len(street) >= 2 and street[0] in _LOCATIVE:
        street.pop(0)
    number = 0
    letter = ""
    seen_comma = False
    if negative and i < n and tokens[i].isdigit() and street:
        i += 1  # "-5" is no house number: the street without one (never "Almvägen 5")
    elif i < n and tokens[i].isdigit() and street:
        tok = tokens[i]
        # House numbers have at most 4 digits; "64530" right after the street is a postcode.
        if len(tok.lstrip("0")) <= 4:
            number = int(tok)
            i += 1
            if i < n and len(tokens[i]) == 1 and tokens[i].isalpha():
                letter = tokens[i]
                i += 1
    postcode = ""
    town: list[str] = []
    town_explicit = False
    while i < n:
        tok = tokens[i]
        if tok == ",":
            seen_comma = True
            i += 1
            continue
        if tok.isdigit():
            nxt = tokens[i + 1] if i + 1 < n else ""
            if len(tok) == 5 and tok[0] != "0":
                postcode = tok
                town_explicit = True
                i += 1
                continue
            if len(tok) == 3 and tok[0] != "0" and len(nxt) == 2 and nxt.isdigit():
                postcode = tok + nxt
                town_explicit = True
                i += 2
                continue
            if nxt in _DROP:  # "1 tr"
                i += 2
                continue
            i += 1
            continue
        if tok in _TAKES_NEXT:
            i += 2 if i + 1 < n and tokens[i + 1] != "," else 1
            continue
        if tok in _DROP or len(tok) == 1:
            i += 1
            continue
        if seen_comma:
            town_explicit = True
        town.append(tok)
        i += 1
    if not street and town:  # e.g. ", Exempelstad" alone: the text is a name
        street, town = town, []
        town_explicit = False
    street = [_WORD_ABBREV.get(w, w) for w in street]
    return ParsedAddress(" ".join(street), number, letter, postcode, " ".join(town), town_explicit)


def normalize_address(text: object) -> str:
    """Canonical folded form of an address: ``"street number letter, postcode town"``.

    Normalising twice gives the same result as normalising once.

    Examples
    --------
    >>> normalize_address("Storg. 12 B, 645 30  EXEMPELSTAD")
    'storgatan 12 b, 64530 exempelstad'
    >>> normalize_address("S:t Eriks väg 3 lgh 1102")
    'sankt eriks väg 3'
    """
    out = _normalized(text)
    for _ in range(3):  # a form read again differently ("0 på 0 å": no street, a town "pa aa" that
        again = _normalized(out)  # reads as "på aa" the next time) settles within a pass or two
        if again == out:
            break
        out = again
    return out


def _normalized(text: object) -> str:
    p = parse_address(text)
    head = p.street
    if p.number:
        head = f"{head} {p.number}" + (f" {p.letter}" if p.letter else "")
    tail = " ".join(x for x in (p.postcode, p.town) if x)
    return f"{head}, {tail}" if tail and head else (head or tail)


def split_suffix(key: str) -> tuple[str, str]:
    """Split a compact street key into (distinctive stem, generic suffix).

    Examples
    --------
    >>> split_suffix("stationsvagen")
    ('stations', 'vagen')
    """
    for suf in GENERIC_SUFFIXES:
        if key.endswith(suf) and len(key) > len(suf):
            return key[: -len(suf)], suf
    return key, ""


def street_alternatives(street: str, *, exact_only: bool = True) -> tuple[str, ...]:
    """Compact keys to try for a folded street name, most literal first.

    Ambiguous abbreviations ("St." = Sankt or Stora, "pl" = platsen or plan,
    a bare "g"/"v" ending) and ASCII transliterations ("ae" for ä) give several keys;
    the matcher takes the first one the register knows. ``exact_only`` is kept
    for readings too speculative for fuzzy matching (none today).

    Examples
    --------
    >>> street_alternatives("st eriksgatan")
    ('steriksgatan', 'sankteriksgatan', 'storaeriksgatan', 'steriksgata', 'sankteriksgata', 'storaeriksgata')
    """
    words = street.split()
    if not words:
        return ()
    out = list(_alternatives(words))
    if any(t in street for t in ("ae", "oe", "aa")):
        # the ASCII transliteration of the letters (ae = ä, oe = ö, aa = å), word by word:
        # a spelling of å/ä/ö, not a folding of them away
        spelt = [w.replace("ae", "ä").replace("oe", "ö").replace("aa", "å") for w in words]
        out.extend(_alternatives(spelt))
    seen: dict[str, None] = {}
    for o in out:
        if o:
            seen.setdefault(o, None)
    return tuple(seen)


def _alternatives(words: list[str]) -> list[str]:
    heads: tuple[str, ...] = (words[0],)
    if len(words) > 1:
        heads += _PREFIX_ALT.get(words[0], ())
    base_rest = "".join(words[1:])
    out = [head + base_rest for head in heads]
    tail_alts: list[str] = []
    last = out[0]
    for suf, alts in _SUFFIX_ALT:
        if last.endswith(suf) and len(last) > len(suf) + 1:
            for alt in alts:
                tail_alts.extend(o[: -len(suf)] + alt for o in out)
            break
    out.extend(tail_alts)
    return out
