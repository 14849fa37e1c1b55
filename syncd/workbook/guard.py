"""Decide what a file is, and refuse hostile or unusable ones, before any reader parses it.

Every input is treated as hostile: the kind of file is told from its first bytes (never its name),
a zip is judged from its central directory and a streaming pass over the parts readers will parse
(sizes, ratio, duplicate names, DTDs, the reach of each sheet's cells), an OLE container from its
allocation tables. Everything refused is a ``CopyRejected`` with a reason and advice a project
manager can act on.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET

from syncd.errors import CopyRejected
from syncd.workbook import cfb
from syncd.workbook.deflate import ERRORS as deflate_errors, fast_entry
from syncd.workbook.refusals import (
    DAMAGED, FORMATS_WE_READ, NOT_A_SPREADSHEET, PASSWORD, PUT_TRACKER, SAVE_AGAIN, SEND_AGAIN, TRUNCATED,
    UNSAFE_XML, ZIP_BOMB, reject,
)
from syncd.workbook.extent import (EXCEL_LAST_ROW, Extent, OdsScan, XlsxSheetScan, xlsb_sheet_extent,
                                   xlsx_sheet_extent)

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What syncd agrees to read. The defaults are far above any real task tracker and far below
    what would exhaust a 2-core, few-GiB machine; each is checked before the memory is spent."""

    #: Trackers are kilobytes to a few megabytes; 200 MiB leaves room for embedded pictures.
    max_file_bytes: int = 200 * MiB
    #: A workbook has tens of parts; thousands means a crafted archive.
    max_zip_entries: int = 10_000
    #: One sheet of 500,000 rows × 20 columns of XML is about 300 MiB.
    max_entry_bytes: int = 384 * MiB
    max_total_uncompressed: int = 768 * MiB
    #: Real sheet XML compresses 5-70×; 200× only happens with padding (a zip bomb). Checked only
    #: for parts over 1 MiB, since tiny parts of repeated boilerplate legitimately compress more.
    max_ratio: int = 200
    ratio_min_bytes: int = 1 * MiB
    #: Half a million rows is 10× a very large tracker and still reads in a few seconds.
    max_rows: int = 500_000
    #: Columns of the table read (after empty ones are dropped); Excel's own limit is 16,384.
    max_columns: int = 1_000
    #: The reader lays a sheet out as a dense grid (~40 bytes a cell): 20 million cells ≈ 800 MB.
    max_cells: int = 20_000_000
    #: Excel's own limit for one cell.
    max_cell_chars: int = 32_767


DEFAULT_LIMITS = Limits()

OOXML_SPREADSHEET_TYPES = (
    "spreadsheetml.sheet.main",
    "spreadsheetml.template.main",
    "ms-excel.sheet.macroenabled.main",
    "ms-excel.template.macroenabled.main",
    "ms-excel.addin.macroenabled.main",
)
_OTHER_OFFICE = (
    ("wordprocessingml", "a Word document, not a spreadsheet"),
    ("presentationml", "a PowerPoint presentation, not a spreadsheet"),
    ("opendocument.text", "a text document, not a spreadsheet"),
    ("opendocument.presentation", "a presentation, not a spreadsheet"),
)
_SHEET_ROOTS = {b"worksheet", b"macrosheet", b"dialogsheet"}
_ROOT_NAME = re.compile(rb"<(?:[\w.-]+:)?([\w.-]+)")


