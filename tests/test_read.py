"""The workbook reader, end to end on real files written to tmp_path: what a person typed in a
copy is what syncd sees, in the right columns, with the right types and row numbers."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from syncd.errors import CopyRejected
from syncd.model import META_SHEET
from syncd.workbook.header import build_table, detect_header
from syncd.workbook.read import list_sheets, read_sheet
from syncd.workbook.values import convert_rows, infer_text


def save(wb: openpyxl.Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def workbook(rows: list[list], title: str = "Tasks") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    return wb


def rewrite_member(path: Path, member: str, edit) -> None:
    """Rewrite one part of a saved workbook (for things openpyxl cannot write)."""
    src = zipfile.ZipFile(path)
    items = [(info, src.read(info)) for info in src.infolist()]
    src.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename == member:
                data = edit(data)
            dst.writestr(info.filename, data)


def patch_sheet_xml(path: Path, edit) -> None:
    rewrite_member(path, "xl/worksheets/sheet1.xml", edit)


# --- header and table shape ----------------------------------------------------------------------


def test_header_below_a_title_line_is_found(tmp_path):
    wb = workbook([["Marketing tracker Q3"], [], ["Task", "Owner", "Due"], ["Launch", "Ana", "Fri"], ["Brief", "Bo", "Mon"]])
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    assert read.table.columns == ("Task", "Owner", "Due")
    assert read.table.header_row == 3
    assert read.table.rows == (("Launch", "Ana", "Fri"), ("Brief", "Bo", "Mon"))
    assert read.table.row_numbers == (4, 5)


def test_empty_rows_and_columns_around_and_inside_the_table_are_dropped(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"], ws["C2"], ws["E2"] = "Task", "Owner", "Note"
    ws["B3"], ws["C3"] = "Launch", "Ana"
    # row 4 left empty on purpose
    ws["B5"], ws["D5"] = "Brief", "typed under no header"
    ws["H20"] = None  # a formatted-but-empty cell far away
    ws["H20"].font = openpyxl.styles.Font(bold=True)
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    # Column D has no header but holds data: kept, named after its letter, so nothing is lost.
    assert read.table.columns == ("Task", "Owner", "Column D", "Note")
    assert read.table.rows == (("Launch", "Ana", None, None), ("Brief", None, "typed under no header", None))
    assert read.table.row_numbers == (3, 5)
    assert read.table.header_row == 2


def test_header_names_are_cleaned_and_made_unique(tmp_path):
    wb = workbook([["  Task ", "Due\ndate", "Owner", "owner", "Owner"], ["a", "b", "c", "d", "e"]])
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    assert read.table.columns == ("Task", "Due date", "Owner", "owner (2)", "Owner (3)")


def test_merged_header_cell_names_each_column_it_covers(tmp_path):
    wb = workbook([["Task", "Budget", None, None, "Owner"], ["Launch", 100, 90, 10, "Ana"]])
    wb.active.merge_cells("B1:D1")
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    assert read.table.columns == ("Task", "Budget", "Budget (2)", "Budget (3)", "Owner")
    assert read.table.rows == (("Launch", 100, 90, 10, "Ana"),)


def test_hidden_syncd_id_column_becomes_row_ids(tmp_path):
    wb = workbook([["Task", " Syncd  ID ", "Owner"], ["Launch", "r-1", "Ana"], ["New one", None, "Bo"], ["Old", 17, "Cy"]])
    wb.active.column_dimensions["B"].hidden = True
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    assert read.table.columns == ("Task", "Owner")
    assert read.table.row_ids == ("r-1", None, "17")
    assert read.table.rows[1] == ("New one", "Bo")


# --- values ---------------------------------------------------------------------------------------


def test_cell_values_keep_their_types(tmp_path):
    wb = workbook(
        [
            ["Text", "Int", "Float", "Date", "When", "Done", "Formula-looking", "Padded", "Blank", "Time"],
            ["Launch", 9000, 2.5, dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 14, 30), True, "=SUM(A1:A9)", "  two  spaces  ", "   ", dt.time(9, 30)],
        ]
    )
    formula_like = wb.active["G2"]
    formula_like.data_type = "s"  # typed as text (with a leading apostrophe in Excel)
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    (row,) = read.table.rows
    assert row[:6] == ("Launch", 9000, 2.5, dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 14, 30), True)
    assert type(row[1]) is int and type(row[5]) is bool and type(row[3]) is dt.date
    assert row[6] == "=SUM(A1:A9)"
    assert row[7] == "  two  spaces  "
    assert row[8] is None
    assert row[9] == dt.time(9, 30)


def test_formulas_give_their_last_computed_value_never_the_formula(tmp_path):
    path = save(workbook([["Task", "Hours", "Double"], ["Launch", 2, "=B2*2"]]), tmp_path / "t.xlsx")
    # Excel stores the result it last computed next to the formula; openpyxl cannot, so add it.
    patch_sheet_xml(path, lambda xml: re.sub(rb"(<f>B2\*2</f>)(<v\s*/>|<v></v>)?", rb"\1<v>4</v>", xml))
    assert b"<f>B2*2</f><v>4</v>" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    read = read_sheet(path)
    assert read.table.rows == (("Launch", 2, 4),)


def test_1904_date_system_reads_the_dates_people_typed(tmp_path):
    wb = workbook([["Task", "Due"], ["Launch", dt.date(2024, 3, 1)], ["Start", dt.datetime(2023, 12, 31, 8, 0)]])
    wb.epoch = CALENDAR_MAC_1904
    path = save(wb, tmp_path / "mac.xlsx")
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    read = read_sheet(path)
    assert read.table.rows == (("Launch", dt.date(2024, 3, 1)), ("Start", dt.datetime(2023, 12, 31, 8, 0)))


# --- sheets and metadata ------------------------------------------------------------------------


def test_named_sheet_is_read_and_a_missing_one_lists_the_sheets_there_are(tmp_path):
    wb = workbook([["Notes"], ["x"]], title="Sheet1")
    tasks = wb.create_sheet("Tasks")
    tasks.append(["Task", "Owner"])
    tasks.append(["Launch", "Ana"])
    path = save(wb, tmp_path / "tracker_v3.xlsx")
    assert read_sheet(path, "tasks").sheet == "Tasks"
    assert read_sheet(path, "Tasks").table.rows == (("Launch", "Ana"),)
    with pytest.raises(CopyRejected) as err:
        read_sheet(path, "Budget")
    assert err.value.file == "tracker_v3.xlsx"
    assert "has no sheet called 'Budget' (it has: Sheet1, Tasks)" in str(err.value)
    assert list_sheets(path) == ("Sheet1", "Tasks")


def test_automatic_choice_skips_hidden_empty_and_syncds_own_sheets(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Conflicts"
    wb["Conflicts"].append(["Row", "Column", "Decision"])
    wb["Conflicts"].append([3, "Owner", "keep mine"])
    meta = wb.create_sheet(META_SHEET)
    meta.append(["generation", 4])
    meta.sheet_state = "hidden"
    wb.create_sheet("Cover")  # empty
    hidden = wb.create_sheet("Old")
    hidden.append(["Task"])
    hidden.append(["stale"])
    hidden.sheet_state = "hidden"
    tasks = wb.create_sheet("Tasks")
    tasks.append(["Task", "Owner"])
    tasks.append(["Launch", "Ana"])
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    assert read.sheet == "Tasks"
    assert read.sheets == ("Conflicts", META_SHEET, "Cover", "Old", "Tasks")
    assert dict(read.extras)["Conflicts"].records() == [{"Row": 3, "Column": "Owner", "Decision": "keep mine"}]


def test_meta_sheet_gives_tracker_lineage_and_generation(tmp_path):
    wb = workbook([["Task"], ["Launch"]])
    meta = wb.create_sheet(META_SHEET)
    for key, value in (("tracker", "marketing"), ("lineage", "7f3a-22"), ("generation", 12)):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    assert (read.meta.tracker, read.meta.lineage, read.meta.generation) == ("marketing", "7f3a-22", 12)
    assert read.sheet == "Tasks"


def test_bad_meta_sheet_means_unknown_not_rejected(tmp_path):
    wb = workbook([["Task"], ["Launch"]])
    meta = wb.create_sheet(META_SHEET)
    meta.append(["generation", "twelve"])
    read = read_sheet(save(wb, tmp_path / "t.xlsx"))
    assert read.meta.generation is None and read.meta.lineage is None
    assert read.table.rows == (("Launch",),)


def test_author_and_modified_come_from_document_properties(tmp_path):
    wb = workbook([["Task"], ["Launch"]])
    wb.properties.creator = "Bob"
    wb.properties.lastModifiedBy = "Alice"
    path = save(wb, tmp_path / "a.xlsx")
    # openpyxl stamps "now" on save; set the time Excel would have recorded instead.
    rewrite_member(path, "docProps/core.xml", lambda xml: re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-05-06T07:08:09Z", xml))
    read = read_sheet(path)
    assert read.meta.author == "Alice"
    assert read.meta.modified == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    wb.properties.lastModifiedBy = None
    assert read_sheet(save(wb, tmp_path / "b.xlsx")).meta.author == "Bob"


def test_a_sheet_with_nothing_in_it_is_rejected_with_what_to_do(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    with pytest.raises(CopyRejected) as err:
        read_sheet(save(wb, tmp_path / "blank.xlsx"))
    assert "no table found" in err.value.reason and "'Sheet1'" in err.value.reason
    assert err.value.advice


# --- CSV ------------------------------------------------------------------------------------------


def write_text(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


CSV_TEXT = "Task,Owner,Hours,Budget,Due,Done,Code\r\nCafé launch,Müller,9000,55000.0,2024-03-01,TRUE,007\r\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16", "cp1252"])
def test_csv_in_every_common_encoding(tmp_path, encoding):
    read = read_sheet(write_text(tmp_path / "tracker.csv", CSV_TEXT, encoding))
    assert read.table.columns == ("Task", "Owner", "Hours", "Budget", "Due", "Done", "Code")
    assert read.table.rows == (("Café launch", "Müller", 9000, 55000.0, dt.date(2024, 3, 1), True, "007"),)
    assert str(read.table.rows[0][3]) == "55000.0"
    assert read.sheet == "tracker" and read.meta.modified is not None and read.meta.author is None


def test_semicolon_csv_reads_decimal_commas(tmp_path):
    text = "Task;Hours;Ref\nLaunch;3,5;1.5\nBrief;12;2024-01-02 10:30\n"
    read = read_sheet(write_text(tmp_path / "eu.csv", text, "cp1252"))
    assert read.table.rows == (("Launch", 3.5, 1.5), ("Brief", 12, dt.datetime(2024, 1, 2, 10, 30)))


def test_comma_csv_keeps_decimal_comma_text_and_formula_text(tmp_path):
    text = 'Task,Note\nLaunch,"3,5"\nBrief,=SUM(A1:A2)\n'
    read = read_sheet(write_text(tmp_path / "t.csv", text, "utf-8"))
    assert read.table.rows == (("Launch", "3,5"), ("Brief", "=SUM(A1:A2)"))


def test_tsv_with_title_line_and_quoted_newlines(tmp_path):
    text = 'Team tracker\n\nTask\tOwner\tNotes\nLaunch\tAna\t"line one\nline two"\n\nBrief\tBo\t\n'
    read = read_sheet(write_text(tmp_path / "t.tsv", text, "utf-8"))
    assert read.table.columns == ("Task", "Owner", "Notes")
    assert read.table.rows == (("Launch", "Ana", "line one\nline two"), ("Brief", "Bo", None))
    assert read.table.header_row == 3
    assert read.table.row_numbers == (4, 6)


def test_csv_with_syncd_id_column(tmp_path):
    text = "syncd id,Task\nr-9,Launch\n,Brief\n"
    read = read_sheet(write_text(tmp_path / "t.csv", text, "utf-8"))
    assert read.table.columns == ("Task",)
    assert read.table.row_ids == ("r-9", None)


# --- pure pieces: header detection and CSV value inference ---------------------------------------

def test_numbers_only_sheet_uses_its_first_row_as_header():
    rows = [[2023, 2024], [1, 2], [3, 4]]
    assert detect_header(rows) == 0
    assert build_table(rows, 0).columns == ("2023", "2024")


def test_table_offsets_give_sheet_row_numbers_and_column_letters():
    rows = [["Task", None, "Owner"], ["Launch", "x", "Ana"]]
    table = build_table(rows, 0, row_offset=4, col_offset=2)  # the table starts at C5
    assert table.columns == ("Task", "Column D", "Owner")
    assert table.header_row == 5 and table.row_numbers == (6,)


@pytest.mark.parametrize(
    "text, value",
    [("9000", 9000), ("-12", -12), ("007", "007"), ("+5", "+5"), ("55000.0", 55000.0), ("1.10", "1.10"),
     ("1234567890123456", "1234567890123456"), ("2024-02-30", "2024-02-30"), ("true", True), ("False", False),
     ("TRUE ", "TRUE "), ("3,5", "3,5"), ("=1+1", "=1+1"), (" 9000", " 9000"), ("", None), ("  ", None)],
)
def test_csv_fields_become_numbers_only_when_they_read_back_as_typed(text, value):
    got = infer_text(text)
    assert got == value and type(got) is type(value)


@given(st.text(max_size=40), st.booleans())
def test_inferred_values_never_lose_what_was_typed(text, decimal_comma):
    value = infer_text(text, decimal_comma)
    if value is None:
        assert not text.strip()
    elif isinstance(value, str):
        assert value == text
    elif isinstance(value, bool):
        assert text.lower() == str(value).lower()
    elif isinstance(value, (int, float)):
        assert str(value) == (text.replace(",", ".") if decimal_comma else text)
    else:  # a date or datetime: same calendar day as typed
        assert value.isoformat()[:10] == text[:10]


@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=5), st.floats(allow_nan=False), st.integers(-10, 10), st.booleans()), min_size=1, max_size=4), max_size=6))
def test_convert_rows_keeps_shape_and_never_invents_values(rows):
    out = convert_rows(rows, 32_767)
    assert [len(r) for r in out] == [len(r) for r in rows]
    for before, after in zip((v for r in rows for v in r), (v for r in out for v in r)):
        if isinstance(before, float) and before.is_integer() and abs(before) < 2**53:
            assert after == before and type(after) is int
        elif isinstance(before, str) and not before.strip():
            assert after is None
        else:
            assert after == before and type(after) is type(before)


def test_legacy_xls_author_comes_from_its_summary_information():
    corpus = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"
    source = Path(os.environ.get("SYNCD_CORPUS", corpus)) / "poi__SimpleMacro.xls"
    if not source.exists():
        pytest.skip(f"corpus file {source} not present")
    meta = read_sheet(source).meta
    assert meta.author == "Nick Burch"
    assert meta.modified == dt.datetime(2016, 4, 10, 10, 49, 56, tzinfo=dt.timezone.utc)
