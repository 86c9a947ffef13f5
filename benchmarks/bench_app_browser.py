"""Benchmark: the coordinator's app in a real browser (headless Chromium, Playwright).

Starts the app the way ``make run`` does (``apps/serve.py``: Streamlit plus the warm-up
that builds the starting picture while the server starts) on Exempelkommun (a fresh
store, no base-map tiles: every outside request is refused, as on a closed intranet, by
the browser's own network stack: ``browser_support.OFFLINE_ARGS``) and measures what a
coordinator waits for:

* **cold first map**: a freshly started server and a new browser session, from navigation
  until the Karta's map has drawn its hexagons with the headline figures (``…_complete``:
  until the page has stopped running, the trend panel and the district table included).
  Measured four ways, each on its own server start:

  - *first start, at once*: nothing on disk (a fresh clone: the whole analysis runs), the
    browser opens the page the moment the server answers, so it waits for the warm-up
    ("Bygger lägesbilden …"); also from the server's start;
  - *first start, once ready*: nothing on disk, the page opened when the server has said
    it is ready (the line ``Lägesbilden är klar``);
  - *restart, at once*: the starting picture is read from the warm-start folder, page
    opened the moment the server answers;
  - *restart, once ready* (``cold_first_map``): the usual case, a server that has been
    started and is ready, and someone opening the app;

  plus **server ready**: from starting the server process to that line;
* **warm reload**: a reload of the same page (a new session; the data set's cached steps
  are warm; the browser's HTTP cache holds Streamlit's scripts, as a coordinator's browser
  does after the first visit);
* **warm reload, browser cache off** (for comparison, no target): the same with the
  browser's cache switched off, so every script is fetched again (what the benchmark
  measured until Playwright's request routing, which turns the cache off, was replaced);
* **filter change**: the hour-of-day filter moved by one step with the keyboard, until the
  headline count has changed and the map's layers are drawn again;
* **layer change**: a layer switched off in the sidebar until the layers are drawn again
  and the page is idle.

The health page is loaded in a browser context of its own: as another tab of the app's
context it left the app's page in the background, where Chromium slows its timers (filter
and layer changes then took 1–3 s instead of 0,3–0,7 s).

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
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps"))
from app_warm import READY_LINE
from browser_support import (
    LAUNCH_ARGS,
    OFFLINE_ARGS,
    browser_problem,
    free_port,
    running_app,
    stop_process,
    wait_healthy,
)

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 3


ROOT = Path(__file__).resolve().parents[1]


def _floor_app(tmp: Path, script: str) -> contextlib.AbstractContextManager[str]:
    """A one-line Streamlit page on a free port, started as ``streamlit run``."""
    return running_app(tmp, script=script, timeout_s=90, fail=sys.exit, LAGESBILD_USER="benchmark")


@contextlib.contextmanager
def _served(tmp: Path, cache: Path) -> Iterator[tuple[str, float, Callable[[], float | None]]]:
    """The app started as ``make run`` starts it (``apps/serve.py``) on a free port, with a
    fresh store, no tiles and the warm-start folder ``cache``. Yields its URL once it
    answers, the process's start (``time.perf_counter``) and a function that returns the
    moment the server printed that the warm-up is done (``None`` until then)."""
    port = free_port()
    env = {**os.environ, "LAGESBILD_STORE": str(tmp / "store.sqlite"), "LAGESBILD_TILES": "none",
           "LAGESBILD_USER": "benchmark", "LAGESBILD_CACHE": str(cache)}
    (tmp / "store.sqlite").unlink(missing_ok=True)
    log_path = tmp / "serve.log"
    url = f"http://127.0.0.1:{port}"
    ready: list[float] = []
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "apps/serve.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

        stop = threading.Event()

        def watch() -> None:  # notes when the line appears, while the browser is busy
            while not stop.is_set() and not ready:
                if READY_LINE in log_path.read_text(encoding="utf-8", errors="replace"):
                    ready.append(time.perf_counter())
                stop.wait(0.05)

        def ready_at() -> float | None:
            return ready[0] if ready else None

        threading.Thread(target=watch, daemon=True).start()
        try:
            if not wait_healthy(url, proc, 120 - (time.perf_counter() - start), poll_s=0.05):
                sys.exit("The app did not start:\n" + log_path.read_text(errors="replace")[-3000:])
            yield url, start, ready_at
        finally:
            stop.set()
            stop_process(proc)


def _wait_ready(ready_at: Callable[[], float | None], timeout_s: float = 300) -> float:
    deadline = time.perf_counter() + timeout_s
    while (t := ready_at()) is None:
        if time.perf_counter() > deadline:
            sys.exit(f"The app did not say {READY_LINE!r} within {timeout_s:.0f} s.")
        time.sleep(0.05)
    return t


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


def measure(url: str, chromium: str, *, full: bool = True) -> dict[str, list[float]]:
    """The cold first visit; with ``full`` also reloads, filter and layer changes."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {k: [] for k in (
        "baseline_empty_page", "cold_first_map", "cold_page_complete", "warm_reload",
        "warm_reload_complete", "warm_reload_cache_off", "filter_change", "filter_change_complete",
        "layer_change")}
    with sync_playwright() as p:
        # every outside request refused by the browser itself (which keeps its HTTP cache)
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS + OFFLINE_ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        # the baseline's page, in a context of its own: in the app's context it would share
        # the app's window and push the app's page into the background
        other = browser.new_context().new_page()

        def baseline() -> None:
            t = time.perf_counter()
            other.goto(f"{url}/_stcore/health")
            out["baseline_empty_page"].append(time.perf_counter() - t)

        def timed(first: str, complete: str | None, action: Any, *, before: str | None = None) -> None:
            _mark_map(page)
            t = time.perf_counter()
            action()
            if before is not None:
                _until_changed(page, before)
            _map_drawn(page)
            _headline(page)
            out[first].append(time.perf_counter() - t)
            _idle(page)
            if complete:
                out[complete].append(time.perf_counter() - t)

        baseline()
        timed("cold_first_map", "cold_page_complete", lambda: page.goto(url))
        sidebar = page.locator('[data-testid="stSidebar"]')
        for _ in range(REPEATS if full else 0):
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
        if full:  # the reload again with the browser's cache off (every script fetched again)
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            for _ in range(REPEATS):
                timed("warm_reload_cache_off", None, page.reload)
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
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
        target = TARGETS.get(key.replace("_at_once", "").replace("_once_ready", ""))
        verdict = "" if target is None else f"  target ≤ {target:.0f} s: {'met' if med <= target else 'NOT met'}"
        rel = f"{med / floor:5.1f}× Streamlit's floor" if floor else f"{med / base:6.1f}× the health page"
        print(f"  {key:28s} best {best:6.2f} s  median {med:6.2f} s  ({rel}){verdict}")


