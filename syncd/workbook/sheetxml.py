"""Write table sheets of an .xlsx quickly: cells as XML text, the rest of the workbook by openpyxl.

openpyxl needs tens of microseconds to save one cell; a 100,000-row tracker has more than a
million. So ``XlsxBook`` lets openpyxl build and save everything else (styles, widths, comments,
validations, other sheets), while the rows of the table sheets are written here as ``<sheetData>``
XML to a scratch file and put into the saved package in place of openpyxl's (nearly empty) one.
Cell formats are openpyxl ``StyleArray``s registered in the workbook, each distinct one once.

Every text value is written as an inline string — never a formula, never an error value — with
characters XML cannot hold replaced (see ``layout.clean_text``).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.writer.excel import ExcelWriter
from openpyxl.worksheet.worksheet import Worksheet

from syncd.model import Table, Value
from syncd.workbook import layout, notes_xml
from syncd.workbook.deflate import fast_entry
from syncd.workbook.values import EXACT_INT  # beyond it a number cell would round the digits typed

NO_STYLE = StyleArray()
_NUMBER_FORMATS = {"date": layout.DATE_FORMAT, "datetime": layout.DATETIME_FORMAT, "time": layout.TIME_FORMAT}
_SPOOL_BYTES = 32 * 2**20  # sheet XML beyond this goes to a scratch file beside the destination
_LETTERS = ("",) + tuple(get_column_letter(c) for c in range(1, 16385))
_MAX_CHARS = layout.MAX_CELL_CHARS
_EXCEL_EPOCH = dt.date(1899, 12, 30)


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
        return (value, "n", "") if -EXACT_INT <= value <= EXACT_INT else (str(value), "s", "")
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
    text = notes_xml.escape_text(text)
    if "\r" in text:  # a raw CR would be read back as a line feed
        text = text.replace("\r", "&#13;")
    return text


def _format_fits(number_format: str, kind: str) -> bool:
    if not is_date_format(number_format):
        return False
    return kind != "time" or "h" in number_format.lower()


@dataclass
class _Column:
    """One column as ``SheetData.plain_cells`` writes it: its letters, its usual format, and the
    ``s="..."`` attribute of each kind of value seen so far (registered in the workbook on first use)."""

    letter: str
    base: StyleArray
    index: int
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class _ParentStub:
    parent: Workbook


class XlsxBook:
    """One workbook being written: its distinct cell styles, each built once, and the table sheets
    whose rows are written as XML text."""

    def __init__(self, wb: Workbook, scratch_dir: str) -> None:
        self.wb = wb
        self.scratch_dir = scratch_dir
        self.sheets: list[SheetData] = []
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

    def sheet_data(self, ws: Worksheet) -> SheetData:
        data = SheetData(self, ws)
        self.sheets.append(data)
        return data

    def save(self, path: str | os.PathLike) -> None:
        """Save the workbook to ``path`` with the table sheets' rows put in."""
        for data in self.sheets:
            data.finish()
        # openpyxl writes the parts uncompressed into memory (what Workbook.save does, less the
        # deflating): they are read straight back and compressed once, into the file.
        buf = io.BytesIO()
        self.wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
        # openpyxl writes the comments of a sheet with many (see notes_xml) for the first one only
        noted = {data.ws: _hold_back_comments(data.ws) for data in self.sheets
                 if data.ws.legacy_drawing is None or self.wb.vba_archive is None}  # else it merges VML
        try:
            ExcelWriter(self.wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
        finally:
            for ws, cells in noted.items():
                for row, col, comment in cells:
                    ws._cells[(row, col)]._comment = comment
        parts = {}
        for ws, cells in noted.items():
            if len(cells) > 1:
                parts[_comments_path(ws)] = notes_xml.comments_part(cells)
                parts[ws.legacy_drawing.lstrip("/")] = notes_xml.drawing_part(cells)
        ours = {data.ws.path.lstrip("/"): data for data in self.sheets}
        # The fastest deflate: a 100,000-row sheet compresses in half the time for a file a sixth
        # bigger, and the canonical is rewritten at every sync.
        with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True,
                                                          compresslevel=1) as zout:
            for info in zin.infolist():
                part = parts.get(info.filename) or zin.read(info.filename)
                data = ours.get(info.filename)
                if data is None:
                    zout.writestr(info, part, zipfile.ZIP_DEFLATED, 1)
                    continue
                start = part.index(b"<sheetData")
                close = part.find(b"</sheetData>", start)
                end = close + len(b"</sheetData>") if close >= 0 else part.index(b">", start) + 1
                with zout.open(info.filename, "w", force_zip64=True) as out:
                    fast_entry(out)  # the data sheet is nearly all of the file: ISA-L deflates it
                    out.write(part[:start] + b"<sheetData>")
                    data.copy_to(out)
                    out.write(b"</sheetData>" + part[end:])

    def close(self) -> None:
        for data in self.sheets:
            data.file.close()


