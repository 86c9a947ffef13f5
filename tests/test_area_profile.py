"""The printable area profile: one standalone A4 page per area, figures published, no positions."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import shapely
from test_export_data import PLANTED, tiny_lagesbild
from test_report import _Cells, opened_in_chromium

from lagesbild_geo.area_profile import area_profile_html, profile_file_name, write_area_profiles
from lagesbild_geo.cli import main
from lagesbild_geo.cli.build import example_config_text
from lagesbild_geo.errors import InputError, PrivacyError
from lagesbild_geo.measures import MeasureStore
from lagesbild_geo.report import period_incidents
from lagesbild_geo.sample import add_example_measures

AREA = "POLYGON ((17.09 59.36, 17.11 59.36, 17.11 59.38, 17.09 59.38, 17.09 59.36))"
TODAY = dt.date(2026, 1, 20)


@pytest.fixture(scope="module")
def lb():  # type: ignore[no-untyped-def]
    return tiny_lagesbild()


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = MeasureStore(tmp_path / "s.sqlite", user="anna.planted")
    a = s.add_area(name="Östra Åbytorget", geometry=AREA, description="Torget och gångtunneln.")
    m1 = s.add_measure(area_id=a.id, title="Belysning vid torget", target_categories=["vald", "stold"],
                       responsible="forvaltning", partners=["polisen"], status="pågående",
                       start_date="2025-07-01", next_followup="2026-01-15",
                       indicator="Anmält våld per månad", problem="Mörkt och skymt på kvällen")
    m2 = s.add_measure(area_id=a.id, title="Kameror i gångtunneln", target_categories=["skadegorelse"],
                       status="planerad", start_date="2027-01-01")
    other = s.add_area(name="Varvet", geometry="POLYGON ((17.2 59.4, 17.21 59.4, 17.21 59.41, 17.2 59.4))")
    s.add_measure(area_id=other.id, title="Annan åtgärd", target_categories=["ran"], start_date="2025-01-01")
    yield s, a, m1, m2
    s.close()


def test_profile_figures_measures_and_followup(lb, store) -> None:  # type: ignore[no-untyped-def]
    s, a, m1, m2 = store
    page = area_profile_html(lb, s, a.id, today=TODAY)
    p = _Cells()
    p.feed(page)
    assert "<h1>Områdesprofil: Östra Åbytorget</h1>" in page and "Torget och gångtunneln." in page
    # the area's incidents in the period by category, published (below 3 hidden)
    poly = shapely.from_wkt(AREA)
    inc = period_incidents(lb)
    inside = inc[shapely.contains_xy(poly, inc["lon"].to_numpy(), inc["lat"].to_numpy())]
    want = inside["category"].value_counts()
    rows = {r["category"]: r["values"] for r in p.tables["omrade-kategorier"]}
    assert set(rows) == set(want.index)
    for cat, n in want.items():
        assert rows[cat][0] == (str(n) if n >= 3 else "")
    assert p.keys["area_total"] == str(len(inside))
    assert p.keys["area_measures"] == "2"  # the other area's measure is not listed
    # measures: status, overdue follow-up marked, details
    m = {r["measure"]: r["texts"] for r in p.tables["omrade-atgarder"]}
    assert m[m1.id] == ["Belysning vid torget", "Våld och hot, Stöld och snatteri", "Kommunens förvaltning",
                        "pågående", "1 juli 2025", "15 januari 2026 (försenad)"]
    assert m[m2.id][3:] == ["planerad", "1 januari 2027", ""]
    assert 'class="overdue"' in page and "Annan åtgärd" not in page
    assert "Mörkt och skymt på kvällen" in page and "Anmält våld per månad" in page
    # follow-up of the started measure only, with the small-count caution
    assert f"uppfoljning-{m1.id}" in p.tables and f"uppfoljning-{m2.id}" not in p.tables
    assert f'data-caution="{m1.id}"' in page and "färre än 20 händelser" in page
    # standalone and printable
    assert "<script" not in page.lower() and "<link" not in page.lower()
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert attr.startswith("#"), attr
    assert "@page { size: A4" in page and "@media print" in page and page.count("<svg") == 1


def test_profile_never_shows_individual_incidents(lb, store) -> None:  # type: ignore[no-untyped-def]
    s, a, _, _ = store
    page = area_profile_html(lb, s, a.id, today=TODAY)
    for v in (*PLANTED.values(), "anna.planted", "K-0001", "Storgatan 1"):
        assert str(v) not in page, v
    for lat, lon in zip(lb.incidents["lat"], lb.incidents["lon"], strict=True):
        assert f"{lat:.5f}" not in page and f"{lon:.5f}" not in page


def test_profile_refusals(lb, store) -> None:  # type: ignore[no-untyped-def]
    s, a, m1, _ = store
    with pytest.raises(InputError, match=r"no area with id 'nope'.*Östra Åbytorget"):
        area_profile_html(lb, s, "nope")
    s.update_measure(m1.id, {"description": "Ring Kalle på 070-123 45 67"},
                     expected_version=s.get_measure(m1.id).version)
    with pytest.raises(PrivacyError, match=r"measures\.description"):
        area_profile_html(lb, s, a.id)
    page = area_profile_html(lb, s, a.id, allow_personal_data={"measures.description"})
    assert "070-123 45 67" in page
    with pytest.raises(InputError, match="Lagesbild bundle"):
        area_profile_html({"cells": []}, s, a.id)  # type: ignore[arg-type]


def test_write_area_profiles_one_file_per_area(lb, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = store[0]
    paths = write_area_profiles(lb, s, tmp_path / "ut", today=TODAY)
    assert sorted(x.name for x in paths) == ["omradesprofil-Varvet.html", "omradesprofil-Östra_Åbytorget.html"]
    assert "Områdesprofil: Varvet" in paths[[x.name for x in paths].index("omradesprofil-Varvet.html")].read_text(
        encoding="utf-8")
    assert profile_file_name("Varvet", "abcdef123", {"omradesprofil-Varvet.html"}) == \
        "omradesprofil-Varvet-abcdef12.html"


def test_profile_prints_on_a4_in_headless_chromium(lb, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s, a, _, _ = store
    path = tmp_path / "profil.html"
    path.write_text(area_profile_html(lb, s, a.id, today=TODAY), encoding="utf-8")
    with opened_in_chromium(path, width=1000) as (page, url, requests):
        box = page.locator("#fig-omrade svg").bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 250
        pdf = page.pdf(format="A4")
    assert requests == [url]
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 3


# ---------------------------------------------------------------- CLI on Exempelkommun

@pytest.fixture(scope="module")
def sample_setup(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("cli")
    cfg = d / "lagesbild.toml"
    cfg.write_text(example_config_text(str(sample_dir)), encoding="utf-8")
    with MeasureStore(d / "s.sqlite") as s:
        add_example_measures(s, sample_dir)
        s.add_area(name="Ängby torg", geometry="POLYGON ((17.074 59.349, 17.079 59.349, 17.079 59.352, "
                                                "17.074 59.352, 17.074 59.349))")
    return cfg, d / "s.sqlite"


def test_cli_report_area_writes_the_profile(sample_setup, sample_dir: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg, db = sample_setup
    out = tmp_path / "profil.html"
    rc = main(["report", "--config", str(cfg), "--store", str(db), "--area", "Stationsparken", "--out", str(out),
               "--quiet", "--created-at", "2026-01-15T08:00:00+01:00"])
    assert rc == 0 and out.exists() and f"wrote {out}" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))["measure"]
    assert "Områdesprofil: Stationsparken" in page and truth["name"] in page and "pågående" in page
    p = _Cells()
    p.feed(page)
    cats = {r["category"] for r in p.tables["omrade-kategorier"]}
    assert cats == set(truth["target_categories"])  # only skadegörelse and ordning in the park
    # no individual positions: no incident's coordinates, no case numbers
    raw = pd.read_csv(sample_dir / "incidents_kommun.csv", sep=";", encoding="cp1252", dtype=str,
                      keep_default_na=False)
    pts = raw[(raw["Lat"] != "")]
    for lat in pts["Lat"].head(300):
        assert lat.replace(",", ".") not in page and lat not in page
    assert not re.search(r"TR-20\d\d-\d{5}|5000-K\d{6}", page)
    assert "uppfoljning-" in page and "WDQ" in page


def test_cli_report_area_all_and_refusals(sample_setup, tmp_path: Path,  # type: ignore[no-untyped-def]
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg, db = sample_setup
    rc = main(["report", "--config", str(cfg), "--store", str(db), "--area", "all", "--out",
               str(tmp_path / "prof"), "--quiet"])
    assert rc == 0
    assert sorted(p.name for p in (tmp_path / "prof").iterdir()) == [
        "omradesprofil-Stationsparken.html", "omradesprofil-Ängby_torg.html"]
    capsys.readouterr()
    assert main(["report", "--config", str(cfg), "--area", "all", "--quiet"]) == 1
    assert "needs --store" in capsys.readouterr().err
    assert main(["report", "--config", str(cfg), "--store", str(db), "--area", "Angby torg", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no area with that id or name" in err and "Ängby torg" in err
