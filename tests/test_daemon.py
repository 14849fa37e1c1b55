"""`syncd watch` as a real process on a real folder: copies are saved, moved and written slowly into the
inbox, and the test waits (with a generous deadline, never a fixed sleep) for the canonical to show them.

Every daemon started here is stopped by the fixture, and the test fails if one is left running.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from click.testing import CliRunner

from builders import add_row, copy_from_canonical, read_meta, read_values, set_value, write_copy
from scenario import COLUMNS, ROWS, at
from syncd.cli import main
from syncd.core.lock import StateLock
from syncd.errors import LockedError

DEADLINE = 30.0


def wait_for(check: Callable[[], object], what: str, timeout: float = DEADLINE,
             context: Callable[[], str] = str) -> object:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` (and giving ``context()``,
    e.g. the daemon's log) after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        try:
            got = check()
        except (OSError, KeyError, ValueError, EOFError, AssertionError):
            got = None  # the file is being replaced, or not there yet
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"waited {timeout:.0f} s for {what}\n{context()}")
        time.sleep(0.05)


class Office:
    """A team folder: syncd.toml, an inbox the daemon watches, and the canonical inside the inbox (the
    hard case: syncd's own writes land in the folder it watches)."""

    def __init__(self, root: Path, rows: list[list] | None = None, extra_sources: str = "") -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.elsewhere = root / "elsewhere"  # same file system, outside the watched folder
        self.elsewhere.mkdir(exist_ok=True)
        self.canonical = self.inbox / "tasks.xlsx"
        self.config = root / "syncd.toml"
        self.log = root / "watch.log"
        self.rows = rows if rows is not None else ROWS
        self.write_config(extra_sources)
        self.procs: list[subprocess.Popen] = []

    def write_config(self, extra_sources: str = "") -> None:
        self.config.write_text(
            'state_dir = ".syncd"\n\n[[tracker]]\nname = "tasks"\ncanonical = "inbox/tasks.xlsx"\nsheet = "Tasks"\n'
            'key = "ID"\ntitle = "Task"\n\n[[tracker.source]]\ntype = "folder"\npath = "inbox"\n' + extra_sources)

    def start(self, *extra: str) -> subprocess.Popen:
        """Start `syncd watch -v --log-file watch.log`; its stderr goes to stderr-N.txt (a pipe nobody
        reads could fill up and stall the daemon)."""
        err = open(self.root / f"stderr-{len(self.procs)}.txt", "w", encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "syncd", "watch", "-c", str(self.config), "-v", "--log-file", str(self.log), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "PYTHONUTF8": "1"})
        err.close()
        self.procs.append(proc)
        return proc

    def stderr(self, proc: subprocess.Popen) -> str:
        return (self.root / f"stderr-{self.procs.index(proc)}.txt").read_text(encoding="utf-8")

    def start_with_tracker(self) -> subprocess.Popen:
        """The first copy, then the daemon; returns once it wrote generation 1."""
        write_copy(self.inbox / "tracker.xlsx", COLUMNS, self.rows, author="Maria", modified=at(1))
        proc = self.start()
        self.wait_for(lambda: self.generation() == 1, "the daemon's first canonical")
        return proc

    def wait_for(self, check: Callable[[], object], what: str) -> object:
        return wait_for(check, what, context=self.context)

    def context(self) -> str:
        """The daemons' logs and stderr, for a failure message."""
        err = "".join(p.read_text(encoding="utf-8") for p in sorted(self.root.glob("stderr-*.txt")))
        return "--- watch.log:\n" + "\n".join(self.lines()[-40:]) + "\n--- stderr:\n" + err[-4000:]

    def generation(self) -> int | None:
        return read_meta(self.canonical).get("generation") if self.canonical.exists() else None

    def by_id(self) -> dict[str, dict]:
        return {r["ID"]: r for r in read_values(self.canonical)}

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

    def wait_for_line(self, text: str, count: int = 1) -> list[str]:
        def found() -> list[str] | None:
            lines = [ln for ln in self.lines() if text in ln]
            return lines if len(lines) >= count else None

        return self.wait_for(found, f"{count}× log line {text!r}")

    def status(self) -> dict:
        result = CliRunner().invoke(main, ["status", "-c", str(self.config), "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def edited_copy(self, name: str, task: str, column: str, value: object, *, author: str = "Ann",
                    folder: Path | None = None) -> Path:
        return copy_from_canonical(self.canonical, (folder or self.inbox) / name, author=author,
                                   edit=lambda ws: set_value(ws, task, column, value))

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"syncd watch did not stop within {timeout:.0f} s of signal {sig}")


