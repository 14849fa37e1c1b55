"""Reading a copy against the rows syncd holds gives exactly what reading it plainly gives, and
the unchanged rows are the held rows themselves (the merge then compares them at no cost)."""

from __future__ import annotations

import datetime as dt

import pytest

from builders import write_copy
from syncd.errors import CopyRejected
from syncd.model import Table
from syncd.workbook.guard import Limits
from syncd.workbook.held import MIN_ROWS, HeldRows
from syncd.workbook.read import read_sheet

COLUMNS = ["ID", "Task", "Owner", "Due", "Budget", "Rate", "Notes"]
N = MIN_ROWS + 200


def _held(extra=None) -> Table:
    rows = []
    for n in range(N):
        rows.append((f"T-{n}", f"Task number {n}", ["Ann", "Bob", "Cleo"][n % 3], dt.date(2026, 1, 1 + n % 28),
                     1000 + n if n % 4 else None, 0.25 + n % 7 / 10, None if n % 5 else f"note {n}"))
    if extra:
        rows = [extra.get(n, row) for n, row in enumerate(rows)]
    return Table(tuple(COLUMNS), tuple(rows), tuple(f"r{n:06d}" for n in range(N)))


def _copy(path, table: Table, edit=None, columns=None):
    rows = [list(r) for r in table.rows]
    ids = list(table.row_ids)
    if edit:
        edit(rows, ids)
    return write_copy(path, columns or list(table.columns), rows, row_ids=ids)


def _both(path, held: Table):
    plain = read_sheet(path, "Tasks")
    fast = read_sheet(path, "Tasks", held=HeldRows(held))
    assert fast == plain
    return fast.table


def _edits(rows, ids):
    rows[3][1] = "Task number 3, retyped"
    rows[5][4] = True  # a checkbox where a number was: True == 1, yet another value
    rows[6][6] = "   "  # only spaces: an empty cell once typed
    rows[7][3] = dt.datetime(2026, 1, 8, 9, 30)  # a time added to the date
    rows[10][4] = 1010.0  # the same number, typed again
    rows[9] = [None] * len(rows[9])  # a row emptied but for its id
    rows.insert(12, [None] * len(rows[0]))
    ids.insert(12, None)  # an empty row in the middle: no row of the table
    rows.append(["T-new", "A task added", "Dev", None, 5, None, None])
    ids.append(None)
    rows.append(list(rows[20]))
    ids.append(ids[20])  # a row copy-pasted, id and all
    del rows[30], ids[30]


def test_a_copy_read_against_its_generation_is_the_copy_read_plainly(tmp_path):
    held = _held()
    table = _both(_copy(tmp_path / "copy.xlsx", held, _edits), held)
    by_id = dict(zip(table.row_ids, table.rows))
    assert by_id["r000003"][1] == "Task number 3, retyped" and by_id["r000005"][4] is True
    assert by_id["r000006"][6] is None and by_id[None][0] == "T-new"
    # the unchanged rows are the very rows held; the edited ones are not
    held_rows = dict(zip(held.row_ids, held.rows))
    assert by_id["r000100"] is held_rows["r000100"] and by_id["r000010"] is held_rows["r000010"]
    assert sum(row is held_rows.get(rid) for rid, row in zip(table.row_ids, table.rows)) >= N - 12
    assert by_id["r000003"] is not held_rows["r000003"]


def test_rows_holding_what_equality_cannot_tell_apart_are_typed(tmp_path):
    # held values a read would type differently: a bool, an integral float, an int past a float's
    # and text that typing empties, in a column of text only and in one holding a number too
    extra = {1: ("T-1", "Flag", "Ann", None, True, None, None), 2: ("T-2", "Even", "Bob", None, 7.0, None, None),
             4: ("T-4", "Huge", "Cleo", None, 2**60, None, None), 6: ("T-6", "One", "Ann", None, 1, None, None),
             3: ("T-3", "Spaces", "Ann", None, None, None, "\u00a0"), 8: ("T-8", 42, "\u2003", None, None, None, None),
             10: ("T-10", "\u00a0", "Bob", None, None, None, None)}
    held = _held(extra)

    def as_numbers(rows, ids):
        rows[1][4] = 1  # True held, 1 typed: equal to Python, another value to a person
        rows[6][4] = True  # and the other way round

    table = _both(_copy(tmp_path / "copy.xlsx", held, as_numbers), held)
    by_id = dict(zip(table.row_ids, table.rows))
    assert by_id["r000001"][4] == 1 and by_id["r000001"][4] is not True
    assert by_id["r000006"][4] is True
    assert type(by_id["r000002"][4]) is int  # 7.0 in a cell is typed 7
    assert by_id["r000002"] is not held.rows[2] and by_id["r000004"] is not held.rows[4]
    # only spaces: an empty cell
    assert by_id["r000003"][6] is None and by_id["r000008"][2] is None and by_id["r000010"][1] is None


