from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lagesbild_geo import schema
from lagesbild_geo.errors import InputError
from lagesbild_geo.read import read_incidents
from lagesbild_geo.schema import (
    CATEGORIES,
    INCIDENT_COLUMNS,
    empty_incidents,
    fold,
    map_categories,
    remember_text_codes,
    text_codes,
    text_isin,
)


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


def _decoded(values: pd.Series) -> list[object]:
    codes, labels = text_codes(values)
    return [labels[c] if c >= 0 else None for c in codes]


@pytest.mark.parametrize("dtype", ["string", "object", "category"])
def test_text_codes_give_the_column_back(dtype: str) -> None:
    values = pd.Series(["point", "Åby", None, "point", "", "åby", "area"], dtype=dtype)
    codes, labels = text_codes(values)
    assert _decoded(values) == ["point", "Åby", None, "point", "", "åby", "area"]
    assert len(set(labels.tolist())) == len(labels) and all(isinstance(v, str) for v in labels)
    assert not codes.flags.writeable or dtype != "string"
    assert text_isin(values, ["point", "åby"]).tolist() == [True, False, False, True, False, True, False]


def test_text_codes_are_remembered_while_the_arrow_column_lives() -> None:
    values = pd.Series(["a", "b", None, "a"], dtype="string[pyarrow]")
    first = text_codes(values)
    assert text_codes(values)[0] is first[0]  # the same column: not hashed again
    assert text_codes(values.copy())[0] is first[0]  # a copy shares the (immutable) Arrow data
    with pytest.raises(ValueError):
        first[0][0] = 5  # read-only: shared by every caller
    changed = values.copy()
    changed.iloc[0] = "c"  # new Arrow data: new codes
    assert _decoded(changed) == ["c", "b", None, "a"] and _decoded(values) == ["a", "b", None, "a"]
    n = len(schema._TEXT_CODES)
    del values, changed, first
    gc.collect()
    assert len(schema._TEXT_CODES) < n  # forgotten with the column
    plain = pd.Series(["a", "b"], dtype=object)
    assert text_codes(plain)[0] is not text_codes(plain)[0]  # not Arrow: factorised each time


def test_remembered_codes_with_repeated_and_missing_labels() -> None:
    values = pd.Series(["vald", "stold", None, "vald", "vald"], dtype="string[pyarrow]")
    remember_text_codes(values, np.array([0, 1, 2, 3, 0]), ["vald", "stold", None, "vald"])
    codes, labels = text_codes(values)
    assert labels.tolist() == ["vald", "stold"] and codes.tolist() == [0, 1, -1, 0, 0]
    assert text_isin(values, ["vald"]).tolist() == [True, False, False, True, True]
    remember_text_codes(pd.Series(["x"], dtype=object), [0], ["x"])  # not Arrow: ignored


def test_read_incidents_hands_its_codes_on(tmp_path: Path) -> None:
    """The reader's precision and category columns come with their codes when every row is
    placed (the usual file), and the codes say what the columns say; rows split off
    (pending) are factorised when asked."""
    head = "id;datum;brottstyp;x;y;plats\n"
    rows = ["1;2024-03-01 10:00;Misshandel;6580000;660000;\n",
            "3;2024-03-03 12:00;Klotter;6580100;660100;\n",
            "4;2024-03-03 13:00;Okänd sak;6580200;660100;\n"]
    p = tmp_path / "in.csv"
    p.write_text(head + "".join(rows), encoding="utf-8")
    placed = read_incidents(p).incidents
    q = tmp_path / "mixed.csv"
    q.write_text(head + "".join(rows) + "2;2024-03-02 11:00;Stöld;;;Storgatan 1\n", encoding="utf-8")
    mixed = read_incidents(q)
    for col in ("precision", "category"):
        assert schema._remembered(schema._arrow_data(placed[col])) is not None
        for frame in (placed, mixed.incidents, mixed.pending):
            assert _decoded(frame[col]) == frame[col].astype(object).where(frame[col].notna(), None).tolist()
    assert placed["category"].tolist() == ["vald", "skadegorelse", "ovrigt"]
    assert mixed.pending["precision"].tolist() == ["pending"]


def test_text_codes_take_the_smallest_integer_type() -> None:
    few = pd.Series(["a", None, "b"], dtype="string[pyarrow]")
    many = pd.Series([f"v{i}" for i in range(300)] + [None], dtype="string[pyarrow]")
    assert text_codes(few)[0].dtype == np.int8 and text_codes(many)[0].dtype == np.int16
    assert _decoded(many) == [f"v{i}" for i in range(300)] + [None]
    values = pd.Series([f"v{i % 200}" for i in range(1000)], dtype="string[pyarrow]")
    remember_text_codes(values, np.arange(1000) % 200, [f"v{i}" for i in range(200)])
    assert text_codes(values)[0].dtype == np.int16 and _decoded(values) == values.tolist()


def test_text_codes_of_a_categorical_are_its_own_codes() -> None:
    s = pd.Series(pd.Categorical.from_codes([1, 0, -1, 1], categories=["vald", "stold"]))
    codes, labels = text_codes(s)
    assert codes.tolist() == [1, 0, -1, 1] and labels.tolist() == ["vald", "stold"]
    assert codes.dtype == np.int8


def test_counting_categorical_columns_equals_counting_text() -> None:
    from lagesbild_geo.grid import count_cells

    text = pd.DataFrame({"lat": [59.40, 59.40, 59.41, 59.42], "lon": [17.10, 17.10, 17.10, 17.12],
                         "precision": pd.Series(["point", "address", "place", "point"], dtype="string[pyarrow]"),
                         "category": pd.Series(["vald", None, "vald", "stold"], dtype="string[pyarrow]")})
    cat = text.assign(precision=text["precision"].astype("category"),
                      category=text["category"].astype("category"))
    a = count_cells(text, by="category", geometry=False)
    b = count_cells(cat, by="category", geometry=False)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["not_on_grid"] == b.attrs["not_on_grid"] == {"place": 1}
