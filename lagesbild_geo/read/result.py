"""What a read returns: :class:`ReadResult`, the rejected-rows table and the row accounting.

Kept apart from the reader itself (:mod:`lagesbild_geo.read.incidents`) so that the
steps after reading (geocoding the pending rows, :func:`lagesbild_geo.geocode.place_pending`)
build on the result without depending on how the file was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..schema import text_value_counts

__all__ = ["REASONS", "ReadResult", "empty_rejected", "make_rejected", "with_counts"]

#: Rejection reasons: English (``reason``) → Swedish (``reason_sv``).
REASONS: dict[str, str] = {
    "missing time": "tid saknas",
    "unparseable time": "tiden kan inte tolkas",
    "date out of range": "datum utanför giltigt intervall",
    "no location": "plats saknas (varken koordinater, adress eller platsnamn)",
    "unparseable coordinates": "koordinaterna kan inte tolkas",
    "unknown CRS": "koordinaterna passar inget svenskt koordinatsystem (ange vilket)",
    "outside Sweden": "utanför Sverige",
    "outside boundary": "utanför området",
    "address not found": "adressen hittades inte",
    "other kommun": "annan kommun",
    "lan level": "bara länsnivå (länet är inte kommunen)",
    "totals row": "summeringsrad (summerar de andra raderna)",
}


@dataclass(frozen=True)
class ReadResult:
    """The outcome of :func:`lagesbild_geo.read.read_incidents`.

    Attributes
    ----------
    placed
        Canonical incident table (``docs/data-contracts.md``); precision is
        ``point``, ``address``, ``place`` or ``area``.
    pending
        Rows awaiting geocoding: precision ``pending``, ``location_text`` set,
        coordinates NaN, ``cell`` 0.
    rejected
        ``source``, ``source_row``, ``reason``, ``reason_sv`` and the raw values
        as ``raw_<column>`` (text).
    report
        Counts and what was detected; ``rows_read == placed + pending + rejected``.
    """

    placed: pd.DataFrame
    pending: pd.DataFrame
    rejected: pd.DataFrame
    report: dict[str, Any]

    @property
    def incidents(self) -> pd.DataFrame:
        """The placed incidents (same as ``placed``)."""
        return self.placed


def make_rejected(
    raw: pd.DataFrame, reason: str | Sequence[str] | np.ndarray, *, source: str | Sequence[str],
    source_row: npt.ArrayLike,
) -> pd.DataFrame:
    """Build the rejected-rows table (``source``, ``source_row``, ``reason``,
    ``reason_sv``, ``raw_<column>`` as text) for rows of ``raw``.

    Examples
    --------
    >>> r = make_rejected(pd.DataFrame({"Datum": ["?"]}), "unparseable time", source="a.csv", source_row=[2])
    >>> r.iloc[0].to_dict()
    {'source': 'a.csv', 'source_row': 2, 'reason': 'unparseable time', 'reason_sv': 'tiden kan inte tolkas', 'raw_Datum': '?'}
    """
    n = len(raw)
    reasons = np.full(n, reason, dtype=object) if isinstance(reason, str) else np.asarray(reason, dtype=object)
    codes, uniq = pd.factorize(pd.Series(reasons, dtype=object).astype(str))
    reason_sv = np.asarray([REASONS.get(r, r) for r in uniq], dtype=object)[codes] if n else reasons
    data: dict[str, Any] = {
        "source": pd.array(np.full(n, source, dtype=object) if isinstance(source, str) else list(source),
                           dtype="string"),
        "source_row": np.asarray(source_row, dtype=np.int64),
        "reason": pd.array(reasons, dtype="string"),
        "reason_sv": pd.array(reason_sv, dtype="string"),
    }
    # every raw column in one step (one DataFrame built at the end: linear in the
    # number of columns; adding them one by one was quadratic)
    names = _raw_names(raw.columns)
    for (_, col), key in zip(raw.items(), names, strict=True):
        if key is None:
            continue
        data[key] = (col if isinstance(col.dtype, pd.StringDtype) and col.dtype.na_value is pd.NA
                     else col.astype("string")).array
    return pd.DataFrame(data, copy=False)


def _raw_names(columns: Iterable[object]) -> list[str | None]:
    """``raw_<column>`` names (None for the geometry), unique even if the columns are not."""
    out: list[str | None] = []
    seen = {"source", "source_row", "reason", "reason_sv"}
    for c in columns:
        if c == "geometry":
            out.append(None)
            continue
        key = f"raw_{c}"
        k = 1
        while key in seen:
            key = f"raw_{c}.{k}"
            k += 1
        seen.add(key)
        out.append(key)
    return out


def empty_rejected(raw_columns: Iterable[object] = ()) -> pd.DataFrame:
    """The rejected-rows table with no rows, with a ``raw_<column>`` for each of ``raw_columns``.

    Examples
    --------
    >>> list(empty_rejected(["Datum"]).columns)
    ['source', 'source_row', 'reason', 'reason_sv', 'raw_Datum']
    """
    data: dict[str, Any] = {
        "source": pd.Series([], dtype="string"), "source_row": pd.Series([], dtype="int64"),
        "reason": pd.Series([], dtype="string"), "reason_sv": pd.Series([], dtype="string"),
    }
    for key in _raw_names(raw_columns):
        if key is not None:
            data[key] = pd.Series([], dtype="string")
    return pd.DataFrame(data)


def with_counts(result: ReadResult) -> ReadResult:
    """The result with its report's counts filled in from its tables, checked to add up.

    Sets ``placed``, ``pending``, ``rejected``, ``by_precision`` and
    ``rejected_by_reason``; raises ``RuntimeError`` if ``placed + pending + rejected``
    is not ``rows_read`` (a bug, never bad input).

    Examples
    --------
    >>> empty = pd.DataFrame({"precision": pd.Series([], dtype="string")})
    >>> r = with_counts(ReadResult(empty, empty, empty_rejected(), {"rows_read": 0}))
    >>> r.report["placed"], r.report["by_precision"]
    (0, {})
    """
    placed, pending, rejected, report = result.placed, result.pending, result.rejected, dict(result.report)
    report["placed"] = len(placed)
    report["pending"] = len(pending)
    report["rejected"] = len(rejected)
    counts = text_value_counts(placed["precision"]) if "precision" in placed.columns else None
    report["by_precision"] = counts if counts is not None else {
        str(k): int(v) for k, v in placed["precision"].value_counts().items()}
    report["rejected_by_reason"] = {str(k): int(v) for k, v in rejected["reason"].value_counts().items()}
    total = len(placed) + len(pending) + len(rejected)
    if total != report["rows_read"]:  # pragma: no cover - an invariant; a bug if it fires
        raise RuntimeError(f"row accounting broke: {total} != {report['rows_read']}")
    return ReadResult(placed=placed, pending=pending, rejected=rejected, report=report)
