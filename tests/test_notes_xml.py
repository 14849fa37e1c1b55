"""A canonical's many comments are written as text: byte for byte what openpyxl writes, and read back
by openpyxl and by a real LibreOffice with every note on its cell."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.comments import Comment
from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
from openpyxl.xml.functions import tostring

from syncd.model import Table, WorkbookMeta
from syncd.workbook import notes_xml
from syncd.workbook.write import CanonicalDoc, CellNote, write_canonical


def _openpyxl_parts(noted) -> tuple[bytes, bytes]:
    """The two parts as openpyxl's own writer makes them (ExcelWriter._write_comment)."""
    records = []
    for row, col, comment in noted:
        record = CommentRecord(ref=f"{openpyxl.utils.get_column_letter(col)}{row}", author=comment.author)
        record.text.t = comment.content
        record.height, record.width = comment.height, comment.width
        records.append(record)
    sheet = CommentSheet.from_comments(records)
    return tostring(sheet.to_tree()), sheet.write_shapes(None)


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(" \n\t&<>\"'"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 200_000), st.integers(1, 800), _text,
                          st.sampled_from(["syncd", "Priya", "", "Ann & Bob <ops>", " Cem "]),
                          st.integers(20, 900), st.integers(20, 900)),
                min_size=1, max_size=12, unique_by=lambda c: (c[0], c[1])))
def test_the_parts_are_byte_for_byte_what_openpyxl_writes(cells):
    noted = [(row, col, Comment(text, author, height=h, width=w)) for row, col, text, author, h, w in sorted(cells)]
    comments, drawing = _openpyxl_parts(noted)
    assert notes_xml.comments_part(noted) == comments
    assert notes_xml.drawing_part(noted) == drawing


def test_thousands_of_notes_each_reach_their_cell_in_the_saved_file(tmp_path):
    n = 3_000
    table = Table.from_lists(["Task", "Owner"], [[f"Task {k}", "Ann"] for k in range(n)], [f"r{k}" for k in range(n)])
    notes = tuple(CellNote(f"r{k}", "Task", f"Possible duplicate of row {k + 3} & <more>", kind="duplicate")
                  for k in range(0, n, 2))
    path = tmp_path / "tasks.xlsx"
    write_canonical(CanonicalDoc(table, meta=WorkbookMeta(tracker="t", lineage="L", generation=1), notes=notes), path)
    ws = openpyxl.load_workbook(path)["Tasks"]
    noted = {c.coordinate: c.comment for row in ws.iter_rows() for c in row if c.comment is not None}
    assert len(noted) == len(notes)
    assert noted["A2"].text == "Possible duplicate of row 3 & <more>" and noted["A2"].author == "syncd"
    assert noted[f"A{n}"].text == f"Possible duplicate of row {n + 1} & <more>"
    assert "A3" not in noted
    with zipfile.ZipFile(path) as z:
        vml = next(name for name in z.namelist() if name.endswith(".vml"))
        assert z.read(vml).count(b"<ns1:shape ") == len(notes)  # one box per comment, none left behind


@pytest.mark.libreoffice
def test_libreoffice_shows_every_note_of_a_big_canonical(tmp_path):
    # LibreOffice reads the comments from these parts: re-saved there, each note is still on its cell
    from builders import resave_with_libreoffice

    n = 400
    table = Table.from_lists(["Task", "Owner"], [[f"Task {k}", "Ann"] for k in range(n)], [f"r{k}" for k in range(n)])
    notes = tuple(CellNote(f"r{k}", "Owner", f"Ann typed Bob in copy {k}.") for k in range(0, n, 3))
    path = tmp_path / "tasks.xlsx"
    write_canonical(CanonicalDoc(table, meta=WorkbookMeta(tracker="t", lineage="L", generation=1), notes=notes), path)
    resaved = resave_with_libreoffice(path, tmp_path / "resaved.xlsx")
    ws = openpyxl.load_workbook(resaved)["Tasks"]
    shown = {c.coordinate: c.comment.text.strip() for row in ws.iter_rows() for c in row if c.comment is not None}
    assert shown == {f"B{k + 2}": f"Ann typed Bob in copy {k}." for k in range(0, n, 3)}
