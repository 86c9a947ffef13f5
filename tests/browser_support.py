"""What the real-browser tests share: the system Chromium (or a clear skip/failure), a free
127.0.0.1 port, and the app started on it with a temporary store and no base-map tiles."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LAGESBILD_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
#: Chromium flags that refuse every request beyond this computer in the browser's own
#: network stack (as on a kommun intranet that blocks CDNs): no host name resolves but
#: 127.0.0.1 (the app, its scripts and Leaflet come from there; nothing outside is asked
#: for by address). Unlike :func:`block_outside` (Playwright's request routing, which
#: switches the browser's HTTP cache off and passes every request through the test
#: process), the browser keeps its cache, so a reload takes Streamlit's scripts from it as
#: a coordinator's browser does. (A proxy that is not there would refuse addresses too,
#: but Chromium then looks up the proxy for every request: reloads took 0,3–0,5 s longer.)
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


def browser_problem(chromium: str = CHROMIUM) -> tuple[str | None, str | None]:
    """(path of Chromium, None) or (None, why the browser tests cannot run)."""
    path = chromium if Path(chromium).exists() else shutil.which("chromium")
    if not path:
        return None, (f"Chromium not found at {chromium}; install it with `make browser` "
                      "(apt-get install chromium).")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "playwright (Python package) is not installed; `make install` installs it."
    return str(path), None


def fail_or_skip(problem: str) -> None:
    """A missing part fails the test in CI (CI set) and skips it elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(problem)
    pytest.skip(problem)


def browser_or_skip(chromium: str = CHROMIUM) -> str:
    """The Chromium to launch, or fail (CI) / skip (elsewhere) with how to install it."""
    path, problem = browser_problem(chromium)
    if problem:
        fail_or_skip(problem)
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_app(tmp_path: Path, *, script: str = "apps/lagesbild_app.py", timeout_s: float = 60,
                fail: Callable[[str], NoReturn] = pytest.fail, **extra_env: str) -> Iterator[str]:
    """The app (or another Streamlit ``script``) on a free 127.0.0.1 port with a temporary
    store and no base-map tiles; ``extra_env`` adds to or overrides the environment. Yields
    its URL once Streamlit answers its health check; otherwise ``fail`` gets the log's end
    (the test fails; a benchmark passes ``sys.exit``)."""
    port = free_port()
    env = {**os.environ, "LAGESBILD_STORE": str(tmp_path / "store.sqlite"),
           "LAGESBILD_TILES": "none", "LAGESBILD_USER": "webbtestaren", **extra_env}
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script,
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url, proc, timeout_s):
            log.flush()
            fail("The app did not start:\n" + (tmp_path / "streamlit.log").read_text(
                errors="replace")[-3000:])
        yield url
    finally:
        stop_process(proc)
        log.close()


def wait_healthy(url: str, proc: subprocess.Popen[Any], timeout_s: float, poll_s: float = 0.3) -> bool:
    """Wait until the Streamlit server at ``url`` answers its health check: ``True``; ``False``
    when ``proc`` ended or ``timeout_s`` passed first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return True
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(poll_s)


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """Terminate a server process, killing it when it does not end within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


# ----------------------------------------------------------------------------- in the page


def block_outside(page: Any, url: str) -> list[str]:
    """Refuse every request of ``page`` that does not go to ``url`` (as on a kommun intranet
    that blocks CDNs); returns the list the refused addresses are collected in."""
    blocked: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", offline)
    return blocked


def draw_polygon(page: Any, frame: Any, *, half_w: float, half_h: float,
                 at: tuple[float, float] = (0.5, 0.5)) -> None:
    """Draw a four-corner polygon with Leaflet.draw in the map ``frame`` (a frame locator),
    around the point ``at`` (fractions of the map's width and height). Each click waits for
    its vertex: Leaflet.draw ignores a click within ~50 ms of the previous one."""
    frame.locator("a.leaflet-draw-draw-polygon").click()
    box = frame.locator("#map_div").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1]
    pts = [(cx - half_w, cy - half_h), (cx + half_w, cy - half_h), (cx + half_w, cy + half_h),
           (cx - half_w, cy + half_h)]
    icons = frame.locator(".leaflet-marker-icon.leaflet-editing-icon")
    for i, (x, y) in enumerate(pts, start=1):
        page.mouse.click(x, y)
        deadline = time.monotonic() + 5
        while icons.count() < i:
            if time.monotonic() > deadline:
                raise AssertionError(f"Leaflet.draw shows {icons.count()} vertices, expected {i}")
            time.sleep(0.05)
        page.wait_for_timeout(100)
    page.mouse.click(*pts[0])  # close the ring on the first vertex


def open_expander(page: Any, label: str, shows: Any, *, attempts: int = 4) -> None:
    """Open the expander ``label`` until ``shows`` (a locator inside it) is visible.

    A click that lands while the page is still settling (a closing drop-down, a layout
    shift) can be lost; the expander is clicked again only while it is still closed."""
    from playwright.sync_api import expect

    summary = page.get_by_text(label).first
    for attempt in range(attempts):
        if shows.is_visible():
            return
        details = page.locator("details", has=page.get_by_text(label)).first
        if details.count() == 0 or details.get_attribute("open") is None:
            summary.click()
        try:
            expect(shows).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def fill_new_area(page: Any, *, name: str, title: str, typed: str, category: str) -> None:
    """Fill in the form of a drawn area: its name, a first measure's title and one target
    category, chosen by typing ``typed`` and checked by its label ``category``."""
    from playwright.sync_api import expect

    page.get_by_label("Områdets namn").fill(name)
    page.get_by_label("Åtgärd (rubrik)").first.fill(title)
    cats = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Målkategorier")
    cats.first.locator("input").click()
    page.keyboard.type(typed)
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(cats.first).to_contain_text(category)
    # a click on "Spara området" while a re-run (the map sending its drawing again) is under
    # way was lost under load in a full test run: submit once the app is idle
    wait_script_idle(page)


def wait_script_idle(page: Any, timeout_ms: float = 60_000) -> None:
    """Wait until Streamlit has no script run under way."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
        " return a && a.dataset.testScriptState === 'notRunning'; }", timeout=timeout_ms)
