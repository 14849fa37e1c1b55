"""Google Sheets cells ↔ syncd's values, and a sheet's tabs ↔ syncd's table model.

Cells are read with their types intact: the unformatted value (numbers as numbers, dates as serial
numbers) plus the cell's number format, which tells a date from a number, exactly as Excel's files
do. The table is found in a tab as in any workbook (``syncd.workbook.header``): titles above the
header are skipped, ragged rows padded, the hidden ``syncd id`` column gives the row ids.

Everything here is pure: JSON in, values out (and back).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from syncd.errors import CopyRejected
from syncd.model import ROW_ID_COLUMN, Table, Value
from syncd.workbook import layout
from syncd.workbook.header import build_table, detect_header, header_name
from syncd.workbook.values import EXACT_INT

#: Day 0 of Google Sheets' (and Excel's 1900) serial numbers.
EPOCH = dt.datetime(1899, 12, 30)
DATE_TYPES = ("DATE", "DATE_TIME", "TIME")
#: Google Sheets' own limit for one cell.
MAX_CELL_CHARS = 50_000
#: The number format syncd gives a cell it writes a date, date-time or time into.
FORMATS = {
    "DATE": {"type": "DATE", "pattern": layout.DATE_FORMAT},
    "DATE_TIME": {"type": "DATE_TIME", "pattern": layout.DATETIME_FORMAT},
    "TIME": {"type": "TIME", "pattern": layout.TIME_FORMAT},
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell as syncd cares about it: its value, note, fill colour and number format type.

    ``formula`` is true when a person typed a formula (``value`` is then its result); ``fresh`` marks
    a cell of a row or column syncd is inserting, whose formats are copied from a neighbour.
    """

    value: Value = None
    note: str | None = None
    bg: str | None = None  # "RRGGBB" of the fill a person or syncd set; None for none (white)
    fmt: str | None = None  # number format type: "DATE", "NUMBER", "TEXT"...; None when automatic
    formula: bool = False
    fresh: bool = False


EMPTY = Cell()


@dataclass(frozen=True)
class Tab:
    """One tab of a spreadsheet: its properties and (when fetched) its cells from A1."""

    title: str
    sheet_id: int
    index: int = 0
    hidden: bool = False
    row_count: int = 1000
    col_count: int = 26
    frozen_rows: int = 0
    rows: tuple[tuple[Cell, ...], ...] = ()
    hidden_cols: frozenset[int] = field(default_factory=frozenset)

    def values(self) -> list[list[Value]]:
        return [[c.value for c in row] for row in self.rows]

    def is_blank(self) -> bool:
        return all(c.value is None and not c.formula for row in self.rows for c in row)


# --- single values ------------------------------------------------------------------------------


def from_serial(number: float, fmt: str | None) -> Value:
    """A serial number as the date, date-time or time its number format says it is."""
    try:
        # Milliseconds: a double holds a serial to about a microsecond, and no spreadsheet shows finer.
        moment = EPOCH + dt.timedelta(milliseconds=round(number * 86_400_000))
    except (OverflowError, ValueError):
        return number
    if fmt == "TIME":
        return moment.time() if 0 <= number < 1 else moment
    if fmt == "DATE" and moment.time() == dt.time(0):
        return moment.date()
    return moment


