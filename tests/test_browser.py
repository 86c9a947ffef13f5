"""The real app in headless Chromium (Playwright, sync API, the system's /usr/bin/chromium).

Draws a polygon with Leaflet.draw, names it, attaches a measure with a target
category, saves, reloads, and finds the area on the map and the measure in the
åtgärdsplan. Never runs `playwright install`: the browser comes from the system
package manager (`make browser`). Missing browser: FAIL when $CI is set, skip otherwise.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser_support
import pytest
from browser_support import LAUNCH_ARGS, MAP_FRAME, ROOT
from browser_support import running_app as _running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """The app on a free localhost port with a temporary store and no base map tiles."""
    with _running_app(tmp_path) as url:
        yield url


def test_static_leaflet_is_served(app_url: str) -> None:
    """The map scripts come from the app itself (offline / intranet)."""
    if not (ROOT / "apps/static/vendor/leaflet/leaflet.js").exists():
        pytest.skip("apps/static/vendor is empty; run `make static`.")
    with urllib.request.urlopen(f"{app_url}/app/static/vendor/leaflet/leaflet.js", timeout=10) as r:
        assert r.status == 200
        assert "javascript" in r.headers.get("Content-Type", "")
        assert b"Leaflet" in r.read(2000)


def test_draw_area_attach_measure_and_reload(app_url: str, tmp_path: Path) -> None:
    chromium = browser_support.browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        # Offline, as on a kommun intranet that blocks CDNs: anything not from the app fails.
        local_assets = (ROOT / "apps/static/vendor/leaflet/leaflet.js").exists()
        blocked = browser_support.block_outside(page, app_url) if local_assets else []
        try:
            page.goto(f"{app_url}/omraden", wait_until="domcontentloaded")
            frame = page.frame_locator(MAP_FRAME).first
            draw_btn = frame.locator("a.leaflet-draw-draw-polygon")
            expect(draw_btn).to_be_visible(timeout=90_000)
            page.screenshot(path=str(tmp_path / "1_map.png"), full_page=True)

            browser_support.draw_polygon(page, frame, half_w=80, half_h=60)
            expect(page.get_by_label("Områdets namn")).to_be_visible(timeout=30_000)
            page.screenshot(path=str(tmp_path / "2_drawn.png"), full_page=True)

            browser_support.fill_new_area(page, name="Webbtorget", title="Belysning vid torget",
                                          typed="Skadegörelse", category="Skadegörelse och klotter")
            page.get_by_role("button", name="Spara området").click()
            expect(page.get_by_text("Området är sparat.")).to_be_visible(timeout=30_000)

            page.reload(wait_until="domcontentloaded")
            frame = page.frame_locator(MAP_FRAME).first
            expect(frame.locator("a.leaflet-draw-draw-polygon")).to_be_visible(timeout=90_000)
            # the saved area is drawn in the map: hovering it shows its name
            area = frame.locator("path.leaflet-interactive").last
            expect(area).to_be_attached(timeout=30_000)
            area_box = area.bounding_box()
            assert area_box is not None
            page.mouse.move(area_box["x"] + area_box["width"] / 2,
                            area_box["y"] + area_box["height"] / 2)
            expect(frame.locator(".leaflet-tooltip")).to_contain_text("Webbtorget", timeout=10_000)
            expect(page.get_by_text("Ny åtgärd i Webbtorget")).to_be_visible(timeout=30_000)
            page.screenshot(path=str(tmp_path / "3_reloaded.png"), full_page=True)

            page.goto(f"{app_url}/atgardsplan", wait_until="domcontentloaded")
            # st.dataframe paints on a canvas; its accessible grid mirrors the cells
            cell = page.locator('td[role="gridcell"]', has_text="Belysning vid torget")
            expect(cell.first).to_be_attached(timeout=60_000)
            expect(page.locator('td[role="gridcell"]', has_text="Webbtorget").first).to_be_attached()
            expect(page.locator('td[role="gridcell"]',
                                has_text="Skadegörelse och klotter").first).to_be_attached()
            page.screenshot(path=str(tmp_path / "4_plan.png"), full_page=True)
        finally:
            browser.close()
    local_failures = [u for u in failed if "/app/static/" in u]
    assert not local_failures, local_failures
    # the map worked although every outside request was refused, and nothing outside the
    # app was asked for at all (no base-map tiles here): not even the page's icon, which a
    # Material icon would fetch from Google's font service on every visit
    assert not blocked, blocked


def test_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="make browser"):
        browser_support.browser_or_skip("/nonexistent/chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        browser_support.browser_or_skip("/nonexistent/chromium")


# ----------------------------------------------------------------------------- markup in names

#: An image that cannot load runs its onerror handler: the flag shows that script ran.
PAYLOAD = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'

#: Opens every tooltip and popup of every GeoJSON layer of a Leaflet map, the way a hover
#: and a click do (the events bubble from the feature to the layer that holds the tooltip),
#: and returns what they show as text.
_OPEN_ALL = """(map) => {
  const out = [];
  const groups = new Set();
  map.eachLayer(l => { if (l.eachLayer && l.getTooltip && (l.getTooltip() || l.getPopup())) groups.add(l); });
  for (const g of groups) {
    g.eachLayer(f => {
      const c = f.getBounds ? f.getBounds().getCenter() : f.getLatLng();
      f.fire('mouseover', {latlng: c}, true);
      const t = g.getTooltip();
      if (t && t.getElement()) out.push(t.getElement().innerText);
      f.fire('mouseout', {latlng: c}, true);
      f.fire('click', {latlng: c}, true);
      const p = g.getPopup();
      if (p && p.getElement()) out.push(p.getElement().innerText);
      if (p) g.closePopup();
    });
  }
  return out;
}"""


def _launch(p: Any, chromium: str) -> Any:
    return p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)


def test_library_map_shows_markup_in_names_as_text(tmp_path: Path) -> None:
    """Names with markup from an uploaded layer, a police package or a saved area: every
    tooltip and popup of the library's map shows them literally and runs no script."""
    chromium = browser_support.browser_or_skip()
    vendor = ROOT / "apps/static/vendor"
    if not (vendor / "leaflet/leaflet.js").exists():
        pytest.skip("apps/static/vendor is empty; run `make static`.")
    import geopandas as gpd
    import pandas as pd
    import shapely
    from playwright.sync_api import sync_playwright

    from lagesbild_geo.maps import lagesbild_map, map_html
    from lagesbild_geo.pipeline import Lagesbild

    def gdf(data: dict[str, list[Any]], geoms: list[Any], index: Any = None) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(data, geometry=geoms, crs=4326, index=index)

    districts = gdf({"district_name": [f"{PAYLOAD} Centrum"], "total": [12], "population": [900]},
                    [shapely.box(18.00, 59.30, 18.02, 59.31)],
                    pd.Index([f"{PAYLOAD}kod"], name="district_code"))
    areas = gdf({"name": [f"{PAYLOAD} Torget"], "n_measures": [1]},
                [shapely.box(18.005, 59.302, 18.010, 59.305)], pd.Index(["a1"], name="id"))
    clusters = gdf({"cluster_id": [1], "n": [20], "top_categories": [f"{PAYLOAD}, stold"],
                    "peak_weekday_sv": [PAYLOAD]}, [shapely.box(18.01, 59.301, 18.015, 59.306)])
    cells = gdf({"count": [7]}, [shapely.box(18.02, 59.30, 18.03, 59.31)],
                pd.Index([617733122422996991], dtype="uint64", name="cell"))
    empty = gpd.GeoDataFrame(geometry=[], crs=4326)
    lb = Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=cells,
                   hotspots=empty, clusters=clusters, emerging=empty, districts=districts,
                   district_summary=pd.DataFrame())
    m = lagesbild_map(lb, layers=("districts", "cells", "clusters", "areas"),
                      areas=areas, tiles=None, assets=vendor.as_uri())
    page_file = tmp_path / "karta.html"
    page_file.write_text(map_html(m), encoding="utf-8")
    with sync_playwright() as p:
        browser = _launch(p, chromium)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_file.as_uri())
            shown = page.evaluate(f"() => ({_OPEN_ALL})(Object.values(window).find(v => v instanceof L.Map))")
            page.wait_for_timeout(300)  # an image that fails to load fires onerror asynchronously
            assert page.evaluate("() => window.__xss") is None
            assert page.locator('img[src="x"]').count() == 0
            assert dialogs == []
        finally:
            browser.close()
    text = "\n".join(shown)
    assert text.count(f"Område:\t{PAYLOAD} Centrum") == 2  # tooltip and popup
    assert f"Kod:\t{PAYLOAD}kod" in text
    assert text.count(f"Område:\t{PAYLOAD} Torget") == 2
    assert f"Vanligast:\t{PAYLOAD}, Stöld och snatteri" in text  # a category name
    assert f"Vanligaste veckodag:\t{PAYLOAD}" in text


