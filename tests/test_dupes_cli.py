"""`syncd dupes FILE`: duplicate rows of any workbook or CSV, for people and for scripts."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from builders import write_copy
from syncd.cli import main

TASKS = ["Task", "Campaign", "Owner"]
TASK_ROWS = [
    ["Draft Q3 newsletter", "Autumn", "Ann"],
    ["Q3 budget review", "Finance", "Cleo"],
    ["Q3 newsletter – draft", "Autumn", "Bob"],
    ["Q4 budget review", "Finance", "Cleo"],
    ["Book venue for launch", "Launch", "Dev"],
    ["Draft the Q3 newsletter (v2)", "Autumn", "Ann"],
    ["Banner v2", "Launch", "Eve"],
    ["Banner v3", "Launch", "Eve"],
]


def dupes(*args: str, expect: int = 0):
    result = CliRunner().invoke(main, ["dupes", *args], catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def write_csv(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows(rows)
    return path


def test_json_on_a_csv_is_the_fixed_contract(tmp_path):
    path = write_csv(tmp_path / "tasks.csv", TASKS, TASK_ROWS)
    out = json.loads(dupes(str(path), "--format", "json").stdout)
    assert list(out) == ["clusters"]
    (cluster,) = out["clusters"]
    assert list(cluster) == ["rows", "score", "why"]
    assert cluster["rows"] == [2, 4, 7]  # spreadsheet rows: the header is row 1
    assert 0.85 <= cluster["score"] <= 1 and isinstance(cluster["why"], str) and cluster["why"]


def test_table_on_an_xlsx_names_rows_as_the_sheet_shows_them(tmp_path):
    # a title line and a blank row above the header: the header is row 3, the first task row 4
    path = write_copy(tmp_path / "tracker.xlsx", TASKS, TASK_ROWS, title_line="Campaign tracker")
    out = dupes(str(path)).stdout
    assert "1 group of possible duplicates in tracker.xlsx" in out
    assert "rows 4, 6, 9" in out
    assert "row 6: Q3 newsletter – draft" in out
    # the Q3/Q4 reviews and banner v2/v3 are different tasks
    assert "budget review" not in out and "Banner" not in out
    js = json.loads(dupes(str(path), "--format", "json").stdout)
    assert [c["rows"] for c in js["clusters"]] == [[4, 6, 9]]


def test_csv_format_lists_each_row_of_each_cluster(tmp_path):
    path = write_csv(tmp_path / "tasks.csv", TASKS, TASK_ROWS)
    lines = list(csv.reader(dupes(str(path), "--format", "csv").stdout.splitlines()))
    assert lines[0] == ["cluster", "row", "score", "text", "why"]
    assert [(r[0], r[1], r[3]) for r in lines[1:]] == [
        ("1", "2", "Draft Q3 newsletter"), ("1", "4", "Q3 newsletter – draft"), ("1", "7", "Draft the Q3 newsletter (v2)")]


def test_no_duplicates_says_so(tmp_path):
    path = write_csv(tmp_path / "tasks.csv", TASKS, [TASK_ROWS[1], TASK_ROWS[3], TASK_ROWS[4]])
    assert "No duplicates found in tasks.csv" in dupes(str(path)).stdout
    assert json.loads(dupes(str(path), "--format", "json").stdout) == {"clusters": []}


PEOPLE = ["Name", "Address", "City", "Phone", "Email"]
PEOPLE_ROWS = [
    ["Robert Smith", "12 Oak Street", "Springfield", "(212) 555-0134", "robert.smith@example.com"],
    ["Mary Smith", "12 Oak Street", "Springfield", "(212) 555-0134", "mary.smith@example.com"],
    ["Bob Smith", "12 Oak St.", "Springfield", "212.555.0134", "ROBERT.SMITH@EXAMPLE.COM"],
    ["Jane Doe", "14 Oak Street", "Springfield", "(212) 555-0199", "jane@example.com"],
    ["J. Doe", "14 Oak St", "", "+1 212 555 0199", ""],
    ["Jane Doe", "9 Elm Road", "Riverside", "(313) 555-0101", "jane.doe@example.org"],
]


def test_columns_match_people_records_with_nicknames_initials_and_formats(tmp_path):
    path = write_csv(tmp_path / "people.csv", PEOPLE, PEOPLE_ROWS)
    out = json.loads(dupes(str(path), "--columns", "Name,Address,City,Phone,Email", "--format", "json").stdout)
    assert sorted(c["rows"] for c in out["clusters"]) == [[2, 4], [5, 6]]
    # Mary lives with Robert but is another person; the Jane Doe on Elm Road is a namesake


def test_threshold_option_changes_what_counts(tmp_path):
    path = write_csv(tmp_path / "people.csv", PEOPLE, PEOPLE_ROWS)

    def flagged(threshold: str) -> set[int]:
        out = json.loads(dupes(str(path), "--columns", "Name,Address,City,Phone,Email", "--threshold", threshold,
                              "--format", "json").stdout)
        return {r for c in out["clusters"] for r in c["rows"]}

    assert 3 not in flagged("0.85")
    assert 3 in flagged("0.5")  # so lax that Mary, at Robert's address and phone, counts as him


def test_usage_mistakes_exit_2_with_the_fix(tmp_path):
    path = write_csv(tmp_path / "people.csv", PEOPLE, PEOPLE_ROWS)
    result = dupes(str(path), "--columns", "Name,Adress", expect=2)
    assert "no column called 'Adress'" in result.output and "Address" in result.output
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a workbook")
    assert "Cannot look for duplicates in junk.xlsx" in dupes(str(junk), expect=2).output
    dupes(str(path), "--threshold", "2", expect=2)
    dupes(str(tmp_path / "missing.csv"), expect=2)
