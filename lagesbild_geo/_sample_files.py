"""Incident files of Exempelkommun as two sources deliver them (private helper of
:mod:`lagesbild_geo.sample`): the police Excel export and the kommun CSV, each with
the truth about every row.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._sample_events import PUBLIC_PLACES, nearest_address
from ._sample_geo import SECOND_TOWN, Geography, to_sweref, to_wgs84
from .schema import fold

FIXED_ZIP_TIME = (2026, 1, 15, 8, 0, 0)
FIXED_ISO_TIME = "2026-01-15T08:00:00Z"

# Raw labels per canonical category: (label, weight, Brå-style code).
POLICE_LABELS: dict[str, list[tuple[str, float, str]]] = {
    "vald": [("Misshandel", .45, "0356"), ("Misshandel, grov", .08, "0373"),
             ("Olaga hot", .27, "0401"), ("Ofredande", .20, "0409")],
    "stold": [("Stöld", .5, "0801"), ("Snatteri", .35, "0860"), ("Fickstöld", .15, "0812")],
    "narkotika": [("Narkotikabrott, eget bruk", .7, "5011"), ("Narkotikabrott", .3, "5010")],
    "ran": [("Rån", 1.0, "9801")],
    "bostadsinbrott": [("Inbrott i bostad", 1.0, "0820")],
    "fordonsbrott": [("Tillgrepp av fortskaffningsmedel", .5, "0840"), ("Stöld ur bil", .5, "0842")],
    "skadegorelse": [("Skadegörelse", .7, "1201"), ("Klotter", .3, "1208")],
    "bedrageri": [("Bedrägeri", 1.0, "0901")],
    "vapen": [("Brott mot knivlagen", 1.0, "5813")],
    "ordning": [("Ordningsstörning", .5, "7101"), ("Förargelseväckande beteende", .5, "7102")],
}
KOMMUN_LABELS: dict[str, list[tuple[str, float]]] = {
    "skadegorelse": [("Skadegörelse", .45), ("Klotter", .30), ("Glaskross", .10),
                     ("Nedskräpning", .15)],
    "ordning": [("Ordningsstörning", 1.0)],
    "stold": [("Stöld", 1.0)],
    "brand": [("Brand i soptunna", 1.0)],
    "vald": [("Hot mot personal", 1.0)],
}

# --------------------------------------------------------------------------- helpers


def _labels(cats: np.ndarray, table: dict[str, list[Any]], rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray]:
    raw = np.empty(len(cats), dtype=object)
    code = np.empty(len(cats), dtype=object)
    for cat, opts in table.items():
        m = np.flatnonzero(cats == cat)
        if len(m) == 0:
            continue
        w = np.array([o[1] for o in opts])
        k = rng.choice(len(opts), size=len(m), p=w / w.sum())
        raw[m] = [opts[i][0] for i in k]
        code[m] = [opts[i][2] if len(opts[i]) > 2 else "" for i in k]
    return raw, code


def _addr_texts(a: pd.DataFrame) -> np.ndarray:
    return np.array([f"{g} {h}{b}" for g, h, b in
                     zip(a["gatunamn"], a["husnummer"], a["bokstav"], strict=True)], dtype=object)


def _latlon(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = to_wgs84(x, y)
    return np.round(lat, 6), np.round(lon, 6)


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _esc(v: str) -> str:
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sheet_xml(rows: list[list[Any]]) -> str:
    out = [_XML_HEAD, f'<worksheet xmlns="{_NS_MAIN}"><sheetData>']
    epoch = dt.date(1899, 12, 30)
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            ref = f"{_col(c)}{r}"
            if isinstance(v, dt.date):
                cells.append(f'<c r="{ref}" s="1"><v>{(v - epoch).days}</v></c>')
            elif isinstance(v, (int, np.integer)):
                cells.append(f'<c r="{ref}"><v>{int(v)}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(str(v))}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def write_xlsx(sheets: list[tuple[str, list[list[Any]]]], *, title: str) -> bytes:
    """A minimal, byte-deterministic xlsx (inline strings, dates as serials with a date style).

    openpyxl would stamp the current time into the package; this writer does not.
    """
    n = len(sheets)
    ct = (_XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.styles+xml"/>'
          + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="'
                    'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for i in range(n))
          + '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
          'package.core-properties+xml"/></Types>')
    rels = (_XML_HEAD + f'<Relationships xmlns="{_NS_PKG}">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            "</Relationships>")
    wb = (_XML_HEAD + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>'
          + "".join(f'<sheet name="{_esc(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                    for i, (name, _) in enumerate(sheets))
          + "</sheets></workbook>")
    wb_rels = (_XML_HEAD + f'<Relationships xmlns="{_NS_PKG}">'
               + "".join(f'<Relationship Id="rId{i + 1}" Type="{_NS_REL}/worksheet" '
                         f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(n))
               + f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>'
               "</Relationships>")
    styles = (_XML_HEAD + f'<styleSheet xmlns="{_NS_MAIN}">'
              '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
              '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill>'
              '<fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
              '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
              'borderId="0"/></cellStyleXfs><cellXfs count="2">'
              '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
              'applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
              '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
    core = (_XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_esc(title)}</dc:title><dc:creator>lagesbild_geo.sample</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_ISO_TIME}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_ISO_TIME}</dcterms:modified>'
            "</cp:coreProperties>")
    parts = [("[Content_Types].xml", ct), ("_rels/.rels", rels), ("docProps/core.xml", core),
             ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", wb_rels),
             ("xl/styles.xml", styles)]
    parts += [(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(rows))
              for i, (_, rows) in enumerate(sheets)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            z.writestr(info, text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED,
                       compresslevel=6)
    return out.getvalue()


# --------------------------------------------------------------------------- police


def police_file(ev: pd.DataFrame, geo: Geography, rng: np.random.Generator
                ) -> tuple[bytes, dict[str, Any], pd.DataFrame]:
    """The police Excel export, its truth entry and the located rows (for counts)."""
    p = ev[ev["source"] == "polis"].sort_values(["t", "order"], kind="stable")
    p = p.reset_index(drop=True)
    n = len(p)
    a = geo.addresses
    x = p["x"].to_numpy().copy()
    y = p["y"].to_numpy().copy()
    idx, dist = nearest_address(geo, x, y)
    texts = _addr_texts(a)
    street_postorter = a.groupby("gatunamn")["postort"].nunique().to_dict()
    addr = np.where(dist <= 80, texts[idx], "").astype(object)
    # Places near the point when no address is near.
    px = np.array([pl.x for pl in geo.places])
    py = np.array([pl.y for pl in geo.places])
    for ii in np.flatnonzero(addr == ""):
        dd = np.hypot(px - x[ii], py - y[ii])
        j = int(np.argmin(dd))
        if dd[j] <= 150:
            addr[ii] = geo.places[j].name
    e, nn = to_sweref(x, y)
    X = np.round(nn).astype(np.int64)
    Y = np.round(e).astype(np.int64)
    raw, code = _labels(p["category"].to_numpy(), POLICE_LABELS, rng)

    # Row roles: normal point rows, pending (address only) and broken rows.
    role = np.array(["point"] * n, dtype=object)
    eligible = np.flatnonzero(p["component"].str.startswith(("res_", "noise")).to_numpy())
    eligible = rng.permutation(eligible)
    plan = [("missing_date", 8), ("bad_date_feb31", 3), ("bad_date_okant", 3),
            ("zero_coords", 4), ("finland_coords", 2), ("ej_angivet", 5), ("nothing", 3)]
    pos = 0
    for name, k in plan:
        role[eligible[pos:pos + k]] = name
        pos += k
    near = [int(e) for e in eligible[pos:] if dist[e] <= 30]
    pend = np.array(near[:45], dtype=np.int64)
    role[pend] = "pending"

    ids = []
    seq = {2024: 10_000, 2025: 10_000}
    years = p["t"].dt.year.to_numpy()
    gaps = rng.integers(1, 9, n)
    for i in range(n):
        seq[int(years[i])] += int(gaps[i])
        ids.append(f"5000-K{seq[int(years[i])]:06d}-{int(years[i]) % 100:02d}")
    hh = p["t"].dt.hour.to_numpy()
    mm = p["t"].dt.minute.to_numpy()
    unpadded = rng.random(n) < 0.4
    klock = [f"{h}:{m:02d}" if (u and h < 10) else f"{h:02d}:{m:02d}"
             for h, m, u in zip(hh, mm, unpadded, strict=True)]
    dates = [d.date() for d in p["t"]]

    header = ["Diarienummer", "Brottsdatum", "Klockslag", "Brottskod", "Brottstyp", "Adress", "X",
              "Y"]
    sheet: list[list[Any]] = [
        ["Anmälda brott med brottsplats i Exempelkommun (kommunkod 9999)"],
        ["Uttag ur polisens ärendesystem 2026-01-15, brottsdatum 2024-01-01 – 2025-12-31, "
         "koordinater SWEREF 99 TM (X = nord, Y = öst)"],
        header,
    ]
    broken: list[dict[str, Any]] = []
    pending_rows: list[dict[str, Any]] = []
    reasons = {"missing_date": "missing time", "bad_date_feb31": "unparseable time",
               "bad_date_okant": "unparseable time", "zero_coords": "no location",
               "finland_coords": "outside Sweden", "ej_angivet": "unparseable coordinates",
               "nothing": "no location"}
    located = np.ones(n, dtype=bool)
    for i in range(n):
        r = role[i]
        row: list[Any] = [ids[i], dates[i], klock[i], code[i], raw[i], addr[i] or None,
                          int(X[i]), int(Y[i])]
        src_row = i + 4
        if r == "missing_date":
            row[1] = None
        elif r == "bad_date_feb31":
            row[1] = f"31/02/{dates[i].year}"
        elif r == "bad_date_okant":
            row[1] = "okänt"
        elif r == "zero_coords":
            row[5], row[6], row[7] = None, 0, 0
        elif r == "finland_coords":  # Oulu, Finland, in SWEREF 99 TM
            row[5], row[6], row[7] = None, 7250449 + int(rng.integers(-500, 500)), 991772
        elif r == "ej_angivet":
            row[5], row[6], row[7] = None, "ej angivet", "ej angivet"
        elif r == "nothing":
            row[5], row[6], row[7] = None, None, None
        elif r == "pending":
            j = int(idx[i])
            text = texts[j]
            if street_postorter[a["gatunamn"].iat[j]] > 1:
                text += f", {a['postort'].iat[j]}"
            row[5], row[6], row[7] = text, None, None
            ax, ay = float(a["x"].iloc[j]), float(a["y"].iloc[j])
            la, lo = _latlon(np.array([ax]), np.array([ay]))
            ee, en = to_sweref(np.array([ax]), np.array([ay]))
            pending_rows.append({"source_row": src_row, "raw": row[5], "lat": float(la[0]),
                                 "lon": float(lo[0]), "nord": int(en[0]), "ost": int(ee[0]),
                                 "category": str(p["category"].iloc[i])})
            x[i], y[i] = ax, ay
        if r in reasons:
            located[i] = False
            broken.append({"source_row": src_row, "reason": reasons[r], "what": r,
                           "raw": {"Brottsdatum": str(row[1]) if row[1] is not None else None,
                                   "X": None if row[6] is None else str(row[6]),
                                   "Y": None if row[7] is None else str(row[7])}})
        sheet.append(row)
    info: list[list[Any]] = [
        ["Fiktiva data för Exempelkommun, skapade av lagesbild_geo.sample."],
        ["Blad Brott: en rad per anmält brott; rubrikraden är rad 3."],
        ["X = nordlig koordinat, Y = östlig koordinat (SWEREF 99 TM, EPSG:3006)."],
        ["Klockslag anges som tt:mm."],
    ]
    data = write_xlsx([("Brott", sheet), ("Info", info)], title="Anmälda brott Exempelkommun")

    rej: dict[str, int] = {}
    for b in broken:
        rej[b["reason"]] = rej.get(b["reason"], 0) + 1
    n_pending = int((role == "pending").sum())
    n_point = int((role == "point").sum())
    truth = {
        "format": "xlsx", "sheet": "Brott", "header_row": 3, "first_data_row": 4,
        "columns": header, "crs": "EPSG:3006", "axes": "X = northing, Y = easting",
        "time": "Brottsdatum (Excel date) + Klockslag ('22:15', some unpadded '0:40')",
        "rows": n,
        "expected_read": {"rows_read": n, "placed": n_point, "pending": n_pending,
                          "rejected": len(broken), "by_precision": {"point": n_point},
                          "rejected_by_reason": dict(sorted(rej.items()))},
        "rejected_rows": broken,
        "pending_rows": pending_rows,
        "labels": {lab: {"code": c, "category": cat} for cat, opts in POLICE_LABELS.items()
                   for lab, _w, c in opts},
    }
    rows = pd.DataFrame({"source": "polis", "source_row": np.arange(n) + 4,
                         "component": p["component"].to_numpy(), "kind": p["kind"].to_numpy(),
                         "category": p["category"].to_numpy(), "t": p["t"].to_numpy(),
                         "x": x, "y": y, "located": located,
                         "precision": np.where(role == "pending", "address",
                                               np.where(located, "point", "none"))})
    return data, truth, rows


# --------------------------------------------------------------------------- kommun CSV

_FAKE_STREETS = ("Lingonstigen", "Kastanjegatan", "Fabriksgatan", "Hallonvägen", "Enebacken",
                 "Sjöbergsgatan", "Vinkelgatan", "Idrottsvägen")
_OTHER_TOWNS = (("Drottninggatan", "611 32", "Nyköping"), ("Kyrkogatan", "722 15", "Västerås"),
                ("Storgatan", "633 41", "Eskilstuna"), ("Stationsvägen", "152 42", "Södertälje"))
_FAKE_PLACES = ("Skateparken", "Fotbollsplanen", "Lekparken vid dammen", "Gamla bruket")


def _ascii(s: str) -> str:
    """The ASCII transliteration of å, ä, ö (aa, ae, oe) that systems without the letters
    write. (Stripping them, "Vastra", would make another name: the geocoder refuses that
    and offers the register's name instead.)"""
    return (s.replace("å", "aa").replace("ä", "ae").replace("ö", "oe")
            .replace("Å", "Aa").replace("Ä", "Ae").replace("Ö", "Oe"))


def _abbrev(name: str, rng: np.random.Generator) -> str | None:
    if name.startswith("Sankt "):
        return "S:t " + name[6:]
    if name.startswith("S:t "):
        return str(rng.choice(["Sankt ", "St "])) + name[4:]
    if name.endswith("gatan"):
        return name[:-5] + str(rng.choice(["g.", "g", "gt", "gt."]))
    if name.endswith("vägen"):
        return name[:-5] + str(rng.choice(["v.", "v", "vg", "vg."]))
    if name.endswith(" gata"):
        return name[:-5] + str(rng.choice([" g.", " gt"]))
    return None


def _typo(name: str, rng: np.random.Generator, taken: set[str]) -> str | None:
    stem_end = len(name) - 5 if name.endswith(("gatan", "vägen")) else len(name)
    if stem_end < 5:
        return None
    pos = int(rng.integers(1, stem_end - 1))
    if rng.random() < 0.5:
        out = name[:pos] + name[pos + 1:]
    else:
        if name[pos] == name[pos + 1] or " " in name[pos:pos + 2]:
            return None
        out = name[:pos] + name[pos + 1] + name[pos] + name[pos + 2:]
    return None if fold(out) in taken else out


def messy_address(rng: np.random.Generator, street: str, num: int, letter: str,
                  postnummer: str, postort: str, *, need_town: bool, taken: set[str]
                  ) -> tuple[str, list[str], bool]:
    """One messy rendering of a true address: (text, variant tags, town given)."""
    tags: list[str] = []
    name = street
    options = ["letter_space", "lower", "upper", "abbrev", "ascii", "typo", "lgh", "uppg",
               "town"]
    chosen: list[str] = []
    if rng.random() >= 0.3:
        k = 1 if rng.random() < 0.7 else 2
        chosen = list(rng.choice(options, size=k, replace=False))
    if need_town and "town" not in chosen:
        chosen.append("town")
    if "typo" in chosen:
        t = _typo(name, rng, taken)
        if t is not None:
            name = t
            tags.append("typo")
    if "abbrev" in chosen:
        ab = _abbrev(name, rng)
        if ab is not None and fold(ab) not in taken:
            name = ab
            tags.append("abbrev")
    if "ascii" in chosen and _ascii(name) != name:
        name = _ascii(name)
        tags.append("ascii")
    number = f"{num}{letter}"
    if letter and "letter_space" in chosen:
        number = f"{num} {letter}" if rng.random() < 0.6 else f"{num}{letter.lower()}"
        tags.append("letter_space")
    text = f"{name} {number}"
    if "lgh" in chosen:
        text += f" lgh {int(rng.integers(10, 14))}{int(rng.integers(1, 5)):02d}"
        tags.append("lgh")
    elif "uppg" in chosen and not letter:
        text += f" uppg. {rng.choice(['A', 'B'])}"
        tags.append("uppg")
    town = False
    if "town" in chosen:
        form = int(rng.integers(0, 4))
        if form == 0:
            text += f", {postnummer} {postort}"
        elif form == 1:
            text += f", {postort}"
        elif form == 2:
            text += f" {postnummer.replace(' ', '')} {postort.upper()}"
        else:
            text += f", {postnummer}"
        tags.append("town")
        town = True
    if "upper" in chosen:
        text = text.upper()
        tags.append("upper")
    elif "lower" in chosen:
        text = text.lower()
        tags.append("lower")
    if not tags:
        tags.append("clean")
    return text, tags, town


def _fmt_dec(v: float) -> str:
    return f"{v:.6f}".replace(".", ",")


def kommun_file(ev: pd.DataFrame, geo: Geography, rng: np.random.Generator
                ) -> tuple[bytes, dict[str, Any], pd.DataFrame]:
    """The kommun incident CSV (cp1252, ';', decimal comma), its truth and located rows."""
    k = ev[ev["source"] == "kommun"].sort_values(["t", "order"], kind="stable")
    k = k.reset_index(drop=True)
    n = len(k)
    a = geo.addresses
    x = k["x"].to_numpy().copy()
    y = k["y"].to_numpy().copy()
    comp = k["component"].to_numpy()
    addr = k["addr"].to_numpy().copy()
    places = {p.name: p for p in geo.places}
    idx, dist = nearest_address(geo, x, y)
    u = rng.random(n)
    mode = np.array(["coords"] * n, dtype=object)
    place_of = np.array([""] * n, dtype=object)
    share = {"hs_resecentrum": ("Resecentrum", .45), "hs_nattliv": ("Centrumtorget", .15),
             "hs_handelsplatsen": ("Handelsplatsen Väster", .3),
             "hs_solberga": ("Solberga centrum", .3)}
    pub = [p for p in geo.places if p.name in _public_names()]
    pubx = np.array([p.x for p in pub])
    puby = np.array([p.y for p in pub])
    for i in range(n):
        c = comp[i]
        if c == "measure_area":
            mode[i] = "coords"
        elif c in share and u[i] < share[c][1]:
            mode[i] = "place"
            place_of[i] = share[c][0]
        elif c == "public_places" and u[i] < 0.7:
            j = int(np.argmin(np.hypot(pubx - x[i], puby - y[i])))
            mode[i] = "place"
            place_of[i] = pub[j].name
        elif c.startswith("res_"):
            mode[i] = "address" if u[i] < 0.88 else "coords"
        elif u[i] >= 0.12 and dist[i] <= 60:
            mode[i] = "address"
            addr[i] = idx[i]
    # Special rows: district names only, nothing usable.
    res_addr = np.flatnonzero((mode == "address") & np.char.startswith(comp.astype(str), "res_"))
    res_addr = rng.permutation(res_addr)
    district_rows = res_addr[:25]
    nothing_rows = res_addr[25:50]
    mode[district_rows] = "district"
    mode[nothing_rows] = "nothing"
    # Not in the gazetteer: ~5 % of the address rows, ~5 % of place rows.
    addr_rows = np.flatnonzero(mode == "address")
    missing = rng.permutation(addr_rows)[: round(float(0.05 * len(addr_rows)))]
    miss_kind = np.array([""] * n, dtype=object)
    kinds = rng.choice(["number_out_of_range", "street_not_in_register", "other_town"],
                       size=len(missing), p=[.45, .35, .2])
    miss_kind[missing] = kinds
    place_rows = np.flatnonzero(mode == "place")
    fake_place = rng.permutation(place_rows)[: round(float(0.05 * len(place_rows)))]

    street_postorter: dict[str, set[str]] = {}
    for s, po in zip(a["gatunamn"], a["postort"], strict=True):
        street_postorter.setdefault(s, set()).add(po)
    max_num = a.groupby("gatunamn")["husnummer"].max().to_dict()
    key_postorter: dict[tuple[str, int, str], set[str]] = {}
    for s, h, b, po in zip(a["gatunamn"], a["husnummer"], a["bokstav"], a["postort"],
                           strict=True):
        key_postorter.setdefault((s, int(h), b), set()).add(po)
    taken = {fold(s) for s in street_postorter} | {fold(s) for s in _FAKE_STREETS}
    dcent: dict[str, tuple[float, float, str]] = {
        str(r["namn"]): (float(r["cx"]), float(r["cy"]), str(r["deso"]))
        for r in geo.districts.to_dict("records")}
    dnames = sorted(dcent)
    arec = a.to_dict("records")

    raw_cat, _ = _labels(k["category"].to_numpy(), KOMMUN_LABELS, rng)
    adress = np.array([""] * n, dtype=object)
    plats = np.array([""] * n, dtype=object)
    latc = np.array([""] * n, dtype=object)
    lonc = np.array([""] * n, dtype=object)
    precision = np.array(["none"] * n, dtype=object)
    address_truth: list[dict[str, Any]] = []
    place_truth: list[dict[str, Any]] = []
    fake_set = set(fake_place.tolist())
    for i in range(n):
        src_row = i + 2
        m = mode[i]
        if m == "coords":
            la, lo = _latlon(x[i:i + 1], y[i:i + 1])
            latc[i], lonc[i] = _fmt_dec(float(la[0])), _fmt_dec(float(lo[0]))
            precision[i] = "point"
        elif m == "address":
            j = int(addr[i])
            r = arec[j]
            x[i], y[i] = float(r["x"]), float(r["y"])
            la, lo = _latlon(x[i:i + 1], y[i:i + 1])
            ee, en = to_sweref(x[i:i + 1], y[i:i + 1])
            entry: dict[str, Any] = {
                "source_row": src_row, "in_gazetteer": True, "not_found_kind": None,
                "true_street": r["gatunamn"], "true_number": int(r["husnummer"]),
                "true_letter": r["bokstav"], "true_postnummer": r["postnummer"],
                "true_postort": r["postort"], "lat": float(la[0]), "lon": float(lo[0]),
                "nord": int(en[0]), "ost": int(ee[0]),
            }
            kind = miss_kind[i]
            shared = len(street_postorter[r["gatunamn"]]) > 1
            if kind == "":
                text, tags, town = messy_address(
                    rng, r["gatunamn"], int(r["husnummer"]), r["bokstav"], r["postnummer"], r["postort"],
                    need_town=shared and (r["postort"] == SECOND_TOWN or rng.random() < 0.5),
                    taken=taken)
                ambiguous = (not town) and len(
                    key_postorter[(r["gatunamn"], int(r["husnummer"]), r["bokstav"])]) > 1
                precision[i] = "address"
            else:
                entry["in_gazetteer"] = False
                entry["not_found_kind"] = kind
                ambiguous = False
                precision[i] = "none"
                if kind == "number_out_of_range":
                    num = int(max_num[r["gatunamn"]]) + int(rng.integers(15, 60))
                    entry["true_number"], entry["true_letter"] = num, ""
                    text = f"{r['gatunamn']} {num}"
                    if shared:
                        text += f", {r['postort']}"
                    tags = ["number_out_of_range"]
                elif kind == "street_not_in_register":
                    st = str(rng.choice(_FAKE_STREETS))
                    num = int(rng.integers(1, 30))
                    entry.update(true_street=st, true_number=num, true_letter="")
                    text = f"{st} {num}"
                    tags = ["street_not_in_register"]
                else:
                    st, pn, town_name = _OTHER_TOWNS[int(rng.integers(0, len(_OTHER_TOWNS)))]
                    num = int(rng.integers(1, 40))
                    entry.update(true_street=st, true_number=num, true_letter="",
                                 true_postnummer=pn, true_postort=town_name, lat=None,
                                 lon=None, nord=None, ost=None)
                    text = f"{st} {num}, {pn} {town_name}"
                    tags = ["other_town"]
            entry["raw"] = text
            entry["variants"] = tags
            entry["ambiguous"] = bool(ambiguous)
            adress[i] = text
            address_truth.append(entry)
        elif m == "place":
            name = place_of[i]
            if i in fake_set:
                fake = str(rng.choice(_FAKE_PLACES))
                plats[i] = fake
                la, lo = _latlon(x[i:i + 1], y[i:i + 1])
                place_truth.append({"source_row": src_row, "raw": fake, "kind": "place",
                                    "in_gazetteer": False, "true_name": fake,
                                    "lat": float(la[0]), "lon": float(lo[0]), "deso": None})
                precision[i] = "none"
            else:
                pl = places[name]
                x[i], y[i] = pl.x, pl.y
                v = rng.random()
                text = (name.lower() if v < 0.2 else name.upper() if v < 0.3
                        else f" {name} " if v < 0.35 else name)
                plats[i] = text
                la, lo = _latlon(x[i:i + 1], y[i:i + 1])
                place_truth.append({"source_row": src_row, "raw": text, "kind": "place",
                                    "in_gazetteer": True, "true_name": name,
                                    "lat": float(la[0]), "lon": float(lo[0]), "deso": None})
                precision[i] = "place"
        elif m == "district":
            dname = dnames[int(rng.integers(0, len(dnames)))]
            cx, cy, code = dcent[dname]
            x[i], y[i] = cx, cy
            text = dname.lower() if rng.random() < 0.3 else dname
            plats[i] = text
            la, lo = _latlon(x[i:i + 1], y[i:i + 1])
            place_truth.append({"source_row": src_row, "raw": text, "kind": "district",
                                "in_gazetteer": False, "true_name": dname, "lat": float(la[0]),
                                "lon": float(lo[0]), "deso": code})
            precision[i] = "area"

    header = ["Ärendenummer", "Datum", "Tid", "Kategori", "Adress", "Plats", "Lat", "Long"]
    lines = [";".join(header)]
    seq = {2024: 0, 2025: 0}
    years = k["t"].dt.year.to_numpy()
    datum = k["t"].dt.strftime("%Y-%m-%d").to_numpy()
    tid = k["t"].dt.strftime("%H:%M").to_numpy()
    for i in range(n):
        yr = int(years[i])
        seq[yr] += 1
        cells = [f"TR-{yr}-{seq[yr]:05d}", datum[i], tid[i], raw_cat[i], adress[i], plats[i],
                 latc[i], lonc[i]]
        lines.append(";".join(cells))
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")

    n_point = int((mode == "coords").sum())
    n_pending = int(np.isin(mode, ["address", "place", "district"]).sum())
    n_nothing = int((mode == "nothing").sum())
    in_gaz = [e for e in address_truth if e["in_gazetteer"]]
    nf: dict[str, int] = {}
    for e in address_truth:
        if not e["in_gazetteer"]:
            nf[e["not_found_kind"]] = nf.get(e["not_found_kind"], 0) + 1
    truth = {
        "format": "csv", "encoding": "cp1252", "delimiter": ";", "decimal": ",",
        "line_terminator": "\\r\\n", "header_row": 1, "first_data_row": 2, "columns": header,
        "crs": "EPSG:4326", "time": "Datum (ISO date) + Tid ('22:15')",
        "rows": n,
        "expected_read": {"rows_read": n, "placed": n_point, "pending": n_pending,
                          "rejected": n_nothing, "by_precision": {"point": n_point},
                          "rejected_by_reason": {"no location": n_nothing} if n_nothing else {}},
        "expected_geocode": {
            "address_rows": len(address_truth), "address_rows_in_gazetteer": len(in_gaz),
            "address_rows_ambiguous": sum(1 for e in in_gaz if e["ambiguous"]),
            "address_rows_not_in_gazetteer": dict(sorted(nf.items())),
            "place_rows": sum(1 for e in place_truth if e["kind"] == "place"),
            "place_rows_in_gazetteer": sum(1 for e in place_truth
                                           if e["kind"] == "place" and e["in_gazetteer"]),
            "district_rows": sum(1 for e in place_truth if e["kind"] == "district"),
        },
        "no_location_rows": [int(i) + 2 for i in sorted(nothing_rows)],
        "address_rows": address_truth,
        "place_rows": place_truth,
        "labels": {lab: cat for cat, opts in KOMMUN_LABELS.items() for lab, _w in opts},
    }
    rows = pd.DataFrame({"source": "kommun", "source_row": np.arange(n) + 2,
                         "component": comp, "kind": k["kind"].to_numpy(),
                         "category": k["category"].to_numpy(), "t": k["t"].to_numpy(),
                         "x": x, "y": y, "located": precision != "none",
                         "precision": precision})
    return data, truth, rows


def _public_names() -> tuple[str, ...]:
    return PUBLIC_PLACES


def in_polygon(rows: pd.DataFrame, poly: shapely.Geometry) -> np.ndarray:
    return np.asarray(shapely.contains_xy(poly, rows["x"].to_numpy(), rows["y"].to_numpy()))


__all__ = ["kommun_file", "messy_address", "police_file", "write_xlsx"]