def to_serial(value: dt.date | dt.datetime | dt.time) -> float:
    """A date, date-time or time as a Sheets serial number (days since 1899-12-30)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - EPOCH
    elif isinstance(value, dt.date):
        delta = dt.datetime(value.year, value.month, value.day) - EPOCH
    else:
        delta = dt.timedelta(hours=value.hour, minutes=value.minute, seconds=value.second,
                             microseconds=value.microsecond)
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def _to_millis(value: dt.datetime | dt.time) -> Value:
    micro = value.microsecond
    if micro % 1000 == 0:
        return value
    if isinstance(value, dt.time):
        moment = _to_millis(dt.datetime.combine(dt.date(2000, 1, 1), value))
        assert isinstance(moment, dt.datetime)
        return moment.time() if moment.date() == dt.date(2000, 1, 1) else dt.time(23, 59, 59, 999000)
    return value.replace(microsecond=0) + dt.timedelta(milliseconds=round(micro / 1000))


def date_type(value: Value) -> str | None:
    """The number format type a value needs to be read back as itself (``None``: not a date)."""
    if isinstance(value, dt.datetime):
        return "DATE_TIME"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, dt.time):
        return "TIME"
    return None


def _final(value: Any) -> Value:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer() and -EXACT_INT < value < EXACT_INT:
            return int(value)
        return value
    if isinstance(value, str):
        return None if not value or value.isspace() else value
    return value


def normalise(value: Value) -> Value:
    """What a value reads back as once written to a sheet (so equal values are not written again)."""
    if isinstance(value, str):
        text = layout.clean_text(value)[:MAX_CELL_CHARS]
        return None if not text or text.isspace() else text
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and not -EXACT_INT < value < EXACT_INT:
        return str(value)  # a double would round the digits a person typed (as the .xlsx writer does)
    if isinstance(value, dt.datetime):
        return _to_millis(value.replace(tzinfo=None))
    if isinstance(value, dt.time):
        return _to_millis(value.replace(tzinfo=None))
    return _final(value)


def same(a: Value, b: Value) -> bool:
    """Whether two values are the same cell to a person (``True`` is not ``1``, a date not a date-time)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def extended(value: Value) -> dict[str, Any]:
    """The typed ``ExtendedValue`` for a cell: text is always ``stringValue``, so ``=SUM(A1)`` stays
    text and is never evaluated; dates are serial numbers (give the cell a date format too)."""
    value = normalise(value)
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if isinstance(value, (dt.date, dt.time)):
        return {"numberValue": to_serial(value)}
    return {"stringValue": str(value)}


def colour(hex_rgb: str) -> dict[str, float]:
    return {"red": int(hex_rgb[0:2], 16) / 255, "green": int(hex_rgb[2:4], 16) / 255, "blue": int(hex_rgb[4:6], 16) / 255}


def hex_colour(raw: Any) -> str | None:
    """A Sheets ``Color`` as ``RRGGBB``; ``None`` for none or white (Sheets' empty fill)."""
    if not isinstance(raw, dict):
        return None
    parts = []
    for key in ("red", "green", "blue"):
        v = raw.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return None
        parts.append(max(0, min(255, round(v * 255))))
    text = "".join(f"{p:02X}" for p in parts)
    return None if text == "FFFFFF" else text


# --- cells and tabs from the API ------------------------------------------------------------------


def _dict(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _format_type(fmt: dict[str, Any]) -> str | None:
    number = _dict(fmt.get("numberFormat"))
    kind = number.get("type")
    return kind if isinstance(kind, str) else None


def parse_cell(raw: Any) -> Cell:
    """A ``CellData`` JSON object (from ``spreadsheets.get`` with grid data) as a ``Cell``."""
    data = _dict(raw)
    user_fmt = _dict(data.get("userEnteredFormat"))
    fmt = _format_type(user_fmt) or _format_type(_dict(data.get("effectiveFormat")))
    effective = _dict(data.get("effectiveValue"))
    value: Any = None
    if "numberValue" in effective:
        number = effective["numberValue"]
        if isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number):
            value = from_serial(number, fmt) if fmt in DATE_TYPES else float(number)
    elif "stringValue" in effective:
        value = effective["stringValue"] if isinstance(effective["stringValue"], str) else None
    elif "boolValue" in effective:
        value = effective["boolValue"] if isinstance(effective["boolValue"], bool) else None
    elif "errorValue" in effective:
        shown = data.get("formattedValue")
        value = shown if isinstance(shown, str) and shown else "#ERROR!"
    note = data.get("note") if isinstance(data.get("note"), str) and data.get("note") else None
    formula = "formulaValue" in _dict(data.get("userEnteredValue"))
    return Cell(_final(value), note, hex_colour(user_fmt.get("backgroundColor")), fmt, formula)


