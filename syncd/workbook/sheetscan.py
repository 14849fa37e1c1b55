"""The byte-level scans of a worksheet's XML that ``template`` reads the previous canonical with.

Regular expressions and searches that run in C over ``<sheetData>``: where it starts and ends,
which cells carry which format, the row ids, the last row holding a value. They know the shapes of
XML that Excel, LibreOffice, Google Sheets and openpyxl write; ``template`` checks a sheet is in
such a shape before trusting them, and loads it with openpyxl otherwise.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Callable, Sequence

import defusedxml.ElementTree as SafeET
from openpyxl.utils import get_column_letter

NS_TAG = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]")
CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]{1,6})")?+([^>]*?)(/?)>')
LATE_STYLE = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"(?: s="[0-9]{1,6}")?+[^>]*?\ss=')
FIRST_ROW = re.compile(rb'\s*<row r="1"[^>]*?(?:/>|>.*?</row>)', re.S)
ROW = re.compile(rb'<row r="([0-9]{1,7})"([^>]*)>')
ROW_WITH_ATTRS = re.compile(rb'<row r="[0-9]{1,7}" ')
ATTR = re.compile(rb'([\w:.-]+)="([^"]*)"')


def rows_span(xml: bytes) -> tuple[int, int] | None:
    """Where the rows inside ``<sheetData>`` start and end; ``None`` for an empty sheetData."""
    start = xml.find(b"<sheetData")
    close = xml.find(b"</sheetData>", start)
    if start < 0 or close < 0:
        return None
    return xml.index(b">", start) + 1, close


def header_only(xml: bytes, start: int, end: int) -> bytes:
    """The sheet XML with only its first row (when that is row 1) left in ``<sheetData>``."""
    first = FIRST_ROW.match(xml, start, end)
    return xml[:start] + (first.group() if first else b"") + xml[end:]


def sheet_part(zin: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip path of the worksheet called ``sheet`` (case-insensitive)."""
    book = SafeET.fromstring(zin.read("xl/workbook.xml"))
    rels = SafeET.fromstring(zin.read("xl/_rels/workbook.xml.rels"))
    rid = None
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet" and (el.get("name") or "").casefold() == sheet.casefold():
            rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rid and rid), None)
    if not target:
        return None
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return path if path in zin.NameToInfo else None


def shared_strings(zin: zipfile.ZipFile) -> Callable[[int], str]:
    """Look up a shared string by index (only files saved by Excel/LibreOffice have them)."""
    name = next((n for n in zin.NameToInfo if n.lower() == "xl/sharedstrings.xml"), None)
    # Split, not a lazy regex: a crafted file without closing tags must not cost quadratic time.
    items = [part[part.find(b"<si") :] for part in zin.read(name).split(b"</si>")[:-1]] if name else []

    def lookup(index: int) -> str:
        return inner_text(items[index]) if 0 <= index < len(items) else ""

    return lookup


def inner_text(xml: bytes) -> str:
    """The text of the ``<t>`` elements in ``xml`` (an inline or shared string), joined."""
    out = []
    for part in xml.split(b"</t>")[:-1]:
        start = max(part.rfind(b"<t>"), part.rfind(b"<t "))
        if start >= 0:
            out.append(part[part.index(b">", start) + 1 :])
    return html.unescape(b"".join(out).decode("utf-8", "replace"))


#: (letters, format) of a cell; a cell of row 1 gives no letters (its group takes no part).
HEAD_CELL = re.compile(rb'<c r="(?:[A-Z]{1,3}1"|([A-Z]{1,3})[0-9]{1,7}")(?: s="([0-9]{1,6})")?+')
STYLED = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})" s="([0-9]{1,6})"')
ODD_REF = re.compile(rb'<c r="(?![A-Z]{1,3}[0-9]{1,7}")')


def styled_cells(columns: set[bytes]) -> re.Pattern:
    """A pattern like ``STYLED`` for the cells of ``columns`` only."""
    alternatives = b"|".join(re.escape(x) for x in sorted(columns, key=lambda x: (-len(x), x)))
    return re.compile(rb'<c r="(' + alternatives + rb')([0-9]{1,7})" s="([0-9]{1,6})"')