def test_app_shows_markup_in_names_as_text(tmp_path: Path) -> None:
    """The running app: district names from a data folder and an area name from the store
    with markup are shown literally in the map's tooltips and popups; no script runs."""
    chromium = browser_support.browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from lagesbild_geo.measures import MeasureStore

    data = tmp_path / "data"
    shutil.copytree(ROOT / "sample_data", data)
    layer = json.loads((data / "districts.geojson").read_text(encoding="utf-8"))
    for f in layer["features"]:
        f["properties"]["namn"] = f"{PAYLOAD} {f['properties']['namn']}"
    (data / "districts.geojson").write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    b = layer["features"][0]["geometry"]["coordinates"][0]
    xs, ys = [pt[0] for pt in b], [pt[1] for pt in b]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    with MeasureStore(tmp_path / "store.sqlite", user="angriparen") as store:
        store.add_area(name=f"{PAYLOAD} Torget", geometry=(
            f"POLYGON (({cx - 0.002} {cy - 0.001}, {cx + 0.002} {cy - 0.001}, "
            f"{cx + 0.002} {cy + 0.001}, {cx - 0.002} {cy + 0.001}, {cx - 0.002} {cy - 0.001}))"))
    with _running_app(tmp_path, LAGESBILD_DATA=str(data)) as url, sync_playwright() as p:
        browser = _launch(p, chromium)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url, wait_until="domcontentloaded")
            expect(page.frame_locator(MAP_FRAME).first.locator(".leaflet-container")).to_be_attached(
                timeout=120_000)
            frame = next(f for f in page.frames if "streamlit_folium" in f.url)
            frame.wait_for_function("() => window.map !== undefined", timeout=60_000)
            shown = frame.evaluate(f"() => ({_OPEN_ALL})(window.map)")
            page.wait_for_timeout(500)
            assert frame.evaluate("() => window.__xss") is None
            assert frame.locator('img[src="x"]').count() == 0
            assert page.locator('img[src="x"]').count() == 0
            assert dialogs == []
        finally:
            browser.close()
    text = "\n".join(shown)
    assert f"{PAYLOAD} Torget" in text
    first = layer["features"][0]["properties"]["namn"]
    assert first in text  # the district's name, markup and all, as text


