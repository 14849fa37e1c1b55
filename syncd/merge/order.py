"""Where things go: the merged column order, and where added rows and columns are placed.

Column order uses pairwise precedence: for every pair of columns the copy and its base both have,
if the copy put them in the other order than the base did, the copy's order wins; otherwise the
canonical's order stays. So one copy swapping columns A,B and another swapping C,D gives both
swaps, and a stale copy (same order as its base) never undoes a reorder made since.

Rows keep the canonical's order (a re-sorted copy does not re-sort the canonical); a row a copy
adds goes after the row that precedes it in the copy (the nearest earlier one the canonical has),
else before the nearest later one, else at the end.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import compress
from typing import Hashable, Iterable, Mapping, Sequence, TypeVar

import numpy as np

T = TypeVar("T", bound=Hashable)

#: Beyond this many columns the pairwise comparison (n x n) is skipped and the canonical's order kept.
MAX_ORDERED_COLUMNS = 2000


def _relative_order_same(common: Sequence[T], base_pos: Mapping[T, int], rev_pos: Mapping[T, int]) -> bool:
    return sorted(common, key=base_pos.__getitem__) == sorted(common, key=rev_pos.__getitem__)


def merge_column_order(state_order: Sequence[T], base_pos: Mapping[T, int],
                       rev_pos: Mapping[T, int]) -> list[T]:
    """The canonical's columns (``state_order``) in merged order.

    ``base_pos`` / ``rev_pos`` give each column's position in the base and in the copy (columns
    missing from either follow the canonical's order).
    """
    order = list(state_order)
    common = [c for c in order if c in base_pos and c in rev_pos]
    if len(order) < 2 or len(order) > MAX_ORDERED_COLUMNS or _relative_order_same(common, base_pos, rev_pos):
        return order
    n = len(order)
    sp = np.arange(n)
    bp = np.array([base_pos.get(c, -1) if c in rev_pos else -1 for c in order])
    rp = np.array([rev_pos.get(c, -1) if c in base_pos else -1 for c in order])
    known = bp >= 0
    both = known[:, None] & known[None, :]
    base_before = bp[:, None] < bp[None, :]
    rev_before = rp[:, None] < rp[None, :]
    state_before = sp[:, None] < sp[None, :]
    before = np.where(both & (rev_before != base_before), rev_before, state_before)
    np.fill_diagonal(before, False)
    # In a consistent set of preferences the column that must precede the most others comes first;
    # when preferences contradict each other the canonical's order breaks the tie.
    wins = before.sum(axis=1)
    return [order[k] for k in sorted(range(n), key=lambda k: (-int(wins[k]), k))]


def place_after_neighbours(order: list[T], new_items: Iterable[tuple[T, Sequence[T]]]) -> list[T]:
    """Insert each new item after the first of its candidate left neighbours present in ``order``
    (checked nearest first), or at the start when none is. Items are placed in the given order,
    so a new item can be the neighbour of the next one."""
    result = list(order)
    for item, neighbours in new_items:
        present = set(result)
        anchor = next((n for n in neighbours if n in present), None)
        result.insert(result.index(anchor) + 1 if anchor is not None else 0, item)
    return result


class RowPlacement:
    """Collects where new rows go relative to existing ones, then lays out the final order.

    Assembling once at the end keeps insertion linear however many rows a copy adds.
    """

    def __init__(self) -> None:
        self._after: dict[Hashable, list] = defaultdict(list)
        self._before: dict[Hashable, list] = defaultdict(list)
        self._end: list = []

    def after(self, anchor: Hashable, row: Hashable) -> None:
        self._after[anchor].append(row)

    def before(self, anchor: Hashable, row: Hashable) -> None:
        self._before[anchor].append(row)

    def at_end(self, row: Hashable) -> None:
        self._end.append(row)

    def layout(self, existing: Sequence[Hashable]) -> list:
        """``existing`` rows in their order with every placed row where it was asked to go."""
        rows = list(existing) + self._end
        if not self._after and not self._before:
            return rows
        out: list = []
        anchors = self._after.keys() | self._before.keys()
        # Explicit stack instead of recursion: a copy adding 10,000 rows in a row chains them.
        stack: list[tuple[Hashable, bool]] = []
        done = 0
        # most rows have nothing placed around them: the few that do are found in C, and the
        # rows between them copied in slices
        for k in compress(range(len(rows)), map(anchors.__contains__, rows)):
            out.extend(rows[done:k])
            stack.append((rows[k], False))
            self._expand(stack, out)
            done = k + 1
        out.extend(rows[done:])
        return out

    def _expand(self, stack: list[tuple[Hashable, bool]], out: list) -> None:
        while stack:
            row, expanded = stack.pop()
            if expanded:
                out.append(row)
                continue
            stack.extend((r, False) for r in reversed(self._after.get(row, ())))
            stack.append((row, True))
            stack.extend((r, False) for r in reversed(self._before.get(row, ())))