def check_file(path: str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> str:
    """What kind of spreadsheet ``path`` is, judged by its bytes: ``"xlsx"`` (also .xlsm/.xltx),
    ``"xlsb"``, ``"xls"`` (BIFF2-8, in an OLE container or bare), ``"ods"`` or ``"csv"`` (any
    delimited text). Raises ``CopyRejected`` for anything else and for anything hostile, damaged or
    encrypted, in bounded time and memory."""
    try:
        size = os.stat(path).st_size
        if not os.path.isfile(path):
            raise reject(path, ("not a file", "put the spreadsheet itself in the folder"))
        if size == 0:
            raise reject(path, ("the file is empty", SEND_AGAIN))
        if size > limits.max_file_bytes:
            raise reject(
                path,
                (
                    f"too large ({size / MiB:,.0f} MB; syncd reads spreadsheets up to {limits.max_file_bytes / MiB:,.0f} MB)",
                    "remove pictures or old rows and save it again",
                ),
            )
        base = os.path.basename(os.fspath(path))
        if (base.startswith("~$") or base.startswith(".~lock.")) and size < 4096:
            raise reject(path, ("an Office lock file (Excel or LibreOffice keeps it while someone has the workbook "
                                "open), not a copy", "nothing to do: syncd ignores lock files in its folders"))
        with open(path, "rb") as f:
            head = f.read(65536)
        if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
            return _check_zip(path, limits)
        if head.startswith(cfb.MAGIC):
            return _check_ole(path)
        if _is_bare_biff(head):
            return "xls"
        return _check_other(path, head)
    except CopyRejected:
        raise
    except MemoryError:
        raise reject(path, ("too large to open", "remove pictures or old rows and save it again")) from None
    except OSError as e:
        raise reject(path, (f"could not be opened ({e.strerror or 'read error'})", "check the file is still there and readable")) from None
    except Exception:  # noqa: BLE001 - a hostile file must never surface a library error
        raise reject(path, DAMAGED) from None


# --- zip-based formats --------------------------------------------------------------------------


def _check_zip(path, limits: Limits) -> str:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise reject(path, TRUNCATED) from None
    with zf:
        infos = zf.infolist()
        if not infos:
            raise reject(path, ("not a spreadsheet (an empty zip archive)", SEND_AGAIN))
        if len(infos) > limits.max_zip_entries:
            raise reject(path, ZIP_BOMB)
        names: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            key = info.filename.replace("\\", "/").lower()
            if key in names:
                # Two parts with one name: each reader may pick a different one.
                raise reject(path, ("damaged (it holds two different copies of the same part)", SAVE_AGAIN))
            names[key] = info
            total += info.file_size
            if info.file_size > limits.max_entry_bytes or total > limits.max_total_uncompressed:
                raise reject(path, ZIP_BOMB)
            if info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise reject(path, ZIP_BOMB)
        fmt = _zip_kind(path, zf, names)
        _scan_parts(path, zf, names, fmt, limits)
        return fmt


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int = MiB) -> bytes:
    with zf.open(info) as f:
        return f.read(cap)


