from __future__ import annotations

import pandas as pd
import pytest

from lagesbild_geo.errors import InputError
from lagesbild_geo.schema import CATEGORIES, INCIDENT_COLUMNS, empty_incidents, fold, map_categories


def test_fold() -> None:
    assert fold("  Skadegörelse,  KLOTTER ") == "skadegorelse klotter"
    assert fold(None) == ""


def test_police_event_types_map() -> None:
    raw = pd.Series(["Misshandel", "Misshandel, grov", "Stöld", "Inbrott", "Skadegörelse",
                     "Rån", "Brand", "Trafikolycka", "Sammanfattning natt", "Narkotikabrott",
                     "Skottlossning", "Rattfylleri", "Bedrägeri", "Våldtäkt", "Bostadsinbrott"])
    cat, unknown = map_categories(raw)
    assert list(cat) == ["vald", "vald", "stold", "stold", "skadegorelse", "ran", "brand",
                         "ej_brott", "ej_brott", "narkotika", "vapen", "trafik", "bedrageri",
                         "sexualbrott", "bostadsinbrott"]
    assert not unknown.any()


def test_unknown_and_user_map() -> None:
    cat, unknown = map_categories(pd.Series(["Ufo", "Klotter på skola"]),
                                  category_map={"Klotter på skola": "skadegorelse"})
    assert list(cat) == ["ovrigt", "skadegorelse"]
    assert list(unknown) == [True, False]
    with pytest.raises(InputError, match="unknown categories"):
        map_categories(pd.Series(["a"]), category_map={"a": "nope"})


def test_empty_incidents_has_contract_columns() -> None:
    df = empty_incidents()
    assert list(df.columns) == list(INCIDENT_COLUMNS)
    assert len(CATEGORIES) == 15 and CATEGORIES[-1] == "ej_brott"


def test_every_police_event_type_is_known() -> None:
    """The police events feed's types (seen 2022–2026) all have a documented category."""
    types = {
        "Motorfordon, stöld": "fordonsbrott", "Farligt föremål, misstänkt": "vapen",
        "Sedlighetsbrott": "sexualbrott", "Åldringsbrott": "bedrageri", "Ekobrott": "bedrageri",
        "Förfalskningsbrott": "bedrageri", "Olaga frihetsberövande/människorov": "vald",
        "Mordbrand": "brand", "Räddningsinsats": "ej_brott", "Sjukdom/olycksfall": "ej_brott",
        "Uppdatering": "ej_brott", "Sammanfattning eftermiddag": "ej_brott",
        "Sammanfattning dygn": "ej_brott", "Lagen om hundar och katter ": "ovrigt",
        "Varningslarm/haveri": "ej_brott", "Utlänningslagen": "ovrigt", "Hemfridsbrott": "ovrigt",
        "Vållande till kroppsskada": "ovrigt", "Hets mot folkgrupp": "ovrigt", "Smällar": "ordning",
        "Upphittat föremål": "ej_brott", "Sjölagen": "ovrigt", "Spridning smitta/kemikalier": "ovrigt",
        "Motorfordon, anträffat stulet": "ej_brott", "Larm Inbrott": "stold",
        "Trafikolycka, smitning från": "trafik", "Trafikkontroll": "ej_brott",
        "Våld/hot mot tjänsteman": "vald", "Stöld/inbrott": "stold", "Fylleri/LOB": "ordning",
    }
    cat, unknown = map_categories(pd.Series(list(types)))
    assert dict(zip(types, cat, strict=True)) == types
    assert not unknown.any()
