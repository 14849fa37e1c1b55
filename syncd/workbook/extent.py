"""How far the cells of a sheet reach, measured from the raw bytes before any reader parses them.

Why: calamine lays every sheet out as one dense grid from A1 to the last cell. One stray cell at
XFD1048576 makes that 17 billion cells and the allocation aborts the whole process, so the reach
of each sheet is measured here, streaming, and a file whose grid would be too big is refused
before calamine sees it. The scans are byte-level regular expressions, not XML parsing: they may
over-estimate (which can only refuse a file) but never under-estimate a sheet a reader would
build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The last row of an Excel sheet. A dimension ending here is a writer saying "the whole sheet"
#: (LibreOffice, Gnumeric), not a claim about how many rows there are.
EXCEL_LAST_ROW = 1_048_576

_ROW_R = re.compile(rb'row [^>]*?r="([0-9]+)"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_WIDE_REF = re.compile(rb'r="([A-Z]{2,3})[0-9]')
# A cell reference in a tag that is not self-closing, i.e. a cell with content.
_FILLED_REF = re.compile(rb'r="([A-Z]{1,3})([0-9]+)"(?:[^>]*[^/>])?>')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*([0-9]*)(?::[A-Z]*([0-9]*))?"')
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
# A cell tag whose first attribute is not its reference (one pass, where three counts took three).
# XML allows any whitespace after the name: "<c\n>" is a cell too, and a reader places it.
_CELL_WITHOUT_R = re.compile(rb'<c(?:[>/\t\n\r]| (?!r="))')
# Where ":c" or ":row" occurs, tags may be namespace-prefixed ("<x:c"). One search for both: it
# runs four times faster than looking for each (text holds colons; tags of a usual sheet never).
_MAY_BE_PREFIXED = re.compile(rb":(?:c|row)")


@dataclass
class Extent:
    """Upper bounds of a sheet's grid: ``rows`` × ``cols`` cells; ``declared_rows`` its claim."""

    rows: int = 0
    cols: int = 0
    declared_rows: int = 0


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _count_rows(part: bytes, prefixed: bool) -> int:
    """Row elements in ``part`` (may over-count by a few ``<rowBreaks>``: an over-estimate is safe).
    ``prefixed``: ``part`` may hold namespace-prefixed tags (``_MAY_BE_PREFIXED``)."""
    if prefixed:  # namespace-prefixed XML (rare): "</x:row>" must not count
        return len(_ROW_TAG.findall(part))
    return part.count(b"<row")


def _rless_cells(part: bytes, prefixed: bool) -> bool:
    """Whether some cell in ``part`` may lack an ``r=`` reference."""
    if prefixed:
        return part.count(b' r="') < len(_CELL_TAG.findall(part)) + len(_ROW_R.findall(part))
    # Writers put r first; only when they do not does this fall through to True (the safe side).
    return _CELL_WITHOUT_R.search(part) is not None


def _count_cells(part: bytes) -> int:
    return len(_CELL_TAG.findall(part))


