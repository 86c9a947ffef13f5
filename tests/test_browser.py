"""The real app in headless Chromium (Playwright, sync API, the system's /usr/bin/chromium).

Draws a polygon with Leaflet.draw, names it, attaches a measure with a target
category, saves, reloads, and finds the area on the map and the measure in the
åtgärdsplan. Never runs `playwright install`: the browser comes from the system
package manager (`make browser`). Missing browser: FAIL when $CI is set, skip otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LAGESBILD_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _browser_or_skip() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        msg = (f"Chromium not found at {CHROMIUM}; install it with `make browser` "
               "(apt-get install chromium).")
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        msg = "playwright (Python package) is not installed; `make install` installs it."
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """The app on a free localhost port with a temporary store and no base map tiles."""
    port = _free_port()
    env = dict(os.environ, LAGESBILD_STORE=str(tmp_path / "store.sqlite"), LAGESBILD_TILES="none",
               LAGESBILD_USER="webbtestaren")
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "apps/lagesbild_app.py",
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("The app did not start:\n" + (tmp_path / "streamlit.log").read_text(
                    errors="replace")[-3000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_static_leaflet_is_served(app_url: str) -> None:
    """The map scripts come from the app itself (offline / intranet)."""
    if not (ROOT / "apps/static/vendor/leaflet/leaflet.js").exists():
        pytest.skip("apps/static/vendor is empty; run `make static`.")
    with urllib.request.urlopen(f"{app_url}/app/static/vendor/leaflet/leaflet.js", timeout=10) as r:
        assert r.status == 200
        assert "javascript" in r.headers.get("Content-Type", "")
        assert b"Leaflet" in r.read(2000)


def _wait_for_icons(frame, n: int, timeout_s: float = 5.0) -> None:
    icons = frame.locator(".leaflet-marker-icon.leaflet-editing-icon")
    deadline = time.monotonic() + timeout_s
    while icons.count() < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"Leaflet.draw shows {icons.count()} vertices, expected {n}")
        time.sleep(0.05)


def test_draw_area_attach_measure_and_reload(app_url: str, tmp_path: Path) -> None:
    chromium = _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        # Offline, as on a kommun intranet that blocks CDNs: anything not from the app fails.
        blocked: list[str] = []

        def offline(route: Any) -> None:
            if route.request.url.startswith(app_url):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        local_assets = (ROOT / "apps/static/vendor/leaflet/leaflet.js").exists()
        if local_assets:
            page.context.route("**/*", offline)
        try:
            page.goto(f"{app_url}/omraden", wait_until="domcontentloaded")
            frame = page.frame_locator(MAP_FRAME).first
            draw_btn = frame.locator("a.leaflet-draw-draw-polygon")
            expect(draw_btn).to_be_visible(timeout=90_000)
            page.screenshot(path=str(tmp_path / "1_map.png"), full_page=True)

            draw_btn.click()
            box = frame.locator("#map_div").bounding_box()
            assert box is not None
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            pts = [(cx - 80, cy - 60), (cx + 80, cy - 60), (cx + 80, cy + 60), (cx - 80, cy + 60)]
            for i, (x, y) in enumerate(pts, start=1):
                page.mouse.click(x, y)
                _wait_for_icons(frame, i)
                page.wait_for_timeout(100)
            page.mouse.click(*pts[0])  # close the ring on the first vertex
            name = page.get_by_label("Områdets namn")
            expect(name).to_be_visible(timeout=30_000)
            page.screenshot(path=str(tmp_path / "2_drawn.png"), full_page=True)

            name.fill("Webbtorget")
            page.get_by_label("Åtgärd (rubrik)").first.fill("Belysning vid torget")
            cats = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Målkategorier")
            cats.first.locator("input").click()
            page.keyboard.type("Skadegörelse")
            page.wait_for_timeout(300)
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            expect(cats.first).to_contain_text("Skadegörelse och klotter")
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
    # the map worked although every outside request was refused (none were needed for it)
    assert not [u for u in blocked if "leaflet" in u or "jquery" in u or "bootstrap" in u], blocked


def test_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="make browser"):
        _browser_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        _browser_or_skip()
