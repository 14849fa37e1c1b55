"""Build realistic mailed copies of a tracker as real .xlsx files, for scenario tests.

Everything here uses openpyxl directly and never syncd's own reader or writer, so a test that
builds a copy here and reads the canonical back with ``read_values`` checks syncd from the outside.

Import from a test as ``from builders import write_copy, ...`` (pyproject puts tests/ on the path).

Times: docProps store UTC. A naive ``datetime`` given as ``modified`` is taken as UTC; an aware one
is converted. openpyxl reads ``modified`` back as a naive UTC datetime.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from copy import copy
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from syncd.model import META_SHEET, ROW_ID_COLUMN

#: How long one LibreOffice conversion may take before the test fails (first start is the slow one).
SOFFICE_TIMEOUT = 120


def write_copy(
    path: str | os.PathLike,
    columns: list[str],
    rows: list[list],
    *,
    sheet: str = "Tasks",
    author: str | None = None,
    modified: dt.datetime | None = None,
    title_line: str | None = None,
    row_ids: list[str | None] | None = None,
    meta: dict | None = None,
) -> Path:
    """Write a workbook the way a person's copy looks and return its path.

    ``rows`` are lists of cell values under ``columns`` (short rows leave the rest empty; ``None``
    is an empty cell). With ``title_line`` the sheet starts with that text in A1, a blank row, and
    the header on row 3; otherwise the header is row 1. The header is bold.

    ``row_ids`` (one per row, ``None`` for a row without one) adds syncd's hidden id column as the
    last column. ``meta`` adds the hidden ``_syncd`` sheet: one row per item, key in A and value
    in B, in the dict's order (e.g. ``{"tracker": "t", "lineage": "L1", "generation": 3}``).

    ``author`` becomes both docProps ``creator`` and ``lastModifiedBy``; without it the file names
    no author at all. ``modified`` becomes docProps ``modified`` (without it, the time of saving).
    """
    if row_ids is not None and len(row_ids) != len(rows):
        raise ValueError(f"{len(row_ids)} row ids for {len(rows)} rows")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    header_row = 1
    if title_line is not None:
        ws.cell(1, 1, title_line).font = Font(bold=True, size=14)
        header_row = 3
    header = list(columns) + ([ROW_ID_COLUMN] if row_ids is not None else [])
    for c, name in enumerate(header, start=1):
        ws.cell(header_row, c, name).font = Font(bold=True)
    for r, values in enumerate(rows, start=header_row + 1):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
        if row_ids is not None:
            ws.cell(r, len(header), row_ids[r - header_row - 1])
    if row_ids is not None:
        ws.column_dimensions[get_column_letter(len(header))].hidden = True
    if meta is not None:
        _add_meta_sheet(wb, meta)
    wb.properties.creator = author
    wb.properties.lastModifiedBy = author
    return _save(wb, Path(path), modified)


def copy_from_canonical(
    canonical_path: str | os.PathLike,
    dest_path: str | os.PathLike,
    *,
    edit: Callable[[Worksheet], Any] | None = None,
    author: str | None = None,
    modified: dt.datetime | None = None,
) -> Path:
    """Open the canonical with openpyxl, let ``edit(ws)`` change its first sheet as a person would,
    and save it as ``dest_path``: what a person's copy looks like when a script saved it.

    Everything else rides along untouched: the hidden ``_syncd`` sheet, the hidden id column, the
    other sheets. ``author`` becomes docProps ``lastModifiedBy`` (``creator`` stays as it was);
    ``modified`` becomes docProps ``modified`` (without it, the time of saving). The helpers
    ``set_value``, ``delete_row``, ``add_row``, ``sort_rows`` and ``rename_column`` below make
    the usual edits inside ``edit``.
    """
    wb = openpyxl.load_workbook(canonical_path)
    if edit is not None:
        edit(wb.worksheets[0])
    if author is not None:
        wb.properties.lastModifiedBy = author
    return _save(wb, Path(dest_path), modified)


def read_values(path: str | os.PathLike, sheet: str = "Tasks") -> list[dict]:
    """The sheet's rows as dicts keyed by header, without syncd's hidden id column.

    The header is the first row with two or more filled cells (so a title line above it is
    skipped). Rows with no visible value are left out. Values are normalised the way syncd's
    model holds them: a whole-number float is an ``int``, a midnight datetime is a ``date``.
    """
    ws = _open_sheet(path, sheet)
    header_row, header = _header(ws)
    keep = [i for i, name in enumerate(header) if name is not None and name != ROW_ID_COLUMN]
    out = []
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        values = [_normalise(row[i]) if i < len(row) else None for i in keep]
        if any(v is not None and v != "" for v in values):
            out.append({str(header[i]): v for i, v in zip(keep, values)})
    return out


def read_row_ids(path: str | os.PathLike, sheet: str = "Tasks") -> list[str | None]:
    """The hidden id column's value for each row ``read_values`` returns, in the same order."""
    ws = _open_sheet(path, sheet)
    header_row, header = _header(ws)
    if ROW_ID_COLUMN not in header:
        raise AssertionError(f"{Path(path).name}: sheet {sheet!r} has no {ROW_ID_COLUMN!r} column")
    id_at = header.index(ROW_ID_COLUMN)
    visible = [i for i, name in enumerate(header) if name is not None and i != id_at]
    ids = []
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if any(i < len(row) and row[i] is not None and row[i] != "" for i in visible):
            ids.append(row[id_at] if id_at < len(row) else None)
    return ids


