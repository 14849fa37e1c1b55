"""The records the journal stores and hands back, as plain frozen dataclasses.

They live apart from ``journal`` because they are plain values with no SQL in them: building or reading
one (as ``records`` and ``render`` do) needs no database. ``journal`` re-exports them, so callers still
import them from there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from syncd.model import Table

# -- what the journal hands back --------------------------------------------------------------


@dataclass(frozen=True)
class Generation:
    tracker: str
    gen: int
    status: str
    created_at: dt.datetime
    table: Table
    provenance: dict[tuple[str, str], tuple[str, str | None, dt.datetime | None]]
    canonical_hash: str | None
    summary: dict[str, Any]


@dataclass(frozen=True)
class CopyRecord:
    hash: str
    name: str
    location: str
    status: str  # "taken" | "rejected" | "unchanged"
    reason: str | None
    author: str | None
    base_gen: int | None
    gen: int | None
    seen_at: dt.datetime
    summary: dict[str, Any]


@dataclass(frozen=True)
class StoredConflict:
    id: int
    gen: int
    row_id: str
    column: str | None
    kind: str
    title: str | None
    message: str
    detail: dict[str, Any]
    resolved_gen: int | None
    resolution: str | None


# -- what a sync hands the journal to store ----------------------------------------------------


@dataclass(frozen=True)
class NewCopy:
    hash: str
    name: str
    location: str
    size: int
    mtime: float
    status: str
    reason: str | None
    author: str | None
    base_gen: int | None
    summary: dict[str, Any]


@dataclass(frozen=True)
class NewConflict:
    row_id: str
    column: str | None
    kind: str
    title: str | None
    message: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """Everything one sync decided, as the journal stores it."""

    gen: int
    lineage: str | None
    table: Table
    provenance: dict[tuple[str, str], tuple[str, str | None, dt.datetime | None]]
    canonical_hash: str | None
    summary: dict[str, Any]
    copies: tuple[NewCopy, ...] = ()
    new_conflicts: tuple[NewConflict, ...] = ()
    resolved: tuple[tuple[int, str], ...] = ()
    archived: tuple[Any, ...] = ()  # syncd.merge.ArchivedRow
    changes: tuple[Any, ...] = ()  # syncd.merge.CellChange
    #: decisions on possible duplicates: (row id, row id, "keep both" | "merge")
    dupe_decisions: tuple[tuple[str, str, str], ...] = ()
    #: ``codec.encode_table(table)`` when it was worked out ahead (while duplicates were searched)
    table_blob: bytes | None = None
