"""Three-way merge of one copy onto the canonical: apply only what the copy changed since its base.

``merge(base, state, revision)``:

* the copy is aligned to its base (columns, then rows) and its changes listed (``diff``);
* base rows are the state's rows of the same id (a base row missing from the state was deleted
  since the copy was made);
* a cell the copy changed: applied if the canonical still holds the base value, nothing if it
  already holds the copy's value, else a conflict settled by the policy (``conflicts``);
* a row the copy deleted: archived, unless the canonical changed it since (kept + conflict);
  a row deleted from the canonical since but edited in the copy comes back with the copy's edits
  (conflict). A stale copy therefore never reverts newer edits nor revives rows it did not edit;
* a row the copy added is first matched against rows other copies added since (same rules as row
  alignment): a match is the same task, so empty cells are filled and differing ones are
  conflicts; otherwise it is inserted (after the row preceding it in the copy) with a new id.
  Rows the copy added entirely empty are ignored;
* a column the copy added is added (after its left neighbour in the copy), or joined with a
  column of the same name another copy added since; a column missing from the copy is left alone,
  or with ``drop_columns`` deleted when nobody changed it since (values in rows added since are
  archived first). The copy's column reorders are applied (see ``order``); the canonical keeps
  its own column names and row order.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import compress, repeat
from operator import is_, itemgetter

from syncd.merge import conflicts
from syncd.merge.added_rows import AddedRows
from syncd.merge.align import align_columns
from syncd.merge.diff import compute_diff
from syncd.merge.ids import new_row_id
from syncd.merge.order import RowPlacement, merge_column_order, place_after_neighbours
from syncd.merge.plan import (
    ArchivedRow, CellChange, MergeOptions, MergeResult, Provenance, Revision, State,
)
from syncd.merge.rows import first_rows
from syncd.merge.values import is_empty, normalise_name, same, value_text
from syncd.merge.fuzzy import detect_title
from syncd.model import Table, Value


def _with_ids(base: Table, taken: set[str]) -> tuple[str, ...]:
    """The base's row ids, with fresh ones where a row has none or repeats an earlier id."""
    # each id's first row is the index id pairing uses too, remembered for the sync's copies
    if None not in base.row_ids and len(first_rows(base.row_ids)) == len(base.row_ids):
        return tuple(base.row_ids)  # a generation syncd stored: every row has its own id
    ids, seen = [], set()
    for n, (rid, row) in enumerate(zip(base.row_ids, base.rows)):
        if rid is None or rid in seen:
            rid = new_row_id("base", n, row, taken | seen)
        seen.add(rid)
        ids.append(rid)
    return tuple(ids)


