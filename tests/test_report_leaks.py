"""The report publishes nothing a recipient could use to recover a hidden count: the category
table lists every category as the package does, follow-up zones are hidden together, Knox pair
counts below min_count are hidden and protected, and shares are written as they are shown."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.optimize import linprog
from test_export_data import tiny_lagesbild
from test_report import _Cells

from lagesbild_geo import _report_parts as rp
from lagesbild_geo import measures
from lagesbild_geo.districts import summarize
from lagesbild_geo.export import export_package
from lagesbild_geo.followup import followup
from lagesbild_geo.nearrepeat import knox
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.privacy import publishable
from lagesbild_geo.report import NEAR_REPEAT_BANDS, _months_shown, cells_with_events, write_report
from lagesbild_geo.sample import example_lagesbild
from lagesbild_geo.schema import CATEGORY_LABELS

TZ = "Europe/Stockholm"
MC = 3
_EMPTY = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
_PERIOD = {"label": "2025", "start": "2025-01-01", "end": "2026-01-01"}


def _incidents(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """(district or "", category, how many), all in May 2025."""
    recs: list[dict[str, Any]] = []
    for dist, cat, n in rows:
        recs += [{"district_code": dist or None, "district_method": "district", "precision": "district",
                  "category": cat}] * n
    inc = pd.DataFrame(recs)
    inc["occurred_at"] = pd.Timestamp("2025-05-01 12:00", tz=TZ)
    inc["lat"], inc["lon"] = 59.35, 17.15
    return inc


def _with_districts(rows: list[tuple[str, str, int]]) -> Lagesbild:
    """Districts A, B, C and their table (the kommun row lists every category)."""
    d = gpd.GeoDataFrame({"district_name": ["Alby", "Bro", "Cederby"], "population": [2000.0, 3000.0, 1500.0]},
                         geometry=[shapely.box(17.0 + i * 0.1, 59.3, 17.1 + i * 0.1, 59.4) for i in range(3)],
                         index=pd.Index(["A", "B", "C"], name="district_code"), crs=4326)
    inc = _incidents(rows)
    s = summarize(inc, d, period="2025")
    districts = d.join(s.loc[s["row_type"] == "district"].drop(columns=["district_name", "population"]))
    meta = {"kommun": {"name": "Nivåby", "code": "9996"}, "period": s.attrs["period"],
            "created_at": "2026-01-01T00:00:00+00:00"}
    return Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=_EMPTY, hotspots=_EMPTY,
                     clusters=_EMPTY, emerging=_EMPTY, districts=districts, district_summary=s, metadata=meta)


def _without_districts(inc: pd.DataFrame, **meta: Any) -> Lagesbild:
    return Lagesbild(incidents=inc, rejected=pd.DataFrame(), reports={}, cells=_EMPTY, hotspots=_EMPTY,
                     clusters=_EMPTY, emerging=_EMPTY, districts=_EMPTY, district_summary=pd.DataFrame(),
                     metadata={"kommun": {"name": "Nivåby", "code": "9996"}, "period": _PERIOD,
                               "created_at": "2026-01-01T00:00:00+00:00", **meta})


def _parse(path: Path) -> _Cells:
    p = _Cells()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _categories(p: _Cells) -> dict[str, str]:
    """Category → the table's data-value ("" = hidden)."""
    return {str(r["category"]): r["values"][0] for r in p.tables["kategorier"]}  # type: ignore[index]


def _pinned_by_listing(rows: dict[str, str], total: int) -> bool:
    """The old attack: take every hidden row as at least 1 (the table listed only categories with
    events); when the total less the shown rows equals their number, each hidden row is 1."""
    hidden = [c for c, v in rows.items() if v == ""]
    rest = total - sum(int(v) for v in rows.values() if v)
    return bool(hidden) and rest == len(hidden)


# ------------------------------------------------------------------ 1. categories


