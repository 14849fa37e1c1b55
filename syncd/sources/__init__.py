"""Places copies come from. ``build_source`` turns a source's config into the object that reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from syncd.config import FolderSourceConfig, SourceConfig
from syncd.sources.base import CopyRef, Source


def build_source(config: SourceConfig, exclude: Iterable[Path] = (), state_dir: Path | None = None) -> Source:
    """``exclude``: files a folder source must never take (the canonical); ``state_dir``: where a source
    may keep what it remembers between runs (a Google Sheet's last seen version)."""
    if isinstance(config, FolderSourceConfig):
        from syncd.sources.folder import FolderSource

        return FolderSource(config, exclude=exclude)
    from syncd.sources.gsheet import GSheetSource  # only loads Google's client when a sheet is configured

    return GSheetSource(config, state_dir=state_dir)


__all__ = ["CopyRef", "Source", "build_source"]
