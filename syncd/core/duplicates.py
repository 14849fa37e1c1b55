"""The duplicates step of a sync: honour the team's decisions, flag the rest in the workbook.

After the copies are merged the engine calls ``settle_duplicates`` with the merged state. In order:

1. Decisions typed into the canonical's **Duplicates** sheet (its Decision column) are read back:
   ``keep both`` remembers every pair of the cluster in the journal, so it is never flagged again;
   ``merge`` merges the cluster into its topmost row — filled cells win over empty ones, a cell both
   rows fill differently keeps the top row's value and becomes a conflict (comment + Conflicts sheet),
   and each row merged away goes to the Archive sheet ("merged into row N as a duplicate").
2. Duplicates are looked for (``syncd.merge.dupes``), leaving out pairs the team kept apart: in the
   whole table the first time, later only from the rows that changed since the last search and the
   rows it flagged (``Earlier``). With ``auto_merge_above`` set, clusters whose every pair scores at
   least that much are merged without asking.
3. What is left is flagged: one row per cluster on the Duplicates sheet (with a Decision dropdown),
   and a highlight plus a comment on each title cell naming the other row(s).

A decision taken is a change: the engine writes a new generation, and the decision is stored with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from syncd.config import TrackerConfig
from syncd.core import title_cache
from syncd.core.workers import split_map
from syncd.merge import ArchivedRow, CellChange, Conflict, ConflictValue, MergeResult, Provenance, State
from syncd.merge.dupes import DupeSettings, UnknownColumn, combine_rows, find_duplicates, parsed_titles, warm_up
from syncd.merge.dupes.fields import plan_fields
from syncd.merge.dupes.cluster import Cluster
from syncd.merge.messages import CANONICAL, show_value
from syncd.merge.values import is_empty, value_text
from syncd.model import SheetRead, Table, Value
from syncd.workbook.write import CellNote

DUPLICATES_SHEET = "Duplicates"
KEEP, MERGE = "keep both", "merge"
DECISIONS = (KEEP, MERGE)
COLUMNS = ("Cluster", "Rows", "Tasks", "Score", "Why", "Decision", "Row ids")
#: What people type for each decision, beyond the dropdown's own words (case and spaces ignored).
_SAYS = {
    KEEP: {"keep both", "keep", "keep all", "keep them", "keep both rows", "not a duplicate", "not duplicate",
           "different", "no"},
    MERGE: {"merge", "merge them", "merge both", "merge all", "yes", "duplicate", "same"},
}
#: Label of the values a decision on the Duplicates sheet brought in (for conflicts and provenance).
SHEET_LABEL = "Duplicates sheet"
AUTO_LABEL = "automatic duplicate merge"


@dataclass(frozen=True)
class DupeOutcome:
    """What the duplicates step decided. ``result`` carries the merges as a merge result (changes,
    conflicts, archived rows) for the engine to journal and report like any merge; ``sheet`` is the
    Duplicates sheet (``None`` when detection is off); ``decisions`` are to be stored with the
    generation; ``problems`` are lines for the sync report (a decision syncd could not read)."""

    state: State
    result: MergeResult
    notes: tuple[CellNote, ...] = ()
    sheet: Table | None = None
    dropdowns: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    decisions: tuple[tuple[str, str, str], ...] = ()
    problems: tuple[str, ...] = ()
    flagged: int = 0
    #: what the next sync needs to search again only where rows changed (``Earlier.record``)
    record: dict | None = None

    @property
    def changed(self) -> bool:
        """A decision was taken (a merge, or a pair kept apart): worth a new generation."""
        return bool(self.decisions) or self.result.changed


@dataclass(frozen=True)
class Earlier:
    """The last search for duplicates: the table it searched and the rows it flagged. The next sync
    searches only pairs with a row that changed since or that was flagged then; every other pair was
    looked at then and found apart (only the rarity of words, counted over the whole table, has moved
    a little since). Stored in the generation's summary (``record``, ``from_summary``)."""

    settings: str
    table: Table
    flagged: frozenset[str]

    #: bump when the scoring changes enough that earlier searches no longer stand
    VERSION = 1

    @staticmethod
    def record(settings: DupeSettings, flagged: Iterable[str]) -> dict:
        return {"version": Earlier.VERSION, "settings": repr(settings), "flagged": sorted(set(flagged))}

    @staticmethod
    def from_summary(summary: dict | None, table: Table) -> "Earlier | None":
        got = (summary or {}).get("duplicates")
        if not isinstance(got, dict) or got.get("version") != Earlier.VERSION:
            return None
        return Earlier(str(got.get("settings")), table, frozenset(map(str, got.get("flagged") or ())))

    def focus(self, table: Table, settings: DupeSettings) -> list[int] | None:
        """Indices of the rows of ``table`` to search from; ``None``: search the whole table."""
        if self.settings != repr(settings) or self.table.columns != table.columns:
            return None
        before = dict(zip(self.table.row_ids, self.table.rows))
        flagged = self.flagged
        focus = [n for n, (rid, row) in enumerate(zip(table.row_ids, table.rows))
                 if rid in flagged or before.get(rid) != row]
        return focus if len(focus) <= len(table) * MAX_FOCUS else None


