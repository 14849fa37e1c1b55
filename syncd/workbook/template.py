"""Read what the previous canonical holds besides its values, so that a rewrite can keep it.

openpyxl needs about a minute to load a 100,000-row data sheet cell by cell, yet of those rows the
writer only needs each cell's format, the row ids and the row heights. So the data sheet's
``<sheetData>`` (all but the header row) is cut out before openpyxl loads the workbook — openpyxl
then still holds everything else: styles, widths, validations, conditional formats, comments,
links, other sheets — and the rows are scanned with a few regular expressions (``sheetscan``). A
file whose XML does not look the way Excel, LibreOffice, Google Sheets and openpyxl write it is
loaded whole by openpyxl instead: slower, same result.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from syncd.model import ROW_ID_COLUMN
from syncd.workbook import layout
from syncd.workbook import sheetscan as scan
from syncd.workbook.deflate import read_entry
from syncd.workbook.guard import check_file

log = logging.getLogger(__name__)

#: A column's usual format is the commonest among its first rows (a constant cost per column).
USUAL_STYLE_ROWS = 2000
_NO_STYLE = StyleArray()


@dataclass
class OldSheet:
    """What the template's data sheet held, apart from its values."""

    header: dict[int, str] = field(default_factory=dict)  # column -> header text (row 1)
    extent: int = 0  # last column holding a value
    last_row: int = 0  # last row holding a value
    id_col: int | None = None
    header_styles: dict[int, StyleArray] = field(default_factory=dict)
    header_comments: dict[int, Comment] = field(default_factory=dict)
    base: dict[int, StyleArray] = field(default_factory=dict)  # column -> its usual data format
    rows: dict[str, int] = field(default_factory=dict)  # row id -> its row
    #: formats of cells (rows with an id) that differ from their column's usual one
    styles: dict[tuple[int, int], StyleArray] = field(default_factory=dict)
    comments: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)  # people's (author, text)
    links: dict[tuple[int, int], object] = field(default_factory=dict)  # hyperlinks
    row_dims: dict[int, tuple] = field(default_factory=dict)  # row -> (height, hidden, outline, collapsed)
    #: formatted empty cells right of the table, by row: [(column, format)]
    beyond: dict[int, list[tuple[int, StyleArray]]] = field(default_factory=dict)


def open_template(
    path: str | os.PathLike, sheet: str, replaced: Sequence[str] = (), trusted_digest: str | None = None,
    written_ids: Sequence[str | None] | None = None,
) -> tuple[Workbook, OldSheet] | None:
    """Load the previous canonical for rewriting, with what its sheet ``sheet`` held.

    The returned workbook's data sheet holds only its header row and the cells that carry comments
    or links; everything else of that sheet is in the ``OldSheet``. Sheets named in ``replaced``
    (rewritten whole, like Conflicts) may come with their header row only. ``None`` when there is
    no file or it cannot be used (damaged, hostile, not an .xlsx): then the canonical is written
    fresh. Macros and external links are never loaded. ``trusted_digest`` is the SHA-256 (hex) of
    a file syncd itself wrote: a template with exactly those bytes is not judged again.
    ``written_ids``: the row ids of the table that file was written from, in order; the data rows'
    ids are then taken from them, not read from its XML, once the sheet's last row shows it is that
    table's (opening workload 2's canonical: 0.78-0.87 -> 0.65-0.69 s).
    """
    if not os.path.exists(path):
        return None  # the first write: nothing to keep yet
    try:
        # The canonical may have been edited by anyone: judge it like any incoming copy first,
        # unless it is byte for byte the file syncd wrote.
        trusted = bool(trusted_digest) and _digest(path) == trusted_digest
        if not trusted and check_file(path) != "xlsx":
            raise ValueError("not an .xlsx workbook")
        with open(path, "rb") as fh:
            raw = fh.read()
        # openpyxl warns about every extension it drops (slicers, sparklines...): not news for a person.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = _fast_load(raw, sheet, replaced, trusted, written_ids if trusted else None)
            if found is None:
                wb = load_workbook(io.BytesIO(raw), keep_vba=False, keep_links=False, rich_text=True)
                ws = _sheet_named(wb, sheet)
                old = read_cells(ws, _note_fills(wb)) if ws is not None else OldSheet()
            else:
                wb, old = found
    except Exception as exc:  # any damage at all: the data matters more than the look
        log.warning("could not reuse the formatting of %s (%s); writing it fresh", os.fspath(path), exc)
        return None
    wb.template = False  # always saved as a plain .xlsx workbook, never a template or macro file
    wb.vba_archive = None
    return wb, old


