"""Which row and which column is which between two versions of a sheet."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import syncd.merge.rows as rows_module
from syncd.merge import MergeOptions, align_rows, same
from syncd.merge.align import align_tables
from syncd.merge.columns import match_columns_by_name
from syncd.model import Table

TASKS = [
    ("Draft Q3 newsletter", "Ann", "Todo"),
    ("Book venue for offsite", "Bob", "Todo"),
    ("Renew software licences", "Cat", "Doing"),
    ("Send invoices to clients", "Dan", "Todo"),
    ("Plan summer party", "Eve", "Done"),
    ("Update the website footer", "Ann", "Doing"),
]
COLS = ["Task", "Owner", "Status"]


def t(rows, columns=COLS, ids=None) -> Table:
    return Table.from_lists(columns, [list(r) for r in rows], ids)


# -- values --------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    (1, 1.0, True),
    (None, "", True),
    ("", "   ", True),
    ("Jane ", "Jane", True),
    ("done", "Done", False),
    (dt.datetime(2024, 5, 3), dt.date(2024, 5, 3), True),
    (dt.datetime(2024, 5, 3, 10, 2), dt.date(2024, 5, 3), False),
    (True, 1, False),
    (False, 0, False),
    (True, True, True),
    (0, None, False),
    ("1", 1, False),
    (float("nan"), float("nan"), True),
])
def test_value_comparison(a, b, expected):
    assert same(a, b) is expected
    assert same(b, a) is expected


# -- rows ----------------------------------------------------------------------------------------

def test_row_ids_come_first():
    a = t(TASKS[:2], ids=["x", "y"])
    b = t([TASKS[1], TASKS[0]], ids=["x", "y"])  # ids say the rows swapped contents
    assert align_rows(a, b) == [(0, 0), (1, 1)]


def test_resorted_rows_are_found():
    shuffled = list(enumerate(TASKS))
    random.Random(7).shuffle(shuffled)
    b = t([row for _, row in shuffled])
    assert sorted((i, j) for j, (i, _) in enumerate(shuffled)) == align_rows(t(TASKS), b)


def test_every_title_retyped_still_matches_each_row():
    retyped = [
        ("Draft Q3 newsleter", "Ann", "Todo"),
        ("Book the venue for offsite", "Bob", "Todo"),
        ("renew Software licenses", "Cat", "Doing"),
        ("Send invoices to client", "Dan", "Todo"),
        ("Plan summer party!", "Eve", "Done"),
        ("Update website footer", "Ann", "Doing"),
    ]
    assert align_rows(t(TASKS), t(list(reversed(retyped)))) == [(i, 5 - i) for i in range(6)]


def test_row_changed_in_two_cells_still_matches():
    b = [list(r) for r in TASKS]
    b[2][1:] = ["Zoe", "Done"]
    assert align_rows(t(TASKS), t(b)) == [(i, i) for i in range(6)]


def test_short_rows_with_same_name_and_other_number_match():
    a = t([("three", 3), ("four", 4)], ["NAME", "DIGIT"])
    b = t([("four", 999), ("five", 5)], ["NAME", "DIGIT"])
    assert align_rows(a, b) == [(1, 0)]


@pytest.mark.parametrize("old, new", [
    ("Q3 budget review", "Q4 budget review"),
    ("Newsletter #12", "Newsletter #13"),
    ("Board report 2024", "Board report 2025"),
    ("March payroll run", "April payroll run"),
    ("Release v1.2 notes", "Release v1.3 notes"),
])
def test_titles_differing_in_a_number_or_period_are_different_tasks(old, new):
    a = t([(old, "Ann", "Todo")])
    b = t([(new, "Ann", "Todo")])
    assert align_rows(a, b) == []


def test_unrelated_rows_do_not_match():
    a = t([("Call the plumber", "Ann", "Todo")])
    b = t([("Write annual report", "Bob", "Done")])
    assert align_rows(a, b) == []


def test_duplicate_rows_pair_one_to_one_in_order():
    row = ("Weekly status call", "Ann", "Todo")
    a = t([row, row, TASKS[0]])
    b = t([TASKS[0], row, row, row])
    assert align_rows(a, b) == [(0, 1), (1, 2), (2, 0)]


def test_key_column_identifies_rows_even_when_everything_else_changed():
    cols = ["ID", "Task", "Status"]
    a = t([(101, "Call plumber", "Todo"), (102, "Pay rent", "Todo")], cols)
    b = t([(102, "Rent paid", "Done"), (101, "Plumber called", "Done"), (103, "Pay rent", "Todo")], cols)
    # 103 is a new task although its title equals 102's old one: the key says so.
    assert align_rows(a, b) == [(0, 1), (1, 0)]


def test_explicit_key_option():
    cols = ["Code", "Task"]
    a = t([("A", "Call plumber"), ("B", "Pay rent")], cols)
    b = t([("B", "Call plumber"), ("A", "Pay rent")], cols)
    assert align_rows(a, b, MergeOptions(key="Code")) == [(0, 1), (1, 0)]
    assert align_rows(a, b) == [(0, 0), (1, 1)]  # without it the titles decide


def test_many_leftover_rows_are_matched():
    rng = random.Random(3)
    words = ["review", "budget", "draft", "call", "vendor", "plan", "launch", "report", "team",
             "website", "invoice", "design", "client", "contract", "hiring", "survey"]
    rows = []
    for n in range(4000):
        title = " ".join(rng.sample(words, 4)) + f" {rng.choice(words)}-{n // 16}x"
        rows.append((title, f"owner{n % 50}", rng.choice(["Todo", "Done", "Doing"])))
    retyped = [(r[0][:5] + r[0][6:], r[1], r[2]) for r in rows]  # one letter dropped from each
    order = list(range(len(rows)))
    rng.shuffle(order)
    pairs = align_rows(t(rows), t([retyped[i] for i in order]))
    found = {i: j for i, j in pairs}
    correct = sum(order[found[i]] == i for i in found)
    assert correct >= 0.97 * len(rows)


# -- columns ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, pairs", [
    (["Task", "Owner"], ["Owner", "Task"], [(0, 1), (1, 0)]),
    (["Due date"], ["due-date"], [(0, 0)]),
    (["Status"], ["Staus"], [(0, 0)]),
    (["Probe B"], ["Probe D"], []),
    (["Q3"], ["Q4"], []),
    (["Budget 2024"], ["Budget 2025"], []),
    (["Status", "Notes"], ["Notes", "Statuses"], [(0, 1), (1, 0)]),
])
def test_columns_by_name(a, b, pairs):
    assert match_columns_by_name(a, b) == pairs


def test_renamed_column_is_found_by_its_content():
    b = t(TASKS, ["Task", "Person responsible", "Status"])
    alignment = align_tables(t(TASKS), b)
    assert alignment.columns == ((0, 0), (1, 1), (2, 2))
    assert alignment.renamed == ((1, 1),)


def test_new_column_is_not_matched_to_a_deleted_one():
    a = t([("x", 20), ("y", 25), ("z", 66)], ["Name", "Probe B"])
    b = t([("x", 5), ("y", 10), ("z", 15)], ["Name", "Probe D"])
    assert align_tables(a, b).columns == ((0, 0),)


# -- pairing by a key column, indexed ---------------------------------------------------------------

_KEYED = ("ID", "Task", "Owner")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_rows_pair_by_an_indexed_key_exactly_as_by_the_general_key_stage(data):
    """Copies without row ids pair with the base through an index of each side's keys (the base's
    made once per sync). Whatever the ids, spaces around keys, rows added, deleted or re-sorted, it
    pairs exactly the rows the general key stage pairs."""
    n = data.draw(st.integers(4, 30))
    keys = [f"T-{k}" for k in range(n)]
    base_ids = [data.draw(st.sampled_from([None, f"r{k}"])) for k in range(n)]
    base = Table.from_lists(list(_KEYED), [[k, f"Task {k}", "Ann"] for k in keys], base_ids)
    kept = data.draw(st.lists(st.sampled_from(range(n)), min_size=2, max_size=n, unique=True))
    added = [f"T-new-{k}" for k in range(data.draw(st.integers(0, 3)))]
    rows, ids = [], []
    for k in kept:
        spaced = data.draw(st.sampled_from(["", " ", "  "]))
        rows.append([spaced + keys[k] + spaced, f"Task {keys[k]}", data.draw(st.sampled_from(["Ann", "Bob"]))])
        # an id may be the row's own, another row's (a pasted row), or gone
        ids.append(data.draw(st.sampled_from([None, base_ids[k], f"r{(k + 1) % n}"])))
    rows += [[key, f"Task {key}", "Cleo"] for key in added]
    ids += [None] * len(added)
    copy = Table.from_lists(list(_KEYED), rows, ids)
    cols = [(0, 0), (1, 1), (2, 2)]
    assert rows_module._text_keys(base, 0) is not None  # the indexed stage is the one under test
    indexed = rows_module.match_rows(base, copy, cols, MergeOptions())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rows_module, "_text_keys", lambda table, col: None)
        general = rows_module.match_rows(base, copy, cols, MergeOptions())
    assert indexed == general


def test_a_key_column_with_a_repeated_key_is_not_indexed():
    base = t([("T-1", "a", "x"), ("T-1 ", "b", "y")], columns=["ID", "Task", "Owner"])
    assert rows_module._text_keys(base, 0) is None
