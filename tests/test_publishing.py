"""The one publishing step on whole builds: audits of written packages (Exempelkommun and a
generated kommun with many small cells and every category), planted personal data in every
free-text field, and no published figure that the step hid."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lagesbild_geo.errors import PrivacyError
from lagesbild_geo.export import export_package, zip_package
from lagesbild_geo.measures import MeasureStore
from lagesbild_geo.pipeline import PipelineConfig, build_lagesbild
from lagesbild_geo.privacy import FREE_TEXT_FIELDS, audit_package, find_personal_text, publishable
from lagesbild_geo.report import write_report
from lagesbild_geo.schema import CATEGORY_LABELS

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ builds

@pytest.fixture(scope="module")
def exempel(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    if not (sample_dir / "incidents_polis.xlsx").exists():
        pytest.skip("sample_data/ is missing (run `lagesbild sample sample_data`)")
    from lagesbild_geo.cli import main

    d = tmp_path_factory.mktemp("exempel")
    cfg = d / "lagesbild.toml"
    assert main(["init", str(cfg), "--sample-dir", str(sample_dir)]) == 0
    return build_lagesbild(cfg)


def _generated(folder: Path) -> PipelineConfig:
    """A kommun with many small cells (resolution 10, scattered points) and every category."""
    rng = np.random.default_rng(7)
    n = 2500
    cats = list(CATEGORY_LABELS.values())
    dense = rng.random(n) < 0.3
    lat = np.where(dense, 59.40 + rng.normal(0, 0.002, n), 59.38 + rng.random(n) * 0.06)
    lon = np.where(dense, 17.10 + rng.normal(0, 0.004, n), 17.05 + rng.random(n) * 0.12)
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730 * 24, n), unit="h")
    pd.DataFrame({"Datum": t.strftime("%Y-%m-%d %H:%M"), "Kategori": rng.choice(cats, n),
                  "Lat": lat.round(6), "Long": lon.round(6)}).to_csv(folder / "inc.csv", index=False, sep=";")
    boxes, codes = [], []
    for i in range(4):
        for j in range(3):
            boxes.append(shapely.box(17.05 + i * 0.03, 59.38 + j * 0.02,
                                     17.05 + (i + 1) * 0.03, 59.38 + (j + 1) * 0.02))
            codes.append(f"9998A{len(codes) + 1:04d}")
    gpd.GeoDataFrame({"deso": codes, "namn": [f"Område {k}" for k in range(1, 13)],
                      "befolkning": rng.integers(800, 2500, len(codes))}, geometry=boxes,
                     crs=4326).to_file(folder / "districts.geojson", driver="GeoJSON")
    return PipelineConfig(incidents=(str(folder / "inc.csv"),), districts=str(folder / "districts.geojson"),
                          period="2025", previous_period="previous", resolution=10,
                          kommun_name="Genkommun", created_at="2026-01-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("generated")
    return build_lagesbild(_generated(d))


def _counts(fc: dict) -> list[tuple[str, float]]:
    out = []
    for f in fc["features"]:
        for k, v in f["properties"].items():
            if (k in ("count", "n", "count_previous") or k.startswith("count_")) and v is not None:
                out.append((k, v))
    return out


@pytest.mark.parametrize("which", ["exempel", "generated"])
def test_audit_of_written_packages_finds_nothing(which: str, request: pytest.FixtureRequest,
                                                 tmp_path: Path) -> None:
    lb = request.getfixturevalue(which)
    pkg = tmp_path / "pkg"
    meta = export_package(lb, pkg)
    small = (lb.cells["count"] > 0) & (lb.cells["count"] < 3)
    assert small.sum() > 200  # the data are hard: many cells below min_count
    for name in ("cells", "hotspots", "districts", "emerging", "clusters"):
        fc = json.loads((pkg / f"{name}.geojson").read_text(encoding="utf-8"))
        assert all(v == 0 or v >= 3 for _, v in _counts(fc)), name
    findings = audit_package(pkg)
    assert findings.empty, findings.head(20).to_string()
    # the same from the zip and from the GeoPackage alone
    z = zip_package(pkg, tmp_path / "polis.zip")
    assert audit_package(z).empty
    assert audit_package(pkg / "lagesbild.gpkg").empty
    assert meta["totals"]["kommun"]["count"] == int(lb.district_summary.loc["_total", "total"])


def test_a_picture_of_every_date_counts_each_cell_once(tmp_path: Path) -> None:
    """Without a period the cells count every date, as the emerging layer does: a cell's two
    counts are one value to protect (two values tied by an inequality made a large kommun's
    picture of every date take 34 s instead of 1 s), hidden or shown together, and the
    package's audit finds nothing."""
    from lagesbild_geo import privacy

    lb = build_lagesbild(_generated(tmp_path).replace(period=None, previous_period=None))
    assert lb.metadata.get("period") is None and len(lb.emerging)
    p, mc, _ = privacy._options(lb, None)
    b = privacy._build_system(lb, p, mc, dict(lb.metadata))
    cells = next(t for t in b.tabs if t.frame == "cells")
    emerging = next(t for t in b.tabs if t.frame == "emerging")
    cell_of = dict(zip(b.cells.index[cells.rows], cells.idx[:, cells.cols.index("count")], strict=True))
    same = [cell_of.get(k) == i for k, i in zip(lb.emerging.index[emerging.rows], emerging.idx[:, 0], strict=True)]
    assert len(same) > 1000 and all(same)
    pub = publishable(lb)
    both = pub.cells[["count"]].join(pub.emerging[["count"]].rename(columns={"count": "count_emerging"}),
                                     how="inner")
    assert both["count"].isna().sum() > 100
    assert (both["count"].isna() == both["count_emerging"].isna()).all()
    export_package(lb, tmp_path / "pkg", gpkg=False)
    assert audit_package(tmp_path / "pkg").empty