def test_category_table_lists_every_category_without_a_kommun_row(tmp_path: Path) -> None:
    """The brief's case: 90 incidents, 87 shown, three categories of 1 listed: each was 1."""
    lb = _without_districts(_incidents([("", "vald", 87), ("", "ran", 1), ("", "stold", 1),
                                        ("", "bedrageri", 1)]))
    table = publishable(lb).tables["categories"]
    old_rows = {str(c): "" if pd.isna(v) else str(int(v)) for c, v in table["count"].items()}
    assert _pinned_by_listing(old_rows, 90)  # what the table of categories with events gave away
    p = _parse(write_report(lb, tmp_path / "r.html"))
    rows = _categories(p)
    assert list(rows) == list(CATEGORY_LABELS)  # every category, whether it has events or not
    assert rows["vald"] == "87" and p.keys["total"] == "90"
    # the first zero category is hidden beside the three: 3 over four rows, one of which is 0
    assert {c for c, v in rows.items() if v == ""} == {"sexualbrott", "ran", "stold", "bedrageri"}
    assert all(v == "0" for c, v in rows.items() if c not in {"vald", "sexualbrott", "ran", "stold", "bedrageri"})
    assert not _pinned_by_listing(rows, 90)
    assert p.keys["n_categories"] == "5"  # shown with events, or hidden: nothing the table does not say


def test_category_table_is_the_kommun_row_of_the_package(tmp_path: Path) -> None:
    """The kommun row hides two zero categories beside brand = bedrageri = 1: the old table listed
    only brand and bedrageri, and 28 − 26 = 2 over those two rows gave 1 each."""
    lb = _with_districts([("A", "vald", 2), ("A", "ran", 2), ("A", "stold", 9), ("A", "bedrageri", 1),
                          ("A", "brand", 1), ("B", "ran", 1), ("C", "vald", 12)])
    pub = publishable(lb)
    kommun = pub.district_summary.loc["_total"]
    raw = lb.district_summary.loc["_total"]
    hidden_zero = [c for c in kommun.index if c.startswith("count_") and pd.isna(kommun[c]) and raw[c] == 0]
    assert hidden_zero, "precondition: the publishing step hides a zero category in the kommun row"
    with_events = {str(c): "" if pd.isna(v) else str(int(v)) for c, v in pub.tables["categories"]["count"].items()}
    assert _pinned_by_listing(with_events, 28)
    meta = export_package(lb, tmp_path / "pkg", gpkg=False)
    p = _parse(write_report(lb, tmp_path / "r.html"))
    rows = _categories(p)
    assert p.keys["total"] == "28" and meta["totals"]["kommun"]["count"] == 28
    # every category, each exactly as the package's kommun row publishes it
    in_package = {k[len("count_"):]: v for k, v in meta["totals"]["kommun"].items()
                  if k.startswith("count_") and k != "count_previous"}
    assert set(rows) == set(in_package)
    for cat, v in in_package.items():
        assert rows[cat] == ("" if v is None else str(v)), cat
    for c in hidden_zero:
        assert rows[c[len("count_"):]] == ""
    assert not _pinned_by_listing(rows, 28)
    shares = [r["values"][1] for r in p.tables["kategorier"]]  # type: ignore[index]
    assert shares[list(rows).index("vald")] == "0.5"  # 14 / 28, as shown (50,0 %)


def test_months_at_the_ends_and_the_periods() -> None:
    """The published monthly table runs from the first to the last month with events: a hidden
    month at its ends is at least 1. The months of the periods are always shown; a hidden month
    at an end outside them is left out."""
    meta = {"period": _PERIOD, "previous_period": {"label": "2024", "start": "2024-01-01", "end": "2025-01-01"}}
    months = pd.Series([np.nan, 10.0, *([12.0] * 22)],
                       index=[str(p) for p in pd.period_range("2023-11", "2025-10", freq="M")])
    shown, cut = _months_shown(months, meta)
    assert cut and shown.index[0] == "2023-12" and shown.index[-1] == "2025-12"
    assert shown["2025-11"] == 0 and shown["2025-12"] == 0 and len(shown) == 25
    # data from March 2024 on, March hidden: January and February 2024 shown as 0, March kept
    late = pd.Series([np.nan, 8.0, 9.0], index=["2024-03", "2024-04", "2024-05"])
    shown, cut = _months_shown(late, meta)
    assert not cut and list(shown.index[:3]) == ["2024-01", "2024-02", "2024-03"]
    assert shown.iloc[:2].tolist() == [0.0, 0.0] and math.isnan(shown.iloc[2])
    # without a period, a hidden month at either end goes
    shown, cut = _months_shown(pd.Series([np.nan, 5.0, 7.0, np.nan], index=["2025-01", "2025-02", "2025-03",
                                                                              "2025-04"]), {})
    assert cut and list(shown.index) == ["2025-02", "2025-03"]


