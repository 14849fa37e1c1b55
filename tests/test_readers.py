"""Copies read side by side, in processes of their own or in threads, give what reading them one by one gives."""

from __future__ import annotations

import os
import threading

import pytest

from builders import write_copy
from scenario import COLUMNS, ROWS
from syncd.config import FolderSourceConfig
from syncd.core import readers
from syncd.errors import CopyRejected
from syncd.sources.folder import FolderSource


class _Noting(FolderSource):
    """A folder that notes, beside each copy, which process read it."""

    def read(self, ref, sheet, held=None):
        got = super().read(ref, sheet, held)
        (self.root / "read-by").mkdir(exist_ok=True)
        (self.root / "read-by" / ref.name).write_text(str(os.getpid()))
        (self.root / "read-by" / f"{ref.name}.thread").write_text(threading.current_thread().name)
        return got


class _DiesOnOne(_Noting):
    """A folder whose reader kills its process on one file, but only in a reading process (the
    machine ran out of memory there, say)."""

    def read(self, ref, sheet, held=None):
        if ref.name == "killer.xlsx" and os.environ.get("SYNCD_TEST_PARENT") != str(os.getpid()):
            (self.root / "a reader died").touch()
            os._exit(9)
        return super().read(ref, sheet, held)


def _readers(folder):
    return {p.name: int(p.read_text()) for p in (folder / "read-by").iterdir() if p.suffix != ".thread"}


def _threads(folder):
    return {p.stem: p.read_text() for p in (folder / "read-by").glob("*.thread")}


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "PROCESS_BYTES", 0)  # the example copies are small: use processes anyway
    monkeypatch.setattr(readers, "cores", lambda: 2)
    for n in range(3):
        rows = [list(r) for r in ROWS]
        rows[0][3] = f"Edited by copy {n}"
        write_copy(tmp_path / f"copy{n}.xlsx", COLUMNS, rows, author=f"Person {n}")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook at all")
    return tmp_path


def _todo(source):
    return [(source, ref, "digest") for ref in source.list()]


def _same_as_read_here(got, source):
    here = [readers.read_one(source, ref, None) for _, ref, _ in _todo(source)]
    assert [i for i, _, _ in got] == list(range(4))
    for (_, item, outcome), plain in zip(got, here):
        if isinstance(plain, CopyRejected):
            assert isinstance(outcome, CopyRejected) and outcome.file == "broken.xlsx" == item[1].name
            assert outcome.reason == plain.reason
        else:
            assert outcome.table == plain.table and outcome.meta.author == plain.meta.author
    statuses = sorted(o.table.rows[0][3] for _, _, o in got if not isinstance(o, CopyRejected))
    assert statuses == ["Edited by copy 0", "Edited by copy 1", "Edited by copy 2"]


def test_copies_read_in_processes_are_the_copies_read_here(inbox):
    source = _Noting(FolderSourceConfig(inbox))
    got = list(readers.read_all(_todo(source), None))
    assert os.getpid() not in _readers(inbox).values()  # all read in other processes
    _same_as_read_here(got, source)


def test_small_copies_are_read_in_threads_and_are_the_copies_read_here(inbox, monkeypatch):
    monkeypatch.setattr(readers, "PROCESS_BYTES", 1 << 40)
    source = _Noting(FolderSourceConfig(inbox))
    got = list(readers.read_all(_todo(source), None))
    assert set(_readers(inbox).values()) == {os.getpid()}  # no process started for small copies
    assert all(name.startswith("syncd-read") for name in _threads(inbox).values())
    _same_as_read_here(got, source)


def test_reading_processes_that_die_cost_time_not_copies(inbox, monkeypatch):
    write_copy(inbox / "killer.xlsx", COLUMNS, ROWS)
    monkeypatch.setenv("SYNCD_TEST_PARENT", str(os.getpid()))
    source = _DiesOnOne(FolderSourceConfig(inbox))
    got = {item[1].name: outcome for _, item, outcome in readers.read_all(_todo(source), None)}
    assert sorted(got) == ["broken.xlsx", "copy0.xlsx", "copy1.xlsx", "copy2.xlsx", "killer.xlsx"]
    assert isinstance(got["broken.xlsx"], CopyRejected)
    assert all(not isinstance(got[name], CopyRejected) for name in got if name != "broken.xlsx")
    assert (inbox / "a reader died").exists() and _readers(inbox)["killer.xlsx"] == os.getpid()


