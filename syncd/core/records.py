"""A pass's merge results as the journal records them and as the sync report tells them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from syncd.core import codec
from syncd.core.journal import NewConflict
from syncd.merge import Conflict, MergeResult, State


def counts_for(result: MergeResult, label: str) -> dict[str, int]:
    """What one copy contributed to a first sync, where all copies are merged in one go."""
    return {
        "changes": sum(1 for c in result.changes if c.label == label),
        "inserted": 0,
        "archived": sum(1 for a in result.archived if a.label == label),
        "conflicts": sum(1 for c in result.conflicts if label in {c.kept.label, *(o.label for o in c.others)}),
    }


def _cv(v: Any) -> dict[str, Any]:
    return {"value": codec.encode_value(v.value), "label": v.label, "author": v.author,
            "modified": codec.encode_value(v.modified)}


def new_conflict(c: Conflict) -> NewConflict:
    detail = {"base": codec.encode_value(c.base), "kept": _cv(c.kept), "others": [_cv(o) for o in c.others]}
    return NewConflict(c.row_id, c.column, c.kind, c.title, c.message, codec.loads(codec.dumps(detail)))


def archive_entry(a: Any, gen: int) -> dict[str, Any]:
    return {"gen": gen, "row_id": a.row_id, "values": [(k, codec.encode_value(v)) for k, v in a.values],
            "label": a.label, "author": a.author, "reason": a.reason,
            "archived_at": dt.datetime.now(dt.timezone.utc)}


#: How the duplicates step's merges are labelled among a pass's results.
DUPLICATES_LABEL = "duplicates"


def describe(label: str, r: MergeResult, state: State | None) -> str:
    if label == DUPLICATES_LABEL:
        n = len({a.row_id for a in r.archived})
        text = f"duplicates: {n} row{'s' if n != 1 else ''} merged into {'their' if n != 1 else 'its'} duplicate"
        return text + (f", {len(r.conflicts)} conflict{'s' if len(r.conflicts) != 1 else ''}" if r.conflicts else "")
    parts = []
    if r.changes:
        parts.append(f"{len(r.changes)} cell{'s' if len(r.changes) != 1 else ''} changed")
    if r.inserted:
        parts.append(f"{len(r.inserted)} task{'s' if len(r.inserted) != 1 else ''} added")
    if r.archived:
        parts.append(f"{len(r.archived)} deleted (moved to the Archive sheet)")
    if r.conflicts:
        parts.append(f"{len(r.conflicts)} conflict{'s' if len(r.conflicts) != 1 else ''}")
    if r.columns_added:
        parts.append("new column" + ("s " if len(r.columns_added) > 1 else " ") + ", ".join(r.columns_added))
    return f"{label}: " + ", ".join(parts) if parts else ""