def test_months_in_the_report(tmp_path: Path) -> None:
    inc = pd.concat([_incidents([("", "vald", 2)]).assign(occurred_at=pd.Timestamp("2023-11-10 12:00", tz=TZ)),
                     *[_incidents([("", "stold", 10)]).assign(occurred_at=pd.Timestamp(f"{m}-15 12:00", tz=TZ))
                       for m in pd.period_range("2024-01", "2025-11", freq="M").astype(str)]],
                    ignore_index=True)
    lb = _without_districts(inc, previous_period={"label": "2024", "start": "2024-01-01", "end": "2025-01-01"})
    assert pd.isna(publishable(lb).tables["months"].loc["2023-11", "count"])  # the first month: 2, hidden
    text = write_report(lb, tmp_path / "r.html").read_text(encoding="utf-8")
    p = _Cells()
    p.feed(text)
    rows = {str(r["month"]): r["values"][0] for r in p.tables["manader"]}  # type: ignore[index]
    assert "2023-11" not in rows and "2023-12" not in rows  # hidden at the data's start: left out
    assert next(iter(rows)) == "2024-01" and rows["2025-12"] == "0"  # the periods: every month
    assert "i början eller slutet av underlaget visas inte" in text


# ------------------------------------------------------------------ 2. follow-up


def _result(before: list[int], after: list[int]) -> SimpleNamespace:
    counts = pd.DataFrame({"before": before, "after": after}, index=["area", "buffer", "control"])
    return SimpleNamespace(counts=counts, before=(dt.date(2024, 7, 1), dt.date(2024, 12, 31)),
                           after=(dt.date(2025, 1, 1), dt.date(2025, 6, 30)), wdq=None,
                           summary_sv="Planted summary 1 händelse.")


def _zone_values(block: str) -> dict[str, list[str]]:
    p = _Cells()
    p.feed(block)
    (table,) = p.tables.values()
    return {str(r["zone"]): r["values"] for r in table}  # type: ignore[misc]


def test_a_hidden_area_count_hides_the_other_zones_of_its_period() -> None:
    """The attacker's case: area 0 → 1, buffer 4 → 9, comparison 511 → 510, and 520 incidents
    of the category in the window (the Knox line, or another measure): 520 − 9 − 510 = 1."""
    block = rp.followup_block(_result([0, 4, 511], [1, 9, 510]), mid="m", title="Belysning", min_count=MC)
    v = _zone_values(block)
    assert v == {"area": ["0", ""], "buffer": ["4", ""], "control": ["511", ""]}
    after = [x for z in ("buffer", "control") for x in v[z][1:]]
    assert "" in after  # 520 − buffer − comparison: nothing to subtract
    assert "För få händelser i området för en uppföljning" in block
    assert "WDQ" in block and "data-key=\"wdq" not in block and "Planted summary" not in block


def test_a_hidden_buffer_count_hides_its_period_too() -> None:
    block = rp.followup_block(_result([30, 2, 500], [25, 8, 510]), mid="m", title="Kameror", min_count=MC)
    assert _zone_values(block) == {"area": ["", "25"], "buffer": ["", "8"], "control": ["", "510"]}
    assert "färre än 20 händelser före eller efter start i buffertzonen" in block
    assert "För få händelser i området" not in block
    shown = rp.followup_block(_result([30, 22, 500], [25, 28, 510]), mid="m", title="Kameror", min_count=MC)
    assert _zone_values(shown)["area"] == ["30", "25"] and "Planted summary" in shown


