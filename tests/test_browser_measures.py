"""The measures as a management view in the real app, in headless Chromium (Playwright with
the system's /usr/bin/chromium; `make browser` installs it).

Draw an area with Leaflet.draw, save it with a first measure, rename it, draw a new shape
for it, and follow the measure up, offline (every request outside the app refused). The
map keeps the user's zoom and position through every save; the area's history names each
change in Swedish. Screenshots go to ``$LAGESBILD_SCREENSHOTS`` (default a temporary
folder), never into the repository. Missing browser: FAIL when $CI is set, skip otherwise.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    LAUNCH_ARGS,
    MAP_FRAME,
    ROOT,
    block_outside,
    browser_or_skip,
    draw_polygon,
    fill_new_area,
    open_expander,
    running_app,
    wait_script_idle,
)

from lagesbild_geo.measures import MeasureStore

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]


def _shots() -> Path:
    folder = Path(os.environ.get("LAGESBILD_SCREENSHOTS")
                  or Path(tempfile.gettempdir()) / "lagesbild_browser_measures")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _map_frame(page: Any) -> Any:
    """The Leaflet map's frame (the one streamlit-folium iframe of the Områden page)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for f in page.frames:
            if "streamlit_folium" in f.url:
                with contextlib.suppress(Exception):
                    if f.evaluate("() => window.map !== undefined"):
                        return f
        time.sleep(0.2)
    raise AssertionError("the map did not appear")


def _view(frame: Any) -> tuple[int, float, float]:
    """The map's zoom and centre (lat, lng)."""
    z, lat, lng = frame.evaluate(
        "() => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]")
    return int(z), float(lat), float(lng)


def _wait_view_settled(frame: Any) -> tuple[int, float, float]:
    before = _view(frame)
    for _ in range(20):
        time.sleep(0.25)
        now = _view(frame)
        if now == before:
            return now
        before = now
    return before


