"""What a Google Sheet source remembers between syncs, in one small JSON file per sheet.

One fact: "version V of this sheet is accounted for" — syncd read and merged it, or wrote it itself —
with the fingerprint the journal knows it by, the canonical generation it holds and the tab the
tracker is in. With it, a poll of an unchanged sheet is one Drive request, and syncd's own write-back
does not come back as a copy to merge. ``salt`` changes the fingerprints of versions not accounted
for, so a version whose read failed is read again instead of being skipped as already seen.

Losing the file costs one extra read of the sheet, never an edit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("syncd.google")

_MAX_BYTES = 64 * 1024


def default_memory_dir() -> Path:
    """``$XDG_STATE_HOME/syncd/google`` (default ``~/.local/state/syncd/google``)."""
    base = os.environ.get("XDG_STATE_HOME")
    return (Path(base) if base else Path.home() / ".local" / "state") / "syncd" / "google"


@dataclass(frozen=True)
class Remembered:
    version: int | None = None
    fingerprint: str | None = None
    generation: int | None = None
    tab: str | None = None
    salt: int = 0


def _field(raw: dict, key: str, kind: type) -> object:
    value = raw.get(key)
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


class Memory:
    """The memory file of one sheet (``key`` names the endpoint, spreadsheet and tab)."""

    def __init__(self, directory: Path, key: str) -> None:
        self.path = directory / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:24] + ".json")
        self.key = key
        # if the file cannot be written, the process still remembers (the next process reads once more)
        self._unsaved: Remembered | None = None

    def load(self) -> Remembered:
        if self._unsaved is not None:
            return self._unsaved
        try:
            with open(self.path, "rb") as f:
                raw = json.loads(f.read(_MAX_BYTES))
        except (OSError, ValueError, UnicodeDecodeError):
            return Remembered()
        if not isinstance(raw, dict) or raw.get("key") != self.key:
            return Remembered()
        salt = _field(raw, "salt", int)
        return Remembered(
            version=_field(raw, "version", int),  # type: ignore[arg-type]
            fingerprint=_field(raw, "fingerprint", str),  # type: ignore[arg-type]
            generation=_field(raw, "generation", int),  # type: ignore[arg-type]
            tab=_field(raw, "tab", str),  # type: ignore[arg-type]
            salt=salt if isinstance(salt, int) and salt >= 0 else 0,
        )

    def save(self, value: Remembered) -> None:
        """Write the memory atomically; a failure only costs a read later, so it is logged, not raised."""
        data = json.dumps({"key": self.key, **asdict(value)}, indent=1)
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".memory-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
            os.replace(tmp, self.path)
            self._unsaved = None
        except OSError as exc:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            self._unsaved = value
            log.warning("cannot save %s: %s", self.path, exc.strerror or exc)
