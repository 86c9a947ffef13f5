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
    protect_table,
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


def _full(body: np.ndarray) -> np.ndarray:
    """The table with its row totals (last column) and column totals (last row)."""
    full = np.zeros((body.shape[0] + 1, body.shape[1] + 1), dtype=int)
    full[:-1, :-1], full[:-1, -1] = body, body.sum(axis=1)
    full[-1, :-1], full[-1, -1] = body.sum(axis=0), body.sum()
    return full


def _brute_intervals(body: np.ndarray, hidden: np.ndarray, mc: int) -> dict:
    """Every table consistent with the published figures (row totals and column totals
    shown unless hidden; hidden values 0..mc-1 when small, >= mc otherwise), by
    enumerating the hidden inner values (the margins follow from them)."""
    import itertools

    full = np.zeros((body.shape[0] + 1, body.shape[1] + 1), dtype=int)
    full[:-1, :-1] = body
    full[:-1, -1] = body.sum(axis=1)
    full[-1, :-1] = body.sum(axis=0)
    full[-1, -1] = body.sum()
    inner = list(zip(*np.nonzero(hidden[:-1, :-1]), strict=True))
    cap = int(full.max()) + 1
    ranges = [range(0, mc) if full[r, c] < mc else range(mc, cap) for r, c in inner]
    assert np.prod([len(x) for x in ranges]) < 3e6, "table too big to enumerate"
    cells = list(zip(*np.nonzero(hidden), strict=True))
    seen: dict = {cell: set() for cell in cells}
    for combo in itertools.product(*ranges):
        t = full.copy()
        for (r, c), v in zip(inner, combo, strict=True):
            t[r, c] = v
        t[:-1, -1] = t[:-1, :-1].sum(axis=1)
        t[-1, :-1] = t[:-1, :-1].sum(axis=0)
        t[-1, -1] = t[:-1, :-1].sum()
        ok = True
        for r in range(t.shape[0]):
            for c in range(t.shape[1]):
                if r < body.shape[0] and c < body.shape[1]:
                    continue
                v, true = t[r, c], full[r, c]
                if not hidden[r, c]:
                    ok &= bool(v == true)
                else:
                    ok &= bool(v < mc) if true < mc else bool(v >= mc)
        if ok:
            for cell in cells:
                seen[cell].add(int(t[cell]))
    return seen


@pytest.mark.parametrize("body", [
    [[5, 2, 0], [3, 4, 0], [0, 1, 4]],     # one small value per row
    [[1, 1, 0], [4, 3, 0], [3, 0, 5]],     # the "k·1" row: two hidden that must be 1 each
    [[2, 2, 4], [0, 3, 3]],                # k·2
    [[1, 0, 0], [0, 2, 0], [0, 0, 9]],     # sparse
])
def test_protect_table_leaves_every_hidden_value_two_possibilities(body: list[list[int]]) -> None:
    """protect_table's suppression checked against an enumeration of every consistent table."""
    b = np.asarray(body)
    df = pd.DataFrame(b, columns=["a", "b", "c"])
    df["total"] = b.sum(axis=1)
    out = protect_table(df, ["a", "b", "c"], min_count=3, row_total="total", column_totals=True)
    hidden = np.zeros((b.shape[0] + 1, b.shape[1] + 1), dtype=bool)
    hidden[:-1, :3] = out[["a", "b", "c"]].isna().to_numpy()
    hidden[:-1, 3] = out["total"].isna().to_numpy()
    for c, v in out.attrs["column_totals"].items():
        j = ["a", "b", "c", "total"].index(c)
        hidden[-1, j] = v is None
    # every small value is hidden, nothing below min_count is shown
    small = (b > 0) & (b < 3)
    assert hidden[:-1, :3][small].all()
    shown = out[["a", "b", "c", "total"]].to_numpy(dtype="float64", na_value=np.nan)
    assert not ((shown > 0) & (shown < 3)).any()
    seen = _brute_intervals(b, hidden, 3)
    full = _full(b)
    for cell, values in seen.items():
        # every hidden small count keeps two possible values; a hidden zero or a value hidden to
        # protect others may be pinned (it tells nothing that could not be published)
        if 0 < full[cell] < 3:
            assert len(values) >= 2, (cell, values)
        assert full[cell] in values


def test_protect_table_rows_and_derived() -> None:
    f = pd.DataFrame({"count": [10, 2, 0, 7], "per_km2": [5.0, 1.0, 0.0, 3.5]}, index=list("abcd"))
    out = protect_table(f, ["count"], min_count=3, column_totals=True, derived={"per_km2": "count"})
    assert out["count"].isna().tolist() == [False, True, True, True] or \
        out["count"].isna().sum() >= 2
    assert out["per_km2"].isna().tolist() == out["count"].isna().tolist()
    assert out.loc["b", "suppressed_primary"] == ("count",)
    assert f["count"].tolist() == [10, 2, 0, 7]  # input untouched


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


@pytest.mark.slow
@given(st.lists(st.lists(st.integers(min_value=0, max_value=6), min_size=2, max_size=3),
                min_size=2, max_size=3).filter(lambda rows: len({len(r) for r in rows}) == 1))
@settings(max_examples=15, deadline=None, derandomize=True)
def test_protect_table_property_against_enumeration(body: list[list[int]]) -> None:
    """Random small tables with row and column totals: no hidden small count is pinned."""
    b = np.asarray(body)
    cols = [f"c{j}" for j in range(b.shape[1])]
    df = pd.DataFrame(b, columns=cols)
    df["total"] = b.sum(axis=1)
    out = protect_table(df, cols, min_count=3, row_total="total", column_totals=True)
    hidden = np.zeros((b.shape[0] + 1, b.shape[1] + 1), dtype=bool)
    hidden[:-1, :-1] = out[cols].isna().to_numpy()
    hidden[:-1, -1] = out["total"].isna().to_numpy()
    for c, v in out.attrs["column_totals"].items():
        hidden[-1, [*cols, "total"].index(c)] = v is None
    full = np.zeros_like(hidden, dtype=int)
    full[:-1, :-1], full[:-1, -1] = b, b.sum(axis=1)
    full[-1, :-1], full[-1, -1] = b.sum(axis=0), b.sum()
    assert not (~hidden & (full > 0) & (full < 3)).any()
    try:
        seen = _brute_intervals(b, hidden, 3)
    except AssertionError:  # too many hidden values to enumerate here
        return
    assert all(len(v) >= 2 for cell, v in seen.items() if 0 < full[cell] < 3), seen
    assert all(full[cell] in v for cell, v in seen.items())


@pytest.mark.parametrize(("rows", "cols"), [(400, 3), (200, 62), (100, 63), (5, 1), (0, 4)])
def test_hidden_column_lists_per_row_follow_the_flags(rows: int, cols: int) -> None:
    # the suppressed_primary/secondary lists: each row's flagged columns, in column order
    from lagesbild_geo.privacy import _column_tuples

    flags = np.random.default_rng(rows + cols).random((rows, cols)) < 0.3
    names = [f"count_{i}" for i in range(cols)]
    assert _column_tuples(flags, names) == [tuple(n for n, f in zip(names, row, strict=True) if f)
                                            for row in flags.tolist()]
