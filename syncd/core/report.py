"""What a sync did, for people (the CLI prints it) and scripts (``--json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.core.codec import encode_value


@dataclass(frozen=True)
class CopyReport:
    name: str
    source: str
    status: str  # "taken" | "rejected" | "seen" (read before, not applied again) | "no changes"
    reason: str | None = None
    author: str | None = None
    base_generation: int | None = None
    base_inferred: bool = False
    changes: int = 0
    inserted: int = 0
    archived: int = 0
    conflicts: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.name, "source": self.source, "status": self.status, "reason": self.reason,
            "author": self.author, "base_generation": self.base_generation, "base_inferred": self.base_inferred,
            "changes": self.changes, "inserted": self.inserted, "archived": self.archived, "conflicts": self.conflicts,
        }


@dataclass(frozen=True)
class ConflictReport:
    task: str
    column: str | None
    kind: str
    message: str
    kept: Any
    others: tuple[Any, ...]

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task, "column": self.column, "kind": self.kind, "message": self.message,
                "kept": encode_value(self.kept), "others": [encode_value(v) for v in self.others]}


@dataclass(frozen=True)
class TrackerReport:
    name: str
    canonical: Path
    generation: int | None
    written: bool
    dry_run: bool = False
    copies: tuple[CopyReport, ...] = ()
    changes: int = 0
    inserted: int = 0
    archived: int = 0
    columns_added: tuple[str, ...] = ()
    conflicts: tuple[ConflictReport, ...] = ()
    resolved: int = 0
    problems: tuple[str, ...] = ()  # whole-source or canonical problems (one line each)
    rows: int = 0
    details: tuple[str, ...] = field(default=())  # one line per change, for --verbose / --dry-run
    #: possible duplicate clusters flagged on the Duplicates sheet, waiting for a decision
    duplicates: int = 0
    #: a mirrored source changed while this pass merged; the engine runs another pass
    mirror_stale: bool = False

    @property
    def rejected(self) -> tuple[CopyReport, ...]:
        return tuple(c for c in self.copies if c.status == "rejected")

    def to_json(self) -> dict[str, Any]:
        return {
            "tracker": self.name, "canonical": str(self.canonical), "generation": self.generation,
            "written": self.written, "dry_run": self.dry_run, "rows": self.rows,
            "changes": self.changes, "inserted": self.inserted, "archived": self.archived,
            "columns_added": list(self.columns_added), "resolved": self.resolved, "duplicates": self.duplicates,
            "conflicts": [c.to_json() for c in self.conflicts],
            "copies": [c.to_json() for c in self.copies],
            "rejected": [{"file": c.name, "reason": c.reason} for c in self.rejected],
            "problems": list(self.problems),
        }
