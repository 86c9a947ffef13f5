"""Inputs as a kommun analyst gives them, found trying the toolkit on real public data
(round 9): a national gazetteer's places outside the kommun, a shapefile delivered in
parts, times written "24:00", and more. Every file here is small and synthetic."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from lagesbild_geo.geocode import Gazetteer, place_pending
from lagesbild_geo.read import read_incidents

# a national list of localities (Locality, Municipality, lat/lon), as svenska-stader.csv
LOCALITIES = pd.DataFrame({
    "Locality": ["Storvreta", "Björklinge", "Kiruna", "Varberg", "Danmark"],
    "Municipality": ["Uppsala", "Uppsala", "Kiruna", "Varberg", "Uppsala"],
    "Latitude": [59.956938, 60.029136, 67.855072, 57.105741, 57.949937],  # Danmark: a wrong entry
    "Longitude": [17.704209, 17.551431, 20.225548, 12.250294, 11.549310],
})
UPPSALA = gpd.GeoDataFrame({"kommun": ["Uppsala"]}, geometry=[box(17.2, 59.7, 18.3, 60.2)], crs=4326)


# --------------------------------------------------------------------------- 1. gazetteer places outside the kommun


def test_a_geocoded_place_outside_the_boundary_is_rejected_not_counted() -> None:
    gaz = Gazetteer.from_frame(LOCALITIES)
    inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 5,
                        "Plats": ["Storvreta", "Kiruna", "Varberg", "Danmark", "Björklinge"]})
    res = place_pending(read_incidents(inc), gaz, boundary=UPPSALA)
    assert res.placed["location_text"].tolist() == ["Storvreta", "Björklinge"]
    rej = res.rejected.sort_values("source_row")
    assert rej["source_row"].tolist() == [2, 3, 4]  # a DataFrame's rows count from 1
    assert set(rej["reason"]) == {"outside boundary"}
    assert set(rej["reason_sv"]) == {"utanför området"}
    assert rej["geocode_candidate"].tolist() == ["Kiruna, Kiruna", "Varberg, Varberg", "Danmark, Uppsala"]
    assert rej["raw_Plats"].tolist() == ["Kiruna", "Varberg", "Danmark"]
    assert res.report["placed"] + res.report["rejected"] == res.report["rows_read"] == 5
    assert res.report["rejected_by_reason"] == {"outside boundary": 3}


def test_without_a_boundary_the_geocoded_places_stay_placed() -> None:
    gaz = Gazetteer.from_frame(LOCALITIES)
    inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 2, "Plats": ["Storvreta", "Kiruna"]})
    res = place_pending(read_incidents(inc), gaz)
    assert res.placed["location_text"].tolist() == ["Storvreta", "Kiruna"]


def test_a_build_with_a_boundary_rejects_a_geocoded_place_of_another_kommun(tmp_path: Path) -> None:
    from lagesbild_geo.cli import main

    LOCALITIES.to_csv(tmp_path / "orter.csv", index=False)
    (tmp_path / "brott.csv").write_text(
        "Datum;Tid;Brottstyp;Plats\n2025-03-01;12:00;Stöld;Storvreta\n2025-03-02;13:00;Stöld;Kiruna\n",
        encoding="utf-8")
    UPPSALA.to_file(tmp_path / "gräns.geojson")
    rj = tmp_path / "avvisade.csv"
    code = main(["build", "--incidents", str(tmp_path / "brott.csv"), "--gazetteer", str(tmp_path / "orter.csv"),
                 "--boundary", str(tmp_path / "gräns.geojson"), "--kommun", "Uppsala",
                 "--out", str(tmp_path / "ut"), "--rejected", str(rj), "--quiet"])
    assert code == 0
    rows = pd.read_csv(rj, sep=";", encoding="utf-8-sig", dtype=str)
    assert rows[["source_row", "reason", "raw_Plats"]].values.tolist() == [["3", "outside boundary", "Kiruna"]]
