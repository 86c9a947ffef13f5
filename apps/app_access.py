"""Who uses the app and what they may do: sign-in (passwords or the platform's OIDC),
the shared sign-in throttle, and the read-only mode on a network without sign-in."""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st
from app_config import assets_url
from app_config import secret as _secret
from app_sources import data_label

log = logging.getLogger("lagesbild_app")

ROLE_EDITOR = "redaktör"
ROLE_READER = "läsare"


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
    with st.form("login", enter_to_submit=False):
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


# --------------------------------------------------------------------------- the sidebar


def sidebar_status(acc: Access) -> None:
    """Who is signed in, the data in use, and where the map's scripts come from (sidebar)."""
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