def _int(raw: Any, default: int) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else default


def parse_tab(raw: Any) -> Tab:
    """One entry of ``Spreadsheet.sheets`` (with or without grid data) as a ``Tab``."""
    sheet = _dict(raw)
    props = _dict(sheet.get("properties"))
    grid = _dict(props.get("gridProperties"))
    title = props.get("title")
    if not isinstance(title, str) or not isinstance(props.get("sheetId", 0), int):
        raise ValueError("a tab without a title")
    rows: list[tuple[Cell, ...]] = []
    hidden: set[int] = set()
    for block in sheet.get("data") or ():
        block = _dict(block)
        r0, c0 = _int(block.get("startRow"), 0), _int(block.get("startColumn"), 0)
        for i, row in enumerate(block.get("rowData") or ()):
            cells = [parse_cell(c) for c in (_dict(row).get("values") or ())]
            while len(rows) <= r0 + i:
                rows.append(())
            line = list(rows[r0 + i])
            line += [EMPTY] * (c0 + len(cells) - len(line))
            line[c0 : c0 + len(cells)] = cells
            rows[r0 + i] = tuple(line)
        for j, meta in enumerate(block.get("columnMetadata") or ()):
            if _dict(meta).get("hiddenByUser") is True:
                hidden.add(c0 + j)
    while rows and all(c == EMPTY for c in rows[-1]):
        rows.pop()
    return Tab(title=title, sheet_id=_int(props.get("sheetId"), 0), index=_int(props.get("index"), 0),
               hidden=props.get("hidden") is True, row_count=_int(grid.get("rowCount"), 0),
               col_count=_int(grid.get("columnCount"), 0), frozen_rows=_int(grid.get("frozenRowCount"), 0),
               rows=tuple(rows), hidden_cols=frozenset(hidden))


# --- the table in a tab ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """Where a table sits in a tab: header row, the sheet column of each table column, the id column."""

    table: Table
    header: int  # 0-based row of the header
    positions: tuple[int, ...]  # 0-based sheet column of table.columns[i]
    id_col: int | None


def _used_columns(rows: Sequence[Sequence[Value]], header: int) -> list[int]:
    # The same rule as build_table: a column counts if its header or any data cell is filled.
    width = max(len(r) for r in rows[header:])
    used = []
    for j in range(width):
        if any(j < len(r) and r[j] is not None for r in rows[header:]):
            used.append(j)
    return used


def locate(tab: Tab, *, header: int | None = None, max_chars: int = MAX_CELL_CHARS) -> Located | None:
    """The table in ``tab`` (``None`` when the tab holds no value at all). ``header`` forces the
    header row (syncd's own tabs have it in row 1). Raises ``CopyRejected`` for a cell longer than
    ``max_chars``."""
    rows = tab.values()
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, str) and len(v) > max_chars:
                from syncd.workbook.header import column_letter

                raise CopyRejected(tab.title, f"cell {column_letter(j)}{i + 1} holds more than {max_chars:,} characters, "
                                   "more than Excel allows", "shorten the text in that cell")
    if header is None:
        header = detect_header(rows)
    if header is None or header >= len(rows):
        return None
    table = build_table(rows, header)
    used = _used_columns(rows, header)
    names = [header_name(rows[header][j]) if j < len(rows[header]) else "" for j in used]
    id_pos = next((k for k, n in enumerate(names) if " ".join(n.split()).casefold() == ROW_ID_COLUMN), None)
    positions = tuple(j for k, j in enumerate(used) if k != id_pos)
    if len(positions) != table.width:
        raise ValueError("column layout out of step with the table")
    return Located(table, header, positions, used[id_pos] if id_pos is not None else None)


__all__ = ["Cell", "EMPTY", "Tab", "Located", "locate", "parse_tab", "parse_cell", "extended",
           "normalise", "same", "from_serial", "to_serial", "date_type", "colour", "hex_colour", "FORMATS"]