@pytest.mark.parametrize("change", ["renamed", "moved", "added"])
def test_a_sheet_laid_out_otherwise_is_read_plainly(tmp_path, change):
    held = _held()
    columns = list(COLUMNS)
    if change == "renamed":
        columns[1] = "Task name"
    elif change == "moved":
        columns[1], columns[2] = columns[2], columns[1]
    else:
        columns.append("Channel")

    def add_channel(rows, ids):
        for r in rows:
            r.append("Email")

    table = _both(_copy(tmp_path / "copy.xlsx", held, add_channel if change == "added" else None, columns), held)
    assert not any(row is held.rows[0] for row in table.rows)


def test_a_small_generation_is_not_used(tmp_path):
    small = Table(tuple(COLUMNS), _held().rows[:10], _held().row_ids[:10])
    table = _both(_copy(tmp_path / "copy.xlsx", small), small)
    assert table.rows[0] is not small.rows[0]


def test_an_overlong_cell_is_refused_the_same_way(tmp_path):
    held = _held()

    def too_long(rows, ids):
        rows[40][6] = "x" * 300

    path = _copy(tmp_path / "copy.xlsx", held, too_long)
    limits = Limits(max_cell_chars=200)
    with pytest.raises(CopyRejected) as plain:
        read_sheet(path, "Tasks", limits=limits)
    with pytest.raises(CopyRejected) as fast:
        read_sheet(path, "Tasks", limits=limits, held=HeldRows(held))
    assert fast.value.reason == plain.value.reason and "G42" in fast.value.reason


def test_a_copy_saved_without_the_id_column_is_read_plainly_and_shares_the_held_rows(tmp_path):
    # a copy of the tracker as it was before syncd: the same columns, no hidden ids
    held = _held({8: ("T-8", "Twin", "Ann", None, None, None, None), 9: ("T-8", "Twin", "Ann", None, None, None, None),
                  11: ("T-11", "Tick", "Bob", None, 1, None, None), 13: (None,) * len(COLUMNS)})
    rows = [list(r) for r in held.rows]
    rows[11][4] = True  # where the held row has 1: equal to Python, another value to a person
    rows[3][1] = "Task number 3, retyped"
    rows[5][4] = True  # True == 1, yet another value
    rows[7][3] = dt.datetime(2026, 1, 8, 9, 30)
    rows.insert(12, [None] * len(COLUMNS))  # empty rows (and the held one emptied): no rows of the table
    rows.append(["T-new", "A task added", "Dev", None, 5, None, None])
    rows.append(list(rows[20]))  # a row copy-pasted
    rows.reverse()  # and the rows sorted another way
    path = write_copy(tmp_path / "before syncd.xlsx", list(COLUMNS), rows)
    table = _both(path, held)
    assert set(table.row_ids) == {None}
    by_task = {}
    for row in table.rows:
        by_task.setdefault(row[0], []).append(row)
    assert by_task["T-3"][0][1] == "Task number 3, retyped" and by_task["T-5"][0][4] is True
    assert by_task["T-11"][0][4] is True
    assert by_task["T-100"][0] is held.rows[100] and all(r is held.rows[20] for r in by_task["T-20"])
    assert by_task["T-3"][0] is not held.rows[3] and by_task["T-7"][0] is not held.rows[7]
    # two held rows alike: which one a copy's row is cannot be told from its cells, so it is typed
    assert len(by_task["T-8"]) == 2 and not any(r is held.rows[8] or r is held.rows[9] for r in by_task["T-8"])
    assert sum(any(r is h for h in held.rows[90:110]) for r in table.rows) == 20
