"""Loading and validating ``syncd.toml``.

The file is read once, checked completely (every problem is reported at once, each with its key path
and the fix) and turned into frozen dataclasses that are passed down; nothing reads the config
globally. Relative paths are relative to the config file, so a config can be moved with its folders.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.errors import ConfigError

DEFAULT_CONFIG = "syncd.toml"
POLICIES = ("newest", "canonical", "flag")
#: Spreadsheet files a folder source takes when it has no ``pattern``.
DEFAULT_PATTERNS = ("*.xlsx", "*.xlsm", "*.xls", "*.xlsb", "*.ods", "*.csv", "*.tsv")


@dataclass(frozen=True)
class FolderSourceConfig:
    """A folder where copies land: mail attachments saved there, a synced drive."""

    path: Path
    pattern: str | None = None
    recursive: bool = False
    poll: bool = False
    type: str = "folder"

    @property
    def patterns(self) -> tuple[str, ...]:
        return (self.pattern,) if self.pattern else DEFAULT_PATTERNS

    @property
    def label(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class GSheetSourceConfig:
    """A live Google Sheet, read like any other copy and, with ``mirror``, written back."""

    spreadsheet: str  # the id (a URL in the config is reduced to its id)
    sheet: str | None = None
    credentials: Path | None = None
    oauth: bool = False
    mirror: bool = False
    poll_seconds: float = 60.0
    api_endpoint: str | None = None
    type: str = "gsheet"

    @property
    def label(self) -> str:
        return f"Google Sheet {self.spreadsheet}"


SourceConfig = FolderSourceConfig | GSheetSourceConfig


@dataclass(frozen=True)
class DuplicatesConfig:
    """How duplicated tasks are found (``[tracker.duplicates]``).

    ``columns`` are the columns that say whether two rows are the same task (default: detected:
    the title plus campaign/channel/owner/due-like columns); ``threshold`` the score (0-1) from which a
    pair is flagged; ``auto_merge_above`` the score above which rows merge without asking (off: None).
    """

    enabled: bool = True
    columns: tuple[str, ...] = ()
    threshold: float = 0.85
    auto_merge_above: float | None = None


@dataclass(frozen=True)
class TrackerConfig:
    name: str
    canonical: Path
    sources: tuple[SourceConfig, ...]
    sheet: str | None = None
    key: str | None = None
    title: str | None = None
    on_conflict: str = "newest"
    match_threshold: float = 0.6
    duplicates: DuplicatesConfig = DuplicatesConfig()


@dataclass(frozen=True)
class Config:
    path: Path
    state_dir: Path
    trackers: tuple[TrackerConfig, ...] = field(default_factory=tuple)

    def tracker(self, name: str | None) -> tuple[TrackerConfig, ...]:
        """The trackers a command works on: all of them, or the one called ``name``."""
        if name is None:
            return self.trackers
        for t in self.trackers:
            if t.name == name:
                return (t,)
        from syncd.errors import UsageError

        known = ", ".join(t.name for t in self.trackers) or "none"
        raise UsageError(f"There is no tracker called '{name}' in {self.path.name} (trackers: {known}).")


_TOP_KEYS = {"state_dir", "tracker"}
_TRACKER_KEYS = {"name", "canonical", "sheet", "key", "title", "source", "on_conflict", "match_threshold", "duplicates"}
_FOLDER_KEYS = {"type", "path", "pattern", "recursive", "poll"}
_GSHEET_KEYS = {"type", "spreadsheet", "sheet", "credentials", "oauth", "mirror", "poll_seconds", "api_endpoint"}
_DUPLICATES_KEYS = {"enabled", "columns", "threshold", "auto_merge_above"}
_SOURCE_TYPES = ("folder", "gsheet")


class _Problems:
    """Collects every problem so a person can fix the whole file in one go."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, text: str) -> None:
        self.items.append(f"{where}: {text}" if where else text)

    def unknown_keys(self, where: str, table: dict[str, Any], known: set[str]) -> None:
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" — did you mean '{close[0]}'?" if close else f" — known keys: {', '.join(sorted(known))}"
                self.add(_join(where, key), f"unknown key{hint}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _string(p: _Problems, table: dict, where: str, key: str, *, required: bool = False) -> str | None:
    if key not in table:
        if required:
            p.add(_join(where, key), f"missing — add `{key} = \"...\"`")
        return None
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        p.add(_join(where, key), "must be a non-empty text in quotes")
        return None
    return value.strip()


def _bool(p: _Problems, table: dict, where: str, key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        p.add(_join(where, key), "must be true or false (without quotes)")
        return default
    return value


def _resolve(base: Path, raw: str) -> Path:
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (base / path)


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a config file. Raises ``ConfigError`` listing every problem found."""
    cfg_path = Path(path or DEFAULT_CONFIG)
    if not cfg_path.exists():
        hint = "run `syncd init` to create one" if path is None else "check the path given with -c"
        raise ConfigError(f"No configuration file at {cfg_path} — {hint}.")
    try:
        raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{cfg_path} is not valid TOML: {exc}. Fix that line and try again.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {cfg_path}: {exc}.") from None
    return parse_config(raw, cfg_path.resolve())


def parse_config(raw: dict[str, Any], cfg_path: Path) -> Config:
    """Validate an already-parsed TOML document (split out so tests need no file)."""
    p = _Problems()
    base = cfg_path.parent
    p.unknown_keys("", raw, _TOP_KEYS)
    state_raw = _string(p, raw, "", "state_dir") or ".syncd"
    trackers_raw = raw.get("tracker", [])
    if not isinstance(trackers_raw, list) or not trackers_raw:
        p.add("tracker", "no tracker configured — add a [[tracker]] section (see config.example.toml)")
        trackers_raw = []
    trackers: list[TrackerConfig] = []
    names: set[str] = set()
    for i, t in enumerate(trackers_raw):
        where = f"tracker[{i}]"
        if not isinstance(t, dict):
            p.add(where, "must be a [[tracker]] table")
            continue
        tracker = _parse_tracker(p, t, where, base)
        if tracker is None:
            continue
        if tracker.name in names:
            p.add(f"{where}.name", f"'{tracker.name}' is used by two trackers — give each its own name")
        names.add(tracker.name)
        trackers.append(tracker)
    canonicals = [t.canonical.resolve() for t in trackers]
    if len(set(canonicals)) != len(canonicals):
        p.add("tracker", "two trackers write the same canonical file — give each its own `canonical`")
    if p.items:
        n = len(p.items)
        raise ConfigError(
            f"{cfg_path.name} has {n} problem{'s' if n > 1 else ''}; fix {'them' if n > 1 else 'it'} and run syncd again:",
            tuple(p.items),
        )
    return Config(path=cfg_path, state_dir=_resolve(base, state_raw), trackers=tuple(trackers))


def _parse_tracker(p: _Problems, t: dict, where: str, base: Path) -> TrackerConfig | None:
    p.unknown_keys(where, t, _TRACKER_KEYS)
    name = _string(p, t, where, "name", required=True)
    canonical = _string(p, t, where, "canonical", required=True)
    sheet = _string(p, t, where, "sheet")
    key = _string(p, t, where, "key")
    title = _string(p, t, where, "title")
    policy = t.get("on_conflict", "newest")
    if policy not in POLICIES:
        p.add(f"{where}.on_conflict", f"must be one of {', '.join(repr(x) for x in POLICIES)}")
        policy = "newest"
    threshold = t.get("match_threshold", 0.6)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        p.add(f"{where}.match_threshold", "must be a number between 0 and 1, e.g. 0.6")
        threshold = 0.6
    if canonical and not canonical.lower().endswith(".xlsx"):
        p.add(f"{where}.canonical", "must be an .xlsx file name, e.g. \"canonical/tasks.xlsx\"")
    sources_raw = t.get("source", [])
    if not isinstance(sources_raw, list) or not sources_raw:
        p.add(f"{where}.source", "no source configured — add a [[tracker.source]] with type = \"folder\" and a path")
        sources_raw = []
    sources = []
    for j, s in enumerate(sources_raw):
        src = _parse_source(p, s, f"{where}.source[{j}]", base)
        if src is not None:
            sources.append(src)
    if name is None or canonical is None:
        return None
    duplicates = _parse_duplicates(p, t.get("duplicates", {}), f"{where}.duplicates")
    return TrackerConfig(
        duplicates=duplicates,
        name=name,
        canonical=_resolve(base, canonical),
        sources=tuple(sources),
        sheet=sheet,
        key=key,
        title=title,
        on_conflict=policy,
        match_threshold=float(threshold),
    )


def _score(p: _Problems, table: dict, where: str, key: str, default: float | None) -> float | None:
    value = table.get(key, default)
    if value is None or value is False and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        p.add(_join(where, key), "must be a number between 0 and 1, e.g. 0.85")
        return default
    return float(value)


def _parse_duplicates(p: _Problems, d: Any, where: str) -> DuplicatesConfig:
    if not isinstance(d, dict):
        p.add(where, "must be a [tracker.duplicates] table")
        return DuplicatesConfig()
    p.unknown_keys(where, d, _DUPLICATES_KEYS)
    columns = d.get("columns", [])
    if not isinstance(columns, list) or not all(isinstance(c, str) and c.strip() for c in columns):
        p.add(f"{where}.columns", 'must be a list of column names, e.g. ["Task", "Campaign", "Owner"]')
        columns = []
    threshold = _score(p, d, where, "threshold", DuplicatesConfig.threshold)
    auto = _score(p, d, where, "auto_merge_above", None)
    if auto is not None and threshold is not None and auto < threshold:
        p.add(f"{where}.auto_merge_above", "must not be below `threshold`")
    return DuplicatesConfig(
        enabled=_bool(p, d, where, "enabled", True),
        columns=tuple(c.strip() for c in columns),
        threshold=threshold if threshold is not None else DuplicatesConfig.threshold,
        auto_merge_above=auto,
    )


def spreadsheet_id(text: str) -> str:
    """The id in a Google Sheets URL (``.../spreadsheets/d/<id>/edit...``), or the text itself."""
    marker = "/spreadsheets/d/"
    if marker in text:
        return text.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return text.strip()


def _parse_gsheet(p: _Problems, s: dict, where: str, base: Path) -> GSheetSourceConfig | None:
    p.unknown_keys(where, s, _GSHEET_KEYS)
    sheet_id = _string(p, s, where, "spreadsheet", required=True)
    sheet = _string(p, s, where, "sheet")
    creds = _string(p, s, where, "credentials")
    oauth = _bool(p, s, where, "oauth", False)
    mirror = _bool(p, s, where, "mirror", False)
    endpoint = _string(p, s, where, "api_endpoint")
    poll = s.get("poll_seconds", 60)
    if isinstance(poll, bool) or not isinstance(poll, (int, float)) or poll < 1:
        p.add(f"{where}.poll_seconds", "must be a number of seconds, at least 1 (e.g. 60)")
        poll = 60
    if creds and oauth:
        p.add(where, "set either `credentials` (a service-account key file) or `oauth = true`, not both")
    if sheet_id is None:
        return None
    return GSheetSourceConfig(
        spreadsheet=spreadsheet_id(sheet_id), sheet=sheet, credentials=_resolve(base, creds) if creds else None,
        oauth=oauth, mirror=mirror, poll_seconds=float(poll), api_endpoint=endpoint,
    )


def _parse_source(p: _Problems, s: Any, where: str, base: Path) -> SourceConfig | None:
    if not isinstance(s, dict):
        p.add(where, "must be a [[tracker.source]] table")
        return None
    kind = s.get("type")
    if kind not in _SOURCE_TYPES:
        p.add(f"{where}.type", f"must be one of: {', '.join(_SOURCE_TYPES)} (got {kind!r})")
        return None
    if kind == "gsheet":
        return _parse_gsheet(p, s, where, base)
    p.unknown_keys(where, s, _FOLDER_KEYS)
    path = _string(p, s, where, "path", required=True)
    pattern = _string(p, s, where, "pattern")
    recursive = _bool(p, s, where, "recursive", False)
    poll = _bool(p, s, where, "poll", False)
    if path is None:
        return None
    return FolderSourceConfig(path=_resolve(base, path), pattern=pattern, recursive=recursive, poll=poll)
