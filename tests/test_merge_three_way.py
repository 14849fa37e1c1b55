"""The three-way merge rules, one scenario per rule, on a small task tracker.

Every test builds the canonical (state), the generation a copy was made from (base) and the copy,
merges, and checks what a project manager would see in the canonical and in the report.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from syncd.merge import MergeOptions, Provenance, Revision, State, merge, merge3
from syncd.model import Table

COLS = ("Task", "Owner", "Status", "Due")
T0 = dt.datetime(2024, 5, 1, 9, 0)
T1 = dt.datetime(2024, 5, 3, 10, 2)
T2 = dt.datetime(2024, 5, 4, 9, 0)

BASE_ROWS = [
    ("Draft Q3 newsletter", "Ann", "Todo", dt.date(2024, 6, 1)),
    ("Book venue for offsite", "Bob", "Todo", dt.date(2024, 6, 15)),
    ("Renew software licences", "Cat", "Doing", None),
    ("Send invoices", "Dan", "Todo", dt.date(2024, 5, 31)),
]
IDS = ["r1", "r2", "r3", "r4"]


def table(rows, ids=None, columns=COLS) -> Table:
    return Table.from_lists(list(columns), [list(r) for r in rows], ids)


def base_table() -> Table:
    return table(BASE_ROWS, IDS)


def edited(rows, **changes):
    """A copy of ``rows`` with cells changed: edited(rows, r1_Status="Done")."""
    out = [list(r) for r in rows]
    for spec, value in changes.items():
        rid, column = spec.split("_", 1)
        out[IDS.index(rid)][COLS.index(column)] = value
    return [tuple(r) for r in out]


def state_of(rows, ids=IDS, provenance=None) -> State:
    return State(table(rows, ids), provenance or {})


def copy(rows, ids=IDS, label="bob.xlsx", author="Bob", modified=T2, columns=COLS, seed="s") -> Revision:
    return Revision(table(rows, ids, columns), label, author, modified, seed)


def cell(result, rid, column):
    t = result.state.table
    return t.rows[t.row_ids.index(rid)][t.column_index(column)]


def titles(result) -> list:
    t = result.state.table
    return [r[t.column_index("Task")] for r in t.rows]


# -- cells ---------------------------------------------------------------------------------------

def test_edit_in_copy_is_applied_and_credited():
    result = merge(base_table(), state_of(BASE_ROWS), copy(edited(BASE_ROWS, r2_Status="Done")))
    assert cell(result, "r2", "Status") == "Done"
    assert result.state.provenance[("r2", "Status")] == Provenance("bob.xlsx", "Bob", T2)
    assert [(c.row_id, c.column, c.old, c.new) for c in result.changes] == [("r2", "Status", "Todo", "Done")]
    assert result.changed and not result.conflicts


def test_changes_to_different_cells_are_both_kept():
    ann = Provenance("ann.xlsx", "Ann", T1)
    state = state_of(edited(BASE_ROWS, r1_Status="Done"), provenance={("r1", "Status"): ann})
    result = merge(base_table(), state, copy(edited(BASE_ROWS, r1_Owner="Eve", r3_Status="Done")))
    assert cell(result, "r1", "Status") == "Done"
    assert cell(result, "r1", "Owner") == "Eve"
    assert cell(result, "r3", "Status") == "Done"
    assert not result.conflicts


def test_stale_copy_neither_reverts_newer_edits_nor_revives_deleted_rows():
    # Since generation 1: Ann set r1 to Done and r4 was deleted. Bob's copy of generation 1 only
    # changed r2's owner; it still shows r1 as Todo and still has r4.
    state_rows = [r for r, rid in zip(edited(BASE_ROWS, r1_Status="Done"), IDS) if rid != "r4"]
    state = state_of(state_rows, IDS[:3], {("r1", "Status"): Provenance("ann.xlsx", "Ann", T1)})
    result = merge(base_table(), state, copy(edited(BASE_ROWS, r2_Owner="Eve")))
    assert cell(result, "r1", "Status") == "Done"
    assert cell(result, "r2", "Owner") == "Eve"
    assert "Send invoices" not in titles(result)
    assert not result.conflicts and not result.inserted


def test_copy_already_holding_the_canonicals_value_changes_nothing():
    state = state_of(edited(BASE_ROWS, r1_Status="Done"))
    result = merge(base_table(), state, copy(edited(BASE_ROWS, r1_Status="Done")))
    assert not result.changed and not result.conflicts


def test_nothing_changed_means_unchanged():
    result = merge(base_table(), state_of(BASE_ROWS), copy(BASE_ROWS))
    assert not result.changed
    assert result.state.table == state_of(BASE_ROWS).table
    assert not result.conflicts and not result.archived


def test_whitespace_and_number_format_are_not_edits():
    rows = [("Task A", "Ann ", 3.0, None)]
    base = table([("Task A", "Ann", 3, "")], ["r1"])
    result = merge(base, State(base), copy(rows, ["r1"]))
    assert not result.changed


# -- same-cell conflicts ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "policy, ann_time, bob_time, kept, others",
    [
        ("newest", T1, T2, "Blocked", {"Done"}),  # Bob's copy is newer
        ("newest", T2, T1, "Done", {"Blocked"}),  # Ann's value is newer
        ("newest", T1, None, "Done", {"Blocked"}),  # an unknown time loses to a known one
        ("newest", None, T1, "Blocked", {"Done"}),
        ("newest", None, None, "Blocked", {"Done"}),  # tie: the copy arrived later
        ("newest", T1, T1, "Blocked", {"Done"}),
        ("canonical", T1, T2, "Done", {"Blocked"}),
        ("flag", T1, T2, "Todo", {"Done", "Blocked"}),  # back to the base value, nobody wins
    ],
)
def test_same_cell_conflict_follows_the_policy_and_keeps_every_value(policy, ann_time, bob_time, kept, others):
    ann = Provenance("ann.xlsx", "Ann", ann_time)
    state = state_of(edited(BASE_ROWS, r1_Status="Done"), provenance={("r1", "Status"): ann})
    revision = copy(edited(BASE_ROWS, r1_Status="Blocked"), modified=bob_time)
    result = merge(base_table(), state, revision, MergeOptions(policy=policy))
    assert cell(result, "r1", "Status") == kept
    (conflict,) = result.conflicts
    assert (conflict.kind, conflict.row_id, conflict.column, conflict.base) == ("edit", "r1", "Status", "Todo")
    assert conflict.kept.value == kept
    assert {o.value for o in conflict.others} == others
    assert conflict.title == "Draft Q3 newsletter"
    assert '"Done"' in conflict.message and '"Blocked"' in conflict.message
    assert "Ann" in conflict.message and "Bob" in conflict.message


def test_conflict_message_reads_like_the_example():
    ann = Provenance("ann.xlsx", "Ann", T1)
    state = state_of(edited(BASE_ROWS, r1_Status="Done"), provenance={("r1", "Status"): ann})
    result = merge(base_table(), state, copy(edited(BASE_ROWS, r1_Status="Blocked")))
    assert result.conflicts[0].message.startswith(
        'Ann set Status of "Draft Q3 newsletter" to "Done" (ann.xlsx, 3 May 10:02), '
        'Bob set it to "Blocked" (bob.xlsx, 4 May 09:00): kept "Blocked" (newest).')


def test_case_change_is_an_edit():
    result = merge(base_table(), state_of(BASE_ROWS), copy(edited(BASE_ROWS, r1_Status="todo")))
    assert cell(result, "r1", "Status") == "todo"


# -- deletions ------------------------------------------------------------------------------------------

def test_row_deleted_in_copy_is_archived_with_all_its_values():
    rows = [r for r, rid in zip(BASE_ROWS, IDS) if rid != "r2"]
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, ["r1", "r3", "r4"]))
    assert "Book venue for offsite" not in titles(result)
    (archived,) = result.archived
    assert archived.row_id == "r2"
    assert dict(archived.values) == dict(zip(COLS, BASE_ROWS[1]))
    assert (archived.label, archived.author) == ("bob.xlsx", "Bob")
    assert "bob.xlsx" in archived.reason


def test_deleting_a_row_someone_changed_since_keeps_it_with_their_values():
    ann = Provenance("ann.xlsx", "Ann", T1)
    state = state_of(edited(BASE_ROWS, r2_Status="Done"), provenance={("r2", "Status"): ann})
    rows = [r for r, rid in zip(BASE_ROWS, IDS) if rid != "r2"]
    result = merge(base_table(), state, copy(rows, ["r1", "r3", "r4"]))
    assert cell(result, "r2", "Status") == "Done"
    (conflict,) = result.conflicts
    assert (conflict.kind, conflict.row_id, conflict.column) == ("delete", "r2", None)
    assert conflict.kept.author == "Ann" and conflict.others[0].author == "Bob"
    assert "Book venue for offsite" in conflict.message and "kept the row" in conflict.message
    assert not result.archived


def test_row_deleted_since_but_edited_in_copy_comes_back_with_the_edit():
    state_rows = [r for r, rid in zip(BASE_ROWS, IDS) if rid != "r3"]
    state = state_of(state_rows, ["r1", "r2", "r4"])
    result = merge(base_table(), state, copy(edited(BASE_ROWS, r3_Status="Done")))
    assert titles(result) == [r[0] for r in BASE_ROWS]  # back in its place
    assert cell(result, "r3", "Status") == "Done"
    assert cell(result, "r3", "Owner") == "Cat"  # the base values under the edit
    (conflict,) = result.conflicts
    assert (conflict.kind, conflict.row_id) == ("delete", "r3")
    assert "brought it back" in conflict.message


# -- added rows ------------------------------------------------------------------------------------------

def test_added_row_goes_after_its_predecessor_with_a_fresh_id():
    rows = BASE_ROWS[:2] + [("Order team T-shirts", "Eve", "Todo", None)] + BASE_ROWS[2:]
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, IDS[:2] + [None] + IDS[2:]))
    assert titles(result)[2] == "Order team T-shirts"
    (rid,) = result.inserted
    assert re.fullmatch(r"r[a-z2-7]{10}", rid) and rid not in IDS
    assert result.state.provenance[(rid, "Owner")].label == "bob.xlsx"


def test_added_rows_get_the_same_ids_on_every_run():
    rows = BASE_ROWS + [("New task", None, None, None), ("Another", None, None, None)]
    revision = copy(rows, IDS + [None, None], seed="hash-of-bob")
    first = merge(base_table(), state_of(BASE_ROWS), revision).inserted
    second = merge(base_table(), state_of(BASE_ROWS), revision).inserted
    assert first == second and len(set(first)) == 2


def test_added_row_at_the_top_stays_at_the_top():
    rows = [("Kick-off call", "Ann", "Todo", None)] + BASE_ROWS
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, [None] + IDS))
    assert titles(result)[0] == "Kick-off call"


def test_same_task_added_in_two_copies_becomes_one_row():
    # Ann's copy already added the task (now in the canonical); Bob added it too, retyped, with
    # the owner Ann left empty and another status.
    ann = Provenance("ann.xlsx", "Ann", T1)
    state = state_of(BASE_ROWS + [("Order team T-shirts", None, "Todo", None)], IDS + ["ra"],
                     {("ra", "Task"): ann, ("ra", "Status"): ann})
    rows = BASE_ROWS + [("Order team t-shirt", "Eve", "Doing", None)]
    result = merge(base_table(), state, copy(rows, IDS + [None]))
    assert len(result.state.table) == 5 and not result.inserted
    assert cell(result, "ra", "Owner") == "Eve"  # empty cell filled
    # Differing cells (the retyped title too) are conflicts: the policy decides, both values kept.
    assert {c.column: c.others[0].value for c in result.conflicts} == {
        "Task": "Order team T-shirts", "Status": "Todo"}
    assert cell(result, "ra", "Status") == "Doing"


def test_tasks_differing_in_quarter_are_not_the_same_task():
    state = state_of(BASE_ROWS + [("Q3 budget review", "Ann", "Todo", None)], IDS + ["ra"])
    rows = BASE_ROWS + [("Q4 budget review", "Ann", "Todo", None)]
    result = merge(base_table(), state, copy(rows, IDS + [None]))
    assert len(result.inserted) == 1
    assert {"Q3 budget review", "Q4 budget review"} <= set(titles(result))


def test_empty_row_in_a_copy_adds_nothing():
    rows = BASE_ROWS + [(None, "", None, None)]
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, IDS + [None]))
    assert not result.changed


# -- copies that lost their ids or were re-sorted ------------------------------------------------

def test_resorted_copy_without_ids_does_not_resort_the_canonical():
    rows = sorted(edited(BASE_ROWS, r4_Status="Done"), key=lambda r: r[0])
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, None))
    assert titles(result) == [r[0] for r in BASE_ROWS]
    assert cell(result, "r4", "Status") == "Done"
    assert [c.row_id for c in result.changes] == ["r4"]


def test_copy_with_retyped_titles_edits_the_same_rows():
    rows = [("Draft Q3 newsleter", "Ann", "Done", dt.date(2024, 6, 1)),
            ("Book venue for the offsite", "Bob", "Todo", dt.date(2024, 6, 15)),
            ("Renew sofware licences", "Cat", "Doing", None),
            ("Send invoices!", "Dan", "Todo", dt.date(2024, 5, 31))]
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, None))
    assert not result.inserted and not result.archived
    assert cell(result, "r1", "Status") == "Done"
    assert cell(result, "r2", "Task") == "Book venue for the offsite"


# -- columns ------------------------------------------------------------------------------------------

def test_new_column_is_added_after_its_left_neighbour_with_the_copys_values():
    columns = ("Task", "Owner", "Priority", "Status", "Due")
    rows = [(r[0], r[1], p, r[2], r[3]) for r, p in zip(BASE_ROWS, ["High", None, "Low", None])]
    state = state_of(BASE_ROWS + [("Added since", None, None, None)], IDS + ["ra"])
    result = merge(base_table(), state, copy(rows, columns=columns))
    assert result.state.table.columns == columns
    assert result.columns_added == ("Priority",)
    assert cell(result, "r1", "Priority") == "High" and cell(result, "ra", "Priority") is None


def test_renamed_column_keeps_the_canonicals_name_and_takes_edits():
    columns = ("Task", "Owner", "Staus", "Due")
    result = merge(base_table(), state_of(BASE_ROWS),
                   copy(edited(BASE_ROWS, r1_Status="Done"), columns=columns))
    assert result.state.table.columns == COLS
    assert result.renamed == (("Status", "Staus"),)
    assert cell(result, "r1", "Status") == "Done"
    assert not result.columns_added


def test_column_renamed_beyond_recognition_is_matched_by_content():
    columns = ("Task", "Person responsible", "Status", "Due")
    result = merge(base_table(), state_of(BASE_ROWS),
                   copy(edited(BASE_ROWS, r2_Owner="Eve"), columns=columns))
    assert result.state.table.columns == COLS
    assert ("Owner", "Person responsible") in result.renamed
    assert cell(result, "r2", "Owner") == "Eve"


def test_column_missing_from_copy_is_left_alone_in_tracker_sync():
    rows = [(r[0], r[1], r[2]) for r in BASE_ROWS]
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, columns=COLS[:3]))
    assert result.state.table.columns == COLS and not result.changed


def test_dropped_column_is_deleted_in_three_file_merge_unless_changed_since():
    rows = [(r[0], r[1], r[2]) for r in BASE_ROWS]
    options = MergeOptions(drop_columns=True)
    result = merge(base_table(), state_of(BASE_ROWS), copy(rows, columns=COLS[:3]), options)
    assert result.state.table.columns == COLS[:3] and result.columns_removed == ("Due",)
    changed = state_of(edited(BASE_ROWS, r1_Due=dt.date(2024, 7, 1)))
    kept = merge(base_table(), changed, copy(rows, columns=COLS[:3]), options)
    assert kept.state.table.columns == COLS
    (conflict,) = kept.conflicts
    assert (conflict.kind, conflict.column, conflict.kept.value) == ("delete", "Due", dt.date(2024, 7, 1))


def test_column_reorders_from_two_sides_are_both_applied():
    columns = ("A", "B", "C", "D")
    base = Table.from_lists(list(columns), [[1, 2, 3, 4], [5, 6, 7, 8]])
    ours = Table.from_lists(["B", "A", "C", "D"], [[2, 1, 3, 4], [6, 5, 7, 8]])
    theirs = Table.from_lists(["A", "B", "D", "C"], [[1, 2, 4, 3], [5, 6, 8, 7]])
    result = merge3(base, ours, theirs)
    assert result.state.table.columns == ("B", "A", "D", "C")
    assert result.state.table.rows == ((2, 1, 4, 3), (6, 5, 8, 7))
    assert result.reordered and result.changed


def test_stale_copy_does_not_undo_a_column_reorder():
    state_cols = ("Owner", "Task", "Status", "Due")
    state = State(table([(r[1], r[0], r[2], r[3]) for r in BASE_ROWS], IDS, state_cols))
    result = merge(base_table(), state, copy(BASE_ROWS))
    assert result.state.table.columns == state_cols and not result.changed


# -- three files --------------------------------------------------------------------------------------

def test_three_file_merge_keeps_two_cells_changed_on_one_side_and_one_on_the_other():
    base = table(BASE_ROWS)
    ours = table(edited(BASE_ROWS, r2_Owner="Eve", r2_Due=dt.date(2024, 7, 1)))
    theirs = table(sorted(edited(BASE_ROWS, r2_Status="Done"), reverse=True))
    result = merge3(base, ours, theirs)
    row = result.state.table.records()[1]
    assert row == {"Task": "Book venue for offsite", "Owner": "Eve", "Status": "Done",
                   "Due": dt.date(2024, 7, 1)}
    assert not result.conflicts and len(result.state.table) == 4


def test_dropping_a_column_archives_values_typed_in_rows_added_since():
    base = table([("Task A", "Ann", "Todo", None)], None)
    ours = table([("Task A", "Ann", "Todo", None), ("Task B", "Bob", "Doing", dt.date(2024, 6, 1))])
    theirs = Table.from_lists(["Task", "Owner", "Status"], [["Task A", "Ann", "Done"]])
    result = merge3(base, ours, theirs)
    assert result.state.table.columns == ("Task", "Owner", "Status")
    (archived,) = result.archived
    assert archived.values == (("Due", dt.date(2024, 6, 1)),)
    assert "Due" in archived.reason and "theirs" in archived.reason


def test_column_deleted_since_but_edited_in_copy_comes_back():
    state = State(table([r[:3] for r in BASE_ROWS], IDS, COLS[:3]))
    result = merge(base_table(), state, copy(edited(BASE_ROWS, r1_Due=dt.date(2024, 9, 1))))
    assert result.state.table.columns == COLS
    assert cell(result, "r1", "Due") == dt.date(2024, 9, 1)
    assert cell(result, "r2", "Due") == dt.date(2024, 6, 15)  # base values under it
    (conflict,) = result.conflicts
    assert (conflict.kind, conflict.column) == ("delete", "Due")
    assert "brought the column back" in conflict.message


def test_same_column_added_by_two_copies_is_one_column():
    columns = COLS + ("Priority",)
    state = State(table([r + ("High",) if i == 0 else r + (None,) for i, r in enumerate(BASE_ROWS)],
                        IDS, columns))
    rows = [r + (p,) for r, p in zip(BASE_ROWS, [None, "Low", None, None])]
    result = merge(base_table(), state, copy(rows, columns=COLS + ("priority",)))
    assert result.state.table.columns == columns and not result.columns_added
    assert cell(result, "r1", "Priority") == "High" and cell(result, "r2", "Priority") == "Low"


def test_added_row_follows_the_nearest_earlier_row_the_canonical_still_has():
    state = state_of([r for r, rid in zip(BASE_ROWS, IDS) if rid != "r2"], ["r1", "r3", "r4"])
    rows = BASE_ROWS[:2] + [("Order team T-shirts", "Eve", "Todo", None)] + BASE_ROWS[2:]
    result = merge(base_table(), state, copy(rows, IDS[:2] + [None] + IDS[2:]))
    assert titles(result) == ["Draft Q3 newsletter", "Order team T-shirts",
                              "Renew software licences", "Send invoices"]


def test_unknown_policy_is_refused_with_a_sentence():
    from syncd.errors import ConfigError

    with pytest.raises(ConfigError, match="newest, canonical, flag"):
        MergeOptions(policy="latest")
