"""Exempelkommun: a fictional Swedish kommun generated deterministically from a seed.

The committed ``sample_data/`` directory is the output of :func:`write_sample`
with :data:`DEFAULT_SEED`; a test proves that regenerating gives identical bytes.
Everything that was planted (hotspots, background areas, the measure and its
effect, the true position of every address row) is written to ``truth.json``
so tests can check that the library finds it. See ``docs/sample-data.md``.

Nothing here reads real data: the kommun, its streets and incidents are fictional.
"""

from __future__ import annotations

import atexit
import copy
import csv
import functools
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from . import _sample_files as files
from ._sample_events import (
    MEASURE_FACTOR,
    MEASURE_START,
    MEASURE_TARGETS,
    NEAR_REPEAT_CATEGORY,
    NEAR_REPEAT_DAYS,
    NEAR_REPEAT_METRES,
    NEAR_REPEAT_SHARE,
    SEASON_AMPLITUDE,
    YEARS,
    apply_measure,
    components,
    draw_events,
    plant_near_repeats,
)
from ._sample_geo import (
    KOMMUN_CODE,
    KOMMUN_NAME,
    MAIN_TOWN,
    SECOND_TOWN,
    Geography,
    build_geography,
    polygon_to_geojson,
    to_sweref,
    to_wgs84,
)
from ._sample_survey import pins_file, survey_file
from .bundle import Lagesbild
from .config import example_config
from .errors import InputError
from .measures import MeasureStoreProtocol
from .pipeline import build_lagesbild

__all__ = ["DEFAULT_SEED", "SAMPLE_FILES", "add_example_measures", "example_lagesbild", "generate_sample",
           "write_sample"]

#: Seed of the committed sample_data/.
DEFAULT_SEED = 20240101

#: The files :func:`write_sample` writes, in order.
SAMPLE_FILES: tuple[str, ...] = (
    "kommun.geojson",
    "districts.geojson",
    "gazetteer.csv",
    "incidents_polis.xlsx",
    "incidents_kommun.csv",
    "survey_trygghet.csv",
    "survey_pins.geojson",
    "truth.json",
)

FORMAT_VERSION = 1


def _dumps(obj: Any, level: int = 0) -> str:
    """JSON with sorted keys: nested objects indented, long lists of rows one row per line."""
    pad = " " * (level + 1)
    if isinstance(obj, dict) and obj:
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_dumps(obj[k], level + 1)}"
                 for k in sorted(obj)]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    if isinstance(obj, list) and len(obj) > 4 and all(isinstance(v, dict) for v in obj):
        rows = [pad + json.dumps(v, ensure_ascii=False, sort_keys=True, allow_nan=False)
                for v in obj]
        return "[\n" + ",\n".join(rows) + "\n" + " " * level + "]"
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, allow_nan=False)


def _json_bytes(obj: Any) -> bytes:
    return (_dumps(obj) + "\n").encode("utf-8")


def _feature_collection(features: list[dict[str, Any]], name: str) -> bytes:
    fc = {"type": "FeatureCollection", "name": name, "features": features}
    # One feature per line: small diffs, still valid JSON.
    head = json.dumps({k: v for k, v in fc.items() if k != "features"}, ensure_ascii=False,
                      sort_keys=True)[:-1]
    body = ",\n".join(json.dumps(f, ensure_ascii=False, sort_keys=True) for f in features)
    return (head + ',"features":[\n' + body + "\n]}\n").encode("utf-8")


def _kommun_geojson(geo: Geography, kommun: shapely.Polygon) -> bytes:
    feat = {"type": "Feature",
            "properties": {"kommunkod": KOMMUN_CODE, "kommunnamn": KOMMUN_NAME},
            "geometry": polygon_to_geojson(kommun)}
    return _feature_collection([feat], "kommun")


def _districts_geojson(geo: Geography) -> bytes:
    feats = []
    for r in geo.districts.sort_values("deso").to_dict("records"):
        feats.append({"type": "Feature",
                      "properties": {"deso": r["deso"], "namn": r["namn"],
                                     "befolkning": int(r["befolkning"])},
                      "geometry": polygon_to_geojson(r["geometry"])})
    return _feature_collection(feats, "districts")


