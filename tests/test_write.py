"""The canonical workbook writer and the plain-table export, checked on real files.

Every test writes a real .xlsx into tmp_path and looks at it the way a person's spreadsheet program
would: through openpyxl (an independent reader), the raw sheet XML (to be sure text is text), and
where it matters LibreOffice itself.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table as ExcelTable

from syncd.errors import CanonicalChanged, CanonicalError, SyncdError, UsageError
from syncd.model import META_SHEET, ROW_ID_COLUMN, Table, WorkbookMeta
from syncd.workbook import template as template_module
from syncd.workbook.export import write_table
from syncd.workbook.meta import parse_meta_sheet
from syncd.workbook.write import CanonicalDoc, CellNote, write_canonical

COLUMNS = ["Task", "Owner", "Due", "Hours"]
ROWS = [
    ["Book venue", "Ann", dt.date(2024, 3, 1), 4],
    ["Print flyers", "Bob", dt.date(2024, 3, 5), 2.5],
    ["Send invites", "Cem", None, 1],
]
IDS = ["r1", "r2", "r3"]


def doc_of(rows=ROWS, ids=IDS, columns=COLUMNS, **kw) -> CanonicalDoc:
    meta = kw.pop("meta", WorkbookMeta(tracker="events", lineage="L1", generation=7))
    return CanonicalDoc(Table.from_lists(columns, rows, ids), meta=meta, **kw)


def data_sheet(path, name="Tasks"):
    return openpyxl.load_workbook(path)[name]


def header_of(ws) -> list:
    return [c.value for c in ws[1]]


def rows_of(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def sheet_xml(path, name="Tasks") -> str:
    """The raw XML of sheet ``name`` (files written by syncd name parts by sheet position)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    index = wb.sheetnames.index(name) + 1
    wb.close()
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode()


def cell_xml(path, ref, name="Tasks") -> str:
    m = re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', sheet_xml(path, name), re.S)
    assert m, f"no cell {ref}"
    return m.group()


def fill_rgb(cell) -> str | None:
    fill = cell.fill
    return fill.fgColor.rgb[-6:].upper() if fill is not None and fill.fill_type == "solid" else None


# --- what every canonical looks like -------------------------------------------------------------


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    tricky = ["=SUM(A1:A9)", "+49 30 123456", "-5 days", "@mention", "#N/A", '=HYPERLINK("http://x","y")']
    doc = doc_of([[t, "x", None, None] for t in tricky], [f"r{i}" for i in range(len(tricky))])
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc, path)

    xml = sheet_xml(path)
    assert "<f>" not in xml and "<f " not in xml
    for row in range(2, 2 + len(tricky)):
        assert 't="inlineStr"' in cell_xml(path, f"A{row}")
    ws = data_sheet(path)
    assert [ws.cell(r, 1).value for r in range(2, 2 + len(tricky))] == tricky
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 2 + len(tricky)))
    # Excel's "text" mark, so editing the cell in Excel does not turn it into a formula either
    assert ws["A2"].quotePrefix


def test_characters_a_spreadsheet_cannot_hold_are_replaced_visibly(tmp_path):
    doc = doc_of([["bell\x07 here", "line\x0bbreak", None, None], ["ok", "\ud800lone", None, None]], ["a", "b"])
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc, path)
    ws = data_sheet(path)
    assert ws["A2"].value == "bell\u2407 here"  # ␇: the text around it is all still there
    assert ws["B2"].value == "line\nbreak"
    assert ws["B3"].value == "\ufffdlone"


