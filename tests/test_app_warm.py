"""The app's warm-up (``apps/serve.py`` → ``app_warm``) and the Karta's cached map parts."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "apps"))

import app_cache  # noqa: E402
import app_state  # noqa: E402
import app_warm  # noqa: E402

from lagesbild_geo.maps import DEFAULT_LAYERS  # noqa: E402


def test_the_warm_up_builds_what_the_karta_reads_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LAGESBILD_STORE", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("LAGESBILD_TILES", "none")
    monkeypatch.setenv("LAGESBILD_CACHE", "off")
    built: list[tuple[str, ...]] = []
    real = app_state.maps.map_parts

    def counting(lb, **kw):  # type: ignore[no-untyped-def]
        built.append(tuple(kw["layers"]))
        return real(lb, **kw)

    monkeypatch.setattr(app_state.maps, "map_parts", counting)
    app_state._map_parts.clear()
    assert not app_warm.warming()
    frozen = gc.get_freeze_count()

    app_warm.start(runtime_ready=lambda: True).join(timeout=600)

    assert not app_warm.warming()
    assert gc.isenabled()  # off during the warm-up only
    # what the warm-up made is left out of the collection Streamlit runs after each page
    assert gc.get_freeze_count() > frozen
    out = capsys.readouterr().out
    assert app_warm.READY_LINE == "Lägesbilden är klar"
    assert "Lägesbilden är klar (Exempelkommun, 2\u00a0784 hexagoner, " in out
    assert built == [DEFAULT_LAYERS]  # the Karta's default map, built once

    # the Karta's first run reads those parts instead of building them again, and every
    # run gets its own copy (st_folium renames and re-parents what it is given)
    f = app_state.Filters()
    one = app_state.make_map_parts(f, layers=DEFAULT_LAYERS)
    two = app_state.make_map_parts(f, layers=DEFAULT_LAYERS)
    assert built == [DEFAULT_LAYERS]
    assert one is not two and one.map is not two.map and one.layers[0] is not two.layers[0]
    assert [g.layer_name for g in one.layers] == [g.layer_name for g in two.layers] == [
        "Distrikt (DeSO)", "Antal per hexagon", "Statistiskt säkerställd koncentration (Gi*)",
        "Sparade områden"]
    one.layers[0]._id = "ändrad"
    assert app_state.make_map_parts(f, layers=DEFAULT_LAYERS).layers[0]._id != "ändrad"
    # another layer choice is built (once)
    app_state.make_map_parts(f, layers=("cells",))
    app_state.make_map_parts(f, layers=("cells",))
    assert built == [DEFAULT_LAYERS, ("cells",)]


def test_a_visit_does_not_wait_when_no_warm_up_runs() -> None:
    assert not app_warm.warming()
    app_warm.wait()  # returns at once (no session needed)


def test_snapshots_held_back_by_the_warm_up_are_written_later_and_then_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAGESBILD_CACHE", str(tmp_path / "warm"))
    srcs = app_state.example_sources()
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"hexagoner": 2784}

    app_cache.defer_writes()
    try:
        assert app_cache.snapshot("test", 1, srcs, compute) == {"hexagoner": 2784}
        assert not list((tmp_path / "warm").glob("*.pickle"))  # held back
    finally:
        assert app_cache.write_deferred() == 1
    assert len(list((tmp_path / "warm").glob("test-*.pickle"))) == 1
    assert app_cache.snapshot("test", 1, srcs, compute) == {"hexagoner": 2784}
    assert calls == [1]  # read from the file, not computed again
    # written at once again after write_deferred
    app_cache.snapshot("test", 2, srcs, compute)
    assert len(list((tmp_path / "warm").glob("test-*.pickle"))) == 2
    assert app_cache.write_deferred() == 0