def _gazetteer_csv(geo: Geography) -> bytes:
    a = geo.addresses.sort_values(["postort", "gatunamn", "husnummer", "bokstav"], kind="stable")
    e, n = to_sweref(a["x"].to_numpy(), a["y"].to_numpy())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["typ", "gatunamn", "husnummer", "bokstav", "postnummer", "postort", "platsnamn",
                "nord", "ost"])
    for r, ee, nn in zip(a.to_dict("records"), e, n, strict=True):
        w.writerow(["adress", r["gatunamn"], int(r["husnummer"]), r["bokstav"], r["postnummer"], r["postort"],
                    "", round(float(nn)), round(float(ee))])
    for p in sorted(geo.places, key=lambda p: p.name):
        ee, nn = to_sweref(np.array([p.x]), np.array([p.y]))
        w.writerow(["plats", "", "", "", p.postnummer, p.postort, p.name, round(float(nn[0])),
                    round(float(ee[0]))])
    return buf.getvalue().encode("utf-8")


def _point(x: float, y: float) -> dict[str, float]:
    lon, lat = to_wgs84(np.array([x]), np.array([y]))
    return {"lat": round(float(lat[0]), 6), "lon": round(float(lon[0]), 6)}


def _count_by(rows: pd.DataFrame) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (src, yr), g in rows.groupby(["source", rows["t"].dt.year]):
        out.setdefault(str(src), {})[str(yr)] = len(g)
    return out


def _hotspots(geo: Geography, rows: pd.DataFrame) -> list[dict[str, Any]]:
    comps = {c.name: c for c in components(geo)}
    spec = [
        ("hs_resecentrum", "Resecentrum", "persistent", 150, "every day, peaks 6-10 and 15-20"),
        ("hs_nattliv", "Storgatan vid Centrumtorget (nattliv)", "persistent", 200,
         "Friday and Saturday nights 22-03"),
        ("hs_handelsplatsen", "Handelsplatsen Väster", "emerging", 150,
         "2025 only, rising month by month; afternoons"),
        ("hs_solberga", "Solberga centrum", "declining", 150,
         "strong in 2024, 15 % of that intensity in 2025; evenings"),
    ]
    out = []
    for comp_name, name, kind, radius, when in spec:
        pol = comps[comp_name]
        cats = sorted({c for c in pol.cats} | {
            c for cc in components(geo) if cc.name == comp_name for c in cc.cats})
        sub = rows[(rows["component"] == comp_name)]
        years = [2024, 2025] if kind == "persistent" else [2025] if kind == "emerging" else [2024]
        out.append({"name": name, "kind": kind, **_point(*pol.centre), "radius_m": radius,
                    "sigma_m": [float(pol.sigma[0]), float(pol.sigma[1])],
                    "categories": cats, "years": years, "when": when, "component": comp_name,
                    "rows_by_source_and_year": _count_by(sub)})
    return out


