"""What syncd sees in one file, before anyone configures anything: ``inspect_file``.

It goes through exactly the reader a sync uses (``read_sheet``, guards included), so "ok" here means
a sync would take the file and "refused" comes with the very reason a sync would print. The JSON form
(``Inspection.to_json``) is a fixed contract that outside scripts rely on: keys are only ever added.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from typing import Any

from syncd.errors import CopyRejected
from syncd.model import META_SHEET
from syncd.workbook.guard import check_file
from syncd.workbook.read import read_sheet

#: Names people know the formats by, for the one-line summary.
FORMAT_NAMES = {
    "xlsx": "Excel workbook (.xlsx)",
    "xlsm": "Excel macro-enabled workbook (.xlsm; macros are never run or copied)",
    "xlsb": "Excel binary workbook (.xlsb)",
    "xls": "Excel 97-2003 workbook (.xls)",
    "ods": "OpenDocument spreadsheet (.ods)",
    "csv": "delimited text (.csv/.tsv)",
}


@dataclass(frozen=True)
class Inspection:
    """The verdict on one file. ``file`` is the path as the caller gave it.

    When ``ok``: ``sheet`` is the sheet a sync would read, ``header`` its column names (syncd's hidden
    id column left out), ``header_row`` the spreadsheet row they are on, ``rows``/``columns`` the size
    of the table under it, ``sheets`` every sheet in the file; ``tracker``/``generation`` are set when
    the file is a copy of a canonical syncd wrote. When refused: ``reason`` says why and ``advice``
    what to do, in a person's words; the table fields are empty.
    """

    file: str
    ok: bool
    reason: str | None = None
    advice: str | None = None
    format: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    header_row: int | None = None
    rows: int | None = None
    columns: int | None = None
    tracker: str | None = None
    generation: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Every key is always present (``None``/``[]`` when it does not apply), so scripts need
        no special cases."""
        return {
            "file": self.file,
            "ok": self.ok,
            "reason": self.reason,
            "advice": self.advice,
            "format": self.format,
            "sheet": self.sheet,
            "sheets": list(self.sheets),
            "header": list(self.header),
            "header_row": self.header_row,
            "rows": self.rows,
            "columns": self.columns,
            "tracker": self.tracker,
            "generation": self.generation,
        }


def _format(path: str | os.PathLike) -> str:
    """The file's format, by content. Called only after ``read_sheet`` accepted the file, so the
    guard's checks have passed once already and running them again is bounded."""
    fmt = check_file(path)
    if fmt == "xlsx":
        # .xlsm is an .xlsx whose package declares macros; people want to know, since Excel warns.
        with zipfile.ZipFile(path) as zf:
            try:
                with zf.open("[Content_Types].xml") as f:
                    if b"macroenabled" in f.read(1 << 20).lower():
                        return "xlsm"
            except KeyError:
                pass
    return fmt


def inspect_file(path: str | os.PathLike, sheet: str | None = None) -> Inspection:
    """Read ``path`` the way a sync would (``sheet`` as the tracker's ``sheet`` setting) and say
    what was found. Never raises for a bad file: a file a sync would refuse comes back with
    ``ok=False`` and the reason."""
    shown = os.fspath(path)
    try:
        got = read_sheet(path, sheet)
        fmt = _format(path)
    except CopyRejected as exc:
        return Inspection(file=shown, ok=False, reason=exc.reason, advice=exc.advice or None)
    table = got.table
    return Inspection(
        file=shown,
        ok=True,
        format=fmt,
        sheet=got.sheet,
        sheets=got.sheets,
        header=table.columns,
        header_row=table.header_row,
        rows=len(table),
        columns=table.width,
        tracker=got.meta.tracker,
        generation=got.meta.generation,
    )


def visible_sheets(inspection: Inspection) -> tuple[str, ...]:
    """The file's sheets other than syncd's hidden bookkeeping sheet, for messages."""
    return tuple(s for s in inspection.sheets if s != META_SHEET)
