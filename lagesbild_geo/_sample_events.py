"""Planted incidents of Exempelkommun (private helper of :mod:`lagesbild_geo.sample`).

Events are drawn component by component (hotspots, residential background,
noise, the measure area); each has a spatial kernel, categories, a year/month
intensity and an hour-of-week profile. Times are local wall-clock times in
2024–2025; hours that do not exist or occur twice around the DST changes are
never drawn, so every time is unambiguous in Europe/Stockholm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ._sample_geo import C, Geography

YEARS = (2024, 2025)
MEASURE_START = np.datetime64("2025-03-01T00:00", "m")
MEASURE_FACTOR = 0.4  # target categories keep 40 % of their incidents after the start
MEASURE_TARGETS = ("skadegorelse", "ordning")

# --------------------------------------------------------------------------- time


def _hour_grid() -> pd.DataFrame:
    start = np.datetime64("2024-01-01T00", "h")
    hours = start + np.arange(2 * 8784 - 24, dtype="int64").astype("timedelta64[h]")
    idx = pd.DatetimeIndex(hours.astype("datetime64[ns]"))
    g = pd.DataFrame({"t": hours, "year": idx.year, "month": idx.month, "dow": idx.day_of_week,
                      "hour": idx.hour})
    # Local hours that do not exist (spring) or are ambiguous (autumn) in Europe/Stockholm.
    bad = {("2024-03-31", 2), ("2025-03-30", 2), ("2024-10-27", 2), ("2025-10-26", 2)}
    day = idx.strftime("%Y-%m-%d")
    g["ok"] = [(d, h) not in bad for d, h in zip(day, g["hour"], strict=True)]
    return g


def _profiles() -> dict[str, np.ndarray]:
    """Hour-of-week weights, shape (7, 24), Monday = 0."""
    h = np.arange(24)
    p: dict[str, np.ndarray] = {"flat": np.ones((7, 24))}
    day = np.select([h < 6, h < 10, h < 15, h < 20], [0.3, 1.5, 1.0, 2.0], 1.4)
    p["commute"] = np.vstack([day] * 5 + [day * 0.8] * 2)
    night = np.select([h < 4, h < 6, h < 18, h < 22], [0.6, 0.2, 0.15, 0.4], 0.6)
    nl = np.vstack([night] * 7)
    nl[4, 22:] = 6.0  # Friday 22-24
    nl[5, :4] = 6.0  # Friday night after midnight (Saturday 0-3)
    nl[5, 22:] = 7.0  # Saturday 22-24
    nl[6, :4] = 7.0  # Saturday night after midnight (Sunday 0-3)
    nl[3, 22:] = 1.2
    p["nightlife"] = nl
    dayt = np.select([h < 8, h < 9, h < 19, h < 22], [0.1, 0.5, 1.5, 0.6], 0.2)
    p["daytime"] = np.vstack([dayt] * 5 + [dayt * 1.2, dayt * 0.7])
    eve = np.select([h < 3, h < 6, h < 15, h < 18], [0.9, 0.4, 0.4, 0.8], 1.6)
    p["evening"] = np.vstack([eve] * 4 + [eve * 1.4] * 2 + [eve])
    burg = np.select([h < 7, h < 9, h < 17, h < 22], [0.3, 0.6, 2.0, 1.0], 0.4)
    p["burglary"] = np.vstack([burg] * 5 + [np.full(24, 0.8)] * 2)
    veh = np.where((h >= 22) | (h < 6), 2.0, 0.4)
    p["night"] = np.vstack([veh] * 7)
    aft = np.select([h < 10, h < 15, h < 21], [0.1, 1.0, 2.2], 0.5)
    p["afternoon"] = np.vstack([aft] * 7)
    return p


SEASON_AMPLITUDE = {"skadegorelse": 0.5, "ordning": 0.5}
SEASON_PEAK_MONTH = {"bostadsinbrott": 1}


def _season(cat: str, month: np.ndarray) -> np.ndarray:
    amp = SEASON_AMPLITUDE.get(cat, 0.1)
    peak = SEASON_PEAK_MONTH.get(cat, 7)
    if cat == "bostadsinbrott":
        amp = 0.25
    return 1.0 + amp * np.cos(2 * np.pi * (month - peak) / 12.0)


def _year_factor(kind: str, year: np.ndarray, month: np.ndarray) -> np.ndarray:
    if kind == "emerging":
        return np.where(year == 2025, month.astype(float), 0.0)
    if kind == "declining":
        return np.where(year == 2024, 1.0, 0.15)
    return np.ones(len(year))


@dataclass(frozen=True)
class Component:
    name: str
    source: str  # polis | kommun
    n: int
    cats: dict[str, float]
    spatial: str  # gauss | addresses | uniform | polygon | places
    profile: str
    kind: str = "persistent"  # persistent | emerging | declining
    centre: tuple[float, float] = (0.0, 0.0)
    sigma: tuple[float, float] = (70.0, 70.0)
    place_share: float = 0.0  # kommun rows reported with a place name
    place_name: str = ""


def components(geo: Geography) -> list[Component]:
    """The planted components (the truth lists the hotspots among them)."""
    pl = {p.name: (p.x, p.y) for p in geo.places}
    night_c = (float(C[0] + 150), float(C[1] + 20))
    mc = geo.measure_area.centroid
    return [
        # Police.
        Component("hs_resecentrum", "polis", 1550, {"stold": .5, "vald": .25, "narkotika": .25},
                  "gauss", "commute", centre=pl["Resecentrum"], sigma=(70, 70)),
        Component("hs_nattliv", "polis", 1040, {"vald": .65, "ordning": .35}, "gauss", "nightlife",
                  centre=night_c, sigma=(110, 50)),
        Component("hs_handelsplatsen", "polis", 550, {"stold": .75, "ran": .25}, "gauss",
                  "afternoon", kind="emerging", centre=pl["Handelsplatsen Väster"]),
        Component("hs_solberga", "polis", 550, {"narkotika": .5, "vald": .4, "ran": .1}, "gauss",
                  "evening", kind="declining", centre=pl["Solberga centrum"]),
        Component("res_bostadsinbrott", "polis", 1040, {"bostadsinbrott": 1}, "addresses",
                  "burglary"),
        Component("res_fordon", "polis", 1490, {"fordonsbrott": 1}, "addresses", "night"),
        Component("res_skadegorelse", "polis", 460, {"skadegorelse": 1}, "addresses", "evening"),
        Component("res_bedrageri", "polis", 690, {"bedrageri": 1}, "addresses", "flat"),
        Component("res_stold", "polis", 1840, {"stold": 1}, "addresses", "daytime"),
        Component("res_vald", "polis", 920, {"vald": 1}, "addresses", "evening"),
        Component("res_ordning", "polis", 230, {"ordning": 1}, "addresses", "evening"),
        Component("centre_vapen", "polis", 90, {"vapen": 1}, "gauss", "evening",
                  centre=(float(C[0]), float(C[1] - 200)), sigma=(250, 250)),
        Component("noise", "polis", 400, {"stold": .3, "skadegorelse": .2, "fordonsbrott": .2,
                                          "vald": .15, "bedrageri": .15}, "uniform", "flat"),
        Component("measure_area", "polis", 100, {"skadegorelse": .6, "ordning": .4}, "polygon",
                  "evening", centre=(mc.x, mc.y)),
        # Kommun.
        Component("hs_resecentrum", "kommun", 420, {"skadegorelse": .55, "ordning": .45},
                  "gauss", "commute", centre=pl["Resecentrum"], place_share=0.45,
                  place_name="Resecentrum"),
        Component("hs_nattliv", "kommun", 540, {"ordning": .55, "skadegorelse": .45}, "gauss",
                  "nightlife", centre=night_c, sigma=(110, 50), place_share=0.15,
                  place_name="Centrumtorget"),
        Component("hs_handelsplatsen", "kommun", 300, {"stold": .8, "vald": .2}, "gauss",
                  "afternoon", kind="emerging", centre=pl["Handelsplatsen Väster"],
                  place_share=0.3, place_name="Handelsplatsen Väster"),
        Component("hs_solberga", "kommun", 200, {"vald": .6, "stold": .4}, "gauss", "evening",
                  kind="declining", centre=pl["Solberga centrum"], place_share=0.3,
                  place_name="Solberga centrum"),
        Component("public_places", "kommun", 720, {"skadegorelse": .7, "brand": .1, "ordning": .2},
                  "places", "evening", place_share=0.7),
        Component("res_skadegorelse", "kommun", 2640, {"skadegorelse": 1}, "addresses", "evening"),
        Component("res_brand", "kommun", 360, {"brand": 1}, "addresses", "night"),
        Component("res_stold", "kommun", 600, {"stold": 1}, "addresses", "daytime"),
        Component("res_ordning", "kommun", 480, {"ordning": 1}, "addresses", "evening"),
        Component("res_vald", "kommun", 120, {"vald": 1}, "addresses", "daytime"),
        Component("noise", "kommun", 180, {"skadegorelse": .5, "ordning": .3, "stold": .2},
                  "uniform", "flat"),
        Component("measure_area", "kommun", 300, {"skadegorelse": .6, "ordning": .4}, "polygon",
                  "evening", centre=(mc.x, mc.y)),
    ]


PUBLIC_PLACES = ("Biblioteket", "Simhallen", "Ishallen", "Idrottsplatsen", "Vårdcentralen",
                 "Stadsparken", "Sankt Olofs kyrka", "Exempelstads gymnasium",
                 "Fritidsgården Solberga", "Björkhagsskolan", "Ekbacksskolan", "Norrby skola",
                 "Norrby idrottsplats", "Norrbytorget")


def _sample_points(comp: Component, n: int, geo: Geography, rng: np.random.Generator,
                   addr_w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (local metres) and, for address-based rows, the address index (else -1)."""
    a = geo.addresses
    aidx = np.full(n, -1, dtype=np.int64)
    if comp.spatial == "gauss":
        x = comp.centre[0] + rng.normal(0, comp.sigma[0], n)
        y = comp.centre[1] + rng.normal(0, comp.sigma[1], n)
    elif comp.spatial == "addresses":
        aidx = rng.choice(len(a), size=n, p=addr_w)
        x = a["x"].to_numpy()[aidx].copy()
        y = a["y"].to_numpy()[aidx].copy()
    elif comp.spatial in ("uniform", "polygon"):
        poly = geo.boundary if comp.spatial == "uniform" else geo.measure_area
        minx, miny, maxx, maxy = poly.bounds
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        got = 0
        while got < n:
            cx = rng.uniform(minx, maxx, 2 * n)
            cy = rng.uniform(miny, maxy, 2 * n)
            ok = shapely.contains_xy(poly, cx, cy)
            if comp.spatial == "uniform":
                for hole in (geo.measure_area, geo.perceived_only):
                    ok &= ~shapely.contains_xy(hole.buffer(30), cx, cy)
            xs.append(cx[ok])
            ys.append(cy[ok])
            got += int(ok.sum())
        x = np.concatenate(xs)[:n]
        y = np.concatenate(ys)[:n]
    elif comp.spatial == "places":
        pl = [p for p in geo.places if p.name in PUBLIC_PLACES]
        k = rng.integers(0, len(pl), n)
        x = np.array([pl[i].x for i in k]) + rng.normal(0, 25, n)
        y = np.array([pl[i].y for i in k]) + rng.normal(0, 25, n)
    else:  # pragma: no cover - programming error
        raise ValueError(comp.spatial)
    if comp.spatial == "gauss":
        # Keep hotspot kernels out of the measure area so its trend is its own.
        inside = shapely.contains_xy(geo.measure_area.buffer(10), x, y)
        x = np.where(inside, comp.centre[0], x)
        y = np.where(inside, comp.centre[1], y)
    return x, y, aidx


