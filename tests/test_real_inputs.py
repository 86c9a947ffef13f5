"""Inputs as a kommun analyst gives them, found trying the toolkit on real public data
(round 9): a national gazetteer's places outside the kommun, a shapefile delivered in
parts, times written "24:00", and more. Every file here is small and synthetic."""

from __future__ import annotations

import json
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
    # a boundary around Storvreta only: the build writes every cell of the boundary (Uppsala's
    # box: 44 000 cells and 17 s)
    gpd.GeoDataFrame({"kommun": ["Uppsala"]}, geometry=[box(17.65, 59.93, 17.75, 59.98)],
                     crs=4326).to_file(tmp_path / "gräns.geojson")
    rj = tmp_path / "avvisade.csv"
    code = main(["build", "--incidents", str(tmp_path / "brott.csv"), "--gazetteer", str(tmp_path / "orter.csv"),
                 "--boundary", str(tmp_path / "gräns.geojson"), "--kommun", "Uppsala",
                 "--out", str(tmp_path / "ut"), "--rejected", str(rj), "--quiet"])
    assert code == 0
    rows = pd.read_csv(rj, sep=";", encoding="utf-8-sig", dtype=str)
    assert rows[["source_row", "reason", "raw_Plats"]].values.tolist() == [["3", "outside boundary", "Kiruna"]]


# --------------------------------------------------------------------------- 2. a shapefile in parts


def _shapefile(folder: Path, crs: int | None = 3006) -> Path:
    """Two stadsdelar in SWEREF 99 TM as a shapefile (.shp, .shx, .dbf and, with a crs, .prj)."""
    folder.mkdir(parents=True, exist_ok=True)
    g = gpd.GeoDataFrame({"name": ["VÅRBERG", "BAGARMOSSEN"]},
                         geometry=[box(664000, 6569000, 666000, 6571000), box(666000, 6569000, 668000, 6571000)],
                         crs=3006)
    path = folder / "stadsdelar.shp"
    g.to_file(path, engine="pyogrio")
    if crs is None:
        path.with_suffix(".prj").unlink()
    return path


@pytest.mark.parametrize(("remove", "expected"), [
    ((".shp", ".shx", ".prj"), "District layer stadsdelar.dbf is one part of a shapefile (its table of names "
                               "and codes, no shapes), and stadsdelar.shp is not beside it."),
    ((".shx",), "District layer stadsdelar.shp: stadsdelar.shx is missing beside it."),
    ((".dbf",), "District layer stadsdelar.shp: stadsdelar.dbf is missing beside it. Without the .dbf the "
                "shapes have none of their columns (names, codes, times)."),
])
def test_a_district_shapefile_missing_a_part_says_which(tmp_path: Path, remove: tuple[str, ...],
                                                        expected: str) -> None:
    from lagesbild_geo.districts import read_districts
    from lagesbild_geo.errors import InputError

    shp = _shapefile(tmp_path)
    for suffix in remove:
        shp.with_suffix(suffix).unlink()
    given = shp.with_suffix(".dbf") if ".shp" in remove else shp
    with pytest.raises(InputError) as exc:
        read_districts(given)
    assert str(exc.value).startswith(expected)
    assert "copy them all into one folder and give the .shp" in str(exc.value)


def test_the_dbf_of_a_whole_shapefile_points_to_its_shp(tmp_path: Path) -> None:
    from lagesbild_geo.districts import read_districts
    from lagesbild_geo.errors import InputError

    shp = _shapefile(tmp_path)
    with pytest.raises(InputError, match=r"^District layer stadsdelar\.dbf is one part of a shapefile "
                                         r"\(its table of names and codes, no shapes\): give stadsdelar\.shp"):
        read_districts(shp.with_suffix(".dbf"))


def test_a_boundary_and_a_place_layer_given_as_a_dbf_say_so(tmp_path: Path) -> None:
    from lagesbild_geo.errors import InputError
    from lagesbild_geo.pipeline import _boundary_features
    from lagesbild_geo.polisen import read_places

    dbf = _shapefile(tmp_path).with_suffix(".dbf")
    with pytest.raises(InputError, match=r"^Boundary file stadsdelar\.dbf is one part of a shapefile"):
        _boundary_features(dbf, None, None, [])
    with pytest.raises(InputError, match=r"^Place layer stadsdelar\.dbf is one part of a shapefile"):
        read_places(dbf)


def test_a_place_layer_without_its_prj_gets_its_crs_from_the_values(tmp_path: Path) -> None:
    from lagesbild_geo.polisen import read_places

    places = read_places(_shapefile(tmp_path, crs=None))  # SWEREF 99 TM metres, no .prj
    assert places["place_name"].tolist() == ["VÅRBERG", "BAGARMOSSEN"]
    assert str(places.crs) == "EPSG:4326"
    x, y = places.geometry.iloc[0].centroid.coords[0]
    assert 17.8 < x < 18.0 and 59.2 < y < 59.3  # Stockholm, not metres taken for degrees


def test_a_place_layer_in_a_local_zone_without_its_prj_is_refused_plainly(tmp_path: Path) -> None:
    from lagesbild_geo.errors import CRSError
    from lagesbild_geo.polisen import read_places

    g = gpd.GeoDataFrame({"name": ["VÅRBERG"]}, geometry=[box(150000, 6570000, 152000, 6572000)], crs=3011)
    g.to_file(tmp_path / "zon.shp", engine="pyogrio")
    (tmp_path / "zon.prj").unlink()
    with pytest.raises(CRSError, match=r"^Place layer .*zon\.shp has no CRS\..*EPSG:3011.*\.prj beside it"):
        read_places(tmp_path / "zon.shp")


# --------------------------------------------------------------------------- 3. times as people write them


@pytest.mark.parametrize(("date", "time", "expected"), [
    ("2025-03-01 24:00", None, "2025-03-02 00:00:00+01:00"),
    ("2025-03-01 24:00:00", None, "2025-03-02 00:00:00+01:00"),
    ("2025-12-31T24:00", None, "2026-01-01 00:00:00+01:00"),
    ("01.03.2025 24:00", None, "2025-03-02 00:00:00+01:00"),
    ("2025-03-01 1430", None, "2025-03-01 14:30:00+01:00"),
    ("01.03.2025 kl 2215", None, "2025-03-01 22:15:00+01:00"),
    ("2025-03-01", "24:00", "2025-03-02 00:00:00+01:00"),
    ("2025-03-01", "2400", "2025-03-02 00:00:00+01:00"),
    ("2025-03-01", "kl. 24", "2025-03-02 00:00:00+01:00"),
    ("2025-07-31", "24.00", "2025-08-01 00:00:00+02:00"),
])
def test_the_end_of_the_day_and_a_clock_without_colon_are_read(date: str, time: str | None,
                                                                 expected: str) -> None:
    from lagesbild_geo.read.values import parse_times

    t, status, _ = parse_times(pd.Series([date]), None if time is None else pd.Series([time]))
    assert (str(t.iloc[0]), int(status[0])) == (expected, 0)