def _background(geo: Geography, rows: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    d = geo.districts.set_index("namn")
    for name in geo.background_districts:
        district: shapely.Polygon = d.loc[name, "geometry"]
        poly = district.buffer(-300).simplify(20)
        inside = files.in_polygon(rows, poly) & rows["precision"].isin(["point", "address"])
        out.append({"name": name, "deso": d.loc[name, "deso"],
                    "polygon": polygon_to_geojson(poly),
                    "note": "district polygon shrunk by 300 m; only uniform noise and "
                            "residential background fall here",
                    "located_rows": int(inside.sum())})
    return out


def _measure(geo: Geography, rows: pd.DataFrame) -> dict[str, Any]:
    area = geo.measure_area
    ring = area.buffer(250).difference(area)
    target = rows["category"].isin(MEASURE_TARGETS) & rows["precision"].isin(["point", "address"])
    t = rows["t"]
    start = pd.Timestamp(MEASURE_START)
    windows = {
        "before": (pd.Timestamp("2024-05-01"), start),
        "after": (start, pd.Timestamp("2026-01-01")),
        "before_all": (pd.Timestamp("2024-01-01"), start),
    }
    inside = files.in_polygon(rows, area)
    in_ring = files.in_polygon(rows, ring)
    in_kommun = files.in_polygon(rows, geo.boundary.buffer(1))
    zones = {"area": inside, "buffer_250m": in_ring, "comparison": in_kommun & ~inside & ~in_ring}
    counts: dict[str, dict[str, int]] = {}
    for zname, zmask in zones.items():
        counts[zname] = {}
        for wname, (w0, w1) in windows.items():
            m = target & zmask & (t >= w0) & (t < w1)
            counts[zname][wname] = int(m.sum())
    return {
        "name": "Trygghetsåtgärder i Stationsparken",
        "area_name": "Stationsparken",
        "area_polygon": polygon_to_geojson(area),
        "start_date": str(MEASURE_START.astype("datetime64[D]")),
        "target_categories": list(MEASURE_TARGETS),
        "planted_effect": {
            "kind": "multiplicative drop after start_date inside the area",
            "factor_after_start": MEASURE_FACTOR,
            "relative_change": round(MEASURE_FACTOR - 1.0, 3),
            "buffer": "no planted change (no displacement)",
            "comparison": "no planted change (rest of the kommun)",
        },
        "windows": {k: [str(v[0].date()), str(v[1].date())] for k, v in windows.items()},
        "counts": counts,
        "counts_note": "target-category rows placed at point or address precision (true "
                       "positions), half-open windows [start, end) in local time; "
                       "comparison = kommun minus area minus the 250 m buffer ring",
    }


#: Bands of the Knox test a reader of the truth should run (metres, days).
NEAR_REPEAT_KNOX = {"distance_bands": [0, 1, 200, 400, 600], "time_bands": [0, 7, 14, 21, 28],
                    "metric": "manhattan"}


def _close_pairs(rows: pd.DataFrame, max_m: float, max_days: float) -> int:
    """Pairs of rows with 1 ≤ |dx| + |dy| < max_m (whole metres, as the file) and |Δt| < max_days."""
    e, n = to_sweref(rows["x"].to_numpy(), rows["y"].to_numpy())
    xy = np.column_stack([np.round(e), np.round(n)])
    t = rows["t"].to_numpy().astype("datetime64[m]").astype(np.int64)
    pairs = cKDTree(xy).query_pairs(max_m, p=1, output_type="ndarray")
    if len(pairs) == 0:
        return 0
    d = np.abs(xy[pairs[:, 0]] - xy[pairs[:, 1]]).sum(axis=1)
    dt = np.abs(t[pairs[:, 0]] - t[pairs[:, 1]])
    return int(((d >= 1) & (d < max_m) & (dt < max_days * 1440)).sum())


def _near_repeat(rows: pd.DataFrame, pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """The planted near-repeat pattern and what a Knox test on the police file should find."""
    point = rows[(rows["source"] == "polis") & (rows["precision"] == "point")]
    out: dict[str, Any] = {
        "category": NEAR_REPEAT_CATEGORY,
        "control_category": "fordonsbrott",
        "rule": "a burglary chosen with probability share (in time order) is moved to an address "
                "min_m-max_m (manhattan) from a burglary min_days-max_days before it; times are kept",
        "share": NEAR_REPEAT_SHARE, "min_days": NEAR_REPEAT_DAYS[0], "max_days": NEAR_REPEAT_DAYS[1],
        "min_m": NEAR_REPEAT_METRES[0], "max_m": NEAR_REPEAT_METRES[1],
        "planted_pairs": len(pairs),
        "planted_pairs_by_year": {str(y): sum(1 for p in pairs if str(p["follower_t"]).startswith(str(y)))
                                  for y in YEARS},
        "knox": dict(NEAR_REPEAT_KNOX),
        "expected_raised": {"distance_band": "1–200 m", "time_bands": ["0–7 dagar", "7–14 dagar"]},
        "point_rows_pairs_1_200m_0_14d": {
            cat: _close_pairs(point[point["category"] == cat], 200.0, 14.0)
            for cat in (NEAR_REPEAT_CATEGORY, "fordonsbrott")},
        "note": "pairs counted among the police file's point rows (X/Y as written, whole metres) "
                "with 1 <= |dx| + |dy| < 200 m and |time difference| < 14 days: the sum of the Knox "
                "table's cells '1–200 m' x ('0–7 dagar', '7–14 dagar') over all the data",
    }
    return out


def _files_truth_categories(rows: pd.DataFrame) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for src, g in rows.groupby("source"):
        out[str(src)] = {str(k): int(v) for k, v in g["category"].value_counts().sort_index()
                         .items()}
    return out


def generate_sample(*, seed: int = DEFAULT_SEED) -> dict[str, bytes]:
    """Generate every Exempelkommun file in memory.

    Parameters
    ----------
    seed
        Seed of the numpy random generator; the same seed gives the same bytes.

    Returns
    -------
    dict
        File name → file content, in the order of :data:`SAMPLE_FILES`.

    Examples
    --------
    >>> files = generate_sample()
    >>> sorted(files)[:3]
    ['districts.geojson', 'gazetteer.csv', 'incidents_kommun.csv']
    """
    rng = np.random.default_rng(seed)
    geo = build_geography(rng)
    kommun = shapely.coverage_union_all(list(geo.districts["geometry"]))
    ev = draw_events(geo, rng)
    ev = apply_measure(ev, geo, rng)
    # Its own stream: the near-repeat pattern moves burglaries without changing any other draw.
    ev, nr_pairs = plant_near_repeats(ev, geo, np.random.default_rng([seed, 14]))
    police_bytes, police_truth, police_rows = files.police_file(ev, geo, rng)
    kommun_bytes, kommun_truth, kommun_rows = files.kommun_file(ev, geo, rng)
    rows = pd.concat([police_rows, kommun_rows], ignore_index=True)
    survey_bytes, survey_truth = survey_file(geo, rng)
    pins_bytes, pins_truth = pins_file(geo, rng, rows)
    police_truth["categories"] = _files_truth_categories(police_rows)["polis"]
    kommun_truth["categories"] = _files_truth_categories(kommun_rows)["kommun"]
    d = geo.districts
    truth: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generator": {"module": "lagesbild_geo.sample", "seed": int(seed),
                      "period": ["2024-01-01", "2025-12-31"], "years": list(YEARS)},
        "kommun": {"code": KOMMUN_CODE, "name": KOMMUN_NAME, "towns": [MAIN_TOWN, SECOND_TOWN],
                   "area_km2": round(kommun.area / 1e6, 3),
                   "population": int(d["befolkning"].sum()),
                   "shared_street_names": sorted(
                       set(geo.addresses.loc[geo.addresses.postort == SECOND_TOWN, "gatunamn"])
                       & set(geo.addresses.loc[geo.addresses.postort == MAIN_TOWN, "gatunamn"])),
                   "bbox_wgs84": _bbox(kommun)},
        "districts": {"count": len(d), "codes": sorted(d["deso"]),
                      "by_type": {str(k): int(v) for k, v in d["typ"].value_counts().sort_index()
                                  .items()}},
        "gazetteer": {"addresses": len(geo.addresses), "places": len(geo.places),
                      "postorter": sorted(set(geo.addresses["postort"])),
                      "crs": "EPSG:3006"},
        "files": {"incidents_polis.xlsx": police_truth, "incidents_kommun.csv": kommun_truth},
        "incidents_total": len(rows),
        "hotspots": _hotspots(geo, rows),
        "background_areas": _background(geo, rows),
        "measure": _measure(geo, rows),
        "near_repeat": _near_repeat(rows, nr_pairs),
        "patterns": {
            "seasonal": {"categories": sorted(SEASON_AMPLITUDE), "peak_month": 7,
                         "amplitude": 0.5,
                         "formula": "intensity × (1 + amplitude × cos(2π (month − peak) / 12))"},
            "bostadsinbrott": "peak in January (amplitude 0.25), weekdays 9-17",
            "nightlife": "vald and ordning around Storgatan/Centrumtorget, Friday and Saturday "
                         "22-03 about ten times the weekday rate",
            "dst": "no local times inside the DST gap or the repeated autumn hour",
            "near_repeat": "about 20 % of the bostadsinbrott follow an earlier one 1-14 days "
                           "before, 20-190 m away (see near_repeat)",
        },
        "survey": survey_truth,
        "pins": pins_truth,
    }
    out = {
        "kommun.geojson": _kommun_geojson(geo, kommun),
        "districts.geojson": _districts_geojson(geo),
        "gazetteer.csv": _gazetteer_csv(geo),
        "incidents_polis.xlsx": police_bytes,
        "incidents_kommun.csv": kommun_bytes,
        "survey_trygghet.csv": survey_bytes,
        "survey_pins.geojson": pins_bytes,
        "truth.json": _json_bytes(truth),
    }
    return {name: out[name] for name in SAMPLE_FILES}


