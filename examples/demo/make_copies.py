"""Write the demo's mailed copies of Maria's "Campaign tracker" into inbox/.

This is the story the demo tells (see README.md beside this file): Maria mailed her tracker round,
four people each edited their own copy, and nobody's copy has been through syncd yet. Run once to
(re)write the committed files; the output is byte-for-byte the same on every run:

    python examples/demo/make_copies.py              # writes examples/demo/inbox/
    python examples/demo/make_copies.py --out DIR    # writes the copies into DIR instead
    python examples/demo/make_copies.py --expected   # prints what syncd should produce, as JSON

``expected_result()`` gives the same description as Python values (dates as ``datetime.date``) for
tests that import this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import struct
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.functions import tostring

HERE = Path(__file__).resolve().parent
SHEET = "Tasks"
TITLE_LINE = "Q3 Campaign tracker — Marketing"
HEADER_ROW = 3
COLUMNS = ["ID", "Task", "Campaign", "Channel", "Owner", "Status", "Due", "Budget", "Notes"]
STATUSES = ["Not started", "In progress", "Blocked", "Done"]
WIDTHS = {"ID": 8, "Task": 44, "Campaign": 20, "Channel": 13, "Owner": 11, "Assignee": 11,
          "Status": 13, "Due": 12, "Budget": 11, "Notes": 46}
# Created once by Maria; every copy keeps that creation time, as a copied file does.
CREATED = dt.datetime(2024, 6, 24, 8, 30)
D = dt.date

# The tracker as Maria mailed it: the common ancestor of every copy.
ORIGINAL: list[list] = [
    ["T-001", "Write back-to-school email sequence", "Back to School", "Email", "Maria", "Done", D(2024, 7, 5), 500, "Three emails; copy approved"],
    ["T-002", "Design hero banner for homepage", "Back to School", "Web", "Sam", "In progress", D(2024, 7, 12), 1200, None],
    ["T-003", "Set up paid search campaign", "Back to School", "Paid search", "Dev", "In progress", D(2024, 7, 15), 8000, "Budget split 60/40 Google/Bing"],
    ["T-004", "Brief influencers on school kits", "Back to School", "Social", "Priya", "Not started", D(2024, 7, 19), 6500, None],
    ["T-005", "Print in-store posters", "Back to School", "Print", "Lena", "Not started", D(2024, 7, 22), 2400, "A2 and A3 sizes"],
    ["T-006", "Book stand at Education Expo", "Back to School", "Events", "Omar", "In progress", D(2024, 7, 26), 3500, "Stand 14B held until 10 July"],
    ["T-007", "Schedule back-to-school social posts", "Back to School", "Social", "Priya", "Not started", D(2024, 7, 29), 300, None],
    ["T-008", "Press release: autumn range", "Autumn Launch", "PR", "Maria", "Not started", D(2024, 8, 2), 750, None],
    ["T-009", "Launch loyalty prize draw", "Loyalty Relaunch", "Email", "Dev", "In progress", D(2024, 8, 5), 2000, None],
    ["T-010", "Update loyalty terms page", "Loyalty Relaunch", "Web", "Sam", "Not started", D(2024, 8, 7), None, "Waiting for legal copy"],
    ["T-011", "Recieve print proofs for autumn catalogue", "Autumn Launch", "Print", "Lena", "Not started", D(2024, 8, 8), 9500, "Printer: Hall & Sons"],
    ["T-012", "Film autumn product video", "Autumn Launch", "Social", "Omar", "Not started", D(2024, 8, 9), 7200, "Studio booked"],
    ["T-013", "Autumn launch landing page", "Autumn Launch", "Web", "Sam", "Not started", D(2024, 8, 14), 1500, None],
    ["T-014", "Retarget basket abandoners", "Autumn Launch", "Paid search", "Dev", "Not started", D(2024, 8, 16), 4000, None],
    ["T-015", "Loyalty welcome email redesign", "Loyalty Relaunch", "Email", "Priya", "Not started", D(2024, 8, 19), 1200, None],
    ["T-016", "Customer survey for loyalty members", "Loyalty Relaunch", "Email", "Maria", "Not started", D(2024, 8, 21), 400, "Use the 2023 questions as a base"],
    ["T-017", "Organise autumn launch event", "Autumn Launch", "Events", "Lena", "Not started", D(2024, 8, 23), 12000, "Venue shortlist in shared drive"],
    ["T-018", "Influencer unboxing kits", "Autumn Launch", "Social", "Priya", "Not started", D(2024, 8, 28), 5000, None],
    ["T-019", "Black Friday teaser plan", "Black Friday Teaser", "Email", "Maria", "Not started", D(2024, 9, 2), None, "Outline only for now"],
    ["T-020", "Radio spot for autumn launch", "Autumn Launch", "PR", "Omar", "Not started", D(2024, 9, 4), 15000, "Probably out of budget"],
    ["T-021", "Update brand guidelines deck", "Autumn Launch", "Web", "Sam", "Not started", D(2024, 9, 6), 0, None],
    ["T-022", "Loyalty app push notifications", "Loyalty Relaunch", "Web", "Dev", "Not started", D(2024, 9, 9), 800, None],
    ["T-023", "Black Friday landing page wireframe", "Black Friday Teaser", "Web", "Sam", "Not started", D(2024, 9, 13), 600, None],
    ["T-024", "Autumn catalogue mail drop", "Autumn Launch", "Print", "Lena", "Not started", D(2024, 9, 16), 6800, "Mailing list from CRM export"],
    ["T-025", "Campaign results report", "Back to School", "Email", "Maria", "Not started", D(2024, 9, 30), None, "Numbers for the Q3 review"],
]

NEW_TASK = ["T-026", "Book photographer for loyalty shoot", "Loyalty Relaunch", "Social", "Dev", "Not started", D(2024, 8, 20), 1800, "Two quotes requested"]
PRIYA_NOTE = "Blocked: legal has not approved the prize draw terms yet"


def _copies() -> list[dict]:
    """Every mailed copy: file name, who saved it and when (UTC), its header and rows, its edits."""
    return [
        dict(file="Campaign tracker.xlsx", author="Maria Lopez", modified=dt.datetime(2024, 7, 1, 9, 12),
             role="original", edits=[]),
        dict(file="tracker_v2_final(2).xlsx", author="Omar Haddad", modified=dt.datetime(2024, 7, 1, 16, 40),
             role="stale copy of the original",
             edits=[("set", "T-017", "Owner", "Omar")]),
        dict(file="RE Campaign tracker - Dev.xlsx", author="Dev Patel", modified=dt.datetime(2024, 7, 2, 11, 5),
             role="sorted by Due, two statuses, a new task, one new date",
             edits=[("set", "T-004", "Status", "In progress"), ("set", "T-009", "Status", "Done"),
                    ("set", "T-012", "Due", D(2024, 8, 16)), ("sort", "Due"), ("add", NEW_TASK)]),
        dict(file="Campaign tracker (Sam edits).xlsx", author="Sam Carter", modified=dt.datetime(2024, 7, 2, 15, 20),
             role="renamed Owner, moved Budget, two budgets, one deletion, one typo",
             edits=[("set", "T-006", "Budget", 4200), ("set", "T-015", "Budget", 950),
                    ("set", "T-011", "Task", "Receive print proofs for autumn catalogue"), ("delete", "T-020"),
                    ("rename", "Owner", "Assignee"), ("move_to_end", "Budget")]),
        dict(file="Campaign tracker - Priya.xlsx", author="Priya Nair", modified=dt.datetime(2024, 7, 3, 9, 47),
             role="status conflicting with Dev's, and a note",
             edits=[("set", "T-009", "Status", "Blocked"), ("set", "T-009", "Notes", PRIYA_NOTE)]),
    ]


def _apply(edits: list[tuple]) -> tuple[list[str], list[list]]:
    """The original with one person's edits, in the order that person made them."""
    columns = list(COLUMNS)
    rows = [list(r) for r in ORIGINAL]
    for edit in edits:
        kind = edit[0]
        if kind == "set":
            _, key, column, value = edit
            row = next(r for r in rows if r[0] == key)
            row[columns.index(column)] = value
        elif kind == "sort":
            i = columns.index(edit[1])
            rows.sort(key=lambda r: r[i])  # stable, like Excel's sort
        elif kind == "add":
            rows.append(list(edit[1]))
        elif kind == "delete":
            rows = [r for r in rows if r[0] != edit[1]]
        elif kind == "rename":
            columns[columns.index(edit[1])] = edit[2]
        elif kind == "move_to_end":
            i = columns.index(edit[1])
            columns.append(columns.pop(i))
            rows = [r[:i] + r[i + 1:] + [r[i]] for r in rows]
    return columns, rows


