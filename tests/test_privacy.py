"""Personal-data detection and small-number suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild_geo.errors import InputError
from lagesbild_geo.privacy import (
    Privacy,
    find_personal_data,
    is_personnummer,
    luhn_ok,
    suppress_across_rows,
    suppress_counts,
    suppress_survey,
    values_with_personal_data,
)


def _luhn_digit(nine: str) -> str:
    return next(str(d) for d in range(10) if luhn_ok(nine + str(d)))


@pytest.mark.parametrize("value", [
    "811218-9876", "8112189876", "19811218-9876", "198112189876", "811218+9876",
    "811278-9873",  # samordningsnummer (day + 60)
    " 19811218-9876 ",
])
def test_valid_personnummer_forms(value: str) -> None:
    assert is_personnummer(value)


@pytest.mark.parametrize("value", [
    "811218-9875",    # wrong check digit
    "811318-9876",    # month 13
    "811200-9876",    # day 00
    "811218-98765",   # too long
    "2024-03-05",     # a date
    "070-1234567",    # a phone number
    "",
])
def test_not_personnummer(value: str) -> None:
    assert not is_personnummer(value)


@given(st.integers(min_value=0, max_value=99), st.integers(min_value=1, max_value=12),
       st.integers(min_value=1, max_value=28), st.integers(min_value=0, max_value=999))
@settings(max_examples=60, deadline=None)
def test_generated_personnummer_always_found(yy: int, mm: int, dd: int, serial: int) -> None:
    nine = f"{yy:02d}{mm:02d}{dd:02d}{serial:03d}"
    pnr = nine[:6] + "-" + nine[6:] + _luhn_digit(nine)
    assert is_personnummer(pnr) and is_personnummer("19" + pnr)
    assert values_with_personal_data([f"Anmälare {pnr} ringde"]).tolist() == [True]


def test_luhn_reference_values() -> None:
    # Skatteverket's example 811218-9876 and simple Luhn references
    assert luhn_ok("8112189876")
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert not luhn_ok("81121898x6")


def test_headers_are_recognised() -> None:
    df = pd.DataFrame({c: ["x"] for c in [
        "Personnummer", "pnr", "Samordningsnummer", "Förnamn", "Efternamn", "Namn", "name",
        "Anmälare", "Målsägande", "Telefon", "Mobilnummer", "E-post", "email", "Kommentar",
        "Beskrivning", "summary", "Anmälarens namn",
    ]})
    found = find_personal_data(df, content=False)
    assert list(found["column"]) == list(df.columns)
    kinds = dict(zip(found["column"], found["kind"], strict=True))
    assert kinds["pnr"] == "personnummer" and kinds["Efternamn"] == "name"
    assert kinds["E-post"] == "email" and kinds["Mobilnummer"] == "phone"
    assert kinds["Kommentar"] == "free_text" and kinds["Anmälarens namn"] == "name"


def test_innocent_headers_are_not_flagged() -> None:
    df = pd.DataFrame({c: ["Storgatan"] for c in [
        "district_name", "platsnamn", "gatunamn", "category", "Brottstyp", "Adress", "kommunnamn",
        "area_name", "Diarienummer",
    ]})
    assert find_personal_data(df, content=False).empty


def test_content_detection() -> None:
    n = 40
    df = pd.DataFrame({
        "a": [f"19{(i % 90) + 10:02d}0{(i % 9) + 1}1{i % 10}-{1000 + i}" for i in range(n)],  # pnr shape
        "b": [f"07{i % 10}-{1234560 + i}" for i in range(n)],
        "c": ["kontakta mig på anna.svensson@example.se" if i == 7 else "ok" for i in range(n)],
        "d": [["Anna Andersson", "Erik Lindqvist", "Per Holm", "Karin Berg"][i % 4] for i in range(n)],
        "e": [f"Händelse nummer {i}: en man i blå jacka kastade sten mot bussen vid hållplatsen"
              for i in range(n)],
        "f": ["vald", "stold"] * (n // 2),                       # codes: fine
        "g": np.arange(n, dtype="int64"),                        # counts: fine
        "h": [f"K{i:06d}-25" for i in range(n)],                 # case numbers: fine
        "i": [f"{5000000000 + 7919 * i}" for i in range(n)],     # 10-digit ids: not pnr-shaped
        "j": ["Storgatan 12", "Parkvägen 3", "Centrum", "Östra Åby"] * (n // 4),
    })
    found = find_personal_data(df, headers=False)
    got = dict(zip(found["column"], found["kind"], strict=True))
    assert got == {"a": "personnummer", "b": "phone", "c": "email", "d": "name", "e": "free_text"}
    assert set(found["evidence"]) == {"content"}


def test_single_embedded_luhn_valid_personnummer_flags_column() -> None:
    vals = ["ok"] * 99 + ["anmälare 811218-9876"]
    found = find_personal_data(pd.DataFrame({"x": vals}), headers=False)
    assert found["kind"].tolist() == ["personnummer"]


def test_find_personal_data_does_not_mutate() -> None:
    df = pd.DataFrame({"pnr": ["811218-9876"]})
    before = df.copy()
    find_personal_data(df)
    pd.testing.assert_frame_equal(df, before)


def test_suppress_counts_exact() -> None:
    df = pd.DataFrame({"count": [10, 2, 0, 6], "count_a": [8, 1, 0, 3], "count_b": [2, 1, 0, 3],
                       "rate": [1.0, 2.0, 3.0, 4.0]})
    out = suppress_counts(df, ["count", "count_a", "count_b"], min_count=3, derived=["rate"])
    assert out["count"].tolist() == [10, pd.NA, 0, 6]
    assert out["suppressed"].tolist() == [False, True, False, False]
    # row 0: count_b=2 hidden, and count_a (8) hidden too so 10-8 cannot reveal it
    assert out["count_a"].tolist() == [pd.NA, pd.NA, 0, 3]
    assert out["count_b"].tolist() == [pd.NA, pd.NA, 0, 3]
    assert out["rate"].isna().tolist() == [False, True, False, False]
    assert df["count"].tolist() == [10, 2, 0, 6]  # input untouched


def test_suppress_keeps_previous_suppression() -> None:
    df = pd.DataFrame({"count": pd.array([None, 5], dtype="Int64"), "suppressed": [True, False]})
    out = suppress_counts(df, ["count"], min_count=3)
    assert out["suppressed"].tolist() == [True, False]
    assert out["count"].tolist() == [pd.NA, 5]


def test_suppress_across_rows() -> None:
    df = pd.DataFrame({"count": pd.array([9, None, 4], dtype="Int64"), "suppressed": [False, True, False]})
    out = suppress_across_rows(df)
    assert out["count"].tolist() == [9, pd.NA, pd.NA]
    assert out["suppressed"].tolist() == [False, True, True]
    two = pd.DataFrame({"count": pd.array([9, None, None], dtype="Int64"),
                        "suppressed": [False, True, True]})
    assert suppress_across_rows(two)["count"].tolist() == [9, pd.NA, pd.NA]


def test_suppress_survey() -> None:
    df = pd.DataFrame({"n": [5, 4, None], "share": [0.2, 0.5, 0.1]})
    out = suppress_survey(df, value_columns=["share"], min_respondents=5)
    assert out["suppressed"].tolist() == [False, True, True]
    assert out["share"].isna().tolist() == [False, True, True]
    with pytest.raises(InputError, match="respondent count"):
        suppress_survey(df, n_column="antal", min_respondents=5)


def test_privacy_options_validated() -> None:
    with pytest.raises(InputError, match="min_count"):
        Privacy(min_count=0)
    assert Privacy(include_points=True).include_points
