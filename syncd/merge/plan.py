"""What the merge takes in and hands back: frozen records, no behaviour beyond validation.

The merge never touches files or clocks; everything it needs to know about who did what and when
arrives in these records, and everything it decided leaves in a ``MergeResult``.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass, field
from typing import Mapping

from syncd.errors import ConfigError
from syncd.model import Table, Value

#: Conflict policies ``MergeOptions.policy`` accepts.
POLICIES = ("newest", "canonical", "flag")


@dataclass(frozen=True)
class Provenance:
    """Who set a cell's current value: the copy's file name, its author and its own modified time."""

    label: str
    author: str | None = None
    modified: dt.datetime | None = None


@dataclass(frozen=True)
class State:
    """The canonical as syncd keeps it: a table whose rows all carry ids, plus who set which cell.

    ``provenance`` is keyed by ``(row_id, column name)`` and only holds cells some copy changed;
    a cell without an entry still has the value it had when syncd first saw it. It is stored as a
    read-only mapping so a state can be shared safely.
    """

    table: Table
    provenance: Mapping[tuple[str, str], Provenance] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.provenance, types.MappingProxyType):
            object.__setattr__(self, "provenance", types.MappingProxyType(dict(self.provenance)))
        if None in self.table.row_ids:  # in C: a state holds 100,000 rows
            raise ValueError("every row of a State table needs a row id")


@dataclass(frozen=True)
class Revision:
    """One mailed copy: its table (row ids where it came from a canonical), where it came from, and
    ``seed`` (the copy's content hash) so the ids given to rows it adds are the same on every run."""

    table: Table
    label: str
    author: str | None = None
    modified: dt.datetime | None = None
    seed: str = ""


@dataclass(frozen=True)
class MergeOptions:
    """How to merge.

    ``key``: a column whose values identify a task (else one named id/key/ref/#... is detected).
    ``title``: the column people recognise a task by (else the most varied text column).
    ``policy``: who wins a same-cell clash — ``"newest"`` (the later copy), ``"canonical"`` (the
    canonical's value stays) or ``"flag"`` (the cell goes back to the value both started from until
    a person decides). ``match_threshold``: how similar (0..1) two rows must be to count as the same
    task when nothing identifies them. ``drop_columns``: whether a column missing from a copy is
    deleted (three-file merge) or simply left alone (tracker sync, the default).
    ``reorder_columns``: whether a copy that moved columns moves them in the result too (three-file
    merge) or the canonical keeps the column order the team gave it (tracker sync, the default: one
    person's view of the sheet should not rearrange everybody's).
    """

    key: str | None = None
    title: str | None = None
    policy: str = "newest"
    match_threshold: float = 0.6
    drop_columns: bool = False
    reorder_columns: bool = False

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ConfigError(
                f'Unknown conflict policy "{self.policy}": use one of {", ".join(POLICIES)}.'
            )
        if not 0.0 <= self.match_threshold <= 1.0:
            raise ConfigError(
                f"The match threshold must be between 0 and 1, not {self.match_threshold}."
            )


@dataclass(frozen=True)
class ConflictValue:
    """One of the values that clashed in a cell, and who set it."""

    value: Value
    label: str
    author: str | None
    modified: dt.datetime | None


@dataclass(frozen=True)
class Conflict:
    """A clash a person should look at.

    ``kind`` is ``"edit"`` (two different values for one cell; ``column`` names it) or ``"delete"``
    (one side deleted a row or column the other changed). ``kept`` is what is in the canonical now;
    ``others`` every value that is not, so nothing anyone typed is lost. ``message`` is one sentence
    for a person.
    """

    row_id: str
    column: str | None
    kind: str
    title: str
    base: Value
    kept: ConflictValue
    others: tuple[ConflictValue, ...]
    message: str


@dataclass(frozen=True)
class CellChange:
    """A cell of the canonical that now holds another value, and the copy it came from."""

    row_id: str
    column: str
    old: Value
    new: Value
    label: str


@dataclass(frozen=True)
class ArchivedRow:
    """Values that left the canonical (a deleted row, or a deleted column's cells nobody else had
    seen), kept so a person can bring them back. ``values`` are ``(column, value)`` pairs."""

    row_id: str
    values: tuple[tuple[str, Value], ...]
    label: str
    author: str | None
    reason: str


@dataclass(frozen=True)
class MergeResult:
    """The new state and everything that happened to get there.

    ``renamed`` holds ``(state name, revision name)`` pairs of columns the copy calls differently
    (the canonical keeps its own name). ``reordered`` is true when the copy's column order moved
    the canonical's columns. ``changed`` says whether the state differs from the one merged into.
    """

    state: State
    changes: tuple[CellChange, ...] = ()
    inserted: tuple[str, ...] = ()
    archived: tuple[ArchivedRow, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    reordered: bool = False

    @property
    def changed(self) -> bool:
        """Anything at all changed in the state (cells, rows, columns or column order)."""
        return bool(
            self.changes
            or self.inserted
            or self.archived
            or self.columns_added
            or self.columns_removed
            or self.reordered
        )
