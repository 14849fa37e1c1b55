"""The reader back ends behind ``read.py``: each turns one sheet of one file into typed raw rows.

calamine reads the cell values of every format (fast, values only, never formulas). It is only
handed files that ``guard.check_file`` passed, because some malformed files make it abort the
process rather than raise. Where calamine refuses a legitimate file (unusual but legal packaging)
a second reader gets a go: openpyxl for .xlsx, calamine again on a repaired copy for .ods. Excel
2-4 files, which calamine cannot read, go to ``biff.py``.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from typing import Protocol

import python_calamine as calamine

from syncd.errors import CopyRejected
from syncd.model import Table, Value
from syncd.workbook import guard
from syncd.workbook.biff import BiffDamaged, read_biff_sheet
from syncd.workbook.guard import Limits
from syncd.workbook.refusals import display_name, reject
from syncd.workbook.header import Merge, column_letter
from syncd.workbook.held import HeldRows
from syncd.workbook.values import CellTooLong, convert_rows


class ReaderFailed(Exception):
    """The reader library refused the file; another reader may still manage."""


@dataclass(frozen=True)
class Raw:
    """A sheet's typed cells: ``rows[i][j]`` is the cell at 0-based sheet row ``row_offset + i``,
    column ``col_offset + j``."""

    rows: list[list[Value]]
    row_offset: int = 0
    col_offset: int = 0
    merges: tuple[Merge, ...] = ()
    #: the sheet's table, already cut out of its cells (``held.py``); ``rows`` is then empty
    table: Table | None = None


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool
    worksheet: bool


class Book(Protocol):
    sheets: list[SheetInfo]

    def raw(self, name: str) -> Raw: ...


def too_many_rows(path, sheet: str, rows: int, limits: Limits) -> CopyRejected:
    return reject(
        path,
        (
            f"too big: sheet '{sheet}' has {rows:,} rows, and syncd reads up to {limits.max_rows:,}",
            "delete the unused rows at the bottom of the sheet and save it again",
        ),
    )


def cell_too_long(path, ref: str, limits: Limits) -> CopyRejected:
    return reject(
        path,
        (
            f"cell {ref} holds more than {limits.max_cell_chars:,} characters, more than Excel allows",
            "shorten the text in that cell and save it again",
        ),
    )


def _convert(path, rows: list[list[object]], row_offset: int, col_offset: int, limits: Limits) -> list[list[Value]]:
    try:
        return convert_rows(rows, limits.max_cell_chars)
    except CellTooLong as e:
        raise cell_too_long(path, f"{column_letter(col_offset + e.col)}{row_offset + e.row + 1}", limits) from None


class CalamineBook:
    def __init__(self, path, source, limits: Limits, held: HeldRows | None = None) -> None:
        self.path, self.limits, self.held = path, limits, held
        try:
            self.wb = calamine.CalamineWorkbook.from_object(source)
            metas = self.wb.sheets_metadata
        except calamine.PasswordError:
            raise reject(path, guard.PASSWORD) from None
        except Exception as e:  # noqa: BLE001 - any library failure: let the next reader try
            raise ReaderFailed(str(e)) from None
        self.sheets = [
            SheetInfo(m.name, m.visible == calamine.SheetVisibleEnum.Visible, m.typ == calamine.SheetTypeEnum.WorkSheet)
            for m in metas
        ]

    def raw(self, name: str) -> Raw:
        try:
            sheet = self.wb.get_sheet_by_name(name)
            start = sheet.start
            if start is None:
                return Raw([])
            if sheet.height > self.limits.max_rows + 1:
                raise too_many_rows(self.path, name, sheet.height, self.limits)
            data = sheet.to_python(skip_empty_area=True)
            merges = sheet.merged_cell_ranges or []
        except CopyRejected:
            raise
        except calamine.PasswordError:
            raise reject(self.path, guard.PASSWORD) from None
        except Exception as e:  # noqa: BLE001
            raise ReaderFailed(str(e)) from None
        r0, c0 = start
        rel = tuple(((a - r0, b - c0), (c - r0, d - c0)) for (a, b), (c, d) in merges)
        if self.held is not None:
            try:
                table = self.held.table_from(data, r0, self.limits.max_cell_chars)
            except CellTooLong as e:
                raise cell_too_long(self.path, f"{column_letter(c0 + e.col)}{r0 + e.row + 1}", self.limits) from None
            if table is not None:
                return Raw([], r0, c0, rel, table)
        rows = _convert(self.path, data, r0, c0, self.limits)
        return Raw(rows, r0, c0, rel)


class OpenpyxlBook:
    """Slow but tolerant .xlsx reader for the rare file calamine refuses (e.g. a dimension of
    ``1:4``, UTF-16 parts, macro sheets)."""

    def __init__(self, path, limits: Limits) -> None:
        import openpyxl

        self.path, self.limits = path, limits
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
            self.sheets = [
                SheetInfo(ws.title, getattr(ws, "sheet_state", "visible") == "visible", hasattr(ws, "iter_rows"))
                for ws in self.wb.worksheets + list(getattr(self.wb, "chartsheets", []))
            ]
        except Exception as e:  # noqa: BLE001
            raise ReaderFailed(str(e)) from None

    def raw(self, name: str) -> Raw:
        import datetime as dt

        rows: list[list[object]] = []
        try:
            ws = self.wb[name]
            ws.reset_dimensions()  # never trust a declared size: iterate what is there
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for row in ws.iter_rows(values_only=True):
                    if len(rows) > self.limits.max_rows:
                        raise too_many_rows(self.path, name, len(rows), self.limits)
                    rows.append(
                        [
                            v.date() if isinstance(v, dt.datetime) and v.time() == dt.time(0) else v
                            for v in row
                        ]
                    )
        except CopyRejected:
            raise
        except Exception as e:  # noqa: BLE001
            raise ReaderFailed(str(e)) from None
        width = max((len(r) for r in rows), default=0)
        if len(rows) * width > self.limits.max_cells:
            raise too_many_rows(self.path, name, len(rows), self.limits)
        rows = [r + [None] * (width - len(r)) for r in rows]
        return Raw(_convert(self.path, rows, 0, 0, self.limits))


class BiffBook:
    """An Excel 2.x-4.0 worksheet file: one sheet, named after the file as Excel names it."""

    def __init__(self, path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.sheets = [SheetInfo(os.path.splitext(display_name(path))[0], True, True)]

    def raw(self, name: str) -> Raw:
        with open(self.path, "rb") as f:
            data = f.read(self.limits.max_file_bytes + 1)
        try:
            rows = read_biff_sheet(data)
        except BiffDamaged:
            raise reject(self.path, guard.DAMAGED) from None
        return Raw(_convert(self.path, rows, 0, 0, self.limits))


_ODS_TABLE_GAP = re.compile(
    rb">\s+(?=</?(?:[\w.-]+:)?(?:table|table-row|table-cell|covered-table-cell|table-column|table-rows|table-header-rows|p|h)[\s/>])"
)


def _repaired_ods(path) -> io.BytesIO:
    """An in-memory copy of an .ods that calamine can parse: with the ``mimetype`` entry some
    writers leave out, and without the layout whitespace between table elements that pretty-
    printing writers add around table elements and paragraphs (it means nothing in ODF, but
    calamine stops at it or keeps it as cell text). The guard has already bounded every part's
    size."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        # ODF wants the mimetype first and stored; calamine tells the format by it.
        dst.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        for info in src.infolist():
            if info.filename == "mimetype" or info.is_dir():
                continue
            data = src.read(info)
            if info.filename == "content.xml":
                data = _ODS_TABLE_GAP.sub(b">", data)
            dst.writestr(info.filename, data)
    out.seek(0)
    return out


