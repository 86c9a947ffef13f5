"""The level rows of the district table (rows known only in a stadsdel / only in the kommun, the
police feed's) go through the publishing step like every other count, and the audit attacks
them; the audit of a broken package gives a clear error, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lagesbild_geo.districts import KOMMUN_CODE, STADSDEL_CODE, TOTAL_CODE, summarize
from lagesbild_geo.errors import InputError
from lagesbild_geo.export import export_package
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.privacy import audit_package, publishable

TZ = "Europe/Stockholm"


def _bundle(rows: list[tuple[str, str, str, str, int]]) -> Lagesbild:
    """Districts A, B, C (boxes) and incidents given as (district or "", precision,
    place_districts, category, how many)."""
    d = gpd.GeoDataFrame({"district_name": ["Alby", "Bro", "Cederby"], "population": [2000.0, 3000.0, 1500.0]},
                         geometry=[shapely.box(17.0 + i * 0.1, 59.3, 17.1 + i * 0.1, 59.4) for i in range(3)],
                         index=pd.Index(["A", "B", "C"], name="district_code"), crs=4326)
    recs = []
    for dist, prec, place, cat, n in rows:
        recs += [{"district_code": dist or None, "district_method": prec, "precision": prec,
                  "place_districts": place or None, "category": cat}] * n
    inc = pd.DataFrame(recs)
    inc["occurred_at"] = pd.Timestamp("2025-05-01 12:00", tz=TZ)
    inc["lat"], inc["lon"] = 59.35, 17.15
    s = summarize(inc, d, period="2025")
    districts = d.join(s.loc[s["row_type"] == "district"].drop(columns=["district_name", "population"]))
    e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    meta = {"kommun": {"name": "Nivåby", "code": "9996"}, "period": s.attrs["period"],
            "counts": {"placed": len(inc), "placed_in_period": len(inc), "excluded": {"ej_brott": 2},
                       "levels": {**s.attrs["levels"], "by_precision": {"district": 1}}},
            "created_at": "2026-01-01T00:00:00+00:00"}
    return Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e, clusters=e,
                     emerging=e, districts=districts, district_summary=s, metadata=meta)


def test_a_small_kommun_level_row_is_hidden_and_cannot_be_subtracted() -> None:
    lb = _bundle([("A", "district", "", "vald", 10), ("B", "district", "", "stold", 5),
                  ("", "kommun", "", "ran", 1)])
    assert int(lb.district_summary.loc[KOMMUN_CODE, "total"]) == 1
    pub = publishable(lb)
    s = pub.district_summary
    assert pd.isna(s.loc[KOMMUN_CODE, "total"]) and pd.isna(s.loc[KOMMUN_CODE, "count_ran"])
    assert "total" in s.loc[KOMMUN_CODE, "suppressed_primary"]
    assert s["kommun_level"].isna().all()  # the same number on every row: hidden on every row
    assert all("kommun_level" in v for v in s["suppressed_primary"])
    assert pub.districts["kommun_level"].isna().all()
    # kommun total − districts − stadsdel row − outside row = the hidden row: one of them must be hidden
    shown = s.loc[["A", "B", "C", STADSDEL_CODE, "_outside", TOTAL_CODE], "total"].notna()
    assert not shown.all()
    lv = pub.metadata["counts"]["levels"]
    assert lv["kommun"] is None and "by_precision" not in lv
    assert None in (lv["district"], lv["total"], lv["stadsdel"], lv["outside"])
    assert pub.metadata["counts"]["excluded"] == {"ej_brott": None}
    assert lb.district_summary.loc[KOMMUN_CODE, "total"] == 1  # the bundle itself untouched


def test_stadsdel_level_differences_cannot_give_a_group_below_min_count() -> None:
    """A: rows of a stadsdel over A and B (10); B also one row of a stadsdel over B and C: B − A
    would give that one row, and so would the stadsdel row's total − A."""
    lb = _bundle([("A", "district", "", "vald", 6), ("B", "district", "", "vald", 7), ("C", "district", "", "vald", 8),
                  ("", "stadsdel", "A;B", "stold", 10), ("", "stadsdel", "B;C", "stold", 1)])
    s0 = lb.district_summary
    assert s0["stadsdel_level"].tolist()[:3] == [10, 11, 1]
    assert s0.attrs["stadsdel_groups"] == {"districts": ["A;B", "B;C"], "count": [10, 1]}
    pub = publishable(lb)
    s = pub.district_summary
    assert pd.isna(s.loc["C", "stadsdel_level"])
    a, b, t = s.loc["A", "stadsdel_level"], s.loc["B", "stadsdel_level"], s.loc[STADSDEL_CODE, "total"]
    # A with B (B − A) or A with the stadsdel total (t − A) gives the group of one row; B and t
    # are the same sum of the two groups, so showing both tells nothing more than one of them
    assert not (pd.notna(a) and (pd.notna(b) or pd.notna(t))), (a, b, t)
    assert pd.isna(b) or pd.isna(t) or b == t
    # and a value the shown ones fix exactly is not marked hidden: B and t are shown or hidden together
    assert pd.isna(b) == pd.isna(t), (b, t)
    assert s.loc[TOTAL_CODE, "stadsdel_level"] is pd.NA or pd.isna(s.loc[TOTAL_CODE, "stadsdel_level"]) \
        or s.loc[TOTAL_CODE, "stadsdel_level"] == t