@pytest.mark.parametrize(("date", "time"), [
    ("2025-03-01 24:30", None), ("2025-03-01 24:00:01", None), ("2025-03-01 143", None),
    ("2025-03-01 2460", None), ("2025-03-01", "24:01"), ("2025-03-01", "25:00"),
])
def test_times_past_the_end_of_the_day_stay_unparseable(date: str, time: str | None) -> None:
    from lagesbild_geo.read.values import parse_times

    t, status, _ = parse_times(pd.Series([date]), None if time is None else pd.Series([time]))
    assert (str(t.iloc[0]), int(status[0])) == ("NaT", 2)


def test_a_file_with_24_00_places_every_row(tmp_path: Path) -> None:
    path = tmp_path / "brott.csv"
    path.write_text("Datum;Klockslag;Brottstyp;Lat;Long\n2025-03-01;24:00;Stöld;59,33;18,06\n"
                    "2025-03-02;1430;Stöld;59,33;18,06\n2025-03-02;24:30;Stöld;59,33;18,06\n", encoding="utf-8")
    r = read_incidents(path)
    assert [str(t) for t in r.placed["occurred_at"]] == ["2025-03-02 00:00:00+01:00", "2025-03-02 14:30:00+01:00"]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[4, "unparseable time"]]


# --------------------------------------------------------------------------- 4. the police feed's event time


@pytest.mark.parametrize(("name", "published", "expected"), [
    # an announcement some days ahead: of the publication's year, not a year back
    ("01 maj 08:00, Övrigt, Stockholm", "2023-04-28 07:30:18+02:00", "2023-05-01 08:00:00+02:00"),
    ("17 juni 07.00, Övrigt, Örebro län", "2024-06-13 05:56:19+02:00", "2024-06-17 07:00:00+02:00"),
    ("18 september 12.27, Anträffad död, Karlstad", "2025-08-26 12:51:59+02:00", "2025-09-18 12:27:00+02:00"),
    # as before: the turn of the year, and an event published weeks late
    ("31 december 23.50, Brand, Nacka", "2025-01-01 00:40:16+01:00", "2024-12-31 23:50:00+01:00"),
    ("01 januari 00.10, Brand, Nacka", "2024-12-31 23:55:00+01:00", "2025-01-01 00:10:00+01:00"),
    ("22 juni 15.01, Försvunnen person, Gävle", "2025-07-07 20:16:12+02:00", "2025-06-22 15:01:00+02:00"),
    ("05 januari 22.53, Rattfylleri, Helsingborg", "2025-01-05 06:28:16+01:00", "2025-01-05 22:53:00+01:00"),
    ("10 mars 10.00, Stöld, Malmö", "2025-08-01 10:00:00+02:00", "2025-03-10 10:00:00+01:00"),
])
def test_an_event_time_is_never_put_a_year_before_its_publication(name: str, published: str,
                                                                   expected: str) -> None:
    from lagesbild_geo.polisen import event_times

    pub = pd.Series(pd.to_datetime([published])).dt.tz_convert("Europe/Stockholm")
    t, how = event_times(pd.Series([name]), pub)
    assert (str(t.iloc[0]), how.iloc[0]) == (expected, "name")


# --------------------------------------------------------------------------- 5. the police feed and a boundary


def _feed(tmp_path: Path, places: list[tuple[str, str]]) -> Path:
    """A police feed with one event per (location name, "lat,lon")."""
    import json

    events = [{"id": k, "datetime": f"2025-03-1{k} 2:10:00 +01:00", "name": f"1{k} mars 02.00, Misshandel, {n}",
               "summary": "", "url": f"/{k}/", "type": "Misshandel", "location": {"name": n, "gps": gps}}
              for k, (n, gps) in enumerate(places)]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events), encoding="utf-8")
    return path


# Varberg's centre in the feed lies in its harbour, 450 m outside SCB's land polygon
VARBERG_CENTRE, FALKENBERG = ("Varberg", "57.107118,12.252091"), ("Falkenberg", "56.905,12.491")
# no name column; small, as the build writes every cell of the boundary (a kommun-sized box:
# 12 000 cells and 5 s per build)
VARBERG = gpd.GeoDataFrame(geometry=[box(12.26, 57.05, 12.35, 57.15)], crs=4326)


def test_the_feeds_rows_are_not_tested_against_the_boundary_by_their_centre(tmp_path: Path) -> None:
    feed = _feed(tmp_path, [VARBERG_CENTRE, VARBERG_CENTRE, FALKENBERG])
    r = read_incidents(feed, boundary=VARBERG)
    assert len(r.placed) == 3 and len(r.rejected) == 0


