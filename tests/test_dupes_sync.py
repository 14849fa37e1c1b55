"""Duplicate tasks in a real sync: flagged in the canonical, decisions read back and remembered.

Each test writes real workbooks, runs `syncd sync` as a user would, edits the canonical's Duplicates
sheet with openpyxl the way a person edits it in Excel, and reads the result back with openpyxl.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from builders import add_row, copy_from_canonical, set_value, write_copy
from syncd.core.duplicates import Earlier
from syncd.core.journal import Journal
from syncd.merge.dupes import DupeSettings
from syncd.model import Table
from scenario import COLUMNS, ROWS, Team, at

#: The scenario tracker plus the same newsletter task typed again in another order, by someone else.
DUP_ROWS = ROWS + [["T-7", "Q3 newsletter – draft", "Bob", "Not started", None, 650]]


@pytest.fixture
def team(tmp_path):
    t = Team(tmp_path)
    write_copy(t.inbox / "tracker.xlsx", COLUMNS, DUP_ROWS, author="Maria", modified=at(1))
    t.sync()
    return t


def decide(team: Team, decision: str, cluster: int = 1) -> None:
    """Type a decision into the canonical's Duplicates sheet, as a person would in Excel."""
    wb = openpyxl.load_workbook(team.canonical)
    ws = wb["Duplicates"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("Cluster")].value == cluster:
            row[header.index("Decision")].value = decision
    wb.save(team.canonical)


def test_possible_duplicates_are_listed_highlighted_commented_with_a_dropdown(team):
    (listed,) = team.sheet("Duplicates")
    assert listed["Rows"] == "2, 8"
    assert listed["Tasks"].splitlines() == ["Draft Q3 newsletter", "Q3 newsletter – draft"]
    assert listed["Score"] >= 0.85 and "Task" in listed["Why"]
    assert listed["Decision"] is None

    for task_id, other in (("T-1", 'row 8 "Q3 newsletter – draft"'), ("T-7", 'row 2 "Draft Q3 newsletter"')):
        cell = team.cell(task_id, "Task")
        assert cell.comment is not None and f"Possible duplicate of {other}" in cell.comment.text
        assert "Duplicates sheet" in cell.comment.text
        assert cell.fill.fgColor.rgb not in (None, "00000000")
    # the Q3 and Q4 budget reviews are two tasks: never flagged
    for task_id in ("T-3", "T-4"):
        assert team.cell(task_id, "Task").comment is None

    wb = openpyxl.load_workbook(team.canonical)
    ws = wb["Duplicates"]
    decision_col = openpyxl.utils.get_column_letter([c.value for c in ws[1]].index("Decision") + 1)
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(f"{decision_col}2" in str(dv.sqref) and "keep both" in dv.formula1 and "merge" in dv.formula1
               for dv in lists)


def test_keep_both_is_remembered_and_never_flagged_again(team):
    decide(team, "keep both")
    report = team.sync_json()
    assert report["written"]
    assert team.sheet("Duplicates") == []
    assert team.cell("T-1", "Task").comment is None
    assert len(team.rows()) == 7  # both tasks stay

    # later copies keep arriving; the pair stays decided
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(3),
                        edit=lambda ws: set_value(ws, "T-7", "Status", "In progress"))
    team.sync()
    assert team.sheet("Duplicates") == []
    assert team.cell("T-7", "Task").comment is None
    assert team.by_id()["T-7"]["Status"] == "In progress"