def test_followup_in_the_report_cannot_be_subtracted(tmp_path: Path) -> None:
    lb = tiny_lagesbild()
    store = measures.MeasureStore(tmp_path / "s.sqlite")
    big = store.add_area(name="Stationsområdet",
                         geometry="POLYGON ((17.09 59.36, 17.11 59.36, 17.11 59.38, 17.09 59.38, 17.09 59.36))")
    # around the cell holding one stöld (15 January): the area's count before the start is 1
    small = store.add_area(name="Hörnet", geometry="POLYGON ((17.0913 59.3732, 17.0923 59.3732, "
                                                   "17.0923 59.3737, 17.0913 59.3737, 17.0913 59.3732))")
    kw = {"target_categories": ["vald", "stold"], "start_date": "2025-07-01", "status": "pågående"}
    m_big = store.add_measure(area_id=big.id, title="Belysning", **kw)
    m_small = store.add_measure(area_id=small.id, title="Vakter", **kw)
    truth = followup(store.get_measure(m_small.id), lb.incidents, store=store).counts
    assert truth.loc["area", "before"] == 1  # precondition
    text = write_report(lb, tmp_path / "r.html", store=store).read_text(encoding="utf-8")
    p = _Cells()
    p.feed(text)
    for m in (m_big, m_small):
        res = followup(store.get_measure(m.id), lb.incidents, store=store).counts
        rows = {str(r["zone"]): r["values"] for r in p.tables[f"uppfoljning-{m.id}"]}
        for j, col in enumerate(("before", "after")):
            shown = [rows[z][j] for z in ("area", "buffer", "control")]  # type: ignore[index]
            small_here = any(0 < int(res.loc[z, col]) < MC for z in ("area", "buffer", "control"))
            # a period is shown whole or hidden whole: the zones' sum (known) gives nothing back
            assert shown == (["", "", ""] if small_here else [str(int(res.loc[z, col]))
                                                                for z in ("area", "buffer", "control")])
    section = text.split(f'<h3 data-measure="{m_small.id}"')[1].split("<h3")[0]
    assert "För få händelser i området för en uppföljning" in section
    store.close()


# ------------------------------------------------------------------ 3. near repeat


@pytest.fixture(scope="module")
def knox_result() -> Any:
    """40 burglaries spread over 3 km and two more at one address 8 days apart."""
    rng = np.random.default_rng(7)
    x = np.r_[rng.uniform(0, 3000, 40), 5000.0, 5000.0]
    y = np.r_[rng.uniform(0, 3000, 40), 5000.0, 5000.0]
    d = (pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, 40), unit="D")).append(
        pd.DatetimeIndex(["2025-03-01", "2025-03-09"]))
    pts = pd.DataFrame({"x": x, "y": y, "date": d, "category": "bostadsinbrott"})
    return knox(pts, permutations=19, seed=1, category="bostadsinbrott", **NEAR_REPEAT_BANDS)


def _interval(obs: np.ndarray, hidden: np.ndarray, cell: tuple[int, int]) -> tuple[float, float]:
    """Min and max of a hidden pair count given every shown count, the row and column sums and
    the number of pairs (all known to a reader), a count below MC in 0 … MC−1, others ≥ MC."""
    cells = list(zip(*np.nonzero(hidden), strict=True))
    k, m = obs.shape
    # one equation per row and per column: its hidden counts = its sum less its shown counts
    a_eq = np.array([[float(r == i) for r, _ in cells] for i in range(k)]
                    + [[float(c == j) for _, c in cells] for j in range(m)])
    shown = np.where(hidden, 0, obs)
    rhs = np.r_[obs.sum(axis=1) - shown.sum(axis=1), obs.sum(axis=0) - shown.sum(axis=0)]
    bounds = [(0, MC - 1) if obs[rc] < MC else (MC, None) for rc in cells]
    goal = np.array([float(rc == cell) for rc in cells])
    lo = linprog(goal, A_eq=a_eq, b_eq=rhs, bounds=bounds, method="highs")
    hi = linprog(-goal, A_eq=a_eq, b_eq=rhs, bounds=bounds, method="highs")
    return float(lo.fun), float(-hi.fun)


