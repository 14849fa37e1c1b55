"""A copy's unchanged rows, recognised in its raw cells instead of being typed again.

Most rows of a copy are rows of the generation syncd holds, exactly as it wrote them. Typing a
100,000-row sheet's cells (``values.convert_rows``) and cutting the table out of them
(``header.build_table``) takes 0.5 s, and a reading process then spends 0.3 s packing the rows to
send them. For a sheet laid out exactly as syncd writes it (its first row the held table's column
names, then the ``syncd id`` column), each row carrying a held id is compared, as calamine handed it
over, with that held row as calamine would hand it over; an equal row is the held row, and the
table is made of the held rows themselves, so a reading process sends their positions only. A
copy saved before syncd, laid out the same but without the id column, has its rows looked up by
their cells instead, among the held rows no other held row shares its cells with.

What calamine hands over for a held row is predictable: text as it is, every number as a float
(equal to the int it types as), dates as dates, an empty cell as ``""``. The one trap is
``True == 1 == 1.0``, so rows with a bool on either side, and held rows with an int too big for a
float, are always typed. Anything else that differs (spaces, a time typed as a duration, a date
with a time) compares unequal and is typed as before: ``table_from`` gives exactly the table
``build_table`` gives, or ``None`` when the sheet is not laid out that way.
"""

from __future__ import annotations

from collections import Counter
from itertools import compress, repeat
from operator import add, itemgetter
from typing import Any

from syncd.model import ROW_ID_COLUMN, Table
from syncd.workbook.header import MAX_HEADER_TEXT, header_name, id_text, is_id_column
from syncd.workbook.values import EXACT_INT, CellTooLong, convert_rows

#: Below this many held rows, typing a copy outright costs less than getting the held rows ready.
MIN_ROWS = 1_000
_AS_READ = {None: ""}
_TEXT_OR_EMPTY = frozenset({str, type(None)})


