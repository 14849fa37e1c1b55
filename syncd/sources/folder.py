"""A folder where copies land: saved mail attachments, a synced drive (Dropbox, OneDrive...)."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path
from typing import Iterable

from syncd.config import FolderSourceConfig
from syncd.errors import CopyRejected, SourceError
from syncd.model import SheetRead
from syncd.sources.base import CopyRef, Source
from syncd.workbook.held import HeldRows
from syncd.workbook.read import read_sheet

#: Files that are never copies: Office and LibreOffice lock files, editors' and downloaders' temp files,
#: and syncd's own temporary files.
IGNORED_PATTERNS = (
    "~$*", ".~lock.*#", "~*.tmp", "*.tmp", "*.temp", "*.part", "*.crdownload", "*.download", ".*", "*.syncd-tmp*",
)


def is_ignored(name: str) -> bool:
    """True for lock and temp files that must never be read or trigger a sync."""
    base = os.path.basename(name)
    return any(fnmatch.fnmatch(base, pat) for pat in IGNORED_PATTERNS)


class FolderSource(Source):
    watchable = True
    concurrent_reads = True

    def __init__(self, config: FolderSourceConfig, exclude: Iterable[Path] = ()) -> None:
        super().__init__(str(config.path))
        self.config = config
        self.root = config.path
        # the canonical may live inside a watched folder; it is read as the canonical, never as a copy
        self.exclude = {os.path.normcase(str(p.resolve())) for p in exclude}

    def matches(self, path: Path) -> bool:
        name = path.name
        if is_ignored(name):
            return False
        if os.path.normcase(str(path.resolve())) in self.exclude:
            return False
        return any(fnmatch.fnmatch(name.lower(), pat.lower()) for pat in self.config.patterns)

    def list(self) -> list[CopyRef]:
        if not self.root.is_dir():
            raise SourceError(
                f"The folder {self.root} does not exist (source `path` in the config) — create it, or fix the path."
            )
        walker = self.root.rglob("*") if self.config.recursive else self.root.iterdir()
        refs = []
        try:
            for path in walker:
                if not self.matches(path):
                    continue
                try:
                    st = path.stat()
                except OSError:
                    continue  # vanished between listing and stat: it will be seen next time if it comes back
                if not path.is_file():
                    continue
                refs.append(CopyRef(self.label, str(path.relative_to(self.root)), str(path.resolve()), st.st_size, st.st_mtime))
        except OSError as exc:
            raise SourceError(f"Cannot list the folder {self.root}: {exc.strerror or exc}.") from None
        return sorted(refs, key=lambda r: (r.mtime, r.name))

    def fingerprint(self, ref: CopyRef) -> str:
        h = hashlib.sha256()
        try:
            with open(ref.location, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError as exc:
            raise CopyRejected(ref.name, f"cannot be opened ({exc.strerror or exc})",
                               "check it is not open in another program, then run syncd again") from None
        return h.hexdigest()

    def read(self, ref: CopyRef, sheet: str | None, held: HeldRows | None = None) -> SheetRead:
        try:
            return read_sheet(ref.location, sheet, held=held)
        except CopyRejected as exc:
            # name the file as the person sees it in their folder
            raise CopyRejected(ref.name, exc.reason, exc.advice) from None