#: Beyond this share of changed rows a sync searches the whole table (as fast, and exact).
MAX_FOCUS = 0.4


def empty_sheet() -> Table:
    return Table.from_lists(list(COLUMNS), [])


def _decision(text: Value) -> str | None:
    said = " ".join(value_text(text).casefold().replace("_", " ").split())
    for decision, words in _SAYS.items():
        if said in words:
            return decision
    return None


@dataclass
class _Typed:
    decision: str | None
    said: str
    ids: list[str]
    number: Value


def read_decisions(canon: SheetRead | None) -> list[_Typed]:
    """Decisions typed into the canonical's Duplicates sheet (rows whose Decision is not empty)."""
    if canon is None:
        return []
    table = next((t for name, t in canon.extras if name == DUPLICATES_SHEET), None)
    if table is None:
        return []
    cols = {c.strip().casefold(): i for i, c in enumerate(table.columns)}
    at_decision, at_ids = cols.get("decision"), cols.get("row ids")
    if at_decision is None or at_ids is None:
        return []
    at_cluster = cols.get("cluster")
    out = []
    for row in table.rows:
        said = row[at_decision]
        if is_empty(said):
            continue
        ids = [i for i in re.split(r"[\s,;]+", value_text(row[at_ids])) if i]
        number = row[at_cluster] if at_cluster is not None else None
        out.append(_Typed(_decision(said), value_text(said), ids, number))
    return out


class _Work:
    """The table being settled: rows by id, in order, with their provenance; merges recorded."""

    def __init__(self, state: State, title: str | None) -> None:
        self._state = state
        self.columns = state.table.columns
        self.order = list(state.table.row_ids)
        # the state's own tuples: a merge replaces the rows it changes (most searches merge none)
        self.rows: dict[str, Sequence[Value]] = dict(zip(state.table.row_ids, state.table.rows))
        self.prov = dict(state.provenance)
        self.title = title if title in self.columns else None
        self.changes: list[CellChange] = []
        self.conflicts: list[Conflict] = []
        self.archived: list[ArchivedRow] = []

    def row_number(self, rid: str) -> int:
        return self.order.index(rid) + 2  # the header is row 1 of the canonical's data sheet

    def title_of(self, rid: str) -> str:
        row = self.rows[rid]
        if self.title is not None and not is_empty(row[self.columns.index(self.title)]):
            return value_text(row[self.columns.index(self.title)])
        return next((value_text(v) for v in row if not is_empty(v)), "")

    def merge(self, ids: list[str], label: str) -> list[tuple[str, str, str]]:
        """Merge the rows ``ids`` into the topmost of them; returns the decisions to store."""
        ids = sorted(dict.fromkeys(i for i in ids if i in self.rows), key=self.order.index)
        if len(ids) < 2:
            return []
        keep, decided = ids[0], []
        for other in ids[1:]:
            number, other_number = self.row_number(keep), self.row_number(other)
            combined = combine_rows(self.rows[keep], self.rows[other])
            title, other_title = self.title_of(keep), self.title_of(other)
            for c in combined.filled:
                name = self.columns[c]
                self.changes.append(CellChange(keep, name, None, combined.values[c], label))
                stamp = self.prov.get((other, name))
                if stamp is not None:
                    self.prov[(keep, name)] = stamp
                else:
                    self.prov.pop((keep, name), None)
            for c, kept, lost in combined.differing:
                self.conflicts.append(self._conflict(keep, other, c, kept, lost, title, other_title, number,
                                                     other_number, label))
            self.rows[keep] = list(combined.values)
            self.archived.append(ArchivedRow(
                other, tuple(zip(self.columns, self.rows[other])), label, None,
                f"merged into row {number} as a duplicate"))
            del self.rows[other]
            self.order.remove(other)
            for name in self.columns:
                self.prov.pop((other, name), None)
            decided.append((keep, other, MERGE))
        return decided

    def _conflict(self, keep: str, other: str, c: int, kept: Value, lost: Value, title: str, other_title: str,
                  number: int, other_number: int, label: str) -> Conflict:
        name = self.columns[c]
        mine, theirs = self.prov.get((keep, name)), self.prov.get((other, name))
        kept_side = _side(kept, mine)
        lost_side = _side(lost, theirs)
        message = (f'Merged the duplicate "{other_title}" (row {other_number}) into "{title}" (row {number}): '
                   f"{name} was {show_value(kept)} here and {show_value(lost)} in the other row; kept "
                   f"{show_value(kept)}. If {show_value(lost)} is right, type it into the canonical.")
        return Conflict(keep, name, "edit", title, None, kept_side, (lost_side,), message)

    def table(self) -> Table:
        """The table as it stands: the state's own while no rows were merged (every merge archives
        the rows merged away), not 100,000 rows copied again."""
        if not self.archived:
            return self._state.table
        return Table(self.columns, tuple(tuple(self.rows[rid]) for rid in self.order), tuple(self.order))

    def state(self) -> State:
        table = self.table()
        names = set(self.columns)
        return State(table, {k: v for k, v in self.prov.items() if k[0] in self.rows and k[1] in names})


