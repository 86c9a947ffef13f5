"""The HTML lägesbild report: numbers equal the bundle's, privacy, no external requests."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browser_support import LAUNCH_ARGS, browser_or_skip
from test_export_data import COUNTS, PIN_COMMENT, PLANTED, tiny_lagesbild

from lagesbild_geo import measures
from lagesbild_geo import report as report_module
from lagesbild_geo.errors import InputError, NotFoundError, ValidationError
from lagesbild_geo.export import export_package, read_package
from lagesbild_geo.report import write_report
from lagesbild_geo.schema import CATEGORY_LABELS

NEEDLES = [*PLANTED.values(), PIN_COMMENT, "Planted", "planted", "Storgatan", "fritext A"]


class _Cells(HTMLParser):
    """Collects rows (their data-* attributes and cell data-values) per table id,
    and every element with data-key."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, object]]] = {}
        self.keys: dict[str, str] = {}
        self._table: str | None = None
        self._row: dict[str, object] | None = None
        self._cell: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "data-key" in a:
            self.keys[a["data-key"]] = a.get("data-value", "")
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
            self._row["values"] = []
            self._row["texts"] = []
        elif tag == "td" and self._row is not None:
            if "data-value" in a:  # numeric cells only
                self._row["values"].append(a["data-value"])  # type: ignore[union-attr]
            self._cell = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row["texts"].append("".join(self._cell))  # type: ignore[union-attr]
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._row["texts"]:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


@pytest.fixture(scope="module")
def lb():
    return tiny_lagesbild()


@pytest.fixture(scope="module")
def report(lb, tmp_path_factory) -> Path:
    return write_report(lb, tmp_path_factory.mktemp("rep") / "rapport.html")


@pytest.fixture(scope="module")
def parsed(report: Path) -> _Cells:
    p = _Cells()
    p.feed(report.read_text(encoding="utf-8"))
    return p


