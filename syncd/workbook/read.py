"""Read the tracker table out of one spreadsheet file: ``read_sheet`` and ``list_sheets``.

The file is judged first (``guard.check_file``: format by content, hostile and broken files
refused), then read by the back ends in ``books.py`` (or ``csvfile.py``), then the sheet is chosen
and the table cut out around its header (``header.py``). Whatever goes wrong comes out as one
``CopyRejected``, never a library exception.
"""

from __future__ import annotations

import os

from syncd.errors import CopyRejected
from syncd.model import META_SHEET, SheetRead, Table, WorkbookMeta
from syncd.workbook import guard
from syncd.workbook.books import Raw, Reader, too_many_rows
from syncd.workbook.csvfile import CsvCellTooLong, CsvTooBig, read_csv
from syncd.workbook.guard import DEFAULT_LIMITS, Limits, check_file
from syncd.workbook.refusals import display_name, reject
from syncd.workbook.header import build_table, column_letter, detect_header
from syncd.workbook.held import HeldRows
from syncd.workbook.meta import file_mtime, parse_meta_sheet, read_docprops, read_ole_props

#: Sheets syncd writes itself; never taken for the tracker table when choosing automatically.
SYNCD_SHEETS = (META_SHEET, "Conflicts", "Archive", "Duplicates")


def _table(raw: Raw, header_index: int | None = None) -> Table | None:
    if raw.table is not None:
        return raw.table  # cut out already, its header in the first row
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


def _choose(reader: Reader, path, sheet: str | None, extras: tuple[str, ...]) -> tuple[str, Table]:
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
    if _find_sheet(names, META_SHEET) is not None:
        # A copy of a canonical: its tracker is the sheet carrying syncd's hidden id column, whatever
        # sheet people put before it (a "Read me" sheet taken for the tracker would delete every task).
        for name in visible:
            if name.strip().casefold() not in own:
                table = _table(reader.raw(name))
                if table is not None and any(rid is not None for rid in table.row_ids):
                    return name, table
    for name in visible:
        if name.strip().casefold() in own:
            continue
        table = _table(reader.raw(name))
        if table is not None and len(table) > 0:
            return name, table
    first = visible[0] if visible else (names[0] if names else None)
    if first is None:
        raise reject(path, ("no table found: the workbook has no sheets", guard.SAVE_AGAIN))
    table = _table(reader.raw(first))
    if table is None:
        raise _no_table(path, first)
    return first, table


def _read_extras(reader: Reader, chosen: str, extras: tuple[str, ...]) -> tuple[tuple[str, Table], ...]:
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


def _read_meta(reader: Reader, path, fmt: str) -> WorkbookMeta:
    tracker = lineage = generation = None
    found = _find_sheet([s.name for s in reader.sheets], META_SHEET)
    if found is not None:
        try:
            tracker, lineage, generation = parse_meta_sheet(reader.raw(found).rows)
        except CopyRejected:
            pass
    if fmt in ("xlsx", "xlsb", "ods"):
        author, modified = read_docprops(path, fmt)
    elif fmt == "xls":
        author, modified = read_ole_props(path)
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
        raise too_many_rows(path, display_name(path), limits.max_rows + 1, limits) from None
    except CsvCellTooLong as e:
        where = f"cell {column_letter(e.col)}{e.row}" if e.col >= 0 else f"a cell in row {e.row}"
        raise reject(
            path,
            (f"{where} holds more than {limits.max_cell_chars:,} characters, more than Excel allows", "shorten the text in that cell and save it again"),
        ) from None
    name = os.path.splitext(display_name(path))[0]
    raw = Raw(data.rows)
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
    held: HeldRows | None = None,
) -> SheetRead:
    """Read the tracker table from one file (.xlsx/.xlsm/.xltx, .xlsb, .xls, .ods, .csv/.tsv).

    ``sheet`` names the sheet to read (matched exactly, else ignoring case and outer spaces);
    without it, the first visible sheet that is not one of syncd's own and holds a header with at
    least one row under it, else the first visible sheet. Sheets named in ``extras`` are read too
    (header in row 1) into ``SheetRead.extras``; a problem with one of them only leaves it out.
    For CSV the sheet name is the file name without its extension. ``held`` (the rows of the
    generation syncd holds, ``held.py``) only makes reading faster, never changes what is read.

    Raises ``syncd.errors.CopyRejected`` (file = the file's base name) for anything it cannot use,
    and never any other exception.
    """
    try:
        fmt = check_file(path, limits)
        if fmt == "csv":
            return _read_csv_file(path, limits)
        reader = Reader(path, fmt, limits, held)
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
        return tuple(s.name for s in Reader(path, fmt, DEFAULT_LIMITS).sheets)
    except CopyRejected:
        raise
    except Exception:  # noqa: BLE001
        raise reject(path, guard.DAMAGED) from None
