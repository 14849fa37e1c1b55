"""Google Sheets cells ↔ syncd's values, and the write-back plan, without HTTP.

The plan is applied by the stand-in's own spreadsheet model (which applies requests as Google does and
refuses what Google would refuse) and the result read back with syncd's reader, so these tests check
what a person would find in the sheet after syncd wrote it.
"""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_google.book import Spreadsheet
from fake_google.sheets import FTab, python_value, user_entered
from syncd.model import META_SHEET, Table, WorkbookMeta
from syncd.sources.google.plan import human_note, note_text, plan_mirror
from syncd.sources.google.values import from_serial, locate, normalise, parse_cell, parse_tab, to_serial
from syncd.workbook.meta import parse_meta_sheet
from syncd.workbook.write import CanonicalDoc, CellNote

NOW = "2026-06-10T09:00:00+00:00"


def book_with(rows: list[list] | None = None, title: str = "Tasks") -> Spreadsheet:
    book = Spreadsheet("S1", "Tracker")
    tab = FTab(0, title, 0)
    for r, row in enumerate(rows or []):
        for c, v in enumerate(row):
            tab.put(r, c, user_entered(v))
    book.tabs.append(tab)
    return book


def tabs_of(book: Spreadsheet):
    return [parse_tab(s) for s in book.resource([], include_grid=True)["sheets"]]


def mirror(book: Spreadsheet, doc: CanonicalDoc, title: str = "Tasks") -> list[dict]:
    tabs = tabs_of(book)
    tab = next((t for t in tabs if t.title == title), None)
    requests = plan_mirror(tabs, title, doc, locate(tab) if tab else None, now=NOW)
    if requests:
        book.batch_update(requests)
    return requests


def read_back(book: Spreadsheet, title: str = "Tasks") -> Table:
    tab = next(t for t in tabs_of(book) if t.title == title)
    found = locate(tab)
    assert found is not None
    return found.table


def doc_of(columns, rows, ids, *, gen=1, notes=(), extras=()) -> CanonicalDoc:
    return CanonicalDoc(Table.from_lists(columns, rows, ids), "Tasks",
                        WorkbookMeta(tracker="t", lineage="L1", generation=gen), tuple(notes), tuple(extras))


COLUMNS = ["ID", "Task", "Due", "Budget", "Done"]
ROWS = [["T-1", "Draft newsletter", dt.date(2026, 7, 1), 500, False],
        ["T-2", "Book venue", dt.date(2026, 7, 15), 1200.5, True],
        ["T-3", "=SUM(A1:A3)", dt.datetime(2026, 8, 1, 14, 30), None, False]]
IDS = ["ra", "rb", "rc"]


# --- values ------------------------------------------------------------------------------------------


@given(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1)))
def test_date_times_survive_the_serial_number_round_trip(moment):
    moment = normalise(moment)
    assert from_serial(to_serial(moment), "DATE_TIME") == moment or moment.time() == dt.time(0)
    assert from_serial(to_serial(moment.date()), "DATE") == moment.date()


def test_cells_are_read_with_their_types():
    assert parse_cell({"effectiveValue": {"numberValue": 46204.0},
                       "userEnteredFormat": {"numberFormat": {"type": "DATE"}}}).value == dt.date(2026, 7, 1)
    assert parse_cell({"effectiveValue": {"numberValue": 0.5}, "effectiveFormat": {"numberFormat": {"type": "TIME"}}}).value == dt.time(12)
    assert parse_cell({"effectiveValue": {"numberValue": 12.0}}).value == 12
    assert parse_cell({"effectiveValue": {"boolValue": True}}).value is True
    assert parse_cell({"effectiveValue": {"stringValue": "  "}}).value is None
    error = parse_cell({"userEnteredValue": {"formulaValue": "=1/0"}, "effectiveValue": {"errorValue": {"type": "DIV_ZERO"}},
                        "formattedValue": "#DIV/0!"})
    assert error.value == "#DIV/0!" and error.formula
    # what a hostile answer holds is ignored, not trusted
    assert parse_cell({"effectiveValue": {"numberValue": "1e309"}, "note": 5}).value is None


