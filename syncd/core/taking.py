"""Taking a pass's new copies into the state: each merged three-way against its own base, oldest first.

A copy made from a generation syncd wrote names it (lineage and generation in the workbook), and
only what its sender changed since is applied; a copy with no known base is merged against the
most similar of the recent generations. A copy is merged the moment it is read (``early``), while
the machine's other core still reads the rest; those merges stand only while the copies come out
of reading in the order they are taken in (``arrival_order``), else ``take`` redoes the rest in
that order.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, NamedTuple

from syncd.config import TrackerConfig
from syncd.core.intake import Arrival, Progress, arrival_order
from syncd.core.journal import Generation, Journal, NewCopy
from syncd.core.records import counts_for
from syncd.core.report import CopyReport
from syncd.merge import (
    MergeOptions, MergeResult, Revision, State, initial_state, merge, pick_base, title_of_table,
)
from syncd.merge.rows import first_rows
from syncd.model import Table

#: how many recent generations a copy with no known base is compared against
BASE_CANDIDATES = 10


def dedupe_ids(table: Table) -> Table:
    """A row copy-pasted in Excel carries its hidden id along; only its first occurrence keeps it."""
    # the ids' first rows, which pairing the copy's rows by id asks for again (remembered)
    if len(first_rows(table.row_ids)) == len(table.row_ids) - table.row_ids.count(None):
        return table  # every id once: the usual case, told without a Python loop
    seen: set[str] = set()
    ids: list[str | None] = []
    changed = False
    for rid in table.row_ids:
        if rid is not None and rid in seen:
            ids.append(None)
            changed = True
        else:
            ids.append(rid)
            if rid is not None:
                seen.add(rid)
    return replace(table, row_ids=tuple(ids)) if changed else table


class _Merged(NamedTuple):
    arrival: Arrival
    base_gen: int | None
    inferred: bool
    result: MergeResult


class CopyTaker:
    """Merges one pass's copies; ``results`` (shared with the pass), ``copy_reports``, ``new_copies``
    and ``settled`` (cells a mirrored sheet, which is the canonical too, set) say what it did."""

    def __init__(self, tracker: TrackerConfig, journal: Journal, options: MergeOptions, mirror_labels: set[str],
                 latest: Generation | None, results: list[tuple[str, MergeResult]]) -> None:
        self.t = tracker
        self.journal = journal
        self._options = options
        self._title_from: State | None = None
        self.mirror_labels = mirror_labels
        self.results = results
        self.copy_reports: list[CopyReport] = []
        self.new_copies: list[NewCopy] = []
        self.settled: set[tuple[str, str | None]] = set()
        self._generations: dict[int, Generation | None] = {latest.gen: latest} if latest else {}
        self._recent: list[Generation] | None = None
        self._early: list[_Merged] = []
        self._early_from: State | None = None
        self._early_stopped = False
        self._lineage: str | None = None

    def start(self, state: State | None, lineage: str | None) -> Callable[[Arrival], None] | None:
        """What ``gather`` hands each copy it has read: merges it at once onto ``state``. ``None`` on
        a first sync, whose copies are combined all together."""
        self._early_from, self._lineage = state, lineage
        self._title_from = state
        return self.early if state is not None else None

    @property
    def options(self) -> MergeOptions:
        """The merge options of this pass. One title column for the whole pass, the canonical's:
        each merge would otherwise look for it again over every row, and a task must be recognised
        by the same column in all. Worked out when the first merge needs it, not in ``start``: the
        copies are then being read already (0.2 s earlier on 100,000 rows)."""
        if self._title_from is not None:
            state, self._title_from = self._title_from, None
            if self._options.title is None:
                title = title_of_table(state.table)
                if title is not None:
                    self._options = replace(self._options, title=title)
        return self._options

    def current(self) -> State | None:
        """The state the copies merged so far made (``None`` before a first sync's copies)."""
        return self._early[-1].result.state if self._early else self._early_from

    def early(self, a: Arrival) -> None:
        """Merge ``a`` now, onto the state the copies read before it made (see the module docstring)."""
        if self._early_stopped or self._early_from is None:
            return
        if self._early and arrival_order(a) < arrival_order(self._early[-1].arrival):
            self._early_stopped = True  # saved in another order than the files' times say
            return
        state = self._early[-1].result.state if self._early else self._early_from
        base, base_gen, inferred = self._base_for(a, state)
        self._early.append(_Merged(a, base_gen, inferred, merge(base, state, self._revision(a), self.options)))

    def take(self, arrivals: tuple[Arrival, ...], state: State | None, progress: Progress | None) -> State:
        """``state`` with every copy of ``arrivals`` (in ``arrival_order``) merged in."""
        if state is None:
            result = initial_state([self._revision(a) for a in arrivals], self.options)
            self.results.append(("first sync", result))
            for a in arrivals:
                self._took(a, None, True, None, counts=counts_for(result, a.ref.name))
            return result.state
        ready = 0  # the early merges made onto this state, in the order the copies are taken in
        while state is self._early_from and ready < min(len(self._early), len(arrivals)) and self._early[ready].arrival is arrivals[ready]:
            ready += 1
        for i, a in enumerate(arrivals):
            if progress:
                progress(f"merging {a.ref.name}", i, len(arrivals))
            if i < ready:
                _, base_gen, inferred, result = self._early[i]
            else:
                base, base_gen, inferred = self._base_for(a, state)
                result = merge(base, state, self._revision(a), self.options)
            self.results.append((a.ref.name, result))
            if a.ref.source in self.mirror_labels:
                # a mirrored sheet is the canonical too: typing the right value there settles a conflict
                self.settled |= {(c.row_id, c.column) for c in result.changes}
            self._took(a, base_gen, inferred, result)
            state = result.state
        self._early = []
        return state

    def _revision(self, a: Arrival) -> Revision:
        return Revision(dedupe_ids(a.read.table), a.ref.name, a.author, a.modified, seed=a.digest)

    def _base_for(self, a: Arrival, state: State) -> tuple[Table, int | None, bool]:
        meta = a.read.meta
        if self._lineage and meta.lineage == self._lineage and meta.generation is not None:
            # Copies of one generation share one decoded table (a 100,000-row one takes a second).
            if meta.generation not in self._generations:
                self._generations[meta.generation] = self.journal.generation(self.t.name, meta.generation)
            gen = self._generations[meta.generation]
            if gen is not None:
                return gen.table, gen.gen, False
        if self._recent is None:  # decoded once a pass: every copy without a known base compares them
            self._recent = self.journal.recent(self.t.name, BASE_CANDIDATES, known=self._generations)
        candidates = self._recent
        if not candidates:
            return state.table, None, True
        idx = pick_base(self._revision(a), [g.table for g in candidates], self.options)
        return candidates[idx].table, candidates[idx].gen, True

    def _took(self, a: Arrival, base_gen: int | None, inferred: bool, result: MergeResult | None,
              counts: dict[str, int] | None = None) -> None:
        counts = counts or {
            "changes": len(result.changes) if result else 0,
            "inserted": len(result.inserted) if result else 0,
            "archived": len(result.archived) if result else 0,
            "conflicts": len(result.conflicts) if result else 0,
        }
        status = "taken" if result is None or result.changed or result.conflicts else "no changes"
        self.copy_reports.append(CopyReport(a.ref.name, a.ref.source, status, None, a.author, base_gen, inferred,
                                            **counts))
        self.new_copies.append(NewCopy(a.digest, a.ref.name, a.ref.location, a.ref.size, a.ref.mtime, status, None,
                                       a.author, base_gen, counts))