def _workbook(columns: list[str], rows: list[list]) -> Workbook:
    """Maria's layout: a title line, the header on row 3 (bold, frozen, filtered), widths, formats."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"] = TITLE_LINE
    ws["A1"].font = Font(bold=True, size=14)
    for c, name in enumerate(columns, start=1):
        cell = ws.cell(HEADER_ROW, c, name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS[name]
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c, value)
            if columns[c - 1] == "Due":
                cell.number_format = "d mmm yyyy"
            elif columns[c - 1] == "Budget":
                cell.number_format = '"$"#,##0'
    last = HEADER_ROW + len(rows)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{last}"
    status = get_column_letter(columns.index("Status") + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True)
    dv.add(f"{status}{HEADER_ROW + 1}:{status}200")
    ws.add_data_validation(dv)
    return wb


def _save(wb: Workbook, path: Path, author: str, modified: dt.datetime) -> None:
    """Save with the person's docProps. openpyxl stamps ``modified`` with the current time on every
    save, so core.xml is rewritten afterwards; zip entry times are pinned too, so reruns give the
    same bytes and git sees no change."""
    wb.properties.creator = author
    wb.properties.lastModifiedBy = author
    wb.properties.created = CREATED
    buf = io.BytesIO()
    wb.save(buf)
    wb.properties.modified = modified
    core = tostring(wb.properties.to_tree())
    stamp = modified.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info)
            dst.writestr(zipfile.ZipInfo(info.filename, stamp), data, zipfile.ZIP_DEFLATED)
    path.write_bytes(out.getvalue())
    when = modified.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (when, when))


def _lock_file(owner: str) -> bytes:
    """The 162-byte owner file Excel leaves beside a workbook it has open (``~$name.xlsx``)."""
    ansi = owner.encode("ascii")[:53]
    wide = owner.encode("utf-16-le")
    return bytes([len(ansi)]) + ansi.ljust(53, b" ") + struct.pack("<H", len(owner)) + wide.ljust(106, b" ")[:106]


def write_copies(out: Path) -> list[Path]:
    """Write every mailed copy plus Maria's Excel lock file into ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for copy in _copies():
        columns, rows = _apply(copy["edits"])
        path = out / copy["file"]
        _save(_workbook(columns, rows), path, copy["author"], copy["modified"])
        written.append(path)
    lock = out / "~$Campaign tracker.xlsx"
    lock.write_bytes(_lock_file("Maria Lopez"))
    written.append(lock)
    return written


