"""Where the app keeps things and how it is set up: paths, settings, the measure store.

Settings come from the environment first, then ``.streamlit/secrets.toml``
(section ``[lagesbild]``), then defaults. Nothing here computes anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from lagesbild_geo.measures import MeasureStore, MeasureStoreProtocol
from lagesbild_geo.measures.postgres import is_postgres_url

APP_DIR = Path(__file__).resolve().parent
ROOT = APP_DIR.parent
SAMPLE_DIR = ROOT / "sample_data"
VENDOR_DIR = APP_DIR / "static" / "vendor"
DEFAULT_STORE = ROOT / "lagesbild_data" / "atgarder.sqlite"
DEFAULT_CACHE = ROOT / "lagesbild_data" / "cache"

#: Resolution of the cached full picture; other resolutions are derived from its incidents.
BASE_RESOLUTION = 9

_OFF = ("", "off", "av", "none", "ingen", "0", "false", "nej")


def secret(section: str, key: str, default: Any = None) -> Any:
    """A value from ``st.secrets[section][key]``; ``default`` when there is no secrets file."""
    try:
        sec = st.secrets.get(section)
    except Exception:  # no secrets.toml at all
        return default
    if sec is None:
        return default
    try:
        return sec.get(key, default)
    except AttributeError:
        return default


def store_path() -> str | Path:
    """The measure store: env ``LAGESBILD_STORE``, secrets ``[lagesbild] store``, or the default
    file; a file path or a ``postgresql://`` URL (a server store, with :func:`store_kommun`)."""
    p = os.environ.get("LAGESBILD_STORE") or secret("lagesbild", "store") or DEFAULT_STORE
    return str(p).strip() if is_postgres_url(str(p)) else Path(p)


def store_kommun() -> str | None:
    """The kommun of a server store: env ``LAGESBILD_KOMMUN`` or secrets ``[lagesbild] kommun``."""
    k = os.environ.get("LAGESBILD_KOMMUN") or secret("lagesbild", "kommun")
    return str(k) if k else None


def cache_dir() -> Path | None:
    """Where the starting data's computed picture is kept between restarts (a warm start):
    env ``LAGESBILD_CACHE`` / secrets ``[lagesbild] cache`` / ``lagesbild_data/cache``;
    ``off`` turns it off. Only the starting data (Exempelkommun or ``LAGESBILD_DATA``) is
    kept there, never an upload."""
    raw = os.environ.get("LAGESBILD_CACHE")
    if raw is None:
        raw = secret("lagesbild", "cache")
    if raw is None:
        return DEFAULT_CACHE
    return None if str(raw).strip().lower() in _OFF else Path(str(raw).strip())


#: Session key of the base map remembered for the user between sessions (``app_prefs``).
SAVED_TILES = "saved_tiles"


def tiles_choice() -> str | None:
    """Base map: the user's choice (on the Karta page, or remembered from an earlier
    session), else env ``LAGESBILD_TILES`` / secrets ``[lagesbild] tiles``.

    ``"OpenStreetMap"`` (default), a URL template with ``{z}/{x}/{y}``, or ``None`` ("none").
    """
    chosen = None
    if get_script_run_ctx():  # (the warm-up has no session)
        chosen = st.session_state.get("tiles") or st.session_state.get(SAVED_TILES)
    raw = chosen or os.environ.get("LAGESBILD_TILES") or secret("lagesbild", "tiles") or "OpenStreetMap"
    return None if str(raw).strip().lower() in ("none", "ingen", "") else str(raw)


def base_choice() -> str:
    """The base map by name for ``maps``' ``base=``: the user's choice on the Karta page, else
    env ``LAGESBILD_TILES`` / secrets ``[lagesbild] tiles``, else OpenStreetMap. A name from
    :func:`lagesbild_geo.maps.base_maps` (the kommun's own services in the settings), a tile
    URL with ``{z}/{x}/{y}`` or "ingen"."""
    raw = tiles_choice()
    return "ingen" if raw is None else raw


def tiles_attribution() -> str | None:
    return os.environ.get("LAGESBILD_TILES_ATTR") or secret("lagesbild", "tiles_attribution")


def assets_url() -> str | None:
    """Where the browser gets Leaflet: the app's static folder, or ``None`` (CDN) when missing."""
    needed = ("leaflet/leaflet.js", "leaflet/leaflet.css",
              "leaflet-draw/leaflet.draw.js", "leaflet-draw/leaflet.draw.css")
    if not all((VENDOR_DIR / n).is_file() for n in needed):
        return None
    try:
        base = (st.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:
        base = ""
    return f"/{base}/app/static/vendor" if base else "/app/static/vendor"


# --------------------------------------------------------------------------- the measure store


@st.cache_resource(show_spinner=False)
def _store(path: str, kommun: str | None) -> MeasureStoreProtocol:
    if not is_postgres_url(path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return MeasureStore(path, kommun=kommun)


def store() -> MeasureStoreProtocol:
    """The shared measure store handle (one per store and kommun; safe across users: the
    store locks). Writes pass the signed-in user, so the audit trail names the person."""
    return _store(str(store_path()), store_kommun())


def list_areas(*, include_deleted: bool = False) -> gpd.GeoDataFrame:
    """Saved areas (GeoDataFrame, EPSG:4326); empty when the store has none."""
    return store().list_areas(include_deleted=include_deleted)


def list_measures(*, include_deleted: bool = False) -> pd.DataFrame:
    """Measures (index ``id``), as ``MeasureStore.list_measures``."""
    return store().list_measures(include_deleted=include_deleted)
