"""A coordinator's own choices kept between sessions, per user name (the base map).

They live in a small SQLite file beside the measure store (``preferences.sqlite``; for a
server store in ``lagesbild_data/``): one row per user and key, written in one statement,
so sessions at the same time never lose or half-write a choice. A choice that cannot be
read or kept is only logged: the session goes on with it.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

import streamlit as st
from app_config import SAVED_TILES, store_path

log = logging.getLogger("lagesbild.app")

_BASE_MAP = "base_map"


def prefs_path() -> Path:
    """``preferences.sqlite`` beside a file store, else in ``lagesbild_data/``."""
    p = store_path()
    folder = p.parent if isinstance(p, Path) else Path("lagesbild_data")
    return folder / "preferences.sqlite"


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10)
    con.execute("CREATE TABLE IF NOT EXISTS preferences (user TEXT NOT NULL, key TEXT NOT NULL, "
                "value TEXT NOT NULL, updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, "
                "PRIMARY KEY (user, key))")
    return con


def load(user: str, key: str) -> str | None:
    """The saved value of ``key`` for ``user`` (``None`` when there is none or it cannot be read)."""
    try:
        with contextlib.closing(_connect(prefs_path())) as con:
            row = con.execute("SELECT value FROM preferences WHERE user = ? AND key = ?",
                              (user, key)).fetchone()
    except (OSError, sqlite3.Error):
        log.warning("The preferences could not be read from %s.", prefs_path(), exc_info=True)
        return None
    return str(row[0]) if row else None


def save(user: str, key: str, value: str) -> None:
    """Keep ``value`` of ``key`` for ``user`` (replacing an earlier one)."""
    try:
        with contextlib.closing(_connect(prefs_path())) as con, con:
            con.execute("INSERT INTO preferences (user, key, value) VALUES (?, ?, ?) "
                        "ON CONFLICT (user, key) DO UPDATE SET value = excluded.value, "
                        "updated_at = CURRENT_TIMESTAMP", (user, key, value))
    except (OSError, sqlite3.Error):
        log.warning("The preference %s could not be saved in %s.", key, prefs_path(), exc_info=True)


def remember_base_map(user: str, known: Callable[[], Iterable[str]]) -> None:
    """Once per session: the user's saved base map, for every page's map (only one of the
    ``known()`` names: a service since removed from the settings is forgotten)."""
    if SAVED_TILES not in st.session_state:
        saved = load(user, _BASE_MAP)
        st.session_state[SAVED_TILES] = saved if saved is not None and saved in set(known()) else None


def save_base_map(user: str) -> None:
    """``on_change`` of the Karta's base-map choice: kept for this session and the next."""
    value = st.session_state.get("tiles")
    if value:
        st.session_state[SAVED_TILES] = str(value)
        save(user, _BASE_MAP, str(value))