class _Merge(AddedRows):
    """One merge in progress: a mutable copy of the state plus everything reported so far."""

    def __init__(self, base: Table, state: State, revision: Revision, options: MergeOptions):
        table = state.table
        # one set of the state's ids, for the check and then for the ids taken (100,000 rows: a
        # set costs a few milliseconds, and it was made three times a merge)
        state_ids = set(table.row_ids)
        if len(state_ids) != len(table.row_ids):
            raise ValueError("the state has two rows with the same row id")
        self.base, self.rev, self.options = base, revision, options
        self.state_table = table
        self.names: list[str] = list(table.columns)
        self.col_order: list[int] = list(range(table.width))
        # Rows stay the state's tuples until a cell of theirs changes (``_mutable``): most never do.
        self.rows: dict[str, list[Value] | tuple[Value, ...]] = dict(zip(table.row_ids, table.rows))
        self.row_order: list[str] = list(table.row_ids)
        self.prov: dict[tuple[str, str], Provenance] = dict(state.provenance)
        self.base_ids = _with_ids(base, state_ids)
        self.base_id_set = set(self.base_ids)
        state_ids |= self.base_id_set
        self.taken: set[str] = state_ids
        self.changes: list[CellChange] = []
        self.conflicts: list = []
        self.archived: list[ArchivedRow] = []
        self.inserted: list[str] = []
        self.added_names: list[str] = []
        self.removed_names: list[str] = []
        self.renamed: list[tuple[str, str]] = []
        self.placement = RowPlacement()
        self.stamp = Provenance(revision.label, revision.author, revision.modified)
        self._title_tok: int | None | bool = False  # False: not detected yet
        self._state_cols: list[tuple[int, int]] = []  # (base column, state column), set by run()
        self._title_col: int | None = None  # the title's column in the base, once looked up
        self._base_row_of: dict[str, int] | None = None

    # -- small helpers -------------------------------------------------------------------------

    @property
    def title_tok(self) -> int | None:
        """The canonical's title column. Detected on first use: a merge without conflicts or rows
        to match never needs it, and detection reads every row."""
        if self._title_tok is False:
            table = self.state_table
            self._title_tok = detect_title(table.rows, (), table.columns, self.options.title)
        return self._title_tok  # type: ignore[return-value]

    def _mutable(self, rid: str) -> list[Value]:
        row = self.rows[rid]
        if type(row) is not list:
            row = self.rows[rid] = list(row)
        return row  # type: ignore[return-value]

    def base_title(self, rid: str) -> str:
        """The row's title as the copy's base had it ('' when unknown)."""
        if self._base_row_of is None:
            tok = self.title_tok
            self._title_col = next((i for i, t in self._state_cols if t == tok), None)
            self._base_row_of = first_rows(self.base_ids)
        b = self._base_row_of.get(rid)
        if b is None or self._title_col is None:
            return ""
        return value_text(self.base.rows[b][self._title_col])

    def title_of(self, rid: str) -> str:
        """How a person recognises the row: its title as the copy's base had it (so a clash over
        the title itself names the task as both sides knew it), else its current title, else its
        first non-empty cell."""
        base_title = self.base_title(rid)
        if base_title:
            return base_title
        row = self.rows.get(rid)
        if row is None:
            return ""
        if self.title_tok is not None and not is_empty(row[self.title_tok]):
            return value_text(row[self.title_tok])
        return next((value_text(row[t]) for t in self.col_order if not is_empty(row[t])), "")

    def add_column(self, name: str) -> int:
        taken = set(self.names)
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name} ({n})", n + 1
        self.names.append(unique)
        for rid, row in self.rows.items():
            self.rows[rid] = [*row, None]
        return len(self.names) - 1

    def set_cell(self, rid: str, tok: int, value: Value, stamp: Provenance | None) -> None:
        row = self._mutable(rid)
        old = row[tok]
        row[tok] = value
        name = self.names[tok]
        self.changes.append(CellChange(rid, name, old, value, self.rev.label))
        if stamp is None:
            self.prov.pop((rid, name), None)
        else:
            self.prov[(rid, name)] = stamp

    def apply_edit(self, rid: str, tok: int, base_value: Value, new: Value) -> None:
        """The copy changed this cell from ``base_value`` to ``new``: the three-way rule."""
        current = self.rows[rid][tok]
        if same(current, new):
            return
        if same(current, base_value):
            self.set_cell(rid, tok, new, self.stamp)
            return
        name = self.names[tok]
        ours = conflicts.canonical_side(current, self.prov.get((rid, name)))
        theirs = conflicts.copy_side(new, self.rev)
        kept, record = conflicts.settle_edit(rid, name, self.title_of(rid), base_value, ours,
                                             theirs, self.options.policy)
        self.conflicts.append(record)
        if kept is theirs:
            self.set_cell(rid, tok, new, self.stamp)
        elif kept is not ours:  # "flag": back to the value both started from
            self.set_cell(rid, tok, base_value, None)

    def latest_stamp(self, rid: str, toks) -> conflicts.ConflictValue:
        """Who changed this row last, among the given cells (for "changed it since")."""
        keys = [(rid, self.names[t]) for t in toks]
        stamps = sorted((self.prov[k] for k in keys if k in self.prov),
                        key=lambda p: conflicts.age_key(p.modified))
        return conflicts.canonical_side(None, stamps[-1] if stamps else None)

    # -- the steps -----------------------------------------------------------------------------

    def run(self) -> MergeResult:
        base, rev = self.base, self.rev.table
        diff = compute_diff(base, rev, self.options)
        # Base and state both come from syncd: their rows correspond by id and nothing else.
        with_ids = Table(base.columns, base.rows, self.base_ids)
        state_cols = align_columns(with_ids, self.state_table, self.options, ids_only=True)
        self.tok_of_base = {i: t for i, t in state_cols}
        self._state_cols = state_cols
        from_base = set(self.tok_of_base.values())
        self.state_only = [t for t in self.col_order if t not in from_base]
        self.tok_of_rev = {j: self.tok_of_base[i] for j, i in diff.base_of_col.items()
                           if i in self.tok_of_base}
        for i, j in diff.alignment.renamed:
            if i in self.tok_of_base:
                self.renamed.append((self.names[self.tok_of_base[i]], rev.columns[j]))
        new_toks = self.restore_columns(diff) + self.add_columns(diff)
        edits = self.collect_edits(diff, new_toks)
        revived = [rid for rid in edits if rid not in self.rows]
        for rid, cells in edits.items():
            if rid in self.rows:
                for tok, base_value, new in cells:
                    self.apply_edit(rid, tok, base_value, new)
        self.delete_rows(diff, set(new_toks))
        self.revive_rows(diff, revived, edits)
        self.add_rows(diff, set(revived))
        dropped = self.drop_columns(diff) if self.options.drop_columns else set()
        return self.result(diff, new_toks, dropped)

    def restore_columns(self, diff) -> list[int]:
        """Base columns the canonical dropped since, but the copy edited: bring them back."""
        edited = {e.base_col for e in diff.edits} - set(self.tok_of_base)
        restored = []
        for i in sorted(edited):
            tok = self.add_column(self.base.columns[i])
            for n, rid in enumerate(self.base_ids):
                if rid in self.rows:
                    self._mutable(rid)[tok] = self.base.rows[n][i]
            self.tok_of_base[i] = tok
            self.tok_of_rev.update({j: tok for j, b in diff.base_of_col.items() if b == i})
            self.added_names.append(self.names[tok])
            restored.append(tok)
            first = next((e for e in diff.edits if e.base_col == i), None)
            rid = self.base_ids[first.base_row]
            self.conflicts.append(conflicts.column_revived(
                rid, self.names[tok], self.title_of(rid), self.base.rows[first.base_row][i],
                conflicts.copy_side(first.new, self.rev)))
        return restored

    def add_columns(self, diff) -> list[int]:
        """Columns the copy added: joined with a same-named column added since, else new."""
        rev = self.rev.table
        added = []
        free = list(self.state_only)
        for j in diff.added_columns:
            name = rev.columns[j]
            if not name.strip() and all(is_empty(r[j]) for r in rev.rows):
                continue  # an empty, unnamed column: nothing anybody typed
            match = next((t for t in free if self.names[t] == name), None)
            if match is None:
                match = next((t for t in free if normalise_name(self.names[t]) == normalise_name(name)
                              and normalise_name(name)), None)
            if match is not None:
                free.remove(match)
                if self.names[match] != name:
                    self.renamed.append((self.names[match], name))
                self.tok_of_rev[j] = match
                continue
            tok = self.add_column(name)
            self.tok_of_rev[j] = tok
            self.added_names.append(self.names[tok])
            added.append(tok)
        return added

    def collect_edits(self, diff, new_toks) -> dict[str, list[tuple[int, Value, Value]]]:
        """Every cell the copy set on a base row: edits, plus its values in columns it added."""
        edits: dict[str, list[tuple[int, Value, Value]]] = defaultdict(list)
        for e in diff.edits:
            edits[self.base_ids[e.base_row]].append(
                (self.tok_of_base[e.base_col], self.base.rows[e.base_row][e.base_col], e.new))
        added_cols = [(j, self.tok_of_rev[j]) for j in diff.added_columns if j in self.tok_of_rev]
        for r, b in sorted(diff.base_of_row.items()) if added_cols else ():
            for j, tok in added_cols:
                value = self.rev.table.rows[r][j]
                if not is_empty(value):
                    edits[self.base_ids[b]].append((tok, None, value))
        return edits

    def delete_rows(self, diff, new_toks: set[int]) -> None:
        """Rows the copy deleted: archived, unless changed since the copy was made."""
        deleter = conflicts.copy_side(None, self.rev)
        for b in diff.deleted_rows:
            rid = self.base_ids[b]
            row = self.rows.get(rid)
            if row is None:
                continue
            changed = [t for i, t in self.tok_of_base.items()
                       if t not in new_toks and not same(row[t], self.base.rows[b][i])]
            changed += [t for t in self.state_only if not is_empty(row[t])]
            if changed:
                self.conflicts.append(conflicts.row_kept(
                    rid, self.title_of(rid), self.latest_stamp(rid, changed), deleter))
                continue
            self.archived.append(ArchivedRow(
                rid, tuple((self.names[t], row[t]) for t in self.col_order), self.rev.label,
                self.rev.author, f"deleted in {self.rev.label}"))
            del self.rows[rid]
            for t in self.col_order:
                self.prov.pop((rid, self.names[t]), None)

    def revive_rows(self, diff, revived: list[str], edits) -> None:
        """Rows deleted from the canonical since, but edited in the copy: back, with the edits."""
        if not revived:
            return
        base_row = first_rows(self.base_ids)
        for rid in revived:
            b = base_row[rid]
            values: list[Value] = [None] * len(self.names)
            for i, t in self.tok_of_base.items():
                values[t] = self.base.rows[b][i]
            self.rows[rid] = values
            for tok, _base_value, new in edits[rid]:
                self.set_cell(rid, tok, new, self.stamp)
            self.conflicts.append(conflicts.row_revived(
                rid, self.title_of(rid), conflicts.copy_side(None, self.rev)))

    def drop_columns(self, diff) -> set[int]:
        """Base columns missing from the copy (``drop_columns``): deleted unless changed since."""
        dropped: set[int] = set()
        deleter = conflicts.copy_side(None, self.rev)
        for i in diff.removed_columns:
            tok = self.tok_of_base.get(i)
            if tok is None:
                continue
            name = self.names[tok]
            changed = [(rid, b) for b, rid in enumerate(self.base_ids)
                       if rid in self.rows and not same(self.rows[rid][tok], self.base.rows[b][i])]
            if changed:
                for rid, b in changed:
                    changer = conflicts.canonical_side(self.rows[rid][tok], self.prov.get((rid, name)))
                    self.conflicts.append(conflicts.column_kept(
                        rid, name, self.title_of(rid), self.base.rows[b][i], changer, deleter))
                continue
            for rid in self.row_order + self.inserted:
                row = self.rows.get(rid)
                if row is not None and rid not in self.base_id_set and not is_empty(row[tok]):
                    self.archived.append(ArchivedRow(
                        rid, ((name, row[tok]),), self.rev.label, self.rev.author,
                        f'the column {name} was deleted in {self.rev.label}'))
            for rid in self.rows:
                self.prov.pop((rid, name), None)
            dropped.add(tok)
            self.removed_names.append(name)
        return dropped

    def result(self, diff, new_toks: list[int], dropped: set[int]) -> MergeResult:
        kept = [t for t in self.col_order if t not in dropped]
        base_pos = {t: i for i, t in self.tok_of_base.items()}
        rev_pos = {t: j for j, t in self.tok_of_rev.items()}
        order = merge_column_order(kept, base_pos, rev_pos) if self.options.reorder_columns else kept
        reordered = order != kept
        rev_cols = sorted((j, t) for j, t in self.tok_of_rev.items() if t in set(new_toks))
        left = {j: [self.tok_of_rev[k] for k in range(j - 1, -1, -1) if k in self.tok_of_rev]
                for j, _ in rev_cols}
        order = place_after_neighbours(order, [(t, left[j]) for j, t in rev_cols])
        row_order = self.placement.layout(list(filter(self.rows.__contains__, self.row_order)))
        names = tuple(self.names[t] for t in order)
        table = Table(names, _rows_in_order(self.rows, row_order, order), tuple(row_order))
        name_set = set(names)
        prov = {k: v for k, v in self.prov.items() if k[0] in self.rows and k[1] in name_set}
        return MergeResult(
            state=State(table, prov),
            changes=tuple(self.changes),
            inserted=tuple(self.inserted),
            archived=tuple(self.archived),
            conflicts=tuple(self.conflicts),
            columns_added=tuple(self.added_names),
            columns_removed=tuple(self.removed_names),
            renamed=tuple(dict.fromkeys(self.renamed)),
            reordered=reordered,
        )


