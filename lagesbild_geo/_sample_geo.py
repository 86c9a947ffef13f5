"""Geography of the fictional Exempelkommun (private helper of :mod:`lagesbild_geo.sample`).

Everything is built in local metres (x east, y north) around a fixed origin in
SWEREF 99 TM and converted to WGS84 only when written. Streets are polylines;
address points sit 10 m to the left (odd numbers) and right (even numbers) of
a street, numbered upwards from the street's first vertex.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon

# SWEREF 99 TM origin of the local grid (≈ 59.375 N, 17.125 E).
ORIGIN_E = 620_700.0
ORIGIN_N = 6_583_700.0

KOMMUN_CODE = "9999"
KOMMUN_NAME = "Exempelkommun"
MAIN_TOWN = "Exempelstad"
SECOND_TOWN = "Norrby"

# Town centres in local metres.
C = np.array([-1500.0, -1000.0])  # Exempelstad, Storgatan at the Centrumtorget
N = np.array([4500.0, 3800.0])  # Norrby

_TO_WGS = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


def to_sweref(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres → SWEREF 99 TM (easting, northing)."""
    return np.asarray(x, dtype=float) + ORIGIN_E, np.asarray(y, dtype=float) + ORIGIN_N


def to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres → WGS84 (lon, lat), arrays."""
    e, n = to_sweref(x, y)
    lon, lat = _TO_WGS.transform(e, n)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def ring_to_lonlat(coords: np.ndarray) -> list[list[float]]:
    """A ring of local coordinates → GeoJSON ``[[lon, lat], ...]`` rounded to 6 decimals."""
    lon, lat = to_wgs84(coords[:, 0], coords[:, 1])
    return [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]


def polygon_to_geojson(poly: Polygon) -> dict[str, object]:
    """A local-metre polygon → a GeoJSON Polygon geometry (WGS84, outer ring counter-clockwise)."""
    poly = shapely.geometry.polygon.orient(poly, sign=1.0)
    rings = [ring_to_lonlat(np.asarray(poly.exterior.coords))]
    rings += [ring_to_lonlat(np.asarray(r.coords)) for r in poly.interiors]
    return {"type": "Polygon", "coordinates": rings}


@dataclass(frozen=True)
class Street:
    name: str
    postort: str
    postnummer: str
    line: LineString
    spacing: float
    letter_share: float = 0.0
    sides: str = "both"  # both | left | right


@dataclass(frozen=True)
class Place:
    name: str
    postort: str
    postnummer: str
    x: float
    y: float


@dataclass(frozen=True)
class Geography:
    boundary: Polygon
    streets: tuple[Street, ...]
    places: tuple[Place, ...]
    addresses: pd.DataFrame  # gatunamn, husnummer, bokstav, postnummer, postort, x, y, street_idx
    districts: pd.DataFrame  # deso, namn, typ, befolkning, geometry (local Polygon), cx, cy
    measure_area: Polygon
    perceived_only: Polygon
    background_districts: tuple[str, ...]


def _rel(p: tuple[float, float], base: np.ndarray = C) -> tuple[float, float]:
    return (float(base[0] + p[0]), float(base[1] + p[1]))


def _line(*pts: tuple[float, float], base: np.ndarray = C) -> LineString:
    return LineString([_rel(p, base) for p in pts])


def _arc(cx: float, cy: float, r: float, a0: float, a1: float, n: int = 24,
         base: np.ndarray = C) -> LineString:
    a = np.radians(np.linspace(a0, a1, n))
    return LineString([_rel((cx + r * np.cos(t), cy + r * np.sin(t)), base) for t in a])


def _grid_streets(names: list[str], centre: tuple[float, float], angle: float, length: float,
                  gap: float, postort: str, postnummer: str, spacing: float,
                  base: np.ndarray = C) -> list[Street]:
    """Parallel residential streets centred on ``centre`` rotated by ``angle`` degrees."""
    out = []
    t = np.radians(angle)
    ux, uy = np.cos(t), np.sin(t)
    vx, vy = -uy, ux
    k = len(names)
    for i, name in enumerate(names):
        off = (i - (k - 1) / 2) * gap
        cx, cy = centre[0] + vx * off, centre[1] + vy * off
        p0 = (cx - ux * length / 2, cy - uy * length / 2)
        p1 = (cx + ux * length / 2, cy + uy * length / 2)
        out.append(Street(name, postort, postnummer, _line(p0, p1, base=base), spacing))
    return out


def _boundary(rng: np.random.Generator) -> Polygon:
    th = np.radians(np.arange(0, 360, 4.0))
    noise = np.zeros_like(th)
    for k, amp in ((2, 0.035), (3, 0.03), (5, 0.02), (7, 0.012)):
        noise += amp * np.sin(k * th + rng.uniform(0, 2 * np.pi))
    a, b = 9650.0, 7300.0
    r = a * b / np.sqrt((b * np.cos(th)) ** 2 + (a * np.sin(th)) ** 2) * (1 + noise)
    xs = np.round(r * np.cos(th))
    ys = np.round(r * np.sin(th))
    return Polygon(np.column_stack([xs, ys]))


def _streets() -> list[Street]:
    ex, no = MAIN_TOWN, SECOND_TOWN
    s: list[Street] = []
    # Exempelstad centre: a grid of E-W and N-S streets around Storgatan.
    s += [
        Street("Storgatan", ex, "645 30", _line((-700, 0), (700, 0)), 16, 0.12),
        Street("Kyrkogatan", ex, "645 30", _line((-600, 150), (600, 150)), 18, 0.08),
        Street("Drottninggatan", ex, "645 30", _line((-600, -150), (600, -150)), 18, 0.08),
        Street("Norra Långgatan", ex, "645 32", _line((-600, 300), (600, 300)), 20, 0.05),
        Street("Södra Långgatan", ex, "645 31", _line((-600, -300), (600, -300)), 20, 0.05),
        Street("S:t Persgatan", ex, "645 30", _line((-600, -300), (-600, 300)), 20, 0.05),
        Street("Sankt Olofs gata", ex, "645 30", _line((-300, -300), (-300, 300)), 18, 0.08),
        Street("Skolgatan", ex, "645 30", _line((300, -300), (300, 300)), 18, 0.05),
        Street("Nygatan", ex, "645 30", _line((600, -300), (600, 300)), 20, 0.05),
        Street("Stationsvägen", ex, "645 31",
               _line((-60, -300), (-60, -430), (900, -430)), 22, 0.05),
        Street("Östra Ringvägen", ex, "645 36", _arc(0, 0, 950, -55, 80), 24, 0.0),
        Street("Västra Ringvägen", ex, "645 37", _arc(0, 0, 950, 100, 235), 24, 0.0),
        # Södermalm, south of the railway.
        Street("Parkvägen", ex, "645 31", _line((0, -800), (950, -800)), 22, 0.05),
        Street("Hamngatan", ex, "645 31", _line((0, -980), (950, -980)), 22, 0.05),
        Street("Mjölnargatan", ex, "645 31", _line((150, -800), (150, -1250)), 22),
        Street("Bryggargatan", ex, "645 31", _line((750, -800), (750, -1250)), 22),
    ]
    # Suburbs.
    s += _grid_streets(["Kyrkbacksvägen", "Klockarvägen", "Prästvägen"], (0, 780), 8, 700,
                       140, ex, "645 32", 24)
    s += _grid_streets(["Björkvägen", "Lönnvägen", "Almvägen", "Aspvägen", "Hasselvägen"],
                       (1900, 950), 25, 800, 130, ex, "645 33", 22)
    s += _grid_streets(["Ekvägen", "Åsvägen", "Ängsvägen", "Lärkvägen", "Tallvägen"],
                       (-1400, 1250), -15, 750, 130, ex, "645 34", 22)
    s += _grid_streets(["Solbergavägen", "Örnvägen", "Tranvägen", "Svanvägen", "Måsvägen"],
                       (400, -1950), 5, 800, 130, ex, "645 35", 20)
    s += _grid_streets(["Östergatan", "Blåbärsvägen", "Hjortronvägen"], (1450, -150), 80, 600,
                       150, ex, "645 36", 22)
    s += _grid_streets(["Västergatan", "Smedsgatan", "Repslagargatan"], (-1150, -100), 95, 600,
                       150, ex, "645 37", 22)
    s += _grid_streets(["Ängbyvägen", "Hagvägen", "Gärdesvägen", "Sälgvägen"], (-1250, -1500),
                       -30, 650, 130, ex, "645 38", 22)
    s += _grid_streets(["Hagalundsvägen", "Rönnvägen", "Vallmovägen"], (1600, 1900), 15, 600,
                       140, ex, "645 39", 24)
    s += [
        Street("Handelsvägen", ex, "645 40", _line((-2300, -650), (-1500, -650)), 55),
        Street("Industrivägen", ex, "645 40", _line((-3600, -300), (-2200, -300)), 70),
        Street("Verkstadsgatan", ex, "645 40", _line((-3300, -700), (-3300, 100)), 70),
        Street("Smedjegatan", ex, "645 40", _line((-2800, -700), (-2800, 100)), 70),
    ]
    # Norrby: shares Storgatan and Skolgatan with Exempelstad.
    s += [
        Street("Storgatan", no, "645 91", _line((-450, 0), (450, 0), base=N), 18, 0.08),
        Street("Skolgatan", no, "645 91", _line((0, -350), (0, 350), base=N), 20, 0.05),
        Street("Kyrkvägen", no, "645 91", _line((-450, 160), (450, 160), base=N), 22),
        Street("Kvarnvägen", no, "645 91", _line((-450, -170), (450, -170), base=N), 22),
        Street("Bäckvägen", no, "645 91", _line((-350, -350), (-350, 350), base=N), 24),
        Street("Prästgårdsvägen", no, "645 91", _line((350, -350), (350, 400), base=N), 24),
    ]
    # Rural roads and villages (absolute local metres: base = origin).
    o = np.array([0.0, 0.0])
    s += [
        Street("Norrbyvägen", ex, "645 92", _line((-700, 300), (1500, 1700), (3400, 2800), base=o),
               160),
        Street("Norrbyvägen", no, "645 93", _line((3400, 2800), (4000, 3500), base=o), 60),
        Street("Gamla Landsvägen", ex, "645 92",
               _line((-8600, -2600), (-6500, -2300), (-4000, -1200), base=o), 170),
        Street("Byvägen", ex, "645 92", _line((-6900, 3000), (-6100, 3150), base=o), 30),
        Street("Lillbyvägen", ex, "645 92", _line((-6100, 3150), (-3600, 1000), base=o), 220),
        Street("Ekebyvägen", no, "645 93", _line((5500, -3700), (6500, -3300), base=o), 30),
        Street("Sjövägen", no, "645 93", _line((6000, -3800), (6100, -3000), base=o), 35),
        Street("Västerbyvägen", ex, "645 92", _line((-7800, -2700), (-7300, -1800), base=o), 40),
    ]
    return s


def _places() -> list[Place]:
    ex, no = MAIN_TOWN, SECOND_TOWN
    rows = [
        ("Centrumtorget", ex, "645 30", (120, 75), C),
        ("Resecentrum", ex, "645 31", (0, -480), C),
        ("Stationsparken", ex, "645 31", (420, -640), C),
        ("Stadsparken", ex, "645 32", (-420, 420), C),
        ("Biblioteket", ex, "645 30", (320, 230), C),
        ("Simhallen", ex, "645 36", (1100, 450), C),
        ("Ishallen", ex, "645 36", (1250, 350), C),
        ("Idrottsplatsen", ex, "645 37", (-700, 820), C),
        ("Vårdcentralen", ex, "645 30", (700, -220), C),
        ("Sankt Olofs kyrka", ex, "645 30", (-200, 220), C),
        ("Exempelstads gymnasium", ex, "645 36", (820, 380), C),
        ("Solberga centrum", ex, "645 35", (420, -1880), C),
        ("Fritidsgården Solberga", ex, "645 35", (600, -1700), C),
        ("Björkhagsskolan", ex, "645 33", (1700, 1150), C),
        ("Ekbacksskolan", ex, "645 34", (-1250, 1500), C),
        ("Ekbacksstigen", ex, "645 34", (-800, 2050), C),
        ("Handelsplatsen Väster", ex, "645 40", (-1900, -720), C),
        ("Norrbytorget", no, "645 91", (60, 40), N),
        ("Norrby skola", no, "645 91", (200, 260), N),
        ("Norrby kyrka", no, "645 91", (-250, 230), N),
        ("Norrby idrottsplats", no, "645 91", (420, -330), N),
    ]
    return [Place(n, po, pn, *_rel(p, b)) for n, po, pn, p, b in rows]


def measure_polygon() -> Polygon:
    """Stationsparken: about 240 × 160 m, 450 m south-east of the station."""
    cx, cy = _rel((420, -640))
    return Polygon([(cx - 120, cy - 80), (cx + 120, cy - 80), (cx + 120, cy + 80),
                    (cx - 120, cy + 80)])


def perceived_polygon() -> Polygon:
    """The dark path through Ekbacksskogen (feels unsafe, few reports)."""
    cx, cy = _rel((-800, 2050))
    return Polygon([(cx - 150, cy - 60), (cx + 150, cy - 60), (cx + 150, cy + 60),
                    (cx - 150, cy + 60)])


def _address_points(streets: list[Street], rng: np.random.Generator, boundary: Polygon,
                    holes: list[Polygon]) -> pd.DataFrame:
    lines = [st.line for st in streets]
    hole = shapely.union_all([h.buffer(25.0) for h in holes])
    frames = []
    for si, st in enumerate(streets):
        others = shapely.union_all([ln for j, ln in enumerate(lines) if j != si])
        length = st.line.length
        s = st.spacing / 2 + np.arange(int(length // st.spacing) + 1) * st.spacing
        s = s[s <= length]
        plot = np.arange(len(s))
        p0 = shapely.get_coordinates(shapely.line_interpolate_point(st.line, np.maximum(s - 1, 0)))
        p1 = shapely.get_coordinates(
            shapely.line_interpolate_point(st.line, np.minimum(s + 1, length)))
        base = shapely.get_coordinates(shapely.line_interpolate_point(st.line, s))
        t = p1 - p0
        t = t / np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
        nrm = np.column_stack([-t[:, 1], t[:, 0]])  # left normal
        for side, sign, num in (("left", 1.0, 2 * plot + 1), ("right", -1.0, 2 * plot + 2)):
            if st.sides not in ("both", side):
                continue
            pts = base + sign * 11.0 * nrm
            geoms = shapely.points(pts)
            keep = ((shapely.distance(others, geoms) >= 14.0)
                    & shapely.contains_xy(boundary, pts[:, 0], pts[:, 1])
                    & ~shapely.contains_xy(hole, pts[:, 0], pts[:, 1]))
            frames.append(pd.DataFrame({"street_idx": si, "husnummer": num[keep],
                                        "px": pts[keep, 0], "py": pts[keep, 1],
                                        "tx": t[keep, 0], "ty": t[keep, 1]}))
    plots = pd.concat(frames, ignore_index=True).sort_values(["street_idx", "husnummer"])
    plots = plots.reset_index(drop=True)
    share = np.array([streets[i].letter_share for i in plots["street_idx"]])
    u = rng.random(len(plots))
    k3 = rng.random(len(plots)) < 0.3
    nlet = np.where(u < share, np.where(k3, 3, 2), 1)
    rep = plots.loc[plots.index.repeat(nlet)].reset_index(drop=True)
    j = np.concatenate([np.arange(k) for k in nlet])
    kk = np.repeat(nlet, nlet)
    off = (j - (kk - 1) / 2) * 5.0
    rep["bokstav"] = np.where(kk > 1, np.array(list("ABC"))[j], "")
    rep["x"] = np.round(rep["px"] + off * rep["tx"])
    rep["y"] = np.round(rep["py"] + off * rep["ty"])
    rep["gatunamn"] = [streets[i].name for i in rep["street_idx"]]
    rep["postnummer"] = [streets[i].postnummer for i in rep["street_idx"]]
    rep["postort"] = [streets[i].postort for i in rep["street_idx"]]
    rep["husnummer"] = rep["husnummer"].astype(np.int64)
    return rep[["gatunamn", "husnummer", "bokstav", "postnummer", "postort", "x", "y",
                "street_idx"]].copy()


# District seeds: name, type letter (A rural, B mixed, C urban), local position.
def _district_seeds() -> list[tuple[str, str, tuple[float, float]]]:
    return [
        ("Centrum", "C", _rel((0, 0))),
        ("Stationsområdet", "C", _rel((300, -550))),
        ("Kyrkbacken", "C", _rel((0, 750))),
        ("Östermalm", "C", _rel((1300, -100))),
        ("Västermalm", "C", _rel((-1050, -50))),
        ("Björkhagen", "C", _rel((1900, 950))),
        ("Ekbacken", "C", _rel((-1400, 1300))),
        ("Solberga", "C", _rel((400, -1900))),
        ("Södermalm", "C", _rel((600, -1100))),
        ("Ängby", "C", _rel((-1200, -1500))),
        ("Hagalund", "C", _rel((1600, 1950))),
        ("Handelsplatsen Väster", "B", _rel((-2000, -700))),
        ("Industriområdet Väster", "B", _rel((-3000, -300))),
        ("Norrby centrum", "C", (float(N[0]), float(N[1]))),
        ("Norrby Östra", "B", (float(N[0] + 1200), float(N[1] + 200))),
        ("Norrby Västra", "B", (float(N[0] - 1100), float(N[1] - 300))),
        ("Österby", "B", (3300.0, 300.0)),
        ("Lillby", "A", (-6500.0, 3000.0)),
        ("Skogsbo", "A", (-3500.0, 5000.0)),
        ("Västerby", "A", (-7500.0, -2300.0)),
        ("Ekeby", "A", (6000.0, -3500.0)),
        ("Sjöviken", "A", (7600.0, 500.0)),
        ("Hagby", "A", (1200.0, 5300.0)),
        ("Mossen", "A", (-3600.0, -5000.0)),
        ("Tallåsen", "A", (2600.0, -5000.0)),
        ("Bergsäng", "A", (6300.0, 4350.0)),
        ("Kvarnbo", "A", (-1300.0, 4300.0)),
        ("Stensjö", "A", (-8300.0, 800.0)),
    ]


BACKGROUND_DISTRICTS = ("Mossen", "Tallåsen", "Stensjö")


def _districts(boundary: Polygon, addresses: pd.DataFrame,
               rng: np.random.Generator) -> pd.DataFrame:
    seeds = _district_seeds()
    pts = MultiPoint([p for _, _, p in seeds])
    vor = shapely.voronoi_polygons(pts, extend_to=boundary.buffer(5000))
    cells = list(vor.geoms)
    rows = []
    order = {"A": 0, "B": 1, "C": 2}
    for name, typ, p in seeds:
        cell = next(c for c in cells if c.contains(Point(p)))
        poly = shapely.intersection(cell, boundary)
        poly = shapely.set_precision(poly, 1.0)
        if poly.geom_type != "Polygon" or poly.is_empty or not poly.contains(Point(p)):
            # Only possible for an extreme boundary from an unusual seed.
            raise ValueError(f"district {name!r} is not one polygon around its seed for this "
                             "seed of the generator; choose another seed.")
        rows.append((name, typ, poly, p))
    # Codes: kommun code + letter + running number, in a stable order.
    rows.sort(key=lambda r: (order[r[1]], -r[3][1], r[3][0]))
    out = []
    ax, ay = addresses["x"].to_numpy(), addresses["y"].to_numpy()
    for i, (name, typ, poly, _p) in enumerate(rows):
        code = f"{KOMMUN_CODE}{typ}{(i + 1) * 10:04d}"
        inside = shapely.contains_xy(poly, ax, ay)
        n_addr = int(inside.sum())
        pop = 650 + 2.6 * n_addr + rng.normal(0, 60)
        pop = int(np.clip(round(pop), 700, 2700))
        c = poly.centroid
        out.append((code, name, typ, pop, poly, round(c.x), round(c.y), n_addr))
    return pd.DataFrame(out, columns=["deso", "namn", "typ", "befolkning", "geometry", "cx", "cy",
                                      "n_addresses"])


def build_geography(rng: np.random.Generator) -> Geography:
    """Build the boundary, streets, address points, places and districts."""
    boundary = _boundary(rng)
    streets = _streets()
    places = _places()
    holes = [measure_polygon(), perceived_polygon()]
    addresses = _address_points(streets, rng, boundary, holes)
    districts = _districts(boundary, addresses, rng)
    return Geography(
        boundary=boundary,
        streets=tuple(streets),
        places=tuple(places),
        addresses=addresses,
        districts=districts,
        measure_area=measure_polygon(),
        perceived_only=perceived_polygon(),
        background_districts=BACKGROUND_DISTRICTS,
    )
