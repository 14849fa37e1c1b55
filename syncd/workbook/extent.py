"""How far the cells of a sheet reach, measured from the raw bytes before any reader parses them.

Why: calamine lays every sheet out as one dense grid from A1 to the last cell. One stray cell at
XFD1048576 makes that 17 billion cells and the allocation aborts the whole process, so the reach
of each sheet is measured here and a file whose grid would be too big is refused before calamine
sees it. The scans are byte-level regular expressions, not XML parsing: they may over-estimate
(which can only refuse a file) but never under-estimate a sheet the reader would build, in any
way XML lets a cell be written (``tests/test_extent.py`` checks that against the reader itself).
A quick scan, streaming, measures what spreadsheet programs write; a sheet written any other
way, or one the quick scan finds too big, is gone through tag by tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from syncd.workbook.scanre import rare

#: The last row of an Excel sheet. A dimension ending here is a writer saying "the whole sheet"
#: (LibreOffice, Gnumeric), not a claim about how many rows there are.
EXCEL_LAST_ROW = 1_048_576

# What the quick scan looks for in one pass, all starting at an "r": a reference with two or more
# column letters (past Z) or a row of six digits or more (past 99,999), or an "r" attribute written
# in a form the quick scan does not measure (single quotes, or spaces around "=").
_QUICK = rare(rb"""r(?:="([A-Za-z]{2,}[0-9]*|[A-Za-z]?[0-9]{6,})"|[ \t\n\r\f\v]+=|=[ \t\n\r\f\v'])""")
_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*([0-9]*)(?::[A-Z]*([0-9]*))?"')
# A cell tag whose first attribute is not its reference. XML allows any whitespace after the name:
# "<c\n>" is a cell too, and a reader places it. Spelled without a lookahead, which RE2 lacks: after
# "<c " anything but 'r="', or the part's end (a part cut inside the tag counts as unsure, as the
# lookahead had it).
_CELL_WITHOUT_R = rare(rb'<c(?:[>/\t\n\r]| (?:[^r]|r[^=]|r=[^"]|r=$|r$|$))')
# Where ":c" or ":row" occurs, tags may be namespace-prefixed ("<x:c"). One search for both: it
# runs four times faster than looking for each (text holds colons; tags of a usual sheet never).
_MAY_BE_PREFIXED = rare(rb":(?:c|row)")
_PREFIXED_TAG = re.compile(rb"<[\w.-]+:(?:c|row)[\s/>]")
# The precise scan goes through the part as the reader's XML parser does, front to back: from one
# construct it cares about (``_START``: a comment, CDATA, a processing instruction, a row's start
# or end, a cell's start) to the next, each matched whole (``_TOKEN``: a tag ends at the first ">"
# outside quotes, and quoted values may hold "<" and ">"). A start that cannot be matched whole
# (a quote or comment never closed) is where the parser fails and the reader lays out nothing, so
# the scan stops there: no stretch of the part is scanned twice, whatever it holds.
_START = re.compile(rb"<(?:!--|!\[CDATA\[|\?|(?:[\w.-]+:)?(?:row|c)[\s/>]|/(?:[\w.-]+:)?row[\s>])")
_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>"
    rb"""|<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*+)>""",
    re.S,
)
_R_ATTR = re.compile(rb"""(?:^|[\s"'])r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
#: The row bound the quick scan assumes when no reference has six digits.
_FIVE_DIGITS = 99_999


@dataclass
class Extent:
    """Upper bounds of a sheet's grid: ``rows`` × ``cols`` cells; ``declared_rows`` its claim."""

    rows: int = 0
    cols: int = 0
    declared_rows: int = 0


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _declared_rows(head: bytes) -> int:
    """The last row the sheet's ``<dimension>`` claims (0 when it claims none)."""
    m = _DIMENSION.search(head, 0, 65536)
    last = (m.group(2) or m.group(1)) if m else None
    return int(last) if last else 0


def _reference(value: bytes) -> tuple[int, int] | None:
    """(row, column), both from 1, of a reference as python-calamine reads it ("B7", also "b7" and
    "B007"); None where it refuses one (and so lays nothing out): no column letters, no row or row
    0, other characters."""
    m = _REF.fullmatch(value)
    if m is None or not m.group(1) or not int(m.group(2)):
        return None
    return int(m.group(2)), _col_number(m.group(1))


class XlsxSheetScan:
    """Feed the decompressed bytes of one worksheet part in chunks; ``finish()`` gives the extent,
    or None where only ``xlsx_sheet_extent`` can tell it.

    python-calamine places a cell at its ``r`` reference, whatever its row tag says, and a cell
    without one after the cell before it, in the row its row tag (or the row before) set. This
    quick scan measures only sheets whose every cell tag starts ``<c r="`` and whose ``r``
    attributes are all written ``r="..."``, as spreadsheet programs write them: the bound is the
    largest reference, where only those past column Z or past row 99,999 are looked at (a sheet
    with none counts as 99,999 rows by 26 columns). One pass that stops at each "r" and an
    over-estimate: when it says "too big", ``xlsx_sheet_extent`` looks again, precisely.
    """

    def __init__(self) -> None:
        self.extent = Extent()
        self._tail = b""
        self._first = True
        self._unsure = False
        self._any_cells = False

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        # what is looked for holds no ">": cut after one, and nothing is cut in two
        cut = buf.rfind(b">") + 1
        part, self._tail = buf[:cut], buf[cut:]
        if len(self._tail) > 1 << 20:
            # A megabyte without a single '>' is not a worksheet; count it so nothing slips by.
            part, self._tail = buf, b""
        if self._first:
            self._first = False
            self.extent.declared_rows = _declared_rows(part)
        if self._unsure:
            return
        if _CELL_WITHOUT_R.search(part) or (_MAY_BE_PREFIXED.search(part) and _PREFIXED_TAG.search(part)):
            self._unsure = True
            return
        if not self._any_cells and b'<c r="' in part:
            self._any_cells = True
        ext = self.extent
        for value in _QUICK.findall(part):
            if not value:
                self._unsure = True  # an "r" attribute written another way: only precisely
                return
            ref = _reference(value)
            if ref is not None:
                ext.rows, ext.cols = max(ext.rows, ref[0]), max(ext.cols, ref[1])

    def finish(self) -> Extent | None:
        if self._tail:
            tail, self._tail = self._tail, b""
            self.feed(tail + b">")
        if self._unsure:
            return None
        if self._any_cells:
            self.extent.rows = max(self.extent.rows, _FIVE_DIGITS)
            self.extent.cols = max(self.extent.cols, 26)
        return self.extent


def xlsx_sheet_extent(data: bytes) -> Extent:
    """The grid python-calamine lays out for the whole worksheet part ``data``, going through every
    row and cell tag as it does (about a second for 100,000 rows × 12 columns). Where the reader's
    choice is uncertain it takes the larger: a row tag never moves the next rows up, and a cell
    tag that is not self-closing counts as holding a value."""
    ext = Extent()
    ext.declared_rows = _declared_rows(data)
    row = col = 0  # where the next cell without a reference goes
    for closing, name, attrs in (m.group(1, 2, 3) for m in _tokens(data)):
        if not name:
            continue  # a comment, CDATA or processing instruction: its text holds no tags
        if closing:
            if name == b"row":
                row, col = row + 1, 0
            continue
        found = _R_ATTR.findall(attrs)
        value = (found[-1][0] or found[-1][1]) if found else None  # the reader takes the last
        empty = attrs.endswith(b"/")
        if name == b"row":
            digits = value.lstrip(_LETTERS) if value is not None else b""
            if digits.isdigit() and int(digits):
                row = max(row, int(digits) - 1)
            if empty:
                row, col = row + 1, 0
            continue
        at = row
        if value is not None:
            ref = _reference(value)
            if ref is None:
                continue  # the reader refuses the whole sheet: it lays nothing out
            at, col = ref[0] - 1, max(col, ref[1] - 1)
        if not empty:  # "<c .../>" holds nothing, and the reader lays out no empty cell
            ext.rows, ext.cols = max(ext.rows, at + 1), max(ext.cols, col + 1)
        col += 1
    return ext


_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _tokens(data: bytes, starts: re.Pattern = _START, tokens: re.Pattern = _TOKEN) -> Iterator[re.Match]:
    """Each construct ``starts`` finds, matched whole by ``tokens``, front to back; none after
    one that is never closed."""
    start, token = starts.search, tokens.match
    pos = 0
    while (found := start(data, pos)) is not None:
        m = token(data, found.start())
        if m is None:
            return  # never closed: the reader's parser fails here
        yield m
        pos = m.end()


# content.xml is gone through front to back as for a worksheet (``_tokens``): from one construct the
# scan cares about to the next, each matched whole, stopping where one is never closed.
_ODS_START = re.compile(
    rb"<(?:!--|!\[CDATA\[|\?|/?(?:[\w.-]+:)?(?:table-row|covered-table-cell|table-cell|table)[\s/>])")
_ODS_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>"
    rb"""|<(/?)(?:[\w.-]+:)?(table-row|covered-table-cell|table-cell|table)(?=[\s/>])"""
    rb"""((?:[^>"'/]|/(?!>)|"[^"]*"|'[^']*')*+)(/?)>""",
    re.S,
)
_ROWS_REPEATED = re.compile(rb'number-rows-repeated\s*=\s*["\']([0-9]+)')
_COLS_REPEATED = re.compile(rb'number-columns-repeated\s*=\s*["\']([0-9]+)')


class OdsScan:
    """Feed content.xml of an .ods in chunks; ``finish()`` gives the largest table's grid.

    Only rows and cells that carry a value count (``office:value-type``): repeated empty rows and
    columns, which every ODS writer emits to the sheet's end, are not laid out by the reader. The
    part is kept whole and gone through at the end: a tag may hold ">" inside quotes, and a scan
    that resumed at each "<" could be made to go over the same stretch again and again.
    """

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    def finish(self) -> Extent:
        data, self._chunks = b"".join(self._chunks), []
        return ods_extent(data)


def ods_extent(data: bytes) -> Extent:
    """The largest table's grid in the content.xml ``data``, as the reader lays it out."""
    ext = Extent()
    row = col = 0  # rows so far in the current table; cells so far in the current row
    row_repeat, row_has_value = 1, False

    def end_row() -> None:
        nonlocal row, col, row_repeat, row_has_value
        if row_has_value:
            ext.rows = max(ext.rows, row + row_repeat)
        row += row_repeat
        row_repeat, col, row_has_value = 1, 0, False

    for m in _tokens(data, _ODS_START, _ODS_TOKEN):
        closing, name, attrs, empty = m.group(1, 2, 3, 4)
        if not name:
            continue  # a comment, CDATA or processing instruction
        if name == b"table-row":
            if closing:
                end_row()
                continue
            rep = _ROWS_REPEATED.search(attrs)
            row_repeat, col = (int(rep.group(1)) if rep else 1), 0
            if empty:
                end_row()
        elif name == b"table":
            if not closing:  # a new table
                row, row_repeat, col, row_has_value = 0, 1, 0, False
        elif not closing:  # a cell, covered or not
            rep = _COLS_REPEATED.search(attrs)
            col += int(rep.group(1)) if rep else 1
            if b"value-type" in attrs:
                row_has_value = True
                ext.cols = max(ext.cols, col)
    return ext


def xlsb_sheet_extent(data: bytes) -> Extent:
    """Grid of a binary (.xlsb) worksheet part from its row headers and cell records."""
    extent = Extent()
    pos, n = 0, len(data)
    max_row = max_col = 0
    while pos < n:
        rtype = data[pos]
        pos += 1
        if rtype & 0x80:
            if pos >= n:
                break
            rtype = (rtype & 0x7F) | ((data[pos] & 0x7F) << 7)
            pos += 1
        size = shift = 0
        for _ in range(4):
            if pos >= n:
                break
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if rtype == 0 and size >= 4:  # BrtRowHdr: 0-based row
            max_row = max(max_row, int.from_bytes(data[pos : pos + 4], "little") + 1)
        elif 1 <= rtype <= 13 and size >= 4:  # cell records: 0-based column first
            max_col = max(max_col, int.from_bytes(data[pos : pos + 4], "little") + 1)
        pos += size
    extent.rows, extent.cols = max_row, max_col
    return extent