def expected_result() -> dict:
    """What a first sync of inbox/ should produce, keyed by the ORIGINAL column names.

    ``rows`` maps each surviving ID to the final value of every cell whose outcome is certain;
    the conflicting cell (T-009 Status) is left out of it and described under ``conflicts``.
    ``column_renames`` says the canonical may show Owner as Assignee (Sam's rename); the values
    are the same either way. Times are naive UTC ``datetime``s (``...Z`` strings in the JSON),
    as openpyxl reads docProps ``modified``.
    """
    rows = {r[0]: dict(zip(COLUMNS, r)) for r in ORIGINAL}
    edits, renames = [], []
    for copy in _copies():
        for edit in copy["edits"]:
            if edit[0] == "set":
                _, key, column, value = edit
                edits.append(dict(file=copy["file"], author=copy["author"], id=key, column=column,
                                  before=rows[key][column] if key in rows else None, after=value))
            elif edit[0] == "rename":
                renames.append({"from": edit[1], "to": edit[2], "file": copy["file"], "author": copy["author"]})
    deleted = {"T-020": dict(rows["T-020"])}
    conflict_cells = {("T-009", "Status")}
    for e in edits:
        if (e["id"], e["column"]) not in conflict_cells:
            rows[e["id"]][e["column"]] = e["after"]
    rows["T-026"] = dict(zip(COLUMNS, NEW_TASK))
    for key in deleted:
        del rows[key]
    del rows["T-009"]["Status"]
    by_file = {c["file"]: c for c in _copies()}
    dev, priya = by_file["RE Campaign tracker - Dev.xlsx"], by_file["Campaign tracker - Priya.xlsx"]
    return {
        "tracker": "campaign",
        "sheet": SHEET,
        "key": "ID",
        "title": "Task",
        "columns": list(COLUMNS),
        "column_renames": renames,
        "rows": rows,
        "conflicts": [{
            "id": "T-009", "column": "Status", "base": "In progress",
            "values": [
                {"file": dev["file"], "author": dev["author"], "modified": dev["modified"], "value": "Done"},
                {"file": priya["file"], "author": priya["author"], "modified": priya["modified"], "value": "Blocked"},
            ],
        }],
        "deleted": sorted(deleted),
        "deleted_rows": deleted,
        "added": ["T-026"],
        "edits": edits,
        "files": [{k: c[k] for k in ("file", "author", "modified", "role")} for c in _copies()],
        "ignored_files": ["~$Campaign tracker.xlsx"],
    }


def _json_default(value):
    if isinstance(value, dt.datetime):  # every time here is UTC, as docProps records it
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "inbox", help="folder to write the copies into")
    parser.add_argument("--expected", action="store_true",
                        help="print the expected result of a first sync as JSON instead of writing files")
    args = parser.parse_args(argv)
    if args.expected:
        json.dump(expected_result(), sys.stdout, default=_json_default, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    for path in write_copies(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
