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
                         "ovrigt", "ovrigt", "narkotika", "vapen", "trafik", "bedrageri",
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
    assert len(CATEGORIES) == 14
