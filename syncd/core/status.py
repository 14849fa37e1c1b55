"""What `syncd status` reports, gathered from the journal without taking the sync lock."""

from __future__ import annotations

from typing import Any

from syncd.config import Config
from syncd.core.engine import journal_path
from syncd.core.journal import Journal
from syncd.core.lock import StateLock


def collect_status(config: Config) -> dict[str, Any]:
    lock = StateLock(config.state_dir, "status")
    owner = lock.owner() if lock.is_held_by_other() else None
    daemon = {"pid": owner[0]} if owner and owner[1] == "watch" else None
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
            trackers.append(entry)
    finally:
        if journal is not None:
            journal.close()
    return {"daemon": daemon, "state_dir": str(config.state_dir), "trackers": trackers}
