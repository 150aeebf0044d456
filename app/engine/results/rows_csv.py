"""Rows of a result table as a CSV file an operator opens in Excel: UTF-8 with BOM, formula-safe cells.

Excel reads a CSV without a BOM as the PC's code page (Japanese text turns to mojibake), and it runs a cell
that starts with ``= + - @`` (or a tab/CR before one) as a formula: a text from the data such as
``=HYPERLINK(...)`` would become a live link. Such cells get a leading apostrophe, Excel's own text marker.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence

from app.engine.storage import atomic_write_bytes

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: object) -> str:
    """The cell as text that a spreadsheet shows as written and never evaluates."""
    text = "" if value is None else str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return text  # a number (even negative) stays a number
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_rows_csv(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Write ``header`` and ``rows`` to ``path`` (UTF-8 with BOM, every text cell neutralised), atomically."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize_cell(h) for h in header])
    for row in rows:
        writer.writerow([neutralize_cell(cell) for cell in row])
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8-sig"))
