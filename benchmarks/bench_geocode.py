"""Benchmark: geocode 100 000 address rows against a 50 000-address synthetic gazetteer.

Prints rows/s for exact + normalised matches (target >= 20 000 rows/s) and, separately,
for rows that need the fuzzy fallback (misspelt street names), with ratios against
baselines measured in the same run:

- exact baseline: a plain dict lookup of the raw text (no normalisation at all; the
  ceiling for any matcher that must read every row);
- fuzzy baseline: rapidfuzz ``process.extractOne`` of each row against all 50 000
  full address strings (the naive approach without a street index).

Run: ``.venv/bin/python benchmarks/bench_geocode.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from lagesbild_geo.geocode import Gazetteer, geocode

RNG = np.random.default_rng(20240101)
N_ADDR = 50_000
N_ROWS = 100_000
N_FUZZY = 20_000

_SYL = ["stor", "kyrk", "skol", "ang", "bjork", "oster", "lill", "station", "kvarn", "sjo",
        "berg", "hag", "tall", "gran", "ek", "lind", "alm", "rosen", "solvik", "hamn", "bruk",
        "mjol", "sag", "smed", "prast", "gard", "by", "ros", "lov", "back"]
_SWE = {"ang": "äng", "sjo": "sjö", "bjork": "björk", "oster": "öster", "hag": "hag",
        "mjol": "mjöl", "sag": "såg", "prast": "präst", "gard": "gård", "lov": "löv"}
_SUF = ["gatan", "vägen", "gränd", "stigen", "backen", "allén", "leden", "platsen"]


def _street_names(n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        a, b = RNG.choice(len(_SYL), 2)
        stem = _SWE.get(_SYL[a], _SYL[a]) + (_SWE.get(_SYL[b], _SYL[b]) if RNG.random() < 0.8 else "")
        names.add((stem + _SUF[RNG.integers(len(_SUF))]).capitalize())
    return sorted(names)


def make_gazetteer() -> pd.DataFrame:
    streets = _street_names(2_000)
    rows = []
    towns = [("Exempelstad", "645 30"), ("Norrby", "645 60")]
    per = N_ADDR // len(streets)
    for i, s in enumerate(streets):
        town, pc = towns[i % 2]
        e0, n0 = 640_000 + RNG.uniform(0, 30_000), 6_560_000 + RNG.uniform(0, 20_000)
        ang = RNG.uniform(0, np.pi)
        for k in range(per):
            num = k + 1
            side = 10.0 if num % 2 == 0 else 0.0
            t = (num // 2) * 15.0
            rows.append((s, num, "", pc, town, n0 + t * np.sin(ang) + side, e0 + t * np.cos(ang)))
    df = pd.DataFrame(rows, columns=["gatunamn", "husnummer", "bokstav", "postnummer", "postort",
                                     "nord", "ost"])
    df.insert(0, "typ", "adress")
    return df


def _variant(street: str, num: int, pc: str, town: str, r: float) -> str:
    if r < 0.35:
        return f"{street} {num}"
    if r < 0.5:
        return f"{street.upper()} {num}"
    if r < 0.6:
        return f"{street} {num}, {pc} {town}"
    if r < 0.7:
        return f"{street.replace('gatan', 'g.').replace('vägen', 'v.')} {num}"
    if r < 0.8:
        return f"{street} {num} lgh {1000 + num}"
    if r < 0.9:
        return f"{street.lower().replace('ä', 'a').replace('ö', 'o').replace('å', 'a')} {num}B"
    return f"{street} {num}-{num + 2}"


def _typo(street: str) -> str:
    i = int(RNG.integers(2, len(street) - 2))
    return street[:i] + street[i + 1:]  # one letter dropped


def main() -> None:
    t0 = time.perf_counter()
    gdf = make_gazetteer()
    gaz = Gazetteer.from_frame(gdf)
    t_build = time.perf_counter() - t0
    print(f"gazetteer: {len(gaz.addresses):,} addresses, {len(gaz.streets):,} streets, "
          f"built in {t_build:.2f} s")

    pick = RNG.integers(0, len(gdf), N_ROWS)
    r = RNG.random(N_ROWS)
    sub = gdf.iloc[pick]
    texts = [_variant(s, int(n), pc, t, x) for s, n, pc, t, x in zip(
        sub["gatunamn"], sub["husnummer"], sub["postnummer"], sub["postort"], r, strict=True)]
    rows = pd.DataFrame({"location_text": texts, "source": "bench", "source_row": np.arange(N_ROWS) + 2})

    # Baseline: raw dict lookup, no normalisation.
    t0 = time.perf_counter()
    lookup = {f"{s} {n}": i for i, (s, n) in enumerate(zip(gdf["gatunamn"], gdf["husnummer"], strict=True))}
    hits = sum(1 for t in texts if t in lookup)
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    res = geocode(rows, gaz)
    t_exact = time.perf_counter() - t0
    rep = res.report
    ok_pos = np.hypot(res.placed["northing"].to_numpy()
                      - gdf["nord"].to_numpy()[pick][res.placed.index.to_numpy()],
                      res.placed["easting"].to_numpy()
                      - gdf["ost"].to_numpy()[pick][res.placed.index.to_numpy()]) < 0.01
    print(f"\nexact + normalised: {N_ROWS:,} rows ({rep['unique_texts']:,} unique texts) in "
          f"{t_exact:.2f} s = {N_ROWS / t_exact:,.0f} rows/s (target >= 20,000)")
    print(f"  tiers {rep['geocoded_by_tier']}, match rate {rep['match_rate']:.4f}, "
          f"placed away from the true point: {int((~ok_pos).sum())}")
    if len(res.rejected):
        ex = res.rejected.iloc[0]
        print(f"  refused {len(res.rejected)} rows, e.g. {ex['raw_location_text']!r}: {ex['geocode_note']}")
    print(f"  baseline raw dict lookup (no normalisation, {hits:,} hits = "
          f"{hits / N_ROWS:.0%} of rows): {N_ROWS / t_base:,.0f} rows/s; "
          f"geocode is {t_exact / t_base:.0f}x slower than the ceiling")

    fsub = gdf.iloc[pick[:N_FUZZY]]
    ftexts = [f"{_typo(s)} {n}" for s, n in zip(fsub["gatunamn"], fsub["husnummer"], strict=True)]
    frows = pd.DataFrame({"location_text": ftexts, "source": "bench",
                          "source_row": np.arange(N_FUZZY) + 2})
    t0 = time.perf_counter()
    fres = geocode(frows, gaz)
    t_fuzzy = time.perf_counter() - t0
    frep = fres.report
    right = (fres.placed["geocode_street"].to_numpy()
             == fsub["gatunamn"].to_numpy()[fres.placed.index.to_numpy()]).mean() if len(fres.placed) else 0
    print(f"\nfuzzy fallback: {N_FUZZY:,} rows with one letter dropped from the street "
          f"({frep['unique_texts']:,} unique) in {t_fuzzy:.2f} s = {N_FUZZY / t_fuzzy:,.0f} rows/s")
    print(f"  placed {frep['match_rate']:.3f} (refused: {1 - frep['match_rate']:.3f}, "
          f"ambiguous {frep['ambiguous']}), of placed on the right street: {right:.4f} "
          f"({round((1 - right) * len(fres.placed))} wrong)")

    n_naive = 300
    choices = [f"{s} {n}" for s, n in zip(gdf["gatunamn"], gdf["husnummer"], strict=True)]
    t0 = time.perf_counter()
    for t in ftexts[:n_naive]:
        process.extractOne(t, choices, scorer=fuzz.WRatio)
    t_naive = time.perf_counter() - t0
    naive_rate = n_naive / t_naive
    print(f"  baseline naive extractOne over all {len(choices):,} addresses: {naive_rate:,.0f} rows/s "
          f"(street index is {N_FUZZY / t_fuzzy / naive_rate:.0f}x faster)")


if __name__ == "__main__":
    main()
