"""The online geocoder client, only ever against a server this test starts on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lagesbild_geo._nominatim import NominatimGeocoder
from lagesbild_geo.errors import GeocodeError
from lagesbild_geo.geocode import Gazetteer, geocode


class _Server:
    """A tiny Nominatim stand-in: answers /search, can fail or stall on purpose."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0  # answer 503 this many times
        self.status = 503
        self.delay_s = 0.0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                owner.requests.append({"path": url.path, "query": q,
                                       "user_agent": self.headers.get("User-Agent"),
                                       "t": time.monotonic()})
                if owner.delay_s:
                    time.sleep(owner.delay_s)
                if owner.fail_next > 0:
                    owner.fail_next -= 1
                    self.send_response(owner.status)
                    self.end_headers()
                    return
                if q.get("q", "").lower().startswith("storgatan"):
                    body = [{"lat": "59.35", "lon": "17.10", "display_name": "Storgatan 3, Annanstad",
                             "addresstype": "house", "address": {"house_number": "3"}}]
                elif q.get("q", "").lower() == "torget":
                    body = [{"lat": "59.36", "lon": "17.11", "display_name": "Torget",
                             "addresstype": "square", "address": {}}]
                else:
                    body = []
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def _client(server: _Server, tmp_path, **kw: Any) -> NominatimGeocoder:
    opts: dict[str, Any] = {"user_agent": "lagesbild-test/1.0", "cache_path": tmp_path / "c.sqlite",
                            "min_interval_s": 0.0, "timeout_s": 2.0, "retries": 2,
                            "backoff_s": 0.01}
    opts.update(kw)
    return NominatimGeocoder(server.url, **opts)


def test_search_sends_user_agent_and_parameters(server: _Server, tmp_path) -> None:
    with _client(server, tmp_path) as g:
        res = g.geocode("Storgatan 3, Annanstad")
    assert res is not None
    assert (res.lat, res.lon, res.precision) == (59.35, 17.10, "address")
    assert res.display_name == "Storgatan 3, Annanstad"
    (req,) = server.requests
    assert req["path"] == "/search"
    assert req["user_agent"] == "lagesbild-test/1.0"
    assert req["query"] == {"q": "Storgatan 3, Annanstad", "format": "jsonv2", "limit": "1",
                            "addressdetails": "1", "countrycodes": "se"}


def test_cache_second_call_makes_no_request(server: _Server, tmp_path) -> None:
    with _client(server, tmp_path) as g:
        first = g.geocode("Torget")
        assert g.geocode("Torget") == first
        assert g.geocode("Ingenstans") is None
        assert g.geocode("Ingenstans") is None  # "not found" is cached too
    assert len(server.requests) == 2
    assert first is not None and first.precision == "place"
    # The cache is on disk: a new client asks nothing.
    with _client(server, tmp_path) as g2:
        assert g2.geocode("Torget") == first
        assert g2.requests_made == 0
    assert len(server.requests) == 2


def test_retry_on_503_then_success(server: _Server, tmp_path) -> None:
    server.fail_next = 2
    with _client(server, tmp_path, retries=2) as g:
        assert g.geocode("Torget") is not None
        assert g.requests_made == 3
    assert len(server.requests) == 3


def test_gives_up_after_retries(server: _Server, tmp_path) -> None:
    server.fail_next = 10
    with _client(server, tmp_path, retries=1) as g, pytest.raises(GeocodeError, match="HTTP 503"):
        g.geocode("Torget")
    assert len(server.requests) == 2


def test_client_error_is_not_retried(server: _Server, tmp_path) -> None:
    server.fail_next, server.status = 5, 400
    with _client(server, tmp_path, retries=3) as g, pytest.raises(GeocodeError, match="HTTP 400"):
        g.geocode("Torget")
    assert len(server.requests) == 1


def test_timeout(server: _Server, tmp_path) -> None:
    server.delay_s = 0.5
    with _client(server, tmp_path, timeout_s=0.1, retries=1) as g, \
            pytest.raises(GeocodeError, match=r"no answer within 0\.1 s"):
        g.geocode("Torget")
    deadline = time.monotonic() + 3
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # the server may log the retried request a little late
    assert len(server.requests) == 2


def test_rate_limit(server: _Server, tmp_path) -> None:
    """Requests are sent at least min_interval_s apart (on the client's clock: the server's
    arrival times also carry the machine's scheduling delays)."""
    sent = []
    with _client(server, tmp_path, min_interval_s=0.2) as g:
        for q in ("a", "b", "c"):
            g.geocode(q)
            sent.append(g._last)  # when the request went out
    assert len(server.requests) == 3
    assert min(np.diff(sent)) >= 0.2


def test_bad_configuration() -> None:
    with pytest.raises(GeocodeError, match="user_agent"):
        NominatimGeocoder("http://127.0.0.1:9", user_agent=" ")
    with pytest.raises(GeocodeError, match="not an http"):
        NominatimGeocoder("ftp://127.0.0.1", user_agent="x")


def test_geocode_uses_online_only_for_misses(server: _Server, tmp_path) -> None:
    gaz = Gazetteer.from_frame(pd.DataFrame({
        "gatunamn": ["Kyrkgatan"], "husnummer": [2], "postort": ["Exempelstad"],
        "nord": [6_580_000.0], "ost": [660_000.0]}))
    rows = pd.DataFrame({"location_text": ["Kyrkgatan 2", "Torget", "Ingenstans"],
                         "source": "x", "source_row": [2, 3, 4]})
    with _client(server, tmp_path) as g:
        off = geocode(rows, gaz, online=g)  # "online" not in allow: never asked
        assert server.requests == [] and len(off.placed) == 1
        r = geocode(rows, gaz, online=g, allow=("address", "street", "place", "online"))
    assert [q["query"]["q"] for q in server.requests] == ["Torget", "Ingenstans"]
    assert r.placed["geocode_match"].tolist() == ["exact", "online"]
    assert r.placed["precision"].tolist() == ["address", "place"]
    assert r.placed["lat"].tolist()[1] == pytest.approx(59.36)
    assert r.rejected["raw_location_text"].tolist() == ["Ingenstans"]
    assert r.report["geocoded_by_tier"] == {"exact": 1, "online": 1}


def test_geocode_keeps_offline_results_when_service_is_down(server: _Server, tmp_path) -> None:
    gaz = Gazetteer.from_frame(pd.DataFrame({
        "gatunamn": ["Kyrkgatan"], "husnummer": [2], "postort": ["Exempelstad"],
        "nord": [6_580_000.0], "ost": [660_000.0]}))
    rows = pd.DataFrame({"location_text": ["Kyrkgatan 2", "Torget"], "source": "x",
                         "source_row": [2, 3]})
    server.fail_next = 10
    with _client(server, tmp_path, retries=0) as g:
        r = geocode(rows, gaz, online=g, allow=("address", "online"))
    assert r.placed["geocode_match"].tolist() == ["exact"]
    assert r.rejected["geocode_note"].str.startswith("online geocoder failed").tolist() == [True]
