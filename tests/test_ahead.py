"""Rows rendered ahead of the write (while the duplicate search runs) make the very workbook the
write would make by itself, with the notes the search gave, on real files."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile

import openpyxl

from syncd.model import Table
from syncd.workbook import sheetxml
from syncd.workbook.ahead import render_ahead
from syncd.workbook.template import open_ahead
from syncd.workbook.write import CellNote, write_canonical
from test_write import doc_of, personalise

COLUMNS = ["Task", "Owner", "Due", "Hours"]
LONG = "Brief: " + "x" * 40_000  # longer than a cell holds: the rest goes to the cell's comment


def _rows(n: int) -> tuple[list[list], list[str]]:
    rows = [[f"Task {k}", ("Ann", "Bob", "Cem")[k % 3], dt.date(2024, 3, 1 + k % 28), k % 7 + 0.5] for k in range(n)]
    rows[5][0] = LONG
    return rows, [f"r{k}" for k in range(n)]


#: the write's time in the hidden _syncd sheet: two writes a second apart differ in it
_WRITTEN_AT = re.compile(rb"(<t>written_at</t></is></c><c [^>]*><is><t>)[^<]*")


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        # the save time is the one thing two writes of the same doc differ in
        return {n: _WRITTEN_AT.sub(rb"\1", z.read(n)) for n in z.namelist() if n != "docProps/core.xml"}


def _template(tmp_path, rows, ids):
    path = tmp_path / "canonical.xlsx"
    write_canonical(doc_of(rows, ids, COLUMNS), path)
    personalise(path)  # a styled row, a person's comment, formats: rows the write renders itself
    return path


def _written_both_ways(tmp_path, doc, table_ahead, monkeypatch=None):
    """``doc`` written on a copy of the template with rows rendered ahead for ``table_ahead``, and
    written on another copy without; and the rows the first write rendered itself."""
    ahead_path, plain_path = tmp_path / "ahead.xlsx", tmp_path / "plain.xlsx"
    shutil.copy(tmp_path / "canonical.xlsx", ahead_path)
    shutil.copy(tmp_path / "canonical.xlsx", plain_path)
    opened = open_ahead(ahead_path, "Tasks", ())
    ahead = render_ahead(opened, table_ahead)
    assert ahead is not None
    rendered: list[int] = []
    if monkeypatch is not None:
        real = sheetxml.SheetData.plain_cells
        monkeypatch.setattr(sheetxml.SheetData, "plain_cells",
                            lambda self, row, values, cols: rendered.append(row) or real(self, row, values, cols))
    write_canonical(doc, ahead_path, template=ahead_path, opened=opened, ahead=ahead)
    if monkeypatch is not None:
        monkeypatch.undo()
    write_canonical(doc, plain_path, template=plain_path)
    return ahead_path, plain_path, rendered


def test_rows_rendered_ahead_and_the_search_s_notes_make_the_workbook_the_write_makes(tmp_path, monkeypatch):
    rows, ids = _rows(40)
    _template(tmp_path, rows, ids)
    rows[3][1], rows[30][3] = "Dan", 12.0  # the table of this sync
    notes = (CellNote("r7", "Task", "Possible duplicate of row 9", "duplicate"),
             CellNote("r5", "Task", "Possible duplicate of row 30", "duplicate"))
    doc = doc_of(rows, ids, COLUMNS, notes=notes)
    ahead_path, plain_path, rendered = _written_both_ways(tmp_path, doc, doc.table, monkeypatch)
    # every plain row came from the rows rendered ahead; the noted rows (7, 9) were rendered again,
    # their cells without a note the plain way
    assert set(rendered) <= {7, 9}
    assert _parts(ahead_path) == _parts(plain_path)
    ws = openpyxl.load_workbook(ahead_path)["Tasks"]
    # the noted rows were rendered again, with their highlight and note
    assert ws["A9"].comment.text.startswith("Possible duplicate of row 9") and ws["A9"].fill.fill_type == "solid"
    # and the rest of a noted row is as in any other row: its values, in their columns' formats
    assert (ws["B9"].value, ws["C9"].value.date(), ws["D9"].value) == ("Bob", dt.date(2024, 3, 8), 0.5)
    for col in "BCD":
        noted, plain = ws[f"{col}9"], ws[f"{col}10"]
        assert noted.comment is None and noted.fill.fill_type is None
        assert (noted.number_format, noted.font.b, noted.alignment.horizontal) == (
            plain.number_format, plain.font.b, plain.alignment.horizontal)
    assert "Possible duplicate of row 30" in ws["A7"].comment.text and ws["A7"].value == LONG[:32_767]
    assert ws["B5"].value == "Dan" and ws["D32"].value == 12


def test_a_long_text_rendered_ahead_keeps_its_rest_in_the_cell_comment(tmp_path):
    rows, ids = _rows(12)
    _template(tmp_path, rows, ids)
    doc = doc_of(rows, ids, COLUMNS)
    ahead_path, plain_path, _ = _written_both_ways(tmp_path, doc, doc.table)
    assert _parts(ahead_path) == _parts(plain_path)
    comment = openpyxl.load_workbook(ahead_path)["Tasks"]["A7"].comment
    assert comment is not None and "x" * 7_000 in comment.text


def test_rows_rendered_for_another_table_are_not_used(tmp_path):
    # the search merged two rows as duplicates: the table written is not the one rendered ahead
    rows, ids = _rows(20)
    _template(tmp_path, rows, ids)
    before = Table.from_lists(COLUMNS, rows, ids)
    merged = doc_of(rows[:8] + rows[9:], ids[:8] + ids[9:], COLUMNS)
    ahead_path, plain_path, _ = _written_both_ways(tmp_path, merged, before)
    assert _parts(ahead_path) == _parts(plain_path)
    got = [r[0] for r in openpyxl.load_workbook(ahead_path)["Tasks"].iter_rows(min_row=2, max_col=1, values_only=True)]
    assert got == [r[0][:32_767] for r in rows[:8] + rows[9:]]


def test_rows_that_could_not_be_rendered_ahead_are_rendered_by_the_write(tmp_path, monkeypatch):
    rows, ids = _rows(12)
    path = _template(tmp_path, rows, ids)
    opened = open_ahead(path, "Tasks", ())

    def fails(*args):
        raise MemoryError("out of memory while rendering ahead")

    monkeypatch.setattr(sheetxml.SheetData, "plain_cells", fails)
    assert render_ahead(opened, Table.from_lists(COLUMNS, rows, ids)) is None  # no error for the sync
    monkeypatch.undo()
    doc = doc_of(rows, ids, COLUMNS)
    write_canonical(doc, path, template=path, opened=opened, ahead=None)
    got = [r[0] for r in openpyxl.load_workbook(path)["Tasks"].iter_rows(min_row=2, max_col=1, values_only=True)]
    assert got == [r[0][:32_767] for r in rows]


def test_rows_with_a_height_or_formats_beside_the_table_keep_them_when_rendered_ahead(tmp_path, monkeypatch):
    rows, ids = _rows(30)
    path = _template(tmp_path, rows, ids)
    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    ws.row_dimensions[10].height = 40  # a project manager made row 10 ("Task 8") taller
    ws.row_dimensions[12].hidden = True
    ws.cell(15, 8).fill = openpyxl.styles.PatternFill("solid", fgColor="FFFFFF00")  # a yellow cell right of the table
    wb.save(path)
    doc = doc_of(rows, ids, COLUMNS)
    ahead_path, plain_path, rendered = _written_both_ways(tmp_path, doc, doc.table, monkeypatch)
    ws = openpyxl.load_workbook(ahead_path)["Tasks"]
    assert ws.row_dimensions[10].height == 40 and ws.row_dimensions[12].hidden
    assert ws.cell(15, 8).fill.fgColor.rgb == "FFFFFF00" and ws["A10"].value == "Task 8"
    assert _parts(ahead_path) == _parts(plain_path)
    assert sorted(rendered) == [10, 12, 15]  # only those rows were rendered by the write
