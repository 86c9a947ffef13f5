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
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LAGESBILD_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


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
def running_app(tmp_path: Path, **extra_env: str) -> Iterator[str]:
    """The app on a free 127.0.0.1 port with a temporary store and no base-map tiles; yields
    its URL once Streamlit answers its health check (the test fails with the log if not)."""
    port = free_port()
    env = dict(os.environ, LAGESBILD_STORE=str(tmp_path / "store.sqlite"), LAGESBILD_TILES="none",
               LAGESBILD_USER="webbtestaren", **extra_env)
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