def test_every_surface_of_the_package_agrees_and_the_audit_attacks_the_level_rows(tmp_path: Path) -> None:
    lb = _bundle([("A", "district", "", "vald", 10), ("B", "district", "", "stold", 5), ("C", "district", "", "vald", 4),
                  ("", "kommun", "", "ran", 1), ("", "kommun", "", "vald", 7)])
    pkg = tmp_path / "pkg"
    meta = export_package(lb, pkg, gpkg=False)
    pub = publishable(lb).district_summary
    shown = None if pd.isna(pub.loc[KOMMUN_CODE, "total"]) else 8
    # one number, the same in every place it is published
    assert meta["totals"]["kommun_level"]["count"] == meta["levels"]["kommun"] == shown
    assert meta["totals"]["kommun_level"]["count_ran"] is None  # 1: below min_count
    districts = json.loads((pkg / "districts.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["kommun_level"] for f in districts["features"]} == {shown}
    found = audit_package(pkg)
    assert found.empty, found.to_string()
    # a package that shows the kommun-level row's small category beside its total and the rest
    m = json.loads((pkg / "metadata.json").read_text(encoding="utf-8"))
    m["totals"]["kommun_level"]["count_ran"] = 1
    m["totals"]["kommun_level"]["suppressed_primary"] = []
    (pkg / "metadata.json").write_text(json.dumps(m), encoding="utf-8")
    found = audit_package(pkg)
    assert ((found["layer"] == "metadata.totals") & (found["kind"] == "below_min_count")).any()
    # the old behaviour: level rows published as counted, nothing hidden with them
    m = json.loads((pkg / "metadata.json").read_text(encoding="utf-8"))
    m["totals"]["kommun_level"] = {"count": 8, "count_ran": None, "count_vald": 7,
                                   "suppressed_primary": ["count_ran"], "suppressed_secondary": []}
    for k, v in m["totals"]["kommun"].items():  # every kommun total shown
        if k.startswith("count") and v is None:
            m["totals"]["kommun"][k] = int(lb.district_summary.loc[TOTAL_CODE, k if k != "count" else "total"])
    m["totals"]["kommun"]["suppressed_primary"] = m["totals"]["kommun"]["suppressed_secondary"] = []
    (pkg / "metadata.json").write_text(json.dumps(m), encoding="utf-8")
    found = audit_package(pkg)
    assert (found["kind"] == "pinned").any(), found.to_string()


def test_levels_of_a_police_build_in_the_report_and_the_written_files(tmp_path: Path) -> None:
    from lagesbild_geo.report import write_report

    lb = _bundle([("A", "district", "", "vald", 10), ("B", "district", "", "stold", 5), ("", "kommun", "", "ran", 2)])
    path = write_report(lb, tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "ett dolt antal bara på kommunnivå" in text
    assert "2 bara på kommunnivå" not in text


@pytest.mark.parametrize("case", ["properties", "metadata", "values", "gpkg", "zip"])
def test_audit_of_a_broken_package_is_a_clear_error_or_a_clean_result(tmp_path: Path, case: str) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    rng = np.random.default_rng(len(case))
    if case == "properties":
        (pkg / "cells.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": 5}, "x", {"type": "Feature", "properties": {"count": "abc"}}]}))
        (pkg / "metadata.json").write_text("[1, 2]")
    elif case == "metadata":
        (pkg / "districts.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
        (pkg / "metadata.json").write_bytes(rng.integers(0, 256, 500, dtype=np.uint8).tobytes())
    elif case == "values":
        (pkg / "districts.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"district_code": [1], "count": {"a": 1}, "count_vald": True,
                                               "kommun_level": "många", "suppressed_primary": "count"}}]}))
        (pkg / "metadata.json").write_text(json.dumps({
            "suppression": {"min_count": "tre"}, "method": [], "levels": {"kommun": "x", "total": 1e400},
            "totals": {"kommun": [1], "kommun_level": {"count": "7"}}, "excluded_by_category": 3}))
    elif case == "gpkg":
        pkg = tmp_path / "lagesbild.gpkg"
        pkg.write_bytes(rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    else:
        pkg = tmp_path / "p.zip"
        pkg.write_bytes(b"PK\x03\x04" + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    try:
        found = audit_package(pkg)
    except InputError as exc:
        assert str(pkg.name) in str(exc) or "package" in str(exc)
    else:
        assert list(found.columns)[:4] == ["layer", "feature", "property", "kind"]


def test_a_police_like_table_is_protected_without_hiding_what_protects_nothing(tmp_path: Path) -> None:
    """Most rows at kommun level, a few districts with one or three incidents, a category that is
    zero everywhere (left out): the small counts are hidden and safe, the columns without any
    small count stay shown, and the zeros' column costs nothing (a zero may be pinned)."""
    lb = _bundle([("A", "district", "", "ran", 1), ("B", "district", "", "vald", 1),
                  ("C", "district", "", "ran", 1), ("C", "district", "", "brand", 1),
                  ("C", "district", "", "skadegorelse", 1),
                  ("", "kommun", "", "vald", 20), ("", "kommun", "", "ran", 10), ("", "kommun", "", "brand", 9),
                  ("", "kommun", "", "skadegorelse", 12), ("", "kommun", "", "stold", 30)])
    pub = publishable(lb)
    s = pub.district_summary
    assert s.loc[["A", "B"], "total"].isna().all()  # one incident each
    for col in ("count_stold", "count_ej_brott", "count_narkotika"):  # no small count in them
        assert s[col].notna().all(), col
    assert s.loc[TOTAL_CODE, "total"] == 86 and s.loc[KOMMUN_CODE, "total"] == 81
    hidden = sum(int(s[c].isna().sum()) for c in s.columns if c.startswith("count_") or c == "total")
    assert hidden <= 20, hidden
    pkg = tmp_path / "pkg"
    export_package(lb, pkg, gpkg=False)
    assert audit_package(pkg).empty


def test_the_build_log_is_published_without_a_raw_count(tmp_path: Path) -> None:
    """The build's notes, placement report, per-source row counts and ingest reports quote raw
    counts: the published bundle, the app's notes and the written package carry none of them,
    and the counts they hold go through the publishing step (below min_count: "färre än 3")."""
    from lagesbild_geo.dashboard import picture_notes

    lb = _bundle([("A", "district", "", "vald", 10), ("B", "district", "", "stold", 6), ("", "kommun", "", "ran", 7)])
    lb.metadata["counts"].update(other_kommun=2, lan_level=41, rejected=43, pending=0)
    lb.metadata.update(
        notes=["Police feed: 23 row(s) of Nivåby kept; 2 row(s) of other kommuner …"],
        notes_sv=["Uppgifterna gäller polisens händelseflöde."],
        placement={"looked_at": 9, "district": 2, "stadsdel": 0, "kommun": 7},
        sources=[{"name": "feed.json", "file": "/data/feed.json", "sha256": "ab", "rows_read": 68,
                  "placed": 23, "pending": 0, "rejected": 43, "excluded": 2}])
    lb = lb.__class__(**{**lb.__dict__, "reports": {"feed.json": {
        "rows_read": 68, "placed": 23, "pending": 0, "rejected": 43,
        "rejected_by_reason": {"other kommun": 2, "lan level": 41}}}})
    pub = publishable(lb)
    m = pub.metadata
    assert m["notes"] == [] and m["placement"] == {}
    assert m["sources"] == [{"name": "feed.json", "file": "/data/feed.json", "sha256": "ab"}]
    assert "placed" not in m["counts"]
    assert (m["counts"]["other_kommun"], m["counts"]["lan_level"], m["counts"]["rejected"]) == (None, 41, None)
    assert pub.reports == {"feed.json": {"pending": 0, "rejected": None}}
    assert picture_notes(pub) == [
        "Uppgifterna gäller polisens händelseflöde.",
        "Utelämnade efter kategori: Ej brott färre än 3.",
        "Polisens händelser i andra kommuner (färre än 3) och bara på länsnivå (41) ingår inte."]
    export_package(lb, tmp_path / "pkg", gpkg=False)
    written = json.loads((tmp_path / "pkg" / "metadata.json").read_text(encoding="utf-8"))
    assert written["ingest"] == {"feed.json": {"pending": 0, "rejected": None}}
    assert [set(s) for s in written["sources"]] == [{"name", "file", "sha256"}]
    text = (tmp_path / "pkg" / "metadata.json").read_text(encoding="utf-8")
    assert "rows_read" not in text and "Police feed" not in text and "looked_at" not in text


def test_one_category_mostly_at_kommun_level_cannot_give_the_districts_sum(tmp_path: Path) -> None:
    """The police feed filtered to one category (Uppsala, "våld" in 2025): one incident in a
    district, 88 known only in the kommun. The total less the kommun-level row gives the
    districts' sum along the total column and again along the category's column: no single
    value hidden frees it, so the choice moves several at once; nothing is left exposed."""
    from lagesbild_geo.dashboard import headline, levels_text

    lb = _bundle([("A", "district", "", "vald", 1), ("", "kommun", "", "vald", 88)])
    pub = publishable(lb)
    assert "unprotected" not in pub.metadata["published_notes"]
    lv = pub.metadata["counts"]["levels"]
    assert lv["district"] is None
    assert None in (lv["total"], lv["kommun"], lv["stadsdel"], lv["outside"])
    s = pub.district_summary
    parts = s.loc[[KOMMUN_CODE, STADSDEL_CODE, "_outside", TOTAL_CODE], ["total", "count_vald"]]
    assert parts.isna().any().all()  # along either column, one of the parts is hidden
    h = headline(pub)
    assert h["in_district"] is None and None in (h["incidents"], h["kommun_level"])
    assert "(dolt) placerade på område" in (levels_text(h) or "")
    pkg = tmp_path / "pkg"
    export_package(lb, pkg, gpkg=False)
    assert audit_package(pkg).empty


def test_the_districts_sum_is_shown_when_it_is_published_though_some_districts_are_hidden() -> None:
    """The app's caption takes the districts' sum the publishing step protected, not the sum of
    the district rows (hidden as soon as one district is small)."""
    from lagesbild_geo.dashboard import headline, levels_text

    lb = _bundle([("A", "district", "", "vald", 1), ("B", "district", "", "vald", 6), ("", "kommun", "", "vald", 40),
                  ("", "kommun", "", "stold", 30)])
    pub = publishable(lb)
    s = pub.district_summary
    assert pd.isna(s.loc["A", "total"])
    lv = pub.metadata["counts"]["levels"]
    h = headline(pub)
    assert (h["in_district"], h["kommun_level"]) == (lv["district"], lv["kommun"])
    if lv["district"] is not None:
        assert f"{lv['district']} placerade på område" in levels_text(h)


def test_a_count_nothing_can_protect_is_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no published value is left that could protect a small count, the step says so
    (a warning and ``published_notes.unprotected``) instead of publishing silently."""
    from lagesbild_geo import _protect
    from lagesbild_geo.errors import PrivacyWarning

    real = _protect.protect

    def leaves_one(system: _protect.System) -> tuple[np.ndarray, np.ndarray]:
        status, exposed = real(system)
        exposed = exposed.copy()
        exposed[0] = True
        return status, exposed

    monkeypatch.setattr(_protect, "protect", leaves_one)
    lb = _bundle([("A", "district", "", "vald", 10), ("B", "district", "", "stold", 1)])
    with pytest.warns(PrivacyWarning, match="1 hidden count"):
        pub = publishable(lb)
    assert pub.metadata["published_notes"]["unprotected"] == 1


def test_the_least_cost_move_frees_a_count_pinned_twice_and_nothing_else() -> None:
    """A count of 1 pinned by two totals at once: hiding one published value never frees it,
    the protection hides two; a value that nothing can protect (a relation with no published
    partner) is reported exposed."""
    from lagesbild_geo import _protect as P

    s = P.System(3)
    x = s.block([1.0, 9.0, 10.0, 1.0, 9.0, 10.0])  # a + b = t along two dimensions, a twice
    s.relate(x[[0, 1, 2]], [1.0, 1.0, -1.0])
    s.relate(x[[3, 4, 5]], [1.0, 1.0, -1.0])
    s.relate(x[[0, 3]], [1.0, -1.0])  # the same count in both tables
    status, exposed = P.protect(s)
    assert not exposed.any()
    assert status[0] == status[3] == P.PRIMARY
    assert P._is_hidden(status[[1, 2]]).any() and P._is_hidden(status[[4, 5]]).any()
    assert P.ranges(s, status).hi[0] - P.ranges(s, status).lo[0] >= 1
    lone = P.System(3)
    i = lone.block([1.0])
    lone.relate(i, [1.0], rhs=1.0)
    _, exposed = P.protect(lone)
    assert exposed.tolist() == [True]


def test_a_value_hidden_only_to_protect_that_the_shown_ones_fix_is_shown_again() -> None:
    """A zero hidden to protect others (the police feed's districts: every category shown 0,
    the total hidden) and a secondary value both fixed by the shown values are shown again;
    a small count is never shown, even when something else already pins it."""
    from lagesbild_geo import _protect as P

    s = P.System(3)
    x = s.block([0.0, 7.0, 7.0, 12.0, 5.0, 17.0, 1.0, 7.0, 8.0])
    s.relate(x[[0, 1, 2]], [1.0, 1.0, -1.0])  # 0 + 7 = 7
    s.relate(x[[3, 4, 5]], [1.0, 1.0, -1.0])  # 12 + 5 = 17
    s.relate(x[[6, 7, 8]], [1.0, 1.0, -1.0])  # 1 + 7 = 8
    status = s.arrays()[2].copy()
    assert status[6] == P.PRIMARY
    status[[0, 3, 6]] = [P.PRIMARY, P.SECONDARY, P.PRIMARY]  # the zero and the 12 hidden by the choice
    out = P._show_pinned(s, status)
    assert out[0] == P.SHOWN and out[3] == P.SHOWN
    assert out[6] == P.PRIMARY  # small: stays hidden (an exposure protect reports, never a shown 1)
    status[4] = P.SECONDARY  # 12 and 5 both hidden: neither fixed, both stay hidden
    out = P._show_pinned(s, status)
    assert out[3] == P.SECONDARY and out[4] == P.SECONDARY


def _big_kommun(not_on_grid: dict[str, int] | None = None) -> Lagesbild:
    """500 districts, one incident placed in one of them, 300 known only in the kommun."""
    n = 500
    codes = [f"D{i:03d}" for i in range(n)]
    d = gpd.GeoDataFrame({"district_name": codes, "population": 1000.0},
                         geometry=[shapely.box(17 + (i % 25) * 0.01, 59 + (i // 25) * 0.01,
                                               17.01 + (i % 25) * 0.01, 59.01 + (i // 25) * 0.01) for i in range(n)],
                         index=pd.Index(codes, name="district_code"), crs=4326)
    one = {"district_code": "D123", "district_method": "district", "precision": "district",
           "place_districts": None, "category": "vald"}
    rest = {"district_code": None, "district_method": "kommun", "precision": "kommun",
            "place_districts": None, "category": "vald"}
    inc = pd.DataFrame([one] + [rest] * 300)
    inc["occurred_at"] = pd.Timestamp("2025-05-01 12:00", tz=TZ)
    inc["lat"], inc["lon"] = 59.05, 17.05
    s = summarize(inc, d, period="2025")
    e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    counts: dict[str, object] = {"placed": 301, "placed_in_period": 301, "levels": dict(s.attrs["levels"])}
    if not_on_grid is not None:
        counts["not_on_grid"] = not_on_grid
    return Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=e, hotspots=e, clusters=e,
                     emerging=e, districts=d.join(s.loc[s["row_type"] == "district"].drop(
                         columns=["district_name", "population"])), district_summary=s,
                     metadata={"kommun": {"name": "Storby", "code": "9995"}, "period": s.attrs["period"],
                               "counts": counts})


def test_a_police_feed_of_a_big_kommun_with_one_placed_incident_is_protected_without_hiding_every_district(
        tmp_path: Path) -> None:
    """500 districts, one incident placed in one of them, 300 known only in the kommun: the
    districts' sum (1) is pinned by the total less the kommun row along two columns. The
    least-cost move hides a few values, not every district's zero (the old last resort hid
    all 500), and the written package passes the audit."""
    lb = _big_kommun()
    pub = publishable(lb)
    assert "unprotected" not in pub.metadata["published_notes"]
    ps = pub.district_summary
    hidden = ps.loc[ps["row_type"] == "district", "total"].isna()
    assert hidden["D123"] and 2 <= int(hidden.sum()) <= 10, int(hidden.sum())
    lv = pub.metadata["counts"]["levels"]
    assert lv["district"] is None and None in (lv["kommun"], lv["total"])
    export_package(lb, tmp_path / "pkg", gpkg=False)
    assert audit_package(tmp_path / "pkg").empty


def test_a_build_folders_metadata_gives_no_hidden_level_back(tmp_path: Path) -> None:
    """The police feed's Göteborg 2026: 110 in the kommun, 109 only at kommun level, 1 in a
    district. ``lagesbild.json`` once published the rows off the grid per precision
    (``not_on_grid``: kommun 109), and 110 − 109 gave the hidden district level (1) back.
    It is not published any more, and the audit of a build's folder reads that file too."""
    lb = _big_kommun(not_on_grid={"kommun": 300, "district": 1})
    # the district layer's report: how many incidents found their district which way (the
    # kommun level again, and a 1), a near-match of one incident's place text, a home folder
    lb.metadata["districts"] = {"source": "/home/anna.svensson/data/regso.gpkg", "features_read": 500,
                                "code_kind": "regso", "assignment": {"kommun": 300, "text": 1},
                                "suggestions": {"Varberg": ["Vårberg"]}}
    pub = publishable(lb)
    counts = pub.metadata["counts"]
    assert "not_on_grid" not in counts
    assert pub.metadata["districts"] == {"source": "regso.gpkg", "features_read": 500, "code_kind": "regso"}
    assert lb.metadata["districts"]["assignment"] == {"kommun": 300, "text": 1}  # the bundle untouched
    assert counts["levels"]["district"] is None and counts["placed_in_period"] == 301
    folder = tmp_path / "bygge"
    export_package(lb, folder, gpkg=False)

    def write(c: dict[str, object], **more: object) -> None:
        (folder / "lagesbild.json").write_text(json.dumps({**pub.metadata, "counts": c, **more}, default=str),
                                               encoding="utf-8")

    write(counts)
    assert audit_package(folder).empty
    # a folder written before: the kommun level's count beside the total
    write({**counts, "not_on_grid": {"kommun": 300, "district": None}})
    found = audit_package(folder)
    assert found["kind"].tolist() == ["unprotected"]
    assert found["layer"].tolist() == ["lagesbild.json"] and "district" in found["detail"].iloc[0]
    write(counts, districts={"assignment": {"kommun": 300, "text": 1}})
    found = audit_package(folder)
    assert sorted(found["kind"]) == ["below_min_count", "unprotected"]
    assert set(found["feature"]) == {"districts.assignment"}
    # a level shown there that the package hides is the package's own figure
    write({**counts, "levels": {**counts["levels"], "kommun": 300}})
    assert "pinned" in set(audit_package(folder)["kind"])
    write({**counts, "levels": {**counts["levels"], "district": 1}})
    assert "below_min_count" in set(audit_package(folder)["kind"])
