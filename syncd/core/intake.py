"""Finding the copies a tracker has not taken yet, and reading them.

Every copy is fingerprinted by content; one the journal has seen is not read again (it was applied,
or refused, once). A copy that cannot be read is refused with one line naming it and the reason, and
the others go on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from syncd.config import TrackerConfig
from syncd.core.journal import Journal
from syncd.core.readers import read_all
from syncd.errors import CopyRejected, SourceError
from syncd.model import SheetRead, Table
from syncd.sources.base import CopyRef, Source
from syncd.sources import build_source

Progress = Callable[[str, int, int], None]


def build_sources(tracker: TrackerConfig, state_dir: Path | None = None) -> list[Source]:
    return [build_source(cfg, exclude=[tracker.canonical], state_dir=state_dir) for cfg in tracker.sources]


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Every time syncd compares is aware and in UTC; docProps times are UTC when they carry no zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def file_time(mtime: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(mtime, dt.timezone.utc)


@dataclass(frozen=True)
class Arrival:
    """A new copy, read: its table and everything needed to merge and record it."""

    ref: CopyRef
    digest: str
    read: SheetRead
    modified: dt.datetime  # the copy's own last-modified time: the `newest` policy compares these

    @property
    def author(self) -> str | None:
        return self.read.meta.author


@dataclass(frozen=True)
class Refusal:
    ref: CopyRef
    digest: str | None
    reason: str
    #: a refusal from the file's content is remembered (the same bytes will fail the same way); one from
    #: a passing condition (the file is open elsewhere) is retried next sync
    lasting: bool


@dataclass(frozen=True)
class Intake:
    arrivals: tuple[Arrival, ...]
    refusals: tuple[Refusal, ...]
    seen: tuple[CopyRef, ...]
    problems: tuple[str, ...]


def arrival_order(a: Arrival) -> tuple:
    """The order copies are taken in: oldest first, so later copies win "newest" clashes naturally and
    a stale copy is applied first (documents record their save time to the second only: the file's
    own mtime breaks ties)."""
    return a.modified, a.ref.mtime, a.ref.name


def gather(
    tracker: TrackerConfig, journal: Journal, sources: list[Source], progress: Progress | None = None,
    on_arrival: Callable[[Arrival], None] | None = None, held: Table | None = None,
    idle: Callable[[], bool] | None = None,
) -> Intake:
    """The copies not taken yet, read, in ``arrival_order``. ``on_arrival`` is handed each copy the
    moment it has been read, while the others are still being read: copies are read oldest file
    first, so when their saved times agree with their files' times that is the order they are taken
    in, and the caller can merge each one without waiting for the rest. ``held``: the table of the
    generation the copies were most likely made from (their unchanged rows are then cheaper to read).
    ``idle``: work to do ahead while a core waits for the last copies (``readers.read_all``)."""
    refs: list[tuple[Source, CopyRef]] = []
    problems: list[str] = []
    for source in sources:
        try:
            refs.extend((source, ref) for ref in source.list())
        except SourceError as exc:
            problems.append(str(exc))
    arrivals, refusals, seen = [], [], []
    todo: list[tuple[Source, CopyRef, str]] = []
    digests_this_pass: set[str] = set()
    for source, ref in refs:
        try:
            digest = source.fingerprint(ref)
        except CopyRejected as exc:
            refusals.append(Refusal(ref, None, f"{exc.reason} — {exc.advice}" if exc.advice else exc.reason, False))
            continue
        if digest in digests_this_pass or journal.seen(tracker.name, digest) is not None:
            seen.append(ref)
            continue
        digests_this_pass.add(digest)
        todo.append((source, ref, digest))
    todo.sort(key=lambda item: (item[1].mtime, item[1].name))
    for i, (source, ref, digest), outcome in read_all(todo, tracker.sheet, held, idle):
        if progress:
            progress(ref.name, i, len(todo))
        if isinstance(outcome, CopyRejected):
            exc = outcome
            refusals.append(Refusal(ref, digest, f"{exc.reason} — {exc.advice}" if exc.advice else exc.reason, True))
            continue
        modified = as_utc(outcome.meta.modified) or file_time(ref.mtime)
        arrivals.append(Arrival(ref, digest, outcome, modified))
        if on_arrival is not None:
            on_arrival(arrivals[-1])
    if progress and refs:
        progress("", len(todo), len(todo))
    arrivals.sort(key=arrival_order)
    return Intake(tuple(arrivals), tuple(refusals), tuple(seen), tuple(problems))


def canonical_display(path: Path) -> str:
    return path.name