# ----------------------------------------------------------------------------- Swedish on Karta

#: English a coordinator must not meet on Karta: Streamlit's own widget texts, raw values
#: and the statistics' technical names (they belong in help tooltips only).
ENGLISH_UI = re.compile(
    r"\b(None|nan|NaN|NaT|True|False|Choose (an )?options?|Press Enter|Browse files|Drag and drop|"
    r"per file|No results|Select all|Clear all|Draw a polygon|Draw a rectangle|Finish|Cancel|"
    r"Delete|Zoom in|Zoom out|DBSCAN|WDQ|Gi\* z|Cell:|January|February|March|April|June|July|"
    r"August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday)\b")
#: Texts that come from lagesbild_geo.maps (its legend headings and Leaflet's scale bar in
#: miles): Swedish and metric on the branch that owns maps.py.
ENGLISH_MAP = re.compile(r"(?i)\bcoldspots?\b|\b\d+ (mi|ft)\b")


@pytest.fixture(scope="module")
def karta_texts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The visible text of the Karta page and of its map, once the map is drawn and the
    page has finished (Exempelkommun, every outside request refused)."""
    chromium = browser_support.browser_or_skip()
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("karta")
    with _running_app(tmp, LAGESBILD_CACHE="off") as url, sync_playwright() as p:
        browser = _launch(p, chromium)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page.goto(url, wait_until="domcontentloaded")
            frame = page.frame_locator(MAP_FRAME).first
            frame.locator(".leaflet-overlay-pane path").first.wait_for(state="attached", timeout=120_000)
            browser_support.wait_script_idle(page, 120_000)
            page.get_by_text("Behöver uppmärksamhet").wait_for(timeout=60_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(tmp / "karta.png"), full_page=True)
            main = page.locator("body").inner_text()
            map_text = frame.locator("body").inner_text()
            # the Karta's tables are plain HTML (the trend's tabs included, shown or not)
            page.locator(".lb-table td").first.wait_for(state="attached", timeout=60_000)
            grid = "\n".join(page.locator(".lb-table th, .lb-table td").all_text_contents())
            # the Data page's uploaders: what the eye sees is the style sheet's text (Streamlit's
            # own English is still in the page, at font size 0)
            page.goto(f"{url}/data", wait_until="domcontentloaded")
            page.locator("[data-testid=stFileUploaderDropzone]").first.wait_for(timeout=60_000)
            uploaders = page.locator("[data-testid=stFileUploaderDropzone]").evaluate_all(
                """zones => zones.map(z => {
                    const shown = e => getComputedStyle(e).fontSize === '0px'
                        ? getComputedStyle(e, '::after').content.replace(/^"|"$/g, '') : e.textContent;
                    const button = z.querySelector('[data-testid=stBaseButton-secondary] p');
                    const line = z.querySelector('[data-testid=stFileUploaderDropzoneInstructions] span');
                    return shown(button) + ' | ' + shown(line);
                })""")
        finally:
            browser.close()
    return {"page": main, "map": map_text, "tables": grid, "uploaders": "\n".join(uploaders)}


def test_karta_speaks_swedish(karta_texts: dict[str, str]) -> None:
    page, map_text, tables = karta_texts["page"], karta_texts["map"], karta_texts["tables"]
    assert "Behöver uppmärksamhet" in page and "jämfört med samma period året innan" in page
    assert "jan 2025" in page  # the month chart's axis
    assert "Året innan" in tables and "januari 2025" in tables  # the trend table
    assert "Per 1 000 invånare" in tables and "Antal händelser" in tables  # the district table
    found = sorted({m.group(0) for m in ENGLISH_UI.finditer("\n".join((page, map_text, tables)))})
    assert found == [], found
    # numbers as a Swedish reader writes them: the headline count with a no-break space
    assert re.search(r"\b17\u00a0358\b", page)


def test_the_uploaders_speak_swedish(karta_texts: dict[str, str]) -> None:
    # Streamlit's "Upload" and "200MB per file • CSV, …" drawn over; size and types below
    shown = karta_texts["uploaders"].splitlines()
    assert len(shown) >= 4 and set(shown) == {"Välj fil | eller dra och släpp här"}, shown


def test_karta_map_texts_are_swedish_and_metric(karta_texts: dict[str, str]) -> None:
    found = sorted({m.group(0) for m in ENGLISH_MAP.finditer(karta_texts["page"] + "\n" + karta_texts["map"])})
    assert found == [], found
