"""Merging two rows of one task: filled cells win over empty ones, differing cells are reported.

The row that stays keeps its own value where both rows have one; the caller turns each difference
into a conflict (so the other value is shown, never lost) and archives the row merged away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from syncd.merge.values import is_empty, same
from syncd.model import Value


@dataclass(frozen=True)
class Combined:
    """The kept row's values after the merge; ``filled``: columns taken from the other row (kept row
    empty there); ``differing``: ``(column, kept value, other value)`` where both had a value."""

    values: tuple[Value, ...]
    filled: tuple[int, ...]
    differing: tuple[tuple[int, Value, Value], ...]


def combine_rows(keep: Sequence[Value], other: Sequence[Value]) -> Combined:
    """Merge ``other`` into ``keep`` (same columns, same order)."""
    if len(keep) != len(other):
        raise ValueError("rows to combine must have the same columns")
    values = list(keep)
    filled, differing = [], []
    for c, (mine, theirs) in enumerate(zip(keep, other)):
        if is_empty(theirs) or same(mine, theirs):
            continue
        if is_empty(mine):
            values[c] = theirs
            filled.append(c)
        else:
            differing.append((c, mine, theirs))
    return Combined(tuple(values), tuple(filled), tuple(differing))
