"""Mailed-copy scenarios, end to end through `syncd sync` on real workbooks.

Each test plays a week of a team's mail: copies made from the canonical (or from before syncd), edited
by different people, re-sorted, with renamed and inserted columns, arriving late or clashing. It then
reads the canonical back with openpyxl (not syncd's reader) and checks every cell a person would look at.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

from builders import add_row, copy_from_canonical, delete_row, rename_column, set_value, sort_rows, write_copy
from scenario import COLUMNS, ROWS, Team, at


@pytest.fixture
def team(tmp_path):
    t = Team(tmp_path)
    write_copy(t.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    t.sync()
    return t


def expected(changes=None):
    changes = changes or {}
    rows = {r[0]: dict(zip(COLUMNS, r)) for r in ROWS}
    for (tid, col), value in changes.items():
        rows[tid][col] = value
    return rows


def test_first_sync_writes_the_canonical_with_every_row(team):
    assert team.by_id() == expected()
    # the hidden id column and generation travel inside the workbook
    import openpyxl

    wb = openpyxl.load_workbook(team.canonical)
    assert wb["_syncd"].sheet_state == "hidden"
    header = [c.value for c in wb["Tasks"][1]]
    assert header[-1] == "syncd id"
    assert all(wb["Tasks"].cell(r, len(header)).value for r in range(2, 2 + len(ROWS)))


def test_different_cells_of_one_task_changed_in_two_copies_are_both_kept(team):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "In progress"))
    copy_from_canonical(team.canonical, team.inbox / "bob.xlsx", author="Bob", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-1", "Owner", "Bob"))
    report = team.sync_json()
    assert report["written"] and report["conflicts"] == []
    assert team.by_id()["T-1"] == expected({("T-1", "Status"): "In progress", ("T-1", "Owner"): "Bob"})["T-1"]


def test_resorted_copy_with_renamed_and_new_column_lines_up(team):
    def edit(ws):
        sort_rows(ws, "Due", reverse=True)
        rename_column(ws, "Owner", "Assignee")
        set_value(ws, "T-5", "Assignee", "Eve")
        set_value(ws, "T-2", "Budget", 15000)
        ws.cell(1, ws.max_column + 1, "Channel")  # a new column, after the hidden id column, as people do
        for r in range(2, ws.max_row + 1):
            ws.cell(r, ws.max_column, "email")

    copy_from_canonical(team.canonical, team.inbox / "eve.xlsx", author="Eve", modified=at(4), edit=edit)
    team.sync()
    rows = team.by_id()
    assert [r["ID"] for r in team.rows()] == [r[0] for r in ROWS]  # the canonical keeps its order
    assert rows["T-5"]["Owner"] == "Eve" and rows["T-2"]["Budget"] == 15000
    assert "Assignee" not in rows["T-5"]  # the canonical keeps its own column name
    assert all(r["Channel"] == "email" for r in rows.values())


def test_stale_copy_changes_only_what_its_sender_changed(team):
    stale = team.root / "stale-gen1.xlsx"
    shutil.copy(team.canonical, stale)
    # generation 2: Status edited, T-6 deleted
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: (set_value(ws, "T-2", "Status", "Done"), delete_row(ws, "T-6")))
    team.sync()
    # the stale copy (made from generation 1) arrives late with one edit of its own
    copy_from_canonical(stale, team.inbox / "RE tracker (old).xlsx", author="Cleo", modified=at(5),
                        edit=lambda ws: set_value(ws, "T-3", "Owner", "Dana"))
    team.sync()
    rows = team.by_id()
    assert rows["T-2"]["Status"] == "Done"  # not reverted
    assert "T-6" not in rows  # not brought back
    assert rows["T-3"]["Owner"] == "Dana"  # its own edit applied
    archived = team.sheet("Archive")
    assert [a["ID"] for a in archived] == ["T-6"]
    assert archived[0]["From file"] == "ann.xlsx" and archived[0]["Deleted by"] == "Ann"
    assert archived[0]["Task"] == "Write press release"


def test_same_cell_changed_differently_is_flagged_and_newest_wins(team):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-5", "Status", "Done"))
    copy_from_canonical(team.canonical, team.inbox / "dev.xlsx", author="Dev", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-5", "Status", "In progress"))
    report = team.sync_json()
    assert len(report["conflicts"]) == 1
    cell = team.cell("T-5", "Status")
    assert cell.value == "Done"  # Ann saved later
    assert cell.comment is not None and "In progress" in cell.comment.text and "Done" in cell.comment.text
    assert cell.fill.fgColor.rgb not in (None, "00000000")
    (conflict,) = team.sheet("Conflicts")
    assert conflict["Status"] == "open" and conflict["Column"] == "Status"
    assert conflict["Kept value"] == "Done" and conflict["Other value"] == "In progress"
    assert "dev.xlsx" in conflict["Other from"] and "Dev" in conflict["Other from"]


def test_copies_saved_in_another_order_than_they_landed_are_taken_in_the_order_they_were_saved(team):
    # Ann's copy landed first (its file is older) but was saved after Cleo's and Dev's: copies are
    # read oldest file first and merged while the rest are read, so this order must undo that
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(4),
                        edit=lambda ws: set_value(ws, "T-5", "Status", "Done"))
    copy_from_canonical(team.canonical, team.inbox / "cleo.xlsx", author="Cleo", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-5", "Status", "Waiting"))
    copy_from_canonical(team.canonical, team.inbox / "dev.xlsx", author="Dev", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-5", "Status", "In progress"))
    for n, name in enumerate(("ann.xlsx", "cleo.xlsx", "dev.xlsx")):
        stamp = dt.datetime(2026, 6, 10, 9, n).timestamp()
        os.utime(team.inbox / name, (stamp, stamp))
    report = team.sync_json()
    assert [c["file"] for c in report["copies"] if c["status"] == "taken"] == ["cleo.xlsx", "dev.xlsx", "ann.xlsx"]
    assert team.cell("T-5", "Status").value == "Done"  # Ann saved last
    # each clash is between a copy and the one taken just before it
    clashes = sorted((c["Kept value"], c["Other value"]) for c in team.sheet("Conflicts"))
    assert clashes == [("Done", "In progress"), ("In progress", "Waiting")]


def test_editing_the_conflicted_cell_in_the_canonical_resolves_it(team):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-5", "Status", "Done"))
    copy_from_canonical(team.canonical, team.inbox / "dev.xlsx", author="Dev", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-5", "Status", "In progress"))
    team.sync()
    # the team lead settles it directly in the canonical
    copy_from_canonical(team.canonical, team.canonical, author="Lead",
                        edit=lambda ws: (set_value(ws, "T-5", "Status", "Blocked"), set_value(ws, "T-4", "Owner", "Lead")))
    report = team.sync_json()
    assert report["resolved"] == 1 and report["written"]
    assert team.by_id()["T-5"]["Status"] == "Blocked" and team.by_id()["T-4"]["Owner"] == "Lead"
    assert team.cell("T-5", "Status").comment is None
    (conflict,) = team.sheet("Conflicts")
    assert conflict["Status"].startswith("resolved")


def test_delete_in_one_copy_and_edit_in_another_keeps_the_row_and_flags_it(team):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-2", "Status", "Done"))
    copy_from_canonical(team.canonical, team.inbox / "bob.xlsx", author="Bob", modified=at(3),
                        edit=lambda ws: delete_row(ws, "T-2"))
    report = team.sync_json()
    assert team.by_id()["T-2"]["Status"] == "Done"
    assert any(c["kind"] == "delete" for c in report["conflicts"])
    assert team.sheet("Conflicts")[0]["Status"] == "open"


def test_added_tasks_from_two_copies_both_arrive_once(team):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: add_row(ws, {"ID": "T-7", "Task": "Order swag", "Owner": "Ann"}))
    copy_from_canonical(team.canonical, team.inbox / "bob.xlsx", author="Bob", modified=at(3),
                        edit=lambda ws: add_row(ws, {"ID": "T-8", "Task": "Brief agency", "Owner": "Bob"}))
    team.sync()
    team.sync()  # nothing new: no zombie or doubled rows
    ids = [r["ID"] for r in team.rows()]
    assert ids.count("T-7") == 1 and ids.count("T-8") == 1 and len(ids) == len(ROWS) + 2


def test_second_sync_with_nothing_new_changes_nothing(team):
    before = team.canonical.read_bytes()
    result = team.sync()
    assert "nothing new" in result.output
    assert team.canonical.read_bytes() == before


def test_corrupt_copy_is_refused_in_one_line_and_others_still_sync(team):
    (team.inbox / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    (team.inbox / "~$tracker.xlsx").write_bytes(b"\x05Maria   lock")  # Excel's lock file: ignored
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))
    result = team.sync()
    assert team.by_id()["T-1"]["Status"] == "Done"
    refused = [line for line in result.output.splitlines() if "broken.xlsx" in line]
    assert len(refused) == 1
    assert "~$tracker" not in result.output
    from click.testing import CliRunner

    from syncd.cli import main

    status = CliRunner().invoke(main, ["status", "-c", str(team.config)])
    assert "broken.xlsx" in status.output and "Generation 2" in status.output


def test_copies_from_before_syncd_merge_by_majority(tmp_path):
    """First sync, three copies of an unknown original: each person's edit survives."""
    t = Team(tmp_path)
    base = [list(r) for r in ROWS]

    def variant(edit):
        rows = [list(r) for r in base]
        edit(rows)
        return rows

    write_copy(t.inbox / "a.xlsx", COLUMNS, variant(lambda r: r[0].__setitem__(3, "Done")), author="A", modified=at(1))
    write_copy(t.inbox / "b.xlsx", COLUMNS, variant(lambda r: r[1].__setitem__(2, "Zoe")), author="B", modified=at(2))
    write_copy(t.inbox / "c.xlsx", COLUMNS, variant(lambda r: r.reverse()), author="C", modified=at(3),
               title_line="Team tracker")
    t.sync()
    rows = t.by_id()
    assert rows["T-1"]["Status"] == "Done" and rows["T-2"]["Owner"] == "Zoe"
    assert len(rows) == len(ROWS)


