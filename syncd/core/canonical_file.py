"""The canonical as a file on disk: what it holds, its fingerprint, whether it may be replaced."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from syncd.config import TrackerConfig
from syncd.errors import CanonicalError, CopyRejected
from syncd.model import WorkbookMeta
from syncd.workbook.read import read_sheet


def canonical_meta(tracker: TrackerConfig) -> WorkbookMeta | None:
    if not tracker.canonical.exists():
        return None
    try:
        return read_sheet(tracker.canonical, tracker.sheet).meta
    except CopyRejected:
        return None


def file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Snapshot:
    size: int
    mtime_ns: int
    digest: str


def snapshot_of(path: Path) -> Snapshot | None:
    try:
        st = path.stat()
        return Snapshot(st.st_size, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CanonicalError(f"The canonical {path} is a folder, not a workbook. Move or rename that folder, or set "
                             "`canonical` in the configuration to a file name; then run syncd again.") from None
    except OSError as exc:
        raise CanonicalError(f"Cannot open the canonical {path}: {exc.strerror or exc}.") from None


def marked_read_only(path: Path) -> bool:
    try:
        return not path.stat().st_mode & 0o222
    except OSError:
        return False
