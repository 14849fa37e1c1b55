"""When a burst of file activity is over, and when a file in it is safe to read.

A copy lands as a burst of events: created, written in pieces, closed, renamed. Reading it too early
takes half a file (a CSV cut in the middle reads fine and would look like deleted rows). So the daemon
waits until the folder has been quiet for a moment (trailing edge, with an upper bound so a busy folder
still syncs), and then takes a file only if two looks at it, far enough apart, agree on its size and
modification time, it is not open for writing, and it opens.

Everything here is plain bookkeeping over times and stamps handed in by the caller: no threads, no
sleeping and no clock of its own, so each rule is tested with made-up times.
"""

from __future__ import annotations

import os
import stat as stat_module
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timing:
    """How long the daemon waits for what (seconds)."""

    #: a burst is over once no event came for this long...
    quiet: float = 1.0
    #: ...or at the latest this long after its first event, so a folder that never goes quiet still syncs
    max_wait: float = 10.0
    #: two looks at a file must be at least this far apart to say it stopped changing
    settle: float = 0.3
    #: a file written this recently is read only once checked; one that will not open is waited for this
    #: long (it may still be arriving) before a sync may refuse it
    hold: float = 10.0
    #: an "open for writing" mark with no event for this long is stale (a lost close event)
    writing_limit: float = 30.0
    #: how often a polled folder is listed (Google Sheets use their own `poll_seconds`)
    folder_poll: float = 5.0
    #: how often everything is listed again, to catch what events missed
    rescan: float = 300.0
    #: after a sync failed (canonical open elsewhere, disk full...), try again this much later
    retry: float = 30.0
    #: polls and rescans are spread by this fraction either way, so many daemons do not poll in step
    jitter: float = 0.1


@dataclass(frozen=True)
class Stamp:
    """What one ``stat`` says about a file: enough to tell whether it changed since the last look."""

    size: int
    mtime: float


def stamp(path: str) -> Stamp | None:
    """The file's stamp, or ``None`` when it is gone or not a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat_module.S_ISREG(st.st_mode):
        return None
    return Stamp(st.st_size, st.st_mtime)


def jittered(interval: float, fraction: float, u: float) -> float:
    """``interval`` spread by ±``fraction``; ``u`` is a uniform random number in [0, 1)."""
    return interval * (1.0 - fraction + 2.0 * fraction * u)


@dataclass
class Sighting:
    """The last stamp seen of one file, since when it has looked like that, and since when it would
    not open (``None`` while it opens or has not been tried)."""

    stamp: Stamp | None
    since: float
    unreadable_since: float | None = None


#: what ``judge`` says about one file
GONE, WAIT, CHECK = "gone", "wait", "check"


def judge(seen: Sighting, current: Stamp | None, now: float, age: float, writing: bool, timing: Timing) -> str:
    """Whether a file can be checked for reading now.

    ``seen`` is the earlier look, ``current`` the stamp now, ``age`` how long ago (wall clock) the file
    was last modified. ``GONE``: it is not there any more. ``WAIT``: it is still being written, changed
    since the last look, or was looked at too recently to tell. ``CHECK``: it stopped changing; try
    opening it. A file not modified for ``timing.hold`` counts as settled at once (catching up after a
    restart need not wait for files that arrived long ago).
    """
    if current is None:
        return GONE
    if writing or current != seen.stamp:
        return WAIT
    if now - seen.since >= timing.settle or age >= timing.hold:
        return CHECK
    return WAIT


def keep_waiting_unreadable(seen: Sighting, now: float, age: float, timing: Timing) -> bool:
    """A settled file that will not open: is it worth waiting for it a while longer?

    A download or a slow network copy can pause with half the bytes written, so a recent file that
    will not open is given ``timing.hold`` to become whole. Past that (or when it was last modified
    long ago) it is what it is: the sync reads it and refuses it with the reason, so the person learns.
    """
    if age >= timing.hold:
        return False
    return seen.unreadable_since is None or now - seen.unreadable_since < timing.hold


class OpenWrites:
    """Files a program has written to and not closed yet, from the watcher's modified/closed events.

    Only meaningful where the observer reports closes (Linux inotify); elsewhere nothing is ever marked.
    A mark that saw no event for ``writing_limit`` seconds is ignored, so a lost close event delays a
    file but never blocks it for good.
    """

    def __init__(self, writing_limit: float) -> None:
        self.limit = writing_limit
        self._last: dict[str, float] = {}

    def modified(self, path: str, now: float) -> None:
        self._last[path] = now

    def closed(self, path: str) -> None:
        self._last.pop(path, None)

    def writing(self, path: str, now: float) -> bool:
        at = self._last.get(path)
        if at is None:
            return False
        if now - at >= self.limit:
            del self._last[path]
            return False
        return True


@dataclass
class Burst:
    """Files (and the canonical) that changed since the last sync, and when the activity started and
    last showed. Owned by one worker thread; not thread-safe."""

    timing: Timing
    files: dict[str, Sighting] = field(default_factory=dict)
    canonical: Sighting | None = None
    first: float | None = None
    last: float | None = None
    #: sync when due even if no file turns out ready (start-up catch-up, rescans, polled sheets)
    force: bool = False

    def note(self, path: str, current: Stamp | None, now: float, *, activity: bool = True) -> None:
        """Record a look at ``path``. ``activity`` (an event) restarts the quiet period even when the
        stamp is unchanged; a poll that finds the same stamp is not activity."""
        seen = self.files.get(path)
        changed = seen is None or seen.stamp != current
        if changed:
            self.files[path] = Sighting(current, now)
        if changed or activity:
            self._touch(now)

    def note_canonical(self, current: Stamp | None, now: float) -> None:
        if self.canonical is None or self.canonical.stamp != current:
            self.canonical = Sighting(current, now)
        self._touch(now)

    def sync_now(self, at: float) -> None:
        """Make the burst due at ``at`` (or sooner, if it already was), and sync then even if no file is ready."""
        self.force = True
        due = self.due()
        at = at if due is None else min(at, due)
        self.first = at if self.first is None else min(self.first, at)
        self.last = at - self.timing.quiet

    def _touch(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now if self.last is None else max(self.last, now)

    @property
    def empty(self) -> bool:
        return self.first is None

    def due(self) -> float | None:
        """When to look at the burst: after ``quiet`` without activity, or ``max_wait`` after it began."""
        if self.first is None or self.last is None:
            return None
        return min(self.last + self.timing.quiet, self.first + self.timing.max_wait)

    def restart(self, now: float) -> None:
        """After a look: what is still waiting is looked at again one quiet period from now."""
        self.force = False
        if self.files or self.canonical is not None:
            self.first = now
            self.last = now
        else:
            self.first = self.last = None


def next_wake(times: list[float | None], now: float, ceiling: float) -> float:
    """Seconds to block until the earliest of ``times`` (``None`` = not scheduled), at most ``ceiling``."""
    pending = [t for t in times if t is not None]
    if not pending:
        return ceiling
    return max(0.0, min(min(pending) - now, ceiling))
