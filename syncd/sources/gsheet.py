"""A live Google Sheet as a source: read like any mailed copy and, with ``mirror = true``, written back
so the sheet holds the canonical too.

A sync pass asks, in this order: ``list`` (one Drive request: the sheet's name, version, last change),
``fingerprint`` (no request: the version, or the remembered fingerprint of a version syncd has
accounted for), ``read`` (two Sheets requests, only for a version the journal has not seen), and for a
mirror ``mirrored_generation`` / ``write_back``. An unchanged sheet therefore costs one request a poll.

Write-back never overwrites what a person typed and syncd has not merged: it writes only over the
content read in this pass (or a version syncd wrote or merged earlier), only if the Drive version is
still the one listed in this pass (else ``SourceChanged``: the engine merges the new edits first), and
only the cells that differ, in one ``spreadsheets.batchUpdate``. The version the write produced is
remembered (``google.memory``) so the sheet does not come back as a copy.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import quote

from syncd.config import GSheetSourceConfig
from syncd.errors import CopyRejected, SourceChanged, SourceError
from syncd.model import META_SHEET, SheetRead, WorkbookMeta
from syncd.sources.base import CopyRef, Source
from syncd.sources.google.auth import load_auth
from syncd.sources.google.client import GoogleApiError, GoogleClient, Place, RetryPolicy, remote_text
from syncd.sources.google.memory import Memory, default_memory_dir
from syncd.sources.google.plan import plan_mirror
from syncd.sources.google.values import Located, Tab, locate, parse_tab
from syncd.workbook.guard import DEFAULT_LIMITS
from syncd.workbook.meta import parse_meta_sheet, parse_timestamp
from syncd.workbook.read import SYNCD_SHEETS

if TYPE_CHECKING:
    from syncd.workbook.write import CanonicalDoc

log = logging.getLogger("syncd.google")

DRIVE_FIELDS = "name,version,modifiedTime,lastModifyingUser(displayName,me)"
_PROPS = "properties(sheetId,title,index,hidden,gridProperties(rowCount,columnCount,frozenRowCount))"
TABS_FIELDS = f"sheets({_PROPS})"
GRID_FIELDS = (
    f"sheets({_PROPS},data(startRow,startColumn,rowData(values(userEnteredValue,effectiveValue,formattedValue,"
    "note,effectiveFormat(numberFormat(type)),userEnteredFormat(numberFormat,backgroundColor))),"
    "columnMetadata(hiddenByUser)))"
)
_EXTRAS = tuple(s for s in SYNCD_SHEETS if s != META_SHEET)
_OWN = {s.casefold() for s in SYNCD_SHEETS}
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class _Listing:
    version: int
    name: str
    modified: dt.datetime | None
    author: str | None  # the last person to change it; None when that was syncd itself
    by_me: bool


@dataclass(frozen=True)
class _Snapshot:
    tabs: tuple[Tab, ...]
    target: str  # the tracker's tab (it may not exist yet)
    fetched: frozenset[str]  # casefolded titles whose cells were fetched


def _find(tabs: tuple[Tab, ...] | list[Tab], title: str) -> Tab | None:
    exact = next((t for t in tabs if t.title == title), None)
    if exact is not None:
        return exact
    folded = title.strip().casefold()
    return next((t for t in tabs if t.title.strip().casefold() == folded), None)


def _a1(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


class GSheetSource(Source):
    """One Google Sheet (one tab of it) from a ``GSheetSourceConfig``.

    ``state_dir``: where the small per-sheet memory file goes (default ``$XDG_STATE_HOME/syncd/google``);
    ``policy``/``sleep``: retry timing (tests make it fast). Nothing here talks to Google until ``list``.
    """

    watchable = False

    def __init__(self, config: GSheetSourceConfig, *, state_dir: Path | None = None, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(config.label)
        self.config = config
        self.can_write_back = config.mirror
        #: seconds between polls; the daemon adds jitter
        self.poll_seconds = config.poll_seconds
        self._policy = policy
        self._sleep = sleep
        directory = state_dir / "google" if state_dir is not None else default_memory_dir()
        key = "\n".join([config.api_endpoint or "", config.spreadsheet, config.sheet or ""])
        self.memory = Memory(directory, key)
        self._client: GoogleClient | None = None
        self._name = f"the Google Sheet {config.spreadsheet}"
        self._requested: str | None = None
        self._new_pass()

    def _new_pass(self) -> None:
        self._listing: _Listing | None = None
        self._list_failed = False
        self._fingerprint: str | None = None
        self._snapshot: _Snapshot | None = None  # what read() fetched in this pass (merged, or blank)
        self._read_ok = False
        self._generation: int | None = None  # generation the sheet held when read in this pass
        self._blank = False  # read() found the tab missing or empty: nothing there to lose
        self._read_failed = False  # read() could not reach Google (already reported as a refusal)
        self._unusable: str | None = None  # read() found content it cannot read as a table
        self._written: int | None = None

    # -- plumbing ------------------------------------------------------------------------------------

    def _api(self) -> GoogleClient:
        if self._client is None:
            self._client = GoogleClient(load_auth(self.config), self.config.api_endpoint, self._policy,
                                        sleep=self._sleep)
        return self._client

    def _place(self) -> Place:
        return Place(self._name, "Editor" if self.config.mirror else "Viewer")

    def _location(self) -> str:
        url = f"https://docs.google.com/spreadsheets/d/{self.config.spreadsheet}/edit"
        return url + (f"#{quote(self.config.sheet)}" if self.config.sheet else "")

    def _drive(self) -> _Listing:
        sid = self.config.spreadsheet
        info = self._api().call(
            "drive", lambda d: d.files().get(fileId=sid, fields=DRIVE_FIELDS, supportsAllDrives=True),
            "drive files.get", self._place())
        try:
            version = int(str(info.get("version")))
        except ValueError:
            raise GoogleApiError(f"Google sent no version for {self._name}; syncd tries again on the next sync.") from None
        raw_name = info.get("name")
        name = _UNPRINTABLE.sub(" ", raw_name).strip()[:100] if isinstance(raw_name, str) else ""
        user = info.get("lastModifyingUser") if isinstance(info.get("lastModifyingUser"), dict) else {}
        by_me = user.get("me") is True
        author = user.get("displayName") if isinstance(user.get("displayName"), str) and not by_me else None
        modified = parse_timestamp(info.get("modifiedTime")) if isinstance(info.get("modifiedTime"), str) else None
        return _Listing(version, name or sid, modified, remote_text(author, limit=100) if author else None, by_me)

    def _remember(self, **changes: Any) -> None:
        self.memory.save(replace(self.memory.load(), **changes))

    def _fingerprint_of(self, version: int, salt: int) -> str:
        fp = f"gsheet:{self.config.spreadsheet}:{self.config.sheet or ''}:v{version}"
        return fp + (f":r{salt}" if salt else "")

    def _forget_version(self) -> None:
        """The sheet's current version must be read again: give it a fingerprint the journal has not seen."""
        mem = self.memory.load()
        self.memory.save(replace(mem, version=None, fingerprint=None, salt=mem.salt + 1))

    # -- reading ---------------------------------------------------------------------------------------

    def _target(self, tabs: tuple[Tab, ...], requested: str | None, fallback: str) -> str:
        for name in (self.config.sheet, requested, self.memory.load().tab):
            if name:
                found = _find(tabs, name)
                return found.title if found is not None else name
        visible = [t for t in tabs if not t.hidden and t.title.strip().casefold() not in _OWN]
        return visible[0].title if visible else fallback

    def _fetch(self, requested: str | None, fallback: str, also: tuple[str, ...] = ()) -> _Snapshot:
        api, sid, place = self._api(), self.config.spreadsheet, self._place()
        info = api.call("sheets", lambda s: s.spreadsheets().get(spreadsheetId=sid, fields=TABS_FIELDS),
                        "sheets spreadsheets.get (tabs)", place)
        tabs = tuple(parse_tab(t) for t in info.get("sheets") or ())
        target = self._target(tabs, requested, fallback)
        wanted = {n.casefold() for n in (target, META_SHEET, *_EXTRAS, *also)}
        ranges = [_a1(t.title) for t in tabs if t.title.casefold() in wanted]
        if ranges:
            grid = api.call("sheets", lambda s: s.spreadsheets().get(spreadsheetId=sid, ranges=ranges,
                                                                     includeGridData=True, fields=GRID_FIELDS),
                            "sheets spreadsheets.get (cells)", place)
            filled = {t.title: t for t in (parse_tab(x) for x in grid.get("sheets") or ())}
            tabs = tuple(filled.get(t.title, t) for t in tabs)
        return _Snapshot(tabs, target, frozenset(t.title.casefold() for t in tabs if t.title.casefold() in wanted))

    def list(self) -> list[CopyRef]:
        self._new_pass()
        try:
            listing = self._drive()
        except SourceError:
            self._list_failed = True
            raise
        self._listing = listing
        self._name = f'the Google Sheet "{listing.name}"'
        mtime = listing.modified.timestamp() if listing.modified else 0.0
        return [CopyRef(self.label, f'Google Sheet "{listing.name}"', self._location(), listing.version, mtime)]

    def fingerprint(self, ref: CopyRef) -> str:
        """``gsheet:<id>:<tab>:v<version>``, or for a version syncd accounted for (wrote, or read and
        merged) the fingerprint it was accounted under, which the journal has seen."""
        mem = self.memory.load()
        if mem.version is not None and mem.version == ref.size and mem.fingerprint:
            self._fingerprint = mem.fingerprint
        else:
            self._fingerprint = self._fingerprint_of(ref.size, mem.salt)
        return self._fingerprint

    def read(self, ref: CopyRef, sheet: str | None, held: object = None) -> SheetRead:
        self._requested = sheet
        try:
            snap = self._fetch(sheet, sheet or "Tasks")
        except SourceError as exc:
            self._read_failed = True
            self._forget_version()
            raise CopyRejected(ref.name, exc.message) from None
        except (ValueError, TypeError, AttributeError):
            self._read_failed = True
            self._forget_version()
            raise CopyRejected(ref.name, "Google sent an answer syncd cannot understand",
                               "syncd tries again on the next sync") from None
        tab = _find(snap.tabs, snap.target)
        try:
            located = locate(tab) if tab is not None else None
        except CopyRejected as exc:
            self._unusable = exc.reason
            raise CopyRejected(ref.name, f"tab '{snap.target}': {exc.reason}", exc.advice) from None
        self._snapshot = snap
        if located is None:
            self._blank = True
            self._accounted(snap.target, None)
            if tab is None:
                names = ", ".join(t.title for t in snap.tabs) or "none"
                advice = ("syncd creates it and fills it with the canonical (mirror = true)" if self.config.mirror
                          else "set `sheet` for this source in the configuration to one of its tabs")
                raise CopyRejected(ref.name, f"has no tab called '{snap.target}' (it has: {names})", advice)
            advice = ("syncd fills it with the canonical (mirror = true)" if self.config.mirror
                      else "put the tracker in it, or set `sheet` for this source to the tab that holds it")
            raise CopyRejected(ref.name, f"tab '{snap.target}' is empty", advice)
        table = located.table
        if table.width > DEFAULT_LIMITS.max_columns or len(table) > DEFAULT_LIMITS.max_rows:
            self._unusable = "too big"
            raise CopyRejected(ref.name, f"tab '{snap.target}' is too big ({len(table):,} rows × {table.width:,} columns)",
                               "delete the unused rows and columns")
        meta_tab = _find(snap.tabs, META_SHEET)
        tracker, lineage, generation = parse_meta_sheet(meta_tab.values()) if meta_tab is not None else (None,) * 3
        listing = self._listing
        self._read_ok = True
        self._generation = generation
        self._accounted(snap.target, generation)
        return SheetRead(
            table=table,
            sheet=snap.target,
            meta=WorkbookMeta(tracker=tracker, lineage=lineage, generation=generation,
                              author=listing.author if listing else None, modified=listing.modified if listing else None),
            sheets=tuple(t.title for t in snap.tabs),
            extras=self._extras(snap),
        )

    def _extras(self, snap: _Snapshot) -> tuple[tuple[str, Any], ...]:
        out = []
        for name in _EXTRAS:
            tab = _find(snap.tabs, name)
            if tab is None or tab.title.casefold() == snap.target.casefold() or not tab.rows:
                continue
            try:
                found = locate(tab, header=0 if any(c.value is not None for c in tab.rows[0]) else None)
            except (CopyRejected, ValueError):
                continue
            if found is not None:
                out.append((name, found.table))
        return tuple(out)

    def _accounted(self, tab: str, generation: int | None) -> None:
        """This pass's version of the sheet is read (the engine merges it) or has nothing to merge."""
        if self._listing is not None and self._fingerprint is not None:
            self._remember(version=self._listing.version, fingerprint=self._fingerprint, generation=generation, tab=tab)

    # -- mirroring ---------------------------------------------------------------------------------------

    def mirrored_generation(self) -> int | None:
        """The canonical generation the sheet holds, as far as this pass knows (``None``: unknown)."""
        if self._written is not None:
            return self._written
        if self._read_ok:
            return self._generation
        mem = self.memory.load()
        if self._listing is not None and mem.version == self._listing.version:
            return mem.generation
        return None

    def write_back(self, doc: "CanonicalDoc") -> None:
        """Make the sheet hold ``doc``. Raises ``SourceChanged`` when it changed since this pass listed it
        (or holds edits not merged yet), ``SourceError`` when it cannot be written."""
        try:
            self._write_back(doc)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise SourceError(f"syncd did not write the canonical into {self._name}: Google sent an answer syncd "
                              "cannot understand; syncd tries again on the next sync.") from None

    def _write_back(self, doc: "CanonicalDoc") -> None:
        if not self.config.mirror:
            raise SourceError(f"{self._name} is not mirrored (set `mirror = true` to write the canonical into it).")
        listing = self._listing
        if listing is None or self._list_failed or self._read_failed:
            return  # Google could not be reached in this pass; that is reported already
        if self._unusable is not None:
            raise SourceError(f"syncd did not write the canonical into {self._name}: its tab cannot be read as a "
                              f"table ({self._unusable}). Fix or clear that tab; syncd fills it on the next sync.")
        extra_titles = tuple(t for t, _ in doc.extra_sheets)
        snap = self._snapshot
        if snap is None or not {t.casefold() for t in extra_titles} <= snap.fetched:
            mem = self.memory.load()
            if not self._blank and mem.version != listing.version:
                # The journal saw this version under a fingerprint syncd did not record as merged (a
                # failed read, a lost memory file): read and merge it before writing over it.
                self._forget_version()
                raise SourceChanged(f"{self._name} has edits syncd has not merged yet; merging them first.")
            snap = self._fetch(self._requested, doc.sheet, extra_titles)
        tab = _find(snap.tabs, snap.target)
        located: Located | None = None
        if tab is not None:
            try:
                located = locate(tab)
            except CopyRejected as exc:
                raise SourceError(f"syncd did not write the canonical into {self._name}: its tab '{snap.target}' "
                                  f"cannot be read as a table ({exc.reason}).") from None
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        requests = plan_mirror(snap.tabs, snap.target, doc, located, now=now)
        generation = doc.meta.generation
        if requests:
            current = self._drive()
            if current.version != listing.version:
                raise SourceChanged(f"{self._name} changed while syncd was merging; merging the new edits first.")
            sid = self.config.spreadsheet
            self._api().call("sheets", lambda s: s.spreadsheets().batchUpdate(spreadsheetId=sid,
                                                                               body={"requests": requests}),
                             "sheets spreadsheets.batchUpdate", replace(self._place(), writing=True))
            log.info("wrote generation %s into %s (%d changes)", generation, self._name, len(requests))
            self._written = generation
            try:
                after = self._drive()
            except SourceError:
                return  # written; the next poll reads it back once, which merges nothing
            if after.by_me:
                self._remember(version=after.version, fingerprint=self._fingerprint, generation=generation,
                               tab=snap.target)
            return
        self._written = generation
        self._remember(version=listing.version, fingerprint=self._fingerprint, generation=generation, tab=snap.target)


__all__ = ["GSheetSource"]
