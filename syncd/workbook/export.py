"""Write a plain merged table to a file of its own (``syncd merge BASE OURS THEIRS -o OUT``).

No hidden columns, no meta sheet: just the table, and the conflicts beside it, in the format the
output name asks for. Files are replaced atomically, so an interrupted merge never leaves half a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path

from syncd.errors import SyncdError, UsageError
from syncd.model import Table
from syncd.workbook.atomic import atomic_write, atomic_write_bytes, describe_os_error
from syncd.workbook.write import write_tables_xlsx

MERGED_SHEET = "Merged"
CONFLICTS_SHEET = "Conflicts"
_SURROGATES = re.compile("[\ud800-\udfff]")  # cannot be encoded as UTF-8 at all


def conflicts_path(dest: str | os.PathLike) -> Path:
    """Where the conflicts of a CSV output go: ``out.csv`` → ``out.conflicts.csv``."""
    path = Path(dest)
    if path.suffix:
        return path.with_name(f"{path.stem}.conflicts{path.suffix}")
    return path.with_name(f"{path.name}.conflicts.csv")


def write_table(
    table: Table, dest: str | os.PathLike, *, conflicts: Table | None = None, fmt: str | None = None
) -> None:
    """Write ``table`` to ``dest`` as CSV or .xlsx, chosen by ``fmt`` ("csv"/"xlsx") or else by
    ``dest``'s extension.

    CSV: UTF-8 without BOM, minimal quoting, ``\\n`` line ends, empty for a missing value, dates and
    times in ISO form, anything else as ``str()`` gives it; text is written exactly as it is (a CSV
    cannot protect text like ``=A1`` from being taken for a formula by a spreadsheet program). The
    conflicts go to ``out.conflicts.csv`` when there are any; an old such file is removed otherwise,
    so it never describes an earlier merge.

    xlsx: sheet "Merged" plus sheet "Conflicts" when ``conflicts`` is given; text always stays text.

    Raises ``UsageError`` for any other format and ``SyncdError`` (naming the file, saying what to
    do) when the file cannot be written; an existing ``dest`` is then left as it was.
    """
    name = os.fspath(dest)
    kind = (fmt or Path(name).suffix.lstrip(".")).lower()
    try:
        if kind == "csv":
            atomic_write_bytes(name, csv_bytes(table))
            side = conflicts_path(name)
            if conflicts is not None and len(conflicts):
                name = os.fspath(side)
                atomic_write_bytes(side, csv_bytes(conflicts))
            else:
                side.unlink(missing_ok=True)
        elif kind == "xlsx":
            sheets = [(MERGED_SHEET, table)] + ([(CONFLICTS_SHEET, conflicts)] if conflicts is not None else [])
            with atomic_write(name) as tmp:
                write_tables_xlsx(tmp, sheets)
        else:
            raise UsageError(
                f"cannot write {name}: syncd writes merged tables as .csv or .xlsx — "
                "give the output a name ending in .csv or .xlsx"
            )
    except OSError as exc:
        raise SyncdError(f"could not write {name}: {describe_os_error(exc)}") from exc


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    return _SURROGATES.sub("\ufffd", text)


def csv_bytes(table: Table) -> bytes:
    """The table as CSV bytes (see :func:`write_table` for the format)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_text(c) for c in table.columns])
    writer.writerows([_text(v) for v in row] for row in table.rows)
    return buf.getvalue().encode("utf-8")
