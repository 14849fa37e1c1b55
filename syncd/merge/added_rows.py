"""The rows a copy added, in a three-way merge: matched to rows other copies added since, or
inserted, and placed where the copy has them.

Apart from ``three_way`` because it is one step of its own (the largest), with its own matching:
a row another copy already added is the same task, to be filled in, not a second row. A mixin of
``three_way._Merge``, whose state (rows, order, provenance, ids taken) it works on.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from itertools import filterfalse
from typing import Callable

from syncd.merge.dupes import match_duplicates
from syncd.merge.ids import new_row_id
from syncd.merge.rows import first_rows, match_rows
from syncd.merge.values import is_empty
from syncd.model import Table, Value


class AddedRows:
    """``add_rows`` and its parts, for ``three_way._Merge``."""

    def add_rows(self, diff, revived: set[str]) -> None:
        """Walk the copy's rows in order: place revived rows, match or insert added ones."""
        rev = self.rev.table
        cols = sorted(self.tok_of_rev.items())
        added = [r for r in diff.added_rows if any(not is_empty(rev.rows[r][j]) for j, _ in cols)]
        matched = self.match_added(added, cols)
        # The copy rows the canonical has: every row matched to a base row, but the few whose task
        # the canonical no longer has (another copy deleted it) or that come back. Found in C, in
        # order; a row's id is looked up only for the rows next to an added one.
        base_of_row, base_ids = diff.base_of_row, self.base_ids
        ids = list(map(base_ids.__getitem__, base_of_row.values()))
        gone = set(filterfalse(self.rows.__contains__, ids))  # few: filtered in C, no set of all
        if revived:
            gone |= revived.intersection(ids)
        # the base's ids are its own (``_with_ids``): each one's first row is its row
        copy_row = _copy_rows(diff.alignment.rows, first_rows(base_ids))
        revived_at = {r: rid for rid in revived if (r := copy_row(rid)) is not None}
        left_out = set(diff.added_rows)
        left_out.update(map(copy_row, gone))
        known = list(filterfalse(left_out.__contains__, range(len(rev))))

        def rid_of_row(r: int) -> str:
            return base_ids[base_of_row[r]]

        # Only added and revived rows need placing: each goes after the nearest row above it in
        # the copy (one the canonical has, or one placed just before), else before the nearest
        # row below it. Rows the canonical has are found by bisection, not by walking every row.
        last_placed: tuple[int, str] | None = None
        for r in sorted(set(added) | revived_at.keys()):
            k = bisect.bisect_left(known, r)
            above = rid_of_row(known[k - 1]) if k > 0 else None
            if last_placed is not None and (k == 0 or known[k - 1] < last_placed[0]):
                above = last_placed[1]
            below = rid_of_row(known[k]) if k < len(known) else None
            rid = revived_at.get(r)
            if rid is not None:
                self.place(rid, above, below)
            else:
                rid = matched.get(r)
                if rid is None:
                    rid = self.insert_row(r, cols)
                    self.place(rid, above, below)
                else:
                    for j, tok in cols:
                        new = rev.rows[r][j]
                        if not is_empty(new):
                            self.apply_edit(rid, tok, None, new)
            last_placed = (r, rid)

    def match_added(self, added: list[int], cols) -> dict[int, str]:
        """Copy rows that are the same task as a row another copy added since (row -> id)."""
        added_since = self.rows.keys() - self.base_id_set
        candidates = list(filter(added_since.__contains__, self.row_order)) if added_since else []
        if not added or not candidates:
            return {}
        rev = self.rev.table
        names = tuple(self.names[t] for _, t in cols)
        ours = Table(names, tuple(tuple(rev.rows[r][j] for j, _ in cols) for r in added),
                     tuple(rev.row_ids[r] for r in added))
        theirs = Table(names, tuple(tuple(self.rows[rid][t] for _, t in cols) for rid in candidates),
                       tuple(candidates))
        options = self.options
        if options.title is None and self.title_tok is not None:
            # The canonical's title column, not one guessed from these few rows: the guess could
            # differ from one merge to the next and a task would then not be recognised again.
            options = replace(options, title=self.names[self.title_tok])
        pairs = match_rows(ours, theirs, [(n, n) for n in range(len(cols))], options)
        matched = {added[i]: candidates[k] for i, k in pairs}
        # A second chance with the duplicate score, which knows that "(v2)" or "- draft" tacked on
        # does not make another task (the row matcher's guard is stricter about such tokens).
        free_a = [i for i in range(len(added)) if added[i] not in matched]
        taken = set(matched.values())
        free_b = [k for k in range(len(candidates)) if candidates[k] not in taken]
        if free_a and free_b:
            sub_a = Table(names, tuple(ours.rows[i] for i in free_a))
            sub_b = Table(names, tuple(theirs.rows[k] for k in free_b))
            for i, k in match_duplicates(sub_a, sub_b, title=options.title, key=options.key):
                matched[added[free_a[i]]] = candidates[free_b[k]]
        return matched

    def insert_row(self, r: int, cols) -> str:
        row = self.rev.table.rows[r]
        rid = new_row_id(self.rev.seed, r, row, self.taken)
        self.taken.add(rid)
        values: list[Value] = [None] * len(self.names)
        for j, tok in cols:
            values[tok] = row[j]
            if not is_empty(row[j]):
                self.prov[(rid, self.names[tok])] = self.stamp
        self.rows[rid] = values
        self.inserted.append(rid)
        return rid

    def place(self, rid: str, last: str | None, nxt: str | None) -> None:
        if last is not None:
            self.placement.after(last, rid)
        elif nxt is not None:
            self.placement.before(nxt, rid)
        else:
            self.placement.at_end(rid)


def _copy_rows(pairs: tuple[tuple[int, int], ...], base_row: dict[str, int]) -> Callable[[str], int | None]:
    """The copy row paired with a base row's id (``None``: not paired), looked up by bisection in
    the alignment's ``(base row, copy row)`` pairs, which are sorted by base row: the few ids
    asked about need no index of all 100,000 pairs."""

    def copy_row(rid: str) -> int | None:
        b = base_row.get(rid)
        if b is None:
            return None
        k = bisect.bisect_left(pairs, (b,))
        return pairs[k][1] if k < len(pairs) and pairs[k][0] == b else None

    return copy_row
