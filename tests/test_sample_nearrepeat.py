"""Exempelkommun's planted near-repeat burglaries: the truth is right and the Knox test finds them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lagesbild_geo.io import read_incidents
from lagesbild_geo.nearrepeat import knox


@pytest.fixture(scope="module")
def truth(sample_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))["near_repeat"]


@pytest.fixture(scope="module")
def placed(sample_dir: Path) -> pd.DataFrame:
    return read_incidents(sample_dir / "incidents_polis.xlsx").placed


@pytest.fixture(scope="module")
def raw(sample_dir: Path) -> pd.DataFrame:
    return pd.read_excel(sample_dir / "incidents_polis.xlsx", sheet_name="Brott", header=2, dtype=str,
                         engine="openpyxl")


def _raw_point_rows(raw: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """The police file's point rows of these types, parsed without lagesbild_geo."""
    raw = raw[raw["Brottstyp"].isin(types)]
    x = pd.to_numeric(raw["X"], errors="coerce")
    y = pd.to_numeric(raw["Y"], errors="coerce")
    day = pd.to_datetime(raw["Brottsdatum"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    hm = raw["Klockslag"].str.split(":", expand=True).astype(float)
    t = day + pd.to_timedelta(hm[0] * 60 + hm[1], unit="min")
    ok = x.between(6.0e6, 7.8e6) & y.between(2.0e5, 9.2e5) & t.notna()
    return pd.DataFrame({"n": x[ok], "e": y[ok], "t": t[ok]})


@pytest.mark.parametrize("category", ["bostadsinbrott", "fordonsbrott"])
def test_truth_pair_counts_by_brute_force(sample_dir: Path, raw: pd.DataFrame, truth: dict,  # type: ignore[type-arg]
                                          category: str) -> None:
    labels = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))["files"][
        "incidents_polis.xlsx"]["labels"]
    types = [k for k, v in labels.items() if v["category"] == category]
    rows = _raw_point_rows(raw, types)
    assert len(rows) > 500
    e, n = rows["e"].to_numpy(), rows["n"].to_numpy()
    t = rows["t"].to_numpy().astype("datetime64[m]").astype(np.int64)
    i, j = np.triu_indices(len(rows), k=1)
    d = np.abs(e[i] - e[j]) + np.abs(n[i] - n[j])
    dt = np.abs(t[i] - t[j])
    got = int(((d >= 1) & (d < 200) & (dt < 14 * 1440)).sum())
    assert got == truth["point_rows_pairs_1_200m_0_14d"][category]


def test_planted_pattern_recorded(truth: dict) -> None:  # type: ignore[type-arg]
    assert truth["category"] == "bostadsinbrott" and truth["control_category"] == "fordonsbrott"
    assert truth["planted_pairs"] == sum(truth["planted_pairs_by_year"].values())
    assert truth["planted_pairs"] > 150  # about 20 % of about 1 040 burglaries
    assert (truth["min_m"], truth["max_m"], truth["min_days"], truth["max_days"]) == (20, 190, 1, 14)


def _knox(placed: pd.DataFrame, category: str, truth: dict):  # type: ignore[no-untyped-def, type-arg]
    k = truth["knox"]
    return knox(placed, category=category, distance_bands=k["distance_bands"],
                time_bands=k["time_bands"], metric=k["metric"], permutations=99, seed=7)


def test_knox_finds_the_planted_burglary_pattern(placed: pd.DataFrame, truth: dict) -> None:  # type: ignore[type-arg]
    r = _knox(placed, "bostadsinbrott", truth)
    band = truth["expected_raised"]["distance_band"]
    cols = truth["expected_raised"]["time_bands"]
    assert int(r.observed.loc[band, cols].sum()) == truth["point_rows_pairs_1_200m_0_14d"]["bostadsinbrott"]
    for c in cols:
        assert r.p_value.loc[band, c] <= 0.05, c
        assert r.knox_ratio.loc[band, c] > 1.5, c
    assert bool(r.raised().loc[band, cols].all())
    assert r.summary[0].startswith("Inom 200 m och ")
    assert "Nära upprepning: inom 200 m från ett bostadsinbrott är risken för ett nytt förhöjd i 14 dagar" \
        in " ".join(r.summary)


def test_knox_finds_nothing_in_the_control_category(placed: pd.DataFrame, truth: dict) -> None:  # type: ignore[type-arg]
    r = _knox(placed, truth["control_category"], truth)
    band = truth["expected_raised"]["distance_band"]
    cols = truth["expected_raised"]["time_bands"]
    assert int(r.observed.loc[band, cols].sum()) == truth["point_rows_pairs_1_200m_0_14d"]["fordonsbrott"]
    assert not bool(r.raised().loc[band, cols].any())
    assert 0.8 < float(r.knox_ratio.loc[band, cols].mean()) < 1.2
