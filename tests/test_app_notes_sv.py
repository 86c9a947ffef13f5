"""The library's reader notes in Swedish on the app's Data page (apps/app_notes_sv.py)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, box
from streamlit.testing.v1 import AppTest
from test_real_inputs import _deso_layer

from lagesbild_geo.districts import read_districts
from lagesbild_geo.geocode import Gazetteer, place_pending
from lagesbild_geo.read import read_incidents

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "apps"))

import app_notes_sv  # noqa: E402
import app_ui  # noqa: E402

APP = str(ROOT / "apps" / "lagesbild_app.py")
NB = "\u00a0"


# ----------------------------------------------------------------------------- exact Swedish


@pytest.mark.parametrize(("english", "swedish"), [
    ("brott.xlsx: read sheet 'Brott 2025' of ['Info', 'Brott 2025'] (choose another with sheet=, --sheet on the "
     "command line or sheet = in lagesbild.toml).",
     "brott.xlsx: bladet ”Brott 2025” lästes av arbetsbokens blad ”Info”, ”Brott 2025”. Ligger händelserna på "
     "ett annat blad: spara det bladet som en egen fil och ladda upp den (Excel: Arkiv ▸ Spara som ▸ CSV UTF-8 "
     "med bladet öppet)."),
    ("f.csv: 1234 rows have a date but no time of day; set to 00:00.",
     f"f.csv: 1{NB}234 rader har datum men inget klockslag; de räknas som kl. 00:00 (tabellerna per timme "
     "visar dem vid midnatt)."),
    ("X/Y: SWEREF 99 TM (EPSG:3006) detected from the value ranges (3 of 3 rows fit). Axes swapped in 3 of 3 "
     "rows: X holds the northing/latitude (Swedish convention: X is north); fixed.",
     "X/Y: koordinatsystemet SWEREF 99 TM (EPSG:3006) kändes igen av värdena (3 av 3 rader passar). X och Y "
     "var omkastade i 3 av 3 rader: ”X” har nordkoordinaten eller latituden (svensk konvention: X är norr); "
     "det är rättat."),
    ("agg: column 'Antal' looks like a number of incidents per row (whole numbers, up to 4); every row is read "
     "as ONE incident. If each row counts several, name it: --column count=Antal (columns={'count': 'Antal'}).",
     "agg: kolumnen ”Antal” ser ut att ange antal händelser per rad (heltal, upp till 4); nu räknas varje rad "
     "som EN händelse. Är filen en sammanställd tabell där varje rad räknar flera händelser: välj ”Antal” som "
     "”Antal per rad (sammanställd tabell)” under ”Igenkända kolumner” ovan och klicka ”Läs om med de här "
     "kolumnerna”."),
    ("per_regso.csv: 1 totals row(s) left out, rejected as 'totals row' (they sum the other rows, which would "
     "count them twice): row 5 ('Totalt', 1 239 in 'Antal').",
     "per_regso.csv: 1 summarad utelämnades och avvisas med orsaken ”summeringsrad (summerar de andra "
     "raderna)” (de summerar de andra raderna, som annars skulle räknas två gånger): rad 5 (”Totalt”, 1 239 i "
     "”Antal”)."),
    ("brott.geojson: GDAL, reading the file: OGRGeoJSONReadRawPoint(): Invalid coord dimension for '[ ]'. At least "
     "2 dimensions must be present.",
     "brott.geojson: GDAL, som läser kartfilen, anmärkte (på engelska): OGRGeoJSONReadRawPoint(): Invalid coord "
     "dimension for '[ ]'. At least 2 dimensions must be present."),
    ("us.csv: the dates written with '/' are month first (03/15/2025, the American order; some cannot be day first "
     "and none must be), so all 1234 were read month/day/year.",
     f"us.csv: datumen skrivna med ”/” har månaden först (03/15/2025, amerikansk ordning; några kan inte ha dagen "
     f"först och inget måste ha det), så alla 1{NB}234 lästes som månad/dag/år."),
    ("lista.xlsx: 2 row(s) under or within the list say they are a total or a count of the rows (row 14, row 15), "
     "not an incident: rejected as 'totals row'.",
     "lista.xlsx: 2 rader under eller i listan säger att de är en summa eller ett antal rader (rad 14, rad 15), inte "
     "en händelse: de avvisas med orsaken ”summeringsrad (summerar de andra raderna)”."),
    ("brott.csv: place text(s) that match a district only when å, ä and ö are ignored were not placed there (å, "
     "ä and ö are letters): 'Fruangen' (did you mean Fruängen?). Correct the names in the source if they mean "
     "these districts.",
     "brott.csv: platsnamn som bara stämmer med ett område om man bortser från å, ä och ö placerades inte där "
     "(å, ä och ö är egna bokstäver): ”Fruangen” (menade du Fruängen?). Rätta namnen i källfilen om de avser de "
     "här områdena."),
    ("brott.csv: place text(s) that name several districts were not placed (none is chosen): 'Årsta' (2 "
     "districts: 0180R117, 0380R053). Give the district code instead of the name, or use the kommun's districts "
     "only (lagesbild build --kommun NAME|CODE narrows a national layer).",
     "brott.csv: platsnamn som finns i flera områden placerades inte (inget av dem väljs): ”Årsta” (2 områden: "
     "0180R117, 0380R053). Ange områdeskoden i stället för namnet, eller ladda upp en områdesindelning med bara "
     "din kommuns områden."),
    ("Districts (deso.geojson): District layer deso.geojson: no code column; the names in 'namn' are used as codes.",
     "Områdesindelningen (deso.geojson): Områdesindelningen deso.geojson: ingen kolumn med koder; namnen i "
     "”namn” används som koder."),
])
def test_a_note_in_swedish(english: str, swedish: str) -> None:
    assert app_notes_sv.note_sv(english) == swedish


def test_a_note_no_pattern_knows_is_shown_in_english_under_a_swedish_line() -> None:
    shown = app_ui.reader_notes_sv(["f.csv: 3 rows have a date but no time of day; set to 00:00.",
                                    "f.csv: something new the reader says"])
    assert "3 rader har datum men inget klockslag" in shown
    head, english = shown.split("Följande anmärkningar finns bara på engelska", 1)
    assert "something new the reader says" in english and "something new" not in head
    assert app_notes_sv.notes_sv(["x: y", "f.csv: 2 rows have a date but no time of day; set to 00:00."]) == (
        ["f.csv: 2 rader har datum men inget klockslag; de räknas som kl. 00:00 (tabellerna per timme visar dem "
         "vid midnatt)."], ["x: y"])


def test_a_swedish_name_is_never_folded() -> None:
    sv = app_notes_sv.note_sv("f.csv: 2 row(s) give only a month in 'Månad' (e.g. '2025-03'); each is set to the "
                              "month's first day at 00:00: counts per month and period hold, hours and weekdays "
                              "do not.")
    assert sv is not None and "”Månad”" in sv and "Manad" not in sv


# ----------------------------------------------------------------------------- every note of ugly inputs


def _xlsx(sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        if name in hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _national_regso(tmp_path: Path) -> Path:
    path = tmp_path / "regso_riket.geojson"
    gpd.GeoDataFrame({"regsokod": ["0180R117", "0380R053", "0180R111", "0180R110"],
                      "regsonamn": ["Årsta", "Årsta", "Västertorp", "Västberga"],
                      "kommunkod": ["0180", "0380", "0180", "0180"]},
                     geometry=[box(18.03, 59.29, 18.05, 59.30), box(17.66, 59.84, 17.68, 59.85),
                               box(17.96, 59.28, 17.97, 59.29), box(17.99, 59.29, 18.0, 59.30)],
                     crs=4326).to_file(path)
    return path


def ugly_notes(tmp_path: Path) -> list[str]:
    """The notes the readers give on many ugly inputs (each note's kind at least once)."""
    files: dict[str, bytes] = {
        "mac.csv": b"Datum;Lat;Long\r2025-03-01 12:00;59,33;18,06\r",
        "blandat_radslut.csv": b"Datum;Lat;Long\r\n2025-03-01 12:00;59,33;18,06\n2025-03-02 12:00;59,34;18,07\r",
        "kodning.csv": "Datum;Plats;Lat;Long\n2025-03-01 12:00;Malmö;55,6;13,0\n".encode()
        + "2025-03-02 12:00;Västerås;59,6;16,5\n".encode("cp1252"),
        "dubbla.csv": b"Datum;Datum;Lat;Long\n2025-03-01 12:00;2025-03-01 12:00;59,33;18,06\n",
        "halvt_par.csv": b"Datum;Lat;Brottstyp\n2025-03-01 12:00;59,33;Stold\n",
        "ingen_plats.csv": b"Datum;Brottstyp;Anteckning\n2025-03-01 12:00;Stold;x\n",
        "bara_datum.csv": b"Datum;Brottstyp;Lat;Long\n2025-03-01;Stold;59,33;18,06\n",
        "ingen_tid.csv": b"Brottstyp;Lat;Long\nStold;59,33;18,06\n",
        "bred.csv": b"RegSO;Brottstyp;2025-01;2025-02;2025-03\n0180R074;Stold;3;1;2\n",
        "blandade_crs.csv": "Ärende;Datum;Tid;Brottstyp;X;Y\nK-1;2025-03-01;12:00;Stöld;6582050,82;619232,09\n"
        "K-2;2025-03-02;12:00;Stöld;6583424;1574198\nK-3;2025-03-03;12:00;Stöld;59,3700;17,1200\n"
        "K-4;2025-03-04;12:00;Stöld;6583171,13;620476,43\n".encode(),
        "omkastade.csv": b"Datum;X;Y\n2025-03-01 12:00;6582050;619232\n2025-03-02 12:00;6583171;620476\n",
        "inget_crs.csv": b"Datum;X;Y\n2025-03-01 12:00;1;2\n2025-03-02 12:00;3;4\n",
        "trasiga_koord.csv": b"Datum;Adress;Lat;Long\n2025-03-01 12:00;Storgatan 1;x;y\n",
        "per_regso.csv": "Månad;RegSO;Brottstyp;Antal\n2025-03;0180R074;Stöld;1 234\n2025-03;0180R075;Rån;0\n"
        "2025-04;0180R110;Misshandel;3\n;Totalt;;1 237\n".encode(),
        "amerikansk.csv": b"Date;Time;Type;Lat;Long\n3/15/2025;10:15 PM;Theft;59.40;17.10\n",
        "med_summa.csv": b"Datum;Tid;Kategori;Lat;Long\n2025-03-01;12:00;Stold;59.40;17.10\nAntal rader: 1;;;;\n",
        "antal.csv": b"Datum;Tid;Kategori;Lat;Long;Antal\n2025-03-01;12:00;Stold;59.40;17.10;3\n"
        b"2025-03-02;13:00;Ran;59.41;17.11;2\n",
        "brott.xlsx": _xlsx({"Info": [["Om filen"], ["Exporterad 2025"]],
                             "Brott 2025": [["Datum", "Brottstyp", "Lat", "Long"],
                                            ["2025-03-01 12:00", "Stöld", 59.33, 18.06]]}),
        "dold.xlsx": _xlsx({"Info": [["Om filen"], ["Exporterad 2025"]],
                            "Data": [["Datum", "Brottstyp", "Lat", "Long"],
                                     ["2025-03-01 12:00", "Stöld", 59.33, 18.06]]}, hidden=("Data",)),
    }
    notes: list[str] = []
    columns = {"per_regso.csv": {"count": "Antal"}}
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        notes += read_incidents(path, columns=columns.get(name)).report["warnings"]
    notes += read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"], "Månad": ["2025-03"], "Antal": ["2"],
                                          "Lat": ["59,33"], "Long": ["18,06"]}),
                            columns={"count": "Antal", "date": "Månad"}, source_name="agg").report["warnings"]
    notes += read_incidents(pd.DataFrame({"Månad": ["2025-03-01", "2025-04-01"], "Antal": ["2", "1"],
                                          "Lat": ["59,33", "59,34"], "Long": ["18,06", "18,07"]}),
                            columns={"count": "Antal"}, source_name="forsta").report["warnings"]
    notes += read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 3, "X": ["0", "0", "6580822"],
                                          "Y": ["0", "0", "674032"], "Adress": ["Storgatan 1", "", ""]}),
                            source_name="nollor").report["warnings"]
    notes += read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"] * 2, "WKT": [
        "SRID=3006;POINT (674032 6580822)", "SRID=3011;POINT (154000 6580000)"]}), source_name="wkt").report["warnings"]
    notes += read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"], "geom": [
        "0101000020BE0B000000000000E091244100000080951A5941"]}), source_name="ewkb").report["warnings"]
    notes += read_incidents(pd.DataFrame({"Datum": ["2025-03-01 12:00"], "Gatunamn": ["Storgatan"],
                                          "Gatunummer": ["12"]}), source_name="gata").report["warnings"]
    notes += read_incidents(pd.DataFrame({"Datum": ["2025-03-01", "2025-03-02"], "Klockslag": ["", "12:00"],
                                          "Lat": ["59,33", "59,34"], "Long": ["18,06", "18,07"]}),
                            source_name="utan_tid").report["warnings"]
    # GIS files: a GeoJSON in metres without a CRS member, a GeoPackage of two layers, a wrong CRS
    metres = tmp_path / "meter.geojson"
    metres.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                      '{"Datum": "2025-03-01 12:00"}, "geometry": {"type": "Point", "coordinates": '
                      '[674032, 6580822]}}]}', encoding="utf-8")
    notes += read_incidents(metres).report["warnings"]
    two = tmp_path / "tva_lager.gpkg"
    pts = gpd.GeoDataFrame({"Datum": ["2025-03-01 12:00"]}, geometry=[Point(18.06, 59.33)], crs=4326)
    pts.to_file(two, layer="brott")
    pts.to_file(two, layer="gamla")
    notes += read_incidents(two).report["warnings"]
    wrong = tmp_path / "fel_crs.geojson"
    pts.to_crs(3006).set_crs(4326, allow_override=True).to_file(wrong)
    notes += read_incidents(wrong, crs=4326).report["warnings"]
    # district names: å/ä/ö hints and a name of several districts
    src = tmp_path / "brott.csv"
    src.write_text("Datum;Område\n2025-03-01 12:00;Årsta\n2025-03-02 12:00;Vastberga\n2025-03-03 12:00;Fruangen\n",
                   encoding="utf-8")
    for layer in (_national_regso(tmp_path), _deso_layer(tmp_path)):
        gaz = Gazetteer.of_districts(read_districts(layer))
        notes += place_pending(read_incidents(src), gaz, unmatched="pending").report["warnings"]
    # district layers: names as codes, a layer without CRS
    named = tmp_path / "namn.geojson"
    gpd.GeoDataFrame({"namn": ["Norr", "Söder"]}, geometry=[box(17.6, 59.85, 17.65, 59.9),
                                                            box(17.6, 59.8, 17.65, 59.85)], crs=4326).to_file(named)
    notes += [f"Districts (namn.geojson): {w}" for w in read_districts(named).attrs["report"]["warnings"]]
    return notes