@pytest.mark.parametrize("kommun", [["--kommun", "Varberg"], []])
def test_a_kommun_whose_feed_centre_lies_outside_its_boundary_keeps_its_rows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], kommun: list[str]) -> None:
    from lagesbild_geo.cli import main

    feed = _feed(tmp_path, [VARBERG_CENTRE, VARBERG_CENTRE, FALKENBERG])
    VARBERG.to_file(tmp_path / "gräns.geojson")
    rj = tmp_path / "avvisade.csv"
    assert main(["build", "--incidents", str(feed), "--boundary", str(tmp_path / "gräns.geojson"), *kommun,
                 "--out", str(tmp_path / "ut"), "--rejected", str(rj), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 incidents in the period" in out
    # kommun centres only: no cell, as the note says (the boundary's zero cells were written:
    # Uppsala's 28 750, 25 MB of zeros in the package)
    assert "0 cells, 0 hot spot cells" in out and "cells, hotspots, clusters and emerging hotspots are empty" in out
    assert json.loads((tmp_path / "ut" / "cells.geojson").read_text(encoding="utf-8"))["features"] == []
    rows = pd.read_csv(rj, sep=";", encoding="utf-8-sig", dtype=str)
    assert rows[["source_row", "reason"]].values.tolist() == [["3", "other kommun"]]
    if not kommun:
        assert "Kommun: Varberg, the only kommun of the police feed whose centre lies within 5 km of the " \
               "boundary" in out


def test_a_boundary_that_names_no_kommun_of_the_feed_is_refused(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from lagesbild_geo.cli import main

    feed = _feed(tmp_path, [VARBERG_CENTRE, FALKENBERG])
    gpd.GeoDataFrame(geometry=[box(14.0, 66.0, 14.1, 66.1)], crs=4326).to_file(tmp_path / "gräns.geojson")
    assert main(["build", "--incidents", str(feed), "--boundary", str(tmp_path / "gräns.geojson"),
                 "--out", str(tmp_path / "ut"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "The police feed names 2 kommuner and the boundary neither names the kommun" in err
    assert "--kommun NAME or CODE" in err


# --------------------------------------------------------------------------- 6. a national list of localities as gazetteer


def _towns_gazetteer() -> Gazetteer:
    towns = pd.DataFrame({
        "Locality": ["Vänge", "Valinge", "Sävja", "Stava", "Storvreta", "Solberga", "Solberga"]
                    + [f"Ort{i}" for i in range(40)],
        "Municipality": ["Uppsala", "Varberg", "Uppsala", "Uppsala", "Uppsala", "Österåker", "Kungälv"]
                        + [f"Kommun{i}" for i in range(40)],
        "Latitude": [59.86, 57.18, 59.81, 59.80, 59.96, 59.50, 57.94] + [60.0 + i / 100 for i in range(40)],
        "Longitude": [17.43, 12.30, 17.70, 17.69, 17.70, 18.36, 11.81] + [15.0] * 40,
    })
    return Gazetteer.from_frame(towns)


@pytest.mark.parametrize(("text", "candidate"), [("Vange", "Vänge"), ("Savja", "Sävja")])
def test_a_name_that_is_one_of_the_register_but_for_aao_is_offered_not_a_third(text: str,
                                                                               candidate: str) -> None:
    res = place_pending(read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"], "Plats": [text]})),
                        _towns_gazetteer())
    assert len(res.placed) == 0
    row = res.rejected.iloc[0]
    assert row["geocode_candidate"] == candidate
    assert row["geocode_note"].startswith("close to the candidate only when å, ä and ö are ignored")


def test_a_town_written_as_its_kommun_is_the_town() -> None:
    inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 3,
                        "Plats": ["Solberga, Österåker kommun", "Solberga, Österåkers kommun", "Solberga, Kungälvs stad"]})
    res = place_pending(read_incidents(inc), _towns_gazetteer())
    assert res.placed["geocode_label"].tolist() == ["Solberga, Österåker", "Solberga, Österåker",
                                                     "Solberga, Kungälv"]


def test_a_town_the_register_lacks_names_a_few_near_ones_or_its_aao_twin() -> None:
    inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 2, "Plats": ["Solberga, Osteraker", "Solberga, Kungsbacka"]})
    res = place_pending(read_incidents(inc), _towns_gazetteer())
    notes = res.rejected.sort_values("source_row")["geocode_note"].tolist()
    assert notes[0] == ("town 'Osteraker' is not covered by the gazetteer; it is Österåker only when å, ä and ö "
                        "are ignored: not applied (å, ä and ö are letters)")
    assert notes[1].startswith("town 'Kungsbacka' is not covered by the gazetteer (44 postorter; nearest: Kungälv, ")
    assert len(notes[1]) < 160  # not the whole list of a national register's towns


# --------------------------------------------------------------------------- 7. rows in another CRS than the file's


def test_rows_in_another_crs_than_the_file_are_named_in_a_note(tmp_path: Path) -> None:
    path = tmp_path / "blandat.csv"
    path.write_text("Ärende;Datum;Tid;Brottstyp;X;Y\n"
                    "K-1;2025-03-01;12:00;Stöld;6582050,82;619232,09\n"
                    "K-2;2025-03-02;12:00;Stöld;6583424;1574198\n"  # RT90
                    "K-3;2025-03-03;12:00;Stöld;59,3700;17,1200\n"  # lat/lon
                    "K-4;2025-03-04;12:00;Stöld;6583171,13;620476,43\n", encoding="utf-8")
    r = read_incidents(path)
    assert len(r.placed) == 2
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[3, "outside Sweden"], [4, "outside Sweden"]]
    note = next(w for w in r.report["warnings"] if "mixes coordinate systems" in w)
    assert note.startswith("blandat.csv: 2 row(s) lie outside Sweden read as SWEREF 99 TM (EPSG:3006) like the "
                           "rest of the file, but fit WGS84 lat/lon (EPSG:4326) (1 row(s): 4); RT90 2.5 gon V "
                           "(EPSG:3021) (1 row(s): 3)")


def test_a_file_wholly_in_one_crs_has_no_such_note(tmp_path: Path) -> None:
    path = tmp_path / "oslo.csv"
    path.write_text("Datum;Lat;Long\n2025-03-01 12:00;59,33;18,06\n2025-03-01 12:00;48,85;2,35\n", encoding="utf-8")
    r = read_incidents(path)
    assert r.rejected["reason"].tolist() == ["outside Sweden"]
    assert not any("mixes coordinate systems" in w for w in r.report["warnings"])


# --------------------------------------------------------------------------- 8. population inputs that would be ignored


def _regso(tmp_path: Path) -> Path:
    g = gpd.GeoDataFrame({"regsokod": ["0380R001", "0380R002"], "regsonamn": ["Norra", "Södra"]},
                         geometry=[box(17.6, 59.85, 17.65, 59.9), box(17.6, 59.8, 17.65, 59.85)], crs=4326)
    path = tmp_path / "regso.geojson"
    g.to_file(path)
    return path


def _points(tmp_path: Path) -> Path:
    path = tmp_path / "brott.csv"
    path.write_text("Datum;Brottstyp;Lat;Long\n2025-03-01 12:00;Stöld;59,87;17,62\n", encoding="utf-8")
    return path


def test_a_key_table_without_a_population_table_is_refused(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from lagesbild_geo.cli import main

    key = tmp_path / "nyckel.csv"
    key.write_text("bro;Kommunnamn;DeSO;RegSO\n380;Uppsala;0380C1010;Norra\n", encoding="utf-8")
    assert main(["build", "--incidents", str(_points(tmp_path)), "--districts", str(_regso(tmp_path)),
                 "--population-key", str(key), "--out", str(tmp_path / "ut"), "--quiet"]) == 1
    assert "give the population table too (--population FILE" in capsys.readouterr().err


def test_a_population_without_districts_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lagesbild_geo.cli import main

    pop = tmp_path / "folk.csv"
    pop.write_text("deso,folkmangd_2023\n0380C1010,1200\n", encoding="utf-8")
    assert main(["build", "--incidents", str(_points(tmp_path)), "--population", str(pop),
                 "--out", str(tmp_path / "ut"), "--quiet"]) == 1
    assert "give the district layer too (--districts FILE" in capsys.readouterr().err


def test_the_key_table_given_as_the_population_is_named_so() -> None:
    from lagesbild_geo.districts import district_population, read_districts
    from lagesbild_geo.errors import InputError

    d = read_districts(gpd.GeoDataFrame({"regsokod": ["0380R001"], "regsonamn": ["Norra"]},
                                        geometry=[box(17.6, 59.85, 17.65, 59.9)], crs=4326))
    key = pd.DataFrame({"bro": [380, 380], "Kommunnamn": ["Uppsala"] * 2, "DeSO": ["0380C1010", "0380C1020"],
                        "RegSO": ["Norra", "Norra"]})
    with pytest.raises(InputError, match=r"looks like SCB's key table between DeSO and RegSO .* give it as "
                                         r"--population-key"):
        district_population(key, d)


def test_a_postcode_table_as_gazetteer_is_refused_for_its_missing_coordinates() -> None:
    from lagesbild_geo.errors import GeocodeError

    postcodes = pd.DataFrame({"postal_code": ["75320"], "locality": ["Uppsala"], "municipality_code": ["0380"],
                              "municipality_name": ["Uppsala kommun"]})
    with pytest.raises(GeocodeError, match=r"^Gazetteer postnr\.csv has no coordinate columns"):
        Gazetteer.from_frame(postcodes, source="postnr.csv")


# --------------------------------------------------------------------------- 9. the police feed saved as a table


@pytest.mark.parametrize("sep", [";", ","])
def test_the_feed_saved_as_csv_is_read_as_the_feed(tmp_path: Path, sep: str) -> None:
    import json

    events = [
        {"id": 1, "datetime": "2025-01-05 6:28:16 +01:00", "name": "04 januari 22.53, Rattfylleri, Uppsala",
         "summary": "", "url": "/1/", "type": "Rattfylleri", "location": {"name": "Uppsala", "gps": "59.858564,17.638927"}},
        {"id": 2, "datetime": "2025-01-05 7:00:00 +01:00", "name": "05 januari 06.50, Sammanfattning natt, Uppsala län",
         "summary": "", "url": "/2/", "type": "Sammanfattning natt",
         "location": {"name": "Uppsala län", "gps": "59.858564,17.638927"}},
    ]
    path = tmp_path / "handelser.csv"
    pd.json_normalize(events).to_csv(path, index=False, sep=sep)
    r = read_incidents(path)
    assert r.placed["precision"].tolist() == ["kommun", "lan"]  # not points on the kommun's centre
    assert str(r.placed["occurred_at"].iloc[0]) == "2025-01-04 22:53:00+01:00"  # the event's, not published
    assert r.placed["category"].tolist() == ["trafik", "ej_brott"]
    assert (tmp_path / "handelser.json").write_text(json.dumps(events), encoding="utf-8")
    j = read_incidents(tmp_path / "handelser.json")
    assert r.placed[["occurred_at", "category", "precision", "location_text"]].equals(
        j.placed[["occurred_at", "category", "precision", "location_text"]])


# --------------------------------------------------------------------------- 10. a layer with x and y exchanged


def _swapped(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import shapely

    out = g.copy()
    out["geometry"] = shapely.transform(g.geometry.values, lambda a: a[:, ::-1])
    return out


MALMO = gpd.GeoDataFrame({"delomrade": ["TYGELSJÖ VÅNG", "KLAGSHAMN"], "do_kod": [24407.0, 24302.0]},
                         geometry=[box(12.95, 55.50, 13.00, 55.52), box(12.90, 55.50, 12.95, 55.52)], crs=4326)


@pytest.mark.parametrize("crs", [4326, 3006])
def test_a_district_layer_with_x_and_y_exchanged_is_refused(tmp_path: Path, crs: int) -> None:
    from lagesbild_geo.districts import read_districts
    from lagesbild_geo.errors import CRSError

    path = tmp_path / "delomraden.gpkg"
    _swapped(MALMO.to_crs(crs)).to_file(path)
    with pytest.raises(CRSError, match=rf"^District layer .*delomraden\.gpkg has its x and y exchanged: read as "
                                       rf"EPSG:{crs} .* Swap them in the file"):
        read_districts(path)
    assert len(read_districts(MALMO.to_crs(crs))) == 2  # the right way round: read


def test_a_boundary_and_a_place_layer_with_x_and_y_exchanged_are_refused(tmp_path: Path) -> None:
    from lagesbild_geo.errors import CRSError
    from lagesbild_geo.pipeline import _boundary_features
    from lagesbild_geo.polisen import read_places

    path = tmp_path / "gräns.geojson"
    _swapped(MALMO.dissolve()).to_file(path)
    with pytest.raises(CRSError, match=r"^Boundary file gräns\.geojson has its x and y exchanged"):
        _boundary_features(path, None, None, [])
    with pytest.raises(CRSError, match=r"^Place layer .*gräns\.geojson has its x and y exchanged"):
        read_places(path)


# --------------------------------------------------------------------------- 11. a kommun by its own name


@pytest.mark.parametrize(("given", "code"), [("Falu kommun", "2080"), ("Falu", "2080"), ("Region Gotland", "0980"),
                                             ("Falun", "2080"), ("Gotland", "0980")])
def test_a_kommun_by_the_name_it_gives_itself(given: str, code: str) -> None:
    from lagesbild_geo.names import find_kommun

    assert find_kommun(given).code == code


def test_a_build_for_falu_kommun_keeps_the_feeds_falun_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lagesbild_geo.cli import main

    feed = _feed(tmp_path, [("Falun", "60.607,15.63"), ("Falun", "60.607,15.63"), ("Borlänge", "60.48,15.43")])
    assert main(["build", "--incidents", str(feed), "--kommun", "Falu kommun", "--out", str(tmp_path / "ut"),
                 "--quiet"]) == 0
    assert "2 incidents in the period" in capsys.readouterr().out


def test_ambiguous_places_are_listed_once_each() -> None:
    gaz = Gazetteer.from_frame(pd.DataFrame({"platsnamn": ["Solberga", "Solberga", "Solberga"], "typ": ["plats"] * 3,
                                             "lat": [59.5, 57.9, 57.7], "lon": [18.3, 11.8, 14.7]}))
    res = place_pending(read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"], "Plats": ["Solberga"]})), gaz)
    assert res.rejected["geocode_candidate"].tolist() == ["Solberga"]


def test_a_layer_of_numeric_area_codes_without_names_says_so() -> None:
    from lagesbild_geo.districts import read_districts

    g = gpd.GeoDataFrame({"basomrade": ["21052", "30402"], "area_km2": [0.19, 0.10]},
                         geometry=[box(11.95, 57.70, 11.96, 57.71), box(11.96, 57.70, 11.97, 57.71)], crs=4326)
    d = read_districts(g)
    assert d.index.astype(str).tolist() == ["21052", "30402"]
    assert d.attrs["report"]["warnings"] == [
        "District layer (GeoDataFrame): no name column; the districts are named by their codes in 'basomrade'."]


def test_a_town_ending_in_stad_is_not_cut_to_another_town() -> None:
    gaz = Gazetteer.from_frame(pd.DataFrame({
        "gatunamn": ["Storgatan", "Storgatan"], "husnummer": ["1", "1"], "postort": ["Halmstad", "Halm"],
        "lat": [56.67, 57.0], "lon": [12.86, 13.0]}))
    res = place_pending(read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"],
                                                     "Adress": ["Storgatan 1, Halmstad"]})), gaz)
    assert res.placed["geocode_postort"].tolist() == ["Halmstad"]


def test_without_a_boundary_geocoded_rows_outside_every_district_are_named(tmp_path: Path) -> None:
    from lagesbild_geo.pipeline import PipelineConfig, build_lagesbild

    LOCALITIES.to_csv(tmp_path / "orter.csv", index=False)
    (tmp_path / "brott.csv").write_text(
        "Datum;Tid;Brottstyp;Plats\n2025-03-01;12:00;Stöld;Storvreta\n2025-03-02;13:00;Stöld;Kiruna\n",
        encoding="utf-8")
    d = gpd.GeoDataFrame({"regsokod": ["0380R001"], "regsonamn": ["Storvreta"]},
                         geometry=[box(17.6, 59.9, 17.8, 60.0)], crs=4326)
    d.to_file(tmp_path / "regso.geojson")
    lb = build_lagesbild(PipelineConfig(incidents=(str(tmp_path / "brott.csv"),), districts=str(tmp_path / "regso.geojson"),
                                        gazetteer=str(tmp_path / "orter.csv"), clusters=False, emerging=False,
                                        created_at="2026-01-01T00:00:00+00:00"))
    assert len(lb.incidents) == 2
    note = next(n for n in lb.metadata["notes"] if "geocoded row(s) lie outside every district" in n)
    assert note.startswith("1 geocoded row(s) lie outside every district (Kiruna 1)")
    assert "--boundary FILE" in note


def test_the_feeds_event_times_in_the_dst_hours_are_counted(tmp_path: Path) -> None:
    import json

    events = [{"id": k, "datetime": pub, "name": f"{when}, Brand, Malmö", "summary": "", "url": f"/{k}/",
               "type": "Brand", "location": {"name": "Malmö", "gps": "55.6,13.0"}}
              for k, (when, pub) in enumerate([("26 oktober 02.30", "2025-10-26 4:00:00 +01:00"),
                                               ("30 mars 02.30", "2025-03-30 5:00:00 +02:00"),
                                               ("30 mars 03.30", "2025-03-30 5:00:00 +02:00")])]
    path = tmp_path / "handelser.json"
    path.write_text(json.dumps(events), encoding="utf-8")
    r = read_incidents(path)
    assert (r.report["time"]["dst_ambiguous"], r.report["time"]["dst_nonexistent"]) == (1, 1)
    assert [str(t) for t in r.placed["occurred_at"]] == [
        "2025-10-26 02:30:00+02:00", "2025-03-30 03:30:00+02:00", "2025-03-30 03:30:00+02:00"]


def test_an_incident_shapefile_without_its_dbf_is_refused(tmp_path: Path) -> None:
    from lagesbild_geo.errors import InputError

    shp = _shapefile(tmp_path)
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(InputError, match=r"^stadsdelar\.shp: stadsdelar\.dbf is missing beside it\."):
        read_incidents(shp)


# --------------------------------------------------------------------------- 12. rows that name their district

def _deso_layer(tmp_path: Path) -> Path:
    path = tmp_path / "deso.geojson"
    gpd.GeoDataFrame({"deso": ["1380C1010", "0180C4020", "0180C4030"], "namn": ["Varberg C", "Vårberg", "Fruängen"],
                      "befolkning": [1500, 1600, 1700]},
                     geometry=[box(12.2, 57.1, 12.3, 57.2), box(17.89, 59.27, 17.9, 59.28),
                               box(17.96, 59.28, 17.97, 59.29)], crs=4326).to_file(path)
    return path


def test_a_deso_column_without_coordinates_places_rows_in_their_districts(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Incidents delivered per DeSO (a code or a name, no coordinates) are counted in their
    district, with no gazetteer; a text naming no district stays pending, never guessed
    (Varberg is not Vårberg), and every row is accounted for."""
    from lagesbild_geo.cli import main

    src = tmp_path / "brott_per_deso.csv"
    src.write_text("Diarienummer;Brottsdatum;Brottstyp;DeSO\n"
                   "1;2025-03-01 12:00;Stöld;0180C4020\n2;2025-03-02 13:00;Rån;0180c4020\n"
                   "3;2025-03-03 14:00;Misshandel;Fruängen\n4;2025-03-04 15:00;Stöld;Varberg\n"
                   "5;2025-03-05 16:00;Stöld;0180C4030\n6;2025-03-06 17:00;Stöld;0180C4030\n"
                   "7;2025-03-07 18:00;Stöld;Fruangen\n",
                   encoding="utf-8")
    out = tmp_path / "ut"
    assert main(["build", "--incidents", str(src), "--districts", str(_deso_layer(tmp_path)),
                 "--pending", str(tmp_path / "vantar.csv"), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "5 row(s) without coordinates name a district" in printed
    assert "2 row(s) have only an address or a place name (and name no single district)" in printed
    assert "'Fruangen' (did you mean Fruängen?)" in printed
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["ingest"] == {"brott_per_deso.csv": {"pending": None, "rejected": 0}}  # 2 < min_count: hidden
    assert meta["levels"]["district"] == 5
    table = pd.read_csv(out / "distrikt.csv", sep=";", dtype=str).set_index("Distriktskod")
    assert table.loc["0180C4030", "Antal händelser"] == "3"  # Fruängen by name and twice by code
    assert table.loc["0180C4020", "Dolda värden"].startswith("för få fall")  # 2 < min_count: hidden
    # "Varberg" is not Vårberg, nor "Varberg C": it stays pending
    pending = pd.read_csv(tmp_path / "vantar.csv", sep=None, engine="python", dtype=str)
    assert pending["location_text"].tolist() == ["Varberg", "Fruangen"]


def test_read_with_districts_alone_places_district_names_and_keeps_the_rest_pending(tmp_path: Path) -> None:
    from lagesbild_geo.districts import read_districts

    inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 3, "Område": ["Vårberg", "Storgatan 1", "0180C4030"]})
    res = place_pending(read_incidents(inc), Gazetteer.of_districts(read_districts(_deso_layer(tmp_path))),
                        unmatched="pending")
    assert res.placed["location_text"].tolist() == ["Vårberg", "0180C4030"]
    assert res.placed["precision"].tolist() == ["area", "area"]
    assert res.pending["location_text"].tolist() == ["Storgatan 1"]
    assert (res.report["placed"], res.report["pending"], res.report["rejected"]) == (2, 1, 0)
    with pytest.raises(ValueError, match="unmatched must be"):
        place_pending(read_incidents(inc), Gazetteer.of_districts(read_districts(_deso_layer(tmp_path))),
                      unmatched="drop")


# --------------------------------------------------------------------------- 13. aggregated tables (a count per row)

AGGREGATED = pd.DataFrame({"DeSO": ["0180C4020", "0180C4020", "0180C4030", "Fruängen"],
                           "Månad": ["2025-03", "2025-03", "2025-04", "2025/4"],
                           "Brottstyp": ["Stöld", "Rån", "Misshandel", "Stöld"],
                           "Antal": ["4", "0", "2", "1"]})


def test_a_count_column_makes_each_row_as_many_incidents_as_it_counts() -> None:
    res = read_incidents(AGGREGATED, columns={"count": "Antal"}, source_name="agg")
    assert res.report["rows_read"] == 7 and res.report["pending"] == 7  # 4 + 0 + 2 + 1, no coordinates
    assert res.report["count_column"] == {"column": "Antal", "rows_in_file": 4, "rows_with_0": 1, "incidents": 7}
    p = res.pending
    assert p["source_row"].tolist() == [1, 1, 1, 1, 3, 3, 4]  # a DataFrame's rows count from 1
    assert p["incident_id"].tolist() == ["agg:1#1", "agg:1#2", "agg:1#3", "agg:1#4", "agg:3#1", "agg:3#2", "agg:4"]
    assert p["category_raw"].tolist() == ["Stöld"] * 4 + ["Misshandel"] * 2 + ["Stöld"]
    # a month as the date: its first day
    assert [str(t.date()) for t in p["occurred_at"]] == ["2025-03-01"] * 4 + ["2025-04-01"] * 3
    assert any("give only a month in 'Månad'" in w for w in res.report["warnings"])


def test_a_count_like_column_is_not_used_unless_named_but_noted() -> None:
    res = read_incidents(AGGREGATED, source_name="agg")
    assert res.report["rows_read"] == 4
    assert any("column 'Antal' looks like a number of incidents per row" in w and "--column count=Antal" in w
               for w in res.report["warnings"])
    # "Antal gärningspersoner" beside one incident per row: never taken as a count by itself
    one = AGGREGATED.rename(columns={"Antal": "Antal gärningspersoner"})
    assert read_incidents(one, source_name="agg").report["rows_read"] == 4


def test_a_count_that_is_not_a_whole_number_is_refused_naming_the_rows() -> None:
    from lagesbild_geo.errors import InputError

    bad = AGGREGATED.assign(Antal=["4", "x", "2,5", "-1"])
    with pytest.raises(InputError, match=r"3 row\(s\) do not \(row 2: 'x', row 3: '2,5', row 4: '-1'\)"):
        read_incidents(bad, columns={"count": "Antal"}, source_name="agg")


def test_a_build_counts_an_aggregated_table_per_district(tmp_path: Path) -> None:
    from lagesbild_geo.pipeline import PipelineConfig, SourceConfig, build_lagesbild

    src = tmp_path / "per_deso.csv"
    AGGREGATED.to_csv(src, sep=";", index=False)
    cfg = PipelineConfig(incidents=(SourceConfig(str(src), columns={"count": "Antal"}),),
                         districts=str(_deso_layer(tmp_path)), clusters=False, emerging=False)
    lb = build_lagesbild(cfg)
    s = lb.district_summary
    assert int(s.loc["0180C4020", "total"]) == 4 and int(s.loc["0180C4030", "total"]) == 3
    assert int(s.loc["_total", "total"]) == 7 and len(lb.pending) == 0


# --------------------------------------------------------------------------- 14. round 10

def test_a_totals_row_of_an_aggregated_table_is_one_rejected_row_not_counted_twice(tmp_path: Path) -> None:
    """An aggregated export ends in "Totalt" / "Summa" / Excel's "Totalsumma": that row sums
    the others; read as a count it doubled the incidents and filled the rejected rows with
    1 239 copies of itself."""
    src = tmp_path / "per_regso.csv"
    src.write_text("Månad;RegSO;Brottstyp;Antal\n2025-03;0180R074;Stöld;1 234\n2025-03;0180R075;Rån;2\n"
                   "2025-04;0180R110;Misshandel;3\n;Totalt;;1 239\n", encoding="utf-8")
    res = read_incidents(src, columns={"count": "Antal"})
    assert (res.report["rows_read"], len(res.pending), len(res.rejected)) == (1240, 1239, 1)
    assert res.rejected[["source_row", "reason", "raw_RegSO"]].values.tolist() == [[5, "totals row", "Totalt"]]
    assert res.report["count_column"] == {"column": "Antal", "rows_in_file": 4, "rows_with_0": 0,
                                          "incidents": 1239, "totals_rows": 1}
    assert any("1 totals row(s) left out" in w and "row 5 ('Totalt', 1 239 in 'Antal')" in w
               for w in res.report["warnings"])
    # subtotals of an Excel pivot, a "Summa" in the month column: rejected the same way
    sub = pd.DataFrame({"Månad": ["2025-03", "2025-03", "Summa"], "Brottstyp": ["Stöld", "Stöld Summa", ""],
                        "Område": ["Centrum", "", ""], "Antal": ["2", "2", "2"]})
    r2 = read_incidents(sub, columns={"count": "Antal"}, source_name="pivot")
    assert (len(r2.pending), r2.rejected["source_row"].tolist()) == (2, [2, 3])
    # "Totalförsvaret", "Alla brott": names, not totals
    named = sub.assign(Brottstyp=["Totalförsvaret", "Alla brott", "Stöld"], Månad=["2025-03"] * 3,
                       Område=["Centrum"] * 3)
    assert len(read_incidents(named, columns={"count": "Antal"}).pending) == 6


def test_an_empty_count_is_named_as_empty_not_nan() -> None:
    from lagesbild_geo.errors import InputError

    bad = AGGREGATED.assign(Antal=["4", "", "2", "1"])
    with pytest.raises(InputError, match=r"1 row\(s\) do not \(row 2: empty\)\. Correct them \(0 where"):
        read_incidents(bad, columns={"count": "Antal"}, source_name="agg")


def test_a_wide_table_with_a_column_per_month_is_explained_and_one_month_as_count_refused() -> None:
    from lagesbild_geo.errors import InputError

    wide = pd.DataFrame({"RegSO": ["0180R074", "0180R075"], "Brottstyp": ["Stöld", "Rån"],
                         "2025-01": ["3", "4"], "2025-02": ["1", "0"], "2025-03": ["2", "2"]})
    res = read_incidents(wide, source_name="wide")
    assert any("3 columns are named as months (2025-01, 2025-02, 2025-03): a wide table" in w
               and "DataFrame.melt" in w for w in res.report["warnings"])
    with pytest.raises(InputError, match=r"the count column '2025-01' is one of 3 columns named as months"):
        read_incidents(wide, columns={"count": "2025-01"}, source_name="wide")
    # month names as headers too; "Månad", "Datum" and "Antal" are not months
    from lagesbild_geo.read.incidents import _month_columns
    assert _month_columns(["jan 2025", "Februari", "mars", "Månad", "Datum", "Antal", "2025M04"]) == [
        "jan 2025", "Februari", "mars", "2025M04"]


def _national_regso(tmp_path: Path) -> Path:
    path = tmp_path / "regso_riket.geojson"
    gpd.GeoDataFrame({"regsokod": ["0180R117", "0380R053", "0180R111", "0180R110"],
                      "regsonamn": ["Årsta", "Årsta", "Västertorp", "Västberga"], "kommunkod": ["0180", "0380", "0180", "0180"]},
                     geometry=[box(18.03, 59.29, 18.05, 59.30), box(17.66, 59.84, 17.68, 59.85),
                               box(17.96, 59.28, 17.97, 59.29), box(17.99, 59.29, 18.0, 59.30)], crs=4326).to_file(path)
    return path


def test_read_with_districts_says_why_a_district_name_stayed_pending(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A national layer's "Årsta" is in Stockholm and in Uppsala: none is chosen, and the
    user is told so (it said nothing; a build's note said the rows "name no district");
    `lagesbild read --districts` now gives the å/ä/ö hint a build gives."""
    from lagesbild_geo.cli import main

    src = tmp_path / "brott.csv"
    src.write_text("Datum;Område\n2025-03-01 12:00;Årsta\n2025-03-02 12:00;Vastberga\n2025-03-03 12:00;0180R111\n",
                   encoding="utf-8")
    assert main(["read", str(src), "--districts", str(_national_regso(tmp_path))]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "placed: 1 (area 1)" in printed and "pending: 2" in printed
    assert ("brott.csv: place text(s) that name several districts were not placed (none is chosen): "
            "'Årsta' (2 districts: 0180R117, 0380R053). Give the district code instead") in printed
    assert "'Vastberga' (did you mean Västberga?)" in printed
    # a build says it once
    assert main(["build", "--incidents", str(src), "--districts", str(_national_regso(tmp_path)),
                 "--out", str(tmp_path / "ut"), "--no-clusters", "--no-emerging"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("name several districts") == 1 and printed.count("did you mean Västberga") == 1


def test_a_district_code_that_lost_its_leading_zero_is_placed_as_read_districts_restores_it(tmp_path: Path) -> None:
    inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 4, "RegSO": ["180R111", "180r110", "80R111", "0180R111"]})
    res = place_pending(read_incidents(inc), Gazetteer.of_districts(read_districts_of(_national_regso(tmp_path))),
                        unmatched="pending")
    assert res.placed["geocode_label"].tolist() == ["Västertorp", "Västberga", "Västertorp"]
    assert res.pending["location_text"].tolist() == ["80R111"]  # two zeros lost: not a code


def read_districts_of(path: Path) -> gpd.GeoDataFrame:
    from lagesbild_geo.districts import read_districts

    return read_districts(path)


def test_measures_import_of_a_kommun_gis_file_in_sweref_99_18_00(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A kommun's areas in SWEREF 99 18 00 (EPSG:3011): a shapefile without its .prj was refused
    with "set the CRS in your GIS" and no way to give it; a GeoPackage of several layers
    imported whichever came first."""
    from lagesbild_geo.cli import main

    areas = gpd.GeoDataFrame({"Namn": ["Vårberg", "Bagarmossen"]},
                             geometry=[box(146000, 6568000, 147000, 6569000), box(158000, 6574000, 159000, 6575000)],
                             crs=3011)
    shp = tmp_path / "omraden.shp"
    areas.to_file(shp)
    shp.with_suffix(".prj").unlink()
    store = str(tmp_path / "s.sqlite")
    assert main(["measures", "import", str(shp), "--store", store]) == 1
    assert "the zone cannot be told from the values" in capsys.readouterr().err
    assert main(["measures", "import", str(shp), "--store", store, "--crs", "3011"]) == 0
    gpkg = tmp_path / "kommunens.gpkg"
    areas.to_file(gpkg, layer="trygghetsomraden")
    areas.iloc[:1].to_file(gpkg, layer="skolor")
    assert main(["measures", "import", str(gpkg), "--store", store]) == 1
    assert ("kommunens.gpkg holds 2 layers (trygghetsomraden, skolor); choose the one with the areas: "
            "--layer NAME") in capsys.readouterr().err
    capsys.readouterr()
    assert main(["measures", "import", str(gpkg), "--store", store, "--layer", "trygghetsomraden"]) == 0
    # the same two areas as the shapefile's: already in the store, not added twice
    assert "imported 0 areas; 2 already in the store" in capsys.readouterr().out
    from lagesbild_geo.measures import MeasureStore

    with MeasureStore(store) as s:
        got = s.list_areas()
    assert sorted(got["name"]) == ["Bagarmossen", "Vårberg"]
    b = gpd.GeoSeries(got.geometry if hasattr(got, "geometry") else got["geometry"]).total_bounds
    assert 17.9 < b[0] < b[2] < 18.2 and 59.2 < b[1] < b[3] < 59.35  # Stockholm, not 1° off


def test_polisen_hamta_adds_events_saved_in_a_file_and_refuses_a_path_as_url(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A saved answer of the API (or another archive) is added with --from-file; a path given
    as --url said "polisen failed on an input it did not expect ... a bug" (file:// said the
    computer had no internet)."""
    from lagesbild_geo.cli import main

    saved = tmp_path / "events.json"
    ev = [{"id": 2, "datetime": "2026-08-22 19:51:41 +02:00", "name": "22 augusti 17.59, Rån, Lysekil",
           "summary": "", "url": "/", "type": "Rån", "location": {"name": "Lysekil", "gps": "58.27,11.43"}},
          {"id": 3, "datetime": "2026-08-22 19:52:41 +02:00", "name": "22 augusti 17.50, Stöld, Kävlinge",
           "summary": "", "url": "/", "type": "Stöld", "location": {"name": "Kävlinge", "gps": "55.79,13.11"}}]
    saved.write_text(json.dumps(ev, ensure_ascii=False), encoding="utf-8")
    archive = tmp_path / "arkiv.json"
    assert main(["polisen", "hämta", "--kommun", "Lysekil", "--archive", str(archive), "--from-file", str(saved)]) == 0
    assert "Hämtade 2 händelser från events.json; 1 i Lysekil: 1 nya" in capsys.readouterr().out
    assert [e["id"] for e in json.loads(archive.read_text(encoding="utf-8"))] == [2]
    assert main(["polisen", "hämta", "--archive", str(archive), "--url", str(saved)]) == 1
    err = capsys.readouterr().err
    assert "--url must be an http(s) address" in err and "use --from-file FILE" in err


def test_district_columns_titled_as_kommuner_title_them_are_place_columns(tmp_path: Path) -> None:
    """"Områdeskod", "Basområdeskod", "Stadsdelsområde", "Områdesnamn" were not recognised:
    every row was rejected as 'no location' although the district layer names them."""
    d = Gazetteer.of_districts(read_districts_of(_national_regso(tmp_path)))
    for col in ("Områdeskod", "Basområdeskod", "Stadsdelsområde", "Områdesnamn", "Regsonamn"):
        inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"], col: ["0180R111" if "kod" in col else "Västertorp"]})
        res = place_pending(read_incidents(inc), d, unmatched="pending")
        assert res.report["columns_used"]["place"] == col and len(res.placed) == 1, col
    # a code beside its name: the code is used, no "several columns could be the place column"
    both = pd.DataFrame({"Datum": ["2025-03-01 12:00"], "Områdeskod": ["0180R111"], "Områdesnamn": ["Fel namn"]})
    assert read_incidents(both).report["columns_used"]["place"] == "Områdeskod"
    both = pd.DataFrame({"Datum": ["2025-03-01 12:00"], "DeSO": ["0180C4020"], "Regsonamn": ["Västertorp"]})
    assert read_incidents(both).report["columns_used"]["place"] == "DeSO"


def test_a_count_column_adding_up_beyond_the_row_limit_is_refused_naming_the_rows() -> None:
    """A year or a code in the count column ("25000000000") was a MemoryError reported as
    "an input it did not expect ... a bug"."""
    from lagesbild_geo.errors import InputError
    from lagesbild_geo.limits import Limits
    from lagesbild_geo.settings import Settings

    big = AGGREGATED.assign(Antal=["4", "2025", "2", "1"])
    with pytest.raises(InputError, match=r"'Antal' adds up to 2 032 incidents, more than the limit of 1 000 rows "
                                         r"\(largest: row 2: 2025, row 1: 4, row 3: 2\)"):
        read_incidents(big, columns={"count": "Antal"}, source_name="agg",
                       settings=Settings(limits=Limits(max_rows=1000)))


def test_a_month_as_scb_and_excel_write_it_is_the_months_first_day() -> None:
    """SCB's "2025M03", "mars 2025", "03/2025", Excel's "Mar-25": in a mixed column even
    "2025-03" was rejected as 'unparseable time' (only "2025-03" was a month)."""
    agg = pd.DataFrame({"Månad": ["2025M03", "mars 2025", "2025-03", "2025 mars", "Mar-25", "03/2025", "jan. 2025",
                                  "202503"],
                        "Område": ["Centrum"] * 8, "Antal": ["2", "3", "1", "1", "1", "1", "1", "1"]})
    res = read_incidents(agg, columns={"count": "Antal"}, source_name="agg")
    assert [str(t.date()) for t in res.pending["occurred_at"]] == ["2025-03-01"] * 9 + ["2025-01-01"]
    assert res.rejected[["source_row", "reason"]].values.tolist() == [[8, "unparseable time"]]  # 202503: not read
    # dates with a day are dates
    days = pd.DataFrame({"Datum": ["2025-03-05", "5 mars 2025", "05.03.2025"], "Område": ["Centrum"] * 3})
    assert [str(t.date()) for t in read_incidents(days).pending["occurred_at"]] == ["2025-03-05"] * 3


def test_a_numeric_district_code_exported_as_a_decimal_number_is_that_code(tmp_path: Path) -> None:
    """Malmö's delområden have numeric codes (do_kod 24407); a column with a gap exported by
    pandas or a database writes "24407.0", which stayed pending."""
    layer = tmp_path / "delomraden.geojson"
    gpd.GeoDataFrame({"do_kod": [24407.0, 24302.0], "delomrade": ["TYGELSJÖ VÅNG", "KLAGSHAMN"]},
                     geometry=[box(12.95, 55.51, 12.97, 55.52), box(12.90, 55.51, 12.92, 55.52)],
                     crs=4326).to_file(layer)
    inc = pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 4, "Delområde": ["24407.0", "24407", "24302.00", "24407.5"]})
    res = place_pending(read_incidents(inc), Gazetteer.of_districts(read_districts_of(layer)), unmatched="pending")
    assert res.placed["geocode_label"].tolist() == ["TYGELSJÖ VÅNG", "TYGELSJÖ VÅNG", "KLAGSHAMN"]
    assert res.pending["location_text"].tolist() == ["24407.5"]
