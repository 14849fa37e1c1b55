"""A team whose tracker is mailed around as .xlsx *and* lives in a Google Sheet (on the stand-in).

Import the fixtures into a test module with ``from fake_google.team import google, google_env  # noqa``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest

from fake_google.server import FakeGoogle
from fake_google.sheets import python_value
from scenario import Team
from syncd.model import ROW_ID_COLUMN


@pytest.fixture(autouse=True)
def google_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep syncd's per-user files in the test's folder; make retries fast."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("SYNCD_GOOGLE_BACKOFF_BASE", "0.01")
    monkeypatch.delenv("SYNCD_GOOGLE_TOKEN", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        yield g


def gsheet_source(google: FakeGoogle, key: Path, sheet_id: str, *, tab: str | None = "Tasks", mirror: bool = True,
                  poll: int = 60) -> str:
    lines = ["", "[[tracker.source]]", 'type = "gsheet"', f'spreadsheet = "{sheet_id}"',
             f'credentials = "{key}"', f"mirror = {'true' if mirror else 'false'}", f"poll_seconds = {poll}",
             f'api_endpoint = "{google.url}"']
    if tab:
        lines.append(f'sheet = "{tab}"')
    return "\n".join(lines) + "\n"


class GoogleTeam(Team):
    """``Team`` plus a mirrored Google Sheet ``S1`` ("Campaign tracker") on the stand-in."""

    def __init__(self, root: Path, google: FakeGoogle, *, tabs: dict[str, list[list[Any]]] | None = None,
                 mirror: bool = True, share: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        self.google = google
        self.key = google.service_account_file(root / "service-account.json")
        self.book = google.add_spreadsheet("S1", "Campaign tracker", tabs or {"Sheet1": []}, share=share)
        self.config.write_text(self.config.read_text() + gsheet_source(google, self.key, "S1", mirror=mirror))

    def sheet_values(self, tab: str = "Tasks") -> list[list[Any]]:
        return self.book.values(tab)

    def sheet_records(self, tab: str = "Tasks") -> list[dict[str, Any]]:
        """The tab's rows as dicts by header, without the id column (like ``builders.read_values``)."""
        rows = self.book.values(tab)
        header = rows[0]
        out = []
        for row in rows[1:]:
            record = {h: (row[i] if i < len(row) else None) for i, h in enumerate(header) if h != ROW_ID_COLUMN}
            if any(v is not None for v in record.values()):
                out.append(record)
        return out

    def sheet_ids(self, tab: str = "Tasks") -> list[Any]:
        rows = self.book.values(tab)
        at = rows[0].index(ROW_ID_COLUMN)
        return [row[at] if at < len(row) else None for row in rows[1:] if any(v is not None for v in row)]

    def cell(self, tab: str, task_id: str, column: str):  # type: ignore[override]
        """The stand-in's stored cell (``FCell``) of one task's column."""
        t = self.book.tab(tab)
        header = self.book.values(tab)[0]
        for r in range(1, t.extent()[0]):
            if python_value(t.cell(r, 0)) == task_id:
                return t.cell(r, header.index(column))
        raise KeyError(task_id)

    def address(self, task_id: str, column: str, tab: str = "Tasks") -> str:
        """The A1 address of a task's cell in the Google Sheet, e.g. ``"D3"``."""
        rows = self.book.values(tab)
        col = rows[0].index(column)
        for r, row in enumerate(rows):
            if row and row[0] == task_id:
                return f"{chr(65 + col)}{r + 1}"
        raise KeyError(task_id)


def utc(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, 0, tzinfo=dt.timezone.utc)
