"""The tables and charts an AppTest page shows, as the coordinator reads them.

Most pages show tables with ``st.dataframe`` (``at.dataframe``); the Karta draws its trend
and district tables and its month chart as plain HTML and SVG (``st.html``, ``st.markdown``), which this
module reads back: every ``<table>`` as a DataFrame of its cell text (the header row's
``<th>`` as column names; ``attrs["right"]``: the columns whose header and every cell are
aligned right) and every chart's bars with their tooltips.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pandas as pd


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[str], list[list[str]], list[bool], list[list[bool]]]] = []
        self._cell: list[str] | None = None
        self._right = False
        self._row: list[str] | None = None
        self._row_right: list[bool] = []
        self._in_head = False
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "style":
            self._in_style = True
        elif tag == "table":
            self.tables.append(([], [], [], []))
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row, self._row_right = [], []
        elif tag in ("td", "th"):
            self._cell, self._right = [], "num" in classes

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._row_right.append(self._right)
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            head, rows, head_right, rows_right = self.tables[-1]
            if self._in_head:
                head.extend(self._row)
                head_right.extend(self._row_right)
            else:
                rows.append(self._row)
                rows_right.append(self._row_right)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._in_style:
            self._cell.append(data)


def tables_in_html(html: str) -> list[pd.DataFrame]:
    """Every ``<table>`` in ``html`` as a DataFrame of text (see the module's docstring)."""
    parser = _Tables()
    parser.feed(html)
    out = []
    for head, rows, head_right, rows_right in parser.tables:
        assert all(len(r) == len(head) for r in rows), f"a row does not fit the header {head}"
        frame = pd.DataFrame(rows, columns=head, dtype=object)
        frame.attrs["right"] = [c for i, c in enumerate(head)
                                if head_right[i] and all(r[i] for r in rows_right)]
        out.append(frame)
    return out


def html_tables(at: Any) -> list[pd.DataFrame]:
    """The tables a page draws with ``st.html``."""
    return [t for h in at.get("html") for t in tables_in_html(h.value)]


def shown_tables(at: Any) -> list[pd.DataFrame]:
    """Every table a page shows: ``st.dataframe`` and ``st.html`` tables."""
    return [d.value for d in at.dataframe] + html_tables(at)


class _Bars(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bars: list[str] = []
        self.texts: list[str] = []
        self._where: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._where = "title"
            self.bars.append("")
        elif tag == "text":
            self._where = "text"
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "text"):
            self._where = None

    def handle_data(self, data: str) -> None:
        if self._where == "title":
            self.bars[-1] += data
        elif self._where == "text":
            self.texts[-1] += data


def svg_charts(at: Any) -> list[tuple[list[str], list[str]]]:
    """Every inline SVG chart a page draws (with ``st.markdown``: ``st.html`` drops SVG):
    (its bars' tooltips, its texts) in document order."""
    out = []
    for h in at.markdown:
        if not h.value.startswith('<div class="lb-chart"><svg '):
            continue
        parser = _Bars()
        parser.feed(h.value)
        out.append((parser.bars, parser.texts))
    return out