def test_a_tab_with_a_title_line_and_ragged_rows_gives_the_table_under_its_header():
    book = book_with([["Marketing tracker Q3"], [], ["ID", "Task", "Owner", "syncd id"], ["T-1", "Draft", None, "r1"],
                      ["T-2"], ["T-3", "Review", "Cleo"]])
    table = read_back(book)
    assert table.columns == ("ID", "Task", "Owner")
    assert table.rows == (("T-1", "Draft", None), ("T-2", None, None), ("T-3", "Review", "Cleo"))
    assert table.row_ids == ("r1", None, None) and table.row_numbers == (4, 5, 6) and table.header_row == 3


def test_syncd_notes_sit_above_a_persons_note_and_come_apart_again():
    mine = note_text(["Two people changed this"], "Call Bob first")
    assert mine.startswith("syncd:\n") and human_note(mine) == "Call Bob first"
    assert human_note(note_text(["only syncd"], None)) is None
    assert human_note("a person's note") == "a person's note"


# --- the plan ----------------------------------------------------------------------------------------


def test_a_blank_sheet_gets_the_whole_canonical_in_one_batch_with_typed_values():
    book = book_with()
    mirror(book, doc_of(COLUMNS, ROWS, IDS))
    assert book.values("Tasks") == [COLUMNS + ["syncd id"]] + [
        [v for v in row] + [rid] for row, rid in zip(ROWS, IDS)]
    tab = book.tab("Tasks")
    assert tab.cell(3, 1).kind == "string" and tab.cell(3, 1).how == "stringValue"  # "=SUM(...)" stays text
    assert tab.hidden_cols == {5} and tab.frozen_rows == 1
    assert parse_meta_sheet(book.values(META_SHEET)) == ("t", "L1", 1)
    assert book.tab(META_SHEET).hidden


def test_writing_the_same_canonical_again_needs_no_request():
    book = book_with()
    doc = doc_of(COLUMNS, ROWS, IDS)
    mirror(book, doc)
    assert mirror(book, doc) == []


def test_a_task_added_in_the_middle_is_one_inserted_row_not_a_rewrite():
    book = book_with()
    mirror(book, doc_of(COLUMNS, ROWS, IDS))
    rows = ROWS[:1] + [["T-9", "Print flyers", None, 90, False]] + ROWS[1:]
    requests = mirror(book, doc_of(COLUMNS, rows, IDS[:1] + ["rz"] + IDS[1:], gen=2))
    kinds = [next(iter(r)) for r in requests]
    assert kinds.count("insertDimension") == 1 and "deleteDimension" not in kinds
    data_writes = [r["updateCells"] for r in requests if "updateCells" in r and r["updateCells"]["start"]["sheetId"] == 0]
    assert {w["start"]["rowIndex"] for w in data_writes} == {2}  # only the new row's cells
    assert read_back(book).rows[1] == ("T-9", "Print flyers", None, 90, False)


def test_a_deleted_task_is_one_deleted_row_and_its_highlight_goes_with_it():
    book = book_with()
    notes = [CellNote("rb", "Task", "clash", "conflict")]
    mirror(book, doc_of(COLUMNS, ROWS, IDS, notes=notes))
    assert book.tab("Tasks").cell(2, 1).fmt.get("backgroundColor")
    requests = mirror(book, doc_of(COLUMNS, [ROWS[0], ROWS[2]], [IDS[0], IDS[2]], gen=2))
    assert [next(iter(r)) for r in requests if "Dimension" in next(iter(r))] == ["deleteDimension"]
    assert read_back(book).row_ids == ("ra", "rc")
    assert not any(c.fmt.get("backgroundColor") for c in book.tab("Tasks").cells.values() if c.kind is None)


def test_a_renamed_or_new_column_keeps_the_people_s_column_order():
    book = book_with([["Task", "ID", "Notes", "syncd id"], ["Draft newsletter", "T-1", "keep", "ra"]])
    doc = doc_of(["ID", "Task", "Comments", "Owner"], [["T-1", "Draft newsletter", "keep", "Ann"]], ["ra"])
    mirror(book, doc)
    # the sheet's order stays (Task before ID); "Notes" was renamed "Comments" in place; "Owner" is new
    assert book.values("Tasks") == [["Task", "ID", "Comments", "Owner", "syncd id"],
                                    ["Draft newsletter", "T-1", "keep", "Ann", "ra"]]


