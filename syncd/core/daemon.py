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

from syncd.config import Config, FolderSourceConfig, load_config
from syncd.core.debounce import Timing
from syncd.core.lock import StateLock
from syncd.core.watch import Router, Watching, real_path, start_observer, tracker_watch, watched_dirs
from syncd.core.worker import Worker
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

    def __init__(self, config: Config, timing: Timing, log_file: Path | None) -> None:
        self.config = config
        self.board = StatusBoard(config.state_dir)
        self.workers = [Worker(t, config, timing, self.board) for t in config.trackers]
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
        for folder, why in sorted(self.watching.unwatched.items()):
            log.warning("cannot watch %s for changes (%s); checking it every %g s instead", folder, why,
                        self.workers[0].timing.folder_poll if self.workers else 0)
        for tw, worker in zip(self.watches, self.workers):
            worker.unwatched = set(self.watching.unwatched)
            worker.reports_close = self.watching.reports_close
            where = ", ".join(f.root + (" (and sub-folders)" if f.recursive else "") for f in tw.folders)
            log.info("%s: watching %s; canonical %s", tw.name, where or "its sources", worker.t.canonical)
            worker.start()

    def stop(self) -> None:
        """Stop after the syncs in progress are done."""
        if self.watching is not None:
            self.watching.stop()
        for w in self.workers:
            w.request_stop()
        for w in self.workers:
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
    fleet: Fleet | None = None
    try:
        log.info("syncd watch started (pid %d) with %s", os.getpid(), config.path)
        fleet = Fleet(config, timing, log_file)
        fleet.start()
        while True:
            received = signal.sigwait(_SIGNALS)
            if received == getattr(signal, "SIGHUP", None):
                config, fleet = _reload(config, fleet, timing, log_file)
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


def _reload(config: Config, fleet: Fleet, timing: Timing, log_file: Path | None) -> tuple[Config, Fleet]:
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
    fleet = Fleet(new, timing, log_file)
    fleet.start()
    log.info("reloaded %s (%d tracker%s)", new.path.name, len(new.trackers), "" if len(new.trackers) == 1 else "s")
    return new, fleet
