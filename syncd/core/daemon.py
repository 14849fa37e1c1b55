"""`syncd watch`: keep every canonical current as copies land, until stopped.

Threads and who does what:
- the observer thread (watchdog) only routes events onto each tracker's queue (``syncd.core.watch``);
- one worker thread per tracker settles bursts and syncs (``syncd.core.worker``);
- the main thread only waits for signals: SIGTERM/SIGINT stop once the syncs in progress are done (a
  write is never interrupted), SIGHUP reloads the configuration (a broken one is reported, one line per
  problem, and the running one kept).

One daemon per state directory: it holds the state lock for its whole life, so a second daemon, or a
`syncd sync` by hand, is told which pid is already doing the work. What each tracker's worker last did
is kept in ``<state_dir>/watch.json`` for `syncd status`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from syncd.config import Config, FolderSourceConfig, GSheetSourceConfig, TrackerConfig, load_config
from syncd.core.debounce import Timing
from syncd.core.lock import StateLock
from syncd.core.report import CopyReport, TrackerReport
from syncd.core.watch import Router, Watching, real_path, start_observer, tracker_watch, watched_dirs
from syncd.errors import EXIT_OK, ConfigError, UsageError
from syncd.workbook.atomic import atomic_write_bytes

log = logging.getLogger("syncd")

STATUS_FILE = "watch.json"
#: how many recent errors per tracker `syncd status` shows
KEEP_ERRORS = 5
_SIGNALS = {signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", signal.SIGTERM)}


def _now_text() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def read_watch_status(state_dir: Path) -> dict[str, Any] | None:
    """What the daemon last recorded in ``state_dir`` (``None`` if it never ran or the file is damaged):
    ``{"pid", "started", "trackers": {name: {"checked", "ok", "errors": [{"when", "message"}]}}}``,
    times as ISO 8601 text with the UTC offset."""
    try:
        data = json.loads((state_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("trackers"), dict) else None


class StatusBoard:
    """Per tracker: when the daemon last checked, when a check last went fine, its last errors. Shared by
    the workers; every update rewrites ``watch.json`` atomically, so `syncd status` never reads half of it.
    Errors from an earlier run are kept (with their times) until newer ones push them out."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATUS_FILE
        self._lock = threading.Lock()
        old = read_watch_status(state_dir) or {"trackers": {}}
        self.data: dict[str, Any] = {"pid": os.getpid(), "started": _now_text(), "trackers": old["trackers"]}
        self._write()

    def record(self, tracker: str, errors: list[str]) -> None:
        """One check of ``tracker`` ended, with these errors (none: it went fine)."""
        with self._lock:
            entry = self.data["trackers"].setdefault(tracker, {})
            now = _now_text()
            entry["checked"] = now
            if errors:
                kept = [e for e in entry.get("errors", []) if e.get("message") not in errors]
                entry["errors"] = (kept + [{"when": now, "message": m} for m in errors])[-KEEP_ERRORS:]
            else:
                entry["ok"] = now
            self._write()

    def _write(self) -> None:
        try:
            atomic_write_bytes(self.path, json.dumps(self.data, indent=1).encode())
        except OSError as exc:
            log.debug("cannot write %s: %s", self.path, exc)


class Fleet:
    """One configuration at work: the observer and a worker per tracker."""

    def __init__(self, config: Config, timing: Timing, board: StatusBoard, log_file: Path | None) -> None:
        from syncd.core.worker import Worker  # the engine and its libraries load once the lock is ours

        self.config, self.timing = config, timing
        self.workers = [Worker(t, config, timing, board) for t in config.trackers]
        self.watches = [tracker_watch(t, config, [log_file] if log_file else []) for t in config.trackers]
        self.watching: Watching | None = None

    def start(self) -> None:
        # watch first, then catch up: a copy landing during the catch-up is then an event, not missed
        polled = {real_path(s.path) for t in self.config.trackers for s in t.sources
                  if isinstance(s, FolderSourceConfig) and s.poll}
        for t in self.config.trackers:
            try:
                t.canonical.parent.mkdir(parents=True, exist_ok=True)  # so its folder can be watched
            except OSError:
                pass  # the sync says why it cannot write the canonical there
        dirs = watched_dirs(self.watches, polled)
        self.watching = start_observer(dirs, Router([(w, k.put) for w, k in zip(self.watches, self.workers)]))
        unwatched = self.watching.unwatched
        for folder, why in sorted(unwatched.items()):
            log.warning("cannot watch %s for changes (%s); checking it every %g s instead", folder, why,
                        self.timing.folder_poll)
        for tw, worker in zip(self.watches, self.workers):
            worker.unwatched = set(unwatched)
            worker.reports_close = self.watching.reports_close
            log.info("%s: watching %s; canonical %s", tw.name, self._where(worker.t, polled | set(unwatched)),
                     worker.t.canonical)
            worker.start()

    def _where(self, tracker: TrackerConfig, polled: set[str]) -> str:
        places = []
        for s in tracker.sources:
            if isinstance(s, GSheetSourceConfig):
                places.append(f"{s.label} (checked every {s.poll_seconds:g} s)")
                continue
            place = real_path(s.path) + (" and its sub-folders" if s.recursive else "")
            if real_path(s.path) in polled:
                place += f" (checked every {self.timing.folder_poll:g} s)"
            places.append(place)
        return ", ".join(places)

    def stop(self) -> None:
        """Stop after the syncs in progress are done."""
        if self.watching is not None:
            self.watching.stop()
        for w in self.workers:
            w.request_stop()
        for w in self.workers:
            if w.ident is not None:  # started
                w.join()


