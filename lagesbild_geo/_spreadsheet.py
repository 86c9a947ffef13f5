"""Cells that a spreadsheet would run as formulas (private; used by every CSV/Excel writer).

OWASP's CSV-injection guidance: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is read by Excel, LibreOffice and Google Sheets as a
formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``). Such a text gets a leading
single quote, which the spreadsheet shows as plain text. Real numbers (also negative
ones) stay numbers; dates stay dates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMULA_START", "neutralise_formulas", "safe_cell"]

#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as it may be written to a CSV or Excel cell.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-5"), safe_cell(-5), safe_cell("Torget")
    ('\\'=HYPERLINK("http://x")', "'-5", -5, 'Torget')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot run as formulas.

    Numeric, boolean and date columns are left as they are; only text values (in
    object or string columns) are changed, with :func:`safe_cell`.

    Examples
    --------
    >>> df = pd.DataFrame({"a": ["=1+1", "ok"], "b": [-1, 2]})
    >>> neutralise_formulas(df).to_dict("list")
    {'a': ["'=1+1", 'ok'], 'b': [-1, 2]}
    """
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype):
            vals = s.astype(object).to_numpy()
            starts = np.fromiter((isinstance(v, str) and v.startswith(FORMULA_START) for v in vals),
                                 dtype=bool, count=len(vals))
            if starts.any():
                vals = vals.copy()
                vals[starts] = ["'" + v for v in vals[starts]]
                out[c] = pd.Series(vals, index=out.index, dtype=object)
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out