def outside_cells(inside: list[bytes]) -> re.Pattern:
    """A pattern like ``CELL`` for the cells of columns other than ``inside``."""
    if not inside:
        return CELL
    singles = b"".join(x for x in inside if len(x) == 1)
    known = [re.escape(x) for x in inside if len(x) > 1] + ([b"[" + singles + b"]"] if singles else [])
    return re.compile(rb'<c r="(?!(?:' + b"|".join(known) + rb')[0-9])' + CELL.pattern[len(b'<c r="'):])


def has_prefixed_cells(xml: bytes, start: int, end: int) -> bool:
    """Whether ``<x:c`` or ``<x:row`` elements appear (``NS_TAG``), looking only where ``:c`` or
    ``:row`` occurs: text holds those rarely, tags of a usual sheet never."""
    for needle in (b":c", b":row"):
        at = xml.find(needle, start, end)
        while at >= 0:
            lt = xml.rfind(b"<", start, at)
            if lt >= 0 and NS_TAG.match(xml, lt, end):
                return True
            at = xml.find(needle, at + 1, end)
    return False


def last_valued_row(xml: bytes, start: int, end: int) -> int:
    """The row of the last cell holding something, searching back from the end."""
    at = end
    while (at := xml.rfind(b"<c ", start, at)) >= 0:
        m = CELL.match(xml, at, end)
        if m is not None and not m.group(5):
            return int(m.group(2))
    return 0


def scan_ids(xml: bytes, start: int, end: int, id_col: int, strings: Callable[[int], str]) -> dict[int, str]:
    """Row -> id text of the id column's cells in ``xml[start:end]``."""
    letters = get_column_letter(id_col).encode()
    # The form syncd writes, taken in bulk; any other form of cell goes the careful way below.
    plain = rb'(?: s="[0-9]{1,6}")? t="inlineStr"><is><t>([^<&]{0,284})</t></is></c>'
    ids = {}
    for row, raw in re.compile(rb'<c r="' + letters + rb'([0-9]{1,7})"' + plain).findall(xml, start, end):
        text = raw.decode("utf-8", "replace").strip()
        if text:
            ids[int(row)] = text
    pattern = re.compile(rb'<c r="' + letters + rb'([0-9]{1,7})"(?!' + plain.replace(b"([^<&]", b"(?:[^<&]")
                         + rb')([^>]*?)(?:/>|>(.{0,300}?)</c>)', re.S)
    for row, attrs, inner in pattern.findall(xml, start, end):
        if inner.startswith(b"<is><t>") and inner.endswith(b"</t></is>") and b"<" not in inner[7:-9]:
            text = html.unescape(inner[7:-9].decode("utf-8", "replace"))  # what syncd itself writes
        elif b't="s"' in attrs:
            value = re.search(rb"<v>\s*([0-9]{1,9})\s*</v>", inner)
            text = strings(int(value.group(1))) if value else ""
        elif b't="inlineStr"' in attrs:
            text = inner_text(inner)
        else:
            value = re.search(rb"<v>(.*?)</v>", inner, re.S)
            text = html.unescape(value.group(1).decode("utf-8", "replace")) if value else ""
        if text.strip():
            ids[int(row)] = text.strip()
    return ids


def ids_as_written(xml: bytes, start: int, end: int, id_col: int, strings: Callable[[int], str],
                   written_ids: Sequence[str | None]) -> dict[int, str] | None:
    """Row -> id of a data sheet syncd wrote from a table with ``written_ids``, its row k at sheet
    row k + 2, without going through its rows; ``None`` when the sheet does not look like that one
    (another sheet, rows below the table): its last row's number, or that row's id, is not the
    table's last. Only the header row and the last row are read."""
    last = xml.rfind(b"<row ", start, end)
    at = ROW.match(xml, last, end) if last >= 0 else None
    if at is None or int(at.group(1)) != len(written_ids) + 1:
        return None
    wanted = {len(written_ids) + 1: written_ids[-1]} if written_ids[-1] else {}
    if scan_ids(xml, last, end, id_col, strings) != wanted:
        return None
    first = FIRST_ROW.match(xml, start, end)
    ids = scan_ids(xml, start, first.end() if first else start, id_col, strings)
    ids.update((r, rid) for r, rid in enumerate(written_ids, 2) if rid)
    return ids