def test_retyped_titles_without_key_still_line_up(tmp_path):
    t = Team(tmp_path, key=None)
    cols = ["Task", "Owner", "Status"]
    rows = [["Draft Q3 newsletter", "Ann", "Open"], ["Book venue for launch", "Bob", "Open"],
            ["Q3 budget review", "Cleo", "Open"], ["Q4 budget review", "Cleo", "Open"]]
    write_copy(t.inbox / "orig.xlsx", cols, rows, author="M", modified=at(1))
    t.sync()
    # every title retyped, rows re-sorted, one status changed; made from the canonical so it carries ids
    def edit(ws):
        for r in range(2, 6):
            ws.cell(r, 1).value = ws.cell(r, 1).value.lower().replace("venue", "venu")
        ws.cell(3, 3).value = "Done"

    copy_from_canonical(t.canonical, t.inbox / "typed.xlsx", author="X", modified=at(2), edit=edit)
    t.sync()
    got = {r["Task"]: r for r in t.rows()}
    assert len(got) == 4
    assert "book venu for launch" in got and got["book venu for launch"]["Status"] == "Done"
    assert got["q3 budget review"]["Status"] == "Open"


def test_dry_run_writes_nothing_and_json_stays_clean(team):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))
    before = team.canonical.read_bytes()
    result = team.sync("--dry-run")
    assert "dry run" in result.output and "ann.xlsx" in result.output
    assert team.canonical.read_bytes() == before
    report = team.sync_json()  # the dry run did not mark the copy as taken
    assert report["written"] and report["changes"] == 1