def run(config_path: Path | None, *, log_file: Path | None = None, timing: Timing = Timing()) -> int:
    """Run the daemon in the foreground until SIGTERM or SIGINT; return the exit code (0).

    Raises ``ConfigError`` (exit 2) for a configuration that cannot be used at start, ``LockedError``
    (exit 1) when another syncd holds the state directory, naming its pid. Must run in the main thread.
    """
    if not hasattr(signal, "pthread_sigmask"):
        raise UsageError("syncd watch needs Linux or macOS; on Windows run it inside WSL (see contrib/README.md).")
    config = load_config(config_path)
    lock = StateLock(config.state_dir, "watch").acquire()
    # Signals are taken synchronously by the main thread (sigwait), never by a handler interrupting
    # whatever code happens to run; threads started below inherit the blocked mask.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    for sig in _SIGNALS:
        if signal.getsignal(sig) == signal.SIG_IGN:
            signal.signal(sig, signal.SIG_DFL)  # under nohup an ignored SIGHUP might never reach sigwait
    fleet: Fleet | None = None
    try:
        log.info("syncd watch started (pid %d) with %s", os.getpid(), config.path)
        board = StatusBoard(config.state_dir)
        fleet = Fleet(config, timing, board, log_file)
        fleet.start()
        while True:
            received = signal.sigwait(_SIGNALS)
            if received == getattr(signal, "SIGHUP", None):
                config, fleet = _reload(config, fleet, timing, board, log_file)
                continue
            log.info("stopping: finishing the sync in progress first")
            break
        fleet.stop()
        fleet = None
        log.info("syncd watch stopped")
        return EXIT_OK
    finally:
        if fleet is not None:
            fleet.stop()
        # a second stop signal that came while finishing must not kill the process once unblocked
        while signal.sigpending() & _SIGNALS:
            signal.sigwait(_SIGNALS)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        lock.release()


def _reload(config: Config, fleet: Fleet, timing: Timing, board: StatusBoard,
            log_file: Path | None) -> tuple[Config, Fleet]:
    """SIGHUP: the new configuration replaces the running one only if it is entirely valid."""
    try:
        new = load_config(config.path)
    except ConfigError as exc:
        log.error("%s was not reloaded; syncd keeps running with the configuration it had:", config.path.name)
        for problem in exc.problems or (exc.message,):
            log.error("  %s", problem)
        return config, fleet
    if new.state_dir.resolve() != config.state_dir.resolve():
        log.error("%s was not reloaded: state_dir changed, which needs a restart of syncd watch; "
                  "syncd keeps running with the configuration it had.", config.path.name)
        return config, fleet
    fleet.stop()
    fleet = Fleet(new, timing, board, log_file)
    fleet.start()
    log.info("reloaded %s (%d tracker%s)", new.path.name, len(new.trackers), "" if len(new.trackers) == 1 else "s")
    return new, fleet


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _what(c: CopyReport) -> str:
    parts = []
    if c.changes:
        parts.append(_plural(c.changes, "cell") + " changed")
    if c.inserted:
        parts.append(_plural(c.inserted, "task") + " added")
    if c.archived:
        parts.append(_plural(c.archived, "task") + " deleted (moved to the Archive sheet)")
    if c.conflicts:
        parts.append(_plural(c.conflicts, "conflict"))
    if not parts and c.base_generation is None and c.base_inferred:
        parts.append("first sync")
    return ", ".join(parts)


def report_lines(r: TrackerReport, canonical_name: str) -> list[tuple[int, str]]:
    """One (level, line) per thing a person cares about in a pass; a pass that changed nothing yields
    only DEBUG lines."""
    lines: list[tuple[int, str]] = []
    taken = []
    for c in r.copies:
        who = f" ({c.author})" if c.author else ""
        if c.status == "taken":
            taken.append(len(lines))
            what = _what(c)
            lines.append((logging.INFO, f"{r.name}: took {c.name}{who}" + (f": {what}" if what else "")))
        elif c.status == "no changes":
            lines.append((logging.DEBUG, f"{r.name}: {c.name}{who} holds nothing new"))
        elif c.status == "rejected":
            lines.append((logging.WARNING, f"{r.name}: refused {c.name}: {c.reason}"))
    if r.written:
        written = f"canonical written (generation {r.generation})"
        if len(taken) == 1:
            level, text = lines[taken[0]]
            lines[taken[0]] = (level, f"{text}; {written}")
        elif not taken and any(d.startswith(f"{canonical_name}:") for d in r.details):
            lines.append((logging.INFO, f"{r.name}: merged the edits made directly in {canonical_name}; {written}"))
        else:
            lines.append((logging.INFO, f"{r.name}: {written}"))
    for conflict in r.conflicts:
        lines.append((logging.INFO, f"{r.name}: conflict: {conflict.message}"))
    # the duplicates step reports its merges as a detail line of its own ("duplicates: 2 rows merged ...")
    lines += [(logging.INFO, f"{r.name}: {d}") for d in r.details if d.startswith("duplicates:")]
    for problem in r.problems:
        lines.append((logging.WARNING, f"{r.name}: {problem}"))
    return lines