def test_one_category_left_by_a_filter_is_its_cells_total(generated, tmp_path: Path) -> None:
    """Filtered to one category, each cell's count of it is the cell's total: one value to
    protect (two made the audit run linear programs for every such cell: a category filter
    of a 419-district kommun took 6.6 s instead of 1.4 s), and the package is clean."""
    from lagesbild_geo import privacy
    from lagesbild_geo.pipeline import filter_incidents, rebuild

    one = rebuild(generated, filter_incidents(generated.incidents, categories=["vald"]))
    p, mc, _ = privacy._options(one, None)
    b = privacy._build_system(one, p, mc, dict(one.metadata))
    cells = next(t for t in b.tabs if t.frame == "cells")
    assert {"count_vald", "count"} <= set(cells.cols)
    assert len(cells.rows) > 50
    assert (cells.idx[:, cells.cols.index("count_vald")] == cells.idx[:, cells.cols.index("count")]).all()
    pub = publishable(one)
    assert pub.cells["count_vald"].isna().equals(pub.cells["count"].isna())
    assert pub.cells["count"].isna().sum() > 20
    export_package(one, tmp_path / "pkg", gpkg=False)
    assert audit_package(tmp_path / "pkg").empty


def test_audit_catches_what_the_old_rules_let_through(exempel, tmp_path: Path) -> None:
    """Reveal one hidden category per row where two small counts were hidden (the old rule's
    output): the other one is then total minus the rest, and the audit says so."""
    pkg = tmp_path / "pkg"
    export_package(exempel, pkg, gpkg=False)
    path = pkg / "cells.geojson"
    fc = json.loads(path.read_text(encoding="utf-8"))
    revealed = 0
    for f in fc["features"]:
        p = f["properties"]
        hidden = [k for k in p if k.startswith("count_") and p[k] is None]
        if p["count"] is None or len(hidden) != 2 or revealed >= 5:
            continue
        cell = int(p["cell"], 16)
        true = [int(exempel.cells.loc[np.uint64(cell), h]) for h in hidden]
        if all(0 < v < 3 for v in true):  # two small counts (a hidden zero may be pinned: it is 0)
            p[hidden[0]] = true[0]
            p["suppressed_primary"] = [x for x in p["suppressed_primary"] if x != hidden[0]]
            p["suppressed_secondary"] = [x for x in p["suppressed_secondary"] if x != hidden[0]]
            revealed += 1
    assert revealed == 5
    path.write_text(json.dumps(fc), encoding="utf-8")
    (pkg / "hotspots.geojson").unlink()
    found = audit_package(pkg)
    assert (found["kind"] == "pinned").sum() >= 5
    assert set(found["layer"]) == {"cells"}