def test_sections_in_order_and_swedish(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    ids = re.findall(r'<h2 id="([a-z]+)"', text)
    assert ids == ["omfattning", "konsekvenser", "orsaker", "atgardsplan", "uppfoljning", "metod"]
    assert '<html lang="sv">' in text and '<meta charset="utf-8">' in text
    for word in ("Omfattning", "Konsekvenser och trygghet", "Orsaker och mönster", "Åtgärdsplan",
                 "Uppföljning", "Lägesbild Exempelkommun 2025", "Östra Åby", "Stationsområdet"):
        assert word in text
    assert "Ã" not in text  # no mojibake


def test_numbers_equal_the_bundle(lb, parsed: _Cells) -> None:
    assert parsed.keys["total"] == str(len(lb.incidents)) == str(sum(COUNTS))
    assert parsed.keys["n_cells"] == "12"
    assert parsed.keys["n_hot_cells"] == str(int(lb.hotspots["hotspot_class"].str.startswith("hot").sum()))
    vc = lb.incidents["category"].value_counts()
    rows = {r["category"]: r for r in parsed.tables["kategorier"]}
    assert set(rows) == set(vc.index)
    for cat, n in vc.items():
        assert rows[cat]["values"][0] == str(n)
        assert float(rows[cat]["values"][1]) == pytest.approx(n / len(lb.incidents), abs=5e-4)  # as shown
        assert rows[cat]["texts"][0] == CATEGORY_LABELS[cat]
    months = pd.to_datetime(lb.incidents["occurred_at"]).dt.tz_localize(None).dt.to_period("M")
    mvc = months.value_counts()
    hidden = 0
    for r in parsed.tables["manader"]:
        n = int(mvc.get(pd.Period(r["month"]), 0))
        # small months hidden; a shown month is the true count (others may be hidden to protect)
        assert r["values"][0] in ("", str(n)) and (r["values"][0] == "" or not 0 < n < 3)
        hidden += r["values"][0] == ""
    assert hidden >= sum(1 for v in mvc if 0 < v < 3)
    dist = {r["district"]: r["values"] for r in parsed.tables["distrikt"]}
    s = lb.district_summary
    assert dist["9999C1020"][0] == str(int(s.loc["9999C1020", "total"]))
    assert float(dist["9999C1020"][1]) == pytest.approx(s.loc["9999C1020", "per_1000"], abs=0.05)  # as shown
    assert dist["9999C1030"][0] == "4" and dist["9999C1030"][1] == ""  # no population → no rate
    hours = pd.to_datetime(lb.incidents["occurred_at"]).dt.day_of_week.value_counts()
    for r in parsed.tables["veckodagar"]:
        n = int(hours.get(int(r["weekday"]), 0))
        assert r["values"][0] in ("", str(n)) and (r["values"][0] == "" or not 0 < n < 3)
    cl = {r["cluster"]: r["values"] for r in parsed.tables["kluster"]}
    # a published cluster is its area's H3 cells: its area in hectares is theirs
    from lagesbild_geo.privacy import publishable

    pub = publishable(lb).clusters.set_index("cluster_id")
    assert cl["1"][0] == "25" and cl["2"][0] == ""
    assert float(cl["1"][1]) == pytest.approx(float(pub.loc[1, "area_m2"]) / 1e4, abs=1e-3)


def test_survey_values_and_suppression(parsed: _Cells) -> None:
    tr = {r["district"]: r for r in parsed.tables["trygghet"]}
    assert tr["9999C1010"]["values"][:2] == ["40", repr(0.25)]
    assert tr["9999C1020"]["values"][:2] == ["", ""]
    assert tr["9999C1020"]["texts"][-1] == "för få svar för att visas"


def test_no_small_count_and_no_personal_data(report: Path, parsed: _Cells) -> None:
    data = report.read_bytes()
    for needle in NEEDLES:
        assert needle.encode() not in data, needle
    for tid in ("kategorier", "manader", "veckodagar", "distrikt", "kluster"):
        for r in parsed.tables[tid]:
            v = r["values"][0]
            assert v == "" or int(v) == 0 or int(v) >= 3, (tid, r)


def test_standalone_no_external_references(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "<link" not in text.lower()
    assert "@import" not in text
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", text))  # SVG clip paths
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text):
        assert attr.startswith("#"), attr
    assert text.count("<svg") >= 6  # charts and maps inline


def test_report_with_store_lists_measures_and_followup(lb, tmp_path: Path) -> None:
    store = measures.MeasureStore(tmp_path / "s.sqlite", user="anna.planted")
    a = store.add_area(name="Stationsområdet",
                       geometry="POLYGON ((17.09 59.36, 17.11 59.36, 17.11 59.38, 17.09 59.38, 17.09 59.36))")
    m = store.add_measure(area_id=a.id, title="Belysning vid stationen",
                          target_categories=["vald", "stold"], responsible="forvaltning",
                          start_date="2025-07-01", next_followup="2026-01-15", status="pågående",
                          description=PLANTED["beskrivning"])
    store.add_measure(area_id=a.id, title="Framtida åtgärd", target_categories=["ran"],
                      start_date="2027-01-01")
    out = write_report(lb, tmp_path / "r.html", store=store)
    p = _Cells()
    p.feed(out.read_text(encoding="utf-8"))
    rows = {r["measure"]: r["texts"] for r in p.tables["atgarder"]}
    assert rows[m.id] == ["Stationsområdet", "Belysning vid stationen",
                          "Våld och hot, Stöld och snatteri", "Kommunens förvaltning",
                          "pågående", "1 juli 2025", "15 januari 2026"]
    assert len(rows) == 2
    follow = p.tables[f"uppfoljning-{m.id}"]
    assert [r["zone"] for r in follow] == ["area", "buffer", "control"]
    from lagesbild_geo.followup import followup

    res = followup(m, lb.incidents, store=store)
    for j, col in enumerate(("before", "after")):  # a period is shown whole or hidden whole
        small = any(0 < int(res.counts.loc[z, col]) < 3 for z in ("area", "buffer", "control"))
        for r in follow:
            assert r["values"][j] == ("" if small else str(int(res.counts.loc[r["zone"], col])))
    data = out.read_bytes()
    assert b"anna.planted" not in data and PLANTED["beskrivning"].encode() not in data
    store.close()


@pytest.mark.parametrize(("error", "words"), [
    (ValidationError([("as_of", "2025-01-01 is before the measure's start 2025-07-01",
                       "uppföljningsdagen 2025-01-01 ligger före åtgärdens start 2025-07-01.")]),
     "Uppföljningen kunde inte beräknas: uppföljningsdagen 2025-01-01 ligger före åtgärdens start "
     "2025-07-01."),
    (NotFoundError("no area 7"), "Uppföljningen kunde inte beräknas: åtgärden eller dess område finns "
                                 "inte längre i åtgärdsregistret."),
    (InputError("incidents have no times"), "Uppföljningen kunde inte beräknas: uppgifterna räckte inte "
                                            "till (teknisk beskrivning, på engelska: incidents have no times)"),
])
def test_a_failed_follow_up_is_said_in_swedish(lb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               error: Exception, words: str) -> None:
    # the report is read by politicians: a measure whose follow-up fails gets a Swedish note
    # (a rule it breaks in the model's Swedish words), never the library's English alone
    store = measures.MeasureStore(tmp_path / "s.sqlite", user="anna")
    a = store.add_area(name="Stationsområdet",
                       geometry="POLYGON ((17.09 59.36, 17.11 59.36, 17.11 59.38, 17.09 59.38, 17.09 59.36))")
    store.add_measure(area_id=a.id, title="Belysning vid stationen", target_categories=["vald"],
                      start_date="2025-07-01")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(report_module, "_run_followup", fail)
    text = re.sub(r"\s+", " ", write_report(lb, tmp_path / "r.html", store=store).read_text(encoding="utf-8"))
    assert words in text
    store.close()


def test_report_from_a_read_package(lb, tmp_path: Path) -> None:
    export_package(lb, tmp_path / "pkg")
    out = write_report(read_package(tmp_path / "pkg"), tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert "Lägesbild Exempelkommun 2025" in text and "Inga åtgärder är registrerade" in text
    assert "Enskilda händelser ingår inte" in text and 'data-key="total"' not in text
    p = _Cells()
    p.feed(text)
    assert p.keys["n_cells"] == "12"
    assert {r["district"]: r["values"][0] for r in p.tables["distrikt"]}["9999C1020"] == "40"


def test_created_time_is_the_builds_in_swedish_time(lb, tmp_path: Path) -> None:
    """The report states the bundle's created_at (local time), never the clock: a build with
    a fixed created_at writes the same bytes a minute later."""
    import dataclasses

    fixed = dataclasses.replace(lb, metadata={**lb.metadata, "created_at": "2026-01-01T08:30:00+00:00"})
    text = write_report(fixed, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Skapad 1 januari 2026 09:30 med" in text


def test_refuses_non_bundle(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Lagesbild bundle"):
        write_report({"cells": []}, tmp_path / "x.html")  # type: ignore[arg-type]


@contextlib.contextmanager
def opened_in_chromium(path: Path, *, width: int) -> Iterator[tuple[Any, str, list[str]]]:
    """A headless Chromium page on a saved file, the file's URL and every URL the page
    requested (the list stays readable after the browser closed). Chromium or playwright
    missing: FAIL when $CI is set, skip otherwise."""
    chromium = browser_or_skip()
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1400})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            yield page, url, requests
        finally:
            browser.close()


def test_renders_in_headless_chromium_without_requests(report: Path, tmp_path: Path) -> None:
    with opened_in_chromium(report, width=1100) as (page, url, requests):
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text().startswith("Lägesbild Exempelkommun")
        assert page.locator("svg").count() >= 6
        box = page.locator("#fig-hotspots svg").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200
        shot = tmp_path / "rapport.png"
        page.screenshot(path=str(shot), full_page=True)
        pdf = page.pdf(path=str(tmp_path / "rapport.pdf"), format="A4")
    assert [u for u in requests if u != url] == []
    assert requests == [url]
    assert shot.stat().st_size > 10_000 and len(pdf) > 10_000


def test_report_without_positions_says_hotspots_cannot_be_computed(lb, tmp_path: Path) -> None:
    # the police feed alone: no incident has a position, so no cell exists (not "0 hotspots")
    from lagesbild_geo.report import NO_POSITIONS_TEXT

    flat = lb.replace(cells=lb.cells.iloc[:0], hotspots=lb.hotspots.iloc[:0],
                      clusters=lb.clusters.iloc[:0], emerging=lb.emerging.iloc[:0])
    text = write_report(flat, tmp_path / "r.html").read_text(encoding="utf-8")
    p = _Cells()
    p.feed(text)
    assert "n_cells" not in p.keys and "n_hot_cells" not in p.keys and p.keys["total"]
    assert NO_POSITIONS_TEXT in text
    assert "Täthetskluster kan inte beräknas: inga händelser har exakt position." in text
    assert "Framväxande hotspots kan inte beräknas: inga händelser har exakt position." in text
    assert "Inga täthetskluster hittades" not in text and "hotspotceller" not in text


def test_district_table_population_missing_and_change_significance() -> None:
    import numpy as np

    from lagesbild_geo.report import _districts_block

    d = pd.DataFrame({"district_code": ["A", "B", "C"], "district_name": ["Åby", "Böle", "Ö"],
                      "population": [1000.0, np.nan, 500.0], "count": [40, 12, None],
                      "per_1000": [40.0, np.nan, np.nan], "share_of_total": [0.5, 0.15, None],
                      "change": [30, -2, None], "change_significant": [True, False, None]})
    p = _Cells()
    p.feed(_districts_block({"districts": d}))
    rows = {r["district"]: r["texts"] for r in p.tables["distrikt"]}
    assert rows["A"] == ["Åby", "A", "40", "40,0", "50,0\xa0%", "+30", "ja"]
    assert rows["B"] == ["Böle", "B", "12", "saknas", "15,0\xa0%", "−2", "nej"]
    assert rows["C"] == ["Ö", "C", "–", "–", "–", "–", ""]
    no_pop = _districts_block({"districts": d.assign(population=np.nan).drop(columns="change_significant")})
    assert "Per 1 000 inv." not in no_pop and "Säkerställd" not in no_pop
    assert "Distriktsskiktet saknar befolkning, så antal per 1 000 invånare kan inte beräknas." in no_pop


def test_area_profile_of_an_area_without_incidents_one_measure(lb, tmp_path: Path) -> None:
    from lagesbild_geo.area_profile import area_profile_html

    s = measures.MeasureStore(tmp_path / "s.sqlite", user="test")
    a = s.add_area(name="Varvet", geometry="POLYGON ((17.2 59.4, 17.21 59.4, 17.21 59.41, 17.2 59.4))")
    s.add_measure(area_id=a.id, title="Belysning", target_categories=["ran"], start_date="2025-01-01")
    page = area_profile_html(lb, s, a.id)
    s.close()
    p = _Cells()
    p.feed(page)
    assert p.keys["area_total"] == "0" and p.keys["area_measures"] == "1"
    assert '<span class="l">åtgärd</span>' in page  # "1 åtgärd", not "1 åtgärder"
    assert "omrade-kategorier" not in page  # no table of headers only
    assert "Inga händelser med exakt position under perioden." in page


def test_area_profile_share_says_it_is_of_the_positioned_incidents(lb, tmp_path: Path) -> None:
    from lagesbild_geo.area_profile import area_profile_html

    s = measures.MeasureStore(tmp_path / "s.sqlite", user="test")
    a = s.add_area(name="Hela", geometry="POLYGON ((16.9 59.2, 17.3 59.2, 17.3 59.5, 16.9 59.5, 16.9 59.2))")
    page = area_profile_html(lb, s, a.id)
    s.close()
    assert '<th class="num">Andel av kommunens med exakt position</th>' in page


@pytest.mark.parametrize(("correction", "words"), [
    ("fdr", "signifikansnivå 0,05, korrektion för många samtidiga test: FDR (Benjamini–Hochberg)."),
    ("none", "signifikansnivå 0,05, ingen korrektion för många samtidiga test."),
])
def test_method_names_the_correction_in_swedish(tmp_path: Path, correction: str, words: str) -> None:
    from lagesbild_geo.settings import Settings

    text = write_report(tiny_lagesbild(Settings(correction=correction)), tmp_path / "r.html").read_text(
        encoding="utf-8")
    assert words in text and "korrektion fdr" not in text and "korrektion none" not in text


def test_report_of_a_read_package_without_positions(lb, tmp_path: Path) -> None:
    from lagesbild_geo.report import NO_POSITIONS_TEXT

    flat = lb.replace(cells=lb.cells.iloc[:0], hotspots=lb.hotspots.iloc[:0],
                      clusters=lb.clusters.iloc[:0], emerging=lb.emerging.iloc[:0])
    export_package(flat, tmp_path / "pkg")
    text = write_report(read_package(tmp_path / "pkg"), tmp_path / "r.html").read_text(encoding="utf-8")
    assert NO_POSITIONS_TEXT in text and "hotspotceller" not in text
    assert "Täthetskluster kan inte beräknas: inga händelser har exakt position." in text


def test_trygghet_rows_say_why_a_value_is_hidden() -> None:
    import geopandas as gpd
    import numpy as np

    from lagesbild_geo.report import _konsekvenser

    tr = gpd.GeoDataFrame({
        "district_code": ["A", "B", "C", "75320"], "district_name": ["Åby", "Böle", "Ö", None],
        "n": [20, 7, np.nan, 9], "otrygg_share": [0.25, np.nan, np.nan, 0.5],
        "mean_worry": [2.5, 3.0, np.nan, 2.0], "suppressed": [False, False, True, False]}, geometry=[None] * 4)
    flat = tiny_lagesbild()
    p = _Cells()
    p.feed(_konsekvenser(flat, {"trygghet": tr}, 5))
    rows = {r["district"]: r["texts"][-1] for r in p.tables["trygghet"]}
    assert rows == {"A": "", "B": "för få giltiga svar för att visas", "C": "för få svar för att visas",
                    "75320": "inte ett distrikt i distriktsskiktet"}
