"""The canonical in a real headless LibreOffice: a copy re-saved there still merges against its own
generation, and what LibreOffice shows is what syncd wrote (formula-looking text stays text)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from builders import copy_from_canonical, resave_with_libreoffice, set_value, write_copy
from scenario import COLUMNS, ROWS, Team, at

pytestmark = pytest.mark.libreoffice


def test_copy_resaved_by_libreoffice_merges_against_its_generation(tmp_path):
    team = Team(tmp_path)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    # generation 2 changes T-2's Status; the LibreOffice user works from generation 1
    gen1 = tmp_path / "gen1.xlsx"
    shutil.copy(team.canonical, gen1)
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-2", "Status", "Done"))
    team.sync()
    edited = copy_from_canonical(gen1, tmp_path / "lo-edit.xlsx", author="Lou", modified=at(3),
                                 edit=lambda ws: set_value(ws, "T-4", "Owner", "Lou"))
    resave_with_libreoffice(edited, team.inbox / "RE tracker (Lou).xlsx")
    report = team.sync_json()
    lou = next(c for c in report["copies"] if c["file"] == "RE tracker (Lou).xlsx")
    assert lou["base_generation"] == 1 and lou["base_inferred"] is False
    rows = team.by_id()
    assert rows["T-4"]["Owner"] == "Lou"
    assert rows["T-2"]["Status"] == "Done"  # Lou's older copy did not revert it
    assert report["conflicts"] == [] and len(rows) == len(ROWS)


def test_libreoffice_shows_formula_looking_text_as_text(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
    team = Team(tmp_path)
    rows = [list(r) for r in ROWS]
    rows[0][1] = "=HYPERLINK(\"http://evil.example\",\"click\")"
    rows[1][1] = "+1 call with agency"
    rows[2][1] = "-5% discount banner"
    rows[3][1] = "@channel reminder"
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, rows, author="Mallory", modified=at(1))
    # openpyxl wrote those as formulas in the copy; make them text the way a mail client's copy has them
    import openpyxl

    wb = openpyxl.load_workbook(team.inbox / "tracker.xlsx")
    for r in range(2, 6):
        wb["Tasks"].cell(r, 2).data_type = "s"
    wb.save(team.inbox / "tracker.xlsx")
    team.sync()
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--convert-to", "csv", "--outdir", tmp, str(team.canonical)],
                       check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        with open(Path(tmp) / "tasks.csv", newline="", encoding="utf-8", errors="replace") as f:
            shown = [row[1] for row in csv.reader(f)][1:5]
    assert shown == [rows[0][1], rows[1][1], rows[2][1], rows[3][1]]