def test_the_last_periods_z_scores_never_leave(exempel, tmp_path: Path) -> None:
    """Every cell's z of the last bin would give that bin's counts per cell back (z is a
    linear function of the neighbourhood sums, the weights are known): withheld; the
    classes stay. A package that carries them is caught by the audit."""
    assert np.isfinite(exempel.emerging["last_gi_z"]).sum() > 100
    pub = publishable(exempel)
    assert pub.emerging["last_gi_z"].isna().all()
    assert pub.emerging["emerging_class"].equals(exempel.emerging["emerging_class"])
    assert pub.emerging["last_gi_bin"].equals(exempel.emerging["last_gi_bin"])
    pkg = tmp_path / "pkg"
    export_package(exempel, pkg, gpkg=False)
    path = pkg / "emerging.geojson"
    fc = json.loads(path.read_text(encoding="utf-8"))
    assert all(f["properties"]["last_gi_z"] is None for f in fc["features"])
    assert audit_package(pkg).empty
    z = exempel.emerging["last_gi_z"]
    for f in fc["features"][:3]:  # a package written by another tool, with the values
        f["properties"]["last_gi_z"] = float(z.loc[np.uint64(int(f["properties"]["cell"], 16))])
    path.write_text(json.dumps(fc), encoding="utf-8")
    found = audit_package(pkg)
    assert list(found["kind"]) == ["period_gi"] * 3 and set(found["layer"]) == {"emerging"}


def test_publishing_is_idempotent_and_hides_derived_values(exempel) -> None:
    pub = publishable(exempel)
    assert publishable(pub) is pub
    s = pub.district_summary
    hidden_total = s["total"].isna()
    assert s.loc[hidden_total, "per_1000"].isna().all() and s.loc[hidden_total, "share_of_total"].isna().all()
    hidden_prev = s["total_previous"].isna() | hidden_total
    assert s.loc[hidden_prev, "change"].isna().all() and s.loc[hidden_prev, "change_pct"].isna().all()
    # no Gi* value where a count is hidden (two z-scores give the grid's mean and deviation);
    # the classes stay
    hs = pub.hotspots
    assert hs["count"].isna().any() and hs[["gi_z", "gi_p", "gi_p_adj"]].isna().all().all()
    assert hs["hotspot_class"].equals(exempel.hotspots["hotspot_class"])
    assert pub.incidents.empty and pub.rejected.empty
    assert int(pub.tables["totals"]["count"].iloc[0]) == int(s.loc["_total", "total"])


# ------------------------------------------------------------------ personal data in free text

PLANTS = {
    "personnummer": "19811218-9876",
    "personnummer10": "8112189876",
    "phone": "070-123 45 67",
    "email": "birgitta.holmstrom@example.se",
    "name": "med Birgitta Holmström",
}


