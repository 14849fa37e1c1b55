"""The small interface every source implements: list what copies it has, read one.

A source reads (and, where it can, writes) one place: a folder, a Google Sheet. It knows nothing about
merging or the journal; the engine asks it what is there, fingerprints each copy to skip the ones it has
seen, and reads the new ones. Capability flags tell the engine what else a source can do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from typing import TYPE_CHECKING

from syncd.model import SheetRead

if TYPE_CHECKING:
    from syncd.workbook.held import HeldRows
    from syncd.workbook.write import CanonicalDoc


@dataclass(frozen=True)
class CopyRef:
    """One copy a source holds, before it is read.

    ``name`` is what a person calls it (the file name, relative to the folder); ``location`` is unique
    (an absolute path, a sheet id); ``mtime`` the place's own modification time (seconds since epoch).
    """

    source: str
    name: str
    location: str
    size: int
    mtime: float


class Source(ABC):
    #: the source can hold the canonical written back (a mirrored Google Sheet)
    can_write_back: bool = False
    #: changes can be watched as events (a folder) rather than polled
    watchable: bool = False
    #: ``read`` may run for several copies at once, in threads or each in a process of its own (the
    #: source is pickled there: files on disk); a client holding one connection must say False
    concurrent_reads: bool = False

    def __init__(self, label: str) -> None:
        self.label = label

    @abstractmethod
    def list(self) -> list[CopyRef]:
        """Every copy currently there, cheaply (no content read). Raises ``SourceError`` if the place is gone."""

    @abstractmethod
    def fingerprint(self, ref: CopyRef) -> str:
        """A content hash: equal for equal content, whatever the name or time. Raises ``CopyRejected``."""

    @abstractmethod
    def read(self, ref: CopyRef, sheet: str | None, held: "HeldRows | None" = None) -> SheetRead:
        """The copy's table. Raises ``CopyRejected`` naming the copy and the reason.

        ``held`` holds the rows of the generation syncd has (``syncd.workbook.held``); a source may
        use them to read faster, and what it returns must be the same with them or without."""

    def mirrored_generation(self) -> int | None:
        """For ``can_write_back`` sources: the canonical generation this place last received, if known."""
        return None

    def write_back(self, doc: "CanonicalDoc") -> None:
        """Make this place hold the canonical ``doc`` (only where ``can_write_back``).

        Raises ``SourceChanged`` when the place changed since it was last read (the engine then merges
        again), ``SourceError`` when it cannot be reached (the rest of the sync stands).
        """
        raise NotImplementedError
