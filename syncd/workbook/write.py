"""Write the canonical workbook: the one file people open to see the merged tracker.

The data sheet carries the hidden ``syncd id`` column (last) so copies made from the canonical bring
their row ids back; the hidden ``_syncd`` sheet carries tracker, lineage and generation. When the
previous canonical is given as a template, what people set up in it (formatting, widths, moved
columns, validations, their own sheets) is kept and only the data is rewritten.

The rows of the table sheets are written as XML text (``sheetxml``; the data sheet's layout by
``datasheet``), everything else by openpyxl; the previous canonical is read by ``template``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from syncd.errors import CanonicalError, SyncdError
from syncd.model import META_SHEET, Table, WorkbookMeta
from syncd.workbook import layout
from syncd.workbook.ahead import RowsAhead
from syncd.workbook.atomic import atomic_write, describe_os_error
from syncd.workbook.datasheet import CellNote, write_data_sheet
from syncd.workbook.sheetxml import XlsxBook, put_small_cell, write_plain_sheet
from syncd.workbook.template import OldSheet, Opened, open_template


NOTE_KINDS = ("conflict", "duplicate", "deleted")


@dataclass(frozen=True)
class CanonicalDoc:
    """Everything the canonical workbook shows.

    ``table.row_ids`` must all be set and distinct. ``extra_sheets`` (e.g. Conflicts, Archive) come
    after the data sheet in this order; one that a template has but the doc does not name is left
    as it is, so pass an empty table to empty it. ``dropdowns`` are (sheet, column, allowed values).
    """

    table: Table
    sheet: str = "Tasks"
    meta: WorkbookMeta = WorkbookMeta()
    notes: tuple[CellNote, ...] = ()
    extra_sheets: tuple[tuple[str, Table], ...] = ()
    dropdowns: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


def write_canonical(
    doc: CanonicalDoc,
    dest: str | os.PathLike,
    *,
    template: str | os.PathLike | None = None,
    before_replace: Callable[[], None] | None = None,
    template_digest: str | None = None,
    opened: Opened | None = None,
    ahead: RowsAhead | None = None,
) -> None:
    """Write ``doc`` as the canonical .xlsx at ``dest``, replacing it atomically.

    ``template`` (normally the current canonical) keeps people's formatting: header and cell styles
    (rows keep theirs by row id; new rows get their column's usual style), column widths and hidden
    columns, moved columns (each column is written under its header, matched ignoring case and
    spaces; new columns go before the id column; columns the table no longer has are removed),
    row heights, frozen panes, filters, data validations, conditional formatting, an Excel table
    over the data, comments and links people added, other sheets, sheet order and tab colours.
    Macros and external links are dropped; charts, images and pivot tables may be lost or
    simplified (openpyxl cannot keep them all). An unreadable template is ignored: the workbook
    is written fresh.

    Text is always written as text — a value like ``=SUM(A1)`` or ``@x`` never becomes a formula.
    Characters a spreadsheet cannot hold are replaced by visible symbols; text over Excel's 32,767
    characters is cut in the cell and the cut part kept in the cell's comment.

    ``template_digest``: the SHA-256 (hex) of the canonical as syncd last wrote it. A template with
    exactly those bytes is syncd's own file and is not judged again as a hostile copy would be.
    ``opened``: the template opened ahead (``template.open_ahead``), used when it was opened for
    this very write (same file, sheet and sheets replaced), else the template is opened here.
    ``ahead``: the data rows rendered ahead (``ahead.render_ahead``), used when they are this
    doc's table rendered for this very workbook.

    ``before_replace`` runs after the new file is safely on disk and just before it takes ``dest``'s
    place; if it raises, nothing is replaced and its exception propagates unchanged. Any other
    failure raises ``CanonicalError`` naming ``dest`` and leaves the old file untouched. Raises
    ``ValueError`` for a doc that breaks the rules above (missing or repeated row ids, a note or
    dropdown naming an unknown row, column or sheet).
    """
    name = os.fspath(dest)
    for title in [doc.sheet, *(t for t, _ in doc.extra_sheets)]:
        problem = layout.sheet_title_problem(title)
        if problem:
            raise CanonicalError(f"could not write {name}: {problem} — choose another sheet name")
    _check_doc(doc)
    replaced = [title for title, _ in doc.extra_sheets]
    if template is None:
        loaded = None
    elif opened is not None and opened.serves(template, doc.sheet, replaced, template_digest):
        loaded = opened.loaded
    else:
        loaded = open_template(template, doc.sheet, replaced, template_digest)
    wb, old = loaded if loaded is not None else (Workbook(), OldSheet())
    if loaded is None:
        wb.remove(wb.active)
    book = XlsxBook(wb, os.path.dirname(os.path.realpath(name)))
    vetoed: list[BaseException] = []

    def check() -> None:
        try:
            if before_replace is not None:
                before_replace()
        except BaseException as exc:
            vetoed.append(exc)
            raise

    try:
        _render(book, doc, old, ahead)
        with atomic_write(name, before_replace=check) as tmp:
            book.save(tmp)
    except Exception as exc:
        if (vetoed and exc is vetoed[0]) or isinstance(exc, SyncdError):
            raise
        if isinstance(exc, OSError):
            raise CanonicalError(f"could not write {name}: {describe_os_error(exc)}") from exc
        raise CanonicalError(
            f"could not write {name}: saving failed unexpectedly ({type(exc).__name__}: {exc}) — the old "
            "file is unchanged; please report this to whoever looks after syncd"
        ) from exc
    finally:
        book.close()


def write_tables_xlsx(path: str | os.PathLike, sheets: Sequence[tuple[str, Table]]) -> None:
    """Write a new workbook of plain sheets (see ``sheetxml.write_plain_sheet``) to ``path``.

    Not atomic by itself: write to the path :func:`syncd.workbook.atomic.atomic_write` yields.
    """
    wb = Workbook()
    wb.remove(wb.active)
    book = XlsxBook(wb, os.path.dirname(os.path.realpath(path)))
    try:
        for title, table in sheets:
            write_plain_sheet(book, wb.create_sheet(title), table)
        book.save(path)
    finally:
        book.close()


# --- the workbook ----------------------------------------------------------------------------


def _check_doc(doc: CanonicalDoc) -> None:
    ids = doc.table.row_ids
    if any(i is None for i in ids):
        raise ValueError("every row of a canonical table needs a row id")
    if len(set(ids)) != len(ids):
        raise ValueError("row ids of a canonical table must be distinct")
    names = [doc.sheet, *(t for t, _ in doc.extra_sheets)]
    folded = [n.casefold() for n in names]
    if len(set(folded)) != len(folded) or {META_SHEET.casefold(), layout.LISTS_SHEET.casefold()} & set(folded):
        raise ValueError(f"sheet names must be distinct and not reserved: {names}")
    known = set(ids)
    for note in doc.notes:
        if note.kind not in NOTE_KINDS:
            raise ValueError(f"unknown note kind {note.kind!r}")
        if note.row_id not in known or note.column not in doc.table.columns:
            raise ValueError(f"note for unknown row {note.row_id!r} or column {note.column!r}")
    tables = {doc.sheet.casefold(): doc.table, **{t.casefold(): tb for t, tb in doc.extra_sheets}}
    for sheet, column, _ in doc.dropdowns:
        table = tables.get(sheet.casefold())
        if table is None or column not in table.columns:
            raise ValueError(f"dropdown for unknown sheet {sheet!r} or column {column!r}")


def _find_sheet(wb: Workbook, title: str):
    return next((s for s in wb._sheets if s.title.casefold() == title.casefold()), None)


def _render(book: XlsxBook, doc: CanonicalDoc, old: OldSheet, ahead: RowsAhead | None = None) -> None:
    wb = book.wb
    for stale in (_find_sheet(wb, META_SHEET), _find_sheet(wb, layout.LISTS_SHEET)):
        if stale is not None:
            wb.remove(stale)
    ws = _find_sheet(wb, doc.sheet)
    if not isinstance(ws, Worksheet):
        if ws is not None:
            wb.remove(ws)
        ws = wb.create_sheet(doc.sheet, 0)
        old = OldSheet()
    ws.title = doc.sheet
    positions = write_data_sheet(book, ws, doc.table, doc.notes, old, ahead)
    place = wb.index(ws)
    sheets = {doc.sheet.casefold(): (ws, positions, len(doc.table))}
    for title, table in doc.extra_sheets:
        sheet = _replace_sheet(book, title, table, place + 1)
        place = wb.index(sheet)
        sheets[title.casefold()] = (sheet, {c: j for j, c in enumerate(table.columns, 1)}, len(table))
    _write_meta(wb, doc.meta)
    for sheet_name, column, values in doc.dropdowns:
        sheet, cols, nrows = sheets[sheet_name.casefold()]
        _add_dropdown(wb, sheet, cols[column], nrows, values)
    _tidy(wb, ws)


def _replace_sheet(book: XlsxBook, title: str, table: Table, index: int) -> Worksheet:
    """A fresh sheet with ``table``, in the old sheet's place, keeping its tab colour and widths."""
    wb = book.wb
    old = _find_sheet(wb, title)
    widths: dict[str, float] = {}
    tab_colour, state = None, "visible"
    if old is not None:
        index = wb.index(old)
        tab_colour, state = old.sheet_properties.tabColor, old.sheet_state
        if isinstance(old, Worksheet):
            for (r, c), cell in old._cells.items():
                dim = old.column_dimensions.get(get_column_letter(c)) if r == 1 and cell.value is not None else None
                if dim is not None and dim.customWidth:
                    widths[layout.normalize_header(cell.value)] = dim.width
        wb.remove(old)
    ws = wb.create_sheet(title, index)
    write_plain_sheet(book, ws, table)
    for j, column in enumerate(table.columns, 1):
        width = widths.get(layout.normalize_header(column))
        if width:
            ws.column_dimensions[get_column_letter(j)].width = width
    ws.sheet_properties.tabColor = tab_colour
    ws.sheet_state = state
    return ws


def _write_meta(wb: Workbook, meta: WorkbookMeta) -> None:
    ws = wb.create_sheet(META_SHEET)
    written_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    rows = [("key", "value"), ("tracker", meta.tracker), ("lineage", meta.lineage),
            ("generation", meta.generation), ("written_at", written_at), ("note", layout.META_EXPLANATION)]
    for i, (key, value) in enumerate(rows, 1):
        put_small_cell(ws, i, 1, key)
        put_small_cell(ws, i, 2, value)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 90
    ws.sheet_state = "hidden"


def _add_dropdown(wb: Workbook, ws: Worksheet, col: int, nrows: int, values: tuple[str, ...]) -> None:
    # Our list replaces whatever validation the column had: Excel allows one per cell.
    layout.drop_column_validations(ws, col)
    values = tuple(layout.clean_text(str(v)) for v in values if str(v) != "")
    if not values:
        return
    inline = ",".join(v.replace('"', '""') for v in values)
    if any("," in v for v in values) or len(inline) > 250:  # Excel's limit for a typed-in list
        lists = _find_sheet(wb, layout.LISTS_SHEET) or wb.create_sheet(layout.LISTS_SHEET)
        lists.sheet_state = "hidden"
        at = 1 + len({c for _, c in lists._cells})
        for i, v in enumerate(values, 1):
            put_small_cell(lists, i, at, v)
        letter = get_column_letter(at)
        formula = f"'{layout.LISTS_SHEET}'!${letter}$1:${letter}${len(values)}"
    else:
        formula = f'"{inline}"'
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                        errorStyle="warning", errorTitle="Not in the list", error=layout.DROPDOWN_ERROR)
    letter = get_column_letter(col)
    dv.add(f"{letter}2:{letter}{nrows + 1 + layout.DROPDOWN_EXTRA_ROWS}")
    ws.add_data_validation(dv)


def _tidy(wb: Workbook, data: Worksheet) -> None:
    active = wb.active
    if active is None or active.sheet_state != "visible":
        data.sheet_state = "visible"
        wb.active = data
        active = data
    # Several selected tabs put Excel in "group" mode, where typing edits every grouped sheet.
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is active