#: Kinds the sweep must produce (a kind that stops being produced makes the sweep weaker).
SWEPT = {"line_ends_cr", "line_ends_mixed", "redecoded", "sheet", "layer", "duplicate_columns", "half_pair",
         "no_location", "count_hint", "totals_rows", "count_column", "date_only", "no_time", "wide_months",
         "month_only", "month_first_days", "no_category", "geojson_metres", "mixed_crs", "no_crs_fits",
         "crs_given_mismatch", "kept_for_geocoding", "zero_coordinates", "wkt_column", "wkt_srids", "house_numbers", "footer_rows", "month_first", "time_unknown", "district_name_aao", "district_name_shared",
         "district_no_code"}


def _kind(note: str) -> str | None:
    for kind, pattern, _ in app_notes_sv._RULES:
        body = app_notes_sv._DISTRICTS_PREFIX.fullmatch(note)
        if pattern.fullmatch(body["rest"] if body else note):
            return kind
    return None


def test_every_note_of_ugly_inputs_has_a_swedish_text(tmp_path: Path) -> None:
    notes = ugly_notes(tmp_path)
    english = [w for w in notes if app_notes_sv.note_sv(w) is None]
    assert english == []
    assert {_kind(w) for w in notes} >= SWEPT, SWEPT - {_kind(w) for w in notes}
    for w in notes:  # and no English left in the Swedish
        sv = app_notes_sv.note_sv(w) or ""
        for word in (" row", " column", "--", "columns=", "sheet=", " the ", " and "):
            assert word not in sv.split(": ", 1)[1], (word, sv)