def test_hidden_id_column_is_last_hidden_filtered_and_carries_the_ids(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    ws = data_sheet(path)
    assert header_of(ws) == COLUMNS + [ROW_ID_COLUMN]
    assert ws.column_dimensions["E"].hidden
    assert [ws.cell(r, 5).value for r in range(2, 5)] == IDS
    assert ws.auto_filter.ref == "A1:E4"  # sorting in Excel keeps each id with its row
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    assert ws.column_dimensions["A"].width >= len("Print flyers")


def test_meta_sheet_is_hidden_and_names_the_generation(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    wb = openpyxl.load_workbook(path)
    meta = wb[META_SHEET]
    assert meta.sheet_state == "hidden"
    rows = [list(r) for r in meta.iter_rows(values_only=True)]
    assert parse_meta_sheet(rows) == ("events", "L1", 7)
    assert any("Please do not edit it" in str(v) for row in rows for v in row)
    assert dict((r[0], r[1]) for r in rows)["written_at"].endswith("+00:00")


def test_values_keep_their_types_and_dates_read_as_dates(tmp_path):
    when = dt.datetime(2024, 3, 1, 9, 30)
    rows = [["a", True, dt.date(2024, 3, 1), 2**60], ["b", when, dt.time(14, 15), float("nan")]]
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(rows, ["x", "y"]), path)
    ws = data_sheet(path)
    assert ws["B2"].value is True
    assert ws["C2"].value == dt.datetime(2024, 3, 1) and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["B3"].value == when and ws["B3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["C3"].value == dt.time(14, 15)
    assert ws["D2"].value == str(2**60)  # a number cell would round the last digits away
    assert ws["D3"].value == "nan"


def test_text_too_long_for_a_cell_keeps_the_rest_in_its_comment(tmp_path):
    long = "x" * 32_760 + "THE END" + "y" * 1000
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of([[long, None, None, None]], ["a"]), path)
    cell = data_sheet(path)["A2"]
    assert len(cell.value) == 32_767
    assert "more than the 32,767" in cell.comment.text
    assert cell.value + cell.comment.text.split("The rest of the text is here:\n", 1)[1] == long


# --- notes ---------------------------------------------------------------------------------------


def test_note_puts_comment_and_highlight_on_its_cell_and_a_rewrite_without_it_clears_both(tmp_path):
    path = tmp_path / "tasks.xlsx"
    notes = (CellNote("r2", "Owner", "Ann typed Bob, Cem typed Dan."), CellNote("r2", "Owner", "Second note."),
             CellNote("r3", "Task", "Also in another copy.", kind="duplicate"))
    write_canonical(doc_of(notes=notes), path)
    ws = data_sheet(path)
    owner = ws["B3"]
    assert owner.comment.author == "syncd"
    assert "Ann typed Bob" in owner.comment.text and "Second note." in owner.comment.text
    assert fill_rgb(owner) == "FFD8A8"
    assert fill_rgb(ws["A4"]) == "FFF2A8"
    assert ws["B2"].comment is None and fill_rgb(ws["B2"]) is None

    write_canonical(doc_of(), path, template=path)
    ws = data_sheet(path)
    for ref in ("B3", "A4"):
        assert ws[ref].comment is None
        assert fill_rgb(ws[ref]) is None


def test_note_for_unknown_row_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_canonical(doc_of(notes=(CellNote("nope", "Owner", "x"),)), tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


# --- other sheets --------------------------------------------------------------------------------


def test_extra_sheets_follow_the_data_sheet_and_an_empty_one_keeps_its_header(tmp_path):
    conflicts = Table.from_lists(["Status", "Task"], [["open", "=1+2"]])
    archive = Table.from_lists(["Archived on", "Task"], [])
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(extra_sheets=(("Conflicts", conflicts), ("Archive", archive))), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["Tasks", "Conflicts", "Archive"]
    assert wb.active.title == "Tasks"
    assert header_of(wb["Archive"]) == ["Archived on", "Task"] and wb["Archive"].max_row == 1
    assert wb["Conflicts"]["B2"].value == "=1+2" and wb["Conflicts"]["B2"].data_type == "s"
    assert wb["Conflicts"].freeze_panes == "A2" and wb["Conflicts"]["A1"].font.b

    # a second write replaces them instead of adding more
    write_canonical(doc_of(extra_sheets=(("Conflicts", Table.from_lists(["Status", "Task"], [])),
                                         ("Archive", archive))), path, template=path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames.count("Conflicts") == 1 and wb["Conflicts"].max_row == 1


def test_dropdowns_cover_the_rows_and_new_ones_below(tmp_path):
    path = tmp_path / "tasks.xlsx"
    drops = (("Tasks", "Owner", ("Ann", "Bob", "Cem")), ("Tasks", "Task", ("a, with comma", "b")))
    write_canonical(doc_of(dropdowns=drops), path)
    wb = openpyxl.load_workbook(path)
    validations = wb["Tasks"].data_validations.dataValidation
    owner = next(dv for dv in validations if "B2" in dv.sqref)
    assert owner.type == "list" and owner.formula1 == '"Ann,Bob,Cem"'
    assert "B500" in owner.sqref  # a row typed below the data gets the list too
    task = next(dv for dv in validations if "A2" in dv.sqref)
    lists_sheet, _, _ = task.formula1.partition("!")
    lists = wb[lists_sheet.strip("'")]
    assert lists.sheet_state == "hidden" and lists["A1"].value == "a, with comma"

    write_canonical(doc_of(dropdowns=drops), path, template=path)
    assert len(openpyxl.load_workbook(path)["Tasks"].data_validations.dataValidation) == 2


def test_invalid_sheet_name_is_a_message_not_a_crash(tmp_path):
    with pytest.raises(CanonicalError, match="sheet name"):
        write_canonical(CanonicalDoc(Table.from_lists(["A"], [], []), sheet="Q1/Q2"), tmp_path / "t.xlsx")


# --- keeping what people set up in the canonical -------------------------------------------------


def personalise(path):
    """Do to the canonical what a project manager does in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    ws["A1"].font = Font(name="Georgia", size=14, color="FF0000FF", bold=True)
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 4).number_format = "0.00"
    ws.column_dimensions["A"].width = 42
    dv = DataValidation(type="list", formula1='"Ann,Bob,Cem,Dan"')
    dv.add("B2:B200")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add("D2:D4", FormulaRule(formula=["$D2>3"], fill=PatternFill("solid", fgColor="FFFF0000")))
    ws.freeze_panes = "B2"
    ws.sheet_properties.tabColor = "FF00AA00"
    ws["A3"].font = Font(italic=True)  # the "Print flyers" row's task, made italic
    ws["B2"].comment = Comment("Ann is on leave in March", "Priya")
    notes = wb.create_sheet("Notes", 1)
    notes["A1"] = "Budget approved 2024-02-01"
    wb.save(path)


def test_template_formatting_survives_a_rewrite_with_changed_rows(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    personalise(path)

    rows = [["Print flyers", "Bob", dt.date(2024, 3, 6), 3], ROWS[0], ROWS[2], ["Order cake", "Dan", None, 1.5]]
    write_canonical(doc_of(rows, ["r2", "r1", "r3", "r4"]), path, template=path)

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Tasks", "Notes"] and wb["Notes"]["A1"].value == "Budget approved 2024-02-01"
    ws = wb["Tasks"]
    assert [r[:4] for r in rows_of(ws)] == [
        ["Print flyers", "Bob", dt.datetime(2024, 3, 6), 3],
        ["Book venue", "Ann", dt.datetime(2024, 3, 1), 4],
        ["Send invites", "Cem", None, 1],
        ["Order cake", "Dan", None, 1.5],
    ]
    assert ws["A1"].font.name == "Georgia" and ws["A1"].font.sz == 14
    assert ws["D5"].number_format == "0.00"  # the new row got its column's format
    assert ws.column_dimensions["A"].width == 42
    assert ws.freeze_panes == "B2"
    assert ws.sheet_properties.tabColor.rgb == "FF00AA00"
    assert any("B2" in dv.sqref and dv.formula1 == '"Ann,Bob,Cem,Dan"' for dv in ws.data_validations.dataValidation)
    assert [str(cf.sqref) for cf in ws.conditional_formatting] == ["D2:D5"]  # stretched over the new row
    # row formatting and comments follow their task, not the position
    assert ws["A2"].font.i and not ws["A3"].font.i
    assert ws["B3"].comment is not None and ws["B3"].comment.text == "Ann is on leave in March"
    assert ws["B2"].comment is None
    assert ws.column_dimensions["E"].hidden and ws["E5"].value == "r4"


def test_same_doc_written_twice_on_its_template_gives_the_same_sheet(tmp_path):
    path = tmp_path / "tasks.xlsx"
    doc = doc_of(notes=(CellNote("r1", "Due", "conflict"),))
    write_canonical(doc, path)
    personalise(path)
    write_canonical(doc, path, template=path)
    first = sheet_xml(path)
    write_canonical(doc, path, template=path)
    assert sheet_xml(path) == first
    ws = data_sheet(path)
    assert ws["B2"].comment.text == "Ann is on leave in March"


def test_columns_people_moved_stay_where_they_put_them(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    # Owner dragged to the front: the header and every cell move with it, the header renamed loosely
    for r in range(1, ws.max_row + 1):
        task, owner = ws.cell(r, 1).value, ws.cell(r, 2).value
        ws.cell(r, 1).value, ws.cell(r, 2).value = owner, task
    ws["A1"] = "  OWNER "
    ws.column_dimensions["A"].width = 11
    ws.column_dimensions["B"].width = 33
    wb.save(path)

    columns = COLUMNS + ["Priority"]
    rows = [r + ["high"] for r in ROWS]
    write_canonical(doc_of(rows, columns=columns), path, template=path)
    ws = data_sheet(path)
    assert header_of(ws) == ["Owner", "Task", "Due", "Hours", "Priority", ROW_ID_COLUMN]
    assert rows_of(ws)[1] == ["Bob", "Print flyers", dt.datetime(2024, 3, 5), 2.5, "high", "r2"]
    assert ws.column_dimensions["A"].width == 11 and ws.column_dimensions["B"].width == 33
    assert ws.column_dimensions["F"].hidden and not ws.column_dimensions["E"].hidden


def test_a_column_typed_without_a_header_stays_where_it_was_typed(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    ws.insert_cols(3)
    for r, text in ((2, "venue booked?"), (4, "ask Cem")):
        ws.cell(r, 3).value = text
    wb.save(path)

    # the reader names such a column after its letter; the merge hands it back under that name
    rows = [r + [c] for r, c in zip(ROWS, ["venue booked?", None, "ask Cem"])]
    write_canonical(doc_of(rows, columns=COLUMNS + ["Column C"]), path, template=path)
    ws = data_sheet(path)
    assert header_of(ws) == ["Task", "Owner", "Column C", "Due", "Hours", ROW_ID_COLUMN]
    assert [ws.cell(r, 3).value for r in (2, 3, 4)] == ["venue booked?", None, "ask Cem"]


def test_removed_column_takes_its_formats_and_rules_along(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    dv = DataValidation(type="list", formula1='"1,2,4"')
    dv.add("D2:D4")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add("A2:D4", FormulaRule(formula=['$D2>3'], fill=PatternFill("solid", fgColor="FFFF0000")))
    ws.column_dimensions["D"].width = 21
    wb.save(path)

    # "Owner" is gone: Due and Hours move one to the left, and so does everything about them
    rows = [[r[0], r[2], r[3]] for r in ROWS]
    write_canonical(doc_of(rows, columns=["Task", "Due", "Hours"]), path, template=path)
    ws = data_sheet(path)
    assert header_of(ws) == ["Task", "Due", "Hours", ROW_ID_COLUMN]
    assert ws.column_dimensions["C"].width == 21
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == ["C2:C4"]
    (cf,) = list(ws.conditional_formatting)
    assert str(cf.sqref) == "A2:C4" and cf.rules[0].formula == ["$C2>3"]
    assert ws.column_dimensions["D"].hidden


def test_an_excel_table_is_stretched_over_the_new_data(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    ws.auto_filter.ref = None
    ws.add_table(ExcelTable(displayName="Tracker", ref="A1:E4"))
    wb.save(path)

    rows = ROWS + [["Order cake", "Dan", None, 1]]
    write_canonical(doc_of(rows, IDS + ["r4"], columns=["Task", "Person", "Due", "Hours"]), path, template=path)
    ws = data_sheet(path)
    table = ws.tables["Tracker"]
    assert table.ref == "A1:E5"
    assert table.column_names == header_of(ws)  # Excel refuses a file where these differ


def test_formatting_of_rows_follows_them_when_read_back_via_libreoffice(tmp_path):
    """A canonical saved by LibreOffice (shared strings, its own XML) still works as a template."""
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    personalise(path)
    from builders import resave_with_libreoffice

    resave_with_libreoffice(path, tmp_path / "lo" / "tasks.xlsx")
    lo = tmp_path / "lo" / "tasks.xlsx"
    write_canonical(doc_of([ROWS[2], ROWS[1], ROWS[0]], ["r3", "r2", "r1"]), lo, template=lo)
    ws = data_sheet(lo)
    assert [r[0] for r in rows_of(ws)] == ["Send invites", "Print flyers", "Book venue"]
    assert ws["A3"].font.i and not ws["A2"].font.i and not ws["A4"].font.i
    assert ws["B4"].comment is not None and "on leave" in ws["B4"].comment.text
    assert ws["A1"].font.name == "Georgia"


def test_syncds_note_is_recognised_after_libreoffice_forgot_its_author(tmp_path):
    from builders import resave_with_libreoffice

    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(notes=(CellNote("r2", "Owner", "Ann typed Bob, Cem typed Dan."),)), path)
    lo = resave_with_libreoffice(path, tmp_path / "lo" / "tasks.xlsx")
    write_canonical(doc_of(), lo, template=lo)
    ws = data_sheet(lo)
    assert ws["B3"].comment is None and fill_rgb(ws["B3"]) is None


def test_a_persons_comment_and_link_stay_with_their_task_next_to_syncds_note(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    ws["A3"].comment = Comment("Printer quote attached", "Priya")
    ws["A3"].hyperlink = "https://example.com/quote"
    wb.save(path)

    resorted = [ROWS[1], ROWS[2], ROWS[0]]
    write_canonical(doc_of(resorted, ["r2", "r3", "r1"], notes=(CellNote("r2", "Task", "Retitled in two copies."),)),
                    path, template=path)
    ws = data_sheet(path)
    assert ws["A2"].value == "Print flyers" and ws["A2"].hyperlink.target == "https://example.com/quote"
    assert "Retitled in two copies." in ws["A2"].comment.text and "Printer quote attached" in ws["A2"].comment.text
    assert ws["A3"].comment is None and ws["A3"].hyperlink is None

    write_canonical(doc_of(resorted, ["r2", "r3", "r1"]), path, template=path)  # the conflict is settled
    comment = data_sheet(path)["A2"].comment
    assert (comment.author, comment.text) == ("Priya", "Printer quote attached")


def test_the_quick_template_scan_matches_a_full_load(tmp_path, monkeypatch):
    path = tmp_path / "tasks.xlsx"
    doc = doc_of(notes=(CellNote("r3", "Hours", "check"),))
    write_canonical(doc, path)
    personalise(path)
    quick, slow = tmp_path / "quick.xlsx", tmp_path / "slow.xlsx"
    shutil.copy(path, quick)
    shutil.copy(path, slow)
    write_canonical(doc, quick, template=quick)
    monkeypatch.setattr(template_module, "_fast_load", lambda *args: None)
    write_canonical(doc, slow, template=slow)
    assert sheet_xml(quick) == sheet_xml(slow)


def test_a_canonical_syncd_wrote_itself_is_scanned_without_checking_its_shape(tmp_path, monkeypatch):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    personalise(path)
    wb = openpyxl.load_workbook(path)
    wb["Tasks"].row_dimensions[3].height = 33
    wb.save(path)
    write_canonical(doc_of(), path, template=path)  # now byte for byte a file syncd wrote
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    checked = []
    real = template_module._check_shape
    monkeypatch.setattr(template_module, "_check_shape", lambda *args: checked.append(1) or real(*args))
    _, trusted = template_module.open_template(path, "Tasks", (), digest)
    assert checked == []  # five passes over the rows saved on every sync of a big tracker
    _, judged = template_module.open_template(path, "Tasks", (), None)
    assert checked == [1]  # a file anyone may have saved is checked
    assert trusted == judged and trusted.row_dims[3][0] == 33 and trusted.rows["r2"] == 3
    # given the ids of the table the file was written from, its rows' ids are not read again
    scanned = []
    real_ids = template_module.scan.scan_ids
    monkeypatch.setattr(template_module.scan, "scan_ids",
                        lambda xml, start, end, *a: scanned.append(xml.count(b"<row ", start, end)) or real_ids(xml, start, end, *a))
    ids = doc_of().table.row_ids
    _, given = template_module.open_template(path, "Tasks", (), digest, ids)
    assert given == judged and scanned == [1, 1]  # the last row and the header row only
    # ids that are not those of the rows written (another table, another sheet) are found out
    _, wrong = template_module.open_template(path, "Tasks", (), digest, tuple(reversed(ids)))
    _, fewer = template_module.open_template(path, "Tasks", (), digest, ids[:-1])
    assert wrong == judged and fewer == judged
    # a file that is not the one written from them is read as it is, whatever ids are given
    _, other = template_module.open_template(path, "Tasks", (), None, tuple(reversed(ids)))
    assert other == judged


def test_a_canonical_saved_by_an_unusual_program_still_keeps_its_formatting(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    personalise(path)
    # a program that writes each cell's type before its format (legal, just unusual)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    swapped = re.sub(r'<c r="([A-Z]+[0-9]+)" s="([0-9]+)" t="(\w+)"', r'<c r="\1" t="\3" s="\2"', sheet)
    assert swapped != sheet
    parts["xl/worksheets/sheet1.xml"] = swapped.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)

    write_canonical(doc_of([ROWS[1], ROWS[0], ROWS[2]], ["r2", "r1", "r3"]), path, template=path)
    ws = data_sheet(path)
    assert ws["A2"].value == "Print flyers" and ws["A2"].font.i and not ws["A3"].font.i


def test_unreadable_template_means_a_fresh_canonical(tmp_path):
    path = tmp_path / "tasks.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    write_canonical(doc_of(), path, template=path)
    assert header_of(data_sheet(path)) == COLUMNS + [ROW_ID_COLUMN]


def test_macros_in_the_template_are_not_carried_over(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 pretend macro")
    write_canonical(doc_of(), path, template=path)
    with zipfile.ZipFile(path) as z:
        assert not any("vba" in n.lower() for n in z.namelist())
        assert b"macroEnabled" not in z.read("[Content_Types].xml")


# --- replacing the file safely -------------------------------------------------------------------


def test_before_replace_raising_leaves_the_old_file_exactly_and_no_temp_file(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    before = path.read_bytes()

    def changed():
        raise CanonicalChanged("tasks.xlsx changed while syncd was merging")

    with pytest.raises(CanonicalChanged):
        write_canonical(doc_of(ROWS[:1], IDS[:1]), path, template=path, before_replace=changed)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.xlsx"]


def test_before_replace_sees_the_old_file_still_in_place(tmp_path):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    before = path.read_bytes()
    seen = []
    write_canonical(doc_of(ROWS[:1], IDS[:1]), path, before_replace=lambda: seen.append(path.read_bytes()))
    assert seen == [before] and path.read_bytes() != before


@pytest.mark.parametrize("where", ["replace", "flush"])
def test_disk_full_is_a_clear_message_and_the_old_file_survives(tmp_path, monkeypatch, where):
    path = tmp_path / "tasks.xlsx"
    write_canonical(doc_of(), path)
    before = path.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    # the disk may also report itself full only when the written data is flushed to it
    monkeypatch.setattr(os, "replace" if where == "replace" else "fsync", full)
    with pytest.raises(CanonicalError) as caught:
        write_canonical(doc_of(ROWS[:1], IDS[:1]), path, template=path)
    message = str(caught.value)
    assert "tasks.xlsx" in message and "disk is full" in message and "free some space" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.xlsx"]


# --- reading it back ---------------------------------------------------------------------------


def test_canonical_reads_back_through_syncds_reader(tmp_path):
    from syncd.workbook.read import read_sheet

    path = tmp_path / "tasks.xlsx"
    rows = [["=A1", "Ann", dt.date(2024, 3, 1), 4], ["#N/A", "  Bob", None, 2.5]]
    write_canonical(doc_of(rows, ["x1", "x2"], extra_sheets=(("Conflicts", Table.from_lists(["Status"], [["open"]])),)), path)
    read = read_sheet(path, "Tasks")
    assert read.table.columns == tuple(COLUMNS)
    assert read.table.row_ids == ("x1", "x2")
    assert read.table.rows[0] == ("=A1", "Ann", dt.date(2024, 3, 1), 4)
    assert read.table.rows[1][:2] == ("#N/A", "  Bob")
    assert (read.meta.tracker, read.meta.lineage, read.meta.generation) == ("events", "L1", 7)


@pytest.mark.libreoffice
def test_libreoffice_shows_formula_looking_text_as_typed(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
    path = tmp_path / "tasks.xlsx"
    rows = [["=1+1", "+1", dt.date(2024, 3, 1), 4], ["@x", "-2", None, 2.5]]
    write_canonical(doc_of(rows, ["a", "b"]), path)
    out = tmp_path / "out"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "csv", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )
    csv_path = out / "tasks.csv"
    assert csv_path.exists(), done.stderr
    lines = csv_path.read_text(encoding="utf-8", errors="replace").splitlines()
    assert lines[0] == "Task,Owner,Due,Hours,syncd id"
    assert lines[1] == "=1+1,+1,2024-03-01,4,a"
    assert lines[2] == "@x,-2,,2.5,b"


# --- export for `syncd merge -o` -----------------------------------------------------------------


def test_export_csv_is_plain_utf8_with_iso_dates_and_conflicts_beside_it(tmp_path):
    table = Table.from_lists(["Task", "Due", "Note"], [["Café, bar", dt.date(2024, 3, 1), None],
                                                      ['say "hi"', dt.datetime(2024, 3, 1, 9, 30), 3]])
    conflicts = Table.from_lists(["Row", "Column"], [["Café, bar", "Due"]])
    out = tmp_path / "merged.csv"
    write_table(table, out, conflicts=conflicts)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8") == ('Task,Due,Note\n"Café, bar",2024-03-01,\n'
                                   '"say ""hi""",2024-03-01T09:30:00,3\n')
    side = tmp_path / "merged.conflicts.csv"
    assert side.read_text(encoding="utf-8") == 'Row,Column\n"Café, bar",Due\n'

    write_table(table, out, conflicts=Table.from_lists(["Row", "Column"], []))
    assert not side.exists()  # a stale list would describe an earlier merge


def test_export_xlsx_has_merged_and_conflicts_sheets_with_literal_text(tmp_path):
    table = Table.from_lists(["Task", "Due"], [["=cmd|' /C calc'!A0", dt.date(2024, 3, 1)]])
    out = tmp_path / "merged.xlsx"
    write_table(table, out, conflicts=Table.from_lists(["Row"], []))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Merged", "Conflicts"]
    assert wb["Merged"]["A2"].value == "=cmd|' /C calc'!A0" and wb["Merged"]["A2"].data_type == "s"
    assert "<f>" not in sheet_xml(out, "Merged")
    assert wb["Merged"]["B2"].number_format == "yyyy-mm-dd"


def test_export_format_can_be_named_for_extensionless_git_files(tmp_path):
    out = tmp_path / ".merge_file_a1b2c3"
    write_table(Table.from_lists(["A"], [["x"]]), out, fmt="xlsx")
    assert zipfile.is_zipfile(out)
    with pytest.raises(UsageError, match=r"\.csv or \.xlsx"):
        write_table(Table.from_lists(["A"], [["x"]]), tmp_path / "out.ods")


def test_export_to_a_missing_folder_says_so(tmp_path):
    with pytest.raises(SyncdError, match="folder does not exist"):
        write_table(Table.from_lists(["A"], [["x"]]), tmp_path / "nope" / "out.csv")