def _zip_kind(path, zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> str:
    if "mimetype" in names:
        mime = _read_small(zf, names["mimetype"], 200).decode("ascii", "replace").strip().lower()
        if mime == "application/vnd.oasis.opendocument.spreadsheet":
            return _check_ods(path, zf, names)
        for marker, what in _OTHER_OFFICE:
            if marker in mime:
                raise reject(path, (what, PUT_TRACKER))
    if "[content_types].xml" in names:
        types = _read_small(zf, names["[content_types].xml"]).decode("utf-8", "replace").lower()
        if "<!doctype" in types or "<!entity" in types:
            raise reject(path, UNSAFE_XML)
        if "ms-excel.sheet.binary.macroenabled.main" in types:
            return "xlsb"
        if any(t in types for t in OOXML_SPREADSHEET_TYPES):
            return "xlsx"
        for marker, what in _OTHER_OFFICE:
            if marker in types:
                raise reject(path, (what, PUT_TRACKER))
    if "meta-inf/manifest.xml" in names and "content.xml" in names:
        manifest = _read_small(zf, names["meta-inf/manifest.xml"]).lower()
        if b"opendocument.spreadsheet" in manifest:
            return _check_ods(path, zf, names)
    if "index/document.iwa" in names or any(n.startswith("index/") and n.endswith(".iwa") for n in names):
        raise reject(path, ("an Apple Numbers file", "in Numbers choose File ▸ Export To ▸ Excel and use that copy"))
    if "word/document.xml" in names:
        raise reject(path, ("a Word document, not a spreadsheet", PUT_TRACKER))
    if any(n.endswith("workbook.xml") for n in names):
        return "xlsx"
    if any(n.endswith((".xlsx", ".xlsm", ".xls", ".ods", ".csv")) for n in names):
        raise reject(path, ("a zip archive, not a spreadsheet", "unpack it and use the spreadsheet inside"))
    raise reject(path, NOT_A_SPREADSHEET)


def _check_ods(path, zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> str:
    manifest = names.get("meta-inf/manifest.xml")
    if manifest is not None and b"encryption-data" in _read_small(zf, manifest):
        raise reject(path, PASSWORD)
    if "content.xml" not in names:
        raise reject(path, DAMAGED)
    return "ods"


def _scan_parts(path, zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], fmt: str, limits: Limits) -> None:
    """Inflate every part a reader will parse, streaming: proves each inflates to its declared
    size with a good checksum, that no XML part has a DTD or text before its root, and that no
    sheet reaches further than the limits allow. A worksheet the quick scan cannot measure, and an
    .ods's content.xml, are held whole (within ``max_entry_bytes``) and gone through once more."""
    for key, info in names.items():
        if info.is_dir():
            continue
        is_xml = key.endswith((".xml", ".rels", ".vml"))
        is_sheet_bin = fmt == "xlsb" and key.endswith(".bin") and "sheet" in key
        if not (is_xml or is_sheet_bin):
            continue
        scan: XlsxSheetScan | OdsScan | None = None
        xlsb_parts: list[bytes] = []
        try:
            with zf.open(info) as f:
                fast_entry(f)
                first = True
                while True:
                    chunk = f.read(MiB)
                    if not chunk:
                        break
                    if first and is_xml:
                        first = False
                        root = _check_prolog(path, chunk)
                        if fmt == "ods" and key == "content.xml":
                            scan = OdsScan()
                        elif root in _SHEET_ROOTS and fmt == "xlsx" and not chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
                            scan = XlsxSheetScan()
                    if scan is not None:
                        scan.feed(chunk)
                    elif is_sheet_bin:
                        xlsb_parts.append(chunk)
        except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError,
                *deflate_errors):
            raise reject(path, DAMAGED) from None
        extent = scan.finish() if scan is not None else None
        if isinstance(scan, XlsxSheetScan) and (extent is None or _extent_problem(extent, limits)):
            # A sheet written unusually, or one the quick scan may over-estimate: go through its
            # tags as the reader will. The part inflated to its declared size above, within limits.
            with zf.open(info) as f:
                extent = xlsx_sheet_extent(fast_entry(f).read())
        if is_sheet_bin:
            extent = xlsb_sheet_extent(b"".join(xlsb_parts))
        if extent is not None:
            problem = _extent_problem(extent, limits)
            if problem:
                raise reject(path, problem)


def _check_prolog(path, chunk: bytes) -> bytes:
    """Reject a DTD (entity bombs, external fetches) or text before the root; return the root
    element's local name."""
    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = chunk[:65536].decode("utf-16", "replace").encode("utf-8", "replace")
    else:
        text = chunk[:65536].removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while True:
        while pos < len(text) and text[pos : pos + 1].isspace():
            pos += 1
        if pos >= len(text):
            return b""
        if text.startswith(b"<?", pos):
            end, close = text.find(b"?>", pos), 2
        elif text.startswith(b"<!--", pos):
            end, close = text.find(b"-->", pos), 3
        elif text.startswith(b"<!", pos):
            raise reject(path, UNSAFE_XML)
        elif text.startswith(b"<", pos):
            m = _ROOT_NAME.match(text, pos)
            return m.group(1).lower() if m else b""
        else:
            raise reject(path, DAMAGED)
        if end < 0:
            # A prolog over 64 KiB long is not something any spreadsheet program writes.
            raise reject(path, UNSAFE_XML)
        pos = end + close


def _extent_problem(extent: Extent, limits: Limits) -> tuple[str, str] | None:
    declared = extent.declared_rows if extent.declared_rows != EXCEL_LAST_ROW else 0
    rows = max(extent.rows, declared)
    if rows > limits.max_rows:
        return (
                f"too big: a sheet in it reaches down to row {rows:,}, and syncd reads up to {limits.max_rows:,} rows",
                "delete the unused rows at the bottom of the sheet and save it again",
            )
    if extent.rows * extent.cols > limits.max_cells:
        return (
                f"too big: a sheet in it spans {extent.rows:,} rows by {extent.cols:,} columns",
                "delete stray cells far to the right of or below the table and save it again",
            )
    return None


