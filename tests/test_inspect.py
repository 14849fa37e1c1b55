"""`syncd inspect FILE...`: what a person (or a script) learns about attachments before configuring
anything. The output is a fixed contract: per file `ok` with sheet, header, rows and columns, or
`refused:` and the reason; `--json` a list of objects; exit 0 only when every file was read.

Files are real workbooks and CSVs written to tmp_path; the CLI runs in-process (CliRunner), and the
whole real-world corpus goes through `python -m syncd inspect --json` in a child process with a
memory cap, since that is how outside scripts call it.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from builders import copy_from_canonical, set_value, write_copy
from scenario import COLUMNS, ROWS, Team, at
from syncd.cli import main

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SYNCD_CORPUS", REPO.parent / "shared" / "corpus" / "real"))
MANIFEST = CORPUS / "MANIFEST.tsv"
#: keys every --json object carries, whatever the verdict (the contract scripts rely on)
CONTRACT_KEYS = {"file", "ok", "reason", "sheet", "rows", "columns", "header", "format"}


def inspect(*args: str | Path, expect: int | None = None):
    result = CliRunner().invoke(main, ["inspect", *map(str, args)], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, result.output
    return result


def inspect_json(*args: str | Path, expect: int) -> list[dict]:
    result = inspect("--json", *args, expect=expect)
    return json.loads(result.stdout)


def truncated_copy(src: Path, dest: Path) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    return dest


def long_cell_workbook(path: Path) -> Path:
    """A workbook whose cell B2 holds 100,000 characters (Excel itself stops at 32,767, and so does
    openpyxl, so the text goes into the XML directly)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tasks"
    ws.append(["Task", "Notes"])
    ws.append(["Launch", "PLACEHOLDER"])
    wb.save(path)
    with zipfile.ZipFile(path) as zin:
        parts = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in parts:
            zout.writestr(info, data.replace(b"PLACEHOLDER", b"x" * 100_000))
    return path


