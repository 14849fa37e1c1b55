"""One sync pass of one tracker: read what is new, merge it, write the single latest version.

Order of work, and why:
1. Recover: a crash between writing the canonical and committing the journal left a pending
   generation; keep it if the canonical on disk is that generation, else drop it.
2. The canonical itself is an input: if people edited it since syncd wrote it, those edits are merged
   first (three-way against the generation it holds), and settle the conflicts they touch.
3. Every new copy (oldest first) is merged three-way against its own base generation, so only what its
   sender changed is applied; a copy with no known base is merged against the most similar generation.
4. Only if something changed: the outcome goes into the journal as a *pending* generation, the
   canonical is written atomically (after checking it did not change while we merged — else merge
   again), and then the generation is committed.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from syncd.config import Config, TrackerConfig
from syncd.core import codec, collector, title_cache, workers
from syncd.core.canonical_file import Snapshot, canonical_meta, file_hash, marked_read_only, snapshot_of
from syncd.core.duplicates import DupeOutcome, Earlier, WarmUp, settle_duplicates
from syncd.core.intake import Intake, Progress, build_sources, file_time, gather
from syncd.core.journal import Generation, Journal, NewConflict, NewCopy, Outcome, StoredConflict
from syncd.core.lock import StateLock
from syncd.core.records import DUPLICATES_LABEL, archive_entry, describe, new_conflict
from syncd.core.render import build_doc, extra_sheet_titles
from syncd.core.report import ConflictReport, CopyReport, TrackerReport
from syncd.core.taking import CopyTaker, dedupe_ids
from syncd.errors import CanonicalChanged, CanonicalError, CopyRejected, SourceChanged, SyncdError
from syncd.merge import (
    MergeOptions,
    MergeResult,
    Provenance,
    Revision,
    State,
    merge,
)
from syncd.merge import memo
from syncd.model import SheetRead, Table
from syncd.sources.base import Source
from syncd.workbook.ahead import RowsAhead, render_ahead
from syncd.workbook.atomic import remove_stale_temps
from syncd.workbook.read import read_sheet
from syncd.workbook.template import Opened, open_ahead as open_ahead_of_write
from syncd.workbook.write import CanonicalDoc, write_canonical

JOURNAL_NAME = "journal.sqlite"
MAX_ATTEMPTS = 3
#: From this many rows, the duplicate search runs in a process beside the preparation of the write.
BESIDE_ROWS = 20_000


def journal_path(config: Config) -> Path:
    return config.state_dir / JOURNAL_NAME


def sync(config: Config, tracker_name: str | None = None, *, dry_run: bool = False,
         progress: Progress | None = None) -> list[TrackerReport]:
    """Run one pass over the chosen trackers (all by default), holding the state directory's lock."""
    trackers = config.tracker(tracker_name)
    with StateLock(config.state_dir, "sync").acquire(wait_seconds=30):
        with Journal(journal_path(config)) as journal:
            return [sync_tracker(t, journal, dry_run=dry_run, progress=progress) for t in trackers]


def sync_tracker(tracker: TrackerConfig, journal: Journal, *, dry_run: bool = False,
                 progress: Progress | None = None, sources: list[Source] | None = None) -> TrackerReport:
    sources = sources if sources is not None else build_sources(tracker, journal.path.parent)
    if not dry_run:
        recover(tracker, journal)
    report: TrackerReport | None = None
    for _ in range(MAX_ATTEMPTS):
        try:
            with collector.paused():
                report = _Pass(tracker, journal, sources, dry_run, progress).run()
        except CanonicalChanged:
            journal.drop_pending(tracker.name)
            continue
        finally:
            memo.forget()  # the merges' facts about this pass's tables, and the tables with them
            workers.finish()  # a helper still keeping what it parsed for the next sync
        if not report.mirror_stale:
            return report
        # a mirrored sheet was edited while we merged: its edits are read by another pass
    if report is not None:
        return report
    raise CanonicalError(
        f"{tracker.canonical.name} kept changing while syncd was writing it. Close it in other programs "
        "(or wait for your drive to finish syncing it) and run syncd again."
    )