def test_knox_pair_counts_below_min_count_are_hidden_and_protected(knox_result: Any) -> None:
    obs = knox_result.observed.to_numpy()
    assert obs[0, 1] == 1  # the two burglaries at one address, 7–14 days apart
    block = rp.knox_block(knox_result, min_count=MC)
    tips = re.findall(r'title="Observerat ([^,]*),', block)
    assert len(tips) == obs.size and not {"1", "2"} & set(tips)
    assert "nan" not in block.lower()
    pub = rp.published_pairs(knox_result.observed, min_count=MC, same_place=True)
    assert pub is not None
    hidden = pub.isna().to_numpy()
    assert hidden[0, 1] and hidden[(obs > 0) & (obs < MC)].all()
    assert [t == "–" for t in tips] == hidden.ravel().tolist()
    # hiding only the small counts: the row's sum less its shown counts gives the pair back
    assert _interval(obs, (obs > 0) & (obs < MC), (0, 1)) == pytest.approx((1.0, 1.0))
    # as published, subtraction from the rows, the columns and the number of pairs leaves two
    # values or more
    for cell in zip(*np.nonzero(hidden & (obs > 0) & (obs < MC)), strict=True):
        lo, hi = _interval(obs, hidden, cell)
        assert hi - lo >= 1 - 1e-9, (cell, lo, hi)
    # the line with the number of events stays; a hidden cell's ratio and p are not shown
    assert "Knoxtest på 42 händelser" in block
    masked = rp.published_knox(knox_result, min_count=MC)
    assert not isinstance(masked, str)
    assert masked.knox_ratio.isna().to_numpy().tolist() == hidden.tolist()
    assert masked.p_value.isna().to_numpy().tolist() == hidden.tolist()


def test_knox_on_fewer_events_than_min_count_is_not_shown(knox_result: Any) -> None:
    block = rp.knox_block(knox_result, min_count=50)
    assert "Knoxtest" not in block and "färre än 50" in block and "<table" not in block


# ------------------------------------------------------------------ 4. shares and cells


def test_shares_and_rates_are_written_as_shown() -> None:
    assert 'data-value="0.083">8,3' in rp.td_num(1 / 12, kind="pct", decimals=1)
    assert 'data-value="0.37">37' in rp.td_num(0.3712345, kind="pct", decimals=0)
    assert 'data-value="12.3">12,3' in rp.td_num(12.3456, kind="num", decimals=1)
    assert 'data-value="4.0"' in rp.td_num(4.0, kind="num", decimals=1)


def test_tiny_report_counts_cells_from_the_package_and_rounds_every_share(tmp_path: Path) -> None:
    lb = tiny_lagesbild()
    pkg = tmp_path / "pkg"
    export_package(lb, pkg, gpkg=False)
    text = write_report(lb, tmp_path / "r.html").read_text(encoding="utf-8")
    p = _Cells()
    p.feed(text)
    cells = [f["properties"]["count"] for f in
             json.loads((pkg / "cells.geojson").read_text(encoding="utf-8"))["features"]]
    assert p.keys["n_cells"] == str(sum(1 for c in cells if c is None or c > 0))
    assert p.keys["n_cells"] == str(cells_with_events(publishable(lb).cells))
    # no share or rate carries more digits than shown (whole or one-decimal per cent, rates with
    # one decimal); the clusters' area (of the published polygon) is a measure, written in full
    for tid, rows in p.tables.items():
        for r in rows:
            values = list(r["values"])  # type: ignore[call-overload]
            if tid == "kluster":
                del values[1]
            for v in values:
                assert v == "" or len(v.partition(".")[2]) <= 3, (tid, r)
    cl = {str(r["cluster"]): r["values"] for r in p.tables["kluster"]}
    assert cl["1"][2] == "0.49"  # 25 of 51, shown as 49 %


def test_sample_report(tmp_path: Path, sample_dir: Path) -> None:
    """Exempelkommun: n / share of the clusters no longer gives the clustered total, the Knox
    grids hold no pair count of 1 or 2, and the headline cells are the published ones."""
    lb = example_lagesbild(sample_dir, emerging=False)
    text = write_report(lb, tmp_path / "r.html").read_text(encoding="utf-8")
    p = _Cells()
    p.feed(text)
    lo, hi = 0, 10**9
    for r in p.tables["kluster"]:
        n, share = r["values"][0], r["values"][2]  # type: ignore[index]
        assert len(share.partition(".")[2]) <= 2  # whole per cent, as shown
        if n and share:
            lo = max(lo, math.ceil(int(n) / (float(share) + 0.005)))
            hi = min(hi, math.floor(int(n) / (float(share) - 0.005)))
    assert lo <= lb.clusters.attrs["n_points"] <= hi and hi - lo > 10
    assert not re.search(r"Observerat [12],", text)
    assert p.keys["n_cells"] == str(cells_with_events(publishable(lb).cells))