def test_forked_readers_send_the_rows_syncd_holds_as_positions(tmp_path, monkeypatch):
    # a one-shot sync forks its readers: they hold the generation too, and send only what differs
    from test_held import _copy, _edits, _held

    from syncd.workbook.read import read_sheet

    monkeypatch.setattr(readers, "PROCESS_BYTES", 0)
    monkeypatch.setattr(readers, "cores", lambda: 2)
    held = _held()
    for n in range(3):
        _copy(tmp_path / f"copy{n}.xlsx", held, _edits if n else None)
    # and a copy saved before syncd, without the id column: its rows are sent as positions too
    write_copy(tmp_path / "copy3.xlsx", list(held.columns), [list(r) for r in held.rows[::-1]])
    source = _Noting(FolderSourceConfig(tmp_path))
    kinds = []
    real = readers._outcome
    monkeypatch.setattr(readers, "_outcome", lambda sent, rows: kinds.append(sent[0]) or real(sent, rows))
    got = list(readers.read_all(_todo(source), "Tasks", held))
    assert kinds == ["held"] * 4 and os.getpid() not in _readers(tmp_path).values()
    held_rows = set(map(id, held.rows))
    for _, (_, ref, _), outcome in got:
        assert outcome.table == read_sheet(ref.location, "Tasks").table
        assert sum(id(row) in held_rows for row in outcome.table.rows) >= len(held.rows) - 12


def test_readers_beside_other_threads_are_started_fresh(tmp_path, monkeypatch):
    # a forked child could inherit a lock another thread (the daemon's watcher) holds, and hang on it
    from test_held import _copy, _edits, _held

    monkeypatch.setattr(readers, "PROCESS_BYTES", 0)
    monkeypatch.setattr(readers, "cores", lambda: 2)
    held = _held()
    for n in range(2):
        _copy(tmp_path / f"copy{n}.xlsx", held, _edits)
    source = _Noting(FolderSourceConfig(tmp_path))
    kinds = []
    real = readers._outcome
    monkeypatch.setattr(readers, "_outcome", lambda sent, rows: kinds.append(sent[0]) or real(sent, rows))
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait, name="watcher")
    watcher.start()
    try:
        got = list(readers.read_all(_todo(source), "Tasks", held))
    finally:
        stop.set()
        watcher.join()
    assert kinds == ["read", "read"]  # whole tables from processes started fresh
    plain = [readers.read_one(source, ref, "Tasks") for _, ref, _ in _todo(source)]
    assert [o.table for _, _, o in got] == [p.table for p in plain]


class _SlowOnLast(_Noting):
    """A folder whose last copy takes a while to read (a big attachment)."""

    def read(self, ref, sheet, held=None):
        if ref.name == "copy2.xlsx":
            import time

            time.sleep(1.5)
        return super().read(ref, sheet, held)


def test_while_one_reader_reads_the_last_copy_the_idle_core_works_ahead(inbox):
    (inbox / "broken.xlsx").unlink()
    source = _SlowOnLast(FolderSourceConfig(inbox))
    calls = []

    def idle() -> bool:
        calls.append(len(_readers(inbox)) if (inbox / "read-by").exists() else 0)
        return len(calls) < 3  # three slices of work, then nothing left to do

    got = list(readers.read_all(_todo(source), None, idle=idle))
    # only while the last copy was read (the two before it were read by then), and not once there
    # was nothing left to do
    assert calls == [2, 2, 2]
    assert [o.table.rows[0][3] for _, _, o in got] == ["Edited by copy 0", "Edited by copy 1", "Edited by copy 2"]