def _bbox(poly: shapely.Polygon) -> list[float]:
    xy = np.asarray(poly.exterior.coords)
    lon, lat = to_wgs84(xy[:, 0], xy[:, 1])
    return [round(float(lon.min()), 6), round(float(lat.min()), 6), round(float(lon.max()), 6),
            round(float(lat.max()), 6)]


def write_sample(directory: str | Path, *, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the Exempelkommun files into ``directory`` (created when missing).

    Parameters
    ----------
    directory
        Target folder; existing sample files in it are overwritten, others are left alone.
    seed
        Seed of the generator (:data:`DEFAULT_SEED` gives the committed ``sample_data/``).

    Returns
    -------
    dict
        File name → path written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(tmp)
    >>> sorted(paths)[-1]
    'truth.json'
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, data in generate_sample(seed=seed).items():
        path = target / name
        path.write_bytes(data)
        written[name] = path
    return written


def example_lagesbild(directory: str | Path | None = None, **changes: Any) -> Lagesbild:
    """Exempelkommun's lägesbild, built once per process (each call gets its own copy).

    For trying the library and for examples:
    ``build_lagesbild(example_config(directory, **changes))`` without building it again.

    Parameters
    ----------
    directory
        The sample data. Default: ``sample_data`` in the working folder when it is there
        (a clone of the project), else the sample generated once into a temporary folder.
    changes
        Changes to the example configuration (:func:`lagesbild_geo.config.example_config`),
        e.g. ``emerging=False``.

    Examples
    --------
    >>> lb = example_lagesbild(clusters=False, emerging=False)
    >>> lb.metadata["kommun"]["name"], lb.metadata["period"]["label"]
    ('Exempelkommun', '2025')
    """
    if directory is None:
        directory = "sample_data" if (Path("sample_data") / "truth.json").is_file() else _generated_sample()
    folder = Path(directory).expanduser().resolve()
    files = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*") if p.is_file()))
    options = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in changes.items()))
    return copy.deepcopy(_built_example(str(folder), files, options))


