"""The library's maps in headless Chromium with every outside request blocked (an intranet).

A saved map (standalone HTML, Leaflet and Leaflet.draw from ``apps/static/vendor``) is
opened from a file with all requests but ``file:`` aborted: the OpenStreetMap tiles fail,
the map says so in Swedish and stays readable with the offline base (the kommun's
outline, district outlines and names). The drawing toolbar, Leaflet's own controls and
the legend are checked in the real DOM. Screenshots go to ``/tmp/lagesbild-screens``
(never into git). Missing browser: FAIL when $CI is set, skip otherwise.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from browser_support import LAUNCH_ARGS, ROOT, browser_problem, fail_or_skip

from lagesbild_geo.grid import points_to_cells
from lagesbild_geo.maps import TILE_ERROR_NOTE, lagesbild_map, map_html
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.settings import Settings

VENDOR = ROOT / "apps/static/vendor"
SCREENS = Path(os.environ.get("LAGESBILD_SCREENS", "/tmp/lagesbild-screens"))
NAMES = ["Centrum", "Norra Åby", "Västra Ängen", "Söder"]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _browser_or_skip() -> str:
    path, problem = browser_problem()
    if problem is None and not (VENDOR / "leaflet-draw/leaflet.draw.js").exists():
        problem = "apps/static/vendor is empty; run `make static` (needs npm)."
    if problem:
        fail_or_skip(problem)
    assert path is not None
    return path


def _lagesbild() -> Lagesbild:
    """Four districts of 0.06° x 0.04° around Stockholm and a few counted hexagons."""
    boxes = [shapely.box(18.00, 59.30, 18.06, 59.34), shapely.box(18.06, 59.34, 18.12, 59.38),
             shapely.box(18.00, 59.34, 18.06, 59.38), shapely.box(18.06, 59.30, 18.12, 59.34)]
    districts = gpd.GeoDataFrame(
        {"district_code": ["0180C1", "0180C2", "0180C3", "0180C4"], "district_name": NAMES,
         "total": [40, 30, 20, 10], "population": [1000.0, 2000.0, 1500.0, 800.0]},
        geometry=boxes, crs="EPSG:4326").set_index("district_code", drop=False)
    lat = np.array([59.318, 59.320, 59.322, 59.324])
    lon = np.array([18.020, 18.022, 18.024, 18.026])
    hexes = pd.Index(points_to_cells(lat, lon, 9), name="cell")
    geoms = [shapely.Point(x, y).buffer(0.0012) for x, y in zip(lon, lat, strict=True)]
    cells = gpd.GeoDataFrame({"count": [30, 20, 25, 25], "gi_z": [3.2, 2.9, 0.1, 0.0],
                              "gi_p_adj": [0.001, 0.01, 0.9, 0.9],
                              "hotspot_class": ["hot_99", "hot_95", "none", "none"]},
                             geometry=geoms, crs="EPSG:4326", index=hexes)
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    return Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=cells,
                     hotspots=cells, clusters=empty, emerging=empty, districts=districts,
                     district_summary=pd.DataFrame(), settings=Settings(min_count=3))


def _english_draw_texts() -> list[str]:
    """Every text of Leaflet.draw's own (English) L.drawLocal, read from the file served."""
    js = (VENDOR / "leaflet-draw/leaflet.draw.js").read_text(encoding="utf-8")
    obj = re.search(r"L\.drawLocal=(\{.*?\}\}\}\}\}),L\.Draw\.Event", js, flags=re.S).group(1)

    def leaves(d: Any) -> Iterator[str]:
        for v in d.values():
            yield from (leaves(v) if isinstance(v, dict) else [v])

    texts = list(leaves(json.loads(re.sub(r"([{,])([A-Za-z]+):", r'\1"\2":', obj))))
    assert len(texts) == 38 and "No layers to delete" in texts  # Leaflet.draw 1.0.4
    return texts


def _open(p: Any, chromium: str, html_file: Path, *, height: int = 620) -> tuple[Any, Any, list[str]]:
    """A page on the saved map with every request but file: aborted (and listed)."""
    browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
    page = browser.new_page(viewport={"width": 1100, "height": height + 40})
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(html_file.as_uri())
    page.wait_for_selector(".leaflet-container", timeout=20_000)
    return browser, page, blocked


def _page_texts(page: Any) -> str:
    """Every text and title/aria-label a user can meet on the page, one per line."""
    return page.evaluate("""() => {
        const out = [document.body.innerText];
        document.querySelectorAll('[title],[aria-label]').forEach(el => {
            out.push(el.getAttribute('title') || ''); out.push(el.getAttribute('aria-label') || '');
        });
        return out.join('\\n');
    }""")