@dataclass(frozen=True)
class Opened:
    """A template opened ahead of its write (while the duplicate search runs on the other core):
    ``open_template``'s arguments and what it gave. Good for one write only: the write changes it."""

    path: str
    sheet: str
    replaced: tuple[str, ...]
    trusted_digest: str | None
    loaded: tuple[Workbook, OldSheet] | None

    def serves(self, path: str | os.PathLike, sheet: str, replaced: Sequence[str], trusted_digest: str | None) -> bool:
        return (self.path, self.sheet, self.replaced, self.trusted_digest) == (
            os.fspath(path), sheet, tuple(replaced), trusted_digest)


def open_ahead(path: str | os.PathLike, sheet: str, replaced: Sequence[str] = (),
               trusted_digest: str | None = None, written_ids: Sequence[str | None] | None = None) -> Opened:
    """``open_template`` now, for a ``write_canonical`` to come (its ``opened``)."""
    return Opened(os.fspath(path), sheet, tuple(replaced), trusted_digest,
                  open_template(path, sheet, replaced, trusted_digest, written_ids))


def _digest(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def read_cells(ws: Worksheet, note_fills: frozenset[int]) -> OldSheet:
    """Build the ``OldSheet`` of a sheet openpyxl loaded completely."""
    old = OldSheet()
    valued = [(r, c) for (r, c), cell in ws._cells.items() if cell._value is not None and cell._value != ""]
    old.extent = max((c for _, c in valued), default=0)
    old.last_row = max((r for r, _ in valued), default=0)
    _read_header(ws, old, note_fills)
    ids = {}
    for (r, c), cell in ws._cells.items():
        if c == old.id_col and r > 1 and cell._value is not None and str(cell._value).strip():
            ids[r] = str(cell._value).strip()
    _set_ids(old, ids)
    data = sorted((r, c, cell._style) for (r, c), cell in ws._cells.items() if r > 1)
    highlighted = _read_styles(old, [d for d in data if d[0] <= USUAL_STYLE_ROWS + 1], data, note_fills)
    for r in ids:
        dim = ws.row_dimensions.get(r)
        if dim is not None:
            old.row_dims[r] = (dim.ht, dim.hidden, dim.outlineLevel, dim.collapsed)
    _read_notes(ws, old, ids, highlighted)
    return old


def _note_fills(wb: Workbook) -> frozenset[int]:
    return frozenset(i for i, f in enumerate(wb._fills) if layout.is_note_fill(f))


def _sheet_named(wb: Workbook, title: str) -> Worksheet | None:
    return next((s for s in wb.worksheets if s.title.casefold() == title.casefold()), None)


def _read_header(ws: Worksheet, old: OldSheet, note_fills: frozenset[int]) -> None:
    for (r, c), cell in ws._cells.items():
        if r != 1:
            continue
        if cell._value is not None and cell._value != "":
            old.header[c] = str(cell._value)
            old.extent = max(old.extent, c)
        old.header_styles[c] = plain_style(cell._style, note_fills)
        if cell.comment is not None:
            old.header_comments[c] = copy(cell.comment)
    old.id_col = next((c for c, h in old.header.items() if layout.normalize_header(h) == ROW_ID_COLUMN), None)


def _set_ids(old: OldSheet, ids: dict[int, str]) -> None:
    for r in sorted(ids):
        old.rows.setdefault(ids[r], r)  # a row pasted twice: the first keeps the formats


def _read_styles(old: OldSheet, head: list, cells: list, note_fills: frozenset[int]) -> set[tuple[int, int]]:
    """Set the columns' usual formats from ``head`` and keep the formats of ``cells`` that differ;
    both are (row, column, raw format) of data cells, ``head`` those of the first rows (or, already
    counted, ``((column, raw format), number of cells)`` pairs in the order first met). Returns
    the cells among them that carry syncd's note highlight."""
    usual: dict[int, Counter] = defaultdict(Counter)
    for item in head:
        if len(item) == 2:
            (c, style), n = item
            usual[c][tuple(style)] += n
        else:
            usual[item[1]][tuple(item[2])] += 1
    raw_base = {c: counts.most_common(1)[0][0] for c, counts in usual.items()}
    old.base = {c: plain_style(StyleArray(list(raw)), note_fills) for c, raw in raw_base.items()}
    highlighted = {(-1, c) for c, raw in raw_base.items() if raw[1] in note_fills}  # (-1, c): the whole column
    with_id = set(old.rows.values())
    for r, c, style in cells:
        if style.fillId in note_fills:
            highlighted.add((r, c))
        plain = plain_style(style, note_fills)
        if c > old.extent:
            if any(plain):
                old.beyond.setdefault(r, []).append((c, plain))
            continue
        base = old.base.get(c, _NO_STYLE)
        if plain == base or r not in with_id:
            continue
        if style.fillId in note_fills and plain.fillId == 0 and base.fillId:
            plain = copy(plain)  # under a removed highlight shows the column's usual fill
            plain.fillId = base.fillId
        old.styles[(r, c)] = plain
    return highlighted


def _read_notes(ws: Worksheet, old: OldSheet, ids: dict[int, str], highlighted: set[tuple[int, int]]) -> None:
    for (r, c), cell in ws._cells.items():
        if r < 2 or r not in ids:
            continue
        if cell.comment is not None:
            human = human_comment(cell.comment, (r, c) in highlighted or (-1, c) in highlighted)
            if human:
                old.comments[(r, c)] = human
        if cell.hyperlink is not None:
            old.links[(r, c)] = copy(cell.hyperlink)


def plain_style(style: StyleArray, note_fills: frozenset[int]) -> StyleArray:
    """``style`` without syncd's note highlight and without the "text" mark (both set per write)."""
    if style.fillId in note_fills or style.quotePrefix:
        style = copy(style)
        style.quotePrefix = 0
        if style.fillId in note_fills:
            style.fillId = 0
    return style


def human_comment(comment: Comment, highlighted: bool = False) -> tuple[str, str] | None:
    """The (author, text) of the part of a comment a person wrote.

    syncd's own notes are rewritten on every write, so of a note by syncd only a person's text
    kept inside it counts. A comment is syncd's when its author is syncd, or — since LibreOffice
    forgets comment authors — when it sits on a cell syncd highlighted or tells of a cut text.
    """
    text, author = comment.text or "", (comment.author or "").strip()
    ours = (author == layout.COMMENT_AUTHOR or (not author and highlighted)
            or text.startswith(layout.OVERFLOW_NOTE_START))
    if not ours:
        return author or "someone", text
    m = layout.HUMAN_COMMENT_RE.search(text)
    return (m.group("author"), m.group("text")) if m else None


# --- the fast path ---------------------------------------------------------------------------

class _Unusual(Exception):
    """The sheet XML is not in the shape the scan knows; openpyxl loads it the slow way."""


def _fast_load(raw: bytes, sheet: str, replaced: Sequence[str], trusted: bool = False,
               written_ids: Sequence[str | None] | None = None) -> tuple[Workbook, OldSheet] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zin:
            part = scan.sheet_part(zin, sheet)
            if part is None:
                return None
            xml = read_entry(zin, part)
            span = scan.rows_span(xml)
            if span is None:
                return None  # an empty sheet: nothing to gain
            stubs = {part: scan.header_only(xml, *span)}
            for name in replaced:
                other = scan.sheet_part(zin, name)
                if other is not None and other != part:
                    other_xml = zin.read(other)
                    other_span = scan.rows_span(other_xml)
                    if other_span is not None:
                        stubs[other] = scan.header_only(other_xml, *other_span)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zout:
                for info in zin.infolist():
                    zout.writestr(info.filename, stubs.get(info.filename) or zin.read(info.filename))
            strings = scan.shared_strings(zin)
        wb = load_workbook(io.BytesIO(buf.getvalue()), keep_vba=False, keep_links=False, rich_text=True)
        ws = _sheet_named(wb, sheet)
        if ws is None:
            return None
        return wb, _scan(ws, xml, *span, strings, _note_fills(wb), trusted, written_ids)
    except _Unusual as exc:
        log.info("template sheet XML is unusual (%s); loading it completely", exc)
        return None


def _scan(ws: Worksheet, xml: bytes, start: int, end: int, strings: Callable[[int], str],
          note_fills: frozenset[int], trusted: bool = False,
          written_ids: Sequence[str | None] | None = None) -> OldSheet:
    """Build the ``OldSheet`` from the rows in ``xml[start:end]`` (the data sheet's sheetData) and
    what openpyxl loaded of the sheet (header row, comments, links).

    ``trusted``: the file is byte for byte one syncd wrote, whose rows are always in the shape the
    scan knows, so the checks of that shape are skipped (five passes over the XML, 0.5 s on
    100,000 rows).

    A 100,000-row sheet has over a million cells, and nearly all of them carry their column's usual
    format: so only the cells that may not are matched one by one — cells with a format in columns
    usually without, every cell of the few columns usually with one, and cells right of the header.
    Everything else is checked with counts and searches that run in C."""
    if not trusted:
        _check_shape(xml, start, end)
    old = OldSheet()
    _read_header(ws, old, note_fills)
    header_extent = old.extent
    formats = ws.parent._cell_styles
    cache: dict[bytes, StyleArray] = {b"": _NO_STYLE}
    column: dict[bytes, int] = {}

    def fmt(s: bytes) -> StyleArray:
        if s not in cache:
            k = int(s)
            cache[s] = formats[k] if k < len(formats) else _NO_STYLE
        return cache[s]

    def col(letters: bytes) -> int:
        if letters not in column:
            column[letters] = column_index_from_string(letters.decode())
        return column[letters]

    # The first rows decide each column's usual format; after that only cells that differ from it
    # (or lie right of the header) are looked at one by one.
    head_end = end
    for n, m in enumerate(scan.ROW.finditer(xml, start, end)):
        if n > USUAL_STYLE_ROWS:
            head_end = m.start()
            break
    # Counted in C: (letters, format) of every cell of the first rows but the header.
    counted = Counter(scan.HEAD_CELL.findall(xml, start, head_end))
    for key in [key for key in counted if not key[0]]:
        del counted[key]
    common: dict[bytes, Counter] = defaultdict(Counter)
    for (letters, style), n in counted.items():
        common[letters][style] += n
    usual = {letters: counts.most_common(1)[0][0] for letters, counts in common.items()}
    head = [((col(letters), fmt(style)), n) for (letters, style), n in counted.items()]
    inside = [get_column_letter(c).encode() for c in range(1, header_extent + 1)]
    styled_usually = {letters for letters, style in usual.items() if style and col(letters) <= header_extent}
    odd: list[tuple[int, int, StyleArray]] = []
    plain_inside = set(inside) - styled_usually
    if trusted:
        # only the formatted cells of the columns usually without a format: a few, where every
        # formatted cell was a match (400,000 in workload 2's canonical)
        styled = scan.styled_cells(plain_inside).findall(xml, start, end) if plain_inside else []
    else:
        styled = scan.STYLED.findall(xml, start, end)
        if xml.count(b"s=", start, end) != len(styled) and scan.LATE_STYLE.search(xml, start, end):
            raise _Unusual("cell attributes in an unexpected order")
    # Columns usually without a format: their cells that have one.
    odd += [(int(row), col(letters), fmt(style)) for letters, row, style in styled
            if letters in plain_inside and row != b"1"]
    # Columns usually with one: every cell whose format is another (or none). The expression
    # matches only those, not the column's every cell (with the line above: opening workload 2's
    # canonical 0.85 -> 0.70 s).
    for letters in sorted(styled_usually):
        want = usual[letters]
        pattern = re.compile(rb'<c r="' + letters + rb'([0-9]{1,7})"(?! s="' + want + rb'")(?: s="([0-9]{1,6})")?+')
        c = col(letters)
        odd += [(int(row), c, fmt(style)) for row, style in pattern.findall(xml, start, end) if row != b"1"]
    # Cells right of the header, whatever they hold.
    outside = scan.outside_cells(inside).findall(xml, start, end)
    odd += [(int(row), col(letters), fmt(style)) for letters, row, style, _, _ in outside if row != b"1"]
    odd.sort(key=lambda cell: (cell[0], cell[1]))
    old.extent = max([header_extent] + [col(letters) for letters, _, _, _, empty in outside if not empty])
    old.last_row = scan.last_valued_row(xml, start, end)
    ids = scan.ids_as_written(xml, start, end, old.id_col, strings, written_ids) if old.id_col and written_ids else None
    if ids is None:
        ids = scan.scan_ids(xml, start, end, old.id_col, strings) if old.id_col else {}
    _set_ids(old, ids)
    highlighted = _read_styles(old, head, odd, note_fills)
    # syncd writes a row's attributes only for the rows that have a height, are hidden or grouped
    if (scan.ROW_WITH_ATTRS.search(xml, start, end) if trusted
            else any(xml.find(attr, start, end) >= 0 for attr in (b"ht=", b"hidden=", b"outlineLevel="))):
        for row, attrs in scan.ROW.findall(xml, start, end):
            r = int(row)
            if r in ids and (b"ht=" in attrs or b"hidden=" in attrs or b"outlineLevel=" in attrs):
                a = {k.decode(): v.decode() for k, v in scan.ATTR.findall(attrs)}
                old.row_dims[r] = (float(a["ht"]) if "ht" in a else None, a.get("hidden") in ("1", "true"),
                                   int(a.get("outlineLevel", 0) or 0), a.get("collapsed") in ("1", "true"))
    _read_notes(ws, old, ids, highlighted)
    return old


def _check_shape(xml: bytes, start: int, end: int) -> None:
    """Raise ``_Unusual`` unless every cell in ``xml[start:end]`` is an unprefixed ``<c`` whose
    first attribute is its reference: what the scan's expressions take for granted."""
    if scan.has_prefixed_cells(xml, start, end):
        raise _Unusual("prefixed element names")
    if xml.find(b"<c>", start, end) >= 0 or xml.find(b"<c/>", start, end) >= 0:
        raise _Unusual("cells without a reference")
    if xml.count(b'<c r="', start, end) != xml.count(b"<c ", start, end) or scan.ODD_REF.search(xml, start, end):
        raise _Unusual("cells without a leading reference")
