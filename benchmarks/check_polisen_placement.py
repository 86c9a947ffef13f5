"""Check the police feed's event times and text placement on a real feed (not a test).

Reads a police events file (``polisen.se/api/events`` format: an archive written by
``lagesbild polisen hämta`` or a downloaded year), keeps one kommun's rows, places
them with :func:`lagesbild_geo.polisen.place_events` against a district layer (RegSO)
and place layers, and prints:

1. **event time**: the share of rows whose ``occurred_at`` equals the day and clock
   time written at the start of ``name`` (parsed here independently, with a plain
   regular expression);
2. **placement rate**: rows placed in a district (all rows of the kommun, and the
   rows counted after leaving out ``ej_brott``);
3. **placement check**, independent of the placement's own rules: every place name of
   the district layer and the place layers, and every other kommun's name, is looked
   for anywhere in the row's text (any case, no context rules). A placement counts as
   *right* when every place the text mentions overlaps the district it was placed in
   (the district itself, a stadsdel or basområde around or inside it) and the text
   names no other kommun; otherwise it is listed as *doubtful* for a person to read.
   With ``--show N`` a random sample of placed rows is printed for reading.

Run (the data is not part of the project)::

    .venv/bin/python benchmarks/check_polisen_placement.py \\
        --feed ../shared/data/polisen_events/polisen_events_2025.json \\
        --districts ../shared/data/regso/regso_2025_0180_stockholm.gpkg --kommun Stockholm \\
        --places ../shared/data/stockholm_stadsdelar/stadsdelar.geo.json \\
        --places ../shared/data/city_districts/stockholm_basomraden_2016.geojson --show 40
"""

from __future__ import annotations

import argparse
import re
import sys
import time

import numpy as np
import pandas as pd
import shapely

from lagesbild_geo import polisen
from lagesbild_geo.districts import districts_in_kommun, read_districts
from lagesbild_geo.names import find_kommun, kommuner, name_key
from lagesbild_geo.read import read_incidents

_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
           "oktober", "november", "december")