def test_a_number_written_into_a_cell_formatted_as_a_date_reads_back_as_a_number():
    book = book_with()
    mirror(book, doc_of(COLUMNS, ROWS, IDS))
    rows = [list(r) for r in ROWS]
    rows[0][2] = 17
    mirror(book, doc_of(COLUMNS, rows, IDS, gen=2))
    assert read_back(book).rows[0][2] == 17


def test_a_formula_a_person_typed_is_kept_while_its_result_matches():
    book = book_with()
    mirror(book, doc_of(COLUMNS, ROWS, IDS))
    tab = book.tab("Tasks")
    formula = user_entered("=1+1")
    tab.put(1, 3, formula)
    requests = mirror(book, doc_of(COLUMNS, ROWS, IDS))  # the stand-in shows "#ERROR!" as its result
    assert any("updateCells" in r for r in requests)  # the canonical's value differs: it is written
    tab.put(1, 3, formula)
    rows = [list(r) for r in ROWS]
    rows[0][3] = "#ERROR!"
    assert all(r["updateCells"]["start"]["sheetId"] != 0 for r in mirror(book, doc_of(COLUMNS, rows, IDS)) if "updateCells" in r)
    assert python_value(tab.cell(1, 3)) == {"formula": "=1+1"}


values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.text(alphabet=string.ascii_letters + string.digits + " =+-'@\n", max_size=12),
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 1, 1)),
)
NAMES = ["ID", "Task", "Owner", "Status", "Due", "Budget"]


@st.composite
def docs(draw, gen: int = 1, min_columns: int = 1):
    columns = draw(st.lists(st.sampled_from(NAMES), min_size=min_columns, max_size=5, unique=True))
    ids = draw(st.lists(st.sampled_from([f"r{i}" for i in range(12)]), max_size=8, unique=True))
    rows = [[draw(values) for _ in columns] for _ in ids]
    cells = [(rid, c) for rid in ids for c in columns]
    noted = draw(st.lists(st.sampled_from(cells), max_size=3, unique=True)) if cells else []
    notes = [CellNote(rid, c, f"note on {c}", draw(st.sampled_from(["conflict", "duplicate", "deleted"]))) for rid, c in noted]
    conflicts = Table.from_lists(["Status", "Task"], [[draw(values), draw(values)] for _ in range(draw(st.integers(0, 3)))])
    return doc_of(columns, rows, ids, gen=gen, notes=notes, extras=[("Conflicts", conflicts)])


def as_records(table: Table) -> list[tuple[str, dict]]:
    return [(rid, {c: normalise(v) for c, v in zip(table.columns, row)}) for rid, row in zip(table.row_ids, table.rows)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs(), docs(gen=2))
def test_any_canonical_written_over_any_earlier_one_reads_back_exactly(first, second):
    book = book_with()
    mirror(book, first)
    mirror(book, second)
    table = read_back(book)
    got = as_records(table)
    want = as_records(second.table)  # in the canonical's order; an empty task still has its id
    assert [rid for rid, _ in got] == [rid for rid, _ in want]
    assert all(got_rec == {c: want_rec.get(c) for c in got_rec} for (_, got_rec), (_, want_rec) in zip(got, want))
    assert set(table.columns) >= set(second.table.columns)
    assert parse_meta_sheet(book.values(META_SHEET))[2] == 2
    # and the sheet now holds it: writing it again changes nothing
    assert mirror(book, second) == []


@pytest.mark.parametrize("title", ["It's a plan", "Tasks"])
def test_tab_names_are_quoted_for_ranges(title):
    book = book_with([["ID"], ["T-1"]], title=title)
    assert book.resource(["'" + title.replace("'", "''") + "'"], include_grid=True)["sheets"][0]["properties"]["title"] == title


@st.composite
def edits(draw):
    """What people do to a sheet between two syncs: blank rows, rows without an id, a title line."""
    out = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["blank row", "row without id", "title line", "own note"]))
        out.append((kind, draw(st.integers(0, 8)), draw(values)))
    return out