def test_blocked_tiles_swedish_note_offline_base_and_labels(tmp_path: Path) -> None:
    chromium = _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    m = lagesbild_map(_lagesbild(), layers=("districts", "cells", "hotspots"),
                      base="OpenStreetMap", assets=VENDOR.as_uri(), draw=True, height=620)
    html_file = tmp_path / "karta.html"
    html_file.write_text(map_html(m), encoding="utf-8")
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page, blocked = _open(p, chromium, html_file)
        try:
            note = page.locator(".lagesbild-tile-note")
            expect(note).to_be_visible(timeout=15_000)
            assert note.inner_text() == TILE_ERROR_NOTE
            assert any("tile.openstreetmap.org" in u for u in blocked)
            assert page.locator(".leaflet-container.lagesbild-no-tiles").count() == 1
            # the offline base: filled once the tiles failed, the kommun's outline on top of it
            fills = page.evaluate("""() => Array.from(document.querySelectorAll(
                '.leaflet-lagesbildBase-pane path')).map(p => p.getAttribute('fill-opacity'))""")
            assert fills.count("0.85") == 4 and len(fills) == 5  # four districts and the outline
            # in the page as on screen: the base before the data layers, the names after them
            assert page.evaluate("""() => Array.from(document.querySelector('.leaflet-map-pane')
                .children).map(c => c.className.split(' ')[1])""")[:4] == [
                "leaflet-tile-pane", "leaflet-lagesbildBase-pane", "leaflet-overlay-pane",
                "leaflet-lagesbildLabels-pane"]
            # every district's name is on the map, visible and inside the map
            labels = page.locator(".lagesbild-label span")
            expect(labels.first).to_be_visible()
            assert sorted(labels.all_inner_texts()) == sorted(NAMES)
            box = page.locator(".leaflet-container").bounding_box()
            for i in range(labels.count()):
                b = labels.nth(i).bounding_box()
                assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"]
                assert box["y"] <= b["y"] and b["y"] + b["height"] <= box["y"] + box["height"]
            page.screenshot(path=str(SCREENS / "karta_utan_bakgrundskarta.png"))
            # hovering a district (away from the hexagons) names it
            söder = page.evaluate("""() => {
                const map = Object.values(window).find(v => v instanceof L.Map);
                const p = map.latLngToContainerPoint([59.315, 18.10]);
                const r = map.getContainer().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y];
            }""")
            page.mouse.move(*söder)
            expect(page.locator(".leaflet-tooltip").first).to_contain_text("Söder")
            # Leaflet's own controls in Swedish; one scale bar, metric
            assert page.locator("a.leaflet-control-zoom-in").get_attribute("title") == "Zooma in"
            assert page.locator("a.leaflet-control-zoom-out").get_attribute("title") == "Zooma ut"
            assert page.locator("a.leaflet-control-layers-toggle").get_attribute("title") == "Välj lager"
            assert page.locator(".leaflet-control-scale-line").count() == 1
            assert re.fullmatch(r"\d+ k?m", page.locator(".leaflet-control-scale-line").inner_text())
            assert page.locator(".leaflet-control-attribution").inner_text().startswith("Leaflet")
            # one legend, open on a map this size, never taller than the map
            legend = page.locator(".lagesbild-legend")
            expect(legend).to_be_visible()
            assert page.locator(".lagesbild-legend.lagesbild-collapsed").count() == 0
            assert legend.bounding_box()["height"] <= box["height"]
            body = legend.inner_text()
            assert "Statistiskt säkerställd koncentration (Gi*)" in body
            assert body.index("Statistiskt säkerställd") < body.index("Antal händelser per hexagon") \
                < body.index("Distrikt: antal")  # top layer first
            page.locator(".lagesbild-legend-toggle").click()
            assert page.locator(".lagesbild-legend.lagesbild-collapsed").count() == 1
            expect(page.locator(".lagesbild-legend-body")).to_be_hidden()
            # switching a layer off takes its part out of the legend
            page.locator(".lagesbild-legend-toggle").click()
            page.locator(".leaflet-control-layers").hover()
            page.locator(".leaflet-control-layers-overlays label",
                         has_text="Statistiskt säkerställd koncentration (Gi*)").locator(
                "input").uncheck()
            assert "Statistiskt säkerställd" not in legend.inner_text()
        finally:
            browser.close()