def _hold_back_comments(ws: Worksheet) -> list[notes_xml.Noted]:
    """The sheet's comments in the order openpyxl writes them; all but the first are taken off
    their cells (``save`` puts them back once the file is written)."""
    cells = sorted((c for c in ws._cells.values() if c._comment is not None), key=lambda c: (c.row, c.column))
    noted = [(c.row, c.column, c._comment) for c in cells]
    for cell in cells[1:]:
        cell._comment = None
    return noted


def _comments_path(ws: Worksheet) -> str:
    """Where openpyxl wrote the sheet's comments part (named in the sheet's relationships)."""
    return next(rel.Target for rel in ws._rels if rel.Type.endswith("/comments")).lstrip("/")


class SheetData:
    """The rows of one sheet as ``<sheetData>`` XML, kept in a scratch file until the save."""

    def __init__(self, book: XlsxBook, ws: Worksheet) -> None:
        self.book = book
        self._quick = book._quick  # the per-cell shortcut of book.style_id
        self.ws = ws
        self.file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, dir=book.scratch_dir)
        self._buf: list[str] = []
        #: rows rendered ahead, each run with where it goes in the scratch file's bytes
        self._runs: list[tuple[int, list[str]]] = []
        self.overflow: dict[tuple[int, int], str] = {}
        self.last_row = 0
        self.last_col = 0  # set by whoever fills the sheet

    def cell(self, row: int, col: int, value: object, base: StyleArray, note: str | None = None) -> str:
        """XML for one cell ('' when there is nothing to write). Text is always written as text."""
        t = type(value)
        if t is str and value:
            text = value if value.isprintable() else layout.clean_text(value)
            kind = "quoted" if text[0] in "=+-@" else ""
            sid = self._quick.get((id(base), kind, note))
            if sid is None:
                sid = self.book.style_id(base, kind, note)
            if len(text) > layout.MAX_CELL_CHARS:
                self.overflow[(row, col)] = text
                text = text[: layout.MAX_CELL_CHARS]
            style = f' s="{sid}"' if sid else ""
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
            return f'<c r="{_LETTERS[col]}{row}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'
        if (t is int and -EXACT_INT <= value <= EXACT_INT) or (t is float and math.isfinite(value)):
            sid = self._quick.get((id(base), "", note))
            if sid is None:
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

    def columns(self, bases: Sequence[StyleArray]) -> list[_Column]:
        """Per-column state for ``plain_cells``: column ``j`` (1-based) has the format ``bases[j-1]``."""
        return [_Column(_LETTERS[j], base, j) for j, base in enumerate(bases, 1)]

    def _attr(self, col: _Column, kind: str) -> str:
        sid = self.book.style_id(col.base, kind)
        attr = col.attrs[kind] = f' s="{sid}"' if sid else ""
        return attr

    def plain_cells(self, row: int, values: Sequence[object], cols: Sequence[_Column]) -> list[str]:
        """XML for a row whose cells carry no note and no format of their own (the great
        majority): the same as ``cell`` for each value, with the usual kinds of value written
        inline and anything unusual handed to ``cell``."""
        out = []
        append = out.append
        r = str(row)
        for v, col in zip(values, cols):
            t = type(v)
            if t is str:
                # Printable text holds no control characters and no whitespace but the space.
                if v and len(v) <= _MAX_CHARS and v.isprintable():
                    kind = "quoted" if v[0] in "=+-@" else ""
                    attr = col.attrs.get(kind)
                    if attr is None:
                        attr = self._attr(col, kind)
                    if "&" in v or "<" in v or ">" in v:
                        v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    space = ' xml:space="preserve"' if v[0] == " " or v[-1] == " " else ""
                    append(f'<c r="{col.letter}{r}"{attr} t="inlineStr"><is><t{space}>{v}</t></is></c>')
                    continue
            elif (t is int and -EXACT_INT <= v <= EXACT_INT) or (t is float and math.isfinite(v)):
                attr = col.attrs.get("")
                if attr is None:
                    attr = self._attr(col, "")
                append(f'<c r="{col.letter}{r}"{attr}><v>{v!r}</v></c>')
                continue
            elif v is None:
                attr = col.attrs.get("")
                if attr is None:
                    attr = self._attr(col, "")
                if attr:
                    append(f'<c r="{col.letter}{r}"{attr}/>')
                continue
            elif t is dt.date and v.year >= 1900:
                attr = col.attrs.get("date")
                if attr is None:
                    attr = self._attr(col, "date")
                days = (v - _EXCEL_EPOCH).days
                if days <= 60:  # Excel's 1900 leap-year bug, as openpyxl's to_excel has it
                    days -= 1
                append(f'<c r="{col.letter}{r}"{attr}><v>{days + 0.0!r}</v></c>')
                continue
            xml = self.cell(row, col.index, v, col.base)
            if xml:
                append(xml)
        return out

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

    def rendered_rows(self, rows: list[str], last: int) -> None:
        """Whole ``<row>`` elements rendered ahead (``workbook.ahead``), the last of them row ``last``.
        They are held as they are and go straight into the file at the save: through the scratch
        file, a 100,000-row sheet took about 0.3 s more to write (out to disk and back)."""
        self.last_row = max(self.last_row, last)
        self._flush()
        self._runs.append((self.file.tell(), rows))

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
        """Write the rows into ``out``: those in the scratch file, with the runs rendered ahead
        put in where they came."""
        self.file.seek(0)
        for at, rows in self._runs:
            # the rows rendered here since the run before (a few noted or formatted rows, mostly)
            out.write(self.file.read(at - self.file.tell()))
            for start in range(0, len(rows), 1000):  # a run may be the whole sheet: joined in parts
                out.write("".join(rows[start:start + 1000]).encode("utf-8"))
        while chunk := self.file.read(1 << 20):
            out.write(chunk)

    def attach_comments(
        self, notes: dict[tuple[int, int], list[str]], people: dict[tuple[int, int], tuple[str, str]]
    ) -> None:
        """Give cells their comments: syncd's ``notes`` and the rest of any cut text (author
        syncd), and people's own (author, text), kept after a marker when a note shares the cell."""
        for (row, col), full in self.overflow.items():
            rest = full[layout.MAX_CELL_CHARS:]
            notes.setdefault((row, col), []).append(
                layout.OVERFLOW_NOTE.format(length=len(full), limit=layout.MAX_CELL_CHARS, rest=rest))
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


