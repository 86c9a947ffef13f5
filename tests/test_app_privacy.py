"""Property: for random filters on the Karta, no number visible in the map, the district table,
the headline or an area's figures is one the publishing step hid (Exempelkommun)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("streamlit")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "apps"))

import app_state as S  # noqa: E402

from lagesbild_geo.maps import PROTECTED, TOO_FEW, lagesbild_map, map_html  # noqa: E402
from lagesbild_geo.measures import Area  # noqa: E402
from lagesbild_geo.pipeline import build_lagesbild  # noqa: E402
from lagesbild_geo.privacy import publishable  # noqa: E402
from lagesbild_geo.schema import CATEGORIES  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    if not (sample_dir / "incidents_polis.xlsx").exists():
        pytest.skip("sample_data/ is missing")
    from lagesbild_geo.cli import main

    d = tmp_path_factory.mktemp("karta")
    cfg = d / "lagesbild.toml"
    assert main(["init", str(cfg), "--sample-dir", str(sample_dir)]) == 0
    from lagesbild_geo.pipeline import load_config

    # as the app builds it: every date, no period
    return build_lagesbild(load_config(cfg).replace(period=None, previous_period=None))


def _layers(html: str) -> list[dict[str, Any]]:
    out = []
    for m in re.finditer(r"geo_json_[0-9a-f]+_add\((\{.*?\})\);", html, flags=re.S):
        out.append(json.loads(m.group(1)))
    return out


def _int_text(v: Any) -> str:
    return f"{int(v):,}".replace(",", "\u00a0")


filters = st.builds(
    S.Filters,
    categories=st.lists(st.sampled_from(CATEGORIES[:12]), max_size=2, unique=True).map(tuple),
    hours=st.sampled_from([(0, 24), (22, 24), (0, 6), (8, 17)]),
    weekdays=st.lists(st.integers(0, 6), max_size=2, unique=True).map(tuple),
    resolution=st.sampled_from([8, 9]),
)


@given(f=filters)
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_nothing_visible_is_hidden(base, f: S.Filters, monkeypatch: pytest.MonkeyPatch) -> None:
    lb = S.filtered_lagesbild(base, f) if not (f.is_default and f.resolution == 9) else base
    pub = publishable(lb)
    # the map: cells and districts as the browser receives them
    html = map_html(lagesbild_map(pub, layers=("districts", "cells"), tiles=None))
    feats: dict[str, dict[str, Any]] = {}
    for fc in _layers(html):
        for ft in fc.get("features", []):
            feats[str(ft.get("id"))] = ft["properties"]
    cells = pub.cells
    ids = [format(int(c), "x") for c in cells.index]
    for cid, (_, row) in zip(ids, cells.iterrows(), strict=True):
        props = feats.get(cid)
        if props is None:
            continue  # zero cells are not drawn
        if pd.isna(row["count"]):
            assert props["antal"] in (TOO_FEW, PROTECTED), (cid, props)
        else:
            assert props["antal"] == _int_text(row["count"])
        for m in re.finditer(r"(?:^|, )(.+?) (\d+)(?=, [A-ZÅÄÖ]|$)", props.get("vanligast") or ""):
            label, n = m.group(1), m.group(2)
            col = next(c for c in cells.columns if c.startswith("count_")
                       and S.category_label(c[6:]) == label)
            assert not pd.isna(row[col]) and int(row[col]) == int(n)
    d = pub.districts
    for code, row in d.iterrows():
        props = feats.get(str(code))
        if props is None:
            continue
        if pd.isna(row["total"]):
            assert props["antal"] in (TOO_FEW, PROTECTED)
            assert props.get("per_1000") in (None, TOO_FEW, PROTECTED)
        else:
            assert props["antal"] == _int_text(row["total"])
    # the district table: hidden values stay empty, shown ones are the published ones
    table = S.district_table(pub)
    if table is not None:
        s = pub.district_summary
        shown = table.set_index("Kod")["Antal händelser"]
        for code, v in shown.items():
            truth = s.loc[code, "total"]
            assert (pd.isna(v) and pd.isna(truth)) or int(v) == int(truth)
    # the headline
    head = S.headline(pub)
    total = pub.district_summary.loc["_total", "total"]
    assert (head["incidents"] is None) == pd.isna(total)
    assert head["incidents"] is None or head["incidents"] == int(total)
    # an area's figures: hidden counts take their rates and shares with them
    area = Area(id="a", name="Torget", geometry=shapely.box(17.09, 59.36, 17.13, 59.39))

    class _Store:
        def get_area(self, _: str) -> Area:
            return area

    monkeypatch.setattr(S, "store", lambda: _Store())
    figs, info = S.area_figures(lb, "a")
    hidden = figs["Antal i området"].isna().to_numpy()
    assert figs.loc[hidden, "Per km²"].isna().all() and figs.loc[hidden, "Andel av kommunens (%)"].isna().all()
    shown_counts = figs.loc[~hidden, "Antal i området"].to_numpy(dtype=float)
    assert not ((shown_counts > 0) & (shown_counts < 3)).any()
    assert info["total"] is None or info["total"] == 0 or info["total"] >= 3
    if info["total"] is not None:
        # the total minus the shown values never pins one hidden value
        assert int(hidden.sum()) != 1 or np.isnan(shown_counts).any()
