"""The police events feed: event time, categories, levels, places in the text, the live client.

Every feed here is a tiny synthetic extract written in the test (the shape of
polisen.se/api/events); the client is tested against a local server on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lagesbild_geo import polisen
from lagesbild_geo.cli import main as cli_main
from lagesbild_geo.errors import FetchError, InputError
from lagesbild_geo.polisen import (
    EVENT_TYPES,
    event_categories,
    event_times,
    extract_places,
    fetch_events,
    kommun_rows,
    place_events,
    read_archive,
    read_places,
    update_archive,
)
from lagesbild_geo.read import parse_times, read_incidents
from lagesbild_geo.schema import CATEGORIES

TZ = "Europe/Stockholm"

#: Every event type of the real feed 2022–2026 (97 types, as spelled there).
FEED_TYPES_2022_2026 = [
    "Trafikolycka", "Sammanfattning natt", "Brand", "Rattfylleri", "Trafikkontroll", "Övrigt",
    "Misshandel", "Stöld", "Trafikolycka, personskada", "Trafikbrott", "Sammanfattning kväll och natt",
    "Stöld/inbrott", "Arbetsplatsolycka", "Skadegörelse", "Rån", "Fylleri/LOB", "Trafikolycka, vilt",
    "Försvunnen person", "Narkotikabrott", "Trafikolycka, singel", "Mord/dråp, försök", "Bedrägeri",
    "Misshandel, grov", "Olaga hot", "Olovlig körning", "Knivlagen", "Våld/hot mot tjänsteman", "Bråk",
    "Farligt föremål, misstänkt", "Inbrott", "Mord/dråp", "Fjällräddning", "Kontroll person/fordon",
    "Vapenlagen", "Djur", "Trafikolycka, smitning från", "Trafikhinder", "Motorfordon, stöld",
    "Räddningsinsats", "Stöld, försök", "Olaga intrång", "Ofredande/förargelse", "Explosion",
    "Anträffad död", "Rån, försök", "Fylleri", "Åldringsbrott", "Skottlossning", "Våldtäkt",
    "Information", "Polisinsats/kommendering", "Häleri", "Motorfordon, anträffat stulet", "Detonation",
    "Sexualbrott", "Rån övrigt", "Kontroll", "Inbrott, försök", "Vållande till kroppsskada",
    "Larm Överfall", "Uppdatering", "Sedlighetsbrott", "Ordningslagen", "Hemfridsbrott", "Larm Inbrott",
    "Sjukdom/olycksfall", "Skyddslagen", "Mordbrand", "Skottlossning, misstänkt", "Rån väpnat",
    "Alkohollagen", "Anträffat gods", "Efterlyst person", "Smällar", "Sabotage mot blåljusverksamhet",
    "Olaga frihetsberövande/människorov", "Sjölagen", "Miljöbrott", "Våldtäkt, försök", "Luftfartslagen",
    "Utlänningslagen", "Missbruk av urkund", "Ekobrott", "Brand automatlarm", "Hets mot folkgrupp",
    "Sammanfattning dag", "Lagen om hundar och katter ", "Sammanfattning kväll", "Varningslarm/haveri",
    "Förfalskningsbrott", "Bombhot", "Spridning smitta/kemikalier", "Sammanfattning eftermiddag",
    "Upphittat föremål", "Sammanfattning helg", "Sammanfattning vecka", "Sammanfattning dygn",
]


def _event(i: int, name: str, published: str, *, type_: str = "Stöld", location: str = "Stockholm",
           gps: str = "59.329324,18.068581", summary: str = "") -> dict[str, Any]:
    return {"id": i, "datetime": published, "name": name, "summary": summary,
            "url": f"/aktuellt/handelser/x/{i}/", "type": type_,
            "location": {"name": location, "gps": gps}}


def _published(*values: str) -> pd.Series:
    t, status, _ = parse_times(pd.Series(list(values)), tz=TZ)
    assert (status == 0).all()
    return t


# ------------------------------------------------------------------------------ event time


def test_event_time_from_name_not_publication() -> None:
    t, how = event_times(pd.Series(["5 december 11.30, Stöld, Stockholm", "05 december 11:30, Stöld, Stockholm"]),
                         _published("2025-12-05 14:02:10 +01:00", "2025-12-05 14:02:10 +01:00"))
    assert [str(v) for v in t] == ["2025-12-05 11:30:00+01:00"] * 2
    assert how.tolist() == ["name", "name"]


def test_event_time_new_year_edges() -> None:
    """31 December published on 1 January is last year's; 1 January published (clock skew)
    a few minutes before midnight on 31 December is next year's."""
    names = pd.Series(["31 december 23.50, Brand, Nacka", "01 januari 00.10, Brand, Nacka",
                       "31 december 00.07, Brand, Nacka", "15 juni 12.00, Brand, Nacka"])
    pub = _published("2025-01-01 0:40:16 +01:00", "2024-12-31 23:55:00 +01:00",
                     "2024-01-01 6:38:28 +01:00", "2025-06-16 08:00:00 +02:00")
    t, _ = event_times(names, pub)
    assert [str(v) for v in t] == ["2024-12-31 23:50:00+01:00", "2025-01-01 00:10:00+01:00",
                                   "2023-12-31 00:07:00+01:00", "2025-06-15 12:00:00+02:00"]