def test_the_sweep_fails_when_a_pattern_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = ugly_notes(tmp_path)
    for kind in ("date_only", "sheet", "district_name_aao"):
        with monkeypatch.context() as m:
            m.setattr(app_notes_sv, "_RULES", [r for r in app_notes_sv._RULES if r[0] != kind])
            assert [w for w in notes if app_notes_sv.note_sv(w) is None], kind


def test_swapped_axes_are_said_in_swedish(tmp_path: Path) -> None:
    path = tmp_path / "omkastade.csv"
    path.write_bytes(b"Datum;X;Y\n2025-03-01 12:00;6582050;619232\n2025-03-02 12:00;6583171;620476\n")
    rep = read_incidents(path).report
    assert rep["swapped_rows"] == 2
    assert app_notes_sv.crs_note_sv(rep) == (
        "X/Y: koordinatsystemet SWEREF 99 TM (EPSG:3006) kändes igen av värdena (2 av 2 rader passar). X och Y "
        "var omkastade i 2 av 2 rader: ”X” har nordkoordinaten eller latituden (svensk konvention: X är norr); "
        "det är rättat.")
    plain = tmp_path / "rak.csv"
    plain.write_bytes(b"Datum;Lat;Long\n2025-03-01 12:00;59,33;18,06\n")
    assert app_notes_sv.crs_note_sv(read_incidents(plain).report) is None


