"""One contract every source keeps, run against each kind of source (vdirsyncer's storage tests, in
spirit): list what is there, fingerprint it stably and by content, read the table back, and skip
exactly what is not a copy — nothing more.

Each source gets a ``place`` fixture: a real place holding the scenario tracker (a folder with a real
.xlsx; a Google Sheet on the stand-in) plus the edits a person makes there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import write_copy
from fake_google import FakeGoogle
from fake_google.team import google_env  # noqa: F401 - fixture
from scenario import COLUMNS, ROWS, at
from syncd.config import FolderSourceConfig, GSheetSourceConfig
from syncd.sources.base import CopyRef, Source
from syncd.sources.folder import FolderSource
from syncd.sources.google.client import RetryPolicy
from syncd.sources.gsheet import GSheetSource


class Place:
    """A place holding the tracker. ``copies``: how many copies ``list`` must find; ``rows``: the task
    ids the tracker copy must read back with."""

    source: Source
    copies: int = 1
    rows: list[str] = [r[0] for r in ROWS]

    def main(self, refs: list[CopyRef]) -> CopyRef:
        raise NotImplementedError

    def change(self, task_id: str, column: str, value: object) -> None:
        raise NotImplementedError

    def add_junk(self) -> None:
        """Things a person or a program leaves there that are not copies of the tracker."""
        raise NotImplementedError

    def add_lookalikes(self) -> None:
        """Things that look odd but are the tracker's data, which must not be skipped."""
        raise NotImplementedError


class FolderPlace(Place):
    def __init__(self, root: Path) -> None:
        root.mkdir()
        self.root = root
        self.path = write_copy(root / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
        self.source = FolderSource(FolderSourceConfig(path=root))

    def main(self, refs):
        return next(r for r in refs if r.name == "tracker.xlsx")

    def change(self, task_id, column, value):
        rows = [list(r) for r in ROWS]
        for row in rows:
            if row[0] == task_id:
                row[COLUMNS.index(column)] = value
        write_copy(self.path, COLUMNS, rows, author="Maria", modified=at(1))

    def add_junk(self):
        for name in ("~$tracker.xlsx", ".~lock.tracker.xlsx#", "tracker.xlsx.crdownload", "upload.tmp", "notes.txt.part"):
            (self.root / name).write_bytes(b"\x00lock")

    def add_lookalikes(self):
        for name in ("Tracker (Ann's copy).xlsx", "tracker.tmp.xlsx", "2026-06 ~ tracker.XLSX"):
            write_copy(self.root / name, COLUMNS, ROWS[:2])
        self.copies += 3


class GooglePlace(Place):
    def __init__(self, root: Path, google: FakeGoogle) -> None:
        root.mkdir()
        self.google = google
        google.add_spreadsheet("S1", "Campaign tracker", {"Tasks": [COLUMNS] + [list(r) for r in ROWS]})
        config = GSheetSourceConfig(spreadsheet="S1", sheet="Tasks", api_endpoint=google.url,
                                    credentials=google.service_account_file(root / "sa.json"))
        self.source = GSheetSource(config, state_dir=root, policy=RetryPolicy(base=0.01))
        self.rows = list(self.rows)

    def main(self, refs):
        assert len(refs) == 1
        return refs[0]

    def change(self, task_id, column, value):
        row = next(i for i, r in enumerate(ROWS) if r[0] == task_id) + 2
        self.google.edit("S1", "Tasks", f"{chr(65 + COLUMNS.index(column))}{row}", value)

    def add_junk(self):
        self.google.person_requests("S1", [{"addSheet": {"properties": {"title": "Notes", "index": 0}}}])
        self.google.edit("S1", "Notes", "A1", "Call the venue")

    def add_lookalikes(self):
        # a task typed far below the others, after a gap of empty rows, is still a task
        self.google.edit("S1", "Tasks", f"A{len(ROWS) + 12}", "T-99")
        self.google.edit("S1", "Tasks", f"B{len(ROWS) + 12}", "Late addition")
        self.rows.append("T-99")


@pytest.fixture(params=["folder", "gsheet"])
def place(request, tmp_path):
    if request.param == "folder":
        yield FolderPlace(tmp_path / "inbox")
    else:
        with FakeGoogle() as google:
            yield GooglePlace(tmp_path / "google", google)


class TestSourceContract:
    def test_lists_each_copy_once_by_a_name_a_person_knows(self, place):
        refs = place.source.list()
        assert len(refs) == place.copies
        assert len({r.location for r in refs}) == len(refs)
        assert all(r.name and r.source == place.source.label for r in refs)

    def test_fingerprint_is_stable_while_nothing_changes(self, place):
        first = place.source.fingerprint(place.main(place.source.list()))
        assert place.source.fingerprint(place.main(place.source.list())) == first

    def test_fingerprint_changes_when_the_content_does(self, place):
        before = place.source.fingerprint(place.main(place.source.list()))
        place.change("T-3", "Status", "Done")
        assert place.source.fingerprint(place.main(place.source.list())) != before

    def test_read_gives_the_table_with_its_types(self, place):
        ref = place.main(place.source.list())
        place.source.fingerprint(ref)
        read = place.source.read(ref, "Tasks")
        assert read.sheet == "Tasks"
        assert read.table.columns == tuple(COLUMNS)
        assert [list(r) for r in read.table.rows] == [list(r) for r in ROWS]

    def test_skips_what_is_not_a_copy_and_nothing_else(self, place):
        place.add_junk()
        place.add_lookalikes()
        refs = place.source.list()
        assert len(refs) == place.copies
        ref = place.main(refs)
        place.source.fingerprint(ref)
        read = place.source.read(ref, "Tasks")
        assert [r[0] for r in read.table.rows] == place.rows
