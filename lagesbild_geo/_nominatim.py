"""An online geocoder speaking the Nominatim HTTP API (off by default).

Use it only with a service the kommun is allowed to send addresses to, e.g. its
own Nominatim. Requests go through the standard library (:mod:`urllib`), are
cached on disk (SQLite, so a second run asks nothing), rate limited, carry a
User-Agent, time out and are retried with exponential backoff on 429/5xx and
network errors.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import GeocodeError

__all__ = ["NominatimGeocoder", "OnlineResult"]


@dataclass(frozen=True)
class OnlineResult:
    """One answer of the online geocoder.

    ``precision`` is ``"address"`` when the service matched a house (its
    ``address.house_number`` is set or its type is house/building), else ``"place"``.
    """

    lat: float
    lon: float
    display_name: str
    precision: str
    raw: dict[str, Any]


class NominatimGeocoder:
    """Client of a Nominatim-compatible ``/search`` endpoint with cache, rate limit and retries.

    Parameters
    ----------
    url
        Base URL of the service, e.g. ``"https://nominatim.kommun.se"``; ``/search``
        is appended unless the URL already ends with it.
    user_agent
        Identifies the application (required by Nominatim's usage policy).
    cache_path
        SQLite file for cached answers (None: in memory, lost on exit).
    min_interval_s
        Minimum seconds between two requests (Nominatim's public policy: 1).
    timeout_s
        Seconds to wait for an answer.
    retries
        Extra attempts after a 429, a 5xx or a network error.
    backoff_s
        First wait before a retry; doubled each time (a ``Retry-After`` header wins, capped at 60 s).
    params
        Extra query parameters (default ``countrycodes=se``).

    Examples
    --------
    >>> g = NominatimGeocoder("http://127.0.0.1:8080", user_agent="lagesbild-test")
    >>> g.search_url
    'http://127.0.0.1:8080/search'
    """

    def __init__(
        self,
        url: str,
        *,
        user_agent: str,
        cache_path: str | Path | None = None,
        min_interval_s: float = 1.0,
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        params: dict[str, str] | None = None,
    ) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise GeocodeError(f"Online geocoder URL {url!r} is not an http(s) URL; give e.g. "
                               "'https://nominatim.example.se'.")
        if not user_agent or not user_agent.strip():
            raise GeocodeError("An online geocoder needs a user_agent naming the application "
                               "(Nominatim's usage policy), e.g. user_agent='lagesbild-kommunnamn'.")
        if retries < 0 or timeout_s <= 0 or min_interval_s < 0:
            raise GeocodeError("retries must be >= 0, timeout_s > 0 and min_interval_s >= 0.")
        base = url.rstrip("/")
        self.search_url = base if base.endswith("/search") else base + "/search"
        self.user_agent = user_agent
        self.min_interval_s = float(min_interval_s)
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.backoff_s = float(backoff_s)
        self.params = {"countrycodes": "se"} if params is None else dict(params)
        self.requests_made = 0
        self._lock = threading.Lock()
        self._last = -float("inf")
        self._db = sqlite3.connect(str(cache_path) if cache_path else ":memory:",
                                   check_same_thread=False)
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS cache (url TEXT PRIMARY KEY, "
                             "body TEXT NOT NULL, fetched_at REAL NOT NULL)")

    def close(self) -> None:
        """Close the cache database."""
        self._db.close()

    def __enter__(self) -> NominatimGeocoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, query: str) -> str:
        q = {"q": query, "format": "jsonv2", "limit": "1", "addressdetails": "1", **self.params}
        return self.search_url + "?" + urllib.parse.urlencode(sorted(q.items()))

    def search(self, query: str) -> list[dict[str, Any]]:
        """The service's raw JSON answer for ``query`` (from the cache when known)."""
        url = self._url(query)
        with self._lock:
            row = self._db.execute("SELECT body FROM cache WHERE url = ?", (url,)).fetchone()
            if row is not None:
                return list(json.loads(row[0]))
            body = self._fetch(url)
            try:
                data = json.loads(body)
            except json.JSONDecodeError:
                raise GeocodeError(f"Online geocoder {self.search_url} answered with something "
                                   f"that is not JSON: {body[:80]!r}.") from None
            if not isinstance(data, list):
                raise GeocodeError(f"Online geocoder {self.search_url} answered with a "
                                   f"{type(data).__name__}, expected a JSON list (Nominatim /search).")
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?, ?)",
                                 (url, json.dumps(data), time.time()))
            return data

    def geocode(self, query: str) -> OnlineResult | None:
        """The best answer for ``query``, or None when the service knows nothing.

        Raises
        ------
        GeocodeError
            The service failed on every attempt (the message says how).
        """
        data = self.search(query)
        if not data:
            return None
        best = data[0]
        try:
            lat, lon = float(best["lat"]), float(best["lon"])
        except (KeyError, TypeError, ValueError):
            return None
        addr = best.get("address") or {}
        kind = str(best.get("addresstype") or best.get("type") or "")
        precision = "address" if addr.get("house_number") or kind in ("house", "building") else "place"
        return OnlineResult(lat, lon, str(best.get("display_name", query)), precision, best)

    def _wait_turn(self) -> None:
        wait = self._last + self.min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def _fetch(self, url: str) -> str:
        last_error = ""
        for attempt in range(self.retries + 1):
            self._wait_turn()
            req = urllib.request.Request(url, headers={"User-Agent": self.user_agent,
                                                       "Accept": "application/json"})
            delay = self.backoff_s * (2 ** attempt)
            try:
                self.requests_made += 1
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    return str(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code} {exc.reason}"
                if exc.code != 429 and exc.code < 500:
                    break
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                if retry_after and retry_after.strip().isdigit():
                    delay = min(float(retry_after), 60.0)
            except TimeoutError:
                last_error = f"no answer within {self.timeout_s:g} s"
            except urllib.error.URLError as exc:
                last_error = f"network error: {exc.reason}"
            if attempt < self.retries:
                time.sleep(delay)
        raise GeocodeError(
            f"Online geocoder {self.search_url} failed after {self.retries + 1} attempt(s): "
            f"{last_error}. Check the URL and that the service is up, or geocode offline "
            "with a gazetteer only."
        )
