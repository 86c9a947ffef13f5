"""Benchmark: the coordinator's app in a real browser (headless Chromium, Playwright).

Starts the app on Exempelkommun (a fresh store, no base-map tiles: every outside request is
refused, as on a closed intranet) and measures what a coordinator waits for:

* **cold first map**: the first visit after the app started, from navigation until the
  Karta's map has drawn its hexagons with the headline figures (``…_complete``: until the
  page has stopped running, the trend panel and the district table included). Measured
  twice: on the very first start (nothing kept on disk: the whole analysis runs) and after
  a restart (the starting data's picture is read from the app's warm-start folder);
* **warm reload**: a reload of the same page (a new session; the data set's cached steps
  are warm);
* **filter change**: the hour-of-day filter moved by one step with the keyboard, until the
  headline count has changed and the map's layers are drawn again;
* **layer change**: a layer switched off in the sidebar until the layers are drawn again
  and the page is idle.

Baselines measured in the same run: the server's health page (the browser's round trip)
and **Streamlit's own floor**: a one-line Streamlit page served the same way, from
navigation (and from a reload) until it has finished running, which is what any
Streamlit page costs before it draws anything of ours.

Run: ``.venv/bin/python benchmarks/bench_app_browser.py [REPEATS]``
Targets (issue 15): cold first map ≤ 3 s, reload ≤ 1 s, filter change ≤ 1 s.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser_support import LAUNCH_ARGS, browser_problem, running_app

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def _app(tmp: Path, script: str = "apps/lagesbild_app.py") -> contextlib.AbstractContextManager[str]:
    """The app on a free port (a fresh store, no tiles, warm-start folder in ``tmp``)."""
    return running_app(tmp, script=script, timeout_s=90, fail=sys.exit,
                       LAGESBILD_USER="benchmark", LAGESBILD_CACHE=str(tmp / "warm"))


def _idle(page, timeout_s: float = 60.0) -> None:
    """Wait until Streamlit has finished running the script (``data-test-script-state``)."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
        " return a && !['initial', 'running'].includes(a.dataset.testScriptState); }",
        timeout=timeout_s * 1000)


#: In the map's frame: the number of drawn shapes not yet marked as seen.
_NEW_PATHS = "() => document.querySelectorAll('.leaflet-overlay-pane path:not([data-bench-seen])').length"
_MARK_PATHS = ("() => document.querySelectorAll('.leaflet-overlay-pane path')"
               ".forEach(p => p.setAttribute('data-bench-seen', '1'))")


def _map_frames(page) -> list:
    """The frames of the map component now in the page (a rerun may replace the iframe)."""
    return [f for f in page.frames if "streamlit_folium" in (f.url or "")]


def _mark_map(page) -> None:
    """Mark every shape drawn now, so :func:`_map_drawn` waits for shapes drawn after this."""
    for f in _map_frames(page):
        with contextlib.suppress(Exception):  # a frame being replaced
            f.evaluate(_MARK_PATHS)


