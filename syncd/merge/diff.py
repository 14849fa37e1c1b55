"""What one copy changed relative to the generation it was made from (its base)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, compress, filterfalse
from operator import is_not, itemgetter

from syncd.merge.align import Alignment, align_tables
from syncd.merge.memo import remembered
from syncd.merge.plan import MergeOptions
from syncd.merge.values import same
from syncd.model import Table, Value, picker


@dataclass(frozen=True)
class Edit:
    """The copy holds ``new`` where the base holds something else (row and column of the base)."""

    base_row: int
    base_col: int
    new: Value


@dataclass(frozen=True)
class RevisionDiff:
    """A copy's changes to its base, as indices into the two tables.

    ``base_of_row`` maps each copy row that is a base row to that base row; ``base_of_col`` does
    the same for columns. Copy rows and columns missing from those maps were added; base rows and
    columns missing from their images were deleted.
    """

    alignment: Alignment
    edits: tuple[Edit, ...]
    base_of_row: dict[int, int]
    base_of_col: dict[int, int]
    added_rows: tuple[int, ...]
    deleted_rows: tuple[int, ...]
    added_columns: tuple[int, ...]
    removed_columns: tuple[int, ...]


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


@remembered
def _any_bool(rows: tuple) -> bool:
    return bool in map(type, chain.from_iterable(rows))


def _holds_bool(rows: tuple, picked: list[int]) -> bool:
    # Most rows picked (copies without row ids): the whole table's answer, which for the base is
    # worked out once per sync, settles it whenever the table holds no bool at all.
    if len(picked) * 2 > len(rows) and not _any_bool(rows):
        return False
    return bool in map(type, chain.from_iterable(map(rows.__getitem__, picked)))


def _rows_that_differ(base: Table, copy: Table, alignment: Alignment) -> list[tuple[int, int]]:
    """The aligned row pairs that may differ in a common column. Most rows of a copy are unchanged:
    a row read as the very tuple of its base (see ``syncd.workbook.held``) is settled by identity
    when the columns line up, and any other by one tuple comparison in C. Python's == agrees with
    ``same`` except that True == 1, so a pair that compares equal without being identical is
    looked at cell by cell when either table holds a bool among such rows."""
    rows = alignment.rows
    if not rows or not alignment.columns:
        return []
    base_cols = [bc for bc, _ in alignment.columns]
    copy_cols = [cc for _, cc in alignment.columns]
    base_rows, copy_rows = base.rows, copy.rows
    if base_cols == copy_cols == list(range(base.width)) and base.width == copy.width:
        # the pairs that are not the very same tuple, filtered in C
        other = map(is_not, map(base_rows.__getitem__, map(_FIRST, rows)),
                    map(copy_rows.__getitem__, map(_SECOND, rows)))
        pairs = list(compress(rows, other))
        pick_base = pick_copy = tuple
    else:
        pairs = list(rows)
        pick_base, pick_copy = picker(base_cols, base.width), picker(copy_cols, copy.width)
    seen_base = map(pick_base, map(base_rows.__getitem__, [bi for bi, _ in pairs]))
    seen_copy = map(pick_copy, map(copy_rows.__getitem__, [cj for _, cj in pairs]))
    differ, equal = [], []
    for pair, x, y in zip(pairs, seen_base, seen_copy):
        (differ if x != y else equal).append(pair)
    if equal and (_holds_bool(base_rows, [bi for bi, _ in equal]) or _holds_bool(copy_rows, [cj for _, cj in equal])):
        differ = sorted(differ + equal)
    return differ


def compute_diff(base: Table, copy: Table, options: MergeOptions) -> RevisionDiff:
    """Align ``copy`` to ``base`` (columns, then rows) and list what differs."""
    alignment = align_tables(base, copy, options)
    base_of_col = {j: i for i, j in alignment.columns}
    base_of_row = dict(zip(map(_SECOND, alignment.rows), map(_FIRST, alignment.rows)))
    edits = []
    for bi, cj in _rows_that_differ(base, copy, alignment):
        base_row, copy_row = base.rows[bi], copy.rows[cj]
        for bc, cc in alignment.columns:
            x, y = base_row[bc], copy_row[cc]
            if x is not y and not same(x, y):  # the very object (texts read are interned): no call
                edits.append(Edit(bi, bc, y))
    matched_base_rows = set(map(_FIRST, alignment.rows))
    matched_base_cols = {i for i, _ in alignment.columns}
    return RevisionDiff(
        alignment=alignment,
        edits=tuple(edits),
        base_of_row=base_of_row,
        base_of_col=base_of_col,
        added_rows=tuple(filterfalse(base_of_row.__contains__, range(len(copy)))),
        deleted_rows=tuple(filterfalse(matched_base_rows.__contains__, range(len(base)))),
        added_columns=tuple(j for j in range(copy.width) if j not in base_of_col),
        removed_columns=tuple(i for i in range(base.width) if i not in matched_base_cols),
    )