def _store_with(tmp_path: Path, field: str, text: str) -> MeasureStore:
    store = MeasureStore(tmp_path / f"s_{abs(hash((field, text)))}.sqlite")
    area_name = f"Torget {text}" if field == "areas.name" else "Torget"
    area = store.add_area(name=area_name, geometry=shapely.box(17.09, 59.36, 17.11, 59.38),
                          description=text if field == "areas.description" else "", created_by="t")
    kw = {"title": "Belysning", "description": "", "problem": "", "agreement": "", "partners": [],
          "indicator": "", "cause_tags": []}
    key = field.split(".", 1)[1]
    if field.startswith("measures."):
        if key in ("partners", "cause_tags"):
            kw[key] = [f"Part {text}"]
        elif key == "title":
            kw[key] = f"Samtal {text}"
        else:
            kw[key] = f"Text {text}"
    store.add_measure(area_id=area.id, target_categories=["vald"], status="planerad", created_by="t", **kw)
    return store


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


_PACKAGE_FIELDS = ["areas.name", "measures.title", "measures.agreement", "measures.partners",
                   "measures.indicator", "measures.cause_tags"]


@pytest.mark.parametrize("kind", list(PLANTS))
@pytest.mark.parametrize("field", _PACKAGE_FIELDS)
def test_planted_personal_data_never_leaves_without_override(tiny, tmp_path: Path, field: str,
                                                            kind: str) -> None:
    exempel = tiny
    if field == "measures.cause_tags" and kind == "name":
        pytest.skip("the store keeps tags in lower case: no capitalised name can be in one")
    text = PLANTS[kind]
    needle = text.removeprefix("med ").encode("utf-8")
    with _store_with(tmp_path, field, text) as store:
        out = tmp_path / "pkg"
        with pytest.raises(PrivacyError, match=field.replace(".", r"\.")):
            export_package(exempel, out, store=store)
        assert not out.exists() or needle not in _all_bytes(out)
        report = tmp_path / "r.html"
        if field in ("areas.name", "measures.title"):
            with pytest.raises(PrivacyError, match="Rapporten stoppades"):
                write_report(exempel, report, store=store)
            assert not report.exists()
        with pytest.raises(PrivacyError, match="åtgärdsplanen"):
            store.export_plan_excel(tmp_path / "plan.xlsx")
        assert not (tmp_path / "plan.xlsx").exists()
        # explicitly allowed: written as it is
        export_package(exempel, out, store=store, allow_personal_data={field}, gpkg=True)
        z = zip_package(out, tmp_path / "p.zip")
        with zipfile.ZipFile(z) as zf:
            names = zf.namelist()
        assert "areas.geojson" in names and needle in _all_bytes(out)


@pytest.fixture(scope="module")
def tiny():
    from test_export_data import tiny_lagesbild

    return tiny_lagesbild()


def test_every_field_and_kind_is_found() -> None:
    for field in FREE_TEXT_FIELDS:
        table, col = field.split(".", 1)
        col = {"areas.name": "name"}.get(field, col)
        for kind, text in PLANTS.items():
            frame = pd.DataFrame({col: [f"Plats {text}" if kind != "name" else f"Samtal {text}"]})
            found = find_personal_text({table: frame}, fields=[field])
            want = {"personnummer10": "personnummer"}.get(kind, kind)
            assert want in set(found["kind"]), (field, kind)
    innocent = pd.DataFrame({"title": ["Samverkan med Polisen Syd", "Avtal med Bostads AB",
                                       "Belysning vid Stora Torget", "Möte 2025-03-05 kl 18"]})
    assert find_personal_text({"measures": innocent}).empty


def test_district_names_with_personal_data_stop_the_package(exempel, tmp_path: Path) -> None:
    d = exempel.districts.copy()
    d.iloc[0, d.columns.get_loc("district_name")] = "Hos Sven Svensson 070-1234567"
    import dataclasses

    lb = dataclasses.replace(exempel, districts=d)
    with pytest.raises(PrivacyError, match=r"districts\.district_name"):
        export_package(lb, tmp_path / "pkg")
    export_package(lb, tmp_path / "pkg", allow_personal_data={"districts.district_name"})