def test_event_time_leap_day_dst_and_names_without_time() -> None:
    names = pd.Series(["29 februari 10.00, Rån, Malmö",      # published 2025: the last 29 Feb (2024)
                       "27 oktober 02.30, Rån, Malmö",        # the autumn hour that happens twice
                       "30 mars 02.30, Rån, Malmö",           # the spring gap: an hour forward
                       "5 mars, Sammanfattning natt, Malmö",  # a date, no time
                       "Sammanfattning natt, Malmö",          # no date: the publication time
                       "3 maj 2023 08.15, Stöld, Malmö"])     # a year in the name wins
    pub = _published("2025-03-01 09:00:00 +01:00", "2024-10-27 09:00:00 +01:00",
                     "2025-03-30 09:00:00 +02:00", "2025-03-05 07:00:00 +01:00",
                     "2025-03-05 07:00:00 +01:00", "2025-05-03 09:00:00 +02:00")
    t, how = event_times(names, pub)
    assert [str(v) for v in t] == ["2024-02-29 10:00:00+01:00", "2024-10-27 02:30:00+02:00",
                                   "2025-03-30 03:30:00+02:00", "2025-03-05 00:00:00+01:00",
                                   "2025-03-05 07:00:00+01:00", "2023-05-03 08:15:00+02:00"]
    assert how.tolist() == ["name", "name", "name", "name_date", "published", "name"]


def test_event_time_without_publication_uses_the_url_date() -> None:
    pub = pd.Series([pd.NaT, pd.NaT], dtype=pd.DatetimeTZDtype("ns", TZ))
    t, how = event_times(pd.Series(["31 december 23.10, Brand, Nacka", "x"]), pub,
                         url=pd.Series(["/aktuellt/handelser/2024/januari/1/31-december-brand/", "/a/"]))
    assert str(t.iloc[0]) == "2023-12-31 23:10:00+01:00"
    assert how.tolist() == ["name", "none"]


# ------------------------------------------------------------------------------ categories


def test_every_feed_type_of_2022_2026_has_a_category() -> None:
    assert len(FEED_TYPES_2022_2026) == 97
    cat, unknown = event_categories(pd.Series(FEED_TYPES_2022_2026))
    assert not unknown.any()
    assert set(cat) <= set(CATEGORIES)
    got = dict(zip(FEED_TYPES_2022_2026, cat, strict=True))
    assert got["Larm Inbrott"] == "stold"  # an alarm about a burglary, not ordning
    for t in ("Trafikolycka", "Sammanfattning natt", "Sammanfattning kväll och natt", "Försvunnen person",
              "Djur", "Kontroll person/fordon", "Övrigt", "Trafikkontroll", "Arbetsplatsolycka"):
        assert got[t] == "ej_brott", t
    assert got["Trafikolycka, smitning från"] == "trafik"  # leaving the scene is a crime
    assert got["Mord/dråp, försök"] == "vald" and got["Explosion"] == "vapen"
    assert set(EVENT_TYPES) >= {" ".join(t.split()) for t in FEED_TYPES_2022_2026}


