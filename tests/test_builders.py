"""The test builders make the files they promise, and the committed demo copies tell the story
the demo README tells. Scenario tests lean on both, so a builder that silently wrote the wrong
author, time or hidden id would make those tests prove nothing."""

from __future__ import annotations

import datetime as dt
import importlib.util
import zipfile
from pathlib import Path

import openpyxl
import pytest

from builders import (add_row, copy_from_canonical, delete_row, read_meta, read_row_ids, read_values,
                      resave_with_libreoffice, set_value, sort_rows, write_copy)

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"
COLUMNS = ["ID", "Task", "Status", "Due", "Budget"]
ROWS = [
    ["T-1", "Book venue", "Done", dt.date(2024, 5, 1), 1500],
    ["T-2", "Print flyers", "Not started", dt.date(2024, 5, 20), 300.5],
    ["T-3", "Send invites", "In progress", None, None],
]
META = {"tracker": "events", "lineage": "L-7f3a", "generation": 4}


def _canonical_like(path: Path) -> Path:
    return write_copy(path, COLUMNS, ROWS, title_line="Events tracker", row_ids=["r1", "r2", "r3"],
                      meta=META, author="syncd", modified=dt.datetime(2024, 4, 30, 18, 0))


def test_write_copy_puts_the_person_and_time_in_the_file_properties(tmp_path):
    path = write_copy(tmp_path / "Ann's copy.xlsx", COLUMNS, ROWS, author="Ann Lee",
                      modified=dt.datetime(2024, 3, 4, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=2))))

    props = openpyxl.load_workbook(path).properties
    assert props.creator == "Ann Lee"
    assert props.lastModifiedBy == "Ann Lee"
    # stored as UTC, and not overwritten with the time of saving
    assert props.modified == dt.datetime(2024, 3, 4, 7, 15)


def test_write_copy_without_author_names_nobody(tmp_path):
    path = write_copy(tmp_path / "a.xlsx", COLUMNS, ROWS)
    # read the XML itself: openpyxl reports a missing creator as "openpyxl"
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode()
    assert "creator" not in core and "lastModifiedBy" not in core


def test_write_copy_hides_ids_and_meta_and_readers_give_them_back(tmp_path):
    path = _canonical_like(tmp_path / "canonical.xlsx")

    wb = openpyxl.load_workbook(path)
    ws = wb["Tasks"]
    assert ws["A1"].value == "Events tracker" and ws["A3"].value == "ID"
    assert ws.column_dimensions["F"].hidden and ws["F3"].value == "syncd id"
    assert wb["_syncd"].sheet_state == "hidden"
    assert read_values(path) == [dict(zip(COLUMNS, r)) for r in ROWS]
    assert read_row_ids(path) == ["r1", "r2", "r3"]
    assert read_meta(path) == META


def test_copy_from_canonical_keeps_each_id_with_its_row_through_a_persons_edits(tmp_path):
    canonical = _canonical_like(tmp_path / "canonical.xlsx")

    def edit(ws):
        set_value(ws, "T-2", "Status", "Done")
        set_value(ws, "T-1", "Budget", None)  # a person clearing a cell
        delete_row(ws, "T-3")
        add_row(ws, {"ID": "T-4", "Task": "Order badges", "Due": dt.date(2024, 5, 2)})
        sort_rows(ws, "Due", reverse=True)

    copy = copy_from_canonical(canonical, tmp_path / "RE events.xlsx", edit=edit, author="Bo Chen",
                               modified=dt.datetime(2024, 5, 3, 12, 0))

    assert [(r["ID"], r["Status"], r["Budget"]) for r in read_values(copy)] == [
        ("T-2", "Done", 300.5), ("T-4", None, None), ("T-1", "Done", None)]
    assert read_row_ids(copy) == ["r2", None, "r1"]
    assert read_meta(copy) == META
    props = openpyxl.load_workbook(copy).properties
    assert (props.creator, props.lastModifiedBy, props.modified) == ("syncd", "Bo Chen", dt.datetime(2024, 5, 3, 12, 0))


@pytest.mark.libreoffice
def test_libreoffice_resave_keeps_the_hidden_meta_sheet_and_ids(tmp_path):
    canonical = _canonical_like(tmp_path / "canonical.xlsx")

    resaved = resave_with_libreoffice(canonical, tmp_path / "lo" / "Events tracker.xlsx")

    assert resaved.exists()
    assert read_meta(resaved) == META
    assert read_row_ids(resaved) == ["r1", "r2", "r3"]
    assert read_values(resaved) == [dict(zip(COLUMNS, r)) for r in ROWS]
    assert openpyxl.load_workbook(resaved)["_syncd"].sheet_state == "hidden"


def _load_demo_script():
    spec = importlib.util.spec_from_file_location("make_copies", DEMO / "make_copies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_demo_copies_are_what_make_copies_writes(tmp_path):
    demo = _load_demo_script()
    demo.write_copies(tmp_path)

    committed = sorted(p.name for p in (DEMO / "inbox").iterdir())
    assert committed == sorted(p.name for p in tmp_path.iterdir())
    for name in committed:
        if name.startswith("~$"):
            assert (DEMO / "inbox" / name).read_bytes() == (tmp_path / name).read_bytes()
            continue
        assert read_values(DEMO / "inbox" / name) == read_values(tmp_path / name), name
        ours = openpyxl.load_workbook(DEMO / "inbox" / name).properties
        fresh = openpyxl.load_workbook(tmp_path / name).properties
        assert (ours.lastModifiedBy, ours.modified) == (fresh.lastModifiedBy, fresh.modified), name


def test_demo_expected_result_matches_the_copies():
    demo = _load_demo_script()
    expected = demo.expected_result()
    inbox = DEMO / "inbox"
    by_file = {f["file"]: f for f in expected["files"]}

    # the conflict really is there: both copies changed T-009's Status, to different values
    conflict = expected["conflicts"][0]
    seen = {}
    for v in conflict["values"]:
        row = next(r for r in read_values(inbox / v["file"]) if r["ID"] == "T-009")
        seen[v["file"]] = row["Status"]
        assert row["Status"] == v["value"] != conflict["base"]
        props = openpyxl.load_workbook(inbox / v["file"]).properties
        assert props.lastModifiedBy == v["author"] and props.modified == by_file[v["file"]]["modified"]
    assert len(set(seen.values())) == 2

    sam = read_values(inbox / "Campaign tracker (Sam edits).xlsx")
    assert expected["deleted"] == ["T-020"] and "T-020" not in {r["ID"] for r in sam}
    assert list(sam[0]) == ["ID", "Task", "Campaign", "Channel", "Assignee", "Status", "Due", "Notes", "Budget"]
    # every surviving ID appears in some copy with exactly the expected value in each certain cell
    copies = [read_values(inbox / f["file"]) for f in expected["files"]]
    for key, cells in expected["rows"].items():
        for column, value in cells.items():
            found = {r.get(column, r.get("Assignee") if column == "Owner" else None)
                     for c in copies for r in c if r["ID"] == key}
            assert value in found, (key, column, value, found)
    # the stale copy is older than every copy but Maria's original
    times = sorted(expected["files"], key=lambda f: f["modified"])
    assert [f["file"] for f in times[:2]] == ["Campaign tracker.xlsx", "tracker_v2_final(2).xlsx"]