def _map_drawn(page, timeout_s: float = 180.0) -> None:
    """Wait until the map component's frame (whichever iframe holds it now) shows shapes
    that were not there at the last :func:`_mark_map`: a new map, or layers swapped in."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for f in _map_frames(page):
            try:
                if f.evaluate(_NEW_PATHS) > 0:
                    return
            except Exception:  # the frame was detached or is still loading
                continue
        page.wait_for_timeout(20)  # (not time.sleep: the sync API learns of new frames only while waiting)
    frames = [f.url for f in page.frames]
    raise TimeoutError(f"no map shapes drawn within {timeout_s:.0f} s (frames: {frames})")


def _headline(page) -> str:
    metric = page.locator('[data-testid="stMetricValue"]').first
    metric.wait_for(timeout=60_000)
    return metric.inner_text()


def _until_changed(page, before: str) -> None:
    page.wait_for_function(
        "(b) => { const m = document.querySelector('[data-testid=\"stMetricValue\"]');"
        " return m && m.innerText !== b; }", arg=before, timeout=60_000)


def measure(url: str, chromium: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {k: [] for k in (
        "baseline_empty_page", "cold_first_map", "cold_page_complete", "warm_reload",
        "warm_reload_complete", "filter_change", "filter_change_complete", "layer_change")}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                  else route.abort())
        page = ctx.new_page()
        other = ctx.new_page()  # the baseline's page: the app's page is never navigated away

        def baseline() -> None:
            t = time.perf_counter()
            other.goto(f"{url}/_stcore/health")
            out["baseline_empty_page"].append(time.perf_counter() - t)

        def timed(first: str, complete: str, action: Any, *, before: str | None = None) -> None:
            _mark_map(page)
            t = time.perf_counter()
            action()
            if before is not None:
                _until_changed(page, before)
            _map_drawn(page)
            _headline(page)
            out[first].append(time.perf_counter() - t)
            _idle(page)
            out[complete].append(time.perf_counter() - t)

        baseline()
        timed("cold_first_map", "cold_page_complete", lambda: page.goto(url))
        sidebar = page.locator('[data-testid="stSidebar"]')
        for _ in range(REPEATS):
            baseline()
            timed("warm_reload", "warm_reload_complete", page.reload)
            hours = sidebar.locator('[data-testid="stSlider"]').filter(has_text="Tid på dygnet")
            slider = hours.get_by_role("slider").first
            slider.focus()
            timed("filter_change", "filter_change_complete", lambda s=slider: s.press("ArrowRight"),
                  before=_headline(page))
            changed = _headline(page)
            slider.press("ArrowLeft")  # back to the whole day
            _until_changed(page, changed)
            _idle(page)
            # a layer off: the last chip of the layer multiselect's selection
            layers = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Lager")
            chips = layers.locator('[data-tag] button')  # each chip's remove button
            if chips.count():
                _mark_map(page)
                t = time.perf_counter()
                chips.last.click()
                _map_drawn(page)
                _idle(page)
                out["layer_change"].append(time.perf_counter() - t)
        browser.close()
    return out


def measure_floor(url: str, chromium: str) -> dict[str, list[float]]:
    """A one-line Streamlit page: first visit and reloads until the script has run."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"streamlit_floor_first": [], "streamlit_floor_reload": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for i in range(REPEATS + 1):
            t = time.perf_counter()
            if i == 0:
                page.goto(url)
            else:
                page.reload()
            page.get_by_text("Tom sida").wait_for(timeout=60_000)
            _idle(page)
            out["streamlit_floor_first" if i == 0 else "streamlit_floor_reload"].append(time.perf_counter() - t)
        browser.close()
    return out


TARGETS = {"cold_first_map": 3.0, "warm_reload": 1.0, "filter_change": 1.0}


def _report(res: dict[str, list[float]], base: float, floor: float | None = None) -> None:
    for key, vals in res.items():
        if not vals:
            print(f"  {key:28s} not measured")
            continue
        best, med = min(vals), statistics.median(vals)
        target = TARGETS.get(key.replace("_first_start", ""))
        verdict = "" if target is None else f"  target ≤ {target:.0f} s: {'met' if med <= target else 'NOT met'}"
        rel = f"{med / floor:5.1f}× Streamlit's floor" if floor else f"{med / base:6.1f}× the health page"
        print(f"  {key:28s} best {best:6.2f} s  median {med:6.2f} s  ({rel}){verdict}")


def main() -> None:
    chromium, problem = browser_problem()
    if problem or chromium is None:
        raise SystemExit(problem)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "empty_app.py").write_text('import streamlit as st\nst.title("Tom sida")\n', encoding="utf-8")
        with _app(tmp, script=str(tmp / "empty_app.py")) as url:
            floor = measure_floor(url, chromium)
        with _app(tmp) as url:  # the very first start: nothing kept on disk yet
            first = measure(url, chromium)
        with _app(tmp) as url:  # a restart: the starting picture is on disk
            res = measure(url, chromium)
    print(f"bench_app_browser: Exempelkommun, headless Chromium, {REPEATS} repeats "
          f"(load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after; 2 cores)")
    base = statistics.median(res.pop("baseline_empty_page") + first.pop("baseline_empty_page"))
    print(f"  {'health page (round trip)':28s} median {base:6.2f} s")
    _report(floor, base)
    fl = statistics.median(floor["streamlit_floor_reload"])
    print("first start (nothing on disk):")
    _report({f"{k}_first_start": first[k] for k in ("cold_first_map", "cold_page_complete")}, base, fl)
    print("after a restart (the starting picture read from the warm-start folder):")
    _report(res, base, fl)


if __name__ == "__main__":
    main()
