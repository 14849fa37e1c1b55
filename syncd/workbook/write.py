"""Write the canonical workbook: the one file people open to see the merged tracker.

The data sheet carries the hidden ``syncd id`` column (last) so copies made from the canonical bring
their row ids back; the hidden ``_syncd`` sheet carries tracker, lineage and generation. When the
previous canonical is given as a template, what people set up in it (formatting, widths, moved
columns, validations, their own sheets) is kept and only the data is rewritten.

openpyxl builds and saves the workbook, except the cells of the table sheets: openpyxl needs tens
of microseconds per cell, so those rows are written here as XML text and put into the saved file
in place of openpyxl's (nearly empty) ``<sheetData>``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import os
import tempfile
import zipfile
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from syncd.errors import CanonicalError, SyncdError
from syncd.model import META_SHEET, ROW_ID_COLUMN, Table, Value, WorkbookMeta
from syncd.workbook import layout
from syncd.workbook.atomic import atomic_write, describe_os_error
from syncd.workbook.template import OldSheet, open_template

log = logging.getLogger(__name__)

NOTE_KINDS = ("conflict", "duplicate", "deleted")
_EXACT_INT = 2**53  # beyond this a number cell would round the digits a person typed
_ID_WIDTH = 14.0
_NUMBER_FORMATS = {"date": layout.DATE_FORMAT, "datetime": layout.DATETIME_FORMAT, "time": layout.TIME_FORMAT}
_SPOOL_BYTES = 32 * 2**20  # sheet XML beyond this goes to a scratch file beside the destination
_NO_STYLE = StyleArray()
_LETTERS = ("",) + tuple(get_column_letter(c) for c in range(1, 16385))


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
    loaded = open_template(template, doc.sheet) if template is not None else None
    wb, old = loaded if loaded is not None else (Workbook(), OldSheet())
    if loaded is None:
        wb.remove(wb.active)
    book = _Book(wb, os.path.dirname(os.path.realpath(name)))
    try:
        _render(book, doc, old)
        _save(book, name, before_replace)
    finally:
        book.close()


def write_tables_xlsx(path: str | os.PathLike, sheets: Sequence[tuple[str, Table]]) -> None:
    """Write a new workbook of plain sheets (see :func:`write_table_sheet`) to ``path``.

    Not atomic by itself: write to the path :func:`syncd.workbook.atomic.atomic_write` yields.
    """
    wb = Workbook()
    wb.remove(wb.active)
    book = _Book(wb, os.path.dirname(os.path.realpath(path)))
    try:
        for title, table in sheets:
            _plain_sheet(book, wb.create_sheet(title), table)
        book.save(path)
    finally:
        book.close()


# --- cell values and styles ----------------------------------------------------------------------


def _bind(value: object) -> tuple[Value, str, str]:
    """(value to store, data type n/s/b/d, style kind) — strings are always literal text."""
    if value is None:
        return None, "n", ""
    if isinstance(value, str):
        text = layout.clean_text(value)
        return text, "s", "quoted" if text[:1] in ("=", "+", "-", "@") else ""
    if isinstance(value, bool):
        return value, "b", ""
    if isinstance(value, int):
        return (value, "n", "") if -_EXACT_INT <= value <= _EXACT_INT else (str(value), "s", "")
    if isinstance(value, float):
        return (value, "n", "") if math.isfinite(value) else (str(value), "s", "")
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)  # a sheet has no time zones; keep the wall-clock time
        return (value, "d", "datetime") if value.year >= 1900 else (value.isoformat(sep=" "), "s", "")
    if isinstance(value, dt.date):
        return (value, "d", "date") if value.year >= 1900 else (value.isoformat(), "s", "")
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None), "d", "time"
    return _bind(str(value))


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:  # a raw CR would be read back as a line feed
        text = text.replace("\r", "&#13;")
    return text


def _format_fits(number_format: str, kind: str) -> bool:
    if not is_date_format(number_format):
        return False
    return kind != "time" or "h" in number_format.lower()


@dataclass
class _ParentStub:
    parent: Workbook


class _Book:
    """One workbook being written: its distinct cell styles, each built once, and the table sheets
    whose rows are written as XML text."""

    def __init__(self, wb: Workbook, scratch_dir: str) -> None:
        self.wb = wb
        self.scratch_dir = scratch_dir
        self.sheets: list[_SheetData] = []
        self._ids: dict[tuple, int] = {}
        self._quick: dict[tuple, int] = {}
        self._alive: list[StyleArray] = []
        scratch = Cell(None)
        scratch.parent = _ParentStub(wb)  # style collections live on the workbook
        for attr, value in (("font", layout.HEADER_FONT), ("fill", layout.HEADER_FILL),
                            ("border", layout.HEADER_BORDER), ("alignment", layout.HEADER_ALIGNMENT)):
            setattr(scratch, attr, value)
        self.header = copy(scratch._style)
        self._scratch = scratch

    def style_id(self, base: StyleArray, kind: str, note: str | None = None) -> int:
        """Index in the workbook's cell formats of ``base`` adapted to a value of ``kind``."""
        # Looked up per cell, so keyed by the identity of the (long-lived) format object first.
        quick = (id(base), kind, note)
        found = self._quick.get(quick)
        if found is not None:
            return found
        key = (*base, kind, note)
        found = self._ids.get(key)
        if found is None:
            cell = self._scratch
            cell._style = copy(base)
            cell._style.quotePrefix = 1 if kind == "quoted" else 0  # Excel keeps it text on edit
            wanted = _NUMBER_FORMATS.get(kind)
            if wanted and not _format_fits(cell.number_format, kind):
                cell.number_format = wanted
            if note:
                cell.fill = layout.NOTE_FILLS[note]
            found = self._ids[key] = self.wb._cell_styles.add(cell._style)
        self._quick[quick] = found
        self._alive.append(base)  # keeps id(base) from being reused while the key exists
        return found

    def sheet_data(self, ws: Worksheet) -> _SheetData:
        data = _SheetData(self, ws)
        self.sheets.append(data)
        return data

    def save(self, path: str | os.PathLike) -> None:
        """Save the workbook to ``path`` with the table sheets' rows put in."""
        for data in self.sheets:
            data.finish()
        buf = io.BytesIO()
        self.wb.save(buf)
        ours = {data.ws.path.lstrip("/"): data for data in self.sheets}
        with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zout:
            for info in zin.infolist():
                part = zin.read(info.filename)
                data = ours.get(info.filename)
                if data is None:
                    zout.writestr(info, part)
                    continue
                start = part.index(b"<sheetData")
                close = part.find(b"</sheetData>", start)
                end = close + len(b"</sheetData>") if close >= 0 else part.index(b">", start) + 1
                with zout.open(info.filename, "w", force_zip64=True) as out:
                    out.write(part[:start] + b"<sheetData>")
                    data.copy_to(out)
                    out.write(b"</sheetData>" + part[end:])

    def close(self) -> None:
        for data in self.sheets:
            data.file.close()


