"""Read the tracker table out of one spreadsheet file: ``read_sheet`` and ``list_sheets``.

calamine reads the cell values of every format (fast, values only, never formulas). It is only
handed files that ``guard.check_file`` passed, because some malformed files make it abort the
process rather than raise. Where calamine refuses a legitimate file (unusual but legal packaging)
a second reader gets a go: openpyxl for .xlsx, calamine again on a repaired copy for .ods.
Whatever goes wrong comes out as one ``CopyRejected``, never a library exception.
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
from syncd.model import META_SHEET, SheetRead, Table, Value, WorkbookMeta
from syncd.workbook import guard
from syncd.workbook.biff import BiffDamaged, read_biff_sheet
from syncd.workbook.csvfile import CsvCellTooLong, CsvTooBig, read_csv
from syncd.workbook.guard import DEFAULT_LIMITS, Limits, check_file, display_name, reject
from syncd.workbook.header import Merge, build_table, column_letter, detect_header
from syncd.workbook.meta import file_mtime, parse_meta_sheet, read_docprops
from syncd.workbook.values import CellTooLong, convert_rows

#: Sheets syncd writes itself; never taken for the tracker table when choosing automatically.
SYNCD_SHEETS = (META_SHEET, "Conflicts", "Archive", "Duplicates")


class _ReaderFailed(Exception):
    """The reader library refused the file; another reader may still manage."""


@dataclass(frozen=True)
class _Raw:
    """A sheet's typed cells: ``rows[i][j]`` is the cell at 0-based sheet row ``row_offset + i``,
    column ``col_offset + j``."""

    rows: list[list[Value]]
    row_offset: int = 0
    col_offset: int = 0
    merges: tuple[Merge, ...] = ()


@dataclass(frozen=True)
class _SheetInfo:
    name: str
    visible: bool
    worksheet: bool


class _Book(Protocol):
    sheets: list[_SheetInfo]

    def raw(self, name: str) -> _Raw: ...


def _too_many_rows(path, sheet: str, rows: int, limits: Limits) -> CopyRejected:
    return reject(
        path,
        (
            f"too big: sheet '{sheet}' has {rows:,} rows, and syncd reads up to {limits.max_rows:,}",
            "delete the unused rows at the bottom of the sheet and save it again",
        ),
    )


def _cell_too_long(path, ref: str, limits: Limits) -> CopyRejected:
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
        raise _cell_too_long(path, f"{column_letter(col_offset + e.col)}{row_offset + e.row + 1}", limits) from None


class _CalamineBook:
    def __init__(self, path, source, limits: Limits) -> None:
        self.path, self.limits = path, limits
        try:
            self.wb = calamine.CalamineWorkbook.from_object(source)
            metas = self.wb.sheets_metadata
        except calamine.PasswordError:
            raise reject(path, guard.PASSWORD) from None
        except Exception as e:  # noqa: BLE001 - any library failure: let the next reader try
            raise _ReaderFailed(str(e)) from None
        self.sheets = [
            _SheetInfo(m.name, m.visible == calamine.SheetVisibleEnum.Visible, m.typ == calamine.SheetTypeEnum.WorkSheet)
            for m in metas
        ]

    def raw(self, name: str) -> _Raw:
        try:
            sheet = self.wb.get_sheet_by_name(name)
            start = sheet.start
            if start is None:
                return _Raw([])
            if sheet.height > self.limits.max_rows + 1:
                raise _too_many_rows(self.path, name, sheet.height, self.limits)
            data = sheet.to_python(skip_empty_area=True)
            merges = sheet.merged_cell_ranges or []
        except CopyRejected:
            raise
        except calamine.PasswordError:
            raise reject(self.path, guard.PASSWORD) from None
        except Exception as e:  # noqa: BLE001
            raise _ReaderFailed(str(e)) from None
        r0, c0 = start
        rows = _convert(self.path, data, r0, c0, self.limits)
        rel = tuple(((a - r0, b - c0), (c - r0, d - c0)) for (a, b), (c, d) in merges)
        return _Raw(rows, r0, c0, rel)


class _OpenpyxlBook:
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
                _SheetInfo(ws.title, getattr(ws, "sheet_state", "visible") == "visible", hasattr(ws, "iter_rows"))
                for ws in self.wb.worksheets + list(getattr(self.wb, "chartsheets", []))
            ]
        except Exception as e:  # noqa: BLE001
            raise _ReaderFailed(str(e)) from None

    def raw(self, name: str) -> _Raw:
        import datetime as dt

        rows: list[list[object]] = []
        try:
            ws = self.wb[name]
            ws.reset_dimensions()  # never trust a declared size: iterate what is there
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for row in ws.iter_rows(values_only=True):
                    if len(rows) > self.limits.max_rows:
                        raise _too_many_rows(self.path, name, len(rows), self.limits)
                    rows.append(
                        [
                            v.date() if isinstance(v, dt.datetime) and v.time() == dt.time(0) else v
                            for v in row
                        ]
                    )
        except CopyRejected:
            raise
        except Exception as e:  # noqa: BLE001
            raise _ReaderFailed(str(e)) from None
        width = max((len(r) for r in rows), default=0)
        if len(rows) * width > self.limits.max_cells:
            raise _too_many_rows(self.path, name, len(rows), self.limits)
        rows = [r + [None] * (width - len(r)) for r in rows]
        return _Raw(_convert(self.path, rows, 0, 0, self.limits))


class _BiffBook:
    """An Excel 2.x-4.0 worksheet file: one sheet, named after the file as Excel names it."""

    def __init__(self, path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.sheets = [_SheetInfo(os.path.splitext(display_name(path))[0], True, True)]

    def raw(self, name: str) -> _Raw:
        with open(self.path, "rb") as f:
            data = f.read(self.limits.max_file_bytes + 1)
        try:
            rows = read_biff_sheet(data)
        except BiffDamaged:
            raise reject(self.path, guard.DAMAGED) from None
        return _Raw(_convert(self.path, rows, 0, 0, self.limits))


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


def _open_book(path, fmt: str, limits: Limits) -> tuple[_Book, _Book | None]:
    """The primary reader, and a fallback reader to use when the primary fails, if any."""
    if fmt == "xls":
        with open(path, "rb") as f:
            if f.read(8) != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                return _BiffBook(path, limits), None
    try:
        book = _CalamineBook(path, os.fspath(path), limits)
    except _ReaderFailed:
        book = None
    fallback: _Book | None = None
    if fmt == "xlsx":
        fallback = _LazyBook(lambda: _OpenpyxlBook(path, limits))
    elif fmt == "ods":
        fallback = _LazyBook(lambda: _CalamineBook(path, _repaired_ods(path), limits))
    if book is None:
        if fallback is None:
            raise reject(path, guard.DAMAGED)
        try:
            fallback.sheets  # noqa: B018 - opens it
        except _ReaderFailed:
            raise reject(path, guard.DAMAGED) from None
        return fallback, None
    return book, fallback


class _LazyBook:
    """Opens the fallback reader only when it is needed."""

    def __init__(self, make) -> None:
        self._make, self._book = make, None

    def _get(self) -> _Book:
        if self._book is None:
            self._book = self._make()
        return self._book

    @property
    def sheets(self) -> list[_SheetInfo]:
        return self._get().sheets

    def raw(self, name: str) -> _Raw:
        return self._get().raw(name)


class _Reader:
    """One read of one workbook: caches raw sheets and switches to the fallback reader once."""

    def __init__(self, path, fmt: str, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.book, self.fallback = _open_book(path, fmt, limits)
        self.cache: dict[str, _Raw] = {}

    @property
    def sheets(self) -> list[_SheetInfo]:
        return self.book.sheets

    def raw(self, name: str) -> _Raw:
        if name not in self.cache:
            try:
                self.cache[name] = self.book.raw(name)
            except _ReaderFailed:
                if self.fallback is None:
                    raise reject(self.path, guard.DAMAGED) from None
                self.book, self.fallback = self.fallback, None
                self.cache.clear()
                try:
                    if name not in {s.name for s in self.book.sheets}:
                        raise reject(self.path, guard.DAMAGED)
                    self.cache[name] = self.book.raw(name)
                except _ReaderFailed:
                    raise reject(self.path, guard.DAMAGED) from None
        return self.cache[name]


def _table(raw: _Raw, header_index: int | None = None) -> Table | None:
    if header_index is None:
        header_index = detect_header(raw.rows)
    if header_index is None:
        return None
    return build_table(raw.rows, header_index, row_offset=raw.row_offset, col_offset=raw.col_offset, merges=raw.merges)


def _no_table(path, sheet: str) -> CopyRejected:
    return reject(
        path,
        (
            f"no table found: the sheet '{sheet}' is empty (it has no header row)",
            "put the column names in the top row of the tracker sheet, or set `sheet` in the config to the sheet that holds it",
        ),
    )


def _find_sheet(names: list[str], wanted: str) -> str | None:
    if wanted in names:
        return wanted
    folded = wanted.strip().casefold()
    return next((n for n in names if n.strip().casefold() == folded), None)


def _choose(reader: _Reader, path, sheet: str | None, extras: tuple[str, ...]) -> tuple[str, Table]:
    names = [s.name for s in reader.sheets]
    if sheet is not None:
        found = _find_sheet(names, sheet)
        if found is None:
            raise reject(
                path,
                (f"has no sheet called '{sheet}' (it has: {', '.join(names)})", "set `sheet` in the config to one of these"),
            )
        table = _table(reader.raw(found))
        if table is None:
            raise _no_table(path, found)
        return found, table
    own = {n.casefold() for n in SYNCD_SHEETS + tuple(extras)}
    visible = [s.name for s in reader.sheets if s.visible and s.worksheet]
    for name in visible:
        if name.strip().casefold() in own:
            continue
        table = _table(reader.raw(name))
        if table is not None and len(table) > 0:
            return name, table
    first = visible[0] if visible else (names[0] if names else None)
    if first is None:
        raise reject(path, ("no table found: the workbook has no sheets", guard._SAVE_AGAIN))
    table = _table(reader.raw(first))
    if table is None:
        raise _no_table(path, first)
    return first, table


def _read_extras(reader: _Reader, chosen: str, extras: tuple[str, ...]) -> tuple[tuple[str, Table], ...]:
    out = []
    names = [s.name for s in reader.sheets]
    for wanted in extras:
        found = _find_sheet(names, wanted)
        if found is None or found == chosen:
            continue
        try:
            raw = reader.raw(found)
            # syncd writes these with the header in row 1; a person may have cleared rows above.
            table = _table(raw, 0 if raw.row_offset == 0 and raw.rows else None)
        except CopyRejected:
            continue
        if table is not None:
            out.append((wanted, table))
    return tuple(out)


def _read_meta(reader: _Reader, path, fmt: str) -> WorkbookMeta:
    tracker = lineage = generation = None
    found = _find_sheet([s.name for s in reader.sheets], META_SHEET)
    if found is not None:
        try:
            tracker, lineage, generation = parse_meta_sheet(reader.raw(found).rows)
        except CopyRejected:
            pass
    if fmt in ("xlsx", "xlsb", "ods"):
        author, modified = read_docprops(path, fmt)
    else:
        author, modified = None, None
    return WorkbookMeta(tracker=tracker, lineage=lineage, generation=generation, author=author, modified=modified or file_mtime(path))


def _check_width(path, sheet: str, table: Table, limits: Limits) -> None:
    if table.width > limits.max_columns:
        raise reject(
            path,
            (
                f"too wide: sheet '{sheet}' has {table.width:,} columns, and syncd reads up to {limits.max_columns:,}",
                "delete the unused columns and save it again",
            ),
        )


def _read_csv_file(path, limits: Limits) -> SheetRead:
    try:
        data = read_csv(path, limits)
    except CsvTooBig:
        raise _too_many_rows(path, display_name(path), limits.max_rows + 1, limits) from None
    except CsvCellTooLong as e:
        where = f"cell {column_letter(e.col)}{e.row}" if e.col >= 0 else f"a cell in row {e.row}"
        raise reject(
            path,
            (f"{where} holds more than {limits.max_cell_chars:,} characters, more than Excel allows", "shorten the text in that cell and save it again"),
        ) from None
    name = os.path.splitext(display_name(path))[0]
    raw = _Raw(data.rows)
    table = _table(raw)
    if table is None:
        raise _no_table(path, name)
    _check_width(path, name, table, limits)
    return SheetRead(table=table, sheet=name, meta=WorkbookMeta(modified=file_mtime(path)), sheets=(name,))


def read_sheet(
    path: str | os.PathLike,
    sheet: str | None = None,
    *,
    extras: tuple[str, ...] = ("Conflicts", "Archive", "Duplicates"),
    limits: Limits = DEFAULT_LIMITS,
) -> SheetRead:
    """Read the tracker table from one file (.xlsx/.xlsm/.xltx, .xlsb, .xls, .ods, .csv/.tsv).

    ``sheet`` names the sheet to read (matched exactly, else ignoring case and outer spaces);
    without it, the first visible sheet that is not one of syncd's own and holds a header with at
    least one row under it, else the first visible sheet. Sheets named in ``extras`` are read too
    (header in row 1) into ``SheetRead.extras``; a problem with one of them only leaves it out.
    For CSV the sheet name is the file name without its extension.

    Raises ``syncd.errors.CopyRejected`` (file = the file's base name) for anything it cannot use,
    and never any other exception.
    """
    try:
        fmt = check_file(path, limits)
        if fmt == "csv":
            return _read_csv_file(path, limits)
        reader = _Reader(path, fmt, limits)
        name, table = _choose(reader, path, sheet, extras)
        _check_width(path, name, table, limits)
        return SheetRead(
            table=table,
            sheet=name,
            meta=_read_meta(reader, path, fmt),
            sheets=tuple(s.name for s in reader.sheets),
            extras=_read_extras(reader, name, extras),
        )
    except CopyRejected:
        raise
    except MemoryError:
        raise reject(path, ("too large to open", "remove pictures or old rows and save it again")) from None
    except (UnicodeDecodeError, LookupError):
        raise reject(path, ("not readable as text", "open it in Excel and save it as .xlsx or as CSV UTF-8")) from None
    except OSError as e:
        raise reject(path, (f"could not be opened ({e.strerror or 'read error'})", "check the file is still there and readable")) from None
    except Exception:  # noqa: BLE001 - whatever a hostile file provokes, the caller gets a CopyRejected
        raise reject(path, guard.DAMAGED) from None


def list_sheets(path: str | os.PathLike) -> tuple[str, ...]:
    """Every sheet name in the file, in workbook order (a CSV has one, named after the file).
    Raises ``CopyRejected`` like ``read_sheet``."""
    try:
        fmt = check_file(path, DEFAULT_LIMITS)
        if fmt == "csv":
            return (os.path.splitext(display_name(path))[0],)
        return tuple(s.name for s in _Reader(path, fmt, DEFAULT_LIMITS).sheets)
    except CopyRejected:
        raise
    except Exception:  # noqa: BLE001
        raise reject(path, guard.DAMAGED) from None