# ----------------------------------------------------------------------------- the Data page


@pytest.fixture
def data_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LAGESBILD_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    monkeypatch.setenv("LAGESBILD_USER", "testaren")
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.switch_page("app_pages/data.py")
    at.run()
    assert not at.exception
    return at


def test_the_data_page_shows_the_reader_notes_in_swedish(data_page: AppTest) -> None:
    at = data_page
    table = (b"Datum;Lat;Long;Antal\n2025-03-01;59.40;17.10;3\n2025-03-02;59.41;17.11;2\n")
    at.file_uploader[0].set_value([("sammanstallning.csv", table, "text/csv")])
    at.run()
    assert not at.exception
    shown = "\n".join(w.value for w in at.warning)
    assert "Anmärkningar från inläsningen" in shown
    assert "2 rader har datum men inget klockslag" in shown
    assert "ingen kolumn med brottstyp hittades" in shown and "Kolumnen" not in shown
    assert "kolumnen ”Antal” ser ut att ange antal händelser per rad" in shown
    for english in ("looks like a number", "no category column", "rows have a date", "på engelska",
                    "--column", "columns="):
        assert english not in shown, english


def test_the_data_page_says_swapped_axes_in_swedish(data_page: AppTest) -> None:
    at = data_page
    at.file_uploader[0].set_value([("omkastade.csv", b"Datum;X;Y\n2025-03-01 12:00;6582050;619232\n", "text/csv")])
    at.run()
    assert not at.exception
    assert any("X och Y var omkastade i 1 av 1 rad" in i.value for i in at.info)