class _SheetData:
    """The rows of one sheet as ``<sheetData>`` XML, kept in a scratch file until the save."""

    def __init__(self, book: _Book, ws: Worksheet) -> None:
        self.book = book
        self.ws = ws
        self.file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, dir=book.scratch_dir)
        self._buf: list[str] = []
        self.overflow: dict[tuple[int, int], str] = {}
        self.last_row = 0
        self.last_col = 0  # set by whoever fills the sheet

    def cell(self, row: int, col: int, value: object, base: StyleArray, note: str | None = None) -> str:
        """XML for one cell ('' when there is nothing to write). Text is always written as text."""
        t = type(value)
        if t is str and value:
            text = value if value.isprintable() else layout.clean_text(value)
            sid = self.book.style_id(base, "quoted" if text[0] in "=+-@" else "", note)
            if len(text) > layout.MAX_CELL_CHARS:
                self.overflow[(row, col)] = text
                text = text[: layout.MAX_CELL_CHARS]
            style = f' s="{sid}"' if sid else ""
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
            return f'<c r="{_LETTERS[col]}{row}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'
        if (t is int and -_EXACT_INT <= value <= _EXACT_INT) or (t is float and math.isfinite(value)):
            sid = self.book.style_id(base, "", note)
            style = f' s="{sid}"' if sid else ""
            return f'<c r="{_LETTERS[col]}{row}"{style}><v>{value!r}</v></c>'
        stored, data_type, kind = _bind(value)
        if data_type == "s" and stored:
            return self.cell(row, col, stored, base, note)
        sid = self.book.style_id(base, kind, note)
        style = f' s="{sid}"' if sid else ""
        if stored is None or stored == "":
            return f'<c r="{_LETTERS[col]}{row}"{style}/>' if sid else ""
        if data_type == "b":
            return f'<c r="{_LETTERS[col]}{row}"{style} t="b"><v>{int(stored)}</v></c>'
        return f'<c r="{_LETTERS[col]}{row}"{style}><v>{to_excel(stored)!r}</v></c>'

    def styled(self, row: int, col: int, style: StyleArray) -> str:
        """XML for an empty cell that only carries a format."""
        sid = self.book.wb._cell_styles.add(style) if any(style) else 0
        return f'<c r="{_LETTERS[col]}{row}" s="{sid}"/>' if sid else ""

    def row(self, row: int, cells: Iterable[str]) -> None:
        body = "".join(cells)
        dim = self.ws.row_dimensions.get(row)
        attrs = "".join(f' {k}="{v}"' for k, v in dict(dim).items()) if dim is not None else ""
        if not body and not attrs:
            return
        self.last_row = max(self.last_row, row)
        self._buf.append(f'<row r="{row}"{attrs}>{body}</row>')
        if len(self._buf) >= 1000:
            self._flush()

    def _flush(self) -> None:
        self.file.write("".join(self._buf).encode("utf-8"))
        self._buf = []

    def finish(self) -> None:
        self._flush()
        if self.last_row and self.last_col:
            # openpyxl states the used range from its own cells: give it both corners.
            self.ws.cell(row=1, column=1)
            self.ws.cell(row=self.last_row, column=self.last_col)

    def copy_to(self, out) -> None:
        self.file.seek(0)
        while chunk := self.file.read(1 << 20):
            out.write(chunk)

    def attach_comments(self, notes: dict[tuple[int, int], list[str]], people: dict[tuple[int, int], tuple[str, str]]) -> None:
        """Give cells their comments: syncd's ``notes`` and the rest of any cut text (author
        syncd), and people's own (author, text), kept after a marker when a note shares the cell."""
        for (row, col), full in self.overflow.items():
            notes.setdefault((row, col), []).append(
                f"This cell held {len(full):,} characters, more than the {layout.MAX_CELL_CHARS:,} a "
                f"spreadsheet cell can hold. The rest of the text is here:\n{full[layout.MAX_CELL_CHARS:]}"
            )
        for key in notes.keys() | people.keys():
            author, text = layout.COMMENT_AUTHOR, "\n\n".join(notes.get(key, ()))
            if key in people:
                person, said = people[key]
                if text:
                    text += layout.HUMAN_COMMENT_MARK.format(author=person) + said
                else:
                    author, text = person, said
            text = layout.clean_text(text)[: layout.MAX_CELL_CHARS]
            width, height = layout.comment_size(text)
            self.ws.cell(row=key[0], column=key[1]).comment = Comment(text, author, height=height, width=width)