def test_burglary_in_a_home_is_bostadsinbrott() -> None:
    types = pd.Series(["Inbrott", "Inbrott", "Inbrott, försök", "Stöld/inbrott", "Larm Inbrott", "Inbrott",
                       "Stöld", "Stöld", "Inbrott", "Inbrott"])
    text = pd.Series(["Inbrott i lägenhet på Södermalm.", "Inbrott i villa.", "Inbrottsförsök i radhus.",
                      "Inbrott i bostad.", "Larm om pågående villainbrott i Djursholm.",
                      "Inbrott i källarförråd.", "Stöld ur bostad efter inbrott.", "Stöld av cykel vid villa.",
                      "Inbrott i lägenhetsförråd.", "Inbrott i butik."])
    cat, _ = event_categories(types, text)
    assert cat.tolist() == ["bostadsinbrott", "bostadsinbrott", "bostadsinbrott", "bostadsinbrott",
                            "bostadsinbrott", "stold", "bostadsinbrott", "stold", "stold", "stold"]


def test_user_category_map_wins_and_is_not_refined() -> None:
    cat, unknown = event_categories(pd.Series(["Övrigt", "Inbrott", "Ufo-larm"]),
                                    pd.Series(["", "Inbrott i villa.", ""]),
                                    category_map={"Övrigt": "ovrigt", "Inbrott": "stold"})
    assert cat.tolist() == ["ovrigt", "stold", "ovrigt"]
    assert unknown.tolist() == [False, False, True]
    with pytest.raises(InputError, match="unknown categories"):
        event_categories(pd.Series(["Rån"]), category_map={"Rån": "nope"})


# ------------------------------------------------------------------------------ reading