def test_merge_combines_the_rows_flags_differences_and_archives_the_other(team):
    decide(team, "Merge")
    report = team.sync_json()
    assert report["written"]
    rows = team.by_id()
    assert "T-7" not in rows and len(rows) == 6
    kept = rows["T-1"]
    assert kept["Task"] == "Draft Q3 newsletter" and kept["Owner"] == "Ann"  # the top row's values stay
    assert kept["Budget"] == 500

    conflicts = {c["Column"]: c for c in team.sheet("Conflicts")}
    # both rows had an ID, an Owner, a Budget and a title, each different: every other value is kept
    assert conflicts["Owner"]["Kept value"] == "Ann" and conflicts["Owner"]["Other value"] == "Bob"
    assert conflicts["Budget"]["Other value"] == "650"
    owner = team.cell("T-1", "Owner")
    assert owner.comment is not None and "Merged the duplicate" in owner.comment.text and '"Bob"' in owner.comment.text

    (archived,) = team.sheet("Archive")
    assert archived["ID"] == "T-7" and archived["Task"] == "Q3 newsletter – draft"
    assert archived["Reason"] == "merged into row 2 as a duplicate"
    assert team.sheet("Duplicates") == []


def test_merge_fills_empty_cells_from_the_duplicate(tmp_path):
    team = Team(tmp_path)
    rows = ROWS + [["T-7", "Draft the Q3 newsletter (v2)", "Ann", "Not started", dt.date(2026, 7, 1), None]]
    rows[0] = ["T-1", "Draft Q3 newsletter", "Ann", "Not started", None, 500]
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, rows, author="Maria", modified=at(1))
    team.sync()
    assert team.sheet("Duplicates")[0]["Rows"] == "2, 8"
    decide(team, "merge")
    team.sync()
    kept = team.by_id()["T-1"]
    assert kept["Due"] == dt.date(2026, 7, 1) and kept["Budget"] == 500
    assert [c["Column"] for c in team.sheet("Conflicts")] == ["ID", "Task"]


def test_a_decision_syncd_cannot_read_is_reported_and_the_pair_stays_flagged(team):
    decide(team, "mrege please")
    result = team.sync()
    assert "mrege please" in result.output and "keep both" in result.output
    (listed,) = team.sheet("Duplicates")
    assert listed["Rows"] == "2, 8" and listed["Decision"] == "mrege please"
    assert len(team.rows()) == 7


def test_auto_merge_above_merges_without_asking(tmp_path):
    team = Team(tmp_path, extra="[tracker.duplicates]\nauto_merge_above = 0.9")
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, DUP_ROWS, author="Maria", modified=at(1))
    report = team.sync_json()
    assert report["written"]
    assert "T-7" not in team.by_id()
    (archived,) = team.sheet("Archive")
    assert archived["Reason"] == "merged into row 2 as a duplicate"
    assert team.sheet("Duplicates") == []


def test_detection_can_be_switched_off(tmp_path):
    team = Team(tmp_path, extra="[tracker.duplicates]\nenabled = false")
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, DUP_ROWS, author="Maria", modified=at(1))
    team.sync()
    assert "Duplicates" not in openpyxl.load_workbook(team.canonical).sheetnames
    assert team.cell("T-1", "Task").comment is None


@pytest.mark.parametrize("ann_typed, bob_typed", [
    ("Draft Q4 newsletter", "Q4 newsletter - draft"),
    ("Draft Q4 newsletter", "Draft the Q4 newsletter (v2)"),
])
def test_the_same_new_task_added_in_two_copies_becomes_one_row(tmp_path, ann_typed, bob_typed):
    team = Team(tmp_path)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    # neither gives the new task an ID: they only typed its title (differently) and some cells
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2), edit=lambda ws: add_row(
        ws, {"Task": ann_typed, "Owner": "Ann", "Status": "Not started"}))
    copy_from_canonical(team.canonical, team.inbox / "bob.xlsx", author="Bob", modified=at(3), edit=lambda ws: add_row(
        ws, {"Task": bob_typed, "Owner": "Bob", "Budget": 300}))
    report = team.sync_json()
    (row,) = [r for r in team.rows() if "Q4 newsletter" in r["Task"]]
    assert row["Budget"] == 300 and row["Status"] == "Not started"  # each copy's cells are in the one row
    clashes = {c["column"]: c for c in report["conflicts"]}
    assert clashes["Owner"]["kept"] == "Bob" and clashes["Owner"]["others"] == ["Ann"]
    assert set(clashes["Task"]["others"]) | {clashes["Task"]["kept"]} == {ann_typed, bob_typed}
    assert team.sheet("Duplicates") == []
    # the Q4 newsletter is not the Q3 one
    assert team.by_id()["T-1"]["Task"] == "Draft Q3 newsletter"


