"""Incident inputs from GIS exports and loose tables: MultiPoint and empty geometries,
unrecognised coordinate columns, incident ids on several rows."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, Point

import lagesbild_geo.cli as cli
from lagesbild_geo.errors import CRSError
from lagesbild_geo.read import read_incidents

# A point in Exempelkommun: WGS84 and SWEREF 99 TM.
LAT, LON = 59.367441, 17.105982
N, E = 6_582_861, 619_689


def _accounted(r) -> None:  # type: ignore[no-untyped-def]
    assert len(r.placed) + len(r.pending) + len(r.rejected) == r.report["rows_read"]
    assert r.report["placed"] + r.report["pending"] + r.report["rejected"] == r.report["rows_read"]


def _write_gis(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    return path


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _notes(r, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [w for w in r.report["warnings"] if text in w]


# --------------------------------------------------------------------------- MultiPoint


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_multipoint_of_one_point_is_a_point(tmp_path: Path, suffix: str) -> None:
    # a MultiPoint layer, as GIS exports write point data
    geoms = [MultiPoint([(LON, LAT)]),
             MultiPoint([(LON, LAT), (LON, LAT)]),  # one point twice: still that point
             MultiPoint([(LON, LAT), (LON + 0.01, LAT + 0.01)])]
    gdf = gpd.GeoDataFrame({"Datum": ["2024-03-05 22:15"] * 3, "Brottstyp": ["Stöld"] * 3},
                           geometry=geoms, crs=4326)
    r = read_incidents(_write_gis(gdf, tmp_path / f"punkter{suffix}"))
    _accounted(r)
    assert r.placed["precision"].tolist() == ["point", "point", "area"]
    assert r.report["by_precision"] == {"point": 2, "area": 1}
    np.testing.assert_allclose(r.placed["lon"].iloc[:2], [LON, LON], atol=1e-9)
    np.testing.assert_allclose(r.placed["lat"].iloc[:2], [LAT, LAT], atol=1e-9)
    cells = r.placed["cell"].tolist()
    assert cells[0] != 0 and cells[1] == cells[0] and cells[2] == 0


def test_multipoint_cell_matches_the_point(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"Datum": ["2024-03-05 22:15"] * 2},
                           geometry=[Point(LON, LAT), MultiPoint([(LON, LAT)])], crs=4326)
    r = read_incidents(gdf)
    assert r.placed["precision"].tolist() == ["point", "point"]
    assert r.placed["cell"].iloc[0] == r.placed["cell"].iloc[1] != 0


@pytest.mark.parametrize("suffix", [".kml", ".kmz", ".gpx"])
def test_google_my_maps_kml_kmz_and_gpx_points_are_read(tmp_path: Path, suffix: str) -> None:
    # a coordinator's points drawn in Google My Maps (KML, or KMZ: zipped) or logged on a GPS
    import zipfile

    kml = ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
           + "".join(f'<Placemark><name>Klotter {k}</name><ExtendedData><Data name="Datum"><value>2024-03-0{k} '
                     f'22:15</value></Data></ExtendedData><Point><coordinates>{LON + k / 1000},{LAT},0'
                     "</coordinates></Point></Placemark>" for k in (1, 2))
           + "</Document></kml>")
    gpx = ('<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
           + "".join(f'<wpt lat="{LAT}" lon="{LON + k / 1000}"><time>2024-03-0{k}T21:15:00Z</time>'
                     f"<name>Klotter {k}</name></wpt>" for k in (1, 2)) + "</gpx>")
    path = tmp_path / f"punkter{suffix}"
    if suffix == ".kmz":  # a KMZ is a zip holding doc.kml (and not an Excel workbook)
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("doc.kml", kml)
    else:
        path.write_text(gpx if suffix == ".gpx" else kml, encoding="utf-8")
    r = read_incidents(path)
    _accounted(r)
    assert r.placed["precision"].tolist() == ["point", "point"]
    np.testing.assert_allclose(r.placed["lon"], [LON + 0.001, LON + 0.002], atol=1e-9)
    assert [str(t) for t in r.placed["occurred_at"]] == ["2024-03-01 22:15:00+01:00", "2024-03-02 22:15:00+01:00"]


# --------------------------------------------------------------------------- empty geometries


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
@pytest.mark.parametrize("empty", ["POINT EMPTY", "MULTIPOINT EMPTY"])
def test_empty_geometry_is_no_location(tmp_path: Path, suffix: str, empty: str) -> None:
    geoms = [Point(E, N), shapely.from_wkt(empty), None, Point(E + 10, N + 10)]
    gdf = gpd.GeoDataFrame({"Diarienr": ["K1", "K2", "K3", "K4"], "Datum": ["2024-03-05 22:15"] * 4},
                           geometry=geoms, crs=3006)
    p = _write_gis(gdf, tmp_path / f"brott{suffix}")
    back = gpd.read_parquet(p) if suffix == ".parquet" else gpd.read_file(p)
    assert shapely.is_empty(back.geometry.iloc[1])  # stored as empty, not as null
    r = read_incidents(p)
    _accounted(r)
    assert r.placed["incident_id"].tolist() == ["K1", "K4"]
    assert r.placed["precision"].tolist() == ["point", "point"]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[2, "no location"], [3, "no location"]]
    assert r.report["crs_detected"] == "EPSG:3006"


# GDAL itself warns about the empty coordinate list
@pytest.mark.filterwarnings("ignore:OGRGeoJSONReadRawPoint:RuntimeWarning")
def test_empty_point_in_geojson_is_no_location(tmp_path: Path) -> None:
    def feature(geometry: object, fid: str) -> dict[str, object]:
        return {"type": "Feature", "geometry": geometry,
                "properties": {"Diarienr": fid, "Datum": "2024-03-05 22:15"}}

    fc = {"type": "FeatureCollection", "features": [
        feature({"type": "Point", "coordinates": [LON, LAT]}, "K1"),
        feature({"type": "Point", "coordinates": []}, "K2"),
        feature(None, "K3"),
        feature({"type": "MultiPoint", "coordinates": [[LON, LAT]]}, "K4"),
    ]}
    p = tmp_path / "brott.geojson"
    p.write_text(json.dumps(fc), encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    assert r.placed[["incident_id", "precision"]].values.tolist() == [["K1", "point"], ["K4", "point"]]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[2, "no location"], [3, "no location"]]
    # GDAL's remark on the empty point is a note of this file, not a stray warning without one
    assert [w for w in r.report["warnings"] if "GDAL" in w] == [
        "brott.geojson: GDAL, reading the file: OGRGeoJSONReadRawPoint(): Invalid coord dimension for '[ ]'. "
        "At least 2 dimensions must be present."]


# --------------------------------------------------------------------------- (0, 0): a missing position


def test_zero_coordinates_are_no_position_and_the_address_still_places_the_row(tmp_path: Path) -> None:
    # many systems write a missing position as 0/0: the row's address is then its location
    p = _csv(tmp_path / "nollor.csv", [
        "Diarienr;Datum;X;Y;Adress",
        f"K1;2024-03-05 22:15;{N};{E};",
        "K2;2024-03-05 22:15;0;0;Storgatan 1",
        "K3;2024-03-05 22:15;0;0;",
        f"K4;2024-03-05 22:15;0;{E};",  # one of the pair is a number that places nothing
        "K5;2024-03-05 22:15;0,0;0,0;Kyrkvägen 2",
    ])
    r = read_incidents(p)
    _accounted(r)
    assert r.placed["incident_id"].tolist() == ["K1"]
    assert r.pending[["incident_id", "location_text"]].values.tolist() == [["K2", "Storgatan 1"],
                                                                          ["K5", "Kyrkvägen 2"]]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[4, "no location"], [5, "outside Sweden"]]  # file lines
    assert r.report["crs_detected"] == "EPSG:3006" and r.report["coordinates_zero"] == 3
    assert _notes(r, "(0, 0)") == [
        "nollor.csv: 3 row(s) have the coordinates (0, 0), the usual stand-in for a missing position, and are "
        "read as having none: 2 kept for geocoding by their address or place name, 1 rejected as 'no location'."]
    assert not _notes(r, "unusable coordinates")  # not said twice


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_zero_point_of_a_gis_file_is_no_location(tmp_path: Path, suffix: str) -> None:
    gdf = gpd.GeoDataFrame({"Diarienr": ["K1", "K2"], "Datum": ["2024-03-05 22:15"] * 2},
                           geometry=[Point(E, N), Point(0, 0)], crs=3006)
    r = read_incidents(_write_gis(gdf, tmp_path / f"brott{suffix}"))
    _accounted(r)
    assert r.placed["incident_id"].tolist() == ["K1"]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[2, "no location"]]


def test_a_file_of_zeros_only_is_no_location_without_a_crs_note(tmp_path: Path) -> None:
    r = read_incidents(_csv(tmp_path / "bara_nollor.csv", ["Datum;X;Y", "2024-03-05 22:15;0;0",
                                                            "2024-03-06 22:15;0;0"]))
    _accounted(r)
    assert r.rejected["reason"].tolist() == ["no location", "no location"]
    assert not _notes(r, "fit no Swedish CRS")  # zeros are no coordinates, not another CRS


# --------------------------------------------------------------------------- geometry as text (WKT)


def test_qgis_csv_with_a_wkt_column_is_placed(tmp_path: Path) -> None:
    # QGIS "Save Features As… ▸ CSV" with GEOMETRY=AS_WKT: the geometry first, quoted
    p = _csv(tmp_path / "qgis.csv", [
        "WKT,Diarienr,Datum,Brottstyp",
        f'"POINT ({E} {N})",K1,2024-03-05 22:15,Stöld',
        f'"POINT Z ({E + 10} {N + 10} 0)",K2,2024-03-05 22:16,Stöld',
        f'"POLYGON (({E} {N},{E + 40} {N},{E + 40} {N + 40},{E} {N}))",K3,2024-03-05 22:17,Klotter',
        '"okänt",K4,2024-03-05 22:18,Stöld',
        ',K5,2024-03-05 22:19,Stöld',
        '"POINT EMPTY",K6,2024-03-05 22:20,Stöld',
    ])
    r = read_incidents(p)
    _accounted(r)
    assert r.report["wkt_column"] == "WKT" and r.report["crs_detected"] == "EPSG:3006"
    assert r.placed["incident_id"].tolist() == ["K1", "K2", "K3"]
    assert r.placed["precision"].tolist() == ["point", "point", "area"]
    np.testing.assert_allclose(r.placed["northing"].iloc[:2], [N, N + 10], atol=1e-6)
    np.testing.assert_allclose(r.placed["easting"].iloc[:2], [E, E + 10], atol=1e-6)
    assert r.rejected[["source_row", "reason"]].values.tolist() == [
        [5, "unparseable coordinates"], [6, "no location"], [7, "no location"]]
    assert r.rejected["raw_WKT"].tolist()[0] == "okänt"  # the text as given
    assert _notes(r, "WKT") == ["qgis.csv: positions read from the geometry text (WKT) in column 'WKT'."]


def test_wkt_in_wgs84_is_lon_lat_and_a_column_of_any_name_is_found() -> None:
    df = pd.DataFrame({"Datum": ["2024-03-05 22:15"] * 2, "Plats_geom": [f"POINT ({LON} {LAT})", "point(17.2 59.4)"]})
    r = read_incidents(df, source_name="wgs")
    _accounted(r)
    assert r.report["wkt_column"] == "Plats_geom" and r.report["crs_detected"] == "EPSG:4326"
    np.testing.assert_allclose(r.placed[["lat", "lon"]].to_numpy(), [[LAT, LON], [59.4, 17.2]], atol=1e-9)


def test_ewkt_srid_names_a_local_zone_the_values_cannot_tell() -> None:
    # PostGIS ST_AsEWKT of Stockholm's layer in SWEREF 99 18 00: without the SRID six zones fit
    x, y = Transformer.from_crs(4326, 3011, always_xy=True).transform(18.06, 59.33)
    df = pd.DataFrame({"Datum": ["2024-03-05 22:15"] * 2,
                       "geom": [f"SRID=3011;POINT({x:.1f} {y:.1f})", f"SRID=3011;POINT({x + 100:.1f} {y:.1f})"]})
    r = read_incidents(df, source_name="pg")
    _accounted(r)
    assert len(r.placed) == 2 and r.report["crs_detected"] == "EPSG:3011"
    np.testing.assert_allclose(r.placed[["lat", "lon"]].iloc[0].to_numpy(), [59.33, 18.06], atol=1e-6)
    with pytest.raises(CRSError):  # the same values without the SRID: ask, never guess
        read_incidents(df.assign(geom=df["geom"].str.replace("SRID=3011;", "")), source_name="pg")


def test_hex_ewkb_of_a_postgis_table_is_read_with_its_srid(tmp_path: Path) -> None:
    # a PostGIS table saved as CSV (COPY, DBeaver): the geometry column as hex EWKB
    x, y = Transformer.from_crs(4326, 3011, always_xy=True).transform([18.06, 18.07], [59.33, 59.34])
    geoms = shapely.set_srid(shapely.points(x, y), 3011)
    hexes = [str(h) for h in shapely.to_wkb(geoms, hex=True, include_srid=True)]
    p = _csv(tmp_path / "postgis.csv", ["id;geom;datum", f"1;{hexes[0]};2024-03-05 22:15",
                                         f"2;{hexes[1]};2024-03-05 22:16", "3;zzz;2024-03-05 22:17"])
    r = read_incidents(p)
    _accounted(r)
    assert r.report["wkt_column"] == "geom" and r.report["crs_detected"] == "EPSG:3011"
    np.testing.assert_allclose(r.placed[["lat", "lon"]].to_numpy(), [[59.33, 18.06], [59.34, 18.07]], atol=1e-6)
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[4, "unparseable coordinates"]]
    assert _notes(r, "WKB") == ["postgis.csv: positions read from the geometry in hex WKB in column 'geom'."]


def test_coordinate_columns_win_over_a_wkt_column_and_counts_keep_rows_apart() -> None:
    df = pd.DataFrame({"Datum": ["2024-03-05 22:15"] * 2, "X": [str(N), str(N + 50)], "Y": [str(E), str(E + 50)],
                       "WKT": ["POINT (0 1)", "POINT (0 1)"]})
    r = read_incidents(df, source_name="xy")
    np.testing.assert_allclose(r.placed["northing"], [N, N + 50], atol=1e-6)
    # an aggregated table with its position as WKT: each row becomes as many incidents as it counts
    agg = pd.DataFrame({"Månad": ["2024-03", "2024-04", "2024-05"], "Antal": ["2", "3", "1"],
                        "WKT": [f"POINT ({E} {N})", "okänt", f"POINT ({E} {N})"]})
    r = read_incidents(agg, columns={"count": "Antal", "date": "Månad"}, source_name="agg")
    _accounted(r)
    assert (len(r.placed), r.report["rejected_by_reason"]) == (3, {"unparseable coordinates": 3})


def test_web_mercator_wkt_is_an_unknown_crs_until_named() -> None:
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(LON, LAT)
    df = pd.DataFrame({"Datum": ["2024-03-05 22:15"], "WKT": [f"POINT ({x:.2f} {y:.2f})"]})
    assert read_incidents(df, source_name="web").rejected["reason"].tolist() == ["unknown CRS"]
    r = read_incidents(df, source_name="web", crs=3857)
    np.testing.assert_allclose(r.placed[["lat", "lon"]].iloc[0].to_numpy(), [LAT, LON], atol=1e-6)


# --------------------------------------------------------------------------- no coordinate columns


@pytest.mark.parametrize(("north", "east"), [("Lägeskoordinat 1", "Lägeskoordinat 2"),
                                             ("Nordlig koordinat", "Östlig koordinat")])
def test_unrecognised_coordinate_columns_are_named_in_a_note(tmp_path: Path, north: str, east: str) -> None:
    p = _csv(tmp_path / "brott.csv", [f"Ärendenr;Datum;Tid;Brottstyp;{north};{east}",
                                      f"K-1;2025-03-01;12:00;Stöld;{N};{E}",
                                      f"K-2;2025-03-01;13:00;Stöld;{N + 20};{E + 10}"])
    r = read_incidents(p)
    _accounted(r)
    assert r.report["rejected_by_reason"] == {"no location": 2}
    assert _notes(r, "no coordinate columns found") == [
        f"brott.csv: no coordinate columns found (nor a geometry, address or place column); every row is "
        f"rejected as 'no location'. Columns not used: {north!r}, {east!r}. If two of them hold the "
        "coordinates, name them with columns={'x': ..., 'y': ...} / --column x=NAME --column y=NAME "
        "(the CRS is recognised from the values)."]
    # named as the note says, the rows are placed
    named = read_incidents(p, columns={"x": north, "y": east})
    assert len(named.placed) == 2 and named.report["crs_detected"] == "EPSG:3006"
    assert not _notes(named, "no coordinate columns found")


@pytest.mark.parametrize("header", ["Ärendenr;Datum;Brottstyp;X;Y", "Ärendenr;Datum;Brottstyp;Adress;Övrigt"])
def test_no_note_when_a_location_column_is_found(tmp_path: Path, header: str) -> None:
    p = _csv(tmp_path / "brott.csv", [header, f"K-1;2025-03-01 12:00;Stöld;{N};{E}"])
    assert not _notes(read_incidents(p), "no coordinate columns found")


def test_cli_read_prints_the_no_coordinates_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("read",))
    p = _csv(tmp_path / "brott.csv", ["Ärendenr;Datum;Brottstyp;Läge 1;Läge 2",
                                      f"K-1;2025-03-01 12:00;Stöld;{N};{E}"])
    assert cli.main(["read", str(p)]) == 0
    out = capsys.readouterr().out
    assert "note: brott.csv: no coordinate columns found" in out and "--column x=NAME --column y=NAME" in out