def test_read_incidents_routes_the_feed_through_polisen(tmp_path: Path) -> None:
    events = [
        _event(1, "31 december 23.50, Brand, Nacka", "2025-01-01 0:40:16 +01:00", type_="Brand",
               location="Nacka", summary="Brand i radhus."),
        _event(2, "2 januari 12.00, Sammanfattning natt, Uppsala län", "2025-01-02 12:10:00 +01:00",
               type_="Sammanfattning natt", location="Uppsala län", gps="59.858562,17.638927"),
        # a row of a län whose name ends with a kommun of that län: the kommun's row
        _event(3, "22 augusti 17.59, Brand, Kävlinge", "2025-08-22 19:51:41 +02:00", type_="Brand",
               location="Skåne län", gps="55.990257,13.595769"),
        _event(4, "3 januari 08.00, Inbrott, Upplands väsby", "2025-01-03 09:00:00 +01:00", type_="Inbrott",
               location="Upplands väsby", summary="Inbrott i villa."),
    ]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    r = read_incidents(path)
    p = r.placed
    assert r.report["format"] == "police_json" and len(p) == 4
    assert p["precision"].tolist() == ["kommun", "lan", "kommun", "kommun"]
    assert p["location_text"].tolist() == ["Nacka", "Uppsala län", "Kävlinge", "Upplands väsby"]
    assert p["kommun_code"].astype(object).fillna("-").tolist() == ["0182", "-", "1261", "0114"]
    assert p["lan_code"].astype(object).fillna("-").tolist() == ["01", "03", "12", "01"]
    assert [str(v) for v in p["occurred_at"]] == ["2024-12-31 23:50:00+01:00", "2025-01-02 12:00:00+01:00",
                                                  "2025-08-22 17:59:00+02:00", "2025-01-03 08:00:00+01:00"]
    assert str(p["published_at"].iloc[0]) == "2025-01-01 00:40:16+01:00"
    assert p["category"].tolist() == ["brand", "ej_brott", "brand", "bostadsinbrott"]
    assert p["category_raw"].tolist() == ["Brand", "Sammanfattning natt", "Brand", "Inbrott"]
    assert (p["cell"] == 0).all()  # never a point
    assert r.report["time"]["from_name"] == 4 and r.report["time"]["kommun_from_name"] == 1
    # the same fields as a DataFrame are the feed too
    flat = pd.DataFrame([{**{k: v for k, v in e.items() if k != "location"},
                          "location.name": e["location"]["name"], "location.gps": e["location"]["gps"]}
                         for e in events]).astype(str)
    r2 = read_incidents(flat, source_name="flat")
    assert r2.placed["occurred_at"].tolist() == p["occurred_at"].tolist()
    assert r.report["police_feed"] is True and r2.report["police_feed"] is True
    # the same events as JSON Lines (an archive written an event per line): the same rows
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n", encoding="utf-8")
    r3 = read_incidents(lines)
    assert r3.report["format"] == "police_json"
    assert r3.placed["occurred_at"].tolist() == p["occurred_at"].tolist()
    lines.write_text(lines.read_text(encoding="utf-8") + '{"id": 9, "name": "cut off\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 5 of this JSON Lines file"):
        read_incidents(lines)
    assert read_incidents(pd.DataFrame({"Datum": ["2025-01-02 12:00"], "X": ["6580000"], "Y": ["660000"]}),
                          source_name="tabell").report["police_feed"] is False


def test_kommun_rows_by_name_and_code_never_by_position() -> None:
    inc = pd.DataFrame({
        "precision": ["kommun", "kommun", "kommun", "lan", "kommun", "point"],
        "location_text": ["Torsby", "Värmdö", "Värmdö kommun", "Stockholms län", "Varberg", None],
        "kommun_code": ["1737", "0120", None, None, "1383", None],
    })
    assert kommun_rows(inc, kommun_name="Värmdö").tolist() == [1, 0, 0, 2, 1, 0]
    assert kommun_rows(inc, kommun_code="0120").tolist() == [1, 0, 0, 2, 1, 0]
    assert kommun_rows(inc, kommun_name="Torsby").tolist() == [0, 1, 1, 2, 1, 0]


# ------------------------------------------------------------------------------ places


def _stockholm() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Four synthetic districts, a stadsdel over two of them, basområden."""
    d = gpd.GeoDataFrame(
        {"district_name": ["Bagarmossen", "Södra Sofia", "Norra Sofia", "Klara-Jacob", "Vårberg"]},
        geometry=[shapely.box(18.13, 59.27, 18.15, 59.28), shapely.box(18.07, 59.31, 18.09, 59.32),
                  shapely.box(18.07, 59.32, 18.09, 59.33), shapely.box(18.05, 59.33, 18.07, 59.34),
                  shapely.box(17.88, 59.27, 17.90, 59.28)],
        index=pd.Index(["0180R001", "0180R002", "0180R003", "0180R004", "0180R005"], name="district_code"),
        crs=4326)
    stadsdelar = gpd.GeoDataFrame({"name": ["SÖDERMALM", "STOCKHOLM"]},
                                  geometry=[shapely.box(18.07, 59.31, 18.09, 59.33),
                                            shapely.box(17.8, 59.2, 18.2, 59.4)], crs=4326)
    bas = gpd.GeoDataFrame({"namn": ["Hötorget", "Vita bergen", "Stureplan V", "Stureplan Ö", "Hemmet",
                                     "Gränsen"]},
                           geometry=[shapely.box(18.055, 59.333, 18.06, 59.336),
                                     shapely.box(18.075, 59.312, 18.08, 59.315),
                                     shapely.box(18.060, 59.334, 18.062, 59.336),
                                     shapely.box(18.062, 59.334, 18.064, 59.336),
                                     shapely.box(18.13, 59.27, 18.14, 59.275),
                                     shapely.box(18.08, 59.315, 18.09, 59.325)], crs=4326)
    return d, read_places(stadsdelar), read_places(bas)


def test_extract_places_reads_police_prose() -> None:
    text = pd.Series([
        "Explosion i Bagarmossen.", "Man skjuten utanför nattklubb vid Stureplan.",
        "Brand på Vita bergen, Södermalm.", "En inringare i Vårberg hörde smällar.",
        "Hemmet var tomt. Man fördes till Södersjukhuset.", "Södermalm, polis larmas till en adress.",
        "Bråk i centrala Stockholm.", "Rån i Varberg.", "Övning på norra Djurgården.",
    ])
    found = extract_places(text, ["Bagarmossen", "Stureplan", "Vita Bergen", "Södermalm", "Vårberg",
                                  "Hemmet", "Södersjukhuset", "Stockholm", "Djurgården", "Norra Djurgården"])
    got = found.groupby("row")["phrase"].agg(list).to_dict()
    assert got == {0: ["Bagarmossen"], 1: ["Stureplan"], 2: ["Vita bergen", "Södermalm"],
                   3: ["Vårberg"], 5: ["Södermalm"], 6: ["Stockholm"], 8: ["norra Djurgården"]}


def test_place_events_levels() -> None:
    d, sd, bas = _stockholm()
    summaries = [
        "Explosion i Bagarmossen.",                      # a district's own name
        "Personrån vid Hötorget.",                       # a basområde inside one district
        "Man misshandlad på Södermalm.",                 # a stadsdel over two districts
        "Brand på Vita bergen på Södermalm.",            # basområde + the stadsdel it lies in
        "Bråk i centrala Stockholm.",                    # the kommun itself: kommun level
        "Rån i Varberg.",                                # another kommun, not Vårberg
        "Stöld i Bagarmossen och i Vårberg.",            # two districts: ambiguous → kommun
        "Skottlossning vid Stureplan.",                  # "Stureplan V" + "Stureplan Ö" = Stureplan
        "Misshandel på Drottninggatan.",                 # a street of the address register
        "Hemmet var tomt.",                              # a sentence-initial word is no place
        "Brand vid Gränsen.",                            # a place across two districts, in one stadsdel
    ]
    inc = pd.DataFrame({"precision": ["kommun"] * len(summaries) + ["lan"],
                        "name": "1 maj 12.00, Brand, Stockholm",
                        "summary": [*summaries, "Brand i Bagarmossen."]})
    points = pd.DataFrame({"name": ["Drottninggatan", "Drottninggatan"], "lat": [59.335, 59.337],
                           "lon": [18.06, 18.065]})
    out = place_events(inc, d, kommun="Stockholm", places=[sd, bas], points=points)
    assert out["precision"].tolist() == [
        "district", "district", "stadsdel", "district", "kommun", "kommun", "kommun", "district",
        "district", "kommun", "stadsdel", "lan"]
    assert out["place_district"].astype(object).fillna("-").tolist() == [
        "0180R001", "0180R004", "-", "0180R002", "-", "-", "-", "0180R004", "0180R004", "-", "-", "-"]
    assert out.loc[2, "place_districts"] == "0180R002;0180R003"
    assert out.loc[10, "place_districts"] == "0180R002;0180R003"
    assert out.loc[3, "place_name"] == "Vita bergen; SÖDERMALM"
    assert out.attrs["placement"] == {"looked_at": 11, "district": 5, "stadsdel": 2, "kommun": 4,
                                      "ambiguous": 1}
    assert inc["precision"].tolist()[0] == "kommun"  # the input is not changed


def test_read_places_from_a_gazetteer_table(tmp_path: Path) -> None:
    path = tmp_path / "orter.csv"
    path.write_text("Locality,Municipality,County,Latitude,Longitude\nTorsby,Torsby,Värmland,60.13,13.0\n"
                    "Gustavsberg,Värmdö,Stockholm,59.33,18.39\nHemmesta,Värmdö,Stockholm,59.32,18.50\n",
                    encoding="utf-8")
    g = read_places(path, kommun="Värmdö")
    assert g["place_name"].tolist() == ["Gustavsberg", "Hemmesta"]
    assert g.crs.to_epsg() == 4326 and g.geometry.x.tolist() == [18.39, 18.50]
    with pytest.raises(InputError, match="no name column"):
        read_places(pd.DataFrame({"x": [1]}))


# ------------------------------------------------------------------------------ the live client


class _Replay(http.server.BaseHTTPRequestHandler):
    """Replays a snapshot like polisen.se/api/events, filtered by ?locationname=a;b."""

    events: ClassVar[list[dict[str, Any]]] = []
    seen: ClassVar[list[tuple[str, str]]] = []
    fail_first: ClassVar[int] = 0

    def do_GET(self) -> None:
        type(self).seen.append((self.path, self.headers.get("User-Agent", "")))
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        places = set(q["locationname"][0].split(";")) if "locationname" in q else None
        body = [e for e in type(self).events if places is None or e["location"]["name"] in places]
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def _snapshot() -> list[dict[str, Any]]:
    """A small snapshot in the API's shape (newest first, location.name kommun or län)."""
    return [
        _event(650297, "22 augusti 17.59, Brand, Lysekil", "2026-08-22 19:51:41 +02:00", type_="Brand",
               location="Västra Götalands län", gps="58.252793,13.059643", summary="Brand i garage."),
        _event(650296, "22 augusti 16.01, Stöld, Lysekil", "2026-08-22 17:48:23 +02:00",
               location="Lysekil", gps="58.275573,11.435558", summary="Stöld i Brastad."),
        _event(650295, "22 augusti 15.00, Trafikolycka, Västra Götalands län", "2026-08-22 17:41:59 +02:00",
               type_="Trafikolycka", location="Västra Götalands län", gps="58.252793,13.059643"),
        _event(650294, "22 augusti 14.00, Misshandel, Torsby", "2026-08-22 17:07:22 +02:00",
               type_="Misshandel", location="Torsby", gps="60.136,13.0"),
    ]


@pytest.fixture()
def api() -> Iterator[str]:
    _Replay.events = _snapshot()
    _Replay.seen = []
    _Replay.fail_first = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/events"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_fetch_events_sends_user_agent_and_place(api: str) -> None:
    got = fetch_events(location=["Lysekil", "Västra Götalands län"], url=api, timeout=5, retries=0)
    assert [e["id"] for e in got] == [650297, 650296, 650295]
    path, agent = _Replay.seen[-1]
    assert "locationname=Lysekil;V%C3%A4stra%20G%C3%B6talands%20l%C3%A4n" in path
    assert agent.startswith("lagesbild_geo/")


def test_fetch_retries_a_failing_server(api: str) -> None:
    _Replay.fail_first = 2
    got = fetch_events(url=api, timeout=5, retries=2, backoff=0)
    assert len(got) == 4 and len(_Replay.seen) == 3
    _Replay.fail_first = 5
    with pytest.raises(FetchError, match="efter 2 försök"):
        fetch_events(url=api, timeout=5, retries=1, backoff=0)


def test_offline_says_so_in_swedish_and_leaves_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "arkiv.json"
    archive.write_text(json.dumps(_snapshot()[:1]), encoding="utf-8")
    before = archive.read_bytes()
    url = f"http://127.0.0.1:{_closed_port()}/api/events"
    with pytest.raises(FetchError, match="sakna internetanslutning") as err:
        update_archive(archive, kommun="Lysekil", url=url, timeout=2, retries=0)
    assert "Arkivet är oförändrat" in str(err.value)
    assert archive.read_bytes() == before


def test_update_archive_appends_without_duplicates(api: str, tmp_path: Path) -> None:
    archive = tmp_path / "lysekil.json"
    r1 = update_archive(archive, kommun="1484", url=api, timeout=5, retries=0)
    # the kommun's own rows and its län's rows naming it; not Torsby, not the län's own
    assert (r1["fetched"], r1["kept"], r1["new"], r1["total"]) == (3, 2, 2, 2)
    assert [e["id"] for e in read_archive(archive)] == [650296, 650297]
    r2 = update_archive(archive, kommun="Lysekil", url=api, timeout=5, retries=0)
    assert (r2["new"], r2["updated"], r2["unchanged"], r2["total"]) == (0, 0, 2, 2)
    # the police edit a summary: the newer version replaces the old one, still once
    _Replay.events[1] = {**_Replay.events[1], "summary": "Stöld av båtmotor i Brastad."}
    _Replay.events.append(_event(650400, "23 augusti 01.00, Rån, Lysekil", "2026-08-23 02:00:00 +02:00",
                                 type_="Rån", location="Lysekil", gps="58.275573,11.435558"))
    r3 = update_archive(archive, kommun="Lysekil", url=api, timeout=5, retries=0)
    assert (r3["new"], r3["updated"], r3["total"]) == (1, 1, 3)
    arch = read_archive(archive)
    assert [e["id"] for e in arch] == [650296, 650297, 650400]
    assert arch[0]["summary"] == "Stöld av båtmotor i Brastad."
    # the archive is the feed: read_incidents reads it
    r = read_incidents(archive)
    assert len(r.placed) == 3 and set(r.placed["location_text"]) == {"Lysekil"}


def test_archive_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        update_archive(bad, events=[])
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="not a list of police events"):
        read_archive(other)
    with pytest.raises(InputError, match="Did you mean Lysekil"):
        update_archive(tmp_path / "x.json", kommun="Lysekill", events=[])
    assert read_archive(tmp_path / "missing.json") == []