def test_a_big_tracker_keeps_its_flags_while_later_syncs_search_only_what_changed(tmp_path):
    # Big enough that later syncs search only from the rows that changed and those already flagged:
    # a flagged pair must stay flagged although neither of its rows changed, a new duplicate must be
    # caught, and a flag must go once its rows no longer look alike.
    filler = [[f"T-{n}", f"Prepare deliverable {n} for the partner portal", "Dev", "Not started", None, None]
              for n in range(10, 70)]
    team = Team(tmp_path)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, DUP_ROWS + filler, author="Maria", modified=at(1))
    team.sync()
    assert [r["Rows"] for r in team.sheet("Duplicates")] == ["2, 8"]

    def edit(ws):
        set_value(ws, "T-20", "Status", "Done")  # an unrelated row changes
        add_row(ws, {"ID": "T-99", "Task": "Write the press release", "Owner": "Bob", "Status": "Not started"})

    copy_from_canonical(team.canonical, team.inbox / "bob.xlsx", author="Bob", modified=at(3), edit=edit)
    team.sync()
    listed = {r["Row ids"].split(", ")[0]: r for r in team.sheet("Duplicates")}
    assert team.by_id()["T-20"]["Status"] == "Done"
    assert len(listed) == 2, listed
    assert {"Draft Q3 newsletter", "Write press release"} == {r["Tasks"].splitlines()[0] for r in listed.values()}
    assert any("Write the press release" in r["Tasks"] for r in listed.values())

    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(4),
                        edit=lambda ws: set_value(ws, "T-7", "Task", "Order banner stands for the fair"))
    team.sync()
    assert [r["Tasks"].splitlines()[0] for r in team.sheet("Duplicates")] == ["Write press release"]
    assert team.cell("T-1", "Task").comment is None


    # and the next search would indeed start from the changed and the flagged rows only
    with Journal(team.root / ".syncd" / "journal.sqlite") as journal:
        latest = journal.latest("tasks")
    earlier = Earlier.from_summary(latest.summary, latest.table)
    table = latest.table
    at_id, at_status = table.columns.index("ID"), table.columns.index("Status")
    rows = [list(r) for r in table.rows]
    next(r for r in rows if r[at_id] == "T-30")[at_status] = "Blocked"
    edited = Table(table.columns, tuple(map(tuple, rows)), table.row_ids)
    settings = DupeSettings(title="Task", tracker=True)  # what the sync searched with
    assert sorted(table.rows[n][at_id] for n in earlier.focus(edited, settings)) == ["T-30", "T-6", "T-99"]
    assert earlier.focus(edited, DupeSettings(title="Task", tracker=True, threshold=0.9)) is None


def _formatted_team_with_a_copy(root) -> Team:
    t = Team(root)
    write_copy(t.inbox / "tracker.xlsx", COLUMNS, DUP_ROWS, author="Maria", modified=at(1))
    t.sync()
    from openpyxl.styles import Font

    wb = openpyxl.load_workbook(t.canonical)
    wb["Tasks"]["B1"].font = Font(bold=True, color="FFC00000")
    wb["Tasks"].column_dimensions["B"].width = 41
    wb.save(t.canonical)
    copy_from_canonical(t.canonical, t.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: (set_value(ws, "T-2", "Status", "Done"),
                                         add_row(ws, {"ID": "T-8", "Task": "Write the press release", "Owner": "Eve"})))
    return t


