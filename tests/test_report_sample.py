"""The report on Exempelkommun: headline cells, clusters in words, near repeats, emerging
settings and the follow-up caution, against the bundle and the sample's truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from test_report import _Cells

from lagesbild_geo.cli.build import example_config_text
from lagesbild_geo.followup import followup
from lagesbild_geo.hotspots import describe_clusters
from lagesbild_geo.measures import MeasureStore
from lagesbild_geo.pipeline import Lagesbild, build_lagesbild, load_config
from lagesbild_geo.report import (
    cells_with_events,
    emerging_settings_text,
    period_incidents,
    write_report,
)
from lagesbild_geo.sample import add_example_measures

CREATED = "2026-01-15T08:00:00+01:00"


@pytest.fixture(scope="module")
def lb(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Lagesbild:
    cfg = tmp_path_factory.mktemp("cfg") / "lagesbild.toml"
    cfg.write_text(example_config_text(str(sample_dir)), encoding="utf-8")
    return build_lagesbild(load_config(cfg).replace(created_at=CREATED))


def small_square(lb: Lagesbild) -> str:
    """A 300 × 300 m square in Ängby: a few incidents, fewer than 20 before and after."""
    d = lb.districts.to_crs(3006)
    c = d.loc["9999C0270"].geometry.representative_point()
    sq = shapely.box(c.x - 150, c.y - 150, c.x + 150, c.y + 150)
    return str(gpd.GeoSeries([sq], crs=3006).to_crs(4326).iloc[0].wkt)


@pytest.fixture(scope="module")
def store(lb: Lagesbild, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    s = MeasureStore(tmp_path_factory.mktemp("store") / "s.sqlite")
    add_example_measures(s, sample_dir)
    a = s.add_area(name="Ängby torg", geometry=small_square(lb))
    s.add_measure(area_id=a.id, title="Grannsamverkan i Ängby", status="pågående",
                  target_categories=["stold", "skadegorelse", "vald", "bostadsinbrott"],
                  start_date="2025-04-01", next_followup="2025-12-01")
    yield s
    s.close()


@pytest.fixture(scope="module")
def report(lb: Lagesbild, store: MeasureStore, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = write_report(lb, tmp_path_factory.mktemp("rep") / "rapport.html", store=store)
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(report: str) -> _Cells:
    p = _Cells()
    p.feed(report)
    return p


def test_headline_counts_only_cells_with_events(lb: Lagesbild, parsed: _Cells) -> None:
    counts = pd.to_numeric(lb.cells["count"])
    with_events = int((counts > 0).sum())
    assert parsed.keys["n_cells"] == str(with_events) == str(cells_with_events(lb.cells))
    # the filled grid holds many empty cells: they are not "cells with events"
    assert len(lb.cells) > 4 * with_events
    # and every one of them holds a point-placed incident of the period
    inc = period_incidents(lb)
    inc = inc[inc["precision"].isin(["point", "address"])]
    assert inc["cell"].nunique() == with_events


def test_clusters_in_words_with_spread_occurrence(lb: Lagesbild, parsed: _Cells, report: str) -> None:
    rows = parsed.tables["kluster"]
    assert "Kluster 0" not in report and "Kluster 1" not in report
    total = lb.clusters.attrs["n_points"]
    # in words as published: a cluster's extent from its area's H3 cells
    from lagesbild_geo.privacy import publishable

    desc = describe_clusters(publishable(lb).clusters, total)
    assert len(rows) == len(lb.clusters)
    by_id = {r["cluster"]: r for r in rows}
    for cid, n, label, spread in zip(desc["cluster_id"], lb.clusters["n"], desc["label_sv"], desc["spread"],
                                     strict=True):
        r = by_id[str(cid)]
        assert r["texts"][0] == label and r["values"][0] == str(n)
        assert r["spread"] == ("true" if n / total > 0.4 else "false") == str(bool(spread)).lower()
    # Exempelkommun: the largest cluster holds 45 % of the clustered incidents
    big = by_id["0"]
    assert big["spread"] == "true" and big["texts"][0].startswith("Spridd förekomst: ")
    assert sum(r["spread"] == "true" for r in rows) == 1
    assert re.match(r"^\d+ händelser inom ca [\d,\u00a0]+ k?m$", by_id["1"]["texts"][0])
    assert "mer än 40\u00a0% av alla händelser" in report


def test_near_repeat_grids_find_the_planted_pattern(report: str, sample_dir: Path) -> None:
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))["near_repeat"]
    blocks = dict(re.findall(r'<div class="near-repeat" data-category="([a-z]+)">(.*?)</ul>', report, re.S))
    assert list(blocks) == [truth["category"], truth["control_category"]]
    burglary, control = blocks["bostadsinbrott"], blocks["fordonsbrott"]
    assert "Inom 200 m och " in burglary and "efter ett bostadsinbrott" in burglary
    assert "Nära upprepning: inom 200 m från ett bostadsinbrott är risken för ett nytt förhöjd i 14 dagar" \
        in burglary
    assert "Inget tydligt mönster av upprepning" in control and "Inom 200 m" not in control
    assert "Riskzoner runt enskilda händelser visas inte" in report


def test_emerging_settings_stated_in_words(lb: Lagesbild, report: str) -> None:
    params = lb.metadata["parameters"]["emerging"]
    text = emerging_settings_text(params)
    assert text in report.replace("&#x27;", "'")
    assert "inom 1 steg (ring) per kvartal" in text
    assert "det närmast föregående kvartalet (tidssteg 1, som i ArcGIS)" in text
    assert "hela rum–tid-kuben" in text and "Kvartal 1 2024 används bara som historik" in text
    assert emerging_settings_text({**params, "time_step": 0, "history_periods": []}).count("tidssteg 0") == 1
    assert "de 2 närmast föregående månaderna (tidssteg 2)" in emerging_settings_text(
        {"period": "month", "rings": 2, "time_step": 2, "global_window": "period",
         "history_periods": ["2024-01", "2024-02"]})


def test_followup_caution_for_small_counts(lb: Lagesbild, store: MeasureStore, parsed: _Cells,
                                          report: str) -> None:
    measures = store.list_measures()
    big = measures.index[measures["area_name"] == "Stationsparken"][0]
    small = measures.index[measures["area_name"] == "Ängby torg"][0]
    res_small = followup(store.get_measure(small), lb.incidents, store=store)
    area = res_small.counts.loc["area"]
    assert min(area["before"], area["after"]) >= 3 and min(area["before"], area["after"]) < 20
    caution = re.search(rf'<p class="caution" data-caution="{small}">(.*?)</p>', report, re.S)
    assert caution and "färre än 20 händelser före eller efter start i området" in caution.group(1)
    assert "ska inte läsas som en effekt" in caution.group(1)
    # counts shown, WDQ not read: no band, no summary sentence with an effect
    shown = {r["zone"]: r["values"] for r in parsed.tables[f"uppfoljning-{small}"]}
    assert shown["area"] == [str(int(area["before"])), str(int(area["after"]))]
    section = report.split(f'data-measure="{small}"')[1].split("<h3")[0]
    assert "tolkas inte: för få händelser" in section or "WDQ" not in section
    assert "utvecklades bättre" not in section
    # the large measure: no caution, its WDQ read
    assert f'data-caution="{big}"' not in report
    res_big = followup(store.get_measure(big), lb.incidents, store=store)
    assert min(res_big.counts.loc[["area", "buffer"], ["before", "after"]].min()) >= 20
    big_section = report.split(f'<h3 data-measure="{big}"')[1].split("<h3")[0]
    assert res_big.wdq.band_sv in big_section


def test_overdue_followup_marked(parsed: _Cells, store: MeasureStore) -> None:
    measures = store.list_measures()
    small = measures.index[measures["area_name"] == "Ängby torg"][0]
    rows = {r["measure"]: r["texts"] for r in parsed.tables["atgarder"]}
    assert rows[small][-1] == "1 december 2025 (försenad)"  # built 15 januari 2026
    big = measures.index[measures["area_name"] == "Stationsparken"][0]
    assert rows[big][-1] == ""
