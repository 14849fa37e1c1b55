"""Finding a base when a copy does not say which generation it was made from.

``pick_base(revision, generations)``: the stored generation closest to the copy. Closeness is
``2 x shared cells - cells of the generation - cells of the copy`` (the negated size of their
difference), where cells are compared as (column name, value) pairs regardless of row, plus the
copy's row ids when it kept any. A generation that lacks rows the copy has, or has rows the copy
lacks, is further away. On a tie the OLDEST generation wins: against an older base a clash shows
up as a conflict, against a newer one it could silently overwrite the other person's edit.

``initial_state(revisions)`` — the first sync, when there is no canonical yet:

1. The copies are taken oldest first (by their modified time; copies without a time count as
   oldest, ties keep the given order). Every copy is aligned to the oldest one (columns, then
   rows); rows the oldest lacks are matched between the newer copies in the same way.
2. The base has the oldest copy's columns. A row is a base row when a majority of the copies have
   it (exactly half: when the oldest copy has it).
3. Each base cell holds the value most copies agree on; on a tie, the oldest copy's value.
4. Every copy is then merged three-way onto that base, oldest first, exactly as later syncs
   merge copies onto the canonical — so a value only one copy changed is taken, and two copies
   changing one cell differently is a conflict settled by the policy.
"""

from __future__ import annotations

from collections import Counter
from operator import itemgetter
from typing import Sequence

from syncd.merge.align import align_tables
from syncd.merge.columns import match_columns_by_name
from syncd.merge.conflicts import age_key
from syncd.merge.ids import new_row_id
from syncd.merge.order import RowPlacement
from syncd.merge.plan import MergeOptions, MergeResult, Revision, State
from syncd.merge.rows import match_rows
from syncd.merge.three_way import merge
from syncd.merge.values import is_empty, normalise_name, value_key
from syncd.model import Table, Value


def _cells(table: Table, columns: Sequence[int], names: Sequence[str], ids: bool) -> Counter:
    bag: Counter = Counter()
    empty = value_key(None)  # the key of every empty cell
    for c, name in zip(columns, names):
        # Column by column, counted in C: a column repeats its values down the rows.
        per = Counter(map(value_key, map(itemgetter(c), table.rows)))
        per.pop(empty, None)
        bag.update({(name, key): n for key, n in per.items()})
    if ids:
        bag.update(("\x00id", rid) for rid in table.row_ids if rid is not None)
    return bag


def pick_base(revision: Revision, generations: Sequence[Table],
              options: MergeOptions = MergeOptions()) -> int:
    """Index into ``generations`` of the one ``revision`` was most likely made from (see the module
    docstring). Raises ``ValueError`` when there are no generations."""
    if not generations:
        raise ValueError("pick_base needs at least one generation")
    if len(generations) == 1:
        return 0
    copy = revision.table
    # Row ids only count when the copy kept them (a copy saved as CSV loses them all).
    ids = any(rid is not None for rid in copy.row_ids)
    best, best_score = 0, None
    for n, generation in enumerate(generations):
        pairs = match_columns_by_name(generation.columns, copy.columns)
        names = [normalise_name(generation.columns[i]) or generation.columns[i] for i, _ in pairs]
        theirs = _cells(generation, [i for i, _ in pairs], names, ids)
        ours = _cells(copy, [j for _, j in pairs], names, ids)
        # Cells in columns only one side has count as difference too.
        lone_g = [i for i in range(generation.width) if i not in {p for p, _ in pairs}]
        lone_c = [j for j in range(copy.width) if j not in {q for _, q in pairs}]
        extra = sum(not is_empty(r[i]) for r in generation.rows for i in lone_g)
        extra += sum(not is_empty(r[j]) for r in copy.rows for j in lone_c)
        shared = sum((theirs & ours).values())
        score = 2 * shared - sum(theirs.values()) - sum(ours.values()) - extra
        if best_score is None or score > best_score:
            best, best_score = n, score
    return best