class HeldRows:
    """The rows of one table (a generation), to recognise in copies of it."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._header = [*table.columns, ROW_ID_COLUMN]
        self._ready = False
        #: per held row, whether typing it as calamine hands it over gives it back (see ``_unplain``)
        self._plain: bytes = b""
        #: held rows with an int 0 or 1, which a bool read for it would equal (True == 1)
        self._bool_alike: set[int] = set()
        self._at: dict[str, int] | None = None
        self._as_read: list[list[Any]] = []
        self._cells_index: dict[tuple, int] | None = None
        #: the table ``table_from`` made last, per row the held row it is (-1: typed), and whether
        #: the copy had the id column
        self.last: tuple[Table, list[int], bool] | None = None

    def prepare(self) -> None:
        """Get the held rows ready (on first use, else): which rows typing as calamine hands them
        over would give back, worked out column by column, in C wherever a column's types allow
        (0.15 s on 100,000 rows, where row by row took 0.45 s in each reader before its first
        copy). The rows' calamine forms are made when a copy first needs them, in the form that
        copy is looked up by: lists with the id (``_ids_ready``) or tuples without (``_by_cells``)."""
        if self._ready or len(self.table) < MIN_ROWS:
            return
        rows = self.table.rows
        unplain: set[int] = set()
        for c in range(self.table.width):
            unplain |= self._unplain(list(map(itemgetter(c), rows)))
        plain = bytearray(b"\x01") * len(rows)
        for k in unplain:
            plain[k] = 0
        self._plain = bytes(plain)
        self._ready = True

    def _unplain(self, column: list[Any]) -> set[int]:
        """The rows of one column's values that typing them as calamine hands them over would not
        give back: a bool, an int past a float's, an integral float, text that typing empties.
        Notes the rows holding an int 0 or 1 in ``_bool_alike``."""
        types = set(map(type, column))
        bad: set[int] = set()
        if bool in types:
            bad.update(k for k, v in enumerate(column) if type(v) is bool)
        if int in types:
            lo, hi = -EXACT_INT, EXACT_INT
            ints = [(k, v) for k, v in enumerate(column) if type(v) is int]
            bad.update(k for k, v in ints if not lo < v < hi)
            self._bool_alike.update(k for k, v in ints if v == 0 or v == 1)
        if float in types:
            bad.update(k for k, v in enumerate(column) if type(v) is float and v.is_integer())
        if str in types:
            if types <= _TEXT_OR_EMPTY:  # text only: whether any cell is blank, settled in C
                blank = "" in column or any(map(str.isspace, filter(None, column)))
            else:
                blank = True
            if blank:
                bad.update(k for k, v in enumerate(column) if type(v) is str and (not v or v.isspace()))
        return bad

    def _ids_ready(self) -> tuple[dict[str, int], list[list[Any]]]:
        """Each held id's first plain row, and each held row with its id as calamine hands it
        over (the row of a copy with the id column is compared with its held row in one list
        comparison in C). 0.18 s on 100,000 rows, 0.26 s row by row."""
        if self._at is None:
            rows, ids = self.table.rows, self.table.row_ids
            # made in C for every row (1.2 million cells); only plain rows are ever compared
            with_ids = list(map(add, rows, zip(ids)))
            as_read: list[list[Any]] = list(map(list, map(map, repeat(_AS_READ.get), with_ids, with_ids)))
            at: dict[str, int] = {}
            for k in compress(range(len(rows)), self._plain):
                rid = ids[k]
                if rid is not None and rid == rid.strip():
                    at.setdefault(rid, k)
            self._at, self._as_read = at, as_read
        return self._at, self._as_read

    def table_from(self, data: list[list[Any]], row_offset: int, max_chars: int) -> Table | None:
        """The table of a sheet's raw cells (``data``, its first row at 0-based sheet row
        ``row_offset``), when its first row is the held table's header, with or without the row
        id column; else ``None``."""
        if len(self.table) < MIN_ROWS or not data:
            return None
        head = data[0]
        with_ids = len(head) == len(self._header)
        if not with_ids and len(head) != len(self._header) - 1:
            return None
        if not all(type(v) is str and len(v) <= MAX_HEADER_TEXT for v in head):
            return None
        names = [header_name(v) for v in head]
        if names != (self._header if with_ids else self._header[:-1]) or (with_ids and not is_id_column(names[-1])):
            return None
        if len({n.casefold() for n in names}) != len(names):
            return None
        self.prepare()
        places, missed = self._places(data, with_ids)
        try:
            typed = convert_rows([data[i] for i in missed], max_chars)
        except CellTooLong as e:
            raise CellTooLong(missed[e.row], e.col, e.length) from None
        typed_at = dict(zip(missed, typed))
        held, held_ids = self.table.rows, self.table.row_ids
        rows, ids, numbers, kept = [], [], [], []
        for i, k in enumerate(places, 1):
            if k >= 0:
                rows.append(held[k])
                ids.append(held_ids[k] if with_ids else None)
            else:
                cells = typed_at[i]
                if cells.count(None) == len(cells):
                    continue  # an empty row: no row of the table
                if with_ids:
                    rows.append(tuple(cells[:-1]))
                    ids.append(id_text(cells[-1]))
                else:
                    rows.append(tuple(cells))
                    ids.append(None)
            numbers.append(row_offset + i + 1)
            kept.append(k)
        table = Table(self.table.columns, tuple(rows), tuple(ids), tuple(numbers), header_row=row_offset + 1)
        self.last = (table, kept, with_ids)
        return table

    def _places(self, data: list[list[Any]], with_ids: bool) -> tuple[list[int], list[int]]:
        """Per row of ``data`` after the header, the held row it is (-1: to be typed), and the
        rows to type. A row carrying a held id is compared with that row; a copy without the id
        column (saved before syncd) is looked up by its cells."""
        bool_alike = self._bool_alike
        places: list[int] = []
        missed: list[int] = []
        if with_ids:
            at, as_read = self._ids_ready()
            at = at.get
            for i in range(1, len(data)):
                row = data[i]
                k = at(row[-1]) if type(row[-1]) is str else None
                # a bool can only pass for a held row's 0 or 1: only such rows are checked for one
                if k is not None and row == as_read[k] and (k not in bool_alike or bool not in map(type, row)):
                    places.append(k)
                else:
                    places.append(-1)
                    missed.append(i)
            return places, missed
        by_cells = self._by_cells().get
        for i in range(1, len(data)):
            row = data[i]
            k = by_cells(tuple(row), -1)
            if k >= 0 and (k not in bool_alike or bool not in map(type, row)):
                places.append(k)
            else:
                places.append(-1)
                missed.append(i)
        return places, missed

    def _by_cells(self) -> dict[tuple, int]:
        """Each plain held row by its cells as calamine hands them over, for the rows no other held
        row shares them with (and that are not empty)."""
        if self._cells_index is None:
            rows, empty = self.table.rows, _AS_READ.get
            keep = list(compress(range(len(rows)), self._plain))
            cells = [tuple(map(empty, row, row)) for row in map(rows.__getitem__, keep)]
            index = dict(zip(cells, keep))
            if len(index) < len(keep):  # rows held twice: a copy's row could be either of them
                for key, times in Counter(cells).items():
                    if times > 1:
                        del index[key]
            index.pop(("",) * self.table.width, None)
            self._cells_index = index
        return self._cells_index

    def compact(self, table: Table) -> tuple | None:
        """``table`` as a reading process sends it: each held row as its position, the ids of the
        typed rows only (a held row's id is the held one), and the sheet rows as a range when they
        follow one another. For 100,000 rows that is 0.6 MB to pickle and send instead of 2.3 MB,
        which the receiving process reads 64 KB at a time while it merges the copy before."""
        if self.last is None or self.last[0] is not table:
            return None
        _, kept, with_ids = self.last
        rows = [k if k >= 0 else row for k, row in zip(kept, table.rows)]
        ids = [rid for k, rid in zip(kept, table.row_ids) if k < 0] if with_ids else None
        numbers = table.row_numbers
        if numbers and numbers[-1] - numbers[0] == len(numbers) - 1:  # they only ever increase
            numbers = range(numbers[0], numbers[-1] + 1)
        return rows, ids, numbers

    def expand(self, sent: tuple) -> tuple[tuple, tuple, tuple]:
        """The rows, row ids and sheet rows ``compact`` packed, the held rows as the very rows held."""
        rows, ids, numbers = sent
        held, held_ids = self.table.rows, self.table.row_ids
        out = tuple(held[x] if x.__class__ is int else x for x in rows)
        if ids is None:
            out_ids: tuple = (None,) * len(rows)
        else:
            typed = iter(ids)
            out_ids = tuple(held_ids[x] if x.__class__ is int else next(typed) for x in rows)
        return out, out_ids, tuple(numbers)