def test_cli_polisen_hamta(api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "arkiv.json"
    assert cli_main(["polisen", "hämta", "--kommun", "Lysekil", "--archive", str(archive), "--url", api,
                     "--retries", "0"]) == 0
    out = capsys.readouterr().out
    assert "2 i Lysekil: 2 nya" in out and "har nu 2 händelser" in out
    assert cli_main(["polisen", "hamta", "--kommun", "1484", "--archive", str(archive), "--url", api]) == 0
    assert "0 nya" in capsys.readouterr().out
    url = f"http://127.0.0.1:{_closed_port()}/api/events"
    assert cli_main(["polisen", "hämta", "--kommun", "Lysekil", "--archive", str(archive), "--url", url,
                     "--retries", "0", "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "Kunde inte hämta polisens händelser" in err and "Arkivet är oförändrat" in err


def test_module_exports_are_documented() -> None:
    for name in polisen.__all__:
        obj = getattr(polisen, name)
        assert obj is not None
    assert np.isin(list(EVENT_TYPES.values()), list(CATEGORIES)).all()


def test_scb_prefix_in_district_names() -> None:
    """SCB names some RegSO "RegSO-Lindängen" (Malmö); the police write "i Lindängen"."""
    d = gpd.GeoDataFrame({"district_name": ["RegSO-Lindängen", "RegSO-Rosengård"]},
                         geometry=[shapely.box(13.0, 55.55, 13.01, 55.56), shapely.box(13.03, 55.58, 13.04, 55.59)],
                         index=pd.Index(["1280R045", "1280R060"], name="district_code"), crs=4326)
    inc = pd.DataFrame({"precision": ["kommun", "kommun"], "name": "1 maj 12.00, Rån, Malmö",
                        "summary": ["Rån i Lindängen.", "Brand på Rosengård."]})
    assert place_events(inc, d, kommun="Malmö")["place_district"].tolist() == ["1280R045", "1280R060"]
