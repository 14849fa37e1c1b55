"""A team folder for scenario tests: a config, an inbox, and `syncd sync` run as a user would run it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner

from builders import read_values
from syncd.cli import main

COLUMNS = ["ID", "Task", "Owner", "Status", "Due", "Budget"]
ROWS = [
    ["T-1", "Draft Q3 newsletter", "Ann", "Not started", dt.date(2026, 7, 1), 500],
    ["T-2", "Book venue for launch", "Bob", "In progress", dt.date(2026, 7, 15), 12000],
    ["T-3", "Q3 budget review", "Cleo", "Not started", dt.date(2026, 8, 1), None],
    ["T-4", "Q4 budget review", "Cleo", "Not started", dt.date(2026, 11, 1), None],
    ["T-5", "Design social banners", "Dev", "Blocked", dt.date(2026, 7, 5), 800],
    ["T-6", "Write press release", "Ann", "Done", dt.date(2026, 6, 20), 0],
]


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, 0)


class Team:
    """tmp folder with syncd.toml, inbox/ and canonical/; runs the CLI in-process."""

    def __init__(self, root: Path, *, key: str | None = "ID", title: str | None = "Task", policy: str = "newest",
                 extra: str = "") -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.canonical = root / "canonical" / "tasks.xlsx"
        self.config = root / "syncd.toml"
        lines = ['state_dir = ".syncd"', "", "[[tracker]]", 'name = "tasks"', 'canonical = "canonical/tasks.xlsx"',
                 'sheet = "Tasks"', f'on_conflict = "{policy}"']
        if key:
            lines.append(f'key = "{key}"')
        if title:
            lines.append(f'title = "{title}"')
        lines += [extra, "", "[[tracker.source]]", 'type = "folder"', 'path = "inbox"', ""]
        self.config.write_text("\n".join(lines))

    def sync(self, *args: str, expect: int = 0) -> Any:
        result = CliRunner().invoke(main, ["sync", "-c", str(self.config), *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output
        return result

    def sync_json(self) -> dict[str, Any]:
        result = self.sync("--json")
        return json.loads(result.stdout)["trackers"][0]

    def sync_subprocess(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "syncd", "sync", "-c", str(self.config), *args],
                              capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONUTF8": "1"})

    def rows(self) -> list[dict[str, Any]]:
        return read_values(self.canonical)

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {r["ID"]: r for r in self.rows()}

    def sheet(self, name: str) -> list[dict[str, Any]]:
        wb = openpyxl.load_workbook(self.canonical)
        ws = wb[name]
        values = list(ws.iter_rows(values_only=True))
        header = values[0]
        return [dict(zip(header, row)) for row in values[1:] if any(v is not None for v in row)]

    def cell(self, task_id: str, column: str) -> openpyxl.cell.Cell:
        wb = openpyxl.load_workbook(self.canonical)
        ws = wb["Tasks"]
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            if row[header.index("ID")].value == task_id:
                return row[header.index(column)]
        raise KeyError(task_id)