def recover(tracker: TrackerConfig, journal: Journal) -> None:
    # A sync killed mid-write leaves its temporary file beside the canonical. We hold the state
    # lock, so no other syncd is writing this canonical now.
    remove_stale_temps(tracker.canonical)
    pending = journal.pending(tracker.name)
    if pending is None:
        return
    meta = canonical_meta(tracker)
    if meta is not None and meta.generation == pending.gen and meta.lineage == journal.lineage(tracker.name):
        journal.commit_pending(tracker.name, file_hash(tracker.canonical))
    else:
        journal.drop_pending(tracker.name)


def _state_from(gen: Generation) -> State:
    prov = {k: Provenance(label, author, modified) for k, (label, author, modified) in gen.provenance.items()}
    return State(gen.table, prov)


def _adopt(table: Table, seed: str) -> State:
    """A canonical with no history becomes the first state; rows without an id get one."""
    ids = [rid or "r" + hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:10] for i, rid in enumerate(table.row_ids)]
    return State(replace(table, row_ids=tuple(ids)), {})


class _Pass:
    """One attempt at a sync pass; thrown away and redone if the canonical changes under it."""

    def __init__(self, tracker: TrackerConfig, journal: Journal, sources: list[Source], dry_run: bool,
                 progress: Progress | None) -> None:
        self.t = tracker
        self.journal = journal
        self.sources = sources
        self.dry_run = dry_run
        self.progress = progress
        self.options = MergeOptions(key=tracker.key, title=tracker.title, policy=tracker.on_conflict,
                                    match_threshold=tracker.match_threshold)
        self.results: list[tuple[str, MergeResult]] = []
        self.problems: list[str] = []
        self.mirror_labels = {s.label for s in sources if s.can_write_back}
        self.mirror_stale = False
        self.dupes: DupeOutcome | None = None
        # worked out while duplicates were searched: the canonical opened for the write, the table encoded
        self._opened: Opened | None = None
        self._encoded: tuple[Table, bytes] | None = None
        self._ahead: RowsAhead | None = None

    # -- the pass ---------------------------------------------------------------------------------

    def run(self) -> TrackerReport:
        name = self.t.name
        latest = self.journal.latest(name)
        self.taker = CopyTaker(self.t, self.journal, self.options, self.mirror_labels, latest, self.results)
        self._own_hash = latest.canonical_hash if latest else None  # the canonical as syncd last wrote it
        # a pass that does not search for duplicates passes the last search on to the next one
        self._dupes_record = latest.summary.get("duplicates") if latest else None
        lineage = self.journal.lineage(name)
        snapshot = snapshot_of(self.t.canonical)
        canon = self._read_canonical(snapshot, latest)
        state: State | None = _state_from(latest) if latest else None
        canon_changes: set[tuple[str, str | None]] = set()
        if canon is not None:
            if state is None:
                lineage = canon.meta.lineage or lineage
                state = _adopt(dedupe_ids(canon.table), snapshot.digest if snapshot else "canonical")
            else:
                state, canon_changes = self._merge_canonical(canon, snapshot, state, latest, lineage)
        self.warm = WarmUp(self.t, self.taker.current, title_cache.cache_path(self.journal.path.parent, self.t.name))
        intake = gather(self.t, self.journal, self.sources, self.progress,
                        on_arrival=self.taker.start(state, lineage), held=latest.table if latest else None,
                        idle=self.warm)
        if state is None and not intake.arrivals:
            return self._report(intake, latest.gen if latest else None, written=False, state=None)
        state = self.taker.take(intake.arrivals, state, self.progress)
        # finding duplicates scans the whole table: only worth it when something may have changed them
        if latest is None or snapshot is None or canon is not None or any(r.changed for _, r in self.results):
            # a copy changed something, so the canonical is written: its formatting is read meanwhile
            ahead = snapshot is not None and not self.dry_run and any(r.changed for _, r in self.results)
            state = self._duplicates(state, canon, latest, write_follows=ahead)
        stored = self.journal.conflicts(name)
        resolved = self._resolved(stored, canon_changes | self.taker.settled, state)
        changed = (
            latest is None
            or snapshot is None
            or bool(resolved)
            or (self.dupes is not None and self.dupes.changed)
            # a clash the canonical's value won changes no cell, but the losing value must be recorded
            or any(r.changed or r.conflicts for _, r in self.results)
        )
        lasting_refusals = [self._refusal_record(r) for r in intake.refusals if r.lasting]
        if self.dry_run:
            return self._report(intake, latest.gen if latest else None, written=False, state=state, resolved=resolved)
        if not changed:
            self.journal.record_copies(name, self.taker.new_copies + lasting_refusals)
            assert latest is not None and lineage is not None
            self._mirror(lambda: self._doc(latest.gen, lineage, state, stored, [], []), latest.gen)
            return self._report(intake, latest.gen, written=False, state=state)
        self.journal.record_copies(name, lasting_refusals)
        gen = (latest.gen if latest else 0) + 1
        lineage = lineage or uuid.uuid4().hex[:16]
        doc = self._write(gen, lineage, state, stored, resolved, snapshot)
        self._mirror(lambda: doc, gen)
        return self._report(intake, gen, written=True, state=state, resolved=resolved)

    def _mirror(self, make_doc: Callable[[], CanonicalDoc], gen: int) -> None:
        """Write the canonical back into every source that mirrors it and does not hold this generation yet."""
        targets = [s for s in self.sources if s.can_write_back and s.mirrored_generation() != gen]
        if not targets:
            return
        doc = make_doc()
        for source in targets:
            try:
                source.write_back(doc)
            except SourceChanged:
                self.mirror_stale = True
            except SyncdError as exc:
                self.problems.append(str(exc))

    def _read_canonical(self, snapshot: Snapshot | None, latest: Generation | None) -> SheetRead | None:
        if snapshot is None:
            return None
        if latest is not None and snapshot.digest == latest.canonical_hash:
            return None  # untouched since syncd wrote it: nothing to merge
        try:
            return read_sheet(self.t.canonical, self.t.sheet)
        except CopyRejected as exc:
            raise CanonicalError(
                f"The canonical workbook {self.t.canonical} cannot be read ({exc.reason}). syncd has left it as it "
                "is. Close or repair it, or move it aside so syncd writes it again from its history; then run syncd again."
            ) from None

    def _merge_canonical(self, canon: SheetRead, snapshot: Snapshot | None, state: State, latest: Generation,
                         lineage: str | None) -> tuple[State, set[tuple[str, str | None]]]:
        base = latest
        if canon.meta.lineage == lineage and canon.meta.generation is not None:
            base = self.journal.generation(self.t.name, canon.meta.generation) or latest
        when = file_time(self.t.canonical.stat().st_mtime)
        rev = Revision(dedupe_ids(canon.table), self.t.canonical.name, canon.meta.author, when,
                       seed=snapshot.digest if snapshot else "")
        result = merge(base.table, state, rev, self.options)
        self.results.append((self.t.canonical.name, result))
        touched = {(c.row_id, c.column) for c in result.changes}
        touched |= {(c.row_id, None) for c in result.changes}
        return result.state, touched

    def _duplicates(self, state: State, canon: SheetRead | None, latest: Generation | None,
                    write_follows: bool) -> State:
        """Decisions typed on the Duplicates sheet, automatic merges, and the duplicates to flag.

        When ``write_follows`` on a big tracker, the search runs in a forked process while this one
        opens the canonical for the write to come, encodes the table for the journal and renders
        its rows for the write (on 100,000 rows: a 2.8-3.3 s search beside 2.6 s of work that ran
        after it before). In the daemon, which has threads, ``beside`` runs both here, one after
        the other, and the titles parsed stay remembered for its next search."""
        earlier = Earlier.from_summary(latest.summary, latest.table) if latest else None
        stored = self.journal.dupe_decisions(self.t.name)
        self.warm.load()  # when no copy left a core idle to do it in
        if not write_follows or not self.t.duplicates.enabled or len(state.table) < BESIDE_ROWS:
            self.dupes = settle_duplicates(state, canon, stored, self.t, earlier)
            if not self.dry_run and len(state.table) >= BESIDE_ROWS:
                workers.in_background(lambda: self.warm.keep(state.table))  # the first sync, mostly
        else:
            def search() -> tuple[DupeOutcome, bool]:
                got = settle_duplicates(state, canon, stored, self.t, earlier)
                if got.state is not state:
                    return got, False
                # no row merged: this process holds that state already, so it is not sent back
                return replace(got, state=None, result=replace(got.result, state=None)), True

            def meanwhile() -> None:
                sheets = extra_sheet_titles(duplicates=True)
                self._opened = open_ahead_of_write(self.t.canonical, self.t.sheet or "Tasks", sheets, self._own_hash,
                                                   latest.table.row_ids if latest else None)
                # the table as the journal stores it, for when no row is merged as a duplicate
                self._encoded = (state.table, codec.encode_table(state.table))
                # and its rows as the write renders them, with no note yet (see workbook.ahead)
                self._ahead = render_ahead(self._opened, state.table)

            # the search's child keeps the titles it parsed for the next sync, while this one writes
            got, same = workers.beside(search, meanwhile, after=lambda: self.warm.keep(state.table))
            self.dupes = replace(got, state=state, result=replace(got.result, state=state)) if same else got
        result = self.dupes.result
        if result.changed or result.conflicts:
            self.results.append((DUPLICATES_LABEL, result))
        self.problems.extend(self.dupes.problems)
        return self.dupes.state

    def _refusal_record(self, r: Any) -> NewCopy:
        return NewCopy(r.digest, r.ref.name, r.ref.location, r.ref.size, r.ref.mtime, "rejected", r.reason, None,
                       None, {})

    @staticmethod
    def _resolved(stored: list[StoredConflict], canon_changes: set[tuple[str, str | None]],
                  state: State) -> list[tuple[int, str]]:
        ids = set(state.table.row_ids)
        out = []
        for c in stored:
            if c.resolved_gen is not None:
                continue
            if c.row_id not in ids:
                out.append((c.id, "the row was deleted"))
            elif (c.row_id, c.column) in canon_changes:
                out.append((c.id, "edited in the canonical"))
        return out

    # -- writing ----------------------------------------------------------------------------------

    def _summary(self) -> dict:
        summary: dict = {"copies": len(self.taker.new_copies)}
        record = self.dupes.record if self.dupes is not None else self._dupes_record
        if record is not None:
            summary["duplicates"] = record
        return summary

    def _write(self, gen: int, lineage: str, state: State, stored: list[StoredConflict],
               resolved: list[tuple[int, str]], snapshot: Snapshot | None) -> CanonicalDoc:
        name = self.t.name
        new_conflicts = [new_conflict(c) for _, r in self.results for c in r.conflicts]
        archived = [a for _, r in self.results for a in r.archived]
        changes = [c for _, r in self.results for c in r.changes]
        provenance = {k: (p.label, p.author, p.modified) for k, p in state.provenance.items()}
        outcome = Outcome(
            gen=gen, lineage=lineage, table=state.table, provenance=provenance, canonical_hash=None,
            summary=self._summary(), copies=tuple(self.taker.new_copies),
            new_conflicts=tuple(new_conflicts), resolved=tuple(resolved), archived=tuple(archived),
            changes=tuple(changes), dupe_decisions=self.dupes.decisions if self.dupes else (),
            table_blob=self._encoded[1] if self._encoded and self._encoded[0] is state.table else None,
        )
        if snapshot is not None and marked_read_only(self.t.canonical):
            # Windows refuses to replace a read-only file and POSIX would silently do it; refuse on both.
            raise CanonicalError(
                f"The canonical {self.t.canonical} is marked read-only, so syncd has left it as it is. Clear the "
                "read-only mark (file Properties, or `chmod u+w`) and run syncd again."
            )
        self.journal.write_pending(name, outcome)
        doc = self._doc(gen, lineage, state, stored, resolved, new_conflicts, archived)

        def unchanged_since_read() -> None:
            if snapshot_of(self.t.canonical) != snapshot:
                raise CanonicalChanged(f"{self.t.canonical.name} changed while syncd was merging")

        try:
            self.t.canonical.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CanonicalError(f"Cannot create the folder for the canonical {self.t.canonical}: "
                                 f"{exc.strerror or exc}. Fix `canonical` in the configuration.") from None
        try:
            write_canonical(doc, self.t.canonical, template=self.t.canonical if snapshot else None,
                            before_replace=unchanged_since_read, template_digest=self._own_hash,
                            opened=self._opened, ahead=self._ahead)
        except BaseException:
            self.journal.drop_pending(name)
            raise
        self.journal.commit_pending(name, file_hash(self.t.canonical))
        return doc

    def _doc(self, gen: int, lineage: str, state: State, stored: list[StoredConflict],
             resolved: list[tuple[int, str]], new_conflicts: list[NewConflict],
             archived: list[Any] = ()) -> CanonicalDoc:
        resolution = dict(resolved)
        shown = [replace(c, resolved_gen=gen, resolution=resolution[c.id]) if c.id in resolution else c for c in stored]
        shown += [StoredConflict(-(i + 1), gen, c.row_id, c.column, c.kind, c.title, c.message, c.detail, None, None)
                  for i, c in enumerate(new_conflicts)]
        archive = self.journal.archive(self.t.name) + [archive_entry(a, gen) for a in archived]
        dupes = self.dupes
        return build_doc(table=state.table, sheet=self.t.sheet or "Tasks", tracker=self.t.name, lineage=lineage,
                         generation=gen, conflicts=shown, archive=archive, title_column=self.t.title,
                         duplicates=dupes.sheet if dupes else None, notes=dupes.notes if dupes else (),
                         dropdowns=dupes.dropdowns if dupes else ())

    # -- reporting --------------------------------------------------------------------------------

    def _report(self, intake: Intake, gen: int | None, *, written: bool, state: State | None,
                resolved: list[tuple[int, str]] | None = None) -> TrackerReport:
        copies = list(self.taker.copy_reports)
        copies += [CopyReport(r.ref.name, r.ref.source, "rejected", r.reason) for r in intake.refusals]
        copies += [CopyReport(ref.name, ref.source, "seen") for ref in intake.seen]
        conflicts = tuple(
            ConflictReport(c.title, c.column, c.kind, c.message, c.kept.value, tuple(o.value for o in c.others))
            for _, r in self.results for c in r.conflicts
        )
        details = tuple(describe(label, r, state) for label, r in self.results)
        if self.dupes is not None and self.dupes.flagged:
            n = self.dupes.flagged
            details += (f"{n} possible duplicate{'s' if n != 1 else ''} flagged on the Duplicates sheet: "
                        "choose keep both or merge in its Decision column",)
        added: list[str] = []
        for _, r in self.results:
            added += [c for c in r.columns_added if c not in added]
        return TrackerReport(
            name=self.t.name, canonical=self.t.canonical, generation=gen, written=written, dry_run=self.dry_run,
            copies=tuple(copies), changes=sum(len(r.changes) for _, r in self.results),
            inserted=sum(len(r.inserted) for _, r in self.results),
            archived=sum(len(r.archived) for _, r in self.results), columns_added=tuple(added),
            conflicts=conflicts, resolved=len(resolved or ()), problems=intake.problems + tuple(self.problems),
            mirror_stale=self.mirror_stale, duplicates=self.dupes.flagged if self.dupes else 0,
            rows=len(state.table) if state else 0, details=tuple(d for d in details if d),
        )
