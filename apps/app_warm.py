"""The warm-up: the starting data's picture built when the server starts, before anyone asks.

``make run`` starts the app through ``apps/serve.py``, which calls :func:`start` before
Streamlit's server: a background thread imports the app's modules (the library, geopandas,
scipy, folium: several seconds) and fills the app's caches for the starting data with the
Karta page's default filter (:func:`app_state.warm_up_map`, then
:func:`app_state.warm_up_rest`), so the first visit finds them
ready. Someone who comes before it is done sees "Bygger lägesbilden …" (:func:`wait`)
instead of an empty page. Started with ``streamlit run apps/lagesbild_app.py`` (AppTest,
the browser tests) there is no warm-up and :func:`wait` does nothing.

This module imports nothing heavy (only Streamlit): the entry script imports it before the
rest of the app.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import runtime

log = logging.getLogger("lagesbild_app")
APP_DIR = Path(__file__).resolve().parent

#: The line the server prints when the warm-up is done (``benchmarks/bench_app_browser.py``
#: waits for it).
READY_LINE = "Lägesbilden är klar"

_started = threading.Event()
_map_ready = threading.Event()  # what the Karta needs up to its map is built
_done = threading.Event()

#: Longest a visitor waits for the warm-up before the page computes what it needs itself.
WAIT_S = 300.0


def start(*, runtime_ready: Callable[[], bool] | None = None) -> threading.Thread:
    """Start the warm-up thread (once per process). ``runtime_ready``: true once Streamlit's
    runtime exists (the caches live in it); by default ``streamlit.runtime.exists``."""
    _started.set()
    # The cyclic garbage collector stays off until the warm-up is done: the imports and
    # the build make some 300 000 objects, over which Python's automatic full collections
    # took 0,2–0,3 s of the first visitor's wait; _freeze_long_lived collects once.
    gc.disable()
    thread = threading.Thread(target=_run, args=(runtime_ready,), name="lagesbild-warm-up", daemon=True)
    thread.start()
    return thread


def _run(runtime_ready: Callable[[], bool] | None) -> None:
    t0 = time.perf_counter()
    held: Any = None  # app_cache, once it holds snapshots back
    try:
        import app_cache
        import app_state  # the app's modules: most of the warm-up's time on a fresh process
        app_cache.defer_writes()  # the warm-start files are written once the map is drawn
        held = app_cache
        # the cached functions run here without a session (Streamlit would warn about that)
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
        ready = runtime_ready or runtime.exists
        while not ready():  # the caches live in the runtime, which the server creates
            time.sleep(0.05)
        # (not streamlit_folium: a component registers itself only when imported in a page)
        what = app_state.warm_up_map()
        _compile_pages()
        # a visitor waiting for the warm-up goes on now: the map is drawn while the trend
        # and the district table are built here (the page waits for those, never builds
        # them twice)
        _map_ready.set()
        app_state.warm_up_rest()
        app_cache.write_deferred()
        _freeze_long_lived()
        secs = f"{time.perf_counter() - t0:.1f}".replace(".", ",")
        print(f"{READY_LINE} ({what}, {secs} s efter start).", flush=True)
    except Exception:  # a page computes what it needs itself, and shows the error in Swedish
        log.exception("The warm-up failed; the first visit computes the picture itself.")
    finally:
        _map_ready.set()
        if held is not None:  # what was computed before a failure is still kept
            try:
                held.write_deferred()
            except Exception:
                log.exception("Could not write the warm-start files.")
        gc.enable()
        _done.set()


def _compile_pages() -> None:
    """Streamlit compiles a page's script on its first run (0,1–0,3 s for the Karta): do it
    now, into the runtime's script cache (an internal of Streamlit: skipped if it moved)."""
    if not runtime.exists():
        return
    cache = getattr(runtime.get_instance(), "_script_cache", None)
    if cache is None:
        return
    for script in (APP_DIR / "lagesbild_app.py", APP_DIR / "app_pages" / "karta.py"):
        cache.get_bytecode(str(script))


def _freeze_long_lived() -> None:
    """Leave what the warm-up made (modules, the starting picture) out of later garbage
    collections (``gc.freeze``). Streamlit runs a full collection after every run of a page
    (``runner.postScriptGC``): over these 200 000 objects that took 0,09 s of a core while
    the browser was drawing the page; without them about 1 ms. What the warm-up made lives
    as long as the server; freed objects are still freed when nothing refers to them.

    The young generations are collected first so that the warm-up's garbage is not frozen
    (the collector was off during the warm-up: everything it made is young; on Exempelkommun
    0,09 s, finding about 5 000 unreachable objects, where a full collection finds none
    more)."""
    gc.collect(1)
    gc.freeze()


def warming() -> bool:
    """True while the warm-up runs (started and not yet done)."""
    return _started.is_set() and not _done.is_set()


def wait() -> None:
    """In a page: while the warm-up builds the map's part, show "Bygger lägesbilden …" and
    wait for it (at most :data:`WAIT_S`), so the page then reads what it built instead of
    building it twice. The rest (the trend, the district table) the page waits for in
    Streamlit's cache if it is still being built."""
    if not warming() or _map_ready.is_set():
        return
    with st.spinner("Bygger lägesbilden (appen har just startat) …", show_time=True):
        _map_ready.wait(WAIT_S)
