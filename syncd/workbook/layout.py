"""How syncd's workbooks look, and the small rules every written cell obeys.

Constants (fonts, fills, formats, sizes, texts people read) plus small helpers: making text safe for
a cell, sizing columns and comments, checking sheet names, and — when the previous canonical is
rewritten in place — moving its column formats, validations, conditional formats and filter along
with the columns they belong to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from copy import copy

from openpyxl.formatting.formatting import ConditionalFormatting, ConditionalFormattingList
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.worksheet import Worksheet

# --- header and data cells -------------------------------------------------------------------
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="FFDDEBF7")
HEADER_BORDER = Border(bottom=Side(style="thin", color="FF8EA9DB"))
HEADER_ALIGNMENT = Alignment(vertical="center")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"

# --- notes (cell comments + highlight) ------------------------------------------------------------
COMMENT_AUTHOR = "syncd"
#: Fill colour (RRGGBB) per note kind. Distinctive shades, so a later write can tell syncd's own
#: highlights from fills people chose, even after Excel rewrote the fill record.
NOTE_COLOURS = {
    "conflict": "FFD8A8",  # light orange
    "duplicate": "FFF2A8",  # light yellow
    "deleted": "FFC9C9",  # light red
}
#: When several notes of different kinds land on one cell, the highest kind colours it.
NOTE_PRIORITY = ("conflict", "deleted", "duplicate")
NOTE_FILLS = {kind: PatternFill(fill_type="solid", fgColor="FF" + rgb) for kind, rgb in NOTE_COLOURS.items()}
#: Joins syncd's note and a comment a person had written on the same cell, so the person's text
#: survives and can be separated again on the next write.
HUMAN_COMMENT_MARK = "\n\n— earlier comment by {author} —\n"
#: How the comment on a cell whose text was too long starts (see ``OVERFLOW_NOTE``).
OVERFLOW_NOTE_START = "This cell held "
OVERFLOW_NOTE = (
    OVERFLOW_NOTE_START + "{length:,} characters, more than the {limit:,} a spreadsheet cell can hold. "
    "The rest of the text is here:\n{rest}"
)
HUMAN_COMMENT_RE = re.compile(r"\n\n— earlier comment by (?P<author>.*?) —\n(?P<text>.*)\Z", re.S)

# --- meta sheet -------------------------------------------------------------------------------
META_EXPLANATION = (
    "This sheet is used by syncd to know which version this file is. Please do not edit it."
)
#: Hidden sheet holding dropdown lists too long (or with commas) for Excel's inline list syntax.
LISTS_SHEET = "_syncd lists"
#: Data validation dropdowns reach this many blank rows below the data, so new rows get them too.
DROPDOWN_EXTRA_ROWS = 1000
DROPDOWN_ERROR = "This value is not in the list. Choose Yes to keep it anyway, or No to pick from the list."

# --- sizes ------------------------------------------------------------------------------------
MIN_WIDTH = 8.0
MAX_WIDTH = 60.0
#: Columns are sized from this many evenly spread rows, so sizing stays cheap on huge sheets.
WIDTH_SAMPLE_ROWS = 2000
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
_COMMENT_MIN_W, _COMMENT_MAX_W, _COMMENT_LINE_H = 160, 420, 15
_EXCEL_MAX_COLUMN = 16384

# Characters XML 1.0 forbids. Line-ish controls become line breaks; the rest become the visible
# "control picture" symbol (␀, ␁, ...) so nothing disappears without trace. Lone surrogates and the
# two non-characters cannot even be encoded and become the replacement character.
_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")


def _replace_illegal(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in "\x0b\x0c":
        return "\n"
    if ch < "\x20":
        return chr(0x2400 + ord(ch))
    return "\ufffd"


def clean_text(text: str) -> str:
    """Return ``text`` with characters a spreadsheet file cannot hold replaced by visible ones."""
    if _ILLEGAL_RE.search(text) is None:
        return text
    return _ILLEGAL_RE.sub(_replace_illegal, text)


def normalize_header(name: object) -> str:
    """The form in which header names are compared: case-, space- and width-insensitive."""
    text = unicodedata.normalize("NFKC", str(name))
    return " ".join(text.split()).casefold()


def sheet_title_problem(title: str) -> str | None:
    """Why ``title`` cannot be a sheet name in Excel, in a person's words; ``None`` if it can."""
    if not title or not title.strip():
        return "a sheet name cannot be empty"
    if len(title) > 31:
        return f"the sheet name “{title}” is longer than the 31 characters Excel allows"
    if _SHEET_TITLE_BAD.search(title) or title.startswith("'") or title.endswith("'"):
        return (f"the sheet name “{title}” contains a character Excel does not allow "
                "(\\ / * ? : [ ] or a quote at either end)")
    if _ILLEGAL_RE.search(title):
        return f"the sheet name “{title}” contains an invisible control character"
    return None