def test_config_error_exits_2_naming_the_key(tmp_path):
    cfg = tmp_path / "syncd.toml"
    cfg.write_text('[[tracker]]\nname = "t"\ncanonical = "c.xlsx"\n[[tracker.source]]\ntype = "folder"\n')
    from click.testing import CliRunner

    from syncd.cli import main

    result = CliRunner().invoke(main, ["sync", "-c", str(cfg)])
    assert result.exit_code == 2
    assert "tracker[0].source[0].path" in result.output


def test_subprocess_sync_piped_output_has_no_progress_noise(team):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))
    proc = team.sync_subprocess("--json")
    assert proc.returncode == 0, proc.stderr
    import json

    data = json.loads(proc.stdout)
    assert data["trackers"][0]["generation"] == 2
    assert "\r" not in proc.stderr


def test_formatting_people_gave_the_canonical_survives_a_sync(team):
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.load_workbook(team.canonical)
    ws = wb["Tasks"]
    ws["B1"].font = Font(bold=True, color="FFC00000", size=13)
    ws.column_dimensions["B"].width = 47
    for r in range(2, 8):
        ws.cell(r, 6).number_format = '"$"#,##0'
        ws.cell(r, 4).fill = PatternFill("solid", fgColor="FFDDEEFF")
    dv = DataValidation(type="list", formula1='"Not started,In progress,Blocked,Done"')
    dv.add("D2:D200")
    ws.add_data_validation(dv)
    ws.freeze_panes = "C2"
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Team notes: budget approved by finance"
    wb.save(team.canonical)
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: (set_value(ws, "T-2", "Budget", 13000),
                                         add_row(ws, {"ID": "T-7", "Task": "Order swag", "Budget": 250})))
    team.sync()
    wb = openpyxl.load_workbook(team.canonical)
    ws = wb["Tasks"]
    assert ws["B1"].font.bold and ws["B1"].font.color.rgb == "FFC00000"
    assert ws.column_dimensions["B"].width == 47
    assert ws.freeze_panes == "C2"
    assert any("D2" in str(v.sqref) for v in ws.data_validations.dataValidation)
    assert wb["Notes"]["A1"].value == "Team notes: budget approved by finance"
    budgets = {ws.cell(r, 1).value: ws.cell(r, 6) for r in range(2, ws.max_row + 1)}
    assert budgets["T-2"].value == 13000 and budgets["T-2"].number_format == '"$"#,##0'
    assert budgets["T-7"].number_format == '"$"#,##0'  # the new row takes its column's format


