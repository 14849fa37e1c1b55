"""What `syncd status` reports, gathered from the journal without taking the sync lock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from syncd.config import Config, FolderSourceConfig, TrackerConfig
from syncd.core.daemon import read_watch_status
from syncd.core.engine import journal_path
from syncd.core.journal import Journal
from syncd.core.lock import StateLock
from syncd.errors import CopyRejected, SourceError
from syncd.sources import build_source


def _pending(t: TrackerConfig, journal: Journal | None) -> list[str]:
    """Copies in the tracker's folders that no sync has taken or refused yet (Google Sheets are not asked)."""
    names: list[str] = []
    digests: set[str] = set()
    for cfg in t.sources:
        if not isinstance(cfg, FolderSourceConfig):
            continue
        source = build_source(cfg, exclude=[t.canonical])
        try:
            refs = source.list()
        except SourceError:
            continue
        for ref in refs:
            try:
                digest = source.fingerprint(ref)
            except CopyRejected:
                names.append(ref.name)
                continue
            if digest not in digests and (journal is None or journal.seen(t.name, digest) is None):
                names.append(ref.name)
            digests.add(digest)
    return names


def _local(stamp: Any) -> str | None:
    """The daemon's ISO time as the other times here show: local, to the minute."""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return None


def collect_status(config: Config) -> dict[str, Any]:
    lock = StateLock(config.state_dir, "status")
    owner = lock.owner() if lock.is_held_by_other() else None
    daemon = {"pid": owner[0]} if owner and owner[1] == "watch" else None
    watched = read_watch_status(config.state_dir) or {"trackers": {}}
    if daemon is not None and watched.get("pid") == daemon["pid"]:
        daemon["since"] = watched.get("started")
    trackers = []
    path = journal_path(config)
    journal = Journal(path) if path.exists() else None
    try:
        for t in config.trackers:
            entry: dict[str, Any] = {"name": t.name, "canonical": str(t.canonical), "generation": None,
                                     "last_synced": None, "rows": 0, "open_conflicts": 0, "taken": [], "rejected": []}
            if journal is not None:
                latest = journal.latest(t.name)
                if latest is not None:
                    entry["generation"] = latest.gen
                    entry["last_synced"] = latest.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
                    entry["rows"] = len(latest.table)
                entry["open_conflicts"] = len(journal.conflicts(t.name, open_only=True))
                for c in journal.copies(t.name):
                    when = c.seen_at.astimezone().strftime("%Y-%m-%d %H:%M")
                    item = {"file": c.name, "status": c.status, "when": when, "reason": c.reason}
                    (entry["rejected"] if c.status == "rejected" else entry["taken"]).append(item)
            entry["pending"] = _pending(t, journal)
            seen_by_daemon = watched["trackers"].get(t.name, {})
            entry["last_checked"] = _local(seen_by_daemon.get("checked"))
            entry["last_ok"] = _local(seen_by_daemon.get("ok"))
            errors = [e for e in seen_by_daemon.get("errors", []) if isinstance(e, dict)]
            entry["errors"] = [{"when": _local(e.get("when")), "message": e.get("message")} for e in errors]
            # ISO times with one offset compare as text
            entry["fine_since_errors"] = bool(errors) and all(
                str(e.get("when")) < str(seen_by_daemon.get("ok") or "") for e in errors)
            trackers.append(entry)
    finally:
        if journal is not None:
            journal.close()
    return {"daemon": daemon, "state_dir": str(config.state_dir), "trackers": trackers}