def draw_events(geo: Geography, rng: np.random.Generator) -> pd.DataFrame:
    """All planted events (before files are written): one row per incident.

    Columns: component, source, kind, category, t (datetime64[m], local wall time),
    x, y (local metres, true position), addr (address index or -1).
    """
    grid = _hour_grid()
    prof = _profiles()
    ok = grid["ok"].to_numpy()
    year = grid["year"].to_numpy()
    month = grid["month"].to_numpy()
    dow = grid["dow"].to_numpy()
    hour = grid["hour"].to_numpy()
    t_hours = grid["t"].to_numpy()
    # Address weights: each district's population spread over its addresses.
    a = geo.addresses
    d = geo.districts
    a_deso = np.full(len(a), -1)
    for i, poly in enumerate(d["geometry"]):
        a_deso[shapely.contains_xy(poly, a["x"].to_numpy(), a["y"].to_numpy())] = i
    pop = d["befolkning"].to_numpy(dtype=float)
    n_addr = np.bincount(a_deso[a_deso >= 0], minlength=len(d)).astype(float)
    addr_w = np.where(a_deso >= 0, pop[a_deso] / np.maximum(n_addr[a_deso], 1), 0.0)
    addr_w = addr_w / addr_w.sum()

    frames = []
    for comp in components(geo):
        cats = list(comp.cats)
        probs = np.array([comp.cats[c] for c in cats])
        counts = rng.multinomial(comp.n, probs / probs.sum())
        for cat, k in zip(cats, counts, strict=True):
            if k == 0:
                continue
            w = (_season(cat, month) * _year_factor(comp.kind, year, month)
                 * prof[comp.profile][dow, hour] * ok)
            pick = rng.choice(len(w), size=k, p=w / w.sum())
            minutes = rng.integers(0, 60, k).astype("timedelta64[m]")
            t = t_hours[pick].astype("datetime64[m]") + minutes
            x, y, aidx = _sample_points(comp, k, geo, rng, addr_w)
            frames.append(pd.DataFrame({
                "component": comp.name, "source": comp.source, "kind": comp.kind,
                "category": cat, "t": t, "x": x, "y": y, "addr": aidx,
            }))
    ev = pd.concat(frames, ignore_index=True)
    ev["order"] = rng.random(len(ev))
    return ev


