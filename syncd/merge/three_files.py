"""Merging three plain files (``syncd merge BASE OURS THEIRS``): no row ids, no history.

The base's rows get ids; ours is aligned to the base and becomes the state (its rows take the ids
of the base rows they are, its own new rows fresh ones, and every cell it changed is credited to
"ours"); then theirs is merged onto it three-way, as any copy is merged onto the canonical. With
no modified times, a same-cell clash goes to theirs under the default "newest" policy (a tie goes
to the copy merged in) and is reported in ``conflicts``.
"""

from __future__ import annotations

from syncd.merge.align import align_tables
from syncd.merge.ids import assign_ids
from syncd.merge.plan import MergeOptions, MergeResult, Provenance, Revision, State
from syncd.merge.three_way import merge
from syncd.merge.values import is_empty, same
from syncd.model import Table

OURS = "ours"
THEIRS = "theirs"


def merge3(base: Table, ours: Table, theirs: Table,
           options: MergeOptions = MergeOptions(drop_columns=True, reorder_columns=True)) -> MergeResult:
    """Merge ``ours`` and ``theirs``, both edited from ``base``. Row ids in the inputs are ignored.
    The result's state has ours' column names and row order."""
    base_ids = tuple(assign_ids("base", base.rows))
    base_t = Table(base.columns, base.rows, base_ids)
    ours_plain = Table(ours.columns, ours.rows)
    alignment = align_tables(base_t, ours_plain, options)
    base_of = {j: i for i, j in alignment.rows}
    fresh = iter(assign_ids("ours", [r for j, r in enumerate(ours.rows) if j not in base_of], base_ids))
    ours_ids = tuple(base_ids[base_of[j]] if j in base_of else next(fresh) for j in range(len(ours)))
    credit = Provenance(OURS)
    base_col = {j: i for i, j in alignment.columns}
    provenance = {}
    for j, (rid, row) in enumerate(zip(ours_ids, ours.rows)):
        for c, value in enumerate(row):
            if j in base_of and c in base_col:
                changed = not same(value, base.rows[base_of[j]][base_col[c]])
            else:
                changed = not is_empty(value)
            if changed:
                provenance[(rid, ours.columns[c])] = credit
    state = State(Table(ours.columns, ours.rows, ours_ids), provenance)
    theirs_plain = Table(theirs.columns, theirs.rows)
    return merge(base_t, state, Revision(theirs_plain, THEIRS, seed=THEIRS), options)