def test_drawing_toolbar_speaks_swedish_only(tmp_path: Path) -> None:
    chromium = _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    english = _english_draw_texts()
    m = lagesbild_map(_lagesbild(), layers=("districts",), base="ingen", assets=VENDOR.as_uri(),
                      draw=True, height=620)
    html_file = tmp_path / "rita.html"
    html_file.write_text(map_html(m), encoding="utf-8")
    with sync_playwright() as p:
        browser, page, _ = _open(p, chromium, html_file)
        try:
            poly = page.locator("a.leaflet-draw-draw-polygon")
            expect(poly).to_be_visible()
            assert poly.get_attribute("title") == "Rita ett område (polygon)"
            assert page.locator("a.leaflet-draw-draw-rectangle").get_attribute("title") == \
                "Rita en rektangel"
            assert page.locator("a.leaflet-draw-edit-remove").get_attribute("title") == \
                "Inga ritade områden att ta bort"
            poly.click()
            actions = page.locator(".leaflet-draw-actions a:visible")
            assert actions.all_inner_texts() == ["Avsluta", "Ta bort senaste punkten", "Avbryt"]
            box = page.locator(".leaflet-container").bounding_box()
            icons = page.locator(".leaflet-marker-icon.leaflet-editing-icon")
            points = [(0.40, 0.40), (0.60, 0.42), (0.50, 0.62)]
            for i, (fx, fy) in enumerate(points):
                page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                expect(icons).to_have_count(i + 1)
                page.wait_for_timeout(120)  # Leaflet.draw ignores a click within ~50 ms
            tip = page.locator(".leaflet-draw-tooltip")
            expect(tip).to_contain_text("Klicka på första hörnet (eller Avsluta) för att stänga området.")
            page.screenshot(path=str(SCREENS / "rita_omrade.png"))
            seen = _page_texts(page)
            left = [t for t in english if t in seen]
            assert left == [], left
            page.locator(".leaflet-draw-actions a", has_text="Avsluta").click()
            expect(page.locator("path.leaflet-interactive[stroke='#3388ff']")).to_have_count(1)
            assert page.locator("a.leaflet-draw-edit-remove").get_attribute("title") == \
                "Ta bort ritade områden"
            page.locator("a.leaflet-draw-edit-remove").click()
            expect(page.locator(".leaflet-draw-tooltip")).to_contain_text(
                "Klicka på ett ritat område för att ta bort det.")
            assert page.locator(".leaflet-draw-actions a:visible").all_inner_texts() == \
                ["Spara", "Avbryt", "Ta bort alla"]
            seen = _page_texts(page)
            assert [t for t in english if t in seen] == []
            # "ingen": no tiles, so no tile note; the offline base is filled from the start
            assert page.locator(".lagesbild-tile-note").count() == 0
            fills = page.evaluate("""() => Array.from(document.querySelectorAll(
                '.leaflet-lagesbildBase-pane path')).map(p => p.getAttribute('fill-opacity'))""")
            assert fills.count("0.85") == 4
        finally:
            browser.close()


def test_small_map_starts_with_the_legend_folded(tmp_path: Path) -> None:
    chromium = _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    m = lagesbild_map(_lagesbild(), layers=("districts", "cells", "hotspots"), base="ingen",
                      assets=VENDOR.as_uri(), height=320)
    html_file = tmp_path / "liten.html"
    html_file.write_text(map_html(m), encoding="utf-8")
    with sync_playwright() as p:
        browser, page, _ = _open(p, chromium, html_file, height=320)
        try:
            toggle = page.locator(".lagesbild-legend-toggle")
            expect(toggle).to_be_visible()
            assert toggle.inner_text().startswith("Teckenförklaring")
            assert page.locator(".lagesbild-legend.lagesbild-collapsed").count() == 1
            toggle.click()
            body = page.locator(".lagesbild-legend-body")
            expect(body).to_be_visible()
            map_h = page.locator(".leaflet-container").bounding_box()["height"]
            assert page.locator(".lagesbild-legend").bounding_box()["height"] <= map_h
            # the body scrolls within the map's height less room for the layer switcher and the credits
            assert body.evaluate("b => b.style.maxHeight") == f"{round(map_h) - 130}px"
            layers = page.locator(".leaflet-control-layers").bounding_box()
            assert page.locator(".lagesbild-legend").bounding_box()["y"] > layers["y"] + layers["height"]
            page.screenshot(path=str(SCREENS / "liten_karta.png"))
        finally:
            browser.close()