def apply_measure(ev: pd.DataFrame, geo: Geography, rng: np.random.Generator) -> pd.DataFrame:
    """Thin the target categories inside the measure area after its start date."""
    inside = shapely.contains_xy(geo.measure_area, ev["x"].to_numpy(), ev["y"].to_numpy())
    hit = inside & ev["category"].isin(MEASURE_TARGETS).to_numpy() & (
        ev["t"].to_numpy() >= MEASURE_START)
    drop = hit & (rng.random(len(ev)) >= MEASURE_FACTOR)
    return ev.loc[~drop].reset_index(drop=True)


def nearest_address(geo: Geography, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index and distance of the nearest address point."""
    a = geo.addresses
    tree = cKDTree(np.column_stack([a["x"].to_numpy(), a["y"].to_numpy()]))
    dist, idx = tree.query(np.column_stack([x, y]))
    return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=float)


# --------------------------------------------------------------------------- near repeats

#: The planted near-repeat pattern: this share of the burglaries follow an earlier one nearby.
NEAR_REPEAT_CATEGORY = "bostadsinbrott"
NEAR_REPEAT_SHARE = 0.2
NEAR_REPEAT_DAYS = (1.0, 14.0)  # the follower comes 1 to 14 days after its leader
NEAR_REPEAT_METRES = (20.0, 190.0)  # at an address this far (|dx| + |dy|) from the leader's


def plant_near_repeats(ev: pd.DataFrame, geo: Geography, rng: np.random.Generator
                       ) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Move some burglaries next to an earlier one: a near-repeat pattern (Knox) to find.

    Times are kept (so every other random choice of the files stays the same); a
    follower, chosen with probability :data:`NEAR_REPEAT_SHARE` in time order, is moved
    to an address 20–190 m (manhattan) from a burglary 1–14 days before it (its
    leader, at the leader's current position). Followers without such a leader or
    address stay where they were. Returns the events and one record per planted pair.
    """
    out = ev.copy()
    cat = (out["category"] == NEAR_REPEAT_CATEGORY).to_numpy()
    idx = np.flatnonzero(cat)
    idx = idx[np.argsort(out["t"].to_numpy()[idx], kind="stable")]
    t = out["t"].to_numpy()[idx].astype("datetime64[m]").astype(np.int64) / 1440.0  # days
    ax = geo.addresses["x"].to_numpy()
    ay = geo.addresses["y"].to_numpy()
    tree = cKDTree(np.column_stack([ax, ay]))
    x = out["x"].to_numpy().copy()
    y = out["y"].to_numpy().copy()
    addr = out["addr"].to_numpy().copy()
    follow = rng.random(idx.size) < NEAR_REPEAT_SHARE
    pairs: list[dict[str, object]] = []
    lo_d, hi_d = NEAR_REPEAT_DAYS
    lo_m, hi_m = NEAR_REPEAT_METRES
    for k in np.flatnonzero(follow):
        gap = t[k] - t[:k]
        cand = np.flatnonzero((gap >= lo_d) & (gap < hi_d))
        for j in rng.permutation(cand):
            lx, ly = x[idx[j]], y[idx[j]]
            near = np.asarray(tree.query_ball_point([lx, ly], hi_m, p=1), dtype=np.int64)
            d = np.abs(ax[near] - lx) + np.abs(ay[near] - ly)
            near = near[(d >= lo_m) & (d < hi_m)]
            if near.size == 0:
                continue
            a = int(near[rng.integers(0, near.size)])
            row = idx[k]
            x[row], y[row], addr[row] = ax[a], ay[a], a
            pairs.append({"leader_t": str(out["t"].iat[idx[j]]), "follower_t": str(out["t"].iat[row]),
                          "days": round(float(gap[j]), 3),
                          "metres": round(float(abs(ax[a] - lx) + abs(ay[a] - ly)), 1)})
            break
    out["x"], out["y"], out["addr"] = x, y, addr
    return out, pairs