def _rows_in_order(rows: dict, row_order: list[str], order: list[int]) -> tuple[tuple[Value, ...], ...]:
    """The rows as tuples of the cells ``order`` names; an untouched row whose columns did not move
    is reused as it is (a 100,000-row canonical has few rows that changed)."""
    if not order:
        return tuple(() for _ in row_order)
    if order == list(range(len(order))):
        width = len(order)
        out = list(map(rows.__getitem__, row_order))
        if set(map(len, out)) == {width}:
            # only the rows a cell of which changed are lists (``_mutable``): found in C
            for k in compress(range(len(out)), map(is_, map(type, out), repeat(list))):
                out[k] = tuple(out[k])
            return tuple(out)
        return tuple(r if type(r) is tuple and len(r) == width else tuple(r[:width]) for r in out)
    pick = itemgetter(*order)
    if len(order) == 1:
        return tuple((pick(rows[rid]),) for rid in row_order)
    return tuple(pick(rows[rid]) for rid in row_order)


def merge(base: Table, state: State, revision: Revision,
          options: MergeOptions = MergeOptions()) -> MergeResult:
    """Apply what ``revision`` changed relative to ``base`` (the generation it was made from) onto
    ``state`` (the canonical now). Pure: the inputs are not modified. See the module docstring for
    the rules; every value that does not end up in the canonical is in ``conflicts`` or
    ``archived``."""
    return _Merge(base, state, revision, options).run()
