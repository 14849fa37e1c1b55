"""Which row and which column is which between two versions of a sheet."""

from __future__ import annotations

import datetime as dt
import random

import pytest

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
