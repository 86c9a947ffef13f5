"""Messy real-world inputs: what kommuner and the police really send (synthetic equivalents)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pyproj import Transformer

from lagesbild_geo.read import read_incidents

LAT = [59.3293, 59.3350, 59.3400]
LON = [18.0686, 18.0700, 18.0500]


def _accounted(r) -> None:  # type: ignore[no-untyped-def]
    assert len(r.placed) + len(r.pending) + len(r.rejected) == r.report["rows_read"]


def test_excel_export_with_title_merged_cells_totals_and_rt90(tmp_path: Path) -> None:
    e, n = Transformer.from_crs(4326, 3021, always_xy=True).transform(LON, LAT)
    wb = openpyxl.Workbook()
    wb.active.title = "Info"
    wb.active["A1"] = "Uttag ur RAR"
    ws = wb.create_sheet("Data")
    ws["A1"] = "Anmälda brott 2024"
    ws.merge_cells("A1:F1")
    ws.append(["Diarienr", "Händelsedatum", "Klockslag", "Brottsrubricering", "Gärningsort",
               "Nordkoordinat", "Östkoordinat"])
    ws.append(["K1", "5 mars 2024", "22.15", "Misshandel", "Storgatan 12", n[0], e[0]])
    ws.append([None] * 7)
    ws.append(["K2", "05.03.2024", "2215", "Skadegörelse", "", n[1], e[1]])
    ws.append(["K3", "2024-03-06 kl. 08.15", None, "Rån", "Torget", None, None])
    ws.append(["Summa", None, None, None, None, None, None])
    p = tmp_path / "brott.xlsx"
    wb.save(p)
    r = read_incidents(p)
    _accounted(r)
    assert r.report["rows_read"] == 4
    assert r.report["crs_detected"] == "EPSG:3021"
    assert r.report["columns_used"]["category"] == "Brottsrubricering"
    assert r.report["columns_used"]["place"] == "Gärningsort"
    assert list(r.placed["category"]) == ["vald", "skadegorelse"]
    assert list(r.placed["source_row"]) == [3, 5]
    assert r.placed["lat"].round(4).tolist() == [59.3293, 59.335]
    assert list(r.pending["location_text"]) == ["Torget"]
    assert str(r.pending["occurred_at"].iloc[0]) == "2024-03-06 08:15:00+01:00"
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[7, "missing time"]]


@pytest.mark.parametrize("crs", [3011, "EPSG:3006"])
def test_wrong_crs_given_says_so_in_the_warnings(tmp_path: Path, crs: object) -> None:
    p = tmp_path / "latlon.csv"
    p.write_text("Datum;Tid;Lat;Lon\n" + "".join(
        f"2024-03-05;22:15;{a};{b}\n".replace(".", ",") for a, b in zip(LAT, LON, strict=True)), encoding="utf-8")
    r = read_incidents(p, crs=crs)
    _accounted(r)
    assert r.report["rejected_by_reason"] == {"outside Sweden": 3}
    msg = [w for w in r.report["warnings"] if "the CRS was given as" in w]
    assert len(msg) == 1
    assert "look like WGS84 (EPSG:4326); 3 row(s) fall outside Sweden" in msg[0]
    assert "leave crs= (--crs) out" in msg[0]
    assert not [w for w in read_incidents(p).report["warnings"] if "the CRS was given as" in w]


@pytest.mark.parametrize("fname", ["data.ods", "renamed.xlsx"])
def test_ods_is_refused_with_the_fix(tmp_path: Path, fname: str) -> None:
    import zipfile

    from lagesbild_geo.errors import InputError

    p = tmp_path / fname
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(InputError, match=r"OpenDocument \(LibreOffice \.ods\).*save it as Excel \.xlsx or export CSV"):
        read_incidents(p)


def _two_districts(codes: list[str]):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame({"kod": codes}, geometry=[box(18.0, 59.3, 18.1, 59.4),
                                                      box(18.1, 59.3, 18.2, 59.4)], crs=4326)


def test_population_table_of_the_wrong_code_kind_or_kommun_says_why(tmp_path: Path) -> None:
    import pandas as pd

    from lagesbild_geo.districts import read_districts
    from lagesbild_geo.errors import InputError

    deso_pop = pd.DataFrame({"deso": ["0114A0010", "0114C1010"], "folkmangd_2023": ["898", "1 565"]})
    with pytest.raises(InputError, match=r"'deso' holds DeSO codes \(e.g. '0114A0010'\) but the layer has "
                                         r"RegSO codes: give a RegSO population table"):
        read_districts(_two_districts(["1280R001", "1280R002"]), code="kod", population_table=deso_pop)
    with pytest.raises(InputError, match=r"none of the layer's \(kommun 1280\): is the table for another kommun"):
        read_districts(_two_districts(["1280C1010", "1280C1020"]), code="kod", population_table=deso_pop)
    ok = read_districts(_two_districts(["114A0010", "0114C1010"]), code="kod", population_table=deso_pop)
    assert ok["population"].tolist() == [898.0, 1565.0]


def test_district_shapefile_without_prj(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from lagesbild_geo.districts import read_districts
    from lagesbild_geo.errors import CRSError

    wgs = gpd.GeoDataFrame({"name": ["SÖDERMALM", "KUNGSHOLMEN"]},
                           geometry=[box(18.03, 59.30, 18.10, 59.32), box(18.00, 59.32, 18.05, 59.34)],
                           crs=4326)
    for epsg in (3011, 3006):
        p = tmp_path / f"sd{epsg}.shp"
        wgs.to_crs(epsg).to_file(p)
        p.with_suffix(".prj").unlink()
    # a local zone: the values cannot tell 18 00 from 18 45 → an error naming the fix
    with pytest.raises(CRSError, match=r"has no CRS.*EPSG:3011.*\.prj.*crs= to read_districts"):
        read_districts(tmp_path / "sd3011.shp")
    d = read_districts(tmp_path / "sd3011.shp", crs=3011)
    assert d.total_bounds.round(3).tolist() == [18.0, 59.3, 18.1, 59.34]
    assert d.attrs["report"]["crs_guessed"] is False
    # SWEREF 99 TM is recognised, with a warning that it was guessed
    d = read_districts(tmp_path / "sd3006.shp")
    assert d.total_bounds.round(3).tolist() == [18.0, 59.3, 18.1, 59.34]
    assert d.attrs["report"]["crs_guessed"] is True
    assert any("has no CRS; EPSG:3006" in w for w in d.attrs["report"]["warnings"])


def test_district_layer_of_points_names_the_geometry_type() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from lagesbild_geo.districts import read_districts
    from lagesbild_geo.errors import InputError

    g = gpd.GeoDataFrame({"namn": ["A"]}, geometry=[Point(18.0, 59.3)], crs=4326)
    with pytest.raises(InputError, match=r"geometry types: \['Point'\]\).*label points"):
        read_districts(g)


def _feed_and_districts(tmp_path: Path) -> tuple[Path, Path]:
    import json

    import geopandas as gpd
    import shapely

    events = [{"id": k, "datetime": f"2024-03-1{k} 2:10:00 +01:00", "name": "x", "summary": "",
               "url": f"/{k}/", "type": "Misshandel",
               "location": {"name": "Exempelkommun" if k < 3 else "Annanstad",
                            "gps": "59.35,17.10" if k < 3 else "60.60,15.60"}} for k in range(5)]
    ipath = tmp_path / "events.json"
    ipath.write_text(json.dumps(events), encoding="utf-8")
    d = gpd.GeoDataFrame({"deso": ["9999C1010"], "namn": ["Centrum"]},
                         geometry=[shapely.box(17.0, 59.3, 17.2, 59.4)], crs=4326)
    dpath = tmp_path / "d.geojson"
    d.to_file(dpath, driver="GeoJSON")
    return ipath, dpath


def test_boundary_from_a_layer_of_every_kommun(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    from lagesbild_geo.errors import InputError
    from lagesbild_geo.pipeline import PipelineConfig, build_lagesbild

    ipath, dpath = _feed_and_districts(tmp_path)
    kommuner = gpd.GeoDataFrame(
        {"KnKod": ["9999", "2080"], "KnNamn": ["Exempelkommun", "Annanstad"]},
        geometry=[shapely.box(17.0, 59.3, 17.2, 59.4), shapely.box(15.5, 60.5, 15.7, 60.7)],
        crs=4326).to_crs(3006)
    bpath = tmp_path / "kommuner.gpkg"
    kommuner.to_file(bpath, layer="kommun")
    base = PipelineConfig(incidents=(str(ipath),), districts=str(dpath), boundary=str(bpath),
                          clusters=False, emerging=False, created_at="2026-01-01T00:00:00+00:00")
    for kw in ({"kommun_name": "Exempelkommun"}, {"kommun_code": "9999"}):
        lb = build_lagesbild(base.replace(**kw))
        assert len(lb.incidents) == 3
        assert lb.rejected["reason"].tolist() == ["outside boundary"] * 2
        assert any("Boundary: 1 of 2 feature(s)" in n for n in lb.metadata["notes"])
        assert len(lb.cells) > 0  # filled over Exempelkommun only
    with pytest.raises(InputError, match=r"has 2 features and none is the kommun Norrby.*--kommun"):
        build_lagesbild(base.replace(kommun_name="Norrby"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"Boundary file bad.csv (has no polygon features|cannot be read as a vector layer)"):
        build_lagesbild(base.replace(boundary=str(bad), kommun_name="Exempelkommun"))


def test_grid_fill_over_a_whole_country_is_refused() -> None:
    import shapely

    from lagesbild_geo.errors import InputError
    from lagesbild_geo.grid import geometry_to_cells

    with pytest.raises(InputError, match=r"is it a layer of every kommun or the whole country"):
        geometry_to_cells(shapely.box(11.0, 55.3, 24.2, 69.1), 9)
    assert geometry_to_cells(shapely.box(17.0, 59.3, 17.01, 59.31), 9).size > 0


def test_cli_build_lists_rejections_and_writes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    import lagesbild_geo.cli as cli

    ipath, dpath = _feed_and_districts(tmp_path)
    rej = tmp_path / "avvisade.csv"
    code = cli.main(["build", "--incidents", str(ipath), "--districts", str(dpath), "--kommun",
                     "Exempelkommun", "--out", str(tmp_path / "ut"), "--quiet", "--no-clusters",
                     "--no-emerging", "--rejected", str(rej)])
    assert code == 0
    out = capsys.readouterr().out
    assert "3 placed in all, 0 pending, 2 rejected" in out
    assert f"rejected: other kommun 2 (rows in {rej})" in out
    assert "2 row(s) of other kommuner" in out
    table = pd.read_csv(rej, encoding="utf-8-sig")
    assert table[["source_row", "reason"]].values.tolist() == [[4, "other kommun"], [5, "other kommun"]]
    assert not (tmp_path / "ut" / "avvisade.csv").exists()
    assert cli.main(["build", "--incidents", str(ipath), "--out", str(tmp_path / "ut2"), "--quiet",
                     "--rejected", str(tmp_path / "x.txt")]) == 1
    assert "give a .csv file name" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "street", "number"), [
    ("utanför ICA Maxi", "ica maxi", 0),
    ("vid busshållplatsen Centrum", "busshållplatsen centrum", 0),
    ("strax norr om Stadsparken", "stadsparken", 0),
    ("Storgatan nr 12", "storgatan", 12),
    ("Storgatan 12 nb", "storgatan", 12),
    ("Storg. 12 A lgh 1101", "storgatan", 12),
    ("Vid", "vid", 0),  # a name that is only a prefix word stays
])
def test_messy_address_parts(text: str, street: str, number: int) -> None:
    from lagesbild_geo._address import parse_address

    p = parse_address(text)
    assert (p.street, p.number) == (street, number)


def test_place_with_a_locative_prefix_is_found() -> None:
    import pandas as pd

    from lagesbild_geo.geocode import Gazetteer, geocode

    gaz = Gazetteer.from_frame(pd.DataFrame({
        "typ": ["plats", "adress"], "gatunamn": ["", "Storgatan"], "husnummer": ["", "12"],
        "postort": ["Exempelstad", "Exempelstad"], "platsnamn": ["ICA Maxi", ""],
        "nord": [6_582_000, 6_582_100], "ost": [620_000, 620_100]}))
    inc = pd.DataFrame({"location_text": ["utanför ICA Maxi", "vid ICA Maxi", "Storgatan nr 12",
                                          "framför Storgatan 12"]})
    res = geocode(inc, gaz)
    assert len(res.rejected) == 0
    assert res.placed["precision"].tolist() == ["place", "place", "address", "address"]
    assert res.placed["geocode_score"].tolist() == [100.0] * 4


def test_excel_two_row_header_with_merged_cells(tmp_path: Path) -> None:
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ärende", "Tidpunkt", "Brottstyp", "Koordinater", None])
    ws.merge_cells("D1:E1")
    ws.append([None, None, None, "Lat", "Lon"])
    ws.append(["A1", dt.datetime(2024, 3, 5, 22, 15), "Stöld", LAT[0], LON[0]])
    ws.append(["A2", dt.datetime(2024, 3, 6, 1, 5), "Rån", LAT[1], LON[1]])
    ws.append(["Totalt", None, 2, None, None])
    p = tmp_path / "tva_rader.xlsx"
    wb.save(p)
    r = read_incidents(p)
    _accounted(r)
    assert list(r.placed["source_row"]) == [3, 4]
    assert r.placed["lat"].tolist() == LAT[:2]
    assert list(r.placed["category"]) == ["stold", "ran"]
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[5, "missing time"]]
    assert r.report["unknown_categories"] == {}
    assert any("header spans rows 1–2" in w for w in r.report["warnings"])


def test_coordinates_in_a_foreign_crs_say_so_and_crs_fixes_them(tmp_path: Path) -> None:
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(LON, LAT)
    p = tmp_path / "merc.csv"
    p.write_text("Datum;Tid;X;Y\n" + "".join(f"2024-03-05;22:15;{a};{b}\n" for a, b in zip(x, y, strict=True)),
                 encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    assert r.report["rejected_by_reason"] == {"unparseable coordinates": 3}
    msg = [w for w in r.report["warnings"] if "fit no Swedish CRS" in w]
    assert len(msg) == 1 and "X/Y: 3 row(s)" in msg[0] and "--crs 3857" in msg[0]
    r = read_incidents(p, crs=3857)
    assert r.placed["lat"].round(4).tolist() == LAT


def test_pins_from_a_csv_with_lat_lon_and_a_non_gis_file(tmp_path: Path) -> None:
    from lagesbild_geo.errors import InputError
    from lagesbild_geo.survey import read_pins

    p = tmp_path / "pins.csv"
    p.write_text("pin_id;orsak;Lat;Lon;kommentar\n1;Dålig belysning;59,36;17,10;Anna 070\n"
                 "2;Skymd sikt;59,37;17,11;\n3;Annat;;;\n", encoding="utf-8")
    pins = read_pins(p)
    assert pins["pin_id"].tolist() == ["1", "2"]
    assert pins["lat"].tolist() == [59.36, 59.37] and pins["lon"].tolist() == [17.10, 17.11]
    assert "kommentar" not in pins.columns
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv is a table without Lat/Lon columns"):
        read_pins(bad)


def test_measures_cli_refuses_a_store_that_does_not_exist_and_a_table_as_areas(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import lagesbild_geo.cli as cli

    store = tmp_path / "saknas.sqlite"
    for cmd in (["list"], ["history"], ["export", str(tmp_path / "x.geojson")]):
        assert cli.main(["measures", *cmd, "--store", str(store)]) == 1
        assert "does not exist (a typo in --store?)" in capsys.readouterr().err
    assert not store.exists()
    table = tmp_path / "t.csv"
    table.write_text("namn;yta\nTorget;3\n", encoding="utf-8")
    assert cli.main(["measures", "import", "--store", str(store), str(table)]) == 1
    err = capsys.readouterr().err
    assert "has no area polygons" in err and "Traceback" not in err


def test_ambiguous_columns_name_the_file_and_cli_column_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import lagesbild_geo.cli as cli

    p = tmp_path / "amb.csv"
    p.write_text("Datum;Brottsdatum;Tid;X;Y\n2024-03-05;2024-03-06;22:15;6580000;660000\n", encoding="utf-8")
    assert cli.main(["read", str(p)]) == 1
    err = capsys.readouterr().err
    assert "amb.csv: Several columns could be the date column: ['Datum', 'Brottsdatum']" in err
    assert "--column ROLE=NAME" in err
    out = tmp_path / "ut.csv"
    assert cli.main(["read", str(p), "--column", "date=Brottsdatum", "--out", str(out)]) == 0
    import pandas as pd

    assert pd.read_csv(out)["occurred_at"].tolist() == ["2024-03-06 22:15:00+01:00"]
    with pytest.raises(SystemExit):
        cli.main(["read", str(p), "--column", "Brottsdatum"])


@pytest.mark.parametrize("fname", ["export.xls", "export.csv"])
def test_html_saved_as_excel_is_refused_with_the_fix(tmp_path: Path, fname: str) -> None:
    from lagesbild_geo.errors import InputError

    p = tmp_path / fname
    p.write_text("<html><body><table><tr><td>Datum</td><td>X</td></tr></table></body></html>",
                 encoding="utf-8")
    with pytest.raises(InputError, match=r"is a web page or XML file.*save it as \.xlsx, or export CSV"):
        read_incidents(p)


def test_geojson_in_metres_without_crs_member(tmp_path: Path) -> None:
    import json

    import geopandas as gpd
    from shapely.geometry import Point, box

    from lagesbild_geo.districts import read_districts

    d = gpd.GeoDataFrame({"deso": ["0180C1010", "0180C1020"]},
                         geometry=[box(18.0, 59.3, 18.1, 59.4), box(18.1, 59.3, 18.2, 59.4)], crs=4326)
    fc = json.loads(d.to_crs(3006).to_json())
    fc.pop("crs", None)  # RFC 7946 writers leave it out; GDAL then says WGS84
    p = tmp_path / "d.geojson"
    p.write_text(json.dumps(fc), encoding="utf-8")
    r = read_districts(p)
    assert r.total_bounds.round(3).tolist() == [18.0, 59.3, 18.2, 59.4]
    assert any("coordinates are metres" in w for w in r.attrs["report"]["warnings"])

    pts = gpd.GeoDataFrame({"Datum": ["2024-03-05 22:15"] * 3},
                           geometry=[Point(lo, la) for lo, la in zip(LON, LAT, strict=True)], crs=4326)
    fc = json.loads(pts.to_crs(3006).to_json())
    fc.pop("crs", None)
    q = tmp_path / "p.geojson"
    q.write_text(json.dumps(fc), encoding="utf-8")
    res = read_incidents(q)
    _accounted(res)
    assert res.report["crs_detected"] == "EPSG:3006" and len(res.placed) == 3
    assert res.placed["lat"].round(4).tolist() == LAT
    assert any("coordinates are metres" in w for w in res.report["warnings"])


def test_district_geopackage_with_several_layers_says_which(tmp_path: Path) -> None:
    import warnings as w

    from lagesbild_geo.districts import read_districts

    g = _two_districts(["0180C1010", "0180C1020"])
    p = tmp_path / "d.gpkg"
    g.to_file(p, layer="deso")
    g.iloc[:1].to_file(p, layer="annat")
    with w.catch_warnings():
        w.simplefilter("error")  # no warning from pyogrio about several layers
        r = read_districts(p, code="kod")
    assert len(r) == 2
    assert "read layer 'deso' of ['deso', 'annat'] (choose another with layer=)" in r.attrs["report"]["warnings"]
    assert len(read_districts(p, code="kod", layer="annat")) == 1


def test_feed_without_kommun_name_warns_about_centres_in_one_district(tmp_path: Path) -> None:
    from lagesbild_geo.pipeline import PipelineConfig, build_lagesbild

    ipath, dpath = _feed_and_districts(tmp_path)
    lb = build_lagesbild(PipelineConfig(incidents=(str(ipath),), districts=str(dpath), clusters=False,
                                        emerging=False, created_at="2026-01-01T00:00:00+00:00"))
    # the feed's rows are never put in the district that holds their kommun's centre; the
    # kommun is the one feed kommun whose centre lies in the districts, and it says so
    assert lb.incidents["district_method"].astype(str).tolist() == ["kommun"] * 3
    note = next(n for n in lb.metadata["notes"] if n.startswith("Kommun: Exempelkommun"))
    assert "--kommun" in note
    assert lb.rejected["reason"].tolist() == ["other kommun"] * 2


def test_swedish_date_forms() -> None:
    import pandas as pd

    from lagesbild_geo.read import parse_times

    texts = ["05.03.24", "5/3-24", "tisdag 5 mars 2024", "Tis. den 5 mars 2024 kl. 22.15",
             "den 5 mars 2024", "Sön 10 mars 2024", "05.03.24 22:15", "24-03-05", "söndag"]
    times, status, _ = parse_times(pd.Series(texts))
    got = [str(t) if s == 0 else None for t, s in zip(times, status, strict=True)]
    assert got == ["2024-03-05 00:00:00+01:00", "2024-03-05 00:00:00+01:00", "2024-03-05 00:00:00+01:00",
                   "2024-03-05 22:15:00+01:00", "2024-03-05 00:00:00+01:00", "2024-03-10 00:00:00+01:00",
                   "2024-03-05 22:15:00+01:00", None, None]
    assert status.tolist()[-2:] == [2, 2]  # ambiguous short form and a bare weekday: unparseable


def test_time_spans_and_approximate_times_take_the_start() -> None:
    import pandas as pd

    from lagesbild_geo.read import parse_times

    t = ["22.15-23.00", "2215–2300", "ca 22", "ca. 22.15", "omkring 8", "22 till 23", "okänd"]
    times, status, _ = parse_times(pd.Series(["2024-03-05"] * len(t)), pd.Series(t))
    assert [str(x) if s == 0 else None for x, s in zip(times, status, strict=True)] == [
        "2024-03-05 22:15:00+01:00", "2024-03-05 22:15:00+01:00", "2024-03-05 22:00:00+01:00",
        "2024-03-05 22:15:00+01:00", "2024-03-05 08:00:00+01:00", "2024-03-05 22:00:00+01:00", None]
    d = ["2024-03-05 - 2024-03-06", "2024-03-05 22:15 - 2024-03-06 01:00", "2024-03-05--2024-03-06"]
    times, status, _ = parse_times(pd.Series(d))
    assert status.tolist() == [0, 0, 0]
    assert [str(x) for x in times] == ["2024-03-05 00:00:00+01:00", "2024-03-05 22:15:00+01:00",
                                       "2024-03-05 00:00:00+01:00"]


def test_area_rows_naming_a_lan_are_not_put_in_a_district() -> None:
    import pandas as pd

    from lagesbild_geo.districts import assign_districts, read_districts

    d = read_districts(_two_districts(["0380C1010", "0380C1020"]), code="kod")
    inc = pd.DataFrame({"lat": [59.35, 59.35, 59.35], "lon": [18.05, 18.05, 18.05],
                        "precision": ["area", "area", "point"],
                        "location_text": ["Uppsala län", "Uppsala", pd.NA]})
    out = assign_districts(inc, d, kommun_name="Uppsala")
    assert out["district_method"].astype(str).tolist() == ["lan", "kommun", "point"]
    assert out["district_code"].astype("string").fillna("").tolist() == ["", "", "0380C1010"]


def test_a_part_of_a_shapefile_points_to_the_shp(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from lagesbild_geo.errors import InputError

    gpd.GeoDataFrame({"Datum": ["2024-03-05"]}, geometry=[Point(18.0, 59.3)], crs=4326).to_file(
        tmp_path / "brott.shp")
    with pytest.raises(InputError, match=r"brott.dbf is one part of a shapefile.*read brott.shp"):
        read_incidents(tmp_path / "brott.dbf")


def test_coordinates_in_one_column_in_other_spellings(tmp_path: Path) -> None:
    p = tmp_path / "pos.csv"
    p.write_text("Datum;Tid;Position\n" + "".join(f"2024-03-05;22:15;{v}\n" for v in (
        "59.33, 18.06", "59.33 18.06", "N 59.33 E 18.06", "59,33, 18,06", "(59.33, 18.06)",
        "POINT (18.06 59.33)", "59,33 18,06", "okänd")), encoding="utf-8")
    r = read_incidents(p)
    _accounted(r)
    assert r.placed["lat"].tolist() == [59.33] * 7 and r.placed["lon"].tolist() == [18.06] * 7
    assert r.rejected[["source_row", "reason"]].values.tolist() == [[9, "unparseable coordinates"]]