def test_canonical_edited_while_merging_is_merged_again_not_overwritten(team, monkeypatch):
    """Someone saves the canonical while syncd is merging: their edit must survive."""
    import syncd.core.taking as taking
    from builders import copy_from_canonical as edit_canonical

    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))
    real_merge = taking.merge
    calls = {"n": 0}

    def merge_while_someone_saves(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # during the first attempt, the lead saves the canonical in Excel
            edit_canonical(team.canonical, team.canonical, author="Lead",
                           edit=lambda ws: set_value(ws, "T-3", "Owner", "Lead"))
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(taking, "merge", merge_while_someone_saves)
    team.sync()
    rows = team.by_id()
    assert rows["T-1"]["Status"] == "Done" and rows["T-3"]["Owner"] == "Lead"


def test_progress_shows_on_a_terminal_only(team):
    """On a terminal a sync says which copy it is reading; piped output stays clean (checked above)."""
    import os
    import pty
    import subprocess
    import sys

    for n in range(3):
        copy_from_canonical(team.canonical, team.inbox / f"copy{n}.xlsx", author="Ann", modified=at(2 + n),
                            edit=lambda ws, n=n: set_value(ws, "T-1", "Budget", 100 + n))
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "syncd", "sync", "-c", str(team.config)], stdout=follower,
                            stderr=follower, env={**os.environ, "SYNCD_PROGRESS_DELAY": "0"})
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    text = out.decode(errors="replace")
    assert "reading copy0.xlsx" in text and "merging copy2.xlsx" in text


def test_rows_added_and_deleted_directly_in_the_canonical_are_kept(team):
    copy_from_canonical(team.canonical, team.canonical, author="Lead",
                        edit=lambda ws: (add_row(ws, {"ID": "T-9", "Task": "Plan offsite", "Owner": "Lead"}),
                                         delete_row(ws, "T-4")))
    team.sync()
    # a copy made before those edits changes something else; neither edit is undone
    copy_from_canonical(team.root / "canonical" / "tasks.xlsx", team.inbox / "ann.xlsx", author="Ann",
                        modified=at(9), edit=lambda ws: set_value(ws, "T-1", "Owner", "Zed"))
    team.sync()
    rows = team.by_id()
    assert rows["T-9"]["Task"] == "Plan offsite" and "T-4" not in rows and rows["T-1"]["Owner"] == "Zed"
    archived = team.sheet("Archive")
    assert [a["ID"] for a in archived] == ["T-4"] and archived[0]["From file"] == "tasks.xlsx"
    ids = [r["ID"] for r in team.rows()]
    assert len(ids) == len(set(ids))


def test_a_sync_lets_go_of_the_tables_its_merges_remembered(team, monkeypatch):
    # a daemon waits between syncs with what its last sync left behind: no copy's table
    from syncd.merge import memo

    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "In progress"))
    at_the_end = []
    forget = memo.forget
    monkeypatch.setattr(memo, "forget", lambda: (at_the_end.append(memo.size()), forget()))
    assert team.sync_json()["written"]
    assert at_the_end and at_the_end[-1] > 0  # the merge remembered facts about its tables
    assert memo.size() == 0
