"""Place-name identity (å, ä, ö are letters) and the shipped kommun table."""

from __future__ import annotations

import pandas as pd
import pytest

from lagesbild_geo.errors import InputError
from lagesbild_geo.names import (
    admin_levels,
    find_kommun,
    is_lan_name,
    kommun_keys,
    kommuner,
    loose_key,
    loose_matches,
    name_key,
)


@pytest.mark.parametrize(("a", "b"), [
    ("Upplands-Bro", "upplands bro"), ("Upplands Väsby", "UPPLANDS  VÄSBY"), ("S:t Eriksplan", "St. Eriksplan"),
    ("Hässelby gård", "Hässelbygård"), ("Kungsallén", "Kungsallen"), ("Dals-Ed", "Dals-ed"),
    ("Ö:a Älvsjö", "Öa Älvsjö"), ("Malung-Sälen", "Malung Sälen"),
])
def test_same_name(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("Vårberg", "Varberg"), ("Håbo", "Habo"), ("Älvsjö", "Alvsjo"), ("Skövde", "Skovde"),
    ("Åsele", "Asele"), ("Müller", "Muller"),
])
def test_different_names_differ_in_a_swedish_letter(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)
    assert loose_key(a) == loose_key(b)  # a suggestion, never identity


def test_decomposed_letters_are_the_same_letters() -> None:
    decomposed = "Va\u030arberg"  # å written as a + combining ring
    assert name_key(decomposed) == name_key("Vårberg")


def test_loose_matches_offer_suggestions_only() -> None:
    assert loose_matches("Varberg", ["Vårberg", "Varberg", "Bagarmossen"]) == ["Vårberg"]
    assert loose_matches("", ["Vårberg"]) == []


def test_kommun_table() -> None:
    k = kommuner()
    assert len(k) == 290 and k["kommunkod"].is_unique and k["kommun"].is_unique
    assert k["kommunkod"].str.fullmatch(r"\d{4}").all()
    assert k["lan"].nunique() == 21 and k["lan"].str.endswith(" län").all()
    stockholm = find_kommun("Stockholm")
    assert (stockholm.code, stockholm.lan_code, stockholm.lan) == ("0180", "01", "Stockholms län")


@pytest.mark.parametrize(("value", "code"), [
    ("0180", "0180"), ("180", "0180"), (180, "0180"), ("Stockholms stad", "0180"), ("stockholms kommun", "0180"),
    ("Upplands väsby", "0114"), ("Upplands-bro", "0139"), ("Varberg", "1383"), ("Vårgårda", "1442"),
    ("Torsby", "1737"), ("Värmdö", "0120"), ("Lysekils kommun", "1484"), ("Gotland", "0980"),
])
def test_find_kommun(value: object, code: str) -> None:
    assert find_kommun(value).code == code


def test_find_kommun_refuses_with_a_suggestion() -> None:
    with pytest.raises(InputError, match="Did you mean Västerås"):
        find_kommun("Vasteras")
    with pytest.raises(InputError, match="not one of SCB's 290 kommun codes"):
        find_kommun("9999")
    with pytest.raises(InputError, match="Did you mean Lysekil"):
        find_kommun("Lysekill")


def test_kommun_keys_are_the_ways_a_kommun_is_written() -> None:
    keys = kommun_keys("Lysekil")
    assert {name_key(x) for x in ("Lysekil", "Lysekils kommun", "LYSEKIL KOMMUN", "Lysekils stad")} <= keys
    assert name_key("Lysekils hamn") not in keys
    assert kommun_keys(None) == frozenset()
    assert name_key("Exempelkommun") in kommun_keys("Exempelkommun")


def test_admin_levels_of_the_feed_s_locations() -> None:
    got = admin_levels(pd.Series(["Stockholm", "Uppsala län", "Upplands väsby", "Vårberg", None, "Skåne län"]))
    assert got["level"].tolist() == ["kommun", "lan", "kommun", "other", "none", "lan"]
    assert got["kommun_code"].astype(object).fillna("-").tolist() == ["0180", "-", "0114", "-", "-", "-"]
    assert got["lan_code"].astype(object).fillna("-").tolist() == ["01", "03", "01", "-", "-", "12"]
    assert is_lan_name("Västra Götalands län") and not is_lan_name("Länna")
