"""The app started as ``make run`` starts it (``apps/serve.py``: Streamlit plus the warm-up),
in headless Chromium with every outside request blocked.

The warm-up builds the Karta's picture in a thread without a session; this checks that
the page a visitor then opens is whole: the map component loads (a component imported
outside a page would not be registered: a 404 and no map), the map draws its hexagons,
the headline figure is there, and the log says the warm-up was done. Missing browser:
FAIL when $CI is set, skip otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import (
    LAUNCH_ARGS,
    MAP_FRAME,
    ROOT,
    block_outside,
    browser_or_skip,
    free_port,
    stop_process,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(400)]


def test_make_run_start_warms_up_and_the_first_visit_shows_the_map(tmp_path: Path) -> None:
    chromium = browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LAGESBILD_STORE": str(tmp_path / "store.sqlite"), "LAGESBILD_TILES": "none",
           "LAGESBILD_USER": "webbtestaren", "LAGESBILD_CACHE": str(tmp_path / "warm")}
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "apps/serve.py", "--server.headless", "true", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while "Lägesbilden är klar" not in log_path.read_text(encoding="utf-8", errors="replace"):
                assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
            assert "Lägesbilden är klar (Exempelkommun, 2\u00a0784 hexagoner, " in log_path.read_text(
                encoding="utf-8")
            # the warm-start files, held back until the map was ready, are written before the line
            assert {f.name.split("-")[0] for f in (tmp_path / "warm").glob("*.pickle")} >= {"build", "view", "span"}
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
                assert r.read().decode().strip() == "ok"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                block_outside(page, url)
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(url)
                expect(page.locator('[data-testid="stMetricValue"]').first).to_be_visible(timeout=60_000)
                frame = page.frame_locator(MAP_FRAME)
                expect(frame.locator(".leaflet-overlay-pane path").first).to_be_attached(timeout=60_000)
                assert frame.locator(".leaflet-overlay-pane path").count() > 100
                assert not [e for e in errors if "Custom Component" in e], errors
                browser.close()
        finally:
            stop_process(proc)
    # the warm-up ran without a session and said nothing alarming
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" not in text and "warm-up failed" not in text, text[-3000:]
