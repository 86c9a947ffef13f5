"""Done-when for geocoding: Exempelkommun's kommun CSV against sample_data/gazetteer.csv.

Every address row that truly exists in the gazetteer (and is not planted as
ambiguous) is placed within 25 m of its truth, and no row is placed on a wrong
street or in a wrong postort.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lagesbild_geo import io
from lagesbild_geo.crs import to_sweref
from lagesbild_geo.geocode import Gazetteer, geocode, place_pending
from lagesbild_geo.read import read_incidents


@pytest.fixture(scope="module")
def truth(sample_dir: Path) -> dict[str, Any]:
    path = sample_dir / "truth.json"
    if not path.exists():
        pytest.skip("sample_data/ not generated")
    return dict(json.loads(path.read_text(encoding="utf-8"))["files"]["incidents_kommun.csv"])


@pytest.fixture(scope="module")
def result(sample_dir: Path, truth: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    gaz = Gazetteer.from_file(sample_dir / "gazetteer.csv")
    read = read_incidents(sample_dir / "incidents_kommun.csv")
    g = geocode(read.pending, gaz)
    return g.placed.set_index("source_row"), g.rejected.set_index("source_row"), g.report


def _distances(placed: pd.DataFrame, rows: list[dict[str, Any]]) -> pd.Series:
    """Metres between each truth row's position and where it was placed (NaN: not placed)."""
    t = pd.DataFrame(rows).set_index("source_row")
    e, n = to_sweref(t["lon"], t["lat"])
    p = placed.reindex(t.index)
    return pd.Series(np.hypot(p["easting"].to_numpy() - e, p["northing"].to_numpy() - n),
                     index=t.index)


def test_every_true_address_is_placed_within_25_m(truth, result) -> None:
    placed, _, _ = result
    rows = [a for a in truth["address_rows"] if a["in_gazetteer"] and not a["ambiguous"]]
    expected = truth["expected_geocode"]
    assert len(rows) == expected["address_rows_in_gazetteer"] - expected["address_rows_ambiguous"]
    d = _distances(placed, rows)
    assert d.isna().sum() == 0  # all placed
    assert d.max() <= 25.0
    assert set(placed.loc[d.index, "precision"]) == {"address"}


def test_no_row_on_a_wrong_street(truth, result) -> None:
    placed, _, _ = result
    t = pd.DataFrame(truth["address_rows"]).set_index("source_row")
    t = t[t.index.isin(placed.index)]
    got = placed.loc[t.index, ["geocode_street", "geocode_postort"]].astype(str)
    wrong = (got["geocode_street"] != t["true_street"]) | (got["geocode_postort"] != t["true_postort"])
    assert len(t) > 4000
    assert t.loc[wrong, "raw"].tolist() == []


def test_refusals_of_rows_not_in_the_register(truth, result) -> None:
    placed, rejected, report = result
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for a in truth["address_rows"]:
        kind = "ambiguous" if a["ambiguous"] else a["not_found_kind"]
        if kind:
            by_kind.setdefault(kind, []).append(a)
    # Planted ambiguous rows (a street and number in both postorter, no town): refused.
    amb = [a["source_row"] for a in by_kind["ambiguous"]]
    assert rejected.loc[amb, "geocode_note"].str.startswith("ambiguous").all()
    # Another town than the register covers: refused with the reason.
    other = [a["source_row"] for a in by_kind["other_town"]]
    assert (rejected.loc[other, "reason"] == "address not found").all()
    assert rejected.loc[other, "geocode_note"].str.contains("not covered").all()
    # Streets not in the register are refused (a wrong position is worse than none).
    missing = [a["source_row"] for a in by_kind["street_not_in_register"]]
    assert not placed.index.isin(missing).any()
    # House numbers beyond the street's range: the street, at place precision.
    out = placed.loc[[a["source_row"] for a in by_kind["number_out_of_range"]]]
    assert set(out["geocode_match"]) == {"street"} and set(out["precision"]) == {"place"}
    assert (out["cell"] == 0).all()
    assert report["ambiguous"] == len(amb)


def test_place_names_in_the_gazetteer(truth, result) -> None:
    placed, _, _ = result
    rows = [p for p in truth["place_rows"] if p["in_gazetteer"]]
    assert len(rows) == truth["expected_geocode"]["place_rows_in_gazetteer"]
    d = _distances(placed, rows)
    assert d.isna().sum() == 0
    assert d.max() <= 25.0


def test_read_incidents_with_gazetteer(sample_dir: Path, truth) -> None:
    # the old one-call form (lagesbild_geo.io, kept for one release) = read, then place_pending
    read = io.read_incidents(sample_dir / "incidents_kommun.csv",
                             gazetteer=sample_dir / "gazetteer.csv")
    rep = read.report
    assert len(read.pending) == 0
    assert rep["rows_read"] == truth["rows"]
    assert len(read.placed) + len(read.rejected) == truth["rows"]
    assert rep["geocoded_by_tier"]["exact"] == truth["expected_geocode"]["address_rows_in_gazetteer"] \
        - truth["expected_geocode"]["address_rows_ambiguous"]
    assert 0.9 < rep["match_rate"] < 1.0


def test_district_names_with_districts_attached(sample_dir: Path, truth) -> None:
    from lagesbild_geo.districts import read_districts

    d = read_districts(sample_dir / "districts.geojson")
    gaz = Gazetteer.from_file(sample_dir / "gazetteer.csv").with_districts(d)
    read = place_pending(read_incidents(sample_dir / "incidents_kommun.csv"), gaz)
    placed = read.placed.set_index("source_row")
    rows = [p for p in truth["place_rows"] if p["kind"] == "district"]
    assert len(rows) == truth["expected_geocode"]["district_rows"]
    got = placed.reindex([p["source_row"] for p in rows])
    # A district name is placed inside that district; a name that is also a place in the
    # gazetteer ("Handelsplatsen Väster") is placed at the place.
    is_place = got["geocode_match"] == "place"
    assert is_place.sum() <= 1
    names = d["district_name"]  # indexed by district_code
    expected = [names[p["deso"]] for p in rows]
    assert got.loc[~is_place, "geocode_match"].eq("district").all()
    assert got.loc[~is_place, "geocode_label"].tolist() == [e for e, m in zip(expected, is_place, strict=True) if not m]
    assert set(got.loc[~is_place, "precision"]) == {"area"}
    assert read.report["geocoded_by_tier"]["district"] == int((~is_place).sum())