def _side(value: Value, stamp: Provenance | None) -> ConflictValue:
    if stamp is None:
        return ConflictValue(value, CANONICAL, None, None)
    return ConflictValue(value, stamp.label, stamp.author, stamp.modified)


def _pairs(ids: Iterable[str]) -> list[tuple[str, str]]:
    ids = sorted(set(ids))
    return [(a, b) for n, a in enumerate(ids) for b in ids[n + 1:]]


def settle_duplicates(state: State, canon: SheetRead | None, stored: dict[tuple[str, str], str],
                      tracker: TrackerConfig, earlier: Earlier | None = None) -> DupeOutcome:
    """Run the duplicates step on ``state`` (see the module docstring). ``canon`` is the canonical as
    read this pass (``None`` when it was not re-read because nobody touched it); ``stored`` the
    team's decisions so far (``Journal.dupe_decisions``); ``earlier`` the last search, when the
    journal has it (only changed rows are then searched from). Pure: it reads no file and no
    journal, so it can run in a process of its own. When no rows are merged, the outcome's state is
    ``state`` itself."""
    config = tracker.duplicates
    if not config.enabled:
        return DupeOutcome(state, MergeResult(state))
    settings = _settings(tracker)
    work = _Work(state, _title_column(state.table, settings))
    decisions: list[tuple[str, str, str]] = []
    problems: list[str] = []
    unread: dict[frozenset[str], str] = {}
    for typed in read_decisions(canon):
        present = [i for i in typed.ids if i in work.rows]
        if typed.decision is None:
            unread[frozenset(present)] = typed.said
            problems.append(f"Duplicates sheet, cluster {value_text(typed.number) or '?'}: \"{typed.said}\" is not a "
                            f"decision syncd knows — choose \"{KEEP}\" or \"{MERGE}\" in the Decision column.")
        elif typed.decision == KEEP:
            decisions += [(a, b, KEEP) for a, b in _pairs(present) if stored.get((a, b)) != KEEP]
        else:
            decisions += work.merge(present, SHEET_LABEL)
    apart = {pair for pair, d in stored.items() if d == KEEP} | {(a, b) for a, b, d in decisions if d == KEEP}
    clusters = _clusters(work, settings, apart, problems, earlier)
    if config.auto_merge_above is not None:
        auto = [c for c in clusters if min(p.score for p in c.pairs) >= config.auto_merge_above]
        for c in auto:
            decisions += work.merge([work.order[i] for i in c.rows], AUTO_LABEL)
        if auto:
            clusters = _clusters(work, settings, apart, problems, earlier)
    new_state = work.state() if work.archived else state  # every merge archives the rows merged away
    result = MergeResult(new_state, changes=tuple(work.changes), archived=tuple(work.archived),
                         conflicts=tuple(work.conflicts))
    sheet, notes = _flag(work, clusters, unread)
    record = Earlier.record(settings, (work.order[i] for c in clusters for i in c.rows))
    return DupeOutcome(new_state, result, notes, sheet, ((DUPLICATES_SHEET, "Decision", DECISIONS),),
                       tuple(decisions), tuple(problems), len(clusters), record)


