"""How the CLI shows things to people: sync reports, status, and progress on a terminal."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click

from syncd.core.report import TrackerReport


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Progress:
    """A one-line progress display on a terminal; silent when output is piped or JSON was asked for.

    It stays quiet for the first moment, so a quick sync prints no flicker.
    """

    #: seconds of quiet before the bar appears (tests set SYNCD_PROGRESS_DELAY=0 to see it at once)
    DELAY = float(os.environ.get("SYNCD_PROGRESS_DELAY", "0.5"))

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = False

    @classmethod
    def for_terminal(cls, enabled: bool = True) -> "Progress":
        return cls(enabled and sys.stderr.isatty())

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < self.DELAY:
            return
        width = 24
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        label = what if what.startswith("merging") else (f"reading {what}" if what else "read")
        line = f"\r[{bar}] {done}/{total} {label}"[:100]
        sys.stderr.write(line.ljust(100))
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()


def print_sync_report(r: TrackerReport, verbose: bool = False) -> None:
    echo = click.echo
    taken = [c for c in r.copies if c.status in ("taken", "no changes")]
    rejected = r.rejected
    seen = [c for c in r.copies if c.status == "seen"]
    if r.dry_run:
        head = f"{r.name}: dry run — nothing was written."
    elif r.written:
        head = f"{r.name}: generation {r.generation} written to {r.canonical} ({_plural(r.rows, 'row')})."
    elif r.generation is None and not taken:
        head = f"{r.name}: no copies found yet — save a copy into the source folder and run syncd again."
    else:
        head = f"{r.name}: nothing new; the canonical {r.canonical} is up to date (generation {r.generation})."
    echo(head)
    if taken:
        echo(f"  Took {_plural(len(taken), 'copy').replace('copys', 'copies')}:")
        for c in taken:
            who = f" ({c.author})" if c.author else ""
            what = []
            if c.status == "no changes":
                what.append("nothing new in it")
            else:
                if c.changes:
                    what.append(_plural(c.changes, "cell") + " changed")
                if c.inserted:
                    what.append(_plural(c.inserted, "task") + " added")
                if c.archived:
                    what.append(_plural(c.archived, "task") + " deleted")
                if c.conflicts:
                    what.append(_plural(c.conflicts, "conflict"))
            if c.base_generation is None and c.base_inferred and not what:
                what.append("first sync")
            echo(f"    + {c.name}{who}" + (f": {', '.join(what)}" if what else ""))
    if rejected:
        echo(f"  Refused {_plural(len(rejected), 'file')} (fix and save again; the others were synced):")
        for c in rejected:
            echo(f"    ! {c.name}: {c.reason}")
    if seen and verbose:
        echo(f"  Already taken before: {', '.join(c.name for c in seen)}")
    if r.columns_added:
        echo(f"  New column{'s' if len(r.columns_added) > 1 else ''}: {', '.join(r.columns_added)}")
    if r.archived:
        echo(f"  {_plural(r.archived, 'deleted task')} moved to the Archive sheet.")
    if r.conflicts:
        echo(f"  {_plural(len(r.conflicts), 'conflict')} — highlighted in the workbook and listed on its Conflicts sheet:")
        for c in r.conflicts:
            echo(f"    * {c.message}")
    if r.duplicates:
        echo(f"  {_plural(r.duplicates, 'possible duplicate')} flagged on the Duplicates sheet — choose "
             "`keep both` or `merge` in its Decision column; the next sync applies it.")
    if r.resolved:
        echo(f"  {_plural(r.resolved, 'conflict')} settled by edits in the canonical.")
    for p in r.problems:
        echo(f"  ! {p}")
    if verbose:
        for line in r.details:
            echo(f"  {line}")


def print_status(info: dict[str, Any]) -> None:
    echo = click.echo
    daemon = info.get("daemon")
    if daemon:
        since = f", since {daemon['since'][:16].replace('T', ' ')}" if daemon.get("since") else ""
        echo(f"Daemon: running (pid {daemon['pid']}{since}) — it syncs new copies by itself.")
    else:
        echo("Daemon: not running — copies are synced when you run `syncd sync` (or start `syncd watch`).")
    for t in info["trackers"]:
        echo("")
        echo(f"{t['name']}: {t['canonical']}")
        _print_daemon_view(t, running=bool(daemon))
        if t["generation"] is None:
            echo("  Not synced yet — run `syncd sync`.")
            continue
        echo(f"  Generation {t['generation']}, last synced {t['last_synced']} ({_plural(t['rows'], 'row')}).")
        echo(f"  Open conflicts: {t['open_conflicts']}")
        if t["taken"]:
            echo("  Copies taken:")
            for c in t["taken"]:
                echo(f"    + {c['file']} ({c['when']}){' — nothing new' if c['status'] == 'no changes' else ''}")
        if t["rejected"]:
            echo("  Copies refused:")
            for c in t["rejected"]:
                echo(f"    ! {c['file']}: {c['reason']}")


def _print_daemon_view(t: dict[str, Any], running: bool) -> None:
    """What is waiting to be synced, and what the daemon last ran into."""
    echo = click.echo
    pending = t.get("pending") or []
    if pending:
        them = "it" if len(pending) == 1 else "them"
        later = f"the daemon takes {them} in a moment" if running else f"run `syncd sync` to take {them}"
        echo(f"  {_plural(len(pending), 'copy').replace('copys', 'copies')} waiting ({later}): {', '.join(pending)}")
    if t.get("last_checked"):
        echo(f"  Daemon last checked: {t['last_checked']}")
    errors = t.get("errors") or []
    if errors:
        settled = f" (all before {t['last_ok']}, when a check went fine)" if t.get("fine_since_errors") else ""
        echo(f"  Last errors{settled}:")
        for e in errors:
            echo(f"    ! {e.get('when')}: {e.get('message')}")
