"""One tracker's worker in `syncd watch`: turns a burst of changes into one sync, safely.

It drains the tracker's queue (filled by the watcher), waits until the burst is over and each file has
settled (``syncd.core.debounce``), then runs ``engine.sync_tracker`` once for the whole burst, with its
own journal connection (SQLite connections belong to one thread). Folders that cannot be watched and
Google Sheets are polled; everything is listed again now and then to catch what events missed.

A file written in the last few seconds is hidden from a sync until the worker has seen it settle, so a
half-written copy is never read, even when another copy's event started the sync. What each pass did
is logged, one line per thing a person cares about.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import random
import threading
import time
from typing import Any

from syncd.config import Config, FolderSourceConfig, GSheetSourceConfig, TrackerConfig
from syncd.core.daemon import StatusBoard, report_lines
from syncd.core.debounce import CHECK, GONE, Burst, OpenWrites, Stamp, Timing, judge, jittered, \
    keep_waiting_unreadable, next_wake, stamp
from syncd.core.engine import journal_path, sync_tracker
from syncd.core.intake import build_sources
from syncd.core.journal import Journal
from syncd.core.report import TrackerReport
from syncd.core.watch import real_path
from syncd.errors import CopyRejected, JournalError, SyncdError
from syncd.sources.base import CopyRef, Source
from syncd.sources.folder import FolderSource
from syncd.workbook.guard import check_file


log = logging.getLogger("syncd")


class _Gate(Source):
    """A source as the engine sees it during one daemon sync: a local file written in the last
    ``hold`` seconds is shown only if the worker saw it settle with exactly this size and time."""

    def __init__(self, inner: Source, allowed: dict[str, Stamp], waiting: set[str], hold: float) -> None:
        super().__init__(inner.label)
        self.inner = inner
        self.local = isinstance(inner, FolderSource)
        self.can_write_back = inner.can_write_back
        self.watchable = inner.watchable
        self.allowed, self.waiting, self.hold = allowed, waiting, hold
        self.listed: list[CopyRef] | None = None
        self.shown: list[CopyRef] = []
        self.hidden: list[CopyRef] = []

    def list(self) -> list[CopyRef]:
        refs = self.inner.list()
        self.listed = refs
        wall = time.time()
        for ref in refs:
            s = Stamp(ref.size, ref.mtime)
            ok = not self.local or (ref.location not in self.waiting and (
                self.allowed.get(ref.location) == s or wall - ref.mtime >= self.hold))
            (self.shown if ok else self.hidden).append(ref)
        return list(self.shown)

    def fingerprint(self, ref: CopyRef) -> str:
        return self.inner.fingerprint(ref)

    def read(self, ref: CopyRef, sheet: str | None, held: Any = None) -> Any:
        return self.inner.read(ref, sheet, held)

    def mirrored_generation(self) -> int | None:
        return self.inner.mirrored_generation()

    def write_back(self, doc: Any) -> None:
        self.inner.write_back(doc)


def _opens(path: str) -> bool:
    try:
        check_file(path)
        return True
    except CopyRejected:
        return False


def _file_hash(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


class Worker(threading.Thread):
    """Keeps one tracker's canonical current. Feed it with ``put``; ``request_stop`` ends it after the
    sync in progress (if any) is done."""

    def __init__(self, tracker: TrackerConfig, config: Config, timing: Timing, board: StatusBoard) -> None:
        super().__init__(name=f"syncd-{tracker.name}")
        self.t, self.timing, self.board = tracker, timing, board
        self.journal_file = journal_path(config)
        self.canonical = os.path.realpath(tracker.canonical)
        self.canonical_dir = os.path.normcase(os.path.dirname(self.canonical))
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.burst = Burst(timing)
        self.writes = OpenWrites(timing.writing_limit)
        self.reports_close = False
        self.unwatched: set[str] = set()
        #: stamp of every local file the last sync could see: an event that leaves it so is not news
        self.known: dict[str, Stamp] = {}
        self.signatures: dict[int, Any] = {}
        self.polls: dict[int, tuple[float, float]] = {}  # source index -> (interval, next time)
        self._stopping = threading.Event()
        self._rng = random.Random()
        self._journal: Journal | None = None
        self._sources: list[Source] | None = None
        self._said: set[str] = set()
        self.retry_at: float | None = None
        self.next_rescan = 0.0

    def put(self, change: Any) -> None:
        self.inbox.put(change)

    def request_stop(self) -> None:
        self._stopping.set()
        self.inbox.put(None)

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        started = False
        try:
            while not self._stopping.is_set():
                try:
                    if not started:
                        self._start()
                        started = True
                    self._step()
                except Exception:  # noqa: BLE001 - a bug must not silently end this tracker's syncing
                    log.exception("%s: syncd failed unexpectedly; please report this with the lines above",
                                  self.t.name)
                    self._stopping.wait(self.timing.retry)
        finally:
            if self._journal is not None:
                self._journal.close()

    def _start(self) -> None:
        now = time.monotonic()
        self._plan_polls(now)
        self._scan(now, catch_up=True)
        # catch up with whatever arrived while syncd was not running; files written in the last moments
        # get one settle interval to show they stopped changing
        self.burst.sync_now(now + self.timing.settle)
        self.next_rescan = now + jittered(self.timing.rescan, self.timing.jitter, self._rng.random())

    def _step(self) -> None:
        now = time.monotonic()
        due = self.burst.due()
        if due is not None and due <= now:
            self._look(now)
            return
        wake = [due, self.next_rescan, self.retry_at, *(at for _, at in self.polls.values())]
        try:
            item = self.inbox.get(timeout=next_wake(wake, now, ceiling=3600.0))
        except queue.Empty:
            item = False
        while item is not None:
            if item is not False:
                self._take(item, time.monotonic())
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
        if self._stopping.is_set():
            return
        now = time.monotonic()
        for index, (interval, at) in list(self.polls.items()):
            if at <= now:
                self.polls[index] = (interval, now + jittered(interval, self.timing.jitter, self._rng.random()))
                self._scan(now, only=index)
        if now >= self.next_rescan or self.retry_at is not None and now >= self.retry_at:
            self.retry_at = None
            self.next_rescan = now + jittered(self.timing.rescan, self.timing.jitter, self._rng.random())
            self._scan(now)
            self.burst.sync_now(now)

    def _take(self, change: Any, now: float) -> None:
        if change.kind == "rescan":
            self._scan(now)
            return
        path = self.canonical if change.kind == "canonical" else os.path.realpath(change.path)
        if change.what == "modified":
            self.writes.modified(path, now)
        elif change.what == "closed":
            self.writes.closed(path)
        if change.kind == "canonical":
            self.burst.note_canonical(stamp(path), now)
            return
        if path not in self.burst.files:
            log.debug("%s: noticed %s", self.t.name, os.path.basename(path))
        self.burst.note(path, stamp(path), now)

    # -- finding what changed without events ------------------------------------------------------

    def _plan_polls(self, now: float) -> None:
        for i, cfg in enumerate(self.t.sources):
            if isinstance(cfg, GSheetSourceConfig):
                interval = cfg.poll_seconds
            elif isinstance(cfg, FolderSourceConfig) and (
                    cfg.poll or real_path(cfg.path) in self.unwatched):
                interval = self.timing.folder_poll
            else:
                continue
            self.polls[i] = (interval, now + jittered(interval, self.timing.jitter, self._rng.random()))

    def sources(self) -> list[Source]:
        if self._sources is None:
            self._sources = build_sources(self.t, self.journal_file.parent)
        return self._sources

    def _scan(self, now: float, *, only: int | None = None, catch_up: bool = False) -> None:
        """List sources (all, or just ``only``) and put what changed since the last sync in the burst."""
        try:
            sources = self.sources()
        except SyncdError as exc:
            self._error(str(exc))
            return
        wall = time.time()
        for i, source in enumerate(sources):
            local = isinstance(source, FolderSource)
            if only is not None and i != only or catch_up and not local:
                continue  # at start-up, a sheet is simply read by the catch-up sync
            try:
                refs = source.list()
            except SyncdError as exc:
                self._error(str(exc))
                continue
            if not local:
                signature = sorted((r.location, r.size, r.mtime) for r in refs)
                if self.signatures.get(i) != signature:
                    self.burst.sync_now(now)  # a sheet changed: nothing to settle, the engine reads it
                continue
            for ref in refs:
                s = Stamp(ref.size, ref.mtime)
                # old files need no settling; at start-up they are simply part of the catch-up sync
                if self.known.get(ref.location) != s and not (catch_up and wall - ref.mtime >= self.timing.hold):
                    self.burst.note(ref.location, s, now, activity=False)
        if only is None or self.canonical_dir in self.unwatched:
            current = stamp(self.canonical)
            if current != self.known.get(self.canonical):
                self.burst.note_canonical(current, now)

    # -- settling and syncing ---------------------------------------------------------------------

    def _look(self, now: float) -> None:
        """The burst is due: sync the files that settled (and the canonical, if a person changed it)."""
        wall = time.time()
        ready: dict[str, Stamp] = {}
        for path, seen in list(self.burst.files.items()):
            current = stamp(path)
            if current is not None and current == self.known.get(path):
                del self.burst.files[path]  # exactly as the last sync read it
                continue
            age = wall - current.mtime if current else 0.0
            verdict = judge(seen, current, now, age, self.reports_close and self.writes.writing(path, now), self.timing)
            if verdict == GONE:
                del self.burst.files[path]
            elif verdict != CHECK:
                if current != seen.stamp:
                    self.burst.note(path, current, now, activity=False)
            elif _opens(path):
                ready[path] = current  # type: ignore[assignment]
                del self.burst.files[path]
            else:
                seen.unreadable_since = seen.unreadable_since if seen.unreadable_since is not None else now
                if not keep_waiting_unreadable(seen, now, age, self.timing):
                    ready[path] = current  # type: ignore[assignment] # the sync refuses it and says why
                    del self.burst.files[path]
        canonical_changed = self._canonical_changed(now, wall)
        force = self.burst.force
        self.burst.restart(now)
        if ready or canonical_changed or force:
            names = sorted(os.path.basename(p) for p in ready)
            if canonical_changed:
                names.append(f"edits in {self.t.canonical.name}")
            why = ", ".join(names) or "a regular check"
            self._sync(ready, why, now)

    def _canonical_changed(self, now: float, wall: float) -> bool:
        seen = self.burst.canonical
        if seen is None:
            return False
        current = stamp(self.canonical)
        if current is not None and current == self.known.get(self.canonical):
            self.burst.canonical = None
            return False
        age = wall - current.mtime if current else 0.0
        writing = self.reports_close and self.writes.writing(self.canonical, now)
        verdict = judge(seen, current, now, age, writing, self.timing)
        if verdict == GONE:
            self.burst.canonical = None
            return True  # deleted: the sync writes it again from the journal
        if verdict != CHECK:
            if current != seen.stamp:
                self.burst.note_canonical(current, now)
            return False
        journal = self.journal()
        latest = journal.latest(self.t.name) if journal is not None else None
        if latest is not None and latest.canonical_hash == _file_hash(self.canonical):
            self.known[self.canonical] = current  # type: ignore[assignment] # syncd's own write
            self.burst.canonical = None
            return False
        if not _opens(self.canonical):
            seen.unreadable_since = seen.unreadable_since if seen.unreadable_since is not None else now
            if keep_waiting_unreadable(seen, now, age, self.timing):
                return False
        self.burst.canonical = None
        return True

    def journal(self) -> Journal | None:
        if self._journal is None:
            try:
                self._journal = Journal(self.journal_file)
            except SyncdError as exc:
                self._error(str(exc))
        return self._journal

    def _sync(self, ready: dict[str, Stamp], why: str, now: float) -> None:
        journal = self.journal()
        try:
            sources = self.sources()
        except SyncdError as exc:
            self._error(str(exc))
            sources = None
        if journal is None or sources is None:
            self.retry_at = now + self.timing.retry
            return
        gates = [_Gate(s, {**self.known, **ready}, set(self.burst.files), self.timing.hold) for s in sources]
        log.debug("%s: syncing (%s)", self.t.name, why)
        try:
            report = sync_tracker(self.t, journal, sources=gates)  # type: ignore[arg-type]
        except SyncdError as exc:
            self._error(str(exc))
            self.retry_at = now + self.timing.retry
            if isinstance(exc, JournalError):
                journal.close()
                self._journal = None
            return
        except Exception:  # noqa: BLE001 - a bug must not end the daemon; it is logged with its traceback
            log.exception("%s: syncd failed unexpectedly; please report this with the lines above", self.t.name)
            self.board.record(self.t.name, ["syncd failed unexpectedly (see the log)"])
            self.retry_at = now + self.timing.retry
            return
        for i, gate in enumerate(gates):
            if gate.listed is None:
                continue
            if not gate.local:
                self.signatures[i] = sorted((r.location, r.size, r.mtime) for r in gate.listed)
            self.known.update((r.location, Stamp(r.size, r.mtime)) for r in gate.shown)
            for r in gate.hidden:  # written meanwhile, or still arriving: looked at on its own
                self.burst.note(r.location, Stamp(r.size, r.mtime), now, activity=False)
        self._remember_canonical(journal)
        self._tell(report)

    def _remember_canonical(self, journal: Journal) -> None:
        """Note the canonical's stamp as syncd's own, but only if it holds what the journal says syncd wrote:
        a person who saved it a moment after syncd did must still be noticed."""
        before = stamp(self.canonical)
        latest = journal.latest(self.t.name)
        if before is not None and latest is not None and latest.canonical_hash == _file_hash(self.canonical) \
                and stamp(self.canonical) == before:
            self.known[self.canonical] = before

    # -- telling people ---------------------------------------------------------------------------

    def _tell(self, report: TrackerReport) -> None:
        said: set[str] = set()
        for level, text in report_lines(report, self.t.canonical.name):
            if level >= logging.WARNING:
                said.add(text)
                if text in self._said:
                    level = logging.DEBUG  # the same refusal every pass is news only once
            log.log(level, text)
        if not report.written and not any(c.status in ("taken", "rejected") for c in report.copies):
            log.debug("%s: nothing new", self.t.name)
        self._said = said
        self.board.record(self.t.name, list(report.problems))

    def _error(self, message: str) -> None:
        text = f"{self.t.name}: {message}"
        if text in self._said:
            log.debug(text)  # the same error on every poll is news only once
            return
        log.error(text)
        self._said.add(text)
        self.board.record(self.t.name, [message])
