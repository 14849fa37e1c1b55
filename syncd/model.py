"""The table model every layer shares: what a sheet holds once it has been read.

Sources produce ``Table``s, the merge consumes and produces them, writers render them. Everything
here is immutable so that a table can be handed between layers (and threads) without copying.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Callable, Union

#: A cell value with its type intact. Integral numbers are ``int`` (Excel stores every number as a
#: double; ``3.0`` and ``3`` are the same cell to a person), dates without a time are ``date``.
Value = Union[str, int, float, bool, dt.datetime, dt.date, dt.time, None]

#: Name of the hidden column that carries syncd's stable row id in every canonical it writes.
ROW_ID_COLUMN = "syncd id"
#: Name of the hidden sheet that carries the canonical's lineage and generation.
META_SHEET = "_syncd"


@dataclass(frozen=True, slots=True)
class Table:
    """A header plus rows of typed values, read from one sheet (or CSV file).

    ``rows[i]`` has exactly ``len(columns)`` values. ``row_ids[i]`` is the syncd row id found in
    the hidden id column (``None`` where the row has none, e.g. a row a person added or a copy that
    never went through syncd). ``row_numbers[i]`` is the 1-based spreadsheet row the row came from,
    so messages can point a person at it; for tables built in memory it is just the position.
    The id column itself is never one of ``columns``.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    row_ids: tuple[str | None, ...] = ()
    row_numbers: tuple[int, ...] = ()
    header_row: int = 1

    def __post_init__(self) -> None:
        n = len(self.rows)
        if not self.row_ids:
            object.__setattr__(self, "row_ids", (None,) * n)
        if not self.row_numbers:
            first = self.header_row + 1
            object.__setattr__(self, "row_numbers", tuple(range(first, first + n)))
        width = len(self.columns)
        if len(self.row_ids) != n or len(self.row_numbers) != n:
            raise ValueError("row_ids and row_numbers must have one entry per row")
        if self.rows and set(map(len, self.rows)) != {width}:  # in C: tables reach 100,000 rows
            bad = next(row for row in self.rows if len(row) != width)
            raise ValueError(f"row of {len(bad)} values under a header of {width} columns")

    @classmethod
    def from_lists(
        cls,
        columns: list[str] | tuple[str, ...],
        rows: list[list[Value]] | list[tuple[Value, ...]],
        row_ids: list[str | None] | None = None,
    ) -> "Table":
        """Build a table from plain lists (tests, CSV); short rows are padded with ``None``."""
        width = len(columns)
        padded = tuple(tuple(list(r)[:width] + [None] * (width - len(r))) for r in rows)
        return cls(tuple(columns), padded, tuple(row_ids) if row_ids else ())

    @property
    def width(self) -> int:
        return len(self.columns)

    def __len__(self) -> int:
        return len(self.rows)

    def column_index(self, name: str) -> int:
        return self.columns.index(name)

    def records(self) -> list[dict[str, Value]]:
        """Rows as dicts keyed by column name (convenient for tests and messages)."""
        return [dict(zip(self.columns, row)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class WorkbookMeta:
    """What syncd knows about a file beyond its cells.

    ``lineage`` and ``generation`` come from the hidden ``_syncd`` sheet that every canonical
    carries, so a copy saved from a canonical (by Excel, LibreOffice, openpyxl or Google) tells which
    generation it was made from. ``author`` is the file's last author (docProps ``lastModifiedBy``,
    else ``creator``); ``modified`` its own last-modified time, as the file records it.
    """

    tracker: str | None = None
    lineage: str | None = None
    generation: int | None = None
    author: str | None = None
    modified: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SheetRead:
    """One sheet read from one file: the table, the sheet's name and the file's metadata."""

    table: Table
    sheet: str
    meta: WorkbookMeta = field(default_factory=WorkbookMeta)
    #: every sheet name in the file, in order (for messages such as "no sheet called Tasks")
    sheets: tuple[str, ...] = ()
    #: extra sheets syncd itself writes (Conflicts, Archive, Duplicates) read back as tables, by name,
    #: so decisions people type there (e.g. the Decision column) can be honoured.
    extras: tuple[tuple[str, Table], ...] = ()


def picker(indexes: list[int], width: int | None = None) -> Callable[[tuple], tuple]:
    """A function giving a row's cells at ``indexes`` as a tuple, in C for two or more (the row
    itself, as a tuple, when ``indexes`` are all ``width`` of its cells in order)."""
    if width is not None and indexes == list(range(width)):
        return tuple
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        only = indexes[0]
        return lambda row: (row[only],)
    return itemgetter(*indexes)
