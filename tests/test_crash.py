"""Crash safety: whatever happens during a sync, the canonical and the journal stay consistent and
nothing anybody typed is lost.

* A real `python -m syncd sync` on a 3,000-row tracker with three copies is SIGKILLed at seeded random
  moments spread over the whole sync. After each kill the canonical is a valid workbook of either
  the old or the new generation; the next run repairs the journal (``recover``), leaves no temporary
  file behind, and the canonical then holds every copy's edits exactly once.
* The three windows that matter are also hit exactly, by making the child exit hard at that point:
  after the temporary file is written but before it replaces the canonical, after the replace but
  before the journal commits, and after the journal's pending generation but before any writing.
* Disk full (a tiny tmpfs, when this machine lets us mount one), a read-only folder, a read-only
  canonical, an immutable canonical (as a file another program holds would be) and a canonical
  replaced by a folder: one clear line, exit 1, the old canonical byte-identical, the journal still
  at the old generation, and the next sync after the cause is gone succeeds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from builders import add_row, copy_from_canonical, delete_row, read_meta, read_values, set_value, sort_rows, write_copy
from scenario import COLUMNS, ROWS, Team, at
from syncd.cli import main
from syncd.workbook.atomic import TEMP_SUFFIX

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONUTF8": "1"}
SEED = 20260601
KILLS = 8
BIG = 2000  # rows: one sync of this tracker with its three copies takes about two seconds


# --- helpers -------------------------------------------------------------------------------------


def child(team_root: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    """`python -m syncd ARGS -c syncd.toml` in its own process; with ``code``, that Python runs first
    in the same process (to make it die at an exact point)."""
    argv = [*args, "-c", str(team_root / "syncd.toml")]
    if code is None:
        cmd = [sys.executable, "-m", "syncd", *argv]
    else:
        cmd = [sys.executable, "-c", code + f"\nfrom syncd.cli import main\nmain({argv!r})"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=team_root, env=ENV)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def syncd(team_root: Path, *args: str) -> Run:
    """`syncd ARGS -c syncd.toml` through the real CLI, in this process (a child costs a second of
    imports, and these tests need no process boundary)."""
    result = CliRunner().invoke(main, [*args, "-c", str(team_root / "syncd.toml")], catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def status_generation(team_root: Path) -> int | None:
    proc = syncd(team_root, "status", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["trackers"][0]["generation"]


def canonical_generation(canonical: Path) -> int:
    """The generation the canonical's hidden _syncd sheet names; opening it with openpyxl at all
    proves it is a whole, valid workbook."""
    return int(read_meta(canonical)["generation"])


def leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(TEMP_SUFFIX) or n.startswith(".tasks.xlsx."))


def pending_in_journal(team_root: Path) -> bool:
    import sqlite3

    with contextlib.closing(sqlite3.connect(team_root / ".syncd" / "journal.sqlite")) as db:
        return db.execute("SELECT count(*) FROM generation WHERE status = 'pending'").fetchone()[0] > 0


def small_team(root: Path) -> tuple[Team, bytes]:
    """The usual 6-task team after its first sync, with one new copy waiting in the inbox (Ann set
    T-1's Status to Done and added T-7). Returns the team and the generation-1 canonical's bytes."""
    team = Team(root)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: (set_value(ws, "T-1", "Status", "Done"),
                                         add_row(ws, {"ID": "T-7", "Task": "Order swag", "Owner": "Ann"})))
    return team, team.canonical.read_bytes()


def assert_ann_merged_once(team: Team) -> None:
    rows = team.rows()
    ids = [r["ID"] for r in rows]
    assert sorted(ids) == sorted([r[0] for r in ROWS] + ["T-7"])  # nothing lost, nothing doubled
    assert team.by_id()["T-1"]["Status"] == "Done"


def assert_refused_cleanly(proc: Run, team: Team, old: bytes, *words: str) -> None:
    """Exit 1, one line naming the canonical and saying what to do, nothing changed anywhere."""
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("syncd: "), proc.stderr
    assert str(team.canonical) in lines[0] and "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    if team.canonical.is_file():
        assert team.canonical.read_bytes() == old
    assert status_generation(team.root) == 1
    assert not pending_in_journal(team.root)


# --- SIGKILL at random moments -------------------------------------------------------------------


def _big_rows() -> list[list]:
    rng = random.Random(SEED)
    words = ["brief", "venue", "budget", "banner", "press", "launch", "survey", "invoice", "report", "webinar"]
    return [[f"T-{i}", f"{rng.choice(words).title()} {rng.choice(words)} for client {i}", rng.choice(["Ann", "Bob", "Cleo"]),
             "Not started", dt.date(2026, 1, 1) + dt.timedelta(days=i % 365), 100 + i] for i in range(BIG)]


def _expected_big(rows: list[list]) -> dict[str, dict]:
    want = {r[0]: dict(zip(COLUMNS, r)) for r in rows}
    for i in range(0, BIG, 50):
        want[f"T-{i}"]["Status"] = "Done"
    for i in range(25, BIG, 50):
        want[f"T-{i}"]["Owner"] = "Bea"
    for i in range(3, BIG, 97):
        want[f"T-{i}"]["Budget"] += 1
    del want["T-7"]
    want["N-A"] = dict.fromkeys(COLUMNS) | {"ID": "N-A", "Task": "Order swag for the launch", "Owner": "Ann"}
    want["N-B"] = dict.fromkeys(COLUMNS) | {"ID": "N-B", "Task": "Brief the photo agency", "Owner": "Bob"}
    return want


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 3,000-row tracker at generation 1 with three copies waiting (edits in different cells, added
    rows, a deleted row, a re-sort), the time one uninterrupted sync of them takes, and the canonical
    every run must end at."""
    root = tmp_path_factory.mktemp("big") / "team"
    team = Team(root)
    rows = _big_rows()
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, rows, author="Maria", modified=at(1))
    team.sync()

    def ann(ws):
        for i in range(0, BIG, 50):
            ws.cell(i + 2, COLUMNS.index("Status") + 1).value = "Done"
        add_row(ws, {"ID": "N-A", "Task": "Order swag for the launch", "Owner": "Ann"})

    def bob(ws):
        for i in range(25, BIG, 50):
            ws.cell(i + 2, COLUMNS.index("Owner") + 1).value = "Bea"
        delete_row(ws, "T-7")
        add_row(ws, {"ID": "N-B", "Task": "Brief the photo agency", "Owner": "Bob"})

    def cleo(ws):
        for i in range(3, BIG, 97):
            cell = ws.cell(i + 2, COLUMNS.index("Budget") + 1)
            cell.value += 1
        sort_rows(ws, "Due", reverse=True)

    for name, who, day, edit in (("ann", "Ann", 2, ann), ("bob", "Bob", 3, bob), ("cleo", "Cleo", 4, cleo)):
        copy_from_canonical(team.canonical, team.inbox / f"RE tracker - {name}.xlsx", author=who, modified=at(day), edit=edit)

    trial = root.parent / "calibrate"
    shutil.copytree(root, trial)
    started = time.monotonic()
    proc = child(trial, "sync")
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    return {"root": root, "old": team.canonical.read_bytes(), "seconds": took, "expected": _expected_big(rows)}