def initial_state(revisions: Sequence[Revision],
                  options: MergeOptions = MergeOptions()) -> MergeResult:
    """The first canonical, built from copies that share no known base (see the module docstring).

    The result's ``state`` is the canonical; its changes, conflicts and archived rows are those of
    merging every copy onto the inferred base, oldest copy first.
    """
    if not revisions:
        return MergeResult(State(Table((), ())))
    oldest_first = sorted(range(len(revisions)), key=lambda k: (age_key(revisions[k].modified), k))
    ordered = [revisions[k] for k in oldest_first]
    base = _infer_base(ordered, options)
    state = State(base)
    results = []
    for revision in ordered:
        result = merge(base, state, revision, options)
        results.append(result)
        state = result.state
    return MergeResult(
        state=state,
        changes=tuple(c for r in results for c in r.changes),
        inserted=tuple(i for r in results for i in r.inserted),
        archived=tuple(a for r in results for a in r.archived),
        conflicts=tuple(c for r in results for c in r.conflicts),
        columns_added=tuple(dict.fromkeys(c for r in results for c in r.columns_added)),
        columns_removed=tuple(dict.fromkeys(c for r in results for c in r.columns_removed)),
        renamed=tuple(dict.fromkeys(p for r in results for p in r.renamed)),
        reordered=any(r.reordered for r in results),
    )


def _infer_base(ordered: Sequence[Revision], options: MergeOptions) -> Table:
    """The consensus table the copies most likely started from (steps 1-3 of the docstring)."""
    oldest = ordered[0].table
    width = oldest.width
    # clusters[k] = {copy index: row index}; the first len(oldest) clusters are the oldest's rows.
    clusters: list[dict[int, int]] = [{0: i} for i in range(len(oldest))]
    col_maps: list[dict[int, int]] = [{i: i for i in range(width)}]
    extras: list[tuple[Value, ...]] = []  # rows the oldest lacks, in the oldest's columns
    extra_cluster: list[int] = []
    placement = RowPlacement()
    for n, revision in enumerate(ordered[1:], start=1):
        table = revision.table
        alignment = align_tables(oldest, table, options)
        col_map = {i: j for i, j in alignment.columns}
        col_maps.append(col_map)
        seen = set()
        for i, j in alignment.rows:
            clusters[i][n] = j
            seen.add(j)
        left = [j for j in range(len(table)) if j not in seen]
        if not left:
            continue
        projected = [tuple(table.rows[j][col_map[c]] if c in col_map else None for c in range(width))
                     for j in left]
        pairs = match_rows(Table(oldest.columns, tuple(extras)), Table(oldest.columns, tuple(projected)),
                           [(c, c) for c in range(width)], options) if extras else []
        matched = {k: e for e, k in pairs}
        row_of = {j: i for i, j in alignment.rows}
        for k, j in enumerate(left):
            if k in matched:
                clusters[extra_cluster[matched[k]]][n] = j
                continue
            clusters.append({n: j})
            extras.append(projected[k])
            extra_cluster.append(len(clusters) - 1)
            before = next((row_of[p] for p in range(j - 1, -1, -1) if p in row_of), None)
            placement.after(("c", before) if before is not None else ("c", -1), ("c", len(clusters) - 1))
    total = len(ordered)
    keep = [c for c, members in enumerate(clusters)
            if 2 * len(members) > total or (2 * len(members) == total and 0 in members)]
    keep_set = set(keep)
    layout = placement.layout([("c", -1)] + [("c", c) for c in range(len(oldest))])
    order = [c for _, c in layout if c in keep_set]
    rows, ids, taken = [], [], set()
    seed = "initial\x00" + "\x00".join(r.seed for r in ordered)
    for position, c in enumerate(order):
        row = tuple(_consensus(ordered, clusters[c], col_maps, col) for col in range(width))
        rid = next((ordered[n].table.row_ids[j] for n, j in sorted(clusters[c].items())
                    if ordered[n].table.row_ids[j] is not None
                    and ordered[n].table.row_ids[j] not in taken), None)
        if rid is None:
            rid = new_row_id(seed, position, row, taken)
        taken.add(rid)
        rows.append(row)
        ids.append(rid)
    return Table(oldest.columns, tuple(rows), tuple(ids))


def _consensus(ordered: Sequence[Revision], members: dict[int, int], col_maps, col: int) -> Value:
    """The value most copies holding this row give this cell; on a tie the oldest copy's."""
    values = [(n, ordered[n].table.rows[j][col_maps[n][col]]) for n, j in sorted(members.items())
              if col in col_maps[n]]
    if not values:
        return None
    counts = Counter(value_key(v) for _, v in values)
    top = max(counts.values())
    return next(v for _, v in values if counts[value_key(v)] == top)