def _name_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Day, month, hour, minute written in ``name`` (independent of the library's parser)."""
    ex = frame["name"].astype(str).str.extract(
        r"^\s*(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{1,2})[.:](\d{2})", flags=re.I)
    return pd.DataFrame({"day": pd.to_numeric(ex[0]), "month": ex[1].str.lower().map(
        {m: i + 1 for i, m in enumerate(_MONTHS)}), "hour": pd.to_numeric(ex[2]),
        "minute": pd.to_numeric(ex[3])}, index=frame.index)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feed", required=True)
    ap.add_argument("--districts", required=True, help="RegSO layer (one kommun or national)")
    ap.add_argument("--kommun", required=True, help="name or code")
    ap.add_argument("--places", action="append", default=[], help="place layer (repeat)")
    ap.add_argument("--show", type=int, default=0, help="print N random placed rows")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    k = find_kommun(args.kommun)
    t0 = time.perf_counter()
    read = read_incidents(args.feed)
    t_read = time.perf_counter() - t0
    inc = read.placed
    mine = polisen.kommun_rows(inc, kommun_name=k.name, kommun_code=k.code) == 0
    mine &= (inc["precision"] != "lan").to_numpy()
    rows = inc.loc[mine].reset_index(drop=True)
    print(f"{args.feed}: {len(inc)} rows read in {t_read:.2f} s; {len(rows)} of {k.name} ({k.code})")

    # 1. event time
    nt = _name_times(rows)
    t = rows["occurred_at"]
    has = nt.notna().all(axis=1)
    same = has & (t.dt.day == nt["day"]) & (t.dt.month == nt["month"]) & (t.dt.hour == nt["hour"]) \
        & (t.dt.minute == nt["minute"])
    pub = rows["published_at"]
    same_pub = has & (pub.dt.hour == nt["hour"]) & (pub.dt.minute == nt["minute"]) & (pub.dt.day == nt["day"])
    print(f"event time: occurred_at equals the time in name for {int(same.sum())} of {len(rows)} rows "
          f"({same.mean():.1%}); the publication time would have matched {same_pub.mean():.1%}")

    # 2. placement
    d = read_districts(args.districts, check=False)
    d = districts_in_kommun(d, k.code)
    layers = [polisen.read_places(p, kommun=k.name) for p in args.places]
    t0 = time.perf_counter()
    placed = polisen.place_events(rows, d, kommun=k.name, places=layers)
    t_place = time.perf_counter() - t0
    prec = placed["precision"].astype(str)
    crime = (placed["category"] != "ej_brott").to_numpy()
    n_d = int((prec == "district").sum())
    print(f"placement ({t_place:.2f} s): {n_d} of {len(placed)} rows in a district ({n_d / len(placed):.1%}), "
          f"{int((prec == 'stadsdel').sum())} only in a stadsdel, {int((prec == 'kommun').sum())} only at kommun "
          "level")
    n_dc = int(((prec == "district").to_numpy() & crime).sum())
    print(f"  after leaving out ej_brott: {n_dc} of {int(crime.sum())} in a district ({n_dc / max(int(crime.sum()), 1):.1%})")

    # 3. independent check against every place the text mentions
    dm = d.to_crs(3006)
    dgeom = dict(zip(dm.index.astype(str), dm.geometry, strict=True))
    vocab: dict[str, list[object]] = {}
    for nm, g in zip(dm["district_name"].astype(str), dm.geometry, strict=True):
        vocab.setdefault(nm, []).append(g)
    for layer in layers:
        lm = layer.to_crs(3006)
        for nm, g in zip(lm["place_name"].astype(str), lm.geometry, strict=True):
            vocab.setdefault(nm, []).append(g)
    own = {name_key(k.name)}
    # other kommuner's names, unless a place of this kommun has the name (Värmdö's Torsby)
    here = {name_key(n) for n in vocab}
    others = [n for n in kommuner()["kommun"] if name_key(n) not in own | here]
    words = {nm: re.compile(r"(?<![\wåäöÅÄÖ])" + re.escape(nm) + r"(?![\wåäöÅÄÖ])", re.I)
             for nm in vocab if name_key(nm) not in own}
    other_rx = re.compile(r"(?<![\wåäöÅÄÖ])(" + "|".join(re.escape(n) for n in others) + r")(?![\wåäöÅÄÖ])")
    doubtful = []
    sel = placed.index[prec == "district"]
    for i in sel:
        text = f"{placed.at[i, 'summary']} {placed.at[i, 'name']}"
        dist = dgeom[str(placed.at[i, "place_district"])]
        bad = []
        for nm, rx in words.items():
            if rx.search(text):
                geoms = vocab[nm]
                if not any(shapely.area(shapely.intersection(g, dist)) > 0.01 * max(shapely.area(g), 1.0)
                           or (g.geom_type == "Point" and dist.contains(g)) for g in geoms):
                    bad.append(nm)
        other = other_rx.findall(str(placed.at[i, "summary"]))
        if bad or other:
            doubtful.append((i, bad, other))
    right = len(sel) - len(doubtful)
    print(f"check: {right} of {len(sel)} placements agree with every place the text mentions "
          f"({right / max(len(sel), 1):.1%}); {len(doubtful)} doubtful:")
    names = d["district_name"].astype(str)
    for i, bad, other in doubtful:
        print(f"  - [{names[placed.at[i, 'place_district']]}] {placed.at[i, 'summary']!s:.140}"
              f"  (also mentions: {', '.join(bad + other)})")
    if args.show:
        rng = np.random.default_rng(args.seed)
        pick = rng.choice(np.asarray(sel), size=min(args.show, len(sel)), replace=False)
        print(f"random sample of {len(pick)} placed rows (district ← text):")
        for i in sorted(pick.tolist()):
            print(f"  [{names[placed.at[i, 'place_district']]}] ← {placed.at[i, 'summary']!s:.150}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