def _cold(chromium: str, tmp: Path, cache: Path, *, at_once: bool, full: bool = False
          ) -> tuple[dict[str, list[float]], float, float | None]:
    """One server start: (figures, seconds from the process's start to "ready", seconds from
    the process's start to the first map when the page was opened at once)."""
    with _served(tmp, cache) as (url, start, ready_at):
        if not at_once:
            _wait_ready(ready_at)
        opened = time.perf_counter()
        res = measure(url, chromium, full=full)
        ready = _wait_ready(ready_at)
    from_start = opened - start + res["cold_first_map"][0] if at_once else None
    return res, ready - start, from_start


def main() -> None:
    chromium, problem = browser_problem()
    if problem or chromium is None:
        raise SystemExit(problem)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "empty_app.py").write_text('import streamlit as st\nst.title("Tom sida")\n', encoding="utf-8")
        with _floor_app(tmp, str(tmp / "empty_app.py")) as url:
            floor = measure_floor(url, chromium)
        # nothing on disk (a fresh clone): a new, empty warm-start folder for each start
        empty: list[tuple[dict[str, list[float]], float, float | None]] = []
        for at_once in (True, False):
            cache = tmp / f"warm-empty-{at_once}"
            empty.append(_cold(chromium, tmp, cache, at_once=at_once))
        cache = tmp / "warm"  # filled by the first start below, read by the restarts
        _cold(chromium, tmp, cache, at_once=False)
        restart_at_once = _cold(chromium, tmp, cache, at_once=True)
        # the usual case, REPEATS server starts; the last one goes on with reloads and changes
        colds = [_cold(chromium, tmp, cache, at_once=False, full=i == REPEATS - 1) for i in range(REPEATS)]
        res = colds[-1][0]
        for key in ("cold_first_map", "cold_page_complete"):
            res[key] = [c[0][key][0] for c in colds]
    print(f"bench_app_browser: {os.environ.get('LAGESBILD_DATA') or 'Exempelkommun'}, headless Chromium, {REPEATS} repeats "
          f"(load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after; 2 cores)")
    base = statistics.median(res.pop("baseline_empty_page") + restart_at_once[0].pop("baseline_empty_page"))
    print(f"  {'health page (round trip)':28s} median {base:6.2f} s")
    _report(floor, base)
    fl = statistics.median(floor["streamlit_floor_reload"])
    for label, (r, ready, from_start) in (("first start, nothing on disk, page opened at once", empty[0]),
                                          ("first start, nothing on disk, page opened once ready", empty[1]),
                                          ("restart, page opened at once", restart_at_once)):
        print(f"{label} (server ready {ready:.2f} s after its start"
              + (f"; first map {from_start:.2f} s after the server's start)" if from_start else ")") + ":")
        _report({f"{k}_{'at_once' if from_start else 'once_ready'}": r[k]
                 for k in ("cold_first_map", "cold_page_complete")}, base, fl)
    readies = ", ".join(f"{c[1]:.2f}" for c in colds)
    print(f"restart, page opened once ready ({REPEATS} starts; server ready {readies} s after its start), "
          "then reloads and changes in the same browser:")
    _report(res, base, fl)


if __name__ == "__main__":
    main()
