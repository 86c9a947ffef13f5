"""Shared state and cached library calls of the lägesbild app.

Pages call these helpers; no page does data work itself. Rules kept here:

- ``st.cache_data`` (bounded ``max_entries``) on pure library calls, keyed on file
  content hashes and parameters (never on an object excluded from the key);
- ``st.cache_resource`` only for the measure store handle (one per store file);
- per-user choices in ``st.session_state``; nothing that must persist lives there
  (areas and measures are in the store);
- errors become friendly Swedish messages (:func:`show_error`), never a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from lagesbild_geo import maps
from lagesbild_geo._spreadsheet import neutralise_formulas
from lagesbild_geo.errors import (
    ConflictError,
    CRSError,
    GeocodeError,
    InputError,
    LagesbildError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from lagesbild_geo.measures import MeasureStore, MeasureStoreProtocol
from lagesbild_geo.measures.postgres import is_postgres_url
from lagesbild_geo.pipeline import Lagesbild
from lagesbild_geo.privacy import FREE_TEXT_FIELDS, hidden_kind, protect_table, publishable
from lagesbild_geo.schema import CATEGORIES, CATEGORY_LABELS

log = logging.getLogger("lagesbild_app")

APP_DIR = Path(__file__).resolve().parent
ROOT = APP_DIR.parent
SAMPLE_DIR = ROOT / "sample_data"
VENDOR_DIR = APP_DIR / "static" / "vendor"
DEFAULT_STORE = ROOT / "lagesbild_data" / "atgarder.sqlite"

#: Resolution of the cached full picture; other resolutions are derived from its incidents.
BASE_RESOLUTION = 9

ROLE_EDITOR = "redaktör"
ROLE_READER = "läsare"

WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=])")


def md_escape(text: object) -> str:
    """Text to put into ``st.markdown`` as it is: names other people typed (areas, user
    names) must not turn into links, images, colours or emphasis for everyone else.

    Streamlit already escapes HTML in markdown; this escapes the markdown itself.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def category_label(cat: str) -> str:
    """Swedish label of a category id."""
    return CATEGORY_LABELS.get(cat, cat)


# --------------------------------------------------------------------------- settings


def _secret(section: str, key: str, default: Any = None) -> Any:
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
    p = os.environ.get("LAGESBILD_STORE") or _secret("lagesbild", "store") or DEFAULT_STORE
    return str(p).strip() if is_postgres_url(str(p)) else Path(p)


def store_kommun() -> str | None:
    """The kommun of a server store: env ``LAGESBILD_KOMMUN`` or secrets ``[lagesbild] kommun``."""
    k = os.environ.get("LAGESBILD_KOMMUN") or _secret("lagesbild", "kommun")
    return str(k) if k else None


def tiles_choice() -> str | None:
    """Base map: env ``LAGESBILD_TILES`` / secrets ``[lagesbild] tiles`` / the user's choice.

    ``"OpenStreetMap"`` (default), a URL template with ``{z}/{x}/{y}``, or ``None`` ("none").
    """
    chosen = st.session_state.get("tiles")
    raw = chosen or os.environ.get("LAGESBILD_TILES") or _secret("lagesbild", "tiles") or "OpenStreetMap"
    return None if str(raw).strip().lower() in ("none", "ingen", "") else str(raw)


def tiles_attribution() -> str | None:
    return os.environ.get("LAGESBILD_TILES_ATTR") or _secret("lagesbild", "tiles_attribution")


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


# --------------------------------------------------------------------------- access


@dataclass(frozen=True)
class Access:
    """Who is using the app and what they may do."""

    user: str
    role: str
    open_mode: bool
    #: Reachable from the network without sign-in: read-only until sign-in is set up.
    network: bool = False

    @property
    def can_edit(self) -> bool:
        return self.role == ROLE_EDITOR