def test_a_big_trackers_search_beside_the_write_gives_the_same_canonical_and_journal(tmp_path, monkeypatch):
    """From 20,000 rows the search runs in a forked process while this one opens the canonical,
    encodes the table for the journal and renders the rows for the write: what comes out must be
    exactly what the plain order gives, the flagged rows' notes and highlights included."""
    import os

    import syncd.core.engine as engine

    plain = _formatted_team_with_a_copy(tmp_path / "plain")
    plain.sync()
    beside = _formatted_team_with_a_copy(tmp_path / "beside")
    searched_in = tmp_path / "searched in"
    real = engine.settle_duplicates

    def noting_where(*args, **kwargs):
        searched_in.write_text(str(os.getpid()))
        return real(*args, **kwargs)

    import syncd.workbook.write as write

    opened_at_write, rendered_ahead = [], []
    monkeypatch.setattr(write, "open_template", lambda *a, **k: opened_at_write.append(a) or None)
    real_render = engine.render_ahead
    monkeypatch.setattr(engine, "render_ahead", lambda *a: rendered_ahead.append(real_render(*a)) or rendered_ahead[-1])
    monkeypatch.setattr(engine, "settle_duplicates", noting_where)
    monkeypatch.setattr(engine, "BESIDE_ROWS", 0)
    beside.sync()
    assert int(searched_in.read_text()) != os.getpid()  # it did run beside
    assert opened_at_write == []  # the write used the canonical opened meanwhile
    assert [len(r.bodies) for r in rendered_ahead] == [len(beside.sheet("Tasks"))]  # and rows rendered meanwhile

    def shown(team, name):  # row ids are drawn anew in each team folder
        return [{k: v for k, v in r.items() if k not in ("syncd id", "Row ids")} for r in team.sheet(name)]

    for name in ("Tasks", "Duplicates", "Conflicts", "Archive"):
        assert shown(beside, name) == shown(plain, name), name
    assert shown(beside, "Duplicates") and beside.by_id()["T-2"]["Status"] == "Done"
    ws = openpyxl.load_workbook(beside.canonical)["Tasks"]
    assert ws["B1"].font.bold and ws["B1"].font.color.rgb == "FFC00000" and ws.column_dimensions["B"].width == 41
    assert beside.cell("T-7", "Task").comment is not None  # still flagged as a duplicate of T-1
    with Journal(beside.root / ".syncd" / "journal.sqlite") as j, Journal(plain.root / ".syncd" / "journal.sqlite") as k:
        assert j.latest("tasks").table.rows == k.latest("tasks").table.rows
        assert j.latest("tasks").table.row_ids == tuple(r["syncd id"] for r in beside.sheet("Tasks"))
        assert j.latest("tasks").gen == k.latest("tasks").gen == 2


def test_titles_are_parsed_ahead_from_the_state_the_merges_so_far_made(tmp_path, monkeypatch):
    # what a sync does while a core waits for its last copies (readers.read_all's idle)
    from pathlib import Path

    import syncd.merge.dupes.score as score
    from syncd.config import DuplicatesConfig, TrackerConfig
    from syncd.core.duplicates import WarmUp
    from syncd.merge import State
    from syncd.model import Table

    monkeypatch.setattr(score, "_memo", {})
    parsed = []
    real = score.normalise_value
    monkeypatch.setattr(score, "normalise_value", lambda kind, v: parsed.append(v) or real(kind, v))
    rows = [[f"Task number {n}", "Ann"] for n in range(2500)]
    ids = [f"r{n}" for n in range(2501)]
    now = [State(Table.from_lists(["Task", "Owner"], rows, ids[:-1]), {})]
    tracker = TrackerConfig("tasks", Path(tmp_path / "c.xlsx"), ())
    warm = WarmUp(tracker, lambda: now[0])
    slices = 0
    while warm():
        slices += 1
    assert slices >= 3 and {f"Task number {n}" for n in range(2500)} <= set(parsed)
    assert not warm()  # nothing left for this state
    before = len(parsed)
    now[0] = State(Table.from_lists(["Task", "Owner"], rows + [["Order the cake", "Bob"]], ids), {})
    while warm():
        pass
    assert parsed[before:] == ["Order the cake", "Bob"]  # a merge brought one row: only it is parsed
    off = WarmUp(TrackerConfig("tasks", Path(tmp_path / "c.xlsx"), (), duplicates=DuplicatesConfig(enabled=False)),
                 lambda: now[0])
    assert not off()