def read_meta(path: str | os.PathLike) -> dict:
    """The hidden ``_syncd`` sheet's key/value rows as a dict (``{}`` when there is no such sheet)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        if META_SHEET not in wb.sheetnames:
            return {}
        return {row[0]: _normalise(row[1]) if len(row) > 1 else None
                for row in wb[META_SHEET].iter_rows(values_only=True) if row and row[0] is not None}
    finally:
        wb.close()


def resave_with_libreoffice(src: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Open ``src`` in LibreOffice and save it as .xlsx at ``dest``, as a person using LibreOffice
    would. Skips the calling test when LibreOffice is not installed; fails it when the conversion
    does not finish within ``SOFFICE_TIMEOUT`` seconds or produces no file.

    Each call uses a private LibreOffice profile, so it never touches a person's settings and
    cannot collide with another LibreOffice that is running.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
    src, dest = Path(src).resolve(), Path(dest)
    with tempfile.TemporaryDirectory(prefix="syncd-lo-") as tmp:
        profile, outdir = Path(tmp) / "profile", Path(tmp) / "out"
        outdir.mkdir()
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(src)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail(f"LibreOffice did not convert {src.name} within {SOFFICE_TIMEOUT} s")
        produced = outdir / (src.stem + ".xlsx")
        if not produced.exists():
            pytest.fail(f"LibreOffice did not convert {src.name} (exit {done.returncode}):\n"
                        f"{done.stdout}\n{done.stderr}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), dest)
    return dest


# ---- edits a person makes, for use inside copy_from_canonical(edit=...) ----

def set_value(ws: Worksheet, key: Any, column: str, value: Any, *, key_column: str = "ID") -> None:
    """Type ``value`` into ``column`` of the row whose ``key_column`` is ``key``."""
    _, header = _header(ws)
    # openpyxl's ws.cell(r, c, None) leaves the old value: assign, so None clears the cell.
    ws.cell(_find_row(ws, key, key_column), _col(header, column)).value = value


def delete_row(ws: Worksheet, key: Any, *, key_column: str = "ID") -> None:
    """Delete the whole row whose ``key_column`` is ``key`` (rows below move up, as in Excel)."""
    ws.delete_rows(_find_row(ws, key, key_column))


def add_row(ws: Worksheet, values: dict[str, Any]) -> None:
    """Type a new row under the last one, by column name; its id cell stays empty, as a
    person's new row would."""
    header_row, header = _header(ws)
    r = _last_row(ws, header_row) + 1
    for name, value in values.items():
        ws.cell(r, _col(header, name)).value = value