def _settings(tracker: TrackerConfig) -> DupeSettings:
    config = tracker.duplicates
    return DupeSettings(columns=config.columns, title=tracker.title, threshold=config.threshold, tracker=True)


class WarmUp:
    """The titles of the state a pass is building, parsed ahead while a core would wait.

    Called (``readers.read_all``'s ``idle``) while the last copies are read: the first calls load
    the titles the last sync kept (``cache``, see ``title_cache``), a part each; each next call
    parses a slice of the distinct cells of ``current()``'s table the search will compare, into the
    memo ``syncd.merge.dupes`` keeps, and says whether there was any left. The search, in this process
    or forked from it, then parses only the cells the last merges brought (workload 2: most of
    100,000 titles parsed in time that was idle)."""

    def __init__(self, tracker: TrackerConfig, current: Callable[[], State | None], cache: Path | None = None) -> None:
        self.settings = _settings(tracker) if tracker.duplicates.enabled else None
        self.current = current
        self.path = cache if self.settings is not None else None
        self._unloaded = self.path is not None
        self._loading: Iterator[int] | None = None
        self._table: Table | None = None
        self._slices: Iterator[int] | None = None

    def load(self) -> None:
        """Load the titles the last sync kept (what is left of them), the first time only."""
        self._start_loading()
        if self._loading is not None:
            for _ in self._loading:
                pass
            self._loading = None

    def _start_loading(self) -> None:
        if self._unloaded:
            self._unloaded = False
            self._loading = title_cache.loading(self.path)

    def keep(self, table: Table) -> None:
        """Keep the titles of ``table`` this process parsed, for the next sync (``title_cache``)."""
        if self.path is not None:
            title_cache.save(self.path, parsed_titles(table, self.settings))

    def __call__(self) -> bool:
        self._start_loading()
        if self._loading is not None:
            if next(self._loading, 0):
                return True
            self._loading = None
        state = self.current() if self.settings is not None else None
        if state is None:
            return False
        if state.table is not self._table:
            self._table, self._slices = state.table, warm_up(state.table, self.settings)
        if self._slices is None:
            return False
        if next(self._slices, None) is not None:
            return True
        self._slices = None
        return False


def _title_column(table: Table, settings: DupeSettings) -> str | None:
    """The column duplicates are flagged on: the compared main text (the title column by default)."""
    try:
        plan = plan_fields(table, settings.columns, settings.title, tracker=True)
    except UnknownColumn:
        plan = plan_fields(table, (), settings.title)
    return plan.main.name if plan is not None else None


def _clusters(work: _Work, settings: DupeSettings, apart: set[tuple[str, str]],
              problems: list[str], earlier: Earlier | None) -> list[Cluster]:
    table = work.table()
    index = dict(zip(work.order, range(len(work.order))))
    keep_apart = [(index[a], index[b]) for a, b in apart if a in index and b in index]
    try:
        found = find_duplicates(table, settings, keep_apart, earlier.focus(table, settings) if earlier else None,
                                mapper=split_map)
    except UnknownColumn as exc:
        problems.append(f"Duplicates were not looked for: {exc} — fix `columns` in [tracker.duplicates].")
        return []
    return list(found.clusters)


def _flag(work: _Work, clusters: list[Cluster], unread: dict[frozenset[str], str]) -> tuple[Table, tuple[CellNote, ...]]:
    rows, notes = [], []
    for n, c in enumerate(clusters, 1):
        ids = [work.order[i] for i in c.rows]
        numbers = [i + 2 for i in c.rows]
        titles = [work.title_of(rid) for rid in ids]
        said = unread.get(frozenset(ids), "")
        why = c.why if not said else f'{c.why}. "{said}" was not understood: choose "{KEEP}" or "{MERGE}".'
        rows.append([n, ", ".join(map(str, numbers)), "\n".join(titles), round(c.score, 2), why, said or None,
                     ", ".join(ids)])
        if work.title is None:
            continue
        for k, rid in enumerate(ids):
            others = [f'row {numbers[m]} "{titles[m]}"' for m in range(len(ids)) if m != k]
            text = (f"Possible duplicate of {' and '.join(others)} (score {c.score:.2f}). "
                    f"Decide on the {DUPLICATES_SHEET} sheet (cluster {n}).")
            notes.append(CellNote(rid, work.title, text, "duplicate"))
    return Table.from_lists(list(COLUMNS), rows), tuple(notes)
