"""Finding a copy's base among the stored generations, and the very first sync."""

from __future__ import annotations

import datetime as dt

import pytest

from syncd.merge import Revision, initial_state, pick_base
from syncd.model import Table

COLS = ["Task", "Owner", "Status"]
ROWS = [
    ["Draft Q3 newsletter", "Ann", "Todo"],
    ["Book venue for offsite", "Bob", "Todo"],
    ["Renew software licences", "Cat", "Doing"],
    ["Send invoices to clients", "Dan", "Todo"],
]
IDS = ["r1", "r2", "r3", "r4"]
MAY = [dt.datetime(2024, 5, d, 9, 0) for d in range(1, 8)]


def t(rows, ids=None) -> Table:
    return Table.from_lists(COLS, rows, ids)


def change(rows, row, col, value):
    out = [list(r) for r in rows]
    out[row][COLS.index(col)] = value
    return out


def generations():
    g0 = t(ROWS, IDS)
    g1 = t(change(ROWS, 0, "Status", "Done"), IDS)  # Ann finished the newsletter
    g2 = t(change(ROWS, 0, "Status", "Done") + [["Order T-shirts", "Eve", "Todo"]], IDS + ["r5"])
    return [g0, g1, g2]


@pytest.mark.parametrize("rows, ids, expected", [
    (change(ROWS, 1, "Owner", "Zoe"), IDS, 0),  # made before Ann's change, edited elsewhere
    (change(change(ROWS, 0, "Status", "Done"), 2, "Status", "Done"), IDS, 1),
    (change(ROWS, 0, "Status", "Done") + [["Order T-shirts", "Eve", "Done"]], IDS + ["r5"], 2),
    (change(ROWS, 0, "Status", "Done") + [["Order T-shirts", "Eve", "Done"]], None, 2),  # ids lost
])
def test_pick_base_finds_the_generation_a_copy_was_made_from(rows, ids, expected):
    assert pick_base(Revision(t(rows, ids), "copy.xlsx"), generations()) == expected


def test_pick_base_prefers_the_older_of_two_equally_close_generations():
    # Identical to g0 and g1 except for the one cell they disagree on, set to a third value:
    # against the older base the clash with Ann's edit is reported instead of overwriting it.
    copy = Revision(t(change(ROWS, 0, "Status", "Blocked"), IDS), "copy.xlsx")
    assert pick_base(copy, generations()) == 0


def test_pick_base_needs_generations():
    with pytest.raises(ValueError):
        pick_base(Revision(t(ROWS), "copy.xlsx"), [])


def _copy(rows, label, day) -> Revision:
    return Revision(t(rows), label, label.split(".")[0].title(), MAY[day], seed=label)


def _records(result) -> dict:
    return {r["Task"]: r for r in result.state.table.records()}


def test_first_sync_merges_copies_that_changed_different_things():
    ann = _copy(ROWS, "ann.xlsx", 0)  # the oldest: nothing changed
    bob = _copy(change(ROWS, 0, "Status", "Done") + [["Order T-shirts", "Eve", "Todo"]], "bob.xlsx", 1)
    cat = _copy(list(reversed(change(ROWS, 1, "Owner", "Zoe"))), "cat.xlsx", 2)
    result = initial_state([cat, ann, bob])  # any order in: the oldest-first rule decides
    records = _records(result)
    assert records["Draft Q3 newsletter"]["Status"] == "Done"
    assert records["Book venue for offsite"]["Owner"] == "Zoe"
    assert records["Order T-shirts"]["Owner"] == "Eve"
    assert len(result.state.table) == 5 and not result.conflicts
    assert [r[0] for r in result.state.table.rows][:4] == [r[0] for r in ROWS]  # oldest's order
    ids = result.state.table.row_ids
    assert all(ids) and len(set(ids)) == 5


def test_first_sync_reports_two_copies_changing_one_cell_differently():
    ann = _copy(ROWS, "ann.xlsx", 0)
    bob = _copy(change(ROWS, 0, "Status", "Done"), "bob.xlsx", 1)
    cat = _copy(change(ROWS, 0, "Status", "Blocked"), "cat.xlsx", 2)
    result = initial_state([ann, bob, cat])
    assert _records(result)["Draft Q3 newsletter"]["Status"] == "Blocked"  # newest
    (conflict,) = result.conflicts
    assert {conflict.kept.value, *(o.value for o in conflict.others)} == {"Done", "Blocked"}


def test_first_sync_base_takes_the_value_most_copies_agree_on():
    # Two of three copies say Done: that is taken as the starting point, so the one copy that
    # still says Todo (the newest) counts as having changed it back.
    ann = _copy(change(ROWS, 0, "Status", "Done"), "ann.xlsx", 0)
    bob = _copy(change(ROWS, 0, "Status", "Done"), "bob.xlsx", 1)
    cat = _copy(ROWS, "cat.xlsx", 2)
    result = initial_state([ann, bob, cat])
    assert _records(result)["Draft Q3 newsletter"]["Status"] == "Todo"
    assert [(c.old, c.new, c.label) for c in result.changes] == [("Done", "Todo", "cat.xlsx")]


def test_first_sync_row_most_copies_lack_survives_and_row_most_have_can_be_deleted():
    ann = _copy(ROWS, "ann.xlsx", 0)
    bob = _copy(ROWS[:3], "bob.xlsx", 1)  # no "Send invoices to clients"
    cat = _copy(ROWS[:3] + [["Hire an intern", "Cat", "Todo"]], "cat.xlsx", 2)
    result = initial_state([ann, bob, cat])
    records = _records(result)
    # "Send invoices" is in 1 of 3 copies: not in the base, so it is Ann's addition and stays.
    assert "Send invoices to clients" in records and "Hire an intern" in records
    bob2 = _copy(ROWS, "bob.xlsx", 1)
    cat2 = _copy(ROWS[1:], "cat.xlsx", 2)  # deletes the newsletter, which all others have
    result2 = initial_state([ann, bob2, cat2])
    assert "Draft Q3 newsletter" not in _records(result2)
    assert [a.values[0] for a in result2.archived] == [("Task", "Draft Q3 newsletter")]


def test_first_sync_of_a_single_copy_is_that_copy():
    result = initial_state([_copy(ROWS, "ann.xlsx", 0)])
    assert [list(r) for r in result.state.table.rows] == ROWS
    assert not result.conflicts and not result.changes


def test_first_sync_of_nothing_is_empty():
    assert len(initial_state([]).state.table) == 0