def sort_rows(ws: Worksheet, column: str, *, reverse: bool = False) -> None:
    """Sort the data rows by ``column`` the way Excel's sort does: whole rows move with their
    formatting, the hidden id column with them, and empty cells go last."""
    header_row, header = _header(ws)
    width, last = len(header), _last_row(ws, header_row)
    at = _col(header, column) - 1
    rows = [[(ws.cell(r, c).value, copy(ws.cell(r, c)._style)) for c in range(1, width + 1)]
            for r in range(header_row + 1, last + 1)]
    filled = sorted((r for r in rows if r[at][0] is not None), key=lambda r: _sort_key(r[at][0]),
                    reverse=reverse)
    rows = filled + [r for r in rows if r[at][0] is None]
    for r, cells in enumerate(rows, start=header_row + 1):
        for c, (value, style) in enumerate(cells, start=1):
            cell = ws.cell(r, c)
            cell._style = style
            cell.value = value  # assigned, so an empty cell moves too


def rename_column(ws: Worksheet, old: str, new: str) -> None:
    """Retype a header cell."""
    header_row, header = _header(ws)
    ws.cell(header_row, _col(header, old), new)


# ---- internals ----

def _add_meta_sheet(wb: openpyxl.Workbook, meta: dict) -> None:
    ws = wb.create_sheet(META_SHEET)
    for key, value in meta.items():
        ws.append([key, value])
    ws.sheet_state = "hidden"


def _save(wb: openpyxl.Workbook, path: Path, modified: dt.datetime | None) -> Path:
    """Save; then, because openpyxl stamps docProps ``modified`` with the current time on every
    save, rewrite core.xml with the wanted time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if modified is not None:
        if modified.tzinfo is not None:
            modified = modified.astimezone(dt.timezone.utc).replace(tzinfo=None)
        wb.properties.modified = modified
        data = _replace_member(data, "docProps/core.xml", tostring(wb.properties.to_tree()))
    path.write_bytes(data)
    return path


def _replace_member(archive: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == name else src.read(info))
    return out.getvalue()


def _open_sheet(path: str | os.PathLike, sheet: str) -> Worksheet:
    wb = openpyxl.load_workbook(path)
    if sheet not in wb.sheetnames:
        raise AssertionError(f"{Path(path).name} has no sheet {sheet!r}; it has {wb.sheetnames}")
    return wb[sheet]


def _header(ws: Worksheet) -> tuple[int, list]:
    """(row number, header values) of the first row with two or more filled cells."""
    first_filled = None
    for r, row in enumerate(ws.iter_rows(max_row=min(ws.max_row, 50), values_only=True), start=1):
        filled = sum(v is not None and v != "" for v in row)
        if filled >= 2:
            return r, _trim(list(row))
        if filled and first_filled is None:
            first_filled = (r, _trim(list(row)))
    if first_filled is None:
        raise AssertionError(f"sheet {ws.title!r} has no header row")
    return first_filled


def _trim(row: list) -> list:
    while row and (row[-1] is None or row[-1] == ""):
        row.pop()
    return row


def _col(header: list, name: str) -> int:
    if name not in header:
        raise AssertionError(f"no column {name!r}; the header is {header}")
    return header.index(name) + 1


def _find_row(ws: Worksheet, key: Any, key_column: str) -> int:
    header_row, header = _header(ws)
    c = _col(header, key_column)
    for r in range(header_row + 1, ws.max_row + 1):
        if ws.cell(r, c).value == key:
            return r
    raise AssertionError(f"no row with {key_column} = {key!r}")


def _last_row(ws: Worksheet, header_row: int) -> int:
    """The last row with any value (openpyxl's max_row counts rows that were merely styled)."""
    for r in range(ws.max_row, header_row, -1):
        if any(cell.value is not None for cell in ws[r]):
            return r
    return header_row


def _sort_key(value: Any) -> Any:
    # openpyxl reads dates back as datetimes, while a value just typed in may be a date
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(0))
    return value


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value
