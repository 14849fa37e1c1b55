"""Merging three plain files (``syncd merge BASE OURS THEIRS``): no row ids, no history.

The base's rows get ids; ours is aligned to the base and becomes the state (its rows take the ids
of the base rows they are, its own new rows fresh ones, and every cell it changed is credited to
"ours"); then theirs is merged onto it three-way, as any copy is merged onto the canonical. With
no modified times, a same-cell clash goes to theirs under the default "newest" policy (a tie goes
to the copy merged in) and is reported in ``conflicts``.
"""

from __future__ import annotations

from itertools import chain

from syncd.merge.align import align_tables
from syncd.merge.ids import assign_ids
from syncd.merge.plan import MergeOptions, MergeResult, Provenance, Revision, State
from syncd.merge.three_way import merge
from syncd.merge.values import is_empty, same
from syncd.model import Table, picker

OURS = "ours"
THEIRS = "theirs"


def merge3(base: Table, ours: Table, theirs: Table,
           options: MergeOptions = MergeOptions(drop_columns=True, reorder_columns=True)) -> MergeResult:
    """Merge ``ours`` and ``theirs``, both edited from ``base``. Row ids in the inputs are ignored.
    The result's state has ours' column names and row order."""
    # The ids never leave this merge (ours' rows take the ids of the base rows they are), so the
    # base's can be its positions: hashing every row's content would cost more than the merge.
    base_ids = tuple(f"base{n}" for n in range(len(base)))
    base_t = Table(base.columns, base.rows, base_ids)
    ours_plain = Table(ours.columns, ours.rows)
    alignment = align_tables(base_t, ours_plain, options)
    base_of = {j: i for i, j in alignment.rows}
    fresh = iter(assign_ids("ours", [r for j, r in enumerate(ours.rows) if j not in base_of], base_ids))
    ours_ids = tuple(base_ids[base_of[j]] if j in base_of else next(fresh) for j in range(len(ours)))
    credit = Provenance(OURS)
    base_col = {j: i for i, j in alignment.columns}
    provenance = {}
    # A row ours left as it was (one tuple comparison, as in ``compute_diff``) only needs its
    # columns the base does not have looked at.
    mapped = [c for c in range(ours.width) if c in base_col]
    only_ours = [c for c in range(ours.width) if c not in base_col]
    pick_ours, pick_base = picker(mapped), picker([base_col[c] for c in mapped])
    no_bools = not any(bool in map(type, chain.from_iterable(t.rows)) for t in (base, ours))
    for j, (rid, row) in enumerate(zip(ours_ids, ours.rows)):
        b = base_of.get(j)
        unchanged = b is not None and no_bools and pick_ours(row) == pick_base(base.rows[b])
        for c in only_ours if unchanged else range(len(row)):
            value = row[c]
            if j in base_of and c in base_col:
                changed = not same(value, base.rows[base_of[j]][base_col[c]])
            else:
                changed = not is_empty(value)
            if changed:
                provenance[(rid, ours.columns[c])] = credit
    state = State(Table(ours.columns, ours.rows, ours_ids), provenance)
    theirs_plain = Table(theirs.columns, theirs.rows)
    return merge(base_t, state, Revision(theirs_plain, THEIRS, seed=THEIRS), options)