def test_published_clusters_are_cells_not_the_hulls_of_incident_positions() -> None:
    """A cluster's hull is buffered by 25 m round its incidents: a circle through three points
    of an arc gave each hull vertex back, an incident's position to within 5 m. Published,
    a cluster is the union of the picture's H3 cells whose centre lies in its area, and its
    first and last dates (single incidents') are left out."""
    from lagesbild_geo import grid
    from lagesbild_geo.privacy import Privacy
    from lagesbild_geo.sample import example_lagesbild

    lb = example_lagesbild(emerging=False)
    pub = publishable(lb)
    res = lb.settings.resolution
    assert len(pub.clusters) == len(lb.clusters) > 3
    for raw, geom in zip(lb.clusters.geometry, pub.clusters.geometry, strict=True):
        cells = grid.geometry_to_cells(raw, res)
        if not cells.size:  # smaller than a cell: the cell that holds it
            c = shapely.point_on_surface(raw)
            cells = grid.points_to_cells([c.y], [c.x], res)
        union = shapely.union_all(np.asarray(grid.cells_to_polygons(cells).values))
        assert geom.symmetric_difference(union).area < 1e-12
        hull_vertices = shapely.points(shapely.get_coordinates(raw))
        assert not shapely.equals(shapely.points(shapely.get_coordinates(geom)),
                                  hull_vertices[:, None]).any()  # none of the hull's points
    assert pub.clusters["first_date"].isna().all() and pub.clusters["last_date"].isna().all()
    area = pub.clusters.geometry.to_crs(3006).area.round(0)
    assert (pub.clusters["area_m2"] == area).all()
    # asked for explicitly (points published), the clusters keep their own shapes
    raw_pub = publishable(lb, Privacy(include_points=True))
    assert raw_pub.clusters.geometry.geom_equals(lb.clusters.geometry).all()


def test_a_cells_count_outside_the_period_cannot_be_taken_from_its_emerging_count(tmp_path: Path) -> None:
    """``emerging.count`` counts every date, ``cells.count`` the period: their difference is the
    cell's count outside the period (89088610263ffff: 7 − 5 = 2, hidden in the previous
    year's package). Published, no cell shows both where the difference is 1 … min_count−1;
    the audit pins such a difference in a package that shows both."""
    from lagesbild_geo.sample import example_lagesbild

    lb = example_lagesbild()
    mc = lb.settings.min_count
    raw = pd.concat([lb.cells["count"].rename("c"), lb.emerging["count"].rename("e")], axis=1, join="inner")
    assert ((raw["e"] - raw["c"]).between(1, mc - 1)).sum() > 10  # the attack had material
    pub = publishable(lb)
    both = pd.concat([pd.to_numeric(pub.cells["count"], errors="coerce").rename("c"),
                      pd.to_numeric(pub.emerging["count"], errors="coerce").rename("e")], axis=1, join="inner")
    assert not ((both["e"] - both["c"]).between(1, mc - 1)).any()
    export_package(lb, tmp_path / "pkg", gpkg=False)
    assert audit_package(tmp_path / "pkg").empty
    # a package that shows both (as written before): the audit finds the difference
    em = json.loads((tmp_path / "pkg" / "emerging.geojson").read_text(encoding="utf-8"))
    cells = {f["properties"]["cell"]: f["properties"] for f in json.loads(
        (tmp_path / "pkg" / "cells.geojson").read_text(encoding="utf-8"))["features"]}
    ft = next(f for f in em["features"] if cells.get(f["properties"]["cell"], {}).get("count") not in (None, 0))
    ft["properties"]["count"] = cells[ft["properties"]["cell"]]["count"] + 1
    ft["properties"]["suppressed"] = False
    (tmp_path / "pkg" / "emerging.geojson").write_text(json.dumps(em), encoding="utf-8")
    found = audit_package(tmp_path / "pkg")
    hit = found[found["feature"] == ft["properties"]["cell"]]
    assert hit["kind"].tolist() == ["pinned"] and hit["low"].tolist() == [1.0]