# --- OLE (.xls, encrypted OOXML) ------------------------------------------------------------------


def _check_ole(path) -> str:
    with open(path, "rb") as f:
        data = f.read()
    try:
        compound = cfb.Compound(data)
    except cfb.CfbDamaged:
        raise reject(path, DAMAGED) from None
    names = compound.stream_names()
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise reject(path, PASSWORD)
    if "worddocument" in names:
        raise reject(path, ("a Word document, not a spreadsheet", PUT_TRACKER))
    if "powerpoint document" in names:
        raise reject(path, ("a PowerPoint presentation, not a spreadsheet", PUT_TRACKER))
    try:
        stream = compound.read_stream("Workbook", 65536) or compound.read_stream("Book", 65536)
    except cfb.CfbDamaged:
        raise reject(path, DAMAGED) from None
    if not stream:
        raise reject(path, NOT_A_SPREADSHEET)
    if cfb.biff_is_encrypted(stream):
        raise reject(path, PASSWORD)
    return "xls"


def _is_bare_biff(head: bytes) -> bool:
    # Excel 2-4 wrote the record stream as the whole file: BOF record 0x0009/0x0209/0x0409.
    return len(head) >= 8 and head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and head[2] in (4, 6, 8, 16) and head[3] == 0


# --- everything else ------------------------------------------------------------------------------

_BINARY_MAGICS = (
    (b"%PDF", ("a PDF document, not a spreadsheet", "ask for the spreadsheet itself")),
    (b"\x1f\x8b", ("a compressed (gzip) file, not a spreadsheet", FORMATS_WE_READ)),
    (b"Rar!", ("a compressed (RAR) archive, not a spreadsheet", "unpack it and use the spreadsheet inside")),
    (b"7z\xbc\xaf", ("a compressed (7-Zip) archive, not a spreadsheet", "unpack it and use the spreadsheet inside")),
)


def _check_other(path, head: bytes) -> str:
    for magic, why in _BINARY_MAGICS:
        if head.startswith(magic):
            raise reject(path, why)
    from syncd.workbook.csvfile import decode_sample

    text = decode_sample(head)
    if text is None:
        raise reject(path, NOT_A_SPREADSHEET)
    start = text.lstrip()[:4096].lower()
    if start.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text.lower():
            raise reject(path, ("an Excel 2003 XML spreadsheet, a format syncd cannot read", "open it in Excel and save it as .xlsx"))
        if "opendocument" in text.lower():
            raise reject(
                path,
                ("a flat OpenDocument spreadsheet (.fods), a format syncd cannot read", "open it in LibreOffice and save it as .ods or .xlsx"),
            )
        if "<html" in start or start.startswith("<!doctype html") or "<table" in start:
            raise reject(
                path,
                ("a web page saved with a spreadsheet name, not a spreadsheet", "open it in Excel and save it as .xlsx"),
            )
        raise reject(path, ("an XML or web file, not a spreadsheet", "open it in Excel and save it as .xlsx"))
    if os.fspath(path).lower().endswith(_BINARY_SHEET_EXTENSIONS) and not _looks_delimited(text):
        # Web apps do send tab-separated text named .xls, and that is read; a lone line of text
        # under a spreadsheet name is a mail server's placeholder or a truncated download.
        first = text.strip().splitlines()[0][:80] if text.strip() else ""
        raise reject(path, (f'not a spreadsheet: it holds only the text "{first}"', SEND_AGAIN))
    return "csv"


_BINARY_SHEET_EXTENSIONS = (".xls", ".xlsx", ".xlsm", ".xlsb", ".xltx", ".xltm", ".xlt", ".ods", ".et")


def _looks_delimited(text: str) -> bool:
    import csv

    lines = [line for line in text.splitlines() if line.strip()][:20]
    if len(lines) < 2:
        return False
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        return False
    return all(delimiter in line for line in lines[:2])


def parse_small_xml(data: bytes):
    """Parse a small XML part with entity expansion and external references forbidden."""
    return SafeET.fromstring(data, forbid_dtd=True)
