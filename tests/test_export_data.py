"""A small hand-built Lagesbild for the export, privacy and report tests.

Twelve res-9 cells near Exempelstad with known counts, three districts, two
clusters, survey layers, and incidents carrying planted personal data.
Imported by the other test modules (``from test_export_data import ...``).
"""

from __future__ import annotations

import geopandas as gpd
import h3  # tests may use h3 directly; the library goes through lagesbild_geo.grid
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box

from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.settings import Settings

# Values planted in the incident table; none may appear in any exported byte.
PLANTED = {
    "personnr": "19850101-1234",          # header-detected (fails Luhn on purpose)
    "ref_no_header": "811218-9876",       # content-detected, Luhn-valid
    "namn": "Kalle Svensson-Planted",
    "falt_7": "Anna Andersson",          # content-detected person name
    "telefon": "070-123 45 67",
    "kontaktinfo": "0701234599",          # content-detected phone
    "epost": "kalle.planted@example.se",
    "info": "skicka till lisa.planted@example.org",  # content-detected e-mail
    "kommentar": "Grannen Sven Planted såg allt från balkongen på Storgatan 12",
    "beskrivning": "Mannen i röd jacka sprang mot stationen efter bråket vid kiosken",
    "summary": "Patrull skickad, planterad fritext om en person",
}
PIN_COMMENT = "Här står det alltid folk och langar, ring mig på 0709876543"

COUNTS = [9, 7, 5, 4, 3, 3, 2, 1, 1, 6, 8, 2]  # per cell
CATS = ["vald", "stold", "skadegorelse"]
GI_CLASSES = ["hot_99", "hot_95", "hot_90", "none", "none", "none", "none", "none", "none",
              "hot_95", "cold_90", "none"]
RES = 9
PREVIOUS = [2, 30, 9]  # district totals of the previous period


def _cells() -> np.ndarray:
    start = h3.latlng_to_cell(59.37, 17.10, RES)
    ring = sorted(h3.grid_disk(start, 2))[:12]
    return np.array([h3.str_to_int(c) for c in ring], dtype=np.uint64)


def _hex(c: int) -> Polygon:
    return Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(h3.int_to_str(int(c)))])


