"""Reading the Exempelkommun incident files reproduces truth.json exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lagesbild_geo.io import ReadResult, read_incidents


@pytest.fixture(scope="module")
def truth(sample_dir: Path) -> dict:  # type: ignore[type-arg]
    path = sample_dir / "truth.json"
    if not path.exists():
        pytest.skip("sample_data/truth.json not generated yet")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results(sample_dir: Path, truth: dict) -> dict[str, ReadResult]:  # type: ignore[type-arg]
    return {name: read_incidents(sample_dir / name)
            for name in ("incidents_polis.xlsx", "incidents_kommun.csv")}


@pytest.mark.parametrize("name", ["incidents_polis.xlsx", "incidents_kommun.csv"])
def test_read_reproduces_truth(results: dict[str, ReadResult], truth: dict, name: str) -> None:  # type: ignore[type-arg]
    expected = truth["files"][name]["expected_read"]
    r = results[name]
    got = {key: r.report[key] for key in expected}
    assert got == expected
    assert len(r.placed) + len(r.pending) + len(r.rejected) == r.report["rows_read"]
    assert r.report["unknown_category_rows"] == 0


def test_polis_rejected_rows_match_truth(results: dict[str, ReadResult], truth: dict) -> None:  # type: ignore[type-arg]
    info = truth["files"]["incidents_polis.xlsx"]
    r = results["incidents_polis.xlsx"]
    assert r.report["crs_detected"] == "EPSG:3006"
    assert r.report["axes_swapped"] is True
    assert r.report["sheet"] == "Brott" and r.report["header_row"] == 3
    got = sorted(zip(r.rejected["source_row"].tolist(), r.rejected["reason"].tolist(), strict=True))
    want = sorted((row["source_row"], row["reason"]) for row in info["rejected_rows"])
    assert got == want
    assert sorted(r.pending["source_row"].tolist()) == sorted(row["source_row"] for row in info["pending_rows"])


def test_kommun_csv_dialect(results: dict[str, ReadResult]) -> None:
    r = results["incidents_kommun.csv"]
    rep = r.report
    assert (rep["encoding"], rep["delimiter"], rep["decimal"]) == ("cp1252", ";", ",")
    assert rep["crs_detected"] == "EPSG:4326" and rep["axes_swapped"] is False
    assert r.placed["source_row"].min() >= 2