class SignInThrottle:
    """Failed sign-ins per user name: a growing wait, then a temporary lock.

    Shared by every session of the app (one instance behind ``st.cache_resource``), so a
    new browser tab or a rerun does not reset it. After ``free`` failures for a name each
    new attempt must wait 1, 2, 4 … seconds (at most ``max_wait_s``) after the last one;
    after ``lock_after`` failures within ``window_s`` the name is locked for ``lock_s``.
    Failures over all names together also slow every attempt down (someone trying many
    names). A successful sign-in clears the name. Every failure and lock is logged.
    Names are compared without case or surrounding spaces (å, ä, ö stay letters).

    Examples
    --------
    >>> t = SignInThrottle(clock=lambda: 100.0)
    >>> [t.failure("Lisa") for _ in range(2)][-1], t.wait_s("lisa")
    (2, 0.0)
    >>> t.failure("Lisa"), t.wait_s(" LISA ")
    (3, 1.0)
    >>> t.failure("Lisa"), t.wait_s("Lisa")
    (4, 2.0)
    """

    def __init__(self, *, free: int = 3, lock_after: int = 10, window_s: float = 900.0,
                 lock_s: float = 900.0, max_wait_s: float = 60.0, global_free: int = 30,
                 clock: Any = None) -> None:
        self.free, self.lock_after, self.window_s = free, lock_after, window_s
        self.lock_s, self.max_wait_s, self.global_free = lock_s, max_wait_s, global_free
        self.clock = clock or time.time
        self._lock = threading.Lock()
        self._fails: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._all: list[float] = []

    @staticmethod
    def key(name: str) -> str:
        return " ".join(str(name).split()).casefold()

    def _recent(self, times: list[float], now: float) -> list[float]:
        return [t for t in times if now - t < self.window_s]

    def wait_s(self, name: str) -> float:
        """Seconds before ``name`` may try again (0: now; the lock's remainder when locked)."""
        with self._lock:
            now = self.clock()
            k = self.key(name)
            until = self._locked_until.get(k, 0.0)
            if until > now:
                return until - now
            fails = self._recent(self._fails.get(k, []), now)
            wait = 0.0
            if len(fails) >= self.free:
                step = min(self.max_wait_s, 2.0 ** (len(fails) - self.free))
                wait = fails[-1] + step - now
            every = self._recent(self._all, now)
            if len(every) > self.global_free:
                step = min(self.max_wait_s, 2.0 ** ((len(every) - self.global_free) // 5))
                wait = max(wait, every[-1] + step - now)
            return max(0.0, wait)

    def is_locked(self, name: str) -> bool:
        with self._lock:
            return self._locked_until.get(self.key(name), 0.0) > self.clock()

    def failure(self, name: str) -> int:
        """Record a failed sign-in; returns the failures of that name within the window."""
        with self._lock:
            now = self.clock()
            k = self.key(name)
            fails = [*self._recent(self._fails.get(k, []), now), now]
            self._fails[k] = fails
            self._all = [*self._recent(self._all, now), now]
            if len(fails) >= self.lock_after:
                self._locked_until[k] = now + self.lock_s
                self._fails[k] = []
                log.warning("Sign-in for %r locked for %.0f min after %d failed attempts.",
                            name, self.lock_s / 60, len(fails))
            else:
                log.warning("Failed sign-in for %r (%d within %.0f min).", name, len(fails),
                            self.window_s / 60)
            return len(fails)

    def success(self, name: str) -> None:
        with self._lock:
            k = self.key(name)
            self._fails.pop(k, None)
            self._locked_until.pop(k, None)


@st.cache_resource(show_spinner=False)
def sign_in_throttle() -> SignInThrottle:
    """The app's one :class:`SignInThrottle` (shared by every session)."""
    return SignInThrottle()


_LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")


def listening_address() -> str:
    """The address the app listens on (``server.address``; empty: every interface)."""
    try:
        return str(st.get_option("server.address") or "").strip()
    except Exception:
        return ""


def local_only() -> bool:
    """True when only this computer can reach the app (``server.address`` is a loopback
    address, as ``make run`` and ``.streamlit/config.toml`` set by default)."""
    addr = listening_address()
    return addr in _LOCAL_ADDRESSES or addr.startswith("127.")


def _passwords() -> dict[str, str]:
    """``{role: password}`` from ``st.secrets["lagesbild"]["passwords"]``; empty when not configured."""
    pw = _secret("lagesbild", "passwords")
    if not pw:
        return {}
    try:
        items = dict(pw)
    except (TypeError, ValueError):
        return {}
    return {str(k): str(v) for k, v in items.items() if k in (ROLE_EDITOR, ROLE_READER) and v}


def _oidc_configured() -> bool:
    """True when the platform's OIDC login (``[auth]`` in secrets, ``st.login``) is set up."""
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def _oidc_access() -> Access:
    """Sign-in through the platform's identity provider; editors are listed by e-mail."""
    user = st.user
    if not getattr(user, "is_logged_in", False):
        st.title("Lägesbild – logga in")
        st.write("Logga in med ditt konto i organisationen.")
        st.button("Logga in", on_click=st.login, type="primary")
        st.stop()
    email = str(user.get("email") or "")
    name = str(user.get("name") or email or "okänd")
    editors = {str(e).lower() for e in (_secret("lagesbild", "editors") or [])}
    return Access(user=name, role=ROLE_EDITOR if email.lower() in editors else ROLE_READER,
                  open_mode=False)


def access() -> Access:
    """Sign-in when passwords (or the platform's OIDC login) are configured; otherwise the
    open local mode, which may edit only when the app listens on this computer alone
    (``server.address`` 127.0.0.1). Reachable from the network without sign-in, the app
    is read-only and says how to set up sign-in.

    Stops the script (after showing the sign-in form) until the user is signed in.
    """
    pw = _passwords()
    if not pw and _oidc_configured():
        return _oidc_access()
    if not pw:
        user = os.environ.get("LAGESBILD_USER", "lokal användare")
        if not local_only():
            return Access(user=user, role=ROLE_READER, open_mode=True, network=True)
        return Access(user=user, role=ROLE_EDITOR, open_mode=True)
    signed = st.session_state.get("access")
    if isinstance(signed, Access):
        return signed
    st.title("Lägesbild – logga in")
    with st.form("login"):
        name = st.text_input("Ditt namn (visas i ändringshistoriken)")
        password = st.text_input("Lösenord", type="password")
        ok = st.form_submit_button("Logga in")
    if ok:
        throttle = sign_in_throttle()
        wait = throttle.wait_s(name) if name.strip() else 0.0
        if not name.strip():
            st.error("Skriv ditt namn: det sparas i ändringshistoriken när du ändrar något.")
        elif wait > 0 and throttle.is_locked(name):
            log.warning("Sign-in attempt for %r while locked.", name)
            st.error(f"Inloggningen för {name.strip()} är spärrad i {max(1, round(wait / 60))} "
                     "minut(er) efter för många felaktiga lösenord. Försök igen senare, och "
                     "kontakta den som administrerar appen om det inte var du.")
        elif wait > 0:
            log.warning("Sign-in attempt for %r too soon after failures.", name)
            st.error(f"För många felaktiga försök. Vänta {max(1, round(wait))} sekund(er) innan "
                     "du försöker igen.")
        else:
            roles = [r for r, p in pw.items()
                     if hmac.compare_digest(password.encode(), p.encode())]
            role = roles[0] if roles else None
            if role is None:
                n = throttle.failure(name)
                left = throttle.lock_after - n
                st.error("Fel lösenord. Fråga den som administrerar appen om lösenordet för din "
                         "roll." + (f" Efter {left} försök till spärras inloggningen en stund."
                                    if 0 < left <= 5 else ""))
            else:
                throttle.success(name)
                log.info("Signed in: %r as %s.", name.strip(), role)
                acc = Access(user=name.strip(), role=role, open_mode=False)
                st.session_state["access"] = acc
                st.rerun()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def sidebar_status(acc: Access) -> None:
    """Who is signed in, the data in use, and the base map choice (sidebar)."""
    with st.sidebar:
        if acc.open_mode and acc.network:
            st.warning(NETWORK_READ_ONLY, icon=":material/lock:")
        elif acc.open_mode:
            st.info("Du arbetar i lokalt läge: appen nås bara från den här datorn och du behöver "
                    "inte logga in. Dina ändringar sparas i ändringshistoriken som "
                    f"”{acc.user}”. Ska kollegor kunna använda appen via nätverket behöver "
                    "inloggning ordnas först (se docs/app.md).", icon=":material/computer:")
        else:
            st.caption(f"Inloggad: **{acc.user}** ({acc.role})")
            if st.button("Logga ut"):
                st.session_state.pop("access", None)
                if _oidc_configured() and not _passwords():
                    st.logout()
                st.rerun()
        st.caption(f"Data: {data_label()}")
        if assets_url() is None:
            st.caption("Kartans skript hämtas från internet (kör `make static` för att lägga dem i appen).")


#: Why an app on the network without sign-in cannot edit, and how to fix it.
NETWORK_READ_ONLY = (
    "Appen kan nås från andra datorer i nätverket men ingen inloggning är inställd, så den "
    "är skrivskyddad: du kan titta och ladda ner men inte ändra områden och åtgärder. "
    "För att kunna ändra: lägg ett lösenord per roll i `.streamlit/secrets.toml` "
    "(`[lagesbild.passwords]` med \"redaktör\" och \"läsare\") eller ställ in organisationens "
    "inloggning (OIDC, `[auth]`), och starta om appen. Arbetar du ensam räcker det att "
    "starta appen med `make run`, som bara lyssnar på den här datorn. Se docs/app.md."
)


def require_editor(acc: Access) -> bool:
    """True when the user may edit; shows a notice otherwise."""
    if not acc.can_edit and acc.network:
        st.info(NETWORK_READ_ONLY, icon=":material/lock:")
    elif not acc.can_edit:
        st.info("Du är inloggad som läsare: du kan titta och ladda ner men inte ändra.", icon=":material/visibility:")
    return acc.can_edit


# --------------------------------------------------------------------------- errors


def error_text(exc: BaseException) -> str:
    """A Swedish, actionable message for an exception."""
    if isinstance(exc, ValidationError):
        return "Det gick inte, eftersom:\n\n" + problems_text(exc.problems)
    if isinstance(exc, ConflictError):
        who, when = getattr(exc, "changed_by", None), getattr(exc, "changed_at", None)
        by = f" ({who}, {str(when).replace('T', ' ')[:16]} UTC)" if who and when else ""
        return (f"Någon annan har sparat ändringar i samma post efter att du öppnade den{by}. "
                "Ladda om sidan för att se den senaste versionen och gör sedan din ändring igen.")
    if isinstance(exc, NotFoundError):
        return "Posten finns inte längre (den kan ha tagits bort). Ladda om sidan."
    if isinstance(exc, InputError | CRSError | GeocodeError):
        return ("Filen kunde inte användas som den är. Kontrollera att det är rätt fil och att "
                "den har en rubrikrad med kolumnnamn; rätta kolumnerna på sidan Data om de "
                f"kändes igen fel.\n\nBeskrivning (på engelska): {exc}")
    if isinstance(exc, StoreError):
        return ("Åtgärdsregistret kunde inte läsas eller skrivas; inget har ändrats. Försök igen om "
                "en stund och kontakta den som administrerar appen om felet kvarstår.\n\n"
                f"Beskrivning (på engelska): {exc}")
    if isinstance(exc, LagesbildError):
        return f"{exc}\n\nFörsök igen, eller kontakta den som administrerar appen."
    return ("Något gick fel och åtgärden avbröts; inget har sparats till hälften. "
            "Försök igen, och kontakta den som administrerar appen om felet kvarstår "
            f"(teknisk uppgift: {type(exc).__name__}).")


def show_error(exc: BaseException, what: str = "") -> None:
    """Show ``exc`` as a friendly Swedish error (never a traceback); log the details."""
    if not isinstance(exc, LagesbildError):
        log.exception("Unexpected error in the app: %s", what)
    st.error((f"**{what}**\n\n" if what else "") + error_text(exc), icon=":material/error:")


@contextlib.contextmanager
def friendly_errors(what: str) -> Iterator[None]:
    """``with friendly_errors("Kunde inte läsa filen"):`` shows errors in Swedish and continues."""
    try:
        yield
    except ScriptControlException:  # st.rerun() / st.stop() must pass through
        raise
    except Exception as exc:
        show_error(exc, what)


# --------------------------------------------------------------------------- store


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
    s = store()
    return s.list_areas(include_deleted=include_deleted)


def list_measures(*, include_deleted: bool = False) -> pd.DataFrame:
    """Measures (index ``id``), as ``MeasureStore.list_measures``."""
    return store().list_measures(include_deleted=include_deleted)


# --------------------------------------------------------------------------- data sources


@dataclass(frozen=True)
class Source:
    """One input file: its role, where it is, and its content hash (the cache key)."""

    kind: str  # incidents | districts | gazetteer | survey | pins | boundary
    path: str
    sha256: str
    name: str
    options: tuple[tuple[str, Any], ...] = field(default=())


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_EXAMPLE_FILES: tuple[tuple[str, str], ...] = (
    ("incidents", "incidents_polis.xlsx"),
    ("incidents", "incidents_kommun.csv"),
    ("districts", "districts.geojson"),
    ("boundary", "kommun.geojson"),
    ("gazetteer", "gazetteer.csv"),
    ("survey", "survey_trygghet.csv"),
    ("pins", "survey_pins.geojson"),
)


@st.cache_data(max_entries=8, show_spinner=False)
def _hash_cached(path: str, mtime: float, size: int) -> str:
    return file_hash(path)


def _source(kind: str, path: Path, **options: Any) -> Source:
    stat = path.stat()
    return Source(kind=kind, path=str(path), sha256=_hash_cached(str(path), stat.st_mtime, stat.st_size),
                  name=path.name, options=tuple(sorted(options.items())))


def column_choice(src: Source) -> dict[str, str]:
    """The user's corrected column mapping of a file (role → column); empty: recognised."""
    return dict(next((v for k, v in src.options if k == "columns"), ()))


def example_dir() -> Path:
    """The starting data: env ``LAGESBILD_DATA`` (a folder laid out like ``sample_data/``)
    or Exempelkommun."""
    return Path(os.environ.get("LAGESBILD_DATA") or SAMPLE_DIR)


def example_sources() -> tuple[Source, ...]:
    """The files of :func:`example_dir` (Exempelkommun); empty when they are missing."""
    d = example_dir()
    return tuple(_source(kind, d / name) for kind, name in _EXAMPLE_FILES if (d / name).is_file())


def sources() -> tuple[Source, ...]:
    """The files the user works with now (Exempelkommun until they upload their own)."""
    chosen = st.session_state.get("sources")
    if chosen is None:
        return example_sources()
    return tuple(chosen)


def data_label() -> str:
    if st.session_state.get("sources") is None:
        if os.environ.get("LAGESBILD_DATA"):
            return f"filerna i {example_dir()}"
        return "Exempelkommun (exempeldata)"
    names = [s.name for s in sources() if s.kind == "incidents"]
    return ", ".join(names) or "inga händelsefiler"


def use_example() -> None:
    st.session_state.pop("sources", None)


#: Uploads older than this are deleted even when their session still looks active.
UPLOAD_MAX_AGE_S = 24 * 3600
_CLEANUP_EVERY_S = 600


def upload_root() -> Path:
    """Where uploaded files are kept, one folder per session: env ``LAGESBILD_UPLOADS`` or
    ``lagesbild_uploads-<user id>`` in the system's temporary folder."""
    env = os.environ.get("LAGESBILD_UPLOADS")
    if env:
        return Path(env)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"lagesbild_uploads-{uid}"


def _own_folder(path: Path) -> bool:
    """A real folder of ours (not a symlink or another user's folder in a shared /tmp)."""
    try:
        st_ = path.lstat()
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st_.st_uid == os.getuid()
    return stat.S_ISDIR(st_.st_mode) and mine


def _session_id() -> str:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is not None and ctx.session_id:
            return "".join(ch for ch in str(ctx.session_id) if ch.isalnum() or ch == "-")
    except Exception:  # no runtime (tests, bare mode)
        pass
    return str(st.session_state.setdefault("_upload_session", os.urandom(8).hex()))


def _session_is_active(session_id: str) -> bool | None:
    """True/False from Streamlit's runtime; None when it cannot tell (AppTest, bare mode)."""
    try:
        from streamlit import runtime

        if not runtime.exists():
            return None
        return bool(runtime.get_instance().is_active_session(session_id))
    except Exception:
        return None


def cleanup_uploads(root: Path | None = None, *, max_age_s: float = UPLOAD_MAX_AGE_S,
                    keep: str | None = None, now: float | None = None) -> list[Path]:
    """Delete the upload folders of sessions that have ended, and any older than a day.

    Also removes the per-session temporary folders older versions of the app left
    (``lagesbild_upload_*`` in the temporary folder) once they are a day old. Returns
    what was deleted.
    """
    root = upload_root() if root is None else root
    now = time.time() if now is None else now
    gone: list[Path] = []
    candidates: list[tuple[Path, bool]] = []
    if _own_folder(root):
        candidates += [(d, True) for d in root.iterdir() if d.is_dir()]
    legacy = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        candidates += [(d, False) for d in legacy.glob("lagesbild_upload_*") if d.is_dir()]
    for d, per_session in candidates:
        if keep is not None and d.name == keep:
            continue
        try:
            age = now - d.stat().st_mtime
        except OSError:
            continue
        ended = per_session and _session_is_active(d.name) is False
        if age > max_age_s or (ended and age > 60):
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    if gone:
        log.info("Deleted %d upload folder(s) of ended or day-old sessions.", len(gone))
    return gone


@st.cache_resource(show_spinner=False)
def _cleanup_clock() -> dict[str, float]:
    return {"last": 0.0}


def cleanup_uploads_now_and_then() -> None:
    """Run :func:`cleanup_uploads` at app start and then at most every ten minutes."""
    clock = _cleanup_clock()
    now = time.time()
    if now - clock.get("last", 0.0) < _CLEANUP_EVERY_S:
        return
    clock["last"] = now
    with contextlib.suppress(OSError):
        cleanup_uploads(keep=_session_id(), now=now)


def _upload_dir() -> Path:
    d = st.session_state.get("upload_dir")
    if not d or not Path(d).is_dir():
        root = upload_root()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if _own_folder(root):
            path = root / _session_id()
            path.mkdir(exist_ok=True, mode=0o700)
        else:  # someone else's folder of that name: a private one instead
            path = Path(tempfile.mkdtemp(prefix="lagesbild_upload_"))
        d = str(path)
        st.session_state["upload_dir"] = d
    with contextlib.suppress(OSError):
        os.utime(d)  # in use: not a day-old folder
    return Path(d)


def save_upload(name: str, data: bytes, kind: str, **options: Any) -> Source:
    """Write an uploaded file to this session's folder (named by content) and describe it."""
    sha = hashlib.sha256(data).hexdigest()
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(name).name) or "fil"
    path = _upload_dir() / f"{sha[:16]}_{safe}"
    if not path.exists():
        path.write_bytes(data)
    return Source(kind=kind, path=str(path), sha256=sha, name=name,
                  options=tuple(sorted(options.items())))


def set_sources(new: Sequence[Source]) -> None:
    st.session_state["sources"] = tuple(new)


# --------------------------------------------------------------------------- the lägesbild


@st.cache_data(max_entries=4, show_spinner="Beräknar lägesbilden …")
def _build(srcs: tuple[Source, ...], resolution: int) -> Lagesbild:
    from lagesbild_geo.pipeline import build_lagesbild

    return build_lagesbild(_pipeline_config(srcs, resolution))


def _pipeline_config(srcs: tuple[Source, ...], resolution: int) -> Any:
    """The pipeline configuration for the chosen files (every date; see :func:`view` for filters)."""
    from lagesbild_geo.pipeline import PipelineConfig, SourceConfig

    def first(kind: str) -> str | None:
        return next((s.path for s in srcs if s.kind == kind), None)

    incidents = []
    for s in srcs:
        if s.kind != "incidents":
            continue
        incidents.append(SourceConfig(path=s.path, name=s.name, columns=column_choice(s) or None))
    if not incidents:
        raise InputError("Det finns ingen händelsefil. Ladda upp en på sidan Data eller använd "
                         "Exempelkommun.")
    example = all(Path(s.path).parent == example_dir() for s in srcs)
    return PipelineConfig(
        incidents=tuple(incidents),
        kommun_name="Exempelkommun" if example and example_dir() == SAMPLE_DIR else None,
        districts=first("districts"),
        gazetteer=first("gazetteer"),
        survey=first("survey"),
        pins=first("pins"),
        boundary=first("boundary"),
        resolution=resolution,
    )


def lagesbild(*, resolution: int = 9) -> Lagesbild | None:
    """The lägesbild of the current sources (cached); ``None`` after showing an error."""
    srcs = sources()
    if not srcs:
        st.warning("Exempeldata saknas (mappen sample_data/). Kör `make sample` eller ladda upp egna "
                   "filer på sidan Data.")
        return None
    try:
        return _build(srcs, resolution)
    except ScriptControlException:
        raise
    except Exception as exc:
        show_error(exc, "Lägesbilden kunde inte beräknas")
        return None


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the picture to on the map page."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    categories: tuple[str, ...] = ()
    hours: tuple[int, int] = (0, 24)
    weekdays: tuple[int, ...] = ()
    resolution: int = 9

    @property
    def is_default(self) -> bool:
        """No narrowing (the resolution may still differ from the base picture's)."""
        return (self.start is None and self.end is None and not self.categories
                and self.hours == (0, 24) and not self.weekdays)


@st.cache_data(max_entries=16, show_spinner="Uppdaterar kartan …")
def _view(srcs: tuple[Source, ...], filters: Filters) -> tuple[Lagesbild, Lagesbild, dict[str, Any]]:
    import dataclasses

    base = _build(srcs, BASE_RESOLUTION)
    same = filters.is_default and filters.resolution == base.settings.resolution
    lb = base if same else filtered_lagesbild(base, filters)
    # Every figure shown comes from the publishing step (the map, the table, the headline).
    pub = publishable(lb)
    # The map page needs aggregates only: leave the incident rows out of the cached
    # value (cache_data unpickles a copy on every rerun; the rows were 3/4 of it).
    light = dataclasses.replace(lb, incidents=lb.incidents.iloc[0:0], rejected=lb.rejected.iloc[0:0],
                                pending=lb.pending.iloc[0:0])
    return pub, light, headline(pub)


def filter_mask(incidents: pd.DataFrame, filters: Filters) -> Any:
    """Boolean mask of the incidents the filters keep (period, categories, hours, weekdays)."""

    keep = np.ones(len(incidents), dtype=bool)
    t = incidents.get("occurred_at")
    if t is not None and filters.start is not None:
        keep &= (t >= filters.start.tz_localize(t.dt.tz)).to_numpy(dtype=bool, na_value=False)
    if t is not None and filters.end is not None:
        end = (filters.end + pd.Timedelta(days=1)).tz_localize(t.dt.tz)
        keep &= (t < end).to_numpy(dtype=bool, na_value=False)
    if filters.categories:
        keep &= incidents["category"].isin(list(filters.categories)).to_numpy(dtype=bool, na_value=False)
    if t is not None and filters.hours != (0, 24):
        h = t.dt.hour.to_numpy(dtype="float64", na_value=np.nan)
        lo, hi = filters.hours
        keep &= (h >= lo) & (h < hi) if lo <= hi else (h >= lo) | (h < hi)
    if t is not None and filters.weekdays:
        keep &= t.dt.day_of_week.isin(list(filters.weekdays)).to_numpy(dtype=bool, na_value=False)
    return keep


def filtered_lagesbild(base: Lagesbild, filters: Filters) -> Lagesbild:
    """The picture of the incidents the filters keep: cells, Gi*, clusters and the district
    table recomputed with the library's own steps (the same ones ``build_lagesbild`` runs);
    emerging hotspots stay those of every date (a trend needs the whole time line)."""
    import dataclasses

    from lagesbild_geo import grid, hotspots
    from lagesbild_geo.districts import summarize

    s = base.settings.replace(resolution=filters.resolution)
    inc = base.incidents.loc[filter_mask(base.incidents, filters)]
    cells = grid.count_cells(inc, resolution=s.resolution, by="category", fill=True, rings=s.rings)
    hot = (hotspots.gistar(cells, "count", rings=s.rings, alpha=s.alpha, correction=s.correction)
           if len(cells) else cells.copy())
    clusters = base.clusters.iloc[0:0]
    if len(inc):
        clusters = hotspots.clusters(inc)
    districts, summary = base.districts, base.district_summary
    if len(base.districts):
        period = None
        if filters.start is not None or filters.end is not None:
            t = base.incidents["occurred_at"]
            lo = filters.start if filters.start is not None else t.min().tz_localize(None).normalize()
            hi = filters.end if filters.end is not None else t.max().tz_localize(None).normalize()
            period = (lo.date().isoformat(), hi.date().isoformat())
        geo = base.districts[["district_name", "population", "geometry"]]
        survey = base.survey.get("districts")
        # summarize applies the period itself (and counts the period before it)
        all_dates = dataclasses.replace(filters, start=None, end=None)
        inc_all_dates = base.incidents.loc[filter_mask(base.incidents, all_dates)]
        summary = summarize(
            inc_all_dates, geo, period=period, previous_period="previous" if period else None,
            survey=pd.DataFrame(survey).drop(columns="geometry", errors="ignore") if survey is not None else None,
            hotspots=hot if len(hot) else None, alpha=s.alpha)
        rows = summary.loc[summary["row_type"] == "district"].drop(columns=["district_name", "population"])
        districts = geo.join(rows)
    emerging = base.emerging
    if s.resolution != base.settings.resolution:
        emerging = base.emerging.iloc[0:0]  # a trend per cell exists at the base resolution only
    return dataclasses.replace(base, incidents=inc, cells=cells, hotspots=hot, clusters=clusters,
                               emerging=emerging, districts=districts, district_summary=summary,
                               settings=s)


@st.cache_data(max_entries=8, show_spinner=False)
def _span(srcs: tuple[Source, ...]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    return period_bounds(_build(srcs, BASE_RESOLUTION))


def data_span() -> tuple[pd.Timestamp, pd.Timestamp] | bool | None:
    """First and last incident day of the current data (cached: cheap on every rerun);
    ``False`` after showing why the data could not be read."""
    srcs = sources()
    if not srcs:
        st.warning("Exempeldata saknas (mappen sample_data/). Kör `make sample` eller ladda upp egna "
                   "filer på sidan Data.")
        return False
    try:
        return _span(srcs)
    except ScriptControlException:
        raise
    except Exception as exc:
        show_error(exc, "Lägesbilden kunde inte beräknas")
        return False


def view(filters: Filters) -> tuple[Lagesbild, Lagesbild, dict[str, Any]] | None:
    """The map page's picture narrowed by ``filters``: published (what may be shown), the
    unpublished aggregates (only for "show small numbers"; no incident rows) and the
    published headline figures; cached per filter combination."""
    if not sources():
        return None
    try:
        return _view(sources(), filters)
    except ScriptControlException:
        raise
    except Exception as exc:
        show_error(exc, "Filtret kunde inte användas")
        return None


def period_bounds(lb: Lagesbild) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last incident day of a lägesbild (for the period filter)."""
    t = lb.incidents.get("occurred_at") if len(lb.incidents) else None
    if t is None or t.dropna().empty:
        return None
    return t.min().normalize(), t.max().normalize()


def _level_counts(summary: pd.DataFrame) -> dict[str, int | None]:
    """Rows in a district / only at stadsdel level / only at kommun level, from the (published)
    district table's level rows: ``None`` where the publishing step hid the value."""
    out: dict[str, int | None] = {"in_district": None, "stadsdel_level": 0, "kommun_level": 0}
    if summary is None or not len(summary) or "row_type" not in summary.columns:
        return out
    kinds = summary["row_type"].astype(str)

    def total(mask: pd.Series) -> int | None:
        v = pd.to_numeric(summary.loc[mask, "total"], errors="coerce")
        return None if v.isna().any() else int(v.sum())

    out["in_district"] = total(kinds == "district")
    out["stadsdel_level"] = total(kinds == "stadsdel")
    out["kommun_level"] = total(kinds == "kommun")
    return out


def headline(lb: Lagesbild) -> dict[str, Any]:
    """The figures shown above the map, from a published picture (``incidents`` is ``None``
    when the total is hidden, e.g. a filter that leaves fewer than ``min_count``)."""
    hs = lb.hotspots
    cls = hs["hotspot_class"].astype(str) if len(hs) and "hotspot_class" in hs else pd.Series([], dtype=str)
    tot = (lb.tables or {}).get("totals")
    incidents: int | None = len(lb.incidents)
    if tot is not None and len(tot):
        v = tot["count"].iloc[0]
        incidents = None if pd.isna(v) else int(v)
    return {
        "incidents": incidents,
        **_level_counts(lb.district_summary),
        "hot": int(cls.str.startswith("hot").sum()),
        "cold": int(cls.str.startswith("cold").sum()),
        "clusters": len(lb.clusters),
        "rejected": len(lb.rejected),
    }


# --------------------------------------------------------------------------- maps


def _saved_areas(layers: Sequence[str]) -> gpd.GeoDataFrame | None:
    """The saved areas when the "areas" layer is asked for; a friendly error (and no
    layer) when the store cannot be read."""
    if "areas" not in layers:
        return None
    try:
        return list_areas()
    except ScriptControlException:
        raise
    except Exception as exc:
        show_error(exc, "Sparade områden kunde inte läsas")
        return None


def make_map(lb: Lagesbild, *, layers: Sequence[str], draw: bool = False,
             category: str | None = None, district_measure: str = "count",
             with_areas: bool = True) -> folium.Map:
    """The lägesbild map with the app's settings (local scripts, tile choice, saved areas)."""
    areas = _saved_areas(layers) if with_areas else None
    return maps.lagesbild_map(
        lb, layers=tuple(layers), areas=areas, draw=draw, category=category,
        district_measure=district_measure, tiles=tiles_choice(),
        attribution=tiles_attribution(), assets=assets_url(), height=560,
    )


def make_map_parts(lb: Lagesbild, *, layers: Sequence[str], category: str | None = None,
                   district_measure: str = "count") -> maps.MapParts:
    """Base map and data layers apart: the page keeps the base map in the browser and swaps
    only the layers when a filter changes (the user's zoom and position stay)."""
    areas = _saved_areas(layers)
    return maps.map_parts(
        lb, layers=tuple(layers), areas=areas, category=category,
        district_measure=district_measure, tiles=tiles_choice(),
        attribution=tiles_attribution(), assets=assets_url(), height=560,
    )


def measures_or_stop(error_title: str, empty_text: str) -> pd.DataFrame:
    """The store's measures; stops the page with a friendly message when there are none
    or the store cannot be read."""
    measures = None
    with friendly_errors(error_title):
        measures = list_measures()
    if measures is None:
        st.stop()
    if len(measures) == 0:
        st.info(empty_text)
        st.stop()
    return measures


def levels_caption(fig: dict[str, Any]) -> str | None:
    """"1 071 händelser, varav 412 placerade på område …" when some rows are known only at
    stadsdel or kommun level (the police feed); None when every row is in a district."""
    if not (fig.get("kommun_level") or fig.get("stadsdel_level")):
        return None

    def n(v: int | None) -> str:
        return "(dolt)" if v is None else f"{v:,}".replace(",", " ")

    return (f"{n(fig['incidents'])} händelser, varav {n(fig['in_district'])} placerade på område, "
            f"{n(fig['stadsdel_level'])} bara på stadsdelsnivå och {n(fig['kommun_level'])} bara på "
            "kommunnivå. Händelser som bara är kända på kommun- eller stadsdelsnivå ritas inte in i "
            "något område; de står på egna rader i distriktstabellen.")


def picture_notes(lb: Lagesbild) -> list[str]:
    """Swedish notes on what the picture cannot show (e.g. only kommun-level positions)."""
    from lagesbild_geo.schema import POINT_PRECISIONS

    notes = list((lb.metadata or {}).get("notes_sv", []))
    inc = lb.incidents
    if len(inc) and "precision" in inc.columns and not inc["precision"].isin(POINT_PRECISIONS).any():
        text = ("Ingen händelse har en punkt- eller adressposition (till exempel bara polisens "
                "händelseflöde, vars positioner är kommunens mitt): hexagoner, hotspots och kluster "
                "blir tomma; distriktstabellen räknar rader efter namn.")
        if text not in notes:
            notes.append(text)
    return notes


def zones_map(result: Any) -> folium.Map:
    """The follow-up's zones on a small map, with the app's tiles and local scripts."""
    return maps.zones_map(result.zones, tiles=tiles_choice(), attribution=tiles_attribution(),
                          assets=assets_url())


def layer_control() -> folium.LayerControl:
    return folium.LayerControl(collapsed=True)


def empty_lagesbild() -> Lagesbild:
    """A picture with nothing in it (the drawing map still works without data)."""
    e = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    return Lagesbild(incidents=pd.DataFrame(), rejected=pd.DataFrame(), reports={}, cells=e,
                     hotspots=e, clusters=e, emerging=e, districts=e,
                     district_summary=pd.DataFrame())


def drawn_feature(result: Any) -> dict[str, Any] | None:
    """The last drawn polygon from ``st_folium``'s return value (or ``None``)."""
    if not isinstance(result, dict):
        return None
    feat = result.get("last_active_drawing")
    if not feat:
        drawings = result.get("all_drawings") or []
        feat = drawings[-1] if drawings else None
    if not isinstance(feat, dict):
        return None
    geom = feat.get("geometry") or {}
    if geom.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    return feat


__all__ = [
    "CATEGORIES",
    "ROLE_EDITOR",
    "ROLE_READER",
    "WEEKDAYS_SV",
    "Access",
    "Filters",
    "Source",
    "access",
    "assets_url",
    "category_label",
    "drawn_feature",
    "error_text",
    "friendly_errors",
    "lagesbild",
    "make_map",
    "show_error",
    "sources",
    "store",
    "view",
]


# --------------------------------------------------------------------------- areas & measures

FIELD_LABELS_SV: dict[str, str] = {
    "area_id": "Område", "title": "Åtgärd (rubrik)", "description": "Beskrivning",
    "target_categories": "Målkategorier", "problem": "Problem/orsak", "cause_tags": "Orsaker",
    "responsible": "Ansvarig", "partners": "Samverkanspartner", "start_date": "Startdatum",
    "end_date": "Slutdatum", "status": "Status", "indicator": "Uppföljningsindikator",
    "next_followup": "Nästa uppföljning", "cost": "Kostnad (kr)", "agreement": "Överenskommelse",
    "name": "Namn", "geometry": "Område i kartan",
}


def problems_text(problems: Sequence[tuple[str, str, str]]) -> str:
    """Validation problems as Swedish lines with Swedish field names."""
    return "\n".join(f"- **{FIELD_LABELS_SV.get(f, f)}**: {sv}" if f else f"- {sv}"
                     for f, _, sv in problems)


def show_problems(problems: Sequence[tuple[str, str, str]], what: str) -> None:
    st.error(f"**{what}**\n\n{problems_text(problems)}", icon=":material/error:")


def _measure_constants() -> tuple[tuple[str, ...], dict[str, str], tuple[str, ...]]:
    from lagesbild_geo.measures import ACTORS, CAUSE_TAGS, STATUSES

    return STATUSES, ACTORS, CAUSE_TAGS


def measure_fields(*, prefix: str, current: dict[str, Any] | None = None,
                   require_title: bool = False) -> dict[str, Any]:
    """Render the measure form's widgets (inside an ``st.form``) and return their values."""
    statuses, actors, tags = _measure_constants()
    cur = current or {}

    def d(v: Any) -> Any:
        return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT \
            else pd.Timestamp(v).date()

    title = st.text_input("Åtgärd (rubrik)" + (" *" if require_title else ""),
                          value=cur.get("title", ""), key=f"{prefix}_title")
    cats = st.multiselect("Målkategorier * (vilka brott ska åtgärden minska?)",
                          options=list(CATEGORIES), format_func=category_label,
                          default=[c for c in cur.get("target_categories", []) or [] if c in CATEGORIES],
                          key=f"{prefix}_cats", placeholder="Välj minst en kategori")
    with st.expander("Fler uppgifter (valfria)", expanded=bool(current)):
        descr = st.text_area("Beskrivning", value=cur.get("description", ""), key=f"{prefix}_descr")
        problem = st.text_input("Problem eller orsak som åtgärden riktar sig mot",
                                value=cur.get("problem", ""), key=f"{prefix}_problem")
        cause = st.multiselect("Orsaker", options=sorted(set(tags) | set(cur.get("cause_tags", []) or [])),
                               default=list(cur.get("cause_tags", []) or []), key=f"{prefix}_cause")
        c1, c2 = st.columns(2)
        actor_ids = ["", *actors]
        resp_cur = cur.get("responsible") or ""
        responsible = c1.selectbox("Ansvarig", options=actor_ids,
                                   index=actor_ids.index(resp_cur) if resp_cur in actor_ids else 0,
                                   format_func=lambda a: actors.get(a, "(inte bestämt)"),
                                   key=f"{prefix}_resp")
        partners = c2.text_input("Samverkanspartner (kommaseparerade)",
                                 value=", ".join(cur.get("partners", []) or []), key=f"{prefix}_partners")
        status = c1.selectbox("Status", options=list(statuses),
                              index=list(statuses).index(cur["status"]) if cur.get("status") in statuses else 0,
                              key=f"{prefix}_status")
        cost = c2.text_input("Kostnad (kr)", value="" if cur.get("cost") is None or pd.isna(cur.get("cost"))
                             else f"{cur['cost']:g}", key=f"{prefix}_cost")
        start = c1.date_input("Startdatum", value=d(cur.get("start_date")), key=f"{prefix}_start",
                              format="YYYY-MM-DD")
        end = c2.date_input("Slutdatum", value=d(cur.get("end_date")), key=f"{prefix}_end",
                            format="YYYY-MM-DD")
        indicator = c1.text_input("Uppföljningsindikator", value=cur.get("indicator", ""),
                                  key=f"{prefix}_indicator")
        nextf = c2.date_input("Nästa uppföljning", value=d(cur.get("next_followup")),
                              key=f"{prefix}_next", format="YYYY-MM-DD")
        agreement = st.text_input("Samverkansöverenskommelse", value=cur.get("agreement", ""),
                                  key=f"{prefix}_agreement")
    return {
        "title": title.strip(), "target_categories": list(cats), "description": descr,
        "problem": problem, "cause_tags": list(cause), "responsible": responsible or None,
        "partners": [p.strip() for p in partners.split(",") if p.strip()],
        "status": status, "cost": cost.strip() or None, "start_date": start, "end_date": end,
        "indicator": indicator, "next_followup": nextf, "agreement": agreement,
    }


def _is_blank_measure(fields: dict[str, Any]) -> bool:
    return not fields.get("title") and not fields.get("target_categories")


def check_measure(fields: dict[str, Any], *, area_id: str = "pending") -> list[tuple[str, str, str]]:
    """Validation problems of a measure form (the library's rules, Swedish messages)."""
    from lagesbild_geo.measures import validate_measure

    problems: list[tuple[str, str, str]] = []
    if not fields.get("target_categories"):
        problems.append(("target_categories", "at least one target category is required",
                         "välj minst en målkategori – vilka brott ska åtgärden minska?"))
    _, lib_problems = validate_measure({**fields, "area_id": area_id})
    problems += [p for p in lib_problems if p[0] != "target_categories" or not problems]
    return problems


def save_area(*, name: str, geometry: dict[str, Any], description: str = "",
              measure: dict[str, Any] | None = None, user: str) -> str | None:
    """Save a drawn area (and an optional first measure); ``None`` after showing problems."""
    problems: list[tuple[str, str, str]] = []
    if not name.strip():
        problems.append(("name", "name required", "ge området ett namn"))
    with_measure = measure is not None and not _is_blank_measure(measure)
    if with_measure:
        assert measure is not None
        problems += check_measure(measure)
    if problems:
        show_problems(problems, "Området sparades inte")
        return None
    s = store()
    area = s.add_area(name=name.strip(), geometry=geometry, description=description,
                      created_by=user)
    if with_measure:
        assert measure is not None
        try:
            s.add_measure(area_id=area.id, created_by=user, **measure)
        except Exception:
            s.delete_area(area.id, user=user)  # all or nothing for the user
            raise
    return str(area.id)


def save_measure(*, area_id: str, fields: dict[str, Any], user: str) -> bool:
    """Add a measure to an area; shows the problems and returns False when refused."""
    problems = check_measure(fields, area_id=area_id)
    if problems:
        show_problems(problems, "Åtgärden sparades inte")
        return False
    store().add_measure(area_id=area_id, created_by=user, **fields)
    return True


def update_measure(measure_id: str, fields: dict[str, Any], *, expected_version: Any,
                   user: str) -> bool:
    """Save an edit (optimistic locking: a stale form gives a conflict message)."""
    problems = check_measure(fields, area_id="x")
    if problems:
        show_problems(problems, "Ändringen sparades inte")
        return False
    store().update_measure(measure_id, fields, expected_version=int(expected_version), user=user)
    return True


def forget_form(prefix: str, *keys: str) -> None:
    """Drop a form's widget values (and other keys) so it shows the stored record again."""
    for k in [k for k in st.session_state if str(k).startswith(prefix + "_")] + list(keys):
        st.session_state.pop(k, None)


def area_names(areas: pd.DataFrame) -> dict[str, str]:
    """``{area id: name}`` (areas are indexed by id)."""
    return {str(i): str(n) for i, n in zip(areas.index, areas["name"], strict=True)}


def areas_table(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Saved areas as a Swedish table."""
    cols = {"name": "Namn", "n_measures": "Åtgärder", "area_km2": "Yta (km²)",
            "description": "Beskrivning", "updated_by": "Senast ändrad av", "updated_at": "Ändrad"}
    t = pd.DataFrame(areas.drop(columns="geometry", errors="ignore"))
    t = t[[c for c in cols if c in t.columns]].rename(columns=cols)
    if "Yta (km²)" in t:
        t["Yta (km²)"] = t["Yta (km²)"].round(3)
    if "Ändrad" in t:
        t["Ändrad"] = t["Ändrad"].astype(str).str.replace("T", " ").str[:16] + " UTC"
    return t


def deleted_areas() -> gpd.GeoDataFrame:
    a = list_areas(include_deleted=True)
    if "deleted_at" not in a.columns:
        return a.iloc[0:0]
    return a[a["deleted_at"].notna()]


def deleted_measures() -> pd.DataFrame:
    m = list_measures(include_deleted=True)
    if "deleted_at" not in m.columns:
        return m.iloc[0:0]
    return m[m["deleted_at"].notna()]


def measure_titles(measures: pd.DataFrame) -> dict[str, str]:
    area = measures["area_name"] if "area_name" in measures.columns else pd.Series("", index=measures.index)
    return {str(i): f"{t} ({a})" for i, t, a in zip(measures.index, measures["title"], area, strict=True)}


def measure_record(measures: pd.DataFrame, measure_id: str) -> dict[str, Any]:
    rec = measures.loc[measure_id].to_dict()
    rec["id"] = measure_id
    return rec


MEASURE_COLUMNS_SV: dict[str, str] = {
    "title": "Åtgärd", "area_name": "Område", "target_categories": "Målkategorier",
    "status": "Status", "responsible": "Ansvarig", "start_date": "Start", "end_date": "Slut",
    "next_followup": "Nästa uppföljning", "indicator": "Indikator", "cost": "Kostnad (kr)",
    "partners": "Samverkan", "updated_by": "Senast ändrad av",
}


def measures_table(measures: pd.DataFrame) -> pd.DataFrame:
    """Measures as a Swedish table (labels instead of ids)."""
    _, actors, _ = _measure_constants()
    t = pd.DataFrame(measures)
    if "target_categories" in t:
        t["target_categories"] = [", ".join(category_label(c) for c in (v or [])) for v in t["target_categories"]]
    if "partners" in t:
        t["partners"] = [", ".join(v or []) for v in t["partners"]]
    if "responsible" in t:
        t["responsible"] = [actors.get(v, "") if isinstance(v, str) else "" for v in t["responsible"]]
    for c in ("start_date", "end_date", "next_followup"):
        if c in t:
            t[c] = pd.to_datetime(t[c]).dt.date
    t = t[[c for c in MEASURE_COLUMNS_SV if c in t.columns]].rename(columns=MEASURE_COLUMNS_SV)
    return t


def area_candidates(lb: Lagesbild) -> pd.DataFrame:
    """Hotspot groups (touching hot hexagons), clusters and districts that can become areas:
    ``label``, ``name``, ``kind``, ``source_id``, geometry."""
    import shapely

    rows: list[dict[str, Any]] = []
    hs = lb.hotspots
    if hs is not None and len(hs) and "hotspot_class" in hs and "geometry" in hs:
        hot = hs[hs["hotspot_class"].astype(str).str.startswith("hot")]
        if len(hot):
            hot = hot.to_crs("EPSG:4326") if hot.crs is not None else hot
            geoms = hot.geometry.to_numpy()
            merged = shapely.union_all(shapely.buffer(geoms, 1e-7))  # touching hexagons join
            parts = list(getattr(merged, "geoms", [merged]))
            centres = shapely.centroid(geoms)
            from lagesbild_geo.grid import cells_to_str

            hexes = cells_to_str(hot.index.to_numpy())
            for i, part in enumerate(sorted(parts, key=lambda g: -g.area), start=1):
                inside = [h for h, c in zip(hexes, centres, strict=True) if part.contains(c)]
                rows.append({"label": f"Hotspot-område {i} ({len(inside)} hexagoner)",
                             "name": f"Hotspot-område {i}", "kind": "hotspot",
                             "source_id": ",".join(inside), "geometry": part})
    cl = lb.clusters
    if cl is not None and len(cl) and "geometry" in cl:
        cl = cl.to_crs("EPSG:4326") if cl.crs is not None else cl
        for i, (idx, r) in enumerate(cl.iterrows()):
            cid = r.get("cluster_id", idx)
            n = r.get("n")
            rows.append({"label": f"Kluster {cid}" + (f" ({int(n)} händelser)" if pd.notna(n) else ""),
                         "name": f"Kluster {cid}", "kind": "cluster", "source_id": str(cid),
                         "geometry": r.geometry, "order": i})
    d = lb.districts
    if d is not None and len(d) and "geometry" in d:
        d = d.to_crs("EPSG:4326") if d.crs is not None else d
        for idx, r in d.iterrows():
            code = r.get("district_code", idx)
            name = r.get("district_name", code)
            rows.append({"label": f"DeSO {name} ({code})", "name": str(name), "kind": "district",
                         "source_id": str(code), "geometry": r.geometry})
    return pd.DataFrame(rows, columns=["label", "name", "kind", "source_id", "geometry"])


def save_candidate_area(row: pd.Series, *, name: str, user: str) -> str:
    kwargs: dict[str, Any] = {}
    if row["kind"] == "cluster":
        kwargs["source_cluster"] = row["source_id"]
    elif row["kind"] == "hotspot":
        kwargs["source_cells"] = row["source_id"].split(",")
    area = store().add_area(name=name.strip() or str(row["name"]), geometry=row["geometry"],
                            description=f"Skapat från {row['label']}", created_by=user, **kwargs)
    return str(area.id)


# --------------------------------------------------------------------------- tables & figures

TOO_FEW_CASES = "för få fall för att visas"
PROTECTED_TEXT = "dolt för att skydda små tal"

DISTRICT_TABLE_COLUMNS: tuple[str, ...] = (
    "district_name", "population", "total", "per_1000", "share_of_total", "total_previous",
    "change_pct", "change_significant", "top1", "top2", "top3", "n_hot_cells",
    "trygg_otrygg_share", "trygg_n",
)


def district_table(lb: Lagesbild, *, show_small: bool = False,
                   raw: Lagesbild | None = None) -> pd.DataFrame | None:
    """The per-district lägesbild table (districts and the kommun total) with Swedish headers.

    Privacy by default: the figures are the publishing step's
    (:func:`lagesbild_geo.privacy.publishable`): a count resting on fewer than
    ``min_count`` incidents, and any value that would reveal one, is hidden with its rate,
    share and change ("för få fall för att visas" / "dolt för att skydda små tal").
    ``show_small=True`` (the coordinator asks explicitly) shows ``raw``'s figures.
    """
    from lagesbild_geo.districts import SUMMARY_LABELS_SV

    src = raw if show_small and raw is not None else (lb if show_small else publishable(lb))
    t = src.district_summary
    if t is None or len(t) == 0:
        return None
    t = pd.DataFrame(t.drop(columns="geometry", errors="ignore"))
    if "row_type" in t.columns:
        # the level rows (known only in a stadsdel / only in the kommun) when there are such rows
        level_row = t["row_type"].isin(["stadsdel", "kommun"])
        t = t[t["row_type"].isin(["district", "total"]) | (level_row & (t["total"].fillna(1) > 0))]
    recs = t.to_dict(orient="records")
    t = t[[c for c in DISTRICT_TABLE_COLUMNS if c in t.columns]].copy()
    note = pd.Series("", index=t.index, dtype=object)
    if not show_small and "total" in t.columns:
        for i, r in enumerate(recs):
            kind = hidden_kind(r, "total") or hidden_kind(r, "total_previous")
            if kind is not None:
                note.iloc[i] = PROTECTED_TEXT if kind == "protect" else TOO_FEW_CASES
    if note.ne("").any():
        t["note"] = note
    if "district_name" in t.columns and "_total" in t.index:
        t.loc["_total", "district_name"] = "Hela kommunen"
    for c in ("top1", "top2", "top3"):
        if c in t.columns:
            t[c] = t[c].map(lambda v: category_label(v) if isinstance(v, str) else "")
    for c in ("share_of_total", "trygg_otrygg_share"):
        if c in t.columns:
            t[c] = (pd.to_numeric(t[c], errors="coerce").astype("float64") * 100).round(1)
    for c in ("per_1000", "change_pct"):
        if c in t.columns:
            t[c] = pd.to_numeric(t[c], errors="coerce").astype("float64").round(1)
    for c in ("total", "total_previous"):
        if c in t.columns:
            t[c] = pd.to_numeric(t[c], errors="coerce").astype("Int64")
    labels = {**SUMMARY_LABELS_SV, "district_name": "Distrikt", "note": "Anmärkning",
              "share_of_total": "Andel av kommunen (%)",
              "trygg_otrygg_share": "Otrygga, enkät (%)", "trygg_n": "Enkätsvar",
              "population": "Invånare"}
    t.index.name = "Kod"
    return t.reset_index().rename(columns=labels)


def area_figures(lb: Lagesbild, area_id: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Incidents inside a saved area by category (Swedish table) and the area's key figures
    (``area_km2``, ``total``, ``hot_cells``), from ``followup.area_figures``; the counts go
    through the publishing step (``privacy.protect_table``: hidden below ``min_count`` and
    where the area's total would reveal them). ``total`` is ``None`` when hidden."""
    from lagesbild_geo.followup import area_figures as _area_figures

    f = _area_figures(lb, store().get_area(area_id))
    p = protect_table(f, ["count"], min_count=lb.settings.min_count, column_totals=True,
                      derived={"per_km2": "count", "share_pct": "count"})
    recs = p.to_dict(orient="records")
    notes = ["" if pd.notna(v) else (PROTECTED_TEXT if hidden_kind(r, "count") == "protect" else TOO_FEW_CASES)
             for v, r in zip(p["count"].tolist(), recs, strict=True)]
    table = pd.DataFrame({
        "Kategori": p["label"].to_numpy(),
        "Antal i området": p["count"].astype("Int64").to_numpy(),
        "Per km²": pd.to_numeric(p["per_km2"], errors="coerce").round(1).to_numpy(),
        "Andel av kommunens (%)": pd.to_numeric(p["share_pct"], errors="coerce").round(1).to_numpy(),
        "Anmärkning": notes,
    })
    info = dict(f.attrs)
    info["total"] = p.attrs["column_totals"].get("count") if len(f) else 0
    return table, info


PLAN_SORT: dict[str, str] = {
    "status": "Status (planerad → genomförd)", "start_date": "Startdatum", "title": "Åtgärd",
    "area_name": "Område", "next_followup": "Nästa uppföljning", "updated_at": "Senast ändrad",
}


def filter_measures(measures: pd.DataFrame, *, statuses: Sequence[str] = (),
                    categories: Sequence[str] = (), areas: Sequence[str] = (),
                    sort: str = "status") -> pd.DataFrame:
    """Measures narrowed and sorted as chosen on the åtgärdsplan page."""
    keep = pd.Series(True, index=measures.index)
    if statuses:
        keep &= measures["status"].isin(list(statuses))
    if categories:
        want = set(categories)
        keep &= measures["target_categories"].map(lambda v: bool(want & set(v or [])))
    if areas:
        keep &= measures["area_name"].astype(str).isin(list(areas))
    out = measures[keep]
    if sort != "status" and sort in out.columns:
        out = out.sort_values(sort, na_position="last", kind="stable")
    return out


def _export_bytes(method: str, suffix: str, allow: Sequence[str]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"atgardsplan{suffix}"
        getattr(store(), method)(path, allow_personal_data=tuple(allow))
        return path.read_bytes()


def plan_excel_bytes(allow_personal_data: Sequence[str] = ()) -> bytes:
    return _export_bytes("export_plan_excel", ".xlsx", allow_personal_data)


def plan_csv_bytes(allow_personal_data: Sequence[str] = ()) -> bytes:
    return _export_bytes("export_plan_csv", ".csv", allow_personal_data)


#: Free-text fields the coordinator may explicitly allow to leave with personal data.
ALLOW_FIELDS_SV: dict[str, str] = {k: v[0].upper() + v[1:] for k, v in FREE_TEXT_FIELDS.items()}


_ACTION_SV = {"create": "skapad", "update": "ändrad", "delete": "borttagen", "restore": "återställd",
              "import": "importerad"}


def history_table(measure_id: str) -> pd.DataFrame:
    """The audit trail of one measure in Swedish: when, who, what, before → after."""
    h = store().history(measure_id)

    def change(row: pd.Series) -> str:
        if row["action"] == "create":
            return "ny åtgärd"
        parts = []
        for f in row["fields"]:
            before, after = row["before"].get(f), row["after"].get(f)
            parts.append(f"{FIELD_LABELS_SV.get(f, f)}: {before!s} → {after!s}")
        return "; ".join(parts)

    return pd.DataFrame({
        "Tid (UTC)": h["at"].astype(str).str.replace("T", " ").str[:19],
        "Vem": h["user"],
        "Händelse": h["action"].map(lambda a: _ACTION_SV.get(a, a)),
        "Version": h["version"],
        "Ändring": [change(r) for _, r in h.iterrows()] if len(h) else [],
    })


# --------------------------------------------------------------------------- ingest (Data page)

ROLE_LABELS_SV: dict[str, str] = {
    "id": "Ärende-id", "datetime": "Datum och tid", "date": "Datum", "time": "Klockslag",
    "category": "Brottstyp/kategori", "x": "X-koordinat", "y": "Y-koordinat",
    "northing": "Nordkoordinat", "easting": "Ostkoordinat", "lat": "Latitud", "lon": "Longitud",
    "gps": "GPS (lat,lon i en kolumn)", "address": "Adress", "place": "Plats",
    "postcode": "Postnummer", "town": "Postort",
}
PRECISION_SV: dict[str, str] = {
    "point": "Koordinat", "address": "Adress (geokodad)", "place": "Platsnamn (geokodad)",
    "area": "Område (ungefärlig)", "pending": "Väntar på geokodning",
}
UPLOAD_TYPES: dict[str, tuple[str, list[str]]] = {
    "incidents": ("Händelser (brott, ordningsstörningar …)",
                  ["csv", "txt", "xlsx", "geojson", "json", "gpkg", "parquet", "fgb"]),
    "districts": ("Områdesindelning (DeSO, stadsdelar)", ["geojson", "json", "gpkg", "fgb"]),
    "boundary": ("Kommungräns", ["geojson", "json", "gpkg"]),
    "gazetteer": ("Adressregister (för geokodning)", ["csv", "txt", "xlsx"]),
    "survey": ("Trygghetsenkät (svar)", ["csv", "txt", "xlsx"]),
    "pins": ("Enkätens kartnålar", ["geojson", "json", "gpkg"]),
}


@st.cache_data(max_entries=8, show_spinner="Läser filen …")
def _read_incidents_cached(path: str, sha256: str, columns: tuple[tuple[str, str], ...],
                           gazetteer: str | None, gazetteer_sha: str | None) -> Any:
    from lagesbild_geo.geocode import place_pending
    from lagesbild_geo.read import read_incidents

    result = read_incidents(path, columns=dict(columns) or None, source_name=Path(path).name.split("_", 1)[-1])
    return place_pending(result, gazetteer) if gazetteer is not None else result


def read_incident_file(src: Source, *, gazetteer: Source | None = None) -> Any:
    """``read.read_incidents`` (and ``geocode.place_pending``) of one staged file (cached on content and column choices)."""
    columns = tuple(sorted(column_choice(src).items()))
    return _read_incidents_cached(src.path, src.sha256, columns,
                                  gazetteer.path if gazetteer else None,
                                  gazetteer.sha256 if gazetteer else None)


@st.cache_data(max_entries=8, show_spinner=False)
def _table_preview(path: str, sha256: str) -> tuple[pd.DataFrame, list[str]]:
    from lagesbild_geo.read import read_table

    raw, _ = read_table(path)
    frame = pd.DataFrame(raw.drop(columns="geometry", errors="ignore")) if "geometry" in raw else pd.DataFrame(raw)
    return frame.head(10).astype("string"), [str(c) for c in frame.columns]


def table_preview(src: Source) -> tuple[pd.DataFrame, list[str]]:
    """The first rows of a file as read (text) and its column names."""
    return _table_preview(src.path, src.sha256)


def with_columns(src: Source, columns: dict[str, str]) -> Source:
    """The same file read with a corrected column mapping (role → column)."""
    opts = tuple((k, v) for k, v in src.options if k != "columns")
    return Source(kind=src.kind, path=src.path, sha256=src.sha256, name=src.name,
                  options=(*opts, ("columns", tuple(sorted(columns.items())))))


def ingest_tables(report: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(placed by precision, rejected by reason) from an ingest report, in Swedish."""
    from lagesbild_geo.read import REASONS as _SV

    prec = pd.DataFrame({"Placering": [PRECISION_SV.get(k, k) for k in report.get("by_precision", {})],
                         "Antal": list(report.get("by_precision", {}).values())})
    rej = report.get("rejected_by_reason", {})
    reasons = pd.DataFrame({"Orsak": [_SV.get(k, k) for k in rej], "Antal": list(rej.values())})
    return prec, reasons


def rejected_csv(rejected: pd.DataFrame) -> bytes:
    """Rejected rows as CSV for Swedish Excel (UTF-8 with BOM, semicolon); cells that a
    spreadsheet would run as formulas are neutralised."""
    return neutralise_formulas(rejected).to_csv(index=False, sep=";").encode("utf-8-sig")


def rejected_download(acc: Access, rejected: pd.DataFrame, *, file_name: str, key: str) -> None:
    """The download of rejected rows, for redaktörer only: the rows are raw source data
    (individual incidents with their positions, free text), which a läsare may not take."""
    if not acc.can_edit:
        st.caption("Avvisade rader kan bara laddas ner av redaktörer: de innehåller enskilda "
                   "händelser ur filen.")
        return
    st.download_button("Ladda ner avvisade rader (CSV)", data=rejected_csv(rejected),
                       file_name=file_name, mime="text/csv", key=key)


def staged() -> dict[str, list[Source]]:
    """Files uploaded on the Data page but not yet in use."""
    return st.session_state.setdefault("staged", {})


def stage(kind: str, src: Source) -> None:
    files = staged().setdefault(kind, [])
    if kind != "incidents":
        files.clear()
    if all(f.sha256 != src.sha256 for f in files):
        files.append(src)


def replace_staged(old: Source, new: Source) -> None:
    files = staged().get(old.kind, [])
    staged()[old.kind] = [new if f.sha256 == old.sha256 and f.path == old.path else f for f in files]


def mark_unreadable(src: Source) -> None:
    """Remember that a staged file could not be read: it is never put to use."""
    st.session_state.setdefault("unreadable", set()).add(src.sha256)


def usable_incident_files() -> list[Source]:
    bad = st.session_state.get("unreadable", set())
    return [s for s in staged().get("incidents", []) if s.sha256 not in bad]


def use_staged(*, keep_example_layers: bool) -> None:
    """Work with the uploaded files (the example's districts etc. fill what was not uploaded)."""
    bad = st.session_state.get("unreadable", set())
    chosen = [s for files in staged().values() for s in files if s.sha256 not in bad]
    if keep_example_layers:
        have = {s.kind for s in chosen}
        chosen += [s for s in example_sources() if s.kind not in have and s.kind != "incidents"]
    set_sources(chosen)


# --------------------------------------------------------------------------- follow-up

@st.cache_data(max_entries=16, show_spinner="Räknar före och efter …")
def _followup(srcs: tuple[Source, ...], measure_id: str, measure_version: int, area_version: int,
              buffer_m: float, control: tuple[str, int] | None, store_file: str) -> Any:
    from lagesbild_geo.followup import followup

    lb = _build(srcs, BASE_RESOLUTION)
    s = store()
    m = s.get_measure(measure_id)
    control_geom = s.get_area(control[0]).geometry if control else None
    return followup(m, lb.incidents, area=s.get_area(m.area_id), buffer_m=buffer_m,
                    control=control_geom)


def followup_result(measure_id: str, *, buffer_m: float = 250.0,
                    control_area: str | None = None) -> Any:
    """``followup.followup`` of a stored measure on the current data (cached per version).

    ``control_area``: a saved area to compare with; ``None``: the rest of the kommun."""
    s = store()
    m = s.get_measure(measure_id)
    a = s.get_area(m.area_id)
    control = (control_area, int(s.get_area(control_area).version)) if control_area else None
    return _followup(sources(), measure_id, int(m.version), int(a.version), float(buffer_m),
                     control, str(store_path()))


ZONE_SV = {"area": "Området", "buffer": "Buffertzon", "control": "Jämförelseområde"}


def followup_table(result: Any) -> pd.DataFrame:
    """Before/after counts per zone, in Swedish."""
    c = result.counts
    return pd.DataFrame({
        "Zon": [ZONE_SV.get(z, z) for z in c.index],
        "Före": c["before"].to_numpy(), "Efter": c["after"].to_numpy(),
        "Förändring": c["change"].to_numpy(),
        "Förändring (%)": c["change_pct"].round(1).to_numpy(),
    })


def followup_chart(result: Any) -> pd.DataFrame:
    """Monthly index (100 = mean month before the start) for the area and the comparison."""
    m = result.monthly
    cols = {"area_index": "Området", "control_index": "Jämförelseområde"}
    return m[[c for c in cols if c in m.columns]].rename(columns=cols)


# --------------------------------------------------------------------------- export

def _lb_for_export() -> Lagesbild:
    lb = lagesbild(resolution=9)
    if lb is None:
        raise InputError("Det finns ingen lägesbild att exportera; se felet ovan.")
    return lb


def police_package_zip(allow_personal_data: Sequence[str] = ()) -> bytes:
    """The package for the police (GeoJSON per layer, GeoPackage, metadata) as a zip."""
    from lagesbild_geo.export import export_package, zip_package

    lb = _lb_for_export()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "paket"
        export_package(lb, out, store=store(), allow_personal_data=tuple(allow_personal_data))
        z = zip_package(out, Path(tmp) / "lagesbild_paket.zip")
        return z.read_bytes()


def geopackage_bytes(allow_personal_data: Sequence[str] = ()) -> bytes:
    from lagesbild_geo.export import export_package

    lb = _lb_for_export()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "paket"
        export_package(lb, out, store=store(), gpkg=True, allow_personal_data=tuple(allow_personal_data))
        return (out / "lagesbild.gpkg").read_bytes()


def report_html(allow_personal_data: Sequence[str] = ()) -> bytes:
    """The standalone HTML lägesbild report (Swedish)."""
    from lagesbild_geo.report import write_report

    lb = _lb_for_export()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lagesbild.html"
        write_report(lb, path, store=store(), allow_personal_data=tuple(allow_personal_data))
        return path.read_bytes()


@st.cache_data(max_entries=4, show_spinner="Läser paketet …")
def _read_package(path: str, sha256: str) -> Any:
    from lagesbild_geo.export import read_package

    return read_package(path)


def read_police_package(src: Source) -> Any:
    return _read_package(src.path, src.sha256)


def compare_packages(theirs: Any) -> pd.DataFrame:
    """Hot/cold cells, clusters and districts per side (ours vs the imported package)."""
    ours = _lb_for_export()

    def row(lb: Any) -> dict[str, Any]:
        h = headline(lb)
        return {"Hotspots (hexagoner)": h["hot"], "Coldspots (hexagoner)": h["cold"],
                "Kluster": h["clusters"], "Distrikt": len(lb.districts)}

    return pd.DataFrame([row(ours), row(theirs)], index=["Kommunen (vår)", "Importerat paket"])


@st.cache_data(max_entries=16, show_spinner="Kontrollerar filen …")
def _check_file(kind: str, path: str, sha256: str) -> str:
    if kind == "districts":
        from lagesbild_geo.districts import read_districts

        d = read_districts(path)
        pop = int(d["population"].notna().sum())
        return f"{len(d)} områden ({pop} med befolkning)"
    if kind == "boundary":
        g = gpd.read_file(path)
        if g.empty or not g.geom_type.isin(["Polygon", "MultiPolygon"]).any():
            raise InputError(f"{Path(path).name} has no polygon; expected the kommun boundary as a polygon.")
        return "kommungräns (polygon)"
    if kind == "gazetteer":
        from lagesbild_geo.geocode import Gazetteer

        gz = Gazetteer.from_file(path)
        return f"{len(gz.addresses)} adresser och {len(gz.places)} platsnamn"
    if kind == "survey":
        from lagesbild_geo.survey import read_survey

        return f"{len(read_survey(path))} enkätsvar"
    if kind == "pins":
        from lagesbild_geo.survey import read_pins

        return f"{len(read_pins(path))} kartnålar"
    return ""


def check_file(src: Source) -> str:
    """Read a staged non-incident file with its library reader (cached); a short Swedish
    description of what it holds. Raises the reader's error when it cannot be used."""
    return _check_file(src.kind, src.path, src.sha256)