def _plain_sheet(book: _Book, ws: Worksheet, table: Table) -> None:
    """Fill an empty sheet with ``table`` as a plain list: bold frozen header with a filter,
    typed values (text always as text, dates formatted), sensible column widths."""
    data = book.sheet_data(ws)
    data.last_col = table.width
    data.row(1, [data.cell(1, j, c, book.header) for j, c in enumerate(table.columns, 1)])
    cell = data.cell
    for r, row in enumerate(table.rows, 2):
        data.row(r, [cell(r, j, v, _NO_STYLE) for j, v in enumerate(row, 1) if v is not None])
    if table.columns:
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(table.width)}{len(table) + 1}"
    for j, column in enumerate(table.columns, 1):
        values = [row[j - 1] for row in table.rows]
        ws.column_dimensions[get_column_letter(j)].width = layout.column_width(column, values)
    data.attach_comments({}, {})


def _put_small(ws: Worksheet, row: int, col: int, value: object) -> None:
    """One cell of a small sheet through openpyxl, with the same literal-text rule."""
    stored, data_type, _ = _bind(value)
    cell = ws.cell(row=row, column=col)
    # Below openpyxl's own type guessing, which would make "=..." a formula and "#N/A" an error.
    cell._value = str(stored) if data_type == "d" else stored
    cell.data_type = "s" if data_type == "d" else data_type


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