def as_xlsm(src: Path, dest: Path) -> Path:
    """``src`` re-packaged the way Excel saves a macro-enabled workbook: the macro content type
    and a (here inert) VBA project part."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                    b'"application/vnd.ms-office.vbaProject"/></Types>')
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    return dest


# --- what a person reads ---------------------------------------------------------------------------


def test_a_readable_workbook_shows_sheet_header_and_size(tmp_path):
    path = tmp_path / "RE tracker.xlsx"
    write_copy(path, COLUMNS, ROWS, title_line="Marketing tracker")
    wb = openpyxl.load_workbook(path)
    notes = wb.create_sheet("Read me", 0)  # the tracker is not the first sheet
    notes["A1"] = "Ask Maria before changing the budget column."
    wb.save(path)

    result = inspect(path, expect=0)
    lines = result.output.splitlines()
    assert lines[0] == f'{path}: ok — sheet "Tasks", 6 rows, 6 columns'
    assert lines[1] == "    header (row 3): ID, Task, Owner, Status, Due, Budget"
    assert "other sheets: Read me" in result.output
    assert "Excel workbook (.xlsx)" in result.output


def test_every_file_gets_a_verdict_and_one_refusal_makes_exit_1(tmp_path):
    good = write_copy(tmp_path / "good.xlsx", COLUMNS, ROWS)
    cut = truncated_copy(good, tmp_path / "cut off.xlsx")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "noise.xlsx").write_bytes(os.urandom(4096))
    long_cell = long_cell_workbook(tmp_path / "long.xlsx")

    result = inspect(good, cut, tmp_path / "empty.xlsx", tmp_path / "noise.xlsx", long_cell,
                     tmp_path / "not there.xlsx", expect=1)
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{good}: ok")
    refused = [line for line in lines if ": refused: " in line]
    assert [line.split(": refused: ")[0] for line in refused] == [
        str(cut), str(tmp_path / "empty.xlsx"), str(tmp_path / "noise.xlsx"), str(long_cell),
        str(tmp_path / "not there.xlsx"),
    ]
    said = dict(line.split(": refused: ") for line in refused)
    assert "damaged or incomplete" in said[str(cut)]
    assert "empty" in said[str(tmp_path / "empty.xlsx")]
    assert "not a spreadsheet" in said[str(tmp_path / "noise.xlsx")]
    assert "more than 32,767 characters" in said[str(long_cell)] and "cell B2" in said[str(long_cell)]
    assert "could not be opened" in said[str(tmp_path / "not there.xlsx")]
    assert lines[-1] == "1 of 6 files can be read; 5 refused."
    for line in refused:  # what to do, after the reason; never a library's words
        assert " — " in line and "Error" not in line and "Traceback" not in line


def test_only_readable_files_exit_0(tmp_path):
    a = write_copy(tmp_path / "a.xlsx", COLUMNS, ROWS)
    b = tmp_path / "b.csv"
    b.write_text("Task,Owner\nLaunch,Ann\n", encoding="utf-8")
    inspect(a, b, expect=0)


def test_a_copy_of_the_canonical_says_which_generation_it_was_made_from(tmp_path):
    team = Team(tmp_path)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    mine = copy_from_canonical(team.canonical, tmp_path / "mine.xlsx", edit=lambda ws: set_value(ws, "T-1", "Owner", "Zoe"))

    (item,) = inspect_json(mine, expect=0)
    assert item["tracker"] == "tasks" and item["generation"] == 1
    assert item["header"] == COLUMNS  # syncd's hidden id column is not one of the person's columns
    assert "a copy of syncd's generation 1" in inspect(mine, expect=0).output


def test_sheet_option_reads_that_sheet_or_lists_the_sheets_there_are(tmp_path):
    path = write_copy(tmp_path / "two.xlsx", COLUMNS, ROWS)
    wb = openpyxl.load_workbook(path)
    other = wb.create_sheet("Budget")
    other.append(["Line", "Amount"])
    other.append(["Venue", 12000])
    wb.save(path)

    (item,) = inspect_json("--sheet", "budget", path, expect=0)  # matched ignoring case, as in the config
    assert item["sheet"] == "Budget" and item["header"] == ["Line", "Amount"] and item["rows"] == 1
    (item,) = inspect_json("--sheet", "Timeline", path, expect=1)
    assert not item["ok"] and "no sheet called 'Timeline'" in item["reason"] and "Tasks, Budget" in item["reason"]


# --- the JSON contract -----------------------------------------------------------------------------


def test_json_is_a_list_with_the_contract_keys_for_every_verdict(tmp_path):
    xlsx = write_copy(tmp_path / "t.xlsx", COLUMNS, ROWS)
    xlsm = as_xlsm(xlsx, tmp_path / "macro.xlsm")
    csv_file = tmp_path / "export.csv"
    csv_file.write_bytes("Task;Owner;Budget\nLaunch;Zoë;1200,50\n".encode("cp1252"))
    bad = truncated_copy(xlsx, tmp_path / "bad.xlsx")

    items = inspect_json(xlsx, xlsm, csv_file, bad, expect=1)
    assert [i["file"] for i in items] == [str(xlsx), str(xlsm), str(csv_file), str(bad)]
    for item in items:
        assert CONTRACT_KEYS <= item.keys()
    ok = items[:3]
    assert all(i["ok"] is True and i["reason"] is None for i in ok)
    assert [i["format"] for i in ok] == ["xlsx", "xlsm", "csv"]
    assert (ok[0]["sheet"], ok[0]["rows"], ok[0]["columns"], ok[0]["header"]) == ("Tasks", 6, 6, COLUMNS)
    assert (ok[2]["sheet"], ok[2]["rows"], ok[2]["header"]) == ("export", 1, ["Task", "Owner", "Budget"])
    refused = items[3]
    assert refused["ok"] is False and refused["reason"] and "\n" not in refused["reason"]
    assert refused["advice"] and refused["sheet"] is None and refused["rows"] is None and refused["columns"] is None


def test_inspect_refuses_exactly_what_a_sync_refuses_and_says_it_the_same_way(tmp_path):
    team = Team(tmp_path)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    long_cell = long_cell_workbook(team.inbox / "notes.xlsx")
    (item,) = inspect_json(long_cell, expect=1)

    report = team.sync_json()
    (copy,) = [c for c in report["copies"] if c["file"] == "notes.xlsx"]
    assert copy["status"] == "rejected"
    assert copy["reason"] == f"{item['reason']} — {item['advice']}"


# --- the real-world corpus, as an outside script would run it --------------------------------------


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_corpus_through_inspect_json_refuses_every_hostile_file_in_one_line():
    if not MANIFEST.exists():
        pytest.skip(f"real-world corpus not found at {CORPUS} (set SYNCD_CORPUS)")
    with MANIFEST.open(newline="", encoding="utf-8") as f:
        expected = {row["file"]: row["expected"] for row in csv.DictReader(f, delimiter="\t")}
    from test_corpus import NO_TABLE  # ok files that genuinely hold no table: refused, by design

    names = sorted(expected)
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "inspect", "--json", *(str(CORPUS / n) for n in names)],
        capture_output=True, text=True, timeout=300, cwd=REPO, preexec_fn=_limit_memory,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]  # the corpus holds hostile files
    items = json.loads(proc.stdout)
    assert [Path(i["file"]).name for i in items] == names
    wrong = []
    for name, item in zip(names, items):
        assert CONTRACT_KEYS <= item.keys(), name
        if expected[name] == "must_reject" or name in NO_TABLE:
            if item["ok"] or not item["reason"] or "\n" in item["reason"] or not item["advice"]:
                wrong.append((name, "should be refused in one line with advice", item))
        elif not (item["ok"] and item["columns"] and item["sheet"] and len(item["header"]) == item["columns"]):
            wrong.append((name, "should be read", item))
    assert not wrong, "\n".join(f"{n}: {why}: {item}" for n, why, item in wrong)


def test_an_office_lock_file_is_named_as_such(tmp_path):
    from syncd.core.inspect import inspect_file

    lock = tmp_path / "~$tracker.xlsx"
    lock.write_bytes(b"\x05Maria   " + b"\x00" * 150)
    item = inspect_file(lock)
    assert not item.ok and "Office lock file" in item.reason
