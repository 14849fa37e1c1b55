"""What syncd says when it refuses a file: the reason and the advice, in a project manager's words.

Apart from ``guard`` (which decides what a file is) so that the readers, which refuse damaged
files too, say it the same way: they take ``reject`` from here, and the reasons from either
(``guard`` imports them all).
"""

from __future__ import annotations

import os

from syncd.errors import CopyRejected

SEND_AGAIN = "ask the sender to mail it again"
SAVE_AGAIN = "open it in Excel or LibreOffice and save it again; if it will not open, ask the sender to mail it again"
FORMATS_WE_READ = "syncd reads Excel (.xlsx, .xlsm, .xls), LibreOffice (.ods) and .csv files"

PASSWORD = ("password protected", "open it, remove the password (File ▸ Info ▸ Protect Workbook) and save an unprotected copy")
DAMAGED = ("damaged (its contents cannot be read)", SAVE_AGAIN)
TRUNCATED = ("damaged or incomplete (the file ends too early)", SEND_AGAIN)
NOT_A_SPREADSHEET = ("not a spreadsheet", FORMATS_WE_READ)
UNSAFE_XML = (
    "damaged or tampered with (it contains XML that spreadsheet programs never write)",
    "ask the sender to save it again from Excel or LibreOffice",
)
ZIP_BOMB = (
    "not opened: it would unpack to far more data than any spreadsheet holds (a 'zip bomb')",
    "if you did not expect this file, delete it; otherwise ask the sender to save it again from Excel",
)
PUT_TRACKER = "put the tracker workbook (.xlsx) in the folder instead"


def display_name(path: str | os.PathLike) -> str:
    """The name a person knows the file by."""
    return os.path.basename(os.fspath(path))


def reject(path: str | os.PathLike, reason_advice: tuple[str, str]) -> CopyRejected:
    return CopyRejected(display_name(path), *reason_advice)