def _render(book: _Book, doc: CanonicalDoc, old: OldSheet) -> None:
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
    positions = _write_data_sheet(book, ws, doc, old)
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


def _replace_sheet(book: _Book, title: str, table: Table, index: int) -> Worksheet:
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
    _plain_sheet(book, ws, table)
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
        _put_small(ws, i, 1, key)
        _put_small(ws, i, 2, value)
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
            _put_small(lists, i, at, v)
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


def _save(book: _Book, name: str, before_replace: Callable[[], None] | None) -> None:
    aborted: list[BaseException] = []

    def guarded() -> None:
        if before_replace is None:
            return
        try:
            before_replace()
        except BaseException as exc:
            aborted.append(exc)
            raise

    try:
        with atomic_write(name, before_replace=guarded) as tmp:
            book.save(tmp)
    except Exception as exc:
        if (aborted and exc is aborted[0]) or isinstance(exc, SyncdError):
            raise
        if isinstance(exc, OSError):
            raise CanonicalError(f"could not write {name}: {describe_os_error(exc)}") from exc
        raise CanonicalError(
            f"could not write {name}: saving failed unexpectedly ({type(exc).__name__}: {exc}) — the old "
            "file is unchanged; please report this to whoever looks after syncd"
        ) from exc


# --- the data sheet ----------------------------------------------------------------------------


def _plan(columns: tuple[str, ...], old: OldSheet) -> list[tuple[int, int | None]]:
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


def _write_data_sheet(book: _Book, ws: Worksheet, doc: CanonicalDoc, old: OldSheet) -> dict[str, int]:
    """Rewrite the data sheet in place; returns the final column of each table column."""
    table = doc.table
    fresh = not ws._cells and not ws.column_dimensions
    plan = _plan(table.columns, old)
    width = len(plan)
    new_of_old = {src: j for j, (_, src) in enumerate(plan, 1) if src is not None}

    def colmap(c: int) -> int | None:
        return new_of_old.get(c) if c <= old.extent else c

    layout.clear_area(ws, max(old.extent, width))
    ws._cells.clear()
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
    for note in doc.notes:
        notes[(index_of_row[note.row_id] + 2, position[note.column])].append(note)
    texts: dict[tuple[int, int], list[str]] = {}
    people: dict[tuple[int, int], tuple[str, str]] = {}
    links: dict[tuple[int, int], object] = {}
    bases = [old.base.get(src, _NO_STYLE) if src else _NO_STYLE for _, src in plan]
    columns = [(j, i, bases[j - 1]) for j, (i, _) in enumerate(plan, 1)]
    # Rows needing more than "value in its column's format" go the slow way; most rows do not.
    special = {r for r, _ in old.styles} | {r for r, _ in old.comments} | {r for r, _ in old.links}
    noted = {r for r, _ in notes}
    cell = data.cell
    for k, (row, rid) in enumerate(zip(table.rows, table.row_ids)):
        r = k + 2
        old_r = old.rows.get(rid)
        if old_r is not None and old_r in old.row_dims:
            dim = ws.row_dimensions[r]
            dim.ht, dim.hidden, dim.outlineLevel, dim.collapsed = old.row_dims[old_r]
        if old_r not in special and r not in noted:
            parts = [cell(r, j, row[i] if i >= 0 else rid, base) for j, i, base in columns]
        else:
            parts = [_special_cell(data, old, plan, notes, texts, people, links, r, j, old_r,
                                   row[i] if i >= 0 else rid, base) for j, i, base in columns]
        data.row(r, parts + rest(r) if r in leftovers else parts)
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


def _special_cell(data: _SheetData, old: OldSheet, plan: list, notes: dict, texts: dict, people: dict, links: dict,
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