def tiny_lagesbild(settings: Settings | None = None) -> Lagesbild:
    settings = settings or Settings()
    cells = _cells()
    rows = []
    k = 0
    for ci, (c, n) in enumerate(zip(cells, COUNTS, strict=True)):
        lat, lon = h3.cell_to_latlng(h3.int_to_str(int(c)))
        for j in range(n):
            cat = CATS[(ci + j) % 3]
            k += 1
            rows.append({
                "incident_id": f"K-{k:04d}",
                "occurred_at": pd.Timestamp("2025-01-01 00:00", tz="Europe/Stockholm")
                + pd.Timedelta(days=(k * 11) % 360, hours=(k * 5) % 24),
                "category": cat,
                "category_raw": cat.upper(),
                "lat": lat,
                "lon": lon,
                "easting": 0.0,
                "northing": 0.0,
                "precision": "address",
                "location_text": f"Storgatan {k}",
                "cell": c,
                "source": "/home/anna.planted/data/incidents_kommun.csv",
                "source_row": k + 1,
            })
    inc = pd.DataFrame(rows)
    e, n = Transformer.from_crs(4326, 3006, always_xy=True).transform(
        inc["lon"].to_numpy(), inc["lat"].to_numpy())
    inc["easting"], inc["northing"] = e, n
    inc["cell"] = inc["cell"].astype("uint64")
    for col, val in PLANTED.items():
        inc[col] = val
    # variation so content sampling sees realistic columns
    inc["falt_7"] = [["Anna Andersson", "Erik Johansson", "Maria Karlsson"][i % 3] for i in range(len(inc))]
    inc["kontaktinfo"] = [f"07012345{i % 100:02d}" for i in range(len(inc))]
    inc["district_code"] = np.where(inc["lon"] < 17.095, "9999C1010",
                                    np.where(inc["lon"] < 17.107, "9999C1020", "9999C1030"))

    counts = inc.groupby("cell").size().reindex(cells).fillna(0).astype("int64")
    per_cat = (inc.groupby(["cell", "category"]).size().unstack(fill_value=0)
               .reindex(index=cells, columns=CATS, fill_value=0))
    cell_df = pd.DataFrame({"count": counts.to_numpy()}, index=pd.Index(cells, name="cell"))
    for cat in CATS:
        cell_df[f"count_{cat}"] = per_cat[cat].to_numpy()
    geoms = [_hex(c) for c in cells]
    cell_gdf = gpd.GeoDataFrame(cell_df, geometry=geoms, crs="EPSG:4326")
    hot = cell_gdf.copy()
    z = np.array([3.1, 2.2, 1.7, 0.5, 0.1, -0.2, 0.3, 0.0, -0.4, 2.0, -1.7, 0.2])
    hot["gi_z"] = z
    hot["gi_p"] = np.round(np.linspace(0.001, 0.9, 12), 4)
    hot["gi_p_adj"] = np.round(np.linspace(0.002, 0.95, 12), 4)
    hot["gi_bin"] = [3, 2, 1, 0, 0, 0, 0, 0, 0, 2, -1, 0]
    hot["hotspot_class"] = GI_CLASSES
    hot["n_neighbours"] = [7] * 12

    clusters = gpd.GeoDataFrame(
        {"cluster_id": [1, 2], "n": [25, 2], "area_m2": [40000.0, 900.0],
         "density_per_km2": [625.0, 2222.2], "top_categories": [["vald", "stold"], ["stold"]],
         "peak_hour": [22, 14], "label_text": ["Stationen, Sven Planted", "x"]},
        geometry=[box(17.09, 59.365, 17.10, 59.372), box(17.11, 59.37, 17.111, 59.3705)],
        crs="EPSG:4326",
    )
    emerging = gpd.GeoDataFrame(
        {"emerging_class": ["new_hot", "persistent_hot"] + ["no_pattern"] * 10},
        index=pd.Index(cells, name="cell"), geometry=geoms, crs="EPSG:4326")

    # districts: three vertical strips
    strips = [(17.06, 17.095), (17.095, 17.107), (17.107, 17.15)]
    codes = ["9999C1010", "9999C1020", "9999C1030"]
    names = ["Centrum", "Stationsområdet", "Östra Åby"]
    d_geom = []
    for lo, hi in strips:
        # counter-clockwise on purpose reversed later by export? give clockwise to test orientation
        d_geom.append(Polygon([(lo, 59.35), (lo, 59.39), (hi, 59.39), (hi, 59.35)]))
    by_d = inc.groupby("district_code").size().reindex(codes, fill_value=0)
    by_dc = (inc.groupby(["district_code", "category"]).size().unstack(fill_value=0)
             .reindex(index=codes, columns=CATS, fill_value=0))
    # column names as lagesbild_geo.districts.summarize writes them
    summary = pd.DataFrame({
        "district_code": codes, "district_name": names, "row_type": "district",
        "population": [1200.0, 800.0, np.nan],
    })
    for cat in CATS:
        summary[f"count_{cat}"] = by_dc[cat].to_numpy()
    summary["total"] = by_d.to_numpy()
    summary["per_1000"] = summary["total"] / summary["population"] * 1000
    summary["share_of_total"] = summary["total"] / summary["total"].sum()
    summary["top1"] = by_dc.idxmax(axis=1).to_numpy()
    summary["total_previous"] = PREVIOUS
    summary["change"] = summary["total"] - summary["total_previous"]
    summary["change_direction"] = np.where(summary["change"] > 0, "increase", "decrease")
    summary["trygg_n"] = [40, 3, 12]
    summary["trygg_otrygg_share"] = [0.25, 0.67, 0.5]
    summary["trygg_suppressed"] = [False, True, False]
    summary = summary.set_index("district_code")
    districts = gpd.GeoDataFrame(summary.copy(), geometry=d_geom, crs="EPSG:4326")
    total_row = pd.DataFrame({"district_name": ["Hela kommunen"], "row_type": ["total"],
                              "population": [2000.0], "total": [int(by_d.sum())]},
                             index=pd.Index(["_total"], name="district_code"))
    district_summary = pd.concat([summary, total_row])

    survey_d = pd.DataFrame({
        "district_code": codes, "n": [40, 3, 12],
        "otrygg_share": [0.25, 0.67, 0.5], "mean_worry": [2.1, 3.3, 2.8],
        "unknown_metric": [1.0, 2.0, 3.0],  # not in the format: must be dropped
        "kommentar": ["fritext A", "fritext B", PIN_COMMENT],
    })
    pins = gpd.GeoDataFrame(
        {"pin_id": ["p1", "p2"], "orsak": ["Dålig belysning", "Droghandel"],
         "kommentar": [PIN_COMMENT, PIN_COMMENT], "datum": ["2025-03-01", "2025-04-02"]},
        geometry=[Point(17.1, 59.37), Point(17.105, 59.371)], crs="EPSG:4326")
    metadata = {
        "kommun": {"name": "Exempelkommun", "code": "9999"},
        "period": {"label": "2025", "start": "2025-01-01", "end": "2026-01-01"},  # end exclusive
        "sources": [{"name": "/home/anna.planted/data/incidents_kommun.csv", "sha256": "ab" * 32,
                     "rows": len(inc)}],
        "created_at": "2026-01-15T10:00:00+00:00",
    }
    return Lagesbild(
        incidents=inc,
        rejected=pd.DataFrame({"source": ["x"], "source_row": [5], "reason": ["no location"],
                               "reason_sv": ["plats saknas"], "raw_Namn": [PLANTED["namn"]]}),
        reports={"incidents_kommun.csv": {"rows_read": len(inc) + 1, "placed": len(inc),
                                          "pending": 0, "rejected": 1}},
        cells=cell_gdf,
        hotspots=hot,
        clusters=clusters,
        emerging=emerging,
        districts=districts,
        district_summary=district_summary,
        survey={"districts": survey_d, "pins": pins},
        metadata=metadata,
        settings=settings,
    )


def test_fixture_is_consistent() -> None:
    lb = tiny_lagesbild()
    assert len(lb.incidents) == sum(COUNTS) == int(lb.cells["count"].sum())
    assert int(lb.district_summary.loc["_total", "total"]) == len(lb.incidents)
    assert lb.cells.index.is_unique and len(lb.cells) == 12
