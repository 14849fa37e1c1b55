"""The canonical's data sheet, rewritten in place: the table's rows in the layout people gave the
previous canonical (moved columns, formats, heights, comments, links), with syncd's notes.

Most rows need no more than their column's format and come rendered ahead (``workbook.ahead``);
the rest are rendered here cell by cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from syncd.model import ROW_ID_COLUMN, Table
from syncd.workbook import layout
from syncd.workbook.ahead import RowsAhead, column_bases, column_plan, row_picker, special_rows
from syncd.workbook.sheetxml import SheetData, XlsxBook
from syncd.workbook.template import OldSheet

_ID_WIDTH = 14.0


@dataclass(frozen=True)
class CellNote:
    """A message on one data cell: a comment (author "syncd") plus a highlight fill.

    ``column`` is a column name of the doc's table. Several notes on one cell are joined into one
    comment; ``kind`` picks the colour: "conflict" light orange, "deleted" (a row kept after a
    delete-vs-edit) light red, "duplicate" light yellow.
    """

    row_id: str
    column: str
    text: str
    kind: str = "conflict"


def write_data_sheet(book: XlsxBook, ws: Worksheet, table: Table, cell_notes: Sequence[CellNote], old: OldSheet,
                     ahead: RowsAhead | None = None) -> dict[str, int]:
    """Rewrite the data sheet ``ws`` in place with ``table`` and ``cell_notes``;
    returns the final column of each table column."""
    fresh = not ws._cells and not ws.column_dimensions
    plan = column_plan(table.columns, old)
    width = len(plan)
    new_of_old = {src: j for j, (_, src) in enumerate(plan, 1) if src is not None}

    def colmap(c: int) -> int | None:
        return new_of_old.get(c) if c <= old.extent else c

    layout.forget_merges_and_rows(ws, max(old.extent, width))
    ws._cells.clear()  # every cell is written anew below
    # Formats beyond the table (a coloured empty column) are written back as they were.
    leftovers = {r: kept for r, cells in old.beyond.items() if (kept := [(c, s) for c, s in cells if c > width])}
    data = book.sheet_data(ws)
    data.last_col = width
    names = [table.columns[i] if i >= 0 else ROW_ID_COLUMN for i, _ in plan]

    def rest(r: int) -> list[str]:
        return [data.styled(r, c, style) for c, style in leftovers.pop(r, ())]

    head = [data.cell(1, j, name, old.header_styles.get(src, book.header) if src else book.header)
            for j, ((_, src), name) in enumerate(zip(plan, names), 1)]
    data.row(1, head + rest(1))
    for j, (_, src) in enumerate(plan, 1):
        if src in old.header_comments:
            ws.cell(row=1, column=j).comment = old.header_comments[src]

    notes: dict[tuple[int, int], list[CellNote]] = defaultdict(list)
    index_of_row = {rid: k for k, rid in enumerate(table.row_ids)}
    position = {name: j for j, name in enumerate(names, 1)}
    for note in cell_notes:
        notes[(index_of_row[note.row_id] + 2, position[note.column])].append(note)
    texts: dict[tuple[int, int], list[str]] = {}
    people: dict[tuple[int, int], tuple[str, str]] = {}
    links: dict[tuple[int, int], object] = {}
    bases = column_bases(plan, old)
    columns = [(j, i, bases[j - 1]) for j, (i, _) in enumerate(plan, 1)]
    # Rows needing more than "value in its column's format" go the slow way; most rows do not.
    special = special_rows(old)
    noted: dict[int, list[int]] = defaultdict(list)  # row -> its noted columns, in order
    for r, j in sorted(notes):
        noted[r].append(j)
    plain = data.columns(bases)
    pick = row_picker(plan)
    bodies = ahead.bodies if ahead is not None and ahead.serves(table, book.wb, old, plan) else None
    if bodies is not None:
        data.overflow.update((at, text) for at, text in ahead.overflow.items() if at[0] not in noted)
    # Rows rendered ahead are copied in runs; the others (noted, or with more than their cells)
    # are rendered here one by one.
    here = range(len(table)) if bodies is None else sorted(
        {r - 2 for r in noted} | {k for k, body in enumerate(bodies) if body is None})
    done = 0
    for k in here:
        if bodies is not None and k > done:
            data.rendered_rows(bodies[done:k], k + 1)
        done = k + 1
        row, rid, r = table.rows[k], table.row_ids[k], k + 2
        old_r = old.rows.get(rid)
        if old_r is not None and old_r in old.row_dims:
            dim = ws.row_dimensions[r]
            dim.ht, dim.hidden, dim.outlineLevel, dim.collapsed = old.row_dims[old_r]
        if old_r not in special:
            values = (*pick(row), rid)
            if r not in noted:
                parts = data.plain_cells(r, values, plain)
            else:
                # a duplicate's note marks a cell or two: the rest of its row is plain
                parts, start = [], 0
                for j in noted[r]:
                    parts += data.plain_cells(r, values[start:j - 1], plain[start:j - 1])
                    parts.append(_special_cell(data, old, plan, notes, texts, people, links, r, j, old_r,
                                               values[j - 1], columns[j - 1][2]))
                    start = j
                parts += data.plain_cells(r, values[start:], plain[start:])
        else:
            parts = [_special_cell(data, old, plan, notes, texts, people, links, r, j, old_r,
                                   row[i] if i >= 0 else rid, base) for j, i, base in columns]
        data.row(r, parts + rest(r) if r in leftovers else parts)
    if bodies is not None and len(table) > done:
        data.rendered_rows(bodies[done:], len(table) + 1)
    last = len(table) + 1
    for r in sorted(leftovers.keys() | {r for r in ws.row_dimensions if r > last}):
        data.row(r, rest(r))
    data.attach_comments(texts, people)
    for (r, j), link in links.items():
        ws.cell(row=r, column=j).hyperlink = link

    widths = {j: layout.column_width(names[j - 1], [row[i] for row in table.rows]) if i >= 0 else _ID_WIDTH
              for j, (i, src) in enumerate(plan, 1) if src is None or i < 0}
    layout.rebuild_columns(ws, colmap, old.extent, widths, hidden=width)
    layout.move_rules(ws, colmap, old.last_row, last)
    layout.set_filter(ws, f"A1:{get_column_letter(width)}{last}", colmap, names)
    if fresh:
        ws.freeze_panes = "A2"
    return {name: j for j, name in enumerate(names, 1) if j < width}


def _special_cell(data: SheetData, old: OldSheet, plan: list, notes: dict, texts: dict, people: dict, links: dict,
                  r: int, j: int, old_r: int | None, value: object, base: StyleArray) -> str:
    """A data cell with its own format, a person's comment or link, or syncd's notes."""
    src = plan[j - 1][1]
    if old_r is not None and src is not None:
        at = (old_r, src)
        base = old.styles.get(at, base)
        if at in old.comments:
            people[(r, j)] = old.comments[at]
        if at in old.links:
            links[(r, j)] = old.links[at]
    here = notes.get((r, j))
    if here is None:
        return data.cell(r, j, value, base)
    texts[(r, j)] = [n.text for n in here]
    return data.cell(r, j, value, base, min((n.kind for n in here), key=layout.NOTE_PRIORITY.index))