@pytest.fixture
def offices(tmp_path):
    """Make team folders (``offices(rows)``); every daemon started in them is stopped at the end, and
    the test fails if one would not stop."""
    made: list[Office] = []

    def make(rows: list[list] | None = None) -> Office:
        made.append(Office(tmp_path / f"office{len(made)}", rows))
        return made[-1]

    yield make
    procs = [p for o in made for p in o.procs]
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=30)
    assert all(p.returncode is not None for p in procs), "a syncd watch process was left running"


@pytest.fixture
def office(offices):
    return offices()


def syncing_lines(office: Office) -> list[str]:
    return [ln.split("syncing ", 1)[1] for ln in office.lines() if ": syncing (" in ln]


# -- copies arriving ------------------------------------------------------------------------------

def test_a_copy_saved_into_the_inbox_is_in_the_canonical_within_seconds(office):
    office.start_with_tracker()
    copy_from_canonical(office.canonical, office.inbox / "RE tracker.xlsx", author="Dev Patel",
                        edit=lambda ws: (set_value(ws, "T-2", "Status", "Done"),
                                         add_row(ws, {"ID": "T-7", "Task": "Order swag", "Owner": "Dev"})))
    office.wait_for(lambda: office.by_id()["T-2"]["Status"] == "Done", "Dev's edit in the canonical")
    assert office.by_id()["T-7"]["Task"] == "Order swag"
    office.wait_for_line("tasks: took RE tracker.xlsx (Dev Patel): 1 cell changed, 1 task added; "
                         "canonical written (generation 2)")
    status = office.status()
    assert status["daemon"]["pid"] == office.procs[0].pid
    tracker = status["trackers"][0]
    assert tracker["generation"] == 2 and tracker["pending"] == [] and tracker["last_checked"]