def _open_book(path, fmt: str, limits: Limits, held: HeldRows | None) -> tuple[Book, Book | None]:
    """The primary reader, and a fallback reader to use when the primary fails, if any."""
    if fmt == "xls":
        with open(path, "rb") as f:
            if f.read(8) != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                return BiffBook(path, limits), None
    try:
        book = CalamineBook(path, os.fspath(path), limits, held)
    except ReaderFailed:
        book = None
    fallback: Book | None = None
    if fmt == "xlsx":
        fallback = LazyBook(lambda: OpenpyxlBook(path, limits))
    elif fmt == "ods":
        fallback = LazyBook(lambda: CalamineBook(path, _repaired_ods(path), limits))
    if book is None:
        if fallback is None:
            raise reject(path, guard.DAMAGED)
        try:
            fallback.sheets  # noqa: B018 - opens it
        except ReaderFailed:
            raise reject(path, guard.DAMAGED) from None
        return fallback, None
    return book, fallback


class LazyBook:
    """Opens the fallback reader only when it is needed."""

    def __init__(self, make) -> None:
        self._make, self._book = make, None

    def _get(self) -> Book:
        if self._book is None:
            self._book = self._make()
        return self._book

    @property
    def sheets(self) -> list[SheetInfo]:
        return self._get().sheets

    def raw(self, name: str) -> Raw:
        return self._get().raw(name)


class Reader:
    """One read of one workbook: caches raw sheets and switches to the fallback reader once."""

    def __init__(self, path, fmt: str, limits: Limits, held: HeldRows | None = None) -> None:
        self.path, self.limits = path, limits
        self.book, self.fallback = _open_book(path, fmt, limits, held)
        self.cache: dict[str, Raw] = {}

    @property
    def sheets(self) -> list[SheetInfo]:
        return self.book.sheets

    def raw(self, name: str) -> Raw:
        if name not in self.cache:
            try:
                self.cache[name] = self.book.raw(name)
            except ReaderFailed:
                if self.fallback is None:
                    raise reject(self.path, guard.DAMAGED) from None
                self.book, self.fallback = self.fallback, None
                self.cache.clear()
                try:
                    if name not in {s.name for s in self.book.sheets}:
                        raise reject(self.path, guard.DAMAGED)
                    self.cache[name] = self.book.raw(name)
                except ReaderFailed:
                    raise reject(self.path, guard.DAMAGED) from None
        return self.cache[name]
