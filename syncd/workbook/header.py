"""Find the header row of a sheet and cut the table out of the raw rows around it.

Pure functions over lists of already-typed rows (see ``values.py``), shared by every reader. A raw
row list starts at some sheet row and column (``row_offset``/``col_offset``, both 0-based) so that
row numbers and "Column C" names point at the cells a person sees.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from operator import itemgetter

from syncd.model import ROW_ID_COLUMN, Table, Value

#: How many non-empty rows from the top may hold titles, notes and logos before the header.
HEADER_SCAN_ROWS = 20
#: Header names are labels; a longer text is a note or a data cell, not a column name.
MAX_HEADER_TEXT = 255
#: How many rows below a candidate header are compared with it to tell a title from a header.
_LOOKAHEAD = 5

_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
_SPACES = re.compile(r"\s+")

Merge = tuple[tuple[int, int], tuple[int, int]]


def column_letter(index: int) -> str:
    """0-based column index → spreadsheet letters (0 → ``A``, 27 → ``AB``)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _filled(row: Sequence[Value]) -> int:
    return sum(1 for v in row if v is not None)


def detect_header(rows: Sequence[Sequence[Value]], scan: int = HEADER_SCAN_ROWS) -> int | None:
    """Index of the header row in ``rows``, or ``None`` when every row is empty.

    The header is the first of the first ``scan`` non-empty rows that is mostly short text and is
    at least half as wide as the widest of the rows under it, so a lone title line ("Marketing
    tracker Q3") above the real header is skipped. When no row looks like that (a table of numbers
    only), the first row at least half as wide as the rows below wins, else the first non-empty row.
    """
    # Only the first rows can matter: stop once the window and the rows below it are found.
    nonempty: list[int] = []
    wanted = scan + _LOOKAHEAD + 1
    for i, row in enumerate(rows):
        if row.count(None) != len(row):
            nonempty.append(i)
            if len(nonempty) >= wanted:
                break
    if not nonempty:
        return None
    window = nonempty[:scan]
    wide_enough: int | None = None
    for k, i in enumerate(window):
        cells = [v for v in rows[i] if v is not None]
        below = [_filled(rows[j]) for j in nonempty[k + 1 : k + 1 + _LOOKAHEAD]]
        if below and 2 * len(cells) < max(below):
            continue  # narrower than the data under it: a title or a note
        if wide_enough is None:
            wide_enough = i
        texts = sum(1 for v in cells if isinstance(v, str) and len(v) <= MAX_HEADER_TEXT)
        if 2 * texts >= len(cells):
            return i
    return wide_enough if wide_enough is not None else window[0]


def header_name(value: Value) -> str:
    """A header cell as a column name: outer whitespace stripped, line breaks folded to a space."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return _NEWLINES.sub(" ", str(value)).strip()


def is_id_column(name: str) -> bool:
    return _SPACES.sub(" ", name).strip().casefold() == ROW_ID_COLUMN


def _unique(names: list[str]) -> list[str]:
    # Case-insensitive: "Status" and "status" side by side would be ambiguous to every later layer.
    taken = {n.casefold() for n in names}
    seen: set[str] = set()
    out = []
    for name in names:
        key = name.casefold()
        if key in seen:
            n = 2
            while f"{name} ({n})".casefold() in taken:
                n += 1
            name = f"{name} ({n})"
            key = name.casefold()
            taken.add(key)
        seen.add(key)
        out.append(name)
    return out


def id_text(value: Value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def build_table(
    rows: Sequence[Sequence[Value]],
    header_index: int,
    *,
    row_offset: int = 0,
    col_offset: int = 0,
    merges: Sequence[Merge] = (),
) -> Table:
    """Cut the table under ``rows[header_index]`` out of ``rows``.

    Rows above the header are dropped, and so are rows that are entirely empty and columns empty in
    the header and in every data row. Blank header cells are named ``Column C`` after their sheet
    column; repeated names get `` (2)``, `` (3)``. A header cell covered by a merged range (``merges``
    as ((first_row, first_col), (last_row, last_col)), 0-based in ``rows``) takes the merged text,
    so "Budget" merged over three columns gives "Budget", "Budget (2)", "Budget (3)". The column
    named ``syncd id`` becomes ``Table.row_ids`` and is not one of the columns.
    """
    header_row = list(rows[header_index])
    # list.count runs in C: these scans touch every cell of big sheets, so no Python per cell.
    data = [(i, row) for i, row in enumerate(rows) if i > header_index and row.count(None) != len(row)]
    lengths = set(map(len, (row for _, row in data)))
    width = max([len(header_row), *lengths])
    header_row += [None] * (width - len(header_row))
    if lengths - {width}:
        data = [(i, row if len(row) == width else list(row) + [None] * (width - len(row))) for i, row in data]
    for (r0, c0), (r1, c1) in merges:
        if r0 <= header_index <= r1 and c1 > c0 and 0 <= r0 < len(rows) and 0 <= c0 < len(rows[r0]):
            anchor = rows[r0][c0]
            for c in range(max(c0, 0), min(c1 + 1, width)):
                if header_row[c] is None:
                    header_row[c] = anchor

    # A column is used when it has a header or any value (only the unnamed ones need looking at).
    used = [j for j in range(width) if header_row[j] is not None or any(row[j] is not None for _, row in data)]
    names = []
    for j in used:
        name = header_name(header_row[j])
        names.append(name or f"Column {column_letter(col_offset + j)}")

    id_pos = next((k for k, name in enumerate(names) if is_id_column(name)), None)
    keep = [k for k in range(len(used)) if k != id_pos]
    columns = _unique([names[k] for k in keep])
    keep_cols = [used[k] for k in keep]
    id_col = used[id_pos] if id_pos is not None else None

    if keep_cols == list(range(width)):
        out_rows = [tuple(row) for _, row in data]
    elif len(keep_cols) == 1:
        only = keep_cols[0]
        out_rows = [(row[only],) for _, row in data]
    elif not keep_cols:
        out_rows = [() for _ in data]
    else:
        pick = itemgetter(*keep_cols)
        out_rows = [pick(row) for _, row in data]
    if id_col is None:
        row_ids = [None] * len(data)
    else:
        raw_ids = [row[id_col] for _, row in data]
        if set(map(type, raw_ids)) <= {str, type(None)}:  # as syncd writes them: text
            row_ids = [v.strip() or None if v is not None else None for v in raw_ids]
        else:
            row_ids = [id_text(v) for v in raw_ids]
    row_numbers = [row_offset + i + 1 for i, _ in data]
    return Table(
        columns=tuple(columns),
        rows=tuple(out_rows),
        row_ids=tuple(row_ids),
        row_numbers=tuple(row_numbers),
        header_row=row_offset + header_index + 1,
    )
