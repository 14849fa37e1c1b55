"""The data sheet's plain rows, laid out and rendered as XML ahead of the write that needs them.

Why: on a big tracker, rendering the rows is most of writing the canonical (100,000 rows: about a
second), and it depends only on the table and the previous canonical's layout. A sync has both
while its duplicate search runs in another process, and this process then waits for it: the rows
are rendered meanwhile (``render_ahead``), and the write uses them when it writes that very table
into that very workbook (``RowsAhead.serves``). Rows the search then gives a note are rendered
again at the write, with their highlight; a search that merges rows changes the table, and the
write renders everything itself, as without this.

Also home to the two pieces of the data sheet's layout both need: which table column goes in which
sheet column (``column_plan``), and the rows that need more than their column's format.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import column_index_from_string

from syncd.model import Table, picker
from syncd.workbook import layout
from syncd.workbook.sheetxml import NO_STYLE, SheetData, XlsxBook
from syncd.workbook.template import OldSheet, Opened

Plan = list[tuple[int, int | None]]


def column_plan(columns: tuple[str, ...], old: OldSheet) -> Plan:
    """Final layout: (index into the table's columns, -1 for the id; old column or None) per column.

    Old columns keep their order (people may have moved them); new ones follow; the id is last.
    """
    match: dict[int, int] = {}
    taken: set[int] = set()
    for key in (str, layout.normalize_header):  # exact names first, then loosely equal ones
        wanted: dict[str, deque[int]] = defaultdict(deque)
        for c, h in sorted(old.header.items()):
            if c != old.id_col and c not in taken:
                wanted[key(h)].append(c)
        for i, name in enumerate(columns):
            queue = wanted.get(key(name)) if i not in match else None
            while queue and queue[0] in taken:
                queue.popleft()
            if queue:
                match[i] = queue.popleft()
                taken.add(match[i])
    # A blank header is read as "Column C": keep such a column where its cells are.
    for i, name in enumerate(columns):
        if i not in match and name.startswith("Column "):
            try:
                c = column_index_from_string(name[len("Column "):].strip())
            except ValueError:
                continue
            if c <= old.extent and c not in old.header and c not in taken:
                match[i] = c
                taken.add(c)
    kept = sorted((c, i) for i, c in match.items())
    plan = [(i, c) for c, i in kept] + [(i, None) for i in range(len(columns)) if i not in match]
    return plan + [(-1, old.id_col)]


def column_bases(plan: Plan, old: OldSheet) -> list[StyleArray]:
    """Each sheet column's usual format (the format new and plain rows get)."""
    return [old.base.get(src, NO_STYLE) if src else NO_STYLE for _, src in plan]


def special_rows(old: OldSheet) -> set[int]:
    """Rows of the previous canonical with a cell format, comment or link of their own."""
    return {r for r, _ in old.styles} | {r for r, _ in old.comments} | {r for r, _ in old.links}


def row_picker(plan: Plan) -> Callable[[tuple], tuple]:
    """A row's values in sheet order, less the id (always the last sheet column)."""
    return picker([i for i, _ in plan[:-1]])


@dataclass(frozen=True)
class RowsAhead:
    """Plain rows of ``table`` rendered for ``wb``: ``bodies[k]`` is the ``<row>`` XML of the
    table's row ``k`` (sheet row ``k + 2``), ``None`` for a row the write renders itself (one with
    formats, a comment or a link of its own, a height, or formatted cells right of the table);
    ``overflow`` holds text cut to fit a cell, as ``SheetData.overflow``."""

    table: Table
    wb: Workbook
    old: OldSheet
    plan: tuple[tuple[int, int | None], ...]
    bodies: list[str | None] = field(repr=False)
    overflow: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)

    def serves(self, table: Table, wb: Workbook, old: OldSheet, plan: Plan) -> bool:
        return self.table is table and self.wb is wb and self.old is old and self.plan == tuple(plan)


def render_ahead(opened: Opened, table: Table) -> RowsAhead | None:
    """The plain rows of ``table`` as the write into ``opened``'s workbook will render them
    (``None`` when there is no workbook to write into: the template could not be used). Never
    raises: rendering ahead only saves time, so whatever goes wrong here is left for the write,
    which renders the rows itself and says what went wrong in its own words."""
    if opened.loaded is None:
        return None
    try:
        return _render(opened, table)
    except Exception:  # noqa: BLE001 - see above
        return None


def _render(opened: Opened, table: Table) -> RowsAhead:
    assert opened.loaded is not None
    wb, old = opened.loaded
    plan = column_plan(table.columns, old)
    # Styles are registered in the workbook itself, so the write finds the same ids for them.
    with tempfile.TemporaryDirectory(prefix="syncd-ahead-") as scratch:
        book = XlsxBook(wb, scratch)
        try:
            data = SheetData(book, None)  # only renders: no sheet is written
            plain = data.columns(column_bases(plan, old))
            pick = row_picker(plan)
            # rows whose <row> element needs more than its cells are left to the write
            special = special_rows(old) | old.row_dims.keys()
            beyond = old.beyond
            rows_of = old.rows
            bodies: list[str | None] = []
            append = bodies.append
            for k, (row, rid) in enumerate(zip(table.rows, table.row_ids)):
                r = k + 2
                if rows_of.get(rid) in special or r in beyond or not rid:
                    append(None)
                else:
                    append(f'<row r="{r}">{"".join(data.plain_cells(r, (*pick(row), rid), plain))}</row>')
            return RowsAhead(table, wb, old, tuple(plan), bodies, dict(data.overflow))
        finally:
            book.close()
