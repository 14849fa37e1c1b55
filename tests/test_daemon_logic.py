"""The daemon's decisions without a daemon: when a burst is over, when a file may be read, which events
matter, what the log says. Times are made up; no thread, no sleep. The daemon itself, as a real process
on real folders, is tested in test_daemon.py."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from syncd.config import FolderSourceConfig, load_config
from syncd.core.debounce import CHECK, GONE, WAIT, Burst, OpenWrites, Sighting, Stamp, Timing, judge, jittered, \
    keep_waiting_unreadable, next_wake
from syncd.core.report import ConflictReport, CopyReport, TrackerReport
from syncd.core.watch import Change, Router, classify, start_observer, tracker_watch, watched_dirs
from syncd.core.daemon import report_lines
from syncd.core.worker import _Gate
from syncd.sources.folder import FolderSource

T = Timing()  # quiet 1 s, max_wait 10 s, settle 0.3 s, hold 10 s
S1, S2 = Stamp(100, 1000.0), Stamp(200, 1001.0)


# -- the quiet period -----------------------------------------------------------------------------

def test_a_burst_is_due_one_quiet_second_after_its_last_event():
    burst = Burst(T)
    burst.note("/in/a.xlsx", S1, now=0.0)
    burst.note("/in/b.xlsx", S1, now=0.6)
    burst.note("/in/a.xlsx", S2, now=0.9)
    assert burst.due() == pytest.approx(1.9)


def test_a_folder_that_never_goes_quiet_still_syncs_after_max_wait():
    burst = Burst(T)
    for i in range(100):
        burst.note("/in/busy.csv", Stamp(i, float(i)), now=i * 0.5)
    assert burst.due() == pytest.approx(T.max_wait)


def test_a_poll_that_finds_the_same_file_unchanged_does_not_postpone_the_sync():
    burst = Burst(T)
    burst.note("/in/a.xlsx", S1, now=0.0, activity=False)
    burst.note("/in/a.xlsx", S1, now=0.8, activity=False)
    assert burst.due() == pytest.approx(1.0)
    burst.note("/in/a.xlsx", S1, now=0.8)  # an event is activity, even when the size did not change
    assert burst.due() == pytest.approx(1.8)


def test_catching_up_is_due_at_once_and_waiting_files_are_looked_at_again_later():
    burst = Burst(T)
    assert burst.empty and burst.due() is None
    burst.sync_now(5.0)
    assert burst.due() == pytest.approx(5.0) and burst.force
    burst.restart(5.0)
    assert burst.empty and not burst.force
    burst.note("/in/a.xlsx", S1, now=6.0)
    burst.restart(7.0)
    assert burst.due() == pytest.approx(8.0)


def test_next_wake_blocks_until_the_earliest_deadline_and_never_forever():
    assert next_wake([None, 12.0, 10.5], now=10.0, ceiling=3600) == pytest.approx(0.5)
    assert next_wake([None], now=10.0, ceiling=3600) == 3600
    assert next_wake([9.0], now=10.0, ceiling=3600) == 0.0


def test_polls_are_spread_by_ten_percent_either_way():
    assert jittered(5.0, 0.1, 0.0) == pytest.approx(4.5)
    assert jittered(5.0, 0.1, 0.999999) == pytest.approx(5.5, abs=1e-4)


# -- when a file may be read ----------------------------------------------------------------------

def test_a_file_is_read_only_after_two_looks_far_enough_apart_agree():
    seen = Sighting(S1, since=10.0)
    assert judge(seen, S1, now=10.1, age=0.1, writing=False, timing=T) == WAIT
    assert judge(seen, S2, now=11.0, age=0.0, writing=False, timing=T) == WAIT
    assert judge(seen, S1, now=10.3, age=0.3, writing=False, timing=T) == CHECK
    assert judge(seen, None, now=11.0, age=0.0, writing=False, timing=T) == GONE


def test_a_file_still_open_for_writing_is_not_read_however_quiet_it_is():
    seen = Sighting(S1, since=0.0)
    assert judge(seen, S1, now=5.0, age=5.0, writing=True, timing=T) == WAIT


def test_a_file_that_arrived_long_ago_needs_no_second_look():
    seen = Sighting(S1, since=100.0)
    assert judge(seen, S1, now=100.0, age=3600.0, writing=False, timing=T) == CHECK


def test_a_recent_file_that_will_not_open_is_waited_for_but_not_for_ever():
    seen = Sighting(S1, since=0.0, unreadable_since=1.0)
    assert keep_waiting_unreadable(seen, now=5.0, age=5.0, timing=T)
    assert not keep_waiting_unreadable(seen, now=11.5, age=5.0, timing=T)  # held 10 s: let the sync say why
    assert not keep_waiting_unreadable(seen, now=2.0, age=3600.0, timing=T)  # old and broken: no hope


def test_a_lost_close_event_delays_a_file_but_never_blocks_it():
    writes = OpenWrites(writing_limit=30.0)
    writes.modified("/in/a.csv", 0.0)
    assert writes.writing("/in/a.csv", 10.0)
    writes.closed("/in/a.csv")
    assert not writes.writing("/in/a.csv", 10.5)
    writes.modified("/in/b.csv", 0.0)
    assert not writes.writing("/in/b.csv", 30.0)


def test_a_sync_sees_a_recent_file_only_once_it_settled(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("settled.xlsx", "arriving.xlsx", "old.xlsx"):
        (inbox / name).write_bytes(b"x" * 10)
    old = time.time() - 3600
    os.utime(inbox / "old.xlsx", (old, old))
    source = FolderSource(FolderSourceConfig(inbox))
    by_name = {r.name: r for r in source.list()}
    settled = by_name["settled.xlsx"]
    gate = _Gate(source, {settled.location: Stamp(settled.size, settled.mtime)}, set(), hold=10.0)
    assert sorted(r.name for r in gate.list()) == ["old.xlsx", "settled.xlsx"]
    assert [r.name for r in gate.hidden] == ["arriving.xlsx"]
    # a file still in the burst stays hidden even if it looks old (moved in with its old time)
    gate = _Gate(source, {}, {by_name["old.xlsx"].location}, hold=10.0)
    assert [r.name for r in gate.list()] == []


# -- which events matter --------------------------------------------------------------------------

@pytest.fixture
def watch(tmp_path):
    (tmp_path / "syncd.toml").write_text(
        'state_dir = "inbox/.state"\n[[tracker]]\nname = "t"\ncanonical = "inbox/tasks.xlsx"\n'
        '[[tracker.source]]\ntype = "folder"\npath = "inbox"\n'
        '[[tracker.source]]\ntype = "folder"\npath = "shared"\nrecursive = true\npattern = "*.csv"\n')
    for d in ("inbox", "shared"):
        (tmp_path / d).mkdir()
    config = load_config(tmp_path / "syncd.toml")
    return tracker_watch(config.trackers[0], config, [tmp_path / "inbox" / "watch.log"])


def test_copies_in_the_sources_matter_and_everything_else_does_not(watch, tmp_path):
    inbox, shared = str((tmp_path / "inbox").resolve()), str((tmp_path / "shared").resolve())
    assert classify(watch, f"{inbox}/RE tracker.xlsx") == "copy"
    assert classify(watch, f"{inbox}/tasks.xlsx") == "canonical"
    assert classify(watch, f"{shared}/week 3/ann.csv") == "copy"  # recursive source
    assert classify(watch, f"{inbox}/sub/ann.xlsx") is None  # not recursive
    assert classify(watch, f"{shared}/ann.xlsx") is None  # not its pattern
    assert classify(watch, f"{inbox}/notes.docx") is None
    for ignored in ("~$tracker.xlsx", ".~lock.tracker.xlsx#", ".tasks.xlsx.1a2b3c4d.syncd-tmp", "x.xlsx.part",
                    "watch.log", ".state/journal.sqlite", ".state/watch.json"):
        assert classify(watch, f"{inbox}/{ignored}") is None, ignored


@dataclass
class _Event:
    event_type: str
    src_path: str
    dest_path: str = ""
    is_directory: bool = False


def test_events_become_work_for_the_tracker_and_a_copy_leaving_is_not_work(watch, tmp_path):
    inbox, shared = str((tmp_path / "inbox").resolve()), str((tmp_path / "shared").resolve())
    got: list[Change] = []
    router = Router([(watch, got.append)])
    router.dispatch(_Event("moved", "/home/ann/Downloads/x.xlsx", f"{inbox}/x.xlsx"))
    router.dispatch(_Event("modified", f"{inbox}/~$x.xlsx"))
    router.dispatch(_Event("deleted", f"{inbox}/old.xlsx"))
    router.dispatch(_Event("deleted", f"{inbox}/tasks.xlsx"))
    router.dispatch(_Event("moved", f"{inbox}/.tasks.xlsx.00ff00ff.syncd-tmp", f"{inbox}/tasks.xlsx"))
    router.dispatch(_Event("closed", f"{inbox}/y.xlsx"))
    router.dispatch(_Event("moved", "/elsewhere/week4", f"{shared}/week4", is_directory=True))
    assert got == [Change("copy", f"{inbox}/x.xlsx", "arrived"), Change("canonical", f"{inbox}/tasks.xlsx", "gone"),
                   Change("canonical", f"{inbox}/tasks.xlsx", "arrived"), Change("copy", f"{inbox}/y.xlsx", "closed"),
                   Change("rescan")]


def test_the_canonicals_folder_is_watched_too_once_per_folder(watch, tmp_path):
    dirs = watched_dirs([watch, watch], polled_roots=set())
    assert dirs == {str((tmp_path / "inbox").resolve()): False, str((tmp_path / "shared").resolve()): True}
    assert str((tmp_path / "shared").resolve()) not in watched_dirs([watch], {str((tmp_path / "shared").resolve())})


class _NoInotify:
    def __init__(self) -> None:
        raise OSError(24, "inotify instance limit reached")


class _PartlyWatching:
    def start(self) -> None: ...

    def schedule(self, handler, folder, recursive, event_filter):
        if folder.endswith("share"):
            raise OSError(28, "inotify watch limit reached")


def test_folders_that_cannot_be_watched_are_named_so_they_are_polled():
    router = Router([])
    failed = start_observer({"/a/inbox": False, "/b/share": True}, router, make_observer=_NoInotify)
    assert failed.observer is None and set(failed.unwatched) == {"/a/inbox", "/b/share"}
    assert "max_user_instances" in failed.unwatched["/a/inbox"]  # says what to raise
    partly = start_observer({"/a/inbox": False, "/b/share": True}, router, make_observer=_PartlyWatching)
    assert list(partly.unwatched) == ["/b/share"] and not partly.reports_close


# -- what the log says ----------------------------------------------------------------------------

def _report(**kw) -> TrackerReport:
    return TrackerReport(name="campaign", canonical=Path("/c/tracker.xlsx"), generation=4, written=False, **kw)


def test_a_copy_taken_is_one_line_saying_who_changed_what_and_the_new_generation():
    r = TrackerReport(name="campaign", canonical=Path("/c/tracker.xlsx"), generation=4, written=True,
                      copies=(CopyReport("RE tracker.xlsx", "/in", "taken", author="Dev Patel", changes=3,
                                         inserted=1),))
    assert report_lines(r, "tracker.xlsx") == [
        (logging.INFO, "campaign: took RE tracker.xlsx (Dev Patel): 3 cells changed, 1 task added; "
                       "canonical written (generation 4)")]


def test_refusals_conflicts_and_problems_each_get_a_line():
    r = TrackerReport(
        name="campaign", canonical=Path("/c/tracker.xlsx"), generation=5, written=True,
        copies=(CopyReport("a.xlsx", "/in", "taken", author="Ann", changes=1, conflicts=1),
                CopyReport("b.xlsx", "/in", "taken", author="Bob", archived=2),
                CopyReport("bad.xlsx", "/in", "rejected", reason="password protected — save an unprotected copy")),
        conflicts=(ConflictReport("Book venue", "Status", "edit", "Book venue: Status was set to Done by Ann and "
                                  "to Blocked by Bob; kept Done (newest)", "Done", ("Blocked",)),),
        details=("a.xlsx: 1 cell changed, 1 conflict", "duplicates: 2 rows merged into their duplicate"),
        problems=("The folder /x does not exist (source `path` in the config) — create it, or fix the path.",))
    texts = [t for _, t in report_lines(r, "tracker.xlsx")]
    assert texts == [
        "campaign: took a.xlsx (Ann): 1 cell changed, 1 conflict",
        "campaign: took b.xlsx (Bob): 2 tasks deleted (moved to the Archive sheet)",
        "campaign: refused bad.xlsx: password protected — save an unprotected copy",
        "campaign: canonical written (generation 5)",
        "campaign: conflict: Book venue: Status was set to Done by Ann and to Blocked by Bob; kept Done (newest)",
        "campaign: duplicates: 2 rows merged into their duplicate",
        "campaign: The folder /x does not exist (source `path` in the config) — create it, or fix the path.",
    ]


def test_a_pass_that_changed_nothing_says_nothing_at_the_default_level():
    r = _report(copies=(CopyReport("old.xlsx", "/in", "seen"), CopyReport("same.xlsx", "/in", "no changes")))
    assert all(level == logging.DEBUG for level, _ in report_lines(r, "tracker.xlsx"))


def test_edits_made_in_the_canonical_itself_are_named_as_such():
    r = TrackerReport(name="campaign", canonical=Path("/c/tracker.xlsx"), generation=6, written=True,
                      details=("tracker.xlsx: 2 cells changed",))
    assert report_lines(r, "tracker.xlsx") == [
        (logging.INFO, "campaign: merged the edits made directly in tracker.xlsx; canonical written (generation 6)")]