class XlsxSheetScan:
    """Feed the decompressed bytes of one worksheet part in chunks; ``finish()`` gives the extent.

    The quick scan (``precise=False``) takes rows from ``<row r=...>`` tags, which counts empty
    formatted rows too: fast, and an over-estimate. Only when that says "too big" is the part
    scanned again with ``precise=True``, which takes rows and columns from the references of
    cells that have content (not self-closing), as the reader will.
    """

    def __init__(self, max_rows: int, precise: bool = False) -> None:
        self.extent = Extent()
        self.precise = precise
        self._tail = b""
        self._max_r = 0
        self._rows_with_r = 0
        self._rows_seen = 0
        self._any_cells = False
        self._cells_in_row = 0
        self._first = True

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        cut = buf.rfind(b">") + 1
        part, self._tail = buf[:cut], buf[cut:]
        if len(self._tail) > 1 << 20:
            # A megabyte without a single '>' is not a worksheet; count it so nothing slips by.
            part, self._tail = buf, b""
        if self._first:
            self._first = False
            m = _DIMENSION.search(part, 0, 65536)
            if m:
                last = m.group(2) or m.group(1)
                self.extent.declared_rows = int(last) if last else 0
        rows = _ROW_R.findall(part)
        if rows:
            self._max_r = max(self._max_r, max(map(int, rows)))
            self._rows_with_r += len(rows)
        prefixed = _MAY_BE_PREFIXED.search(part) is not None
        self._rows_seen += _count_rows(part, prefixed)
        if self.precise:
            refs = _FILLED_REF.findall(part)
            if refs:
                self.extent.rows = max(self.extent.rows, max(int(r) for _, r in refs))
                self.extent.cols = max(self.extent.cols, max(_col_number(c) for c in {c for c, _ in refs}))
        else:
            wide = _WIDE_REF.findall(part)
            if wide:
                self.extent.cols = max(self.extent.cols, max(_col_number(w) for w in set(wide)))
        if b"<c" in part or prefixed:
            self._any_cells = True
            if _rless_cells(part, prefixed):
                # Some cells may carry no reference: a reader places them one after another, so
                # the widest row is as many cells as it holds, and rows count from the row tags.
                self._rless = True
                segments = _ROW_TAG.split(part)
                for k, seg in enumerate(segments):
                    count = _count_cells(seg)
                    self._cells_in_row = count if k else self._cells_in_row + count
                    self.extent.cols = max(self.extent.cols, self._cells_in_row)

    _rless = False

    def finish(self) -> Extent:
        if self._tail:
            tail, self._tail = self._tail, b""
            self.feed(tail + b">")
        by_tags = self._max_r + (self._rows_seen - self._rows_with_r)
        if not self.precise:
            if self._any_cells:
                # Single-letter references are not collected (too many to be worth it): assume Z.
                self.extent.cols = max(self.extent.cols, 26)
            self.extent.rows = by_tags
        elif self._rless:
            self.extent.rows = max(self.extent.rows, by_tags)
        return self.extent


_ODS_TOKEN = re.compile(
    rb"<(?:\w+:)?table-row\b([^>]*?)(/?)>|</(?:\w+:)?table-row>"
    rb"|<(?:\w+:)?(?:covered-)?table-cell\b([^>]*?)(/?)>|<(?:\w+:)?table\b[\s>]"
)
_ROWS_REPEATED = re.compile(rb'number-rows-repeated="([0-9]+)"')
_COLS_REPEATED = re.compile(rb'number-columns-repeated="([0-9]+)"')


class OdsScan:
    """Feed content.xml of an .ods in chunks; ``extent`` is the largest table's grid.

    Only rows and cells that carry a value count (``office:value-type``): repeated empty rows and
    columns, which every ODS writer emits to the sheet's end, are not laid out by the reader.
    """

    def __init__(self) -> None:
        self.extent = Extent()
        self._tail = b""
        self._row = 0  # rows so far in the current table
        self._row_repeat = 1
        self._col = 0
        self._row_has_value = False

    def _end_row(self) -> None:
        if self._row_has_value:
            self.extent.rows = max(self.extent.rows, self._row + self._row_repeat)
        self._row += self._row_repeat
        self._row_repeat, self._col, self._row_has_value = 1, 0, False

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        cut = buf.rfind(b">") + 1
        part, self._tail = buf[:cut], buf[cut:]
        if len(self._tail) > 1 << 20:
            part, self._tail = buf, b""
        for m in _ODS_TOKEN.finditer(part):
            row_attrs, row_closed, cell_attrs = m.group(1), m.group(2), m.group(3)
            if row_attrs is not None:
                rep = _ROWS_REPEATED.search(row_attrs)
                self._row_repeat = int(rep.group(1)) if rep else 1
                self._col = 0
                if row_closed:
                    self._end_row()
            elif cell_attrs is not None:
                rep = _COLS_REPEATED.search(cell_attrs)
                span = int(rep.group(1)) if rep else 1
                self._col += span
                if b"value-type=" in cell_attrs:
                    self._row_has_value = True
                    self.extent.cols = max(self.extent.cols, self._col)
            elif m.group(0).startswith(b"</"):
                self._end_row()
            else:  # a new table
                self._row, self._row_repeat, self._col, self._row_has_value = 0, 1, 0, False

    def finish(self) -> Extent:
        return self.extent


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