def display_width(value: object) -> int:
    """Roughly how many character widths ``value`` needs in a cell (its longest line)."""
    if value is None:
        return 0
    if isinstance(value, str):
        line = max(value.split("\n"), key=len) if "\n" in value else value
        if line.isascii():
            return len(line)
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
    if isinstance(value, bool):
        return 5
    if hasattr(value, "hour") and hasattr(value, "year"):
        return 16
    if hasattr(value, "year"):
        return 10
    return len(str(value))


def column_width(header: str, values: Sequence[object]) -> float:
    """A width (in Excel's character units) fitting the header and a sample of ``values``, capped."""
    step = max(1, len(values) // WIDTH_SAMPLE_ROWS)
    widest = max([display_width(header) + 3] + [display_width(v) for v in values[::step]])
    return float(min(MAX_WIDTH, max(MIN_WIDTH, widest + 2)))


def comment_size(text: str) -> tuple[int, int]:
    """Width and height (points) for a comment box that shows ``text`` without scrolling."""
    lines = text.split("\n")
    longest = max(display_width(line) for line in lines)
    width = min(_COMMENT_MAX_W, max(_COMMENT_MIN_W, 6 * longest + 16))
    chars_per_line = max(1, (width - 16) // 6)
    rows = sum(1 + display_width(line) // chars_per_line for line in lines)
    return width, min(600, 20 + _COMMENT_LINE_H * rows)


def is_note_fill(fill: object) -> bool:
    """Whether a fill record is one of syncd's note highlights (matched by colour, not identity)."""
    if getattr(fill, "fill_type", None) != "solid":
        return False
    rgb = getattr(getattr(fill, "fgColor", None), "rgb", None)
    return isinstance(rgb, str) and rgb[-6:].upper() in NOTE_COLOURS.values()


# --- moving references when kept template columns move ----------------------------------------
ColumnMap = Callable[[int], "int | None"]
_CELL_RE = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)(\d+)")
_COL_RE = re.compile(r"(\$?)([A-Za-z]{1,3})")


def _runs(columns: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for c in sorted(set(columns)):
        if runs and runs[-1][1] == c - 1:
            runs[-1] = (runs[-1][0], c)
        else:
            runs.append((c, c))
    return runs


def remap_ranges(sqref: MultiCellRange, colmap: ColumnMap) -> MultiCellRange:
    """Move every cell range to where its columns went; parts in removed columns disappear."""
    out: list[str] = []
    for rng in sqref.ranges:
        moved = (colmap(c) for c in range(rng.min_col, rng.max_col + 1))
        for lo, hi in _runs(c for c in moved if c is not None):
            out.append(CellRange(min_col=lo, min_row=rng.min_row, max_col=hi, max_row=rng.max_row).coord)
    return MultiCellRange(" ".join(out))


def _move_column(letters: str, colmap: ColumnMap, towards: int) -> str | None:
    """New letters for a column reference; for a range end, slide inwards past removed columns."""
    col = column_index_from_string(letters.upper())
    while 1 <= col <= _EXCEL_MAX_COLUMN:
        new = colmap(col)
        if new is not None:
            return get_column_letter(new)
        if towards == 0:
            return None
        col += towards
    return None


def _remap_ref(ref: str, colmap: ColumnMap) -> str | None:
    parts = ref.split(":")
    if len(parts) > 2:
        return ref
    moved = []
    for i, part in enumerate(parts):
        towards = 0 if len(parts) == 1 else (1 if i == 0 else -1)
        # A lone "ABC" is a defined name; letters alone only mean a column as one end of "A:C".
        m = _CELL_RE.fullmatch(part) or (_COL_RE.fullmatch(part) if len(parts) == 2 else None)
        if m is None:
            if part.lstrip("$").isdigit():  # a whole-row reference does not move
                moved.append(part)
                continue
            return ref  # a defined name, not a cell reference
        letters = _move_column(m.group(2), colmap, towards)
        if letters is None:
            return None
        moved.append(m.group(1) + letters + part[len(m.group(1)) + len(m.group(2)):])
    return ":".join(moved)


def remap_formula(formula: str | None, colmap: ColumnMap, sheet: str) -> str | None:
    """Rewrite references to ``sheet`` (or unqualified ones) in ``formula`` as columns moved.

    References into removed columns become ``#REF!``, as Excel does when a column is deleted.
    """
    if not formula:
        return formula
    prefixed = formula if formula.startswith("=") else "=" + formula
    try:
        tokens = Tokenizer(prefixed)
    except Exception:  # not a formula Excel could parse either: leave it as it was
        return formula
    changed = False
    for tok in tokens.items:
        if tok.type != Token.OPERAND or tok.subtype != Token.RANGE:
            continue
        qualifier, _, ref = tok.value.rpartition("!")
        if qualifier and qualifier.strip("'").replace("''", "'") != sheet:
            continue
        new = _remap_ref(ref, colmap)
        new_value = (qualifier + "!" if qualifier else "") + new if new is not None else "#REF!"
        if new_value != tok.value:
            tok.value = new_value
            changed = True
    if not changed:
        return formula
    rendered = tokens.render()
    return rendered if formula.startswith("=") else rendered[1:]


# --- keeping a template's look while its data area is rewritten ---------------------------------


def forget_merges_and_rows(ws: Worksheet, last_col: int) -> None:
    """Drop merged ranges reaching into columns 1..``last_col`` (the data is rewritten under them)
    and the per-row heights and hidden flags below the header, which belong to rows, not positions."""
    for merged in list(ws.merged_cells.ranges):
        if merged.min_col <= last_col:
            ws.merged_cells.remove(merged)
    for r in [r for r in ws.row_dimensions if r >= 2]:
        del ws.row_dimensions[r]


def rebuild_columns(ws: Worksheet, colmap: ColumnMap, old_extent: int, fresh: dict[int, float], hidden: int) -> None:
    """Move column widths/visibility/styles to where their columns went.

    ``fresh`` gives the width of every column that has no old column to inherit from; column
    ``hidden`` (the id column) is hidden.
    """
    limit = max([old_extent, hidden, *fresh])
    per_col: dict[int, ColumnDimension] = {}
    tails: list[tuple[int, int, ColumnDimension]] = []
    for dim in list(ws.column_dimensions.values()):
        lo = dim.min or column_index_from_string(dim.index)
        hi = max(dim.max or lo, lo)
        for c in range(lo, min(hi, limit) + 1):
            per_col[c] = dim
        if hi > limit:
            tails.append((max(lo, limit + 1), hi, dim))
    moved = {}
    for c, dim in per_col.items():
        d = colmap(c)
        if d is not None and d not in fresh:
            moved[d] = dim
    ws.column_dimensions.clear()
    for d, dim in sorted(moved.items()):
        _copy_dim(ws, dim, d, d)
    for lo, hi, dim in tails:
        _copy_dim(ws, dim, lo, hi)
    for d, width in fresh.items():
        ws.column_dimensions[get_column_letter(d)].width = width
    ws.column_dimensions[get_column_letter(hidden)].hidden = True


def _copy_dim(ws: Worksheet, dim: ColumnDimension, lo: int, hi: int) -> None:
    new = ColumnDimension(ws, index=get_column_letter(lo), width=dim.width, bestFit=dim.bestFit, hidden=dim.hidden,
                          outlineLevel=dim.outlineLevel, collapsed=dim.collapsed, min=lo, max=hi)
    new._style = copy(dim._style)
    ws.column_dimensions[new.index] = new


def _grow(sqref: MultiCellRange, old_last: int, new_last: int) -> MultiCellRange:
    # A rule that covered the data down to its last row keeps covering it when there are more rows.
    if old_last < 2 or new_last <= old_last:
        return sqref
    out = []
    for rng in sqref.ranges:
        if rng.min_row <= 2 and old_last <= rng.max_row < new_last:
            rng = CellRange(min_col=rng.min_col, min_row=rng.min_row, max_col=rng.max_col, max_row=new_last)
        out.append(rng.coord)
    return MultiCellRange(" ".join(out))


def move_rules(ws: Worksheet, colmap: ColumnMap, old_last: int, new_last: int) -> None:
    """Move data validations and conditional formats with their columns (formulas too); rules on
    removed columns go; rules that covered all data rows are stretched over the new data."""
    kept = []
    for dv in ws.data_validations.dataValidation:
        sqref = _grow(remap_ranges(dv.sqref, colmap), old_last, new_last)
        if sqref.ranges:
            dv.sqref = sqref
            dv.formula1 = remap_formula(dv.formula1, colmap, ws.title)
            dv.formula2 = remap_formula(dv.formula2, colmap, ws.title)
            kept.append(dv)
    ws.data_validations.dataValidation = kept
    old = ws.conditional_formatting
    new = ConditionalFormattingList()
    for cf in old:
        sqref = _grow(remap_ranges(cf.sqref, colmap), old_last, new_last)
        if not sqref.ranges:
            continue
        target = ConditionalFormatting(sqref=sqref, pivot=cf.pivot)
        for rule in cf.rules:
            rule.formula = [remap_formula(f, colmap, ws.title) for f in rule.formula]
            new.add(target, rule)
    new.max_priority = max(new.max_priority, old.max_priority)
    ws.conditional_formatting = new


def drop_column_validations(ws: Worksheet, col: int) -> None:
    """Take column ``col`` out of every data validation of ``ws`` (a cell may only have one)."""
    keep = []
    for dv in ws.data_validations.dataValidation:
        dv.sqref = remap_ranges(dv.sqref, lambda c: None if c == col else c)
        if dv.sqref.ranges:
            keep.append(dv)
    ws.data_validations.dataValidation = keep


def set_filter(ws: Worksheet, ref: str, colmap: ColumnMap, names: Sequence[str]) -> None:
    """Put the filter buttons over ``ref`` (the whole table, id column included).

    An Excel table ("Format as Table") that started at A1 is stretched over the new data with the
    new header names (Excel refuses a file whose table names differ from its header cells); other
    tables overlapping the data are dropped. Otherwise the sheet's filter keeps its criteria on the
    columns that are still there; a sort order is dropped, it described the old rows.
    """
    width = range_boundaries(ref)[2]
    main = None
    for name in list(ws.tables.keys()):
        table = ws.tables[name]
        min_col, min_row, _, _ = range_boundaries(table.ref)
        if (min_col, min_row) == (1, 1) and main is None:
            main = table
        elif min_col <= width:
            del ws.tables[name]
    if main is not None:
        main.ref = ref
        main.autoFilter = None
        main.sortState = None
        main.tableColumns = []
        main.totalsRowCount = None
        main.totalsRowShown = None
        main._initialise_columns()
        for column, name in zip(main.tableColumns, names):
            column.name = name
        ws.auto_filter.ref = None
        return
    flt = ws.auto_filter
    first = range_boundaries(flt.ref)[0] if flt.ref else 1
    kept = []
    for column in flt.filterColumn:
        new = colmap(first + column.colId)
        if new is not None and new <= width:
            column.colId = new - 1
            kept.append(column)
    flt.filterColumn = kept
    flt.sortState = None
    flt.ref = ref
