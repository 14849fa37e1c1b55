"""What a copy changed: rows it shares with its base as the very same tuples cost nothing, and a
person's True is never the number 1, whichever way the rows were read."""

from __future__ import annotations

from syncd.core.taking import dedupe_ids
from syncd.merge import MergeOptions
from syncd.merge.diff import Edit, compute_diff
from syncd.model import Table

COLS = ("Task", "Count", "Done")


def test_held_rows_are_unchanged_and_a_true_typed_over_a_one_is_still_an_edit():
    base = Table(COLS, (("Book venue", 1, True), ("Print flyers", 1, None), ("Send invites", True, None)),
                 ("r1", "r2", "r3"))
    # a copy read against the held rows: the first row is the base's own tuple, the others were typed
    copy = Table(COLS, (base.rows[0], ("Print flyers", True, None), ("Send invites", 1, None)), ("r1", "r2", "r3"))
    diff = compute_diff(base, copy, MergeOptions())
    assert diff.edits == (Edit(1, 1, True), Edit(2, 1, 1))


def test_held_rows_under_moved_columns_are_compared_cell_by_cell():
    base = Table(COLS, (("Book venue", 1, None), ("Print flyers", 2, None)), ("r1", "r2"))
    moved = Table(("Count", "Task", "Done"), ((1, "Book venue", None), (3, "Print flyers", None)), ("r1", "r2"))
    assert compute_diff(base, moved, MergeOptions()).edits == (Edit(1, 1, 3),)


def test_a_row_pasted_with_its_hidden_id_keeps_the_id_only_on_its_first_occurrence():
    unique = Table(COLS, (("a", 1, None), ("b", 2, None)), ("r1", None))
    assert dedupe_ids(unique) is unique
    pasted = Table(COLS, (("a", 1, None), ("b", 2, None), ("a again", 1, None)), ("r1", None, "r1"))
    assert dedupe_ids(pasted).row_ids == ("r1", None, None)


def test_copies_without_ids_still_tell_a_true_from_a_one_after_the_base_was_asked_before():
    # Copies without row ids are typed whole, so nearly every row compares equal in bulk; the base
    # holds no bool, and that answer is remembered across copies: each copy's own True still counts.
    base = Table(COLS, tuple((f"Task {n}", 1, None) for n in range(10)), (None,) * 10)
    plain = Table(COLS, tuple((f"Task {n}", 1, None) for n in range(10)), (None,) * 10)
    ticked = Table(COLS, tuple((f"Task {n}", True if n == 7 else 1, None) for n in range(10)), (None,) * 10)
    assert compute_diff(base, plain, MergeOptions()).edits == ()
    assert compute_diff(base, ticked, MergeOptions()).edits == (Edit(7, 1, True),)
    # and the other way round: the base's True, a copy's 1
    ticks = Table(COLS, tuple((f"Task {n}", True if n == 3 else 1, None) for n in range(10)), (None,) * 10)
    assert compute_diff(ticks, plain, MergeOptions()).edits == (Edit(3, 1, 1),)
    assert compute_diff(ticks, plain, MergeOptions()).edits == (Edit(3, 1, 1),)