def test_draw_save_rename_reshape_follow_up_keeps_the_view(tmp_path: Path) -> None:
    chromium = browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    shots = _shots()
    with running_app(tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        local_assets = (ROOT / "apps/static/vendor/leaflet/leaflet.js").exists()
        blocked = block_outside(page, url) if local_assets else []
        try:
            page.goto(f"{url}/omraden", wait_until="domcontentloaded")
            fl = page.frame_locator(MAP_FRAME).first
            expect(fl.locator("a.leaflet-draw-draw-polygon")).to_be_visible(timeout=120_000)
            frame = _map_frame(page)
            # one legend, beside the map (with the areas' status colours), none inside it
            expect(page.get_by_text("Åtgärder per område (status)")).to_be_visible()
            assert fl.locator(".lagesbild-legend").count() == 0
            # the user zooms in one step and pans: that view must survive every save
            fl.locator("a.leaflet-control-zoom-in").click()
            page.wait_for_timeout(400)
            frame.evaluate("() => window.map.panBy([60, -40], {animate: false})")
            view = _wait_view_settled(frame)
            page.screenshot(path=str(shots / "1_omraden.png"), full_page=True)

            # ---- draw and save, with a first measure that has a start date
            # left of the map's middle: clear of the legend in the lower right corner
            draw_polygon(page, fl, half_w=90, half_h=60, at=(0.4, 0.45))
            expect(page.get_by_label("Områdets namn")).to_be_visible(timeout=30_000)
            fill_new_area(page, name="Webbtorget", title="Belysning vid torget", typed="Våld",
                          category="Våld och hot")
            # a date field of segments (year, month, day): type into the first one
            start = page.get_by_label("Startdatum").first
            open_expander(page, "Fler uppgifter (valfria)", start)
            start.locator('[role="spinbutton"]').first.click()
            page.keyboard.type("20250101")
            page.keyboard.press("Tab")
            page.screenshot(path=str(shots / "2_drawn.png"), full_page=True)
            page.get_by_role("button", name="Spara området").click()
            expect(page.get_by_text("Området är sparat.")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Byt namn eller beskrivning på Webbtorget")).to_be_visible(
                timeout=30_000)
            # the saved area is on the map, coloured by its measure; the drawing is gone
            frame = _map_frame(page)
            area = fl.locator("path.leaflet-interactive").last
            expect(area).to_be_attached(timeout=30_000)
            assert frame.evaluate("() => window.drawnItems.getLayers().length") == 0
            assert _wait_view_settled(frame) == view  # zoom and position kept
            page.screenshot(path=str(shots / "3_saved.png"), full_page=True)
            with MeasureStore(tmp_path / "store.sqlite") as s:
                (saved,) = [s.get_area(i) for i in s.list_areas().index]
                (m,) = [s.get_measure(i) for i in s.list_measures().index]
            assert (saved.name, saved.drawn_kommun) == ("Webbtorget", "Exempelkommun")
            assert saved.drawn_dataset.startswith("sha256:")
            assert (m.title, m.target_categories, str(m.start_date)) == (
                "Belysning vid torget", ("vald",), "2025-01-01")

            # ---- rename
            new_name = page.get_by_label("Nytt namn")
            new_name.fill("Resecentrum")
            page.get_by_role("button", name="Spara namn och beskrivning").click()
            expect(page.get_by_text("Byt namn eller beskrivning på Resecentrum")).to_be_visible(
                timeout=30_000)
            assert _wait_view_settled(_map_frame(page)) == view

            # ---- reshape: a larger polygon drawn on the map becomes the area's shape
            draw_polygon(page, fl, half_w=140, half_h=90, at=(0.4, 0.45))
            reshape = page.locator('[data-testid="stRadio"]').get_by_text(
                "En ny form för ett sparat område", exact=True)
            expect(reshape).to_be_visible(timeout=30_000)
            reshape.click()
            save_shape = page.get_by_role("button", name="Spara den nya formen")
            expect(save_shape).to_be_visible(timeout=30_000)
            page.screenshot(path=str(shots / "4_reshape.png"), full_page=True)
            save_shape.click()
            expect(page.get_by_text("Den nya formen är sparad.")).to_be_visible(timeout=30_000)
            frame = _map_frame(page)
            expect(save_shape).to_have_count(0, timeout=30_000)
            assert frame.evaluate("() => window.drawnItems.getLayers().length") == 0
            assert _wait_view_settled(frame) == view
            with MeasureStore(tmp_path / "store.sqlite") as s:
                reshaped = s.get_area(saved.id)
            assert reshaped.version == 3 and reshaped.area_km2 > 1.5 * saved.area_km2
            # the history says what happened, in Swedish
            # while the page re-runs after saving, Streamlit can show the expander twice (the
            # old one until the run ends): click once the run is over
            wait_script_idle(page, 60_000)
            page.get_by_text("Områdets historik").first.click()
            for text in ("området skapat", "namn ändrat: «Webbtorget» → «Resecentrum»",
                         "form ändrad ("):
                expect(page.locator('td[role="gridcell"]', has_text=text).first).to_be_attached(
                    timeout=30_000)
            page.screenshot(path=str(shots / "5_history.png"), full_page=True)

            # ---- follow-up of the measure on the same data
            page.goto(f"{url}/uppfoljning", wait_until="domcontentloaded")
            summary = page.locator('[data-testid="stAlertContentInfo"]',
                                   has_text="«Belysning vid torget» startade 1 januari 2025")
            expect(summary.first).to_be_visible(timeout=120_000)
            expect(page.get_by_text("Förflyttning till omgivningen")).to_be_visible()
            expect(page.get_by_text("ingen jämförelse möjlig")).to_have_count(0)
            page.screenshot(path=str(shots / "6_uppfoljning.png"), full_page=True)
            page.goto(f"{url}/atgardsplan", wait_until="domcontentloaded")
            expect(page.locator('td[role="gridcell"]', has_text="Resecentrum").first
                   ).to_be_attached(timeout=60_000)
            page.screenshot(path=str(shots / "7_atgardsplan.png"), full_page=True)
        finally:
            browser.close()
    assert not [u for u in blocked if "leaflet" in u or "jquery" in u or "bootstrap" in u], blocked