def test_a_copy_written_slowly_in_pieces_is_taken_whole_and_never_refused(office):
    office.start_with_tracker()
    staged = office.edited_copy("slow.xlsx", "T-3", "Owner", "Zoe", folder=office.elsewhere)
    data = staged.read_bytes()
    with open(office.inbox / "slow.xlsx", "wb") as f:  # a download that stalls half-way
        f.write(data[: len(data) // 2])
        f.flush()
        time.sleep(1.5)
        f.write(data[len(data) // 2:])
    office.wait_for(lambda: office.by_id()["T-3"]["Owner"] == "Zoe", "the slow copy's edit")
    tracker = office.status()["trackers"][0]
    assert tracker["rejected"] == []
    assert [c["file"] for c in tracker["taken"]].count("slow.xlsx") == 1


def test_a_csv_written_slowly_is_not_taken_half_way_as_deleted_rows(office):
    office.start_with_tracker()
    lines = ["ID,Task,Owner,Status"] + [f"{r[0]},{r[1]},{r[2]},{'Done' if r[0] == 'T-5' else r[3]}" for r in ROWS]
    with open(office.inbox / "export.csv", "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines[:3]) + "\n")  # two of six tasks so far: read now, it would delete four
        f.flush()
        time.sleep(1.5)
        f.write("\n".join(lines[3:]) + "\n")
    office.wait_for(lambda: office.by_id()["T-5"]["Status"] == "Done", "the CSV's edit")
    assert sorted(office.by_id()) == [r[0] for r in ROWS]
    tracker = office.status()["trackers"][0]
    assert [c["file"] for c in tracker["taken"]].count("export.csv") == 1 and tracker["rejected"] == []


def test_a_burst_of_five_copies_becomes_one_new_version_with_every_edit(office):
    office.start_with_tracker()
    edits = {"T-1": "A", "T-2": "B", "T-3": "C", "T-4": "D", "T-5": "E"}
    staged = [office.edited_copy(f"copy {tid}.xlsx", tid, "Owner", owner, author=owner, folder=office.elsewhere)
              for tid, owner in edits.items()]
    for path in staged:
        os.rename(path, office.inbox / path.name)
    office.wait_for(lambda: all(office.by_id()[t]["Owner"] == o for t, o in edits.items()), "all five edits")
    office.wait_for_line("tasks: canonical written (generation 2)")
    assert office.generation() == 2  # one sync for the whole burst
    assert sum("tasks: took copy T-" in ln for ln in office.lines()) == 5


def test_lock_files_never_trigger_anything_and_a_copy_moved_in_is_taken(office):
    office.start_with_tracker()
    (office.inbox / "~$tracker.xlsx").write_bytes(b"\x05Maria" + b"\x00" * 150)  # what Excel leaves
    shutil.copy(office.canonical, office.inbox / ".~lock.tracker.xlsx#")  # LibreOffice's, even if it looked real
    # then a copy moved in from another folder (as a browser or mail client finishing a download does)
    moved = office.edited_copy("from downloads.xlsx", "T-6", "Status", "Reopened", folder=office.elsewhere)
    os.rename(moved, office.inbox / moved.name)
    office.wait_for(lambda: office.by_id()["T-6"]["Status"] == "Reopened", "the moved-in copy's edit")
    assert not [ln for ln in office.lines() if "~$tracker" in ln or ".~lock" in ln]
    assert syncing_lines(office)[-1] == "(from downloads.xlsx)"
    assert office.status()["trackers"][0]["rejected"] == []


def test_a_person_editing_the_canonical_is_merged_but_syncds_own_writes_are_not_news(office):
    office.start_with_tracker()
    wb = openpyxl.load_workbook(office.canonical)
    ws = wb["Tasks"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Budget") + 1, 750)  # T-1, typed straight into the canonical
    wb.save(office.canonical)
    office.wait_for_line("tasks: merged the edits made directly in tasks.xlsx; canonical written (generation 2)")
    before = len(syncing_lines(office))
    office.edited_copy("barrier.xlsx", "T-2", "Owner", "Eve")
    office.wait_for(lambda: office.by_id()["T-2"]["Owner"] == "Eve", "the copy after the canonical edit")
    assert office.by_id()["T-1"]["Budget"] == 750
    # the canonical syncd wrote itself (twice now) never counted as an edit
    assert syncing_lines(office)[before:] == ["(barrier.xlsx)"]


def test_a_missing_folder_is_reported_and_polled_until_it_appears(office):
    office.write_config('\n[[tracker.source]]\ntype = "folder"\npath = "later"\n')
    office.start_with_tracker()
    office.wait_for_line("checking it every 5 s instead")
    errors = office.wait_for(lambda: office.status()["trackers"][0]["errors"], "the missing folder in syncd status")
    assert "later does not exist" in errors[-1]["message"]
    (office.root / "later").mkdir()
    office.edited_copy("late.xlsx", "T-1", "Owner", "Lou", folder=office.root / "later")
    office.wait_for(lambda: office.by_id()["T-1"]["Owner"] == "Lou", "the copy in the folder that appeared")


# -- one daemon, signals --------------------------------------------------------------------------

def test_a_second_daemon_on_the_same_state_refuses_naming_the_first(office):
    first = office.start_with_tracker()
    second = office.start()
    assert second.wait(timeout=60) == 1
    message = office.stderr(second)
    assert f"pid {first.pid}" in message and "syncd watch" in message
    assert first.poll() is None
    # `syncd sync` by hand is told the same, and to leave the sync to the daemon
    with pytest.raises(LockedError, match=rf"daemon \(pid {first.pid}\).*nothing to do by hand"):
        StateLock(office.root / ".syncd", "sync").acquire()


def test_sighup_with_a_broken_config_keeps_the_old_one_and_a_good_one_is_taken(office):
    proc = office.start_with_tracker()
    good = office.config.read_text()
    office.config.write_text(good + "\nbogus = true\n")
    proc.send_signal(signal.SIGHUP)
    office.wait_for_line("syncd.toml was not reloaded")
    office.wait_for_line("bogus: unknown key")
    office.edited_copy("still.xlsx", "T-1", "Status", "Done")
    office.wait_for(lambda: office.by_id()["T-1"]["Status"] == "Done", "a copy taken with the old configuration")
    (office.root / "inbox2").mkdir()
    office.write_config('\n[[tracker.source]]\ntype = "folder"\npath = "inbox2"\n')
    proc.send_signal(signal.SIGHUP)
    office.wait_for_line("reloaded syncd.toml")
    office.edited_copy("new place.xlsx", "T-2", "Status", "Done", folder=office.root / "inbox2")
    office.wait_for(lambda: office.by_id()["T-2"]["Status"] == "Done",
                    "a copy in the folder the new configuration adds")
    assert proc.poll() is None


def test_sigterm_during_a_burst_exits_0_and_nothing_is_lost(office):
    proc = office.start_with_tracker()
    edits = {"T-1": "P", "T-2": "Q", "T-3": "R"}
    for tid, owner in edits.items():
        os.rename(office.edited_copy(f"{tid}.xlsx", tid, "Owner", owner, folder=office.elsewhere),
                  office.inbox / f"{tid}.xlsx")
    office.wait_for_line("noticed T-3.xlsx")
    assert office.stop(proc) == 0
    assert office.generation() == office.status()["trackers"][0]["generation"]
    office.start()
    office.wait_for(lambda: all(office.by_id()[t]["Owner"] == o for t, o in edits.items()),
                    "the burst, after a restart")


BIG = 2000  # rows: a sync then takes a third of a second or more, long enough to be caught in the middle


_WORDS = ("draft book review design write plan order send check update launch prepare record publish translate "
          "approve schedule brief budget venue banner newsletter press release webinar survey partners landing page "
          "video podcast invoice contract agenda report dashboard campaign social ads keynote booth badge catering "
          "travel hotel flyers poster email sequence onboarding guide glossary roadmap").split()
_rng = random.Random(11)
# titles as varied as a real tracker's (thousands of near-identical titles would be a duplicates test)
_TITLES = [" ".join(_rng.sample(_WORDS, 4)).capitalize() for _ in range(BIG)]


def big_rows(edits: dict[int, str] | None = None) -> list[list]:
    """A large tracker, with ``Status`` of row ``i`` set to ``edits[i]``."""
    edits = edits or {}
    return [[f"T-{i}", _TITLES[i], "Ann", edits.get(i, "Not started"), at(1).date(), i] for i in range(BIG)]


def big_copy(office: Office, name: str, edits: dict[int, str]) -> Path:
    """A person's copy of the large tracker with ``edits``, built outside the inbox (writing thousands of rows
    with openpyxl directly is much quicker than opening the canonical and saving it again)."""
    return write_copy(office.elsewhere / name, COLUMNS, big_rows(edits), author="Ann", modified=at(2))


def statuses(path: Path, rows: list[int]) -> list[str]:
    """Status of the given rows of the canonical, streamed (a full load of thousands of rows is slow)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        it = wb["Tasks"].iter_rows(values_only=True)
        header = list(next(it))
        wanted, found = {f"T-{r}" for r in rows}, {}
        for row in it:
            if row[header.index("ID")] in wanted:
                found[row[header.index("ID")]] = row[header.index("Status")]
                if len(found) == len(wanted):
                    break
        return [found.get(f"T-{r}") for r in rows]
    finally:
        wb.close()


@pytest.mark.slow
def test_sigterm_in_the_middle_of_a_sync_finishes_it_first(offices):
    office = offices(big_rows())
    proc = office.start_with_tracker()
    os.rename(big_copy(office, "big.xlsx", {BIG - 1: "Done"}), office.inbox / "big.xlsx")
    office.wait_for_line("syncing (big.xlsx)")
    assert office.stop(proc) == 0
    assert office.generation() == 2 and statuses(office.canonical, [BIG - 1]) == ["Done"]
    assert office.status()["trackers"][0]["generation"] == 2


@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_sync_loses_nothing_after_a_restart(offices):
    office = offices(big_rows())
    rng = random.Random(7)
    proc = office.start_with_tracker()
    edits: dict[int, str] = {}
    for round_ in range(3):
        before = office.generation()
        edits[round_ * 600 + 5] = f"Round {round_}"
        os.rename(big_copy(office, f"round {round_}.xlsx", edits), office.inbox / f"round {round_}.xlsx")
        # the copy may land before a restarted daemon's first pass, which then takes it with the others
        office.wait_for(lambda: any("syncing (" in ln and f"round {round_}.xlsx" in ln for ln in office.lines()),
                        f"a sync taking round {round_}.xlsx")
        time.sleep(rng.uniform(0.0, 0.8))  # before, in or just after the sync (it takes a third of a second or more)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # a whole workbook, of the old generation or the new one
        generation = read_meta(office.canonical)["generation"]
        assert generation in (before, before + 1)
        expected = edits if generation == before + 1 else {k: v for k, v in edits.items() if k != round_ * 600 + 5}
        assert statuses(office.canonical, list(edits)) == [expected.get(r, "Not started") for r in edits]
        proc = office.start()
        office.wait_for(lambda: office.generation() == before + 1 == office.status()["trackers"][0]["generation"],
                 f"round {round_}'s generation, with the journal agreeing")
        assert statuses(office.canonical, list(edits)) == list(edits.values())
        assert not list(office.inbox.glob("*.syncd-tmp"))
    assert office.stop(proc) == 0


def test_status_without_a_daemon_lists_the_copies_waiting_for_a_sync(office):
    write_copy(office.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    assert CliRunner().invoke(main, ["sync", "-c", str(office.config)]).exit_code == 0
    office.edited_copy("waiting.xlsx", "T-1", "Status", "Done")
    (office.inbox / "~$waiting.xlsx").write_bytes(b"\x05Ann")
    info = office.status()
    assert info["daemon"] is None and info["trackers"][0]["pending"] == ["waiting.xlsx"]
    text = CliRunner().invoke(main, ["status", "-c", str(office.config)]).output
    assert "Daemon: not running" in text
    assert "1 copy waiting (run `syncd sync` to take it): waiting.xlsx" in text
