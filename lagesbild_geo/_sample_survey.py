"""Trygghet survey and map pins of Exempelkommun (private helper of :mod:`lagesbild_geo.sample`)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._sample_geo import C, Geography, polygon_to_geojson, to_wgs84

ANSWERS = ("Mycket trygg", "Ganska trygg", "Ganska otrygg", "Mycket otrygg", "Går aldrig ut",
           "Vet ej", "")
# Extra share answering "otrygg" (on top of the base) per district name.
_OTRYGG_EXTRA = {"Stationsområdet": 0.30, "Centrum": 0.22, "Solberga": 0.20, "Ekbacken": 0.15,
                 "Handelsplatsen Väster": 0.10, "Södermalm": 0.08}
_OTRYGG_BASE = 0.12
#: Districts planted with too few respondents: name → respondents.
FEW_RESPONDENTS = {"Industriområdet Väster": 3, "Bergsäng": 2}


def survey_file(geo: Geography, rng: np.random.Generator) -> tuple[bytes, dict[str, Any]]:
    """survey_trygghet.csv (UTF-8, ';', decimal comma) and its truth."""
    d = geo.districts.sort_values("deso")
    rows: list[tuple[str, str, str, str]] = []
    per: dict[str, dict[str, Any]] = {}
    for r in d.to_dict("records"):
        if r["namn"] in FEW_RESPONDENTS:
            n = FEW_RESPONDENTS[r["namn"]]
        else:
            n = round(float(r["befolkning"] * 0.065 * rng.uniform(0.8, 1.2)))
        p = _OTRYGG_BASE + _OTRYGG_EXTRA.get(r["namn"], 0.0)
        probs = np.array([(1 - p) * .45, (1 - p) * .55, p * .65, p * .35, 0, 0, 0]) * 0.92
        probs[4:] = [0.03, 0.03, 0.02]
        ans = rng.choice(len(ANSWERS), size=n, p=probs / probs.sum())
        otr = (ans == 2) | (ans == 3) | (ans == 4)
        oro = np.where(otr, rng.choice(5, size=n, p=[.05, .1, .25, .3, .3]),
                       rng.choice(5, size=n, p=[.3, .35, .2, .1, .05])) + 1
        oro_txt = np.where(rng.random(n) < 0.02, "", oro.astype(str))
        vikt = np.round(rng.uniform(0.5, 2.0, n), 2)
        counts = {a: int((ans == i).sum()) for i, a in enumerate(ANSWERS)}
        counts["(blank)"] = counts.pop("")
        per[r["deso"]] = {"namn": r["namn"], "n": n, "answers": counts,
                          "planted_share_otrygg": round(0.92 * p, 3)}
        for i in range(n):
            rows.append((r["deso"], ANSWERS[ans[i]], str(oro_txt[i]),
                         f"{vikt[i]:.2f}".replace(".", ",")))
    order = rng.permutation(len(rows))
    lines = ["svar_id;deso;trygg_kvall;oro_brott;vikt"]
    for k, i in enumerate(order):
        deso, a, o, v = rows[i]
        lines.append(f"S{k + 1:05d};{deso};{a};{o};{v}")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    few = [{"deso": c, "namn": v["namn"], "n": v["n"]} for c, v in per.items() if v["n"] < 5]
    truth = {
        "file": "survey_trygghet.csv", "encoding": "utf-8", "delimiter": ";", "decimal": ",",
        "respondents": len(rows), "min_respondents": 5,
        "too_few_respondents": few,
        "otrygg_answers": ["Ganska otrygg", "Mycket otrygg"],
        "never_out_answer": "Går aldrig ut",
        "planted_share_never_out": 0.03, "planted_share_vet_ej": 0.03,
        "planted_share_blank": 0.02,
        "districts": per,
        "note": "planted_share_otrygg is the probability that a respondent answered Ganska or "
                "Mycket otrygg (all respondents as denominator); answers lists the drawn counts "
                "((blank) = empty answer); oro_brott 1-5 is higher among otrygg answers, blank "
                "for about 2 %",
    }
    return data, truth


_REASONS = ("Dålig belysning", "Folksamlingar", "Skymd sikt", "Nedskräpning", "Droghandel", "Annat")
_COMMENTS = {
    "Dålig belysning": ("Mörkt och otäckt på kvällen", "Lamporna är trasiga sedan länge",
                        "Ingen belysning längs stigen"),
    "Folksamlingar": ("Stora gäng som hänger här på helgerna", "Bråkigt när krogarna stänger",
                      "Många berusade personer"),
    "Skymd sikt": ("Buskarna skymmer sikten", "Man ser inte vem som kommer"),
    "Nedskräpning": ("Fullt med skräp och glas", "Sprutor och skräp i buskarna"),
    "Droghandel": ("Langning öppet på dagtid", "Folk säljer droger vid perrongen"),
    "Annat": ("Känns allmänt otryggt", "Har blivit ofredad här", "Otäckt att gå här ensam"),
}


def pins_file(geo: Geography, rng: np.random.Generator, rows: pd.DataFrame
              ) -> tuple[bytes, dict[str, Any]]:
    """survey_pins.geojson and its truth (clusters, the perceived-only place)."""
    pl = {p.name: (p.x, p.y) for p in geo.places}
    pc = geo.perceived_only.centroid
    clusters = [
        ("Resecentrum", "hotspot", pl["Resecentrum"], 60, 150, (.1, .3, .05, .1, .4, .05)),
        ("Storgatan vid Centrumtorget", "hotspot", (float(C[0] + 150), float(C[1] + 20)), 80,
         120, (.1, .55, .05, .2, .05, .05)),
        ("Solberga centrum", "hotspot", pl["Solberga centrum"], 60, 60, (.2, .3, .1, .1, .2, .1)),
        ("Handelsplatsen Väster", "hotspot", pl["Handelsplatsen Väster"], 60, 40,
         (.2, .4, .1, .1, .1, .1)),
        ("Ekbacksstigen", "perceived_only", (pc.x, pc.y), 50, 90, (.6, 0, .3, 0, 0, .1)),
        ("Stationsparken", "measure_area", pl["Stationsparken"], 50, 40,
         (.4, .2, .1, .2, .05, .05)),
    ]
    feats = []
    truth_clusters = []
    xs: list[float] = []
    ys: list[float] = []
    reasons: list[str] = []
    for name, kind, (cx, cy), sigma, n, probs in clusters:
        p = np.array(probs, dtype=float)
        if kind == "perceived_only":
            # Along the path: uniform inside its polygon.
            minx, miny, maxx, maxy = geo.perceived_only.bounds
            x = rng.uniform(minx, maxx, n)
            y = rng.uniform(miny, maxy, n)
        else:
            x = cx + rng.normal(0, sigma, n)
            y = cy + rng.normal(0, sigma, n)
        r = rng.choice(len(_REASONS), size=n, p=p / p.sum())
        xs += list(x)
        ys += list(y)
        reasons += [_REASONS[i] for i in r]
        lon, lat = to_wgs84(np.array([cx]), np.array([cy]))
        truth_clusters.append({"name": name, "kind": kind, "lat": round(float(lat[0]), 6),
                               "lon": round(float(lon[0]), 6), "n_pins": n,
                               "sigma_m": sigma if kind != "perceived_only" else None})
    # Scattered pins over the address points.
    a = geo.addresses
    k = 80
    j = rng.choice(len(a), size=k)
    xs += list(a["x"].to_numpy()[j] + rng.normal(0, 30, k))
    ys += list(a["y"].to_numpy()[j] + rng.normal(0, 30, k))
    reasons += [_REASONS[i] for i in rng.choice(len(_REASONS), size=k)]
    order = rng.permutation(len(xs))
    lon, lat = to_wgs84(np.array(xs)[order], np.array(ys)[order])
    reasons_o = [reasons[i] for i in order]
    days = rng.integers(0, 61, len(order))
    base = np.datetime64("2025-09-01")
    for m in range(len(order)):
        reason = reasons_o[m]
        comment = "" if rng.random() < 0.25 else str(rng.choice(_COMMENTS[reason]))
        feats.append({"type": "Feature",
                      "properties": {"pin_id": f"P{m + 1:04d}", "orsak": reason,
                                     "kommentar": comment,
                                     "datum": str(base + np.timedelta64(int(days[m]), "D"))},
                      "geometry": {"type": "Point",
                                   "coordinates": [round(float(lon[m]), 6),
                                                   round(float(lat[m]), 6)]}})
    head = '{"name":"survey_pins","type":"FeatureCollection","features":[\n'
    body = ",\n".join(json.dumps(f, ensure_ascii=False, sort_keys=True) for f in feats)
    data = (head + body + "\n]}\n").encode("utf-8")
    located = rows["precision"].isin(["point", "address"]).to_numpy()
    inside = shapely.contains_xy(geo.perceived_only, rows["x"].to_numpy(), rows["y"].to_numpy())
    truth = {
        "file": "survey_pins.geojson", "pins": len(feats), "clusters": truth_clusters,
        "scattered_pins": k,
        "perceived_only": {"name": "Ekbacksstigen", "polygon": polygon_to_geojson(
            geo.perceived_only), "incidents_inside": int((located & inside).sum()),
            "note": "a dark path that feels unsafe (many pins) but has almost no reports"},
        "free_text_column": "kommentar",
    }
    return data, truth