def test_an_uploader_refuses_a_wrong_file_type_in_swedish(data_page: AppTest) -> None:
    at = data_page
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Händelser (brott, ordningsstörningar …)"].set_value(
        [("rapport.pdf", b"%PDF-1.4", "application/pdf"),
         ("handelser.csv", b"Datum;Lat;Long\n2025-03-01 12:00;59,33;18,06\n", "text/csv")])
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors == ["Filen rapport\\.pdf togs inte emot: här går det inte att ladda upp filer av typen "
                      "\\.pdf. Välj en fil av någon av typerna CSV, TXT, XLSX, XLS, ODS, GEOJSON, JSON, JSONL, GPKG, PARQUET, FGB, KML, KMZ, ZIP."]
    assert [s.name for s in at.session_state["staged"]["incidents"]] == ["handelser.csv"]  # the good one is read
    by_label = {u.label: u for u in at.file_uploader}
    by_label["Områdesindelning (DeSO, stadsdelar)"].set_value(("omraden.csv", b"a;b\n", "text/csv"))
    at.run()
    assert any("omraden\\.csv togs inte emot" in e.value and "GEOJSON, JSON, GPKG, FGB" in e.value
               for e in at.error)
    assert "districts" not in at.session_state["staged"]


def test_refused_upload_follows_streamlits_check() -> None:
    types = ["csv", "xlsx"]
    assert app_ui.refused_upload("brott.CSV", types) is None and app_ui.refused_upload("a.b.xlsx", types) is None
    assert app_ui.refused_upload("brott", types) is not None
    assert app_ui.refused_upload("brott.csv\0.exe", types) is not None
    assert app_ui.refused_upload("brott.xlsx\0", types) is not None