def write_plain_sheet(book: XlsxBook, ws: Worksheet, table: Table) -> None:
    """Fill an empty sheet with ``table`` as a plain list: bold frozen header with a filter,
    typed values (text always as text, dates formatted), sensible column widths."""
    data = book.sheet_data(ws)
    data.last_col = table.width
    data.row(1, [data.cell(1, j, c, book.header) for j, c in enumerate(table.columns, 1)])
    plain = data.columns([NO_STYLE] * table.width)
    for r, row in enumerate(table.rows, 2):
        data.row(r, data.plain_cells(r, row, plain))
    if table.columns:
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(table.width)}{len(table) + 1}"
    for j, column in enumerate(table.columns, 1):
        values = [row[j - 1] for row in table.rows]
        ws.column_dimensions[get_column_letter(j)].width = layout.column_width(column, values)
    data.attach_comments({}, {})


def put_small_cell(ws: Worksheet, row: int, col: int, value: object) -> None:
    """One cell of a small sheet through openpyxl, with the same literal-text rule."""
    stored, data_type, _ = _bind(value)
    cell = ws.cell(row=row, column=col)
    # Below openpyxl's own type guessing, which would make "=..." a formula and "#N/A" an error.
    cell._value = str(stored) if data_type == "d" else stored
    cell.data_type = "s" if data_type == "d" else data_type