def _kill_delays(seconds: float) -> list[float]:
    # one kill in each eighth of the sync (stratified), at a seeded random point inside it
    rng = random.Random(SEED)
    return [seconds * (k + rng.random()) / KILLS for k in range(KILLS)]


@pytest.mark.slow
@pytest.mark.parametrize("k", range(KILLS))
def test_sigkill_anywhere_leaves_old_or_new_canonical_and_the_next_run_repairs(big, k, tmp_path):
    root = tmp_path / "team"
    shutil.copytree(big["root"], root)
    canonical = root / "canonical" / "tasks.xlsx"
    delay = _kill_delays(big["seconds"])[k]

    child = subprocess.Popen([sys.executable, "-m", "syncd", "sync", "-c", str(root / "syncd.toml")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root, env=ENV)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()

    gen = canonical_generation(canonical)
    assert gen in (1, 2)
    if gen == 1:
        assert canonical.read_bytes() == big["old"]  # the old canonical survives until the new one is whole
    else:
        assert {r["ID"]: r for r in read_values(canonical)} == big["expected"]
    print(f"kill after {delay:.2f}s of {big['seconds']:.2f}s: canonical gen {gen}, "
          f"pending {pending_in_journal(root)}, temp files {leftovers(canonical.parent)}")

    again = syncd(root, "sync")
    assert again.returncode == 0, again.stderr
    assert status_generation(root) == canonical_generation(canonical) == 2
    assert leftovers(canonical.parent) == []
    rows = read_values(canonical)
    assert len(rows) == len(big["expected"])  # nothing doubled
    assert {r["ID"]: r for r in rows} == big["expected"]  # nothing lost
    archived = Team(root).sheet("Archive")
    assert [a["ID"] for a in archived] == ["T-7"]


# --- dying at the exact moments that matter ------------------------------------------------------

DIE = "import os\n"


def test_killed_after_the_temporary_file_is_written_but_before_the_swap(tmp_path):
    team, old = small_team(tmp_path)
    code = DIE + "import syncd.workbook.atomic as a\na._replace = lambda *args: os._exit(137)"
    assert child(team.root, "sync", code=code).returncode == 137
    assert team.canonical.read_bytes() == old and canonical_generation(team.canonical) == 1
    assert len(leftovers(team.canonical.parent)) == 1  # the finished temporary file, never swapped in
    assert pending_in_journal(team.root)

    assert syncd(team.root, "sync").returncode == 0
    assert leftovers(team.canonical.parent) == []
    assert status_generation(team.root) == canonical_generation(team.canonical) == 2
    assert not pending_in_journal(team.root)
    assert_ann_merged_once(team)


def test_killed_after_the_swap_but_before_the_journal_commits(tmp_path):
    team, old = small_team(tmp_path)
    code = DIE + "from syncd.core.journal import Journal\nJournal.commit_pending = lambda *args: os._exit(137)"
    assert child(team.root, "sync", code=code).returncode == 137
    assert canonical_generation(team.canonical) == 2  # the new file made it...
    assert status_generation(team.root) == 1  # ...the journal has not said so yet
    new = team.canonical.read_bytes()

    result = syncd(team.root, "sync")
    assert result.returncode == 0 and "nothing new" in result.stdout  # promoted, not merged a second time
    assert status_generation(team.root) == 2 and not pending_in_journal(team.root)
    assert team.canonical.read_bytes() == new
    assert_ann_merged_once(team)
    status = json.loads(syncd(team.root, "status", "--json").stdout)["trackers"][0]
    assert [c["file"] for c in status["taken"]].count("ann.xlsx") == 1


def test_killed_after_the_journal_records_pending_but_before_writing(tmp_path):
    team, old = small_team(tmp_path)
    code = DIE + "import syncd.core.engine as e\ne.write_canonical = lambda *args, **kw: os._exit(137)"
    assert child(team.root, "sync", code=code).returncode == 137
    assert team.canonical.read_bytes() == old and pending_in_journal(team.root)

    assert syncd(team.root, "sync").returncode == 0
    assert status_generation(team.root) == canonical_generation(team.canonical) == 2
    assert_ann_merged_once(team)


# --- the disk and the file system say no ---------------------------------------------------------


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str):
    """A small RAM file system at ``mount_point`` (needs root); skips the test when it cannot be had."""
    mount_point.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill_up(folder: Path) -> Path:
    """Write into ``folder`` until its file system is full; returns the filler file."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
    return filler


def test_disk_full_while_writing_keeps_the_old_canonical_and_the_journal(tmp_path):
    with tmpfs(tmp_path / "canonical", "4m") as disk:
        team, old = small_team(tmp_path)
        assert team.canonical.parent == disk
        filler = fill_up(disk)

        proc = syncd(team.root, "sync")
        assert_refused_cleanly(proc, team, old, "disk is full", "free some space")
        assert leftovers(disk) == []

        filler.unlink()  # space back
        assert syncd(team.root, "sync").returncode == 0
        assert status_generation(team.root) == canonical_generation(team.canonical) == 2
        assert_ann_merged_once(team)


def test_read_only_folder(tmp_path):
    if os.geteuid() == 0:
        # root writes through permission bits: make the file system itself read-only instead
        with tmpfs(tmp_path / "canonical", "4m"):
            team, old = small_team(tmp_path)
            subprocess.run(["mount", "-o", "remount,ro", str(team.canonical.parent)], check=True)
            proc = syncd(team.root, "sync")
            assert_refused_cleanly(proc, team, old, "read-only")
            subprocess.run(["mount", "-o", "remount,rw", str(team.canonical.parent)], check=True)
            assert syncd(team.root, "sync").returncode == 0
            assert_ann_merged_once(team)
        return
    team, old = small_team(tmp_path)
    team.canonical.parent.chmod(0o555)
    try:
        assert_refused_cleanly(syncd(team.root, "sync"), team, old, "not allowed to write there")
    finally:
        team.canonical.parent.chmod(0o755)
    assert syncd(team.root, "sync").returncode == 0
    assert_ann_merged_once(team)


def test_canonical_marked_read_only_is_not_replaced(tmp_path):
    team, old = small_team(tmp_path)
    team.canonical.chmod(0o444)
    assert_refused_cleanly(syncd(team.root, "sync"), team, old, "read-only", "run syncd again")
    team.canonical.chmod(0o644)
    assert syncd(team.root, "sync").returncode == 0
    assert_ann_merged_once(team)


def test_canonical_that_cannot_be_replaced_like_a_file_open_in_excel(tmp_path):
    team, old = small_team(tmp_path)
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("making a file impossible to replace (chattr +i) needs root")
    if subprocess.run(["chattr", "+i", str(team.canonical)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable files (chattr +i failed)")
    try:
        proc = syncd(team.root, "sync")
        assert_refused_cleanly(proc, team, old, "close the file")
        assert leftovers(team.canonical.parent) == []
    finally:
        subprocess.run(["chattr", "-i", str(team.canonical)], check=True)
    assert syncd(team.root, "sync").returncode == 0
    assert_ann_merged_once(team)


def test_canonical_replaced_by_a_folder(tmp_path):
    team, old = small_team(tmp_path)
    team.canonical.rename(tmp_path / "moved.xlsx")
    team.canonical.mkdir()
    (team.canonical / "someone's file.txt").write_text("keep me")
    proc = syncd(team.root, "sync")
    assert_refused_cleanly(proc, team, old, "is a folder", "configuration")
    assert (team.canonical / "someone's file.txt").read_text() == "keep me"
    shutil.rmtree(team.canonical)
    (tmp_path / "moved.xlsx").rename(team.canonical)
    assert syncd(team.root, "sync").returncode == 0
    assert_ann_merged_once(team)