@pytest.mark.parametrize(("text", "kind"), [
    ("Insats mot Kalle Andersson", "name"),
    ("Insats mot Fatima Hassan", "name"),
    ("Familj Johansson, Norrbyvägen 14", "name"),
    ("Familjen Hassan har larmat", "name"),
    ("Norrbyvägen 14 lgh 1002", "home"),
    ("Kalle Andersson (granne)", "name"),
])
def test_a_person_named_in_a_measure_is_found(text: str, kind: str) -> None:
    # seen in a recipient's check: these reached areas.geojson, lagesbild.gpkg and the report
    found = find_personal_text({"measures": pd.DataFrame({"title": [text]})})
    assert kind in set(found["kind"])


def test_plain_measures_with_the_new_cue_words_are_not_people() -> None:
    innocent = pd.DataFrame({"title": ["Insats mot klotter", "Insats mot Norra Torget", "Familjecentralen Norr",
                                       "Stora Torget (plats)", "Lgh-bolaget informerar"]})
    assert find_personal_text({"measures": innocent}).empty


def test_a_pin_cells_reasons_are_counts_protected_like_every_count() -> None:
    """A cell of five pins or more showed droghandel 1, belysning 1, folksamlingar 2: each
    reason's count is now hidden below min_count, and enough others that the cell's n less
    the shown ones gives none back."""
    from lagesbild_geo.sample import example_lagesbild

    lb = example_lagesbild(clusters=False, emerging=False)
    mc = lb.settings.min_count
    raw = lb.survey["pins"]
    reasons = [c for c in raw.columns if c.startswith("n_")]
    r = raw[reasons].apply(pd.to_numeric, errors="coerce").fillna(0)
    assert ((r > 0) & (r < mc)).to_numpy().sum() > 5
    pub = publishable(lb).survey["pins"]
    shown = ~pub["suppressed"].astype(bool)
    v = pub.loc[shown, reasons].apply(pd.to_numeric, errors="coerce").astype("float64")
    assert not ((v > 0) & (v < mc)).to_numpy().any()
    n = pd.to_numeric(pub.loc[shown, "n"], errors="coerce").astype("float64")
    assert n.notna().all()
    rest = n - v.fillna(0).sum(axis=1)  # what the hidden reasons hold together
    one_hidden = v.isna().sum(axis=1) == 1
    assert not (one_hidden & rest.between(1, mc - 1)).any()


@pytest.mark.parametrize(("period", "pinned"), [(None, True), ({"start": "2025-01-01T00:00:00+01:00",
                                                                 "end": "2025-12-31T00:00:00+01:00"}, False)])
def test_without_a_period_the_months_shown_give_the_total(period: dict[str, str] | None, pinned: bool) -> None:
    """A picture of every date: its months hold every incident, so a recipient who sees every
    month knows the total (Malmö's police feed in the app: the total of 561 was hidden as a
    secondary suppression while all twelve months were shown, and the headline said "för få
    fall"). With a period (here one not ending on a month boundary) the months hold every date
    of the data, so they need not add up to the period's total."""
    from lagesbild_geo import _protect, privacy

    system = _protect.System(3)
    profiles = {"categories": pd.DataFrame({"count": [40, 2, 18]}, index=["vald", "ran", "stold"]),
                "months": pd.DataFrame({"count": [25, 35]}, index=["2025-01", "2025-02"])}
    keys: dict[str, int] = {}
    tabs = privacy._profile_tables(system, profiles, keys, {"period": period})
    status = np.full(len(system.arrays()[0]), _protect.SHOWN)
    status[keys["total"]] = status[tabs["categories"].idx[1, 0]] = status[tabs["categories"].idx[2, 0]] = \
        _protect.SECONDARY  # the small category, another one, and the total hidden
    r = _protect.ranges(system, status)
    t = keys["total"]
    assert bool(r.hi[t] - r.lo[t] < 1) is pinned