def test_rejected_addresses_are_counted_by_what_to_do_about_them() -> None:
    rejected = pd.DataFrame({"geocode_note": [
        "best candidate scored 64.0 < 88", "best candidate scored 81.8 < 88", "name part differs (a vs b)",
        "ambiguous: the house number exists in Exempelstad and Norrby; add the postcode or the town to the address",
        "town 'Eskilstuna' is not covered by the gazetteer (2 postorter; nearest: Exempelstad, Norrby)",
        "", None, "something new"]})
    assert app_ui.address_reasons(rejected).to_dict("list") == {
        "Skäl": ["Stavningen skiljer sig för mycket från registrets", "Finns i flera orter: orten saknas",
                 "Orten finns inte i registret", "Annat"],
        "Antal": [3, 1, 1, 1]}
    assert app_ui.address_reasons(pd.DataFrame({"reason": ["outside Sweden"]})).empty  # no geocoding


def test_the_data_page_counts_the_rejected_addresses_by_reason(data_page: AppTest) -> None:
    at = data_page
    assert "**Adresser som inte hittades, efter skäl**" in [m.value for m in at.markdown]
    table = next(df.value for df in at.dataframe if "Skäl" in df.value.columns)
    # Exempelkommun's messy addresses: each kind of reason with its count, most first
    assert table.to_dict("list") == {
        "Skäl": ["Finns i flera orter: orten saknas", "Stavningen skiljer sig för mycket från registrets",
                 "Orten finns inte i registret", "Namnet stämmer bara om å, ä och ö bortses från",
                 "Namnet finns inte i registret"],
        "Antal": ["109", "106", "49", "18", "11"]}