def apply_edits(book: Spreadsheet, changes) -> None:
    tab = book.tab("Tasks")
    for kind, at, value in changes:
        height = tab.extent()[0]
        row = min(at + 1, max(height, 1))
        if kind == "title line":
            if sum(1 for (r, _), c in tab.cells.items() if r == 0 and c.kind) < 3:
                continue  # over a one-column table a title line looks like the header (as in any workbook)
            book.batch_update([{"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0,
                                                              "endIndex": 1}, "inheritFromBefore": False}}])
            tab.put(0, 0, user_entered("Marketing tracker"))
        elif kind == "own note":
            cell = tab.cell(row, 0)
            cell.note = f"person's note {value!r}"
            tab.put(row, 0, cell)
        else:
            book.batch_update([{"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": row,
                                                              "endIndex": row + 1}, "inheritFromBefore": True}}])
            if kind == "row without id":
                tab.put(row, 0, user_entered("typed by hand"))


def person_notes(book: Spreadsheet) -> list[tuple[str, str, str]]:
    """(row id, column, text) of each note a person put on a task's cell."""
    tab = next(t for t in tabs_of(book) if t.title == "Tasks")
    found = locate(tab)
    out = []
    for rid, number in zip(found.table.row_ids, found.table.row_numbers):
        for name, col in zip(found.table.columns, found.positions):
            note = tab.rows[number - 1][col].note if col < len(tab.rows[number - 1]) else None
            if rid and note and not note.startswith("syncd:"):
                out.append((rid, name, note))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs(min_columns=2), edits(), docs(gen=2, min_columns=2))
def test_what_people_did_to_the_sheet_in_between_does_not_stop_it_holding_the_canonical(first, changes, second):
    book = book_with()
    mirror(book, first)
    apply_edits(book, changes)
    notes = person_notes(book)
    mirror(book, second)
    table = read_back(book)
    assert set(table.columns) == set(second.table.columns)
    assert [(rid, rec) for rid, rec in as_records(table)] == as_records(second.table)
    # a person's note stays on its task's cell (below syncd's note if the cell gets one too)
    kept = {(rid, col): text for rid, col, text in person_notes(book)}
    tab = next(t for t in tabs_of(book) if t.title == "Tasks")
    found = locate(tab)
    where = {(rid, name): tab.rows[n - 1][c].note for rid, n in zip(found.table.row_ids, found.table.row_numbers)
             for name, c in zip(found.table.columns, found.positions)}
    for rid, name, text in notes:
        if rid in second.table.row_ids and name in second.table.columns:
            assert text in (where.get((rid, name)) or ""), (rid, name, text, kept)
    assert mirror(book, second) == []


def test_a_row_a_person_typed_in_google_keeps_its_place_and_gets_its_id():
    book = book_with()
    mirror(book, doc_of(COLUMNS, ROWS, IDS))
    tab = book.tab("Tasks")
    for c, v in enumerate(["T-4", "Call printer", None, 40]):
        tab.put(4, c, user_entered(v))
    cell = tab.cell(4, 1)
    cell.note = "ask for the discount"
    tab.put(4, 1, cell)
    rows = ROWS + [["T-4", "Call printer", None, 40, None]]
    requests = mirror(book, doc_of(COLUMNS, rows, IDS + ["rn"], gen=2))
    assert not [r for r in requests if "Dimension" in next(iter(r))]
    assert read_back(book).row_ids == ("ra", "rb", "rc", "rn")
    assert book.tab("Tasks").cell(4, 1).note == "ask for the discount"


def test_a_task_moved_by_the_canonical_is_moved_with_its_notes_not_retyped():
    book = book_with()
    mirror(book, doc_of(COLUMNS, ROWS, IDS))
    tab = book.tab("Tasks")
    cell = tab.cell(1, 1)
    cell.note = "Ann's reminder"
    tab.put(1, 1, cell)
    requests = mirror(book, doc_of(COLUMNS, [ROWS[1], ROWS[2], ROWS[0]], [IDS[1], IDS[2], IDS[0]], gen=2))
    moves = [r for r in requests if "Dimension" in next(iter(r))]
    assert [next(iter(r)) for r in moves] == ["moveDimension"]
    assert read_back(book).row_ids == ("rb", "rc", "ra")
    assert book.tab("Tasks").cell(3, 1).note == "Ann's reminder"