@functools.lru_cache(maxsize=4)
def _built_example(directory: str, files: tuple[tuple[str, int], ...],
                   changes: tuple[tuple[str, Any], ...]) -> Lagesbild:
    return build_lagesbild(example_config(directory, **dict(changes)))


@functools.cache
def _generated_sample() -> str:
    """Exempelkommun written once into a temporary folder (removed when Python exits)."""
    directory = tempfile.mkdtemp(prefix="exempelkommun_")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    write_sample(directory)
    return directory


def add_example_measures(store: MeasureStoreProtocol, sample_dir: str | Path, *, user: str = "exempel") -> list[str]:
    """Put Exempelkommun's example area and measure into a measure store.

    The measure is the one planted in ``truth.json`` (an area where the target
    categories drop after the start date), so a new user can try the follow-up
    at once. Nothing is added when an area of that name already exists.

    Parameters
    ----------
    store
        An open :class:`lagesbild_geo.measures.MeasureStore`.
    sample_dir
        A folder written by :func:`write_sample` (needs ``truth.json``).
    user
        Name recorded in the audit trail.

    Returns
    -------
    list of str
        Ids of the measures added (empty when the area was already there).

    Examples
    --------
    >>> import tempfile
    >>> from lagesbild_geo.measures import MeasureStore
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with MeasureStore(Path(tmp) / "s.sqlite") as store:
    ...         added = add_example_measures(store, "sample_data")
    ...         again = add_example_measures(store, "sample_data")
    >>> len(added), len(again)
    (1, 0)
    """
    truth_path = Path(sample_dir) / "truth.json"
    try:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        m = truth["measure"]
    except FileNotFoundError:
        raise InputError(f"{truth_path} does not exist; write the sample with `lagesbild sample DIR`.") from None
    except (KeyError, json.JSONDecodeError) as exc:
        raise InputError(f"{truth_path} has no usable 'measure' entry ({exc}).") from None
    existing = store.list_areas()
    if len(existing) and (existing["name"] == m["area_name"]).any():
        return []
    area = store.add_area(
        name=m["area_name"], geometry=m["area_polygon"], created_by=user,
        description="Exempelområde: parken vid Resecentrum (Exempelkommun).",
    )
    measure = store.add_measure(
        area_id=area.id, title=m.get("name") or f"Åtgärder i {m['area_name']}",
        target_categories=list(m["target_categories"]),
        description="Bättre belysning, röjd vegetation och kvällsvandringar med fältassistenter.",
        problem="Skadegörelse och ordningsstörningar kvällstid i parken vid stationen.",
        cause_tags=["belysning", "skymd sikt", "skadegörelse"],
        responsible="forvaltning", partners=["polisen", "fastighetsagare"],
        start_date=m["start_date"], status="pågående",
        indicator="Anmälda skadegörelse- och ordningsärenden i parken per månad",
        created_by=user,
    )
    return [measure.id]
