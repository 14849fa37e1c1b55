"""Turning file-system events into work for the trackers' workers, and nothing more.

The observer calls ``Router.dispatch`` on its own thread. It only decides, from the path's text, which
tracker cares and how (a copy, or the canonical), and puts that on the tracker's queue: it never sleeps,
never touches the disk, never waits for a lock, so a burst of events cannot stall the observer. Lock and
temp files, syncd's own temporary files, the state directory and the daemon's log file never get that far.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from syncd.config import Config, FolderSourceConfig, TrackerConfig
from syncd.sources.folder import is_ignored

log = logging.getLogger("syncd.watch")

#: what an event says happened to a path, as the worker needs it
ARRIVED, MODIFIED, CLOSED, GONE = "arrived", "modified", "closed", "gone"


@dataclass(frozen=True)
class Change:
    """One piece of work for a tracker's worker: ``kind`` is "copy", "canonical" or "rescan"."""

    kind: str
    path: str = ""
    what: str = ARRIVED


@dataclass(frozen=True)
class FolderWatch:
    root: str
    recursive: bool
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class TrackerWatch:
    """What one tracker listens to, reduced to strings so matching an event is text work only."""

    name: str
    canonical: str
    folders: tuple[FolderWatch, ...]
    #: folders whose contents never matter (the state directory)
    ignored_dirs: tuple[str, ...] = ()
    #: single files that never matter (the daemon's own log file)
    ignored_files: frozenset[str] = frozenset()


def real_path(path: Path) -> str:
    """The form every path takes here, so that the text of two paths to one file compares equal."""
    return os.path.normcase(os.path.realpath(path))


def tracker_watch(tracker: TrackerConfig, config: Config, ignored_files: Iterable[Path] = ()) -> TrackerWatch:
    """The events ``tracker`` cares about: copies in its folder sources, and its canonical."""
    folders = tuple(
        FolderWatch(real_path(s.path), s.recursive, tuple(p.lower() for p in s.patterns))
        for s in tracker.sources if isinstance(s, FolderSourceConfig)
    )
    return TrackerWatch(tracker.name, real_path(tracker.canonical), folders, (real_path(config.state_dir),),
                        frozenset(real_path(p) for p in ignored_files))


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def classify(watch: TrackerWatch, path: str) -> str | None:
    """"canonical", "copy" or ``None`` (not this tracker's business) for an absolute event path."""
    path = os.path.normcase(path)
    if path in watch.ignored_files or any(_inside(path, d) for d in watch.ignored_dirs):
        return None
    name = os.path.basename(path)
    if is_ignored(name):
        return None
    if path == watch.canonical:
        return "canonical"
    lowered = name.lower()
    for f in watch.folders:
        here = os.path.dirname(path) == f.root if not f.recursive else _inside(path, f.root)
        if here and any(fnmatch.fnmatch(lowered, p) for p in f.patterns):
            return "copy"
    return None


def _paths(event: Any) -> list[tuple[str, str]]:
    """(path, what happened to it) for a watchdog event; directories only matter by their contents."""
    kind = event.event_type
    if event.is_directory:
        # a folder moved or created inside a recursive source: its files need a look
        return [("", "rescan")] if kind in ("moved", "created") else []
    src = os.fsdecode(event.src_path)
    if kind == "moved":
        return [(src, GONE), (os.fsdecode(event.dest_path), ARRIVED)]
    what = {"created": ARRIVED, "modified": MODIFIED, "closed": CLOSED, "deleted": GONE}.get(kind)
    return [(src, what)] if what else []


class Router:
    """The observer's event handler: routes each event to the queues of the trackers it concerns."""

    def __init__(self, targets: list[tuple[TrackerWatch, Callable[[Change], None]]]) -> None:
        self.targets = targets

    def dispatch(self, event: Any) -> None:
        for path, what in _paths(event):
            for watch, put in self.targets:
                if what == "rescan":
                    if any(f.recursive for f in watch.folders):
                        put(Change("rescan"))
                    continue
                kind = classify(watch, path)
                if kind is None or (kind == "copy" and what == GONE):
                    continue  # a copy that went away needs nothing; a canonical that went away is written again
                put(Change(kind, path, what))


def watched_dirs(watches: Iterable[TrackerWatch], polled_roots: set[str]) -> dict[str, bool]:
    """Folder -> recursive, for every folder to watch: the sources (unless polled) and the canonicals'
    folders (a person editing the canonical is news too). One watch per folder, recursive if any wants."""
    dirs: dict[str, bool] = {}
    for w in watches:
        for f in w.folders:
            if f.root not in polled_roots:
                dirs[f.root] = dirs.get(f.root, False) or f.recursive
        parent = os.path.dirname(w.canonical)
        dirs.setdefault(parent, False)
    return dirs


def _event_filter() -> list[type]:
    from watchdog.events import (
        DirCreatedEvent,
        DirMovedEvent,
        FileClosedEvent,
        FileCreatedEvent,
        FileDeletedEvent,
        FileModifiedEvent,
        FileMovedEvent,
    )

    # no opened/closed-without-writing events: syncd's own reads must not wake it up
    return [FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent, FileDeletedEvent,
            DirCreatedEvent, DirMovedEvent]


@dataclass
class Watching:
    """The running observer (``None`` if none could start), the folders it could not watch (folder ->
    why) and whether it reports when a file is closed after writing (Linux inotify does)."""

    observer: Any
    unwatched: dict[str, str]
    reports_close: bool

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=10)


def _why(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if "inotify" in text.lower() and ("limit" in text.lower() or "watch" in text.lower()):
        return f"{text}; raise fs.inotify.max_user_watches / max_user_instances to watch it"
    return text


def start_observer(dirs: dict[str, bool], router: Router, make_observer: Callable[[], Any] | None = None) -> Watching:
    """Start one observer over ``dirs``. A folder that cannot be watched (it does not exist, or the
    system's watch limits are reached) is returned in ``unwatched``, and the caller polls it instead;
    if the observer itself cannot start, every folder is."""
    if make_observer is None:
        from watchdog.observers import Observer as make_observer  # type: ignore[no-redef]
    try:
        observer = make_observer()
        observer.start()
    except Exception as exc:  # noqa: BLE001 - any failure here means: poll instead
        return Watching(None, {d: _why(exc) for d in dirs}, False)
    unwatched: dict[str, str] = {}
    event_filter = _event_filter()
    for folder, recursive in sorted(dirs.items()):
        try:
            observer.schedule(router, folder, recursive=recursive, event_filter=event_filter)
        except Exception as exc:  # noqa: BLE001 - inotify limits, a missing folder, a share without events
            unwatched[folder] = _why(exc)
    return Watching(observer, unwatched, type(observer).__name__ == "InotifyObserver")
