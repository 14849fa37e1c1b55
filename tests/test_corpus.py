"""Every file of the real-world corpus through ``read_sheet``, each in its own process with a time
limit and a 2 GiB address-space limit, so a reader that hangs, aborts or balloons on one file
fails that file's test instead of taking the run down.

must_reject files must come back as one clean CopyRejected line naming the file. ok files must be
read, and a sample of what was read must match an independent reader (openpyxl for the .xlsx
family; calamine's raw grid for the others). The only ok files allowed to be refused are listed
in NO_TABLE, each with the reason: workbooks that genuinely hold no cell values.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SYNCD_CORPUS", REPO.parent / "shared" / "corpus" / "real"))
MANIFEST = CORPUS / "MANIFEST.tsv"
TIME_LIMIT = 30  # seconds per file
SAMPLE_ROWS = 5

if not MANIFEST.exists():
    pytest.skip(f"real-world corpus not found at {CORPUS} (set SYNCD_CORPUS)", allow_module_level=True)

with MANIFEST.open(newline="", encoding="utf-8") as f:
    EXPECTED = {row["file"]: row["expected"] for row in csv.DictReader(f, delimiter="\t")}

#: ok files whose visible sheets hold no cell values at all, so "no table found" is the right answer.
NO_TABLE = {
    "calamine__picture.ods": "three sheets holding only a picture, no cell values",
    "closedxml__LO_tdf105840_allRowsHidden.xlsx": "formatted, hidden rows without any value",
    "npoi__HugeStyles.xlsx": "45,000 styled rows without any value",
    "npoi__TestGetShapes.xlsx": "drawing shapes only, no cell values",
    "phpss__grouped_images.xlsx": "grouped images only, no cell values",
    "phpss__issue.4800.xlsx": "five sheets, none with a cell value",
    "sheetjs__BlankSheetTypes.xlsm": "a blank worksheet plus macro, dialog and chart sheets",
    "xlrd__sample.ods": "an empty sheet",
}

#: ok files where the independent reader is the one that is wrong; values are not compared.
KNOWN_DIFFERENCES = {
    "phpss__issue.3654.xlsx": "built-in number format 58 is an East Asian date format; openpyxl does not know it and "
    "gives the raw serial number where syncd (calamine) gives the date Excel shows",
    "phpss__issue.3770.xlsx": "a shared string ends in a space written without xml:space='preserve'; calamine drops "
    "that space, openpyxl keeps it",
    "sheetjs__LONumbers.xlsx": "[h]:mm:ss duration cells: openpyxl gives the number of days, syncd the duration as "
    "shown (e.g. -28:48:00)",
}

#: ok files no other available reader can open: what syncd reads is checked against known cells.
NO_REFERENCE = {
    "poi__testEXCEL_3.xls": ("3", ["1/", "Fresh", "Fresh", "Fresh", "Processed", "Processed", "Processed"]),
    "poi__testEXCEL_4.xls": ("2", ["Examination, by Type and Size of Return  "]),
    "sheetjs__crlf_CRLFX5_2.XLS": ("2", ["Formula", "abc\r\ndef"]),
    "phpss__issue.804.ods": ("2", ["Fodfdsnad", "addas"]),
}

CHILD = textwrap.dedent(
    r"""
    import datetime as dt, json, resource, sys, warnings
    warnings.simplefilter("ignore")
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_LIMIT, TIME_LIMIT))
    from syncd.errors import CopyRejected
    from syncd.workbook.read import read_sheet

    def norm(v):
        if v is None:
            return None
        if isinstance(v, dt.timedelta):
            if dt.timedelta(0) <= v < dt.timedelta(days=1):
                return (dt.datetime.min + v).time().isoformat()
            secs = round(v.total_seconds())
            return f"{'-' if secs < 0 else ''}{abs(secs) // 3600}:{abs(secs) // 60 % 60:02d}:{abs(secs) % 60:02d}"
        if isinstance(v, str):
            if not v.strip() or (v.startswith("#") and (v.endswith("!") or v.endswith("?") or v == "#N/A")):
                return None  # error cells: calamine gives no value, openpyxl the error text
            return v.replace("_x000d_", "\r").replace("_x000D_", "\r")
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (int, float)):
            return format(float(v), ".9g")
        if isinstance(v, dt.datetime) and v.time() == dt.time(0):
            return v.date().isoformat()
        return v.isoformat()

    def values(row):
        return sorted(x for x in map(norm, row) if x is not None)

    path = sys.argv[1]
    try:
        got = read_sheet(path)
    except CopyRejected as e:
        print(json.dumps({"status": "rejected", "text": str(e), "file": e.file, "reason": e.reason}))
        sys.exit(0)
    table = got.table
    sample = list(zip(table.row_numbers, table.rows))[:SAMPLE_ROWS]
    ours = {n: values(row) for n, row in sample}
    wanted = {n for n, _ in sample} | {table.header_row}
    ref, ref_reader = None, None
    if path.lower().endswith((".xlsx", ".xlsm", ".xltx")):
        try:
            import openpyxl
            ws = openpyxl.load_workbook(path, data_only=True)[got.sheet]
            ref = {n: values(next(ws.iter_rows(min_row=n, max_row=n, values_only=True), ())) for n in wanted}
            ref_reader = "openpyxl"
        except Exception:
            ref = None
    if ref is None:
        try:
            import python_calamine
            grid = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name(got.sheet).to_python(skip_empty_area=False)
            ref = {n: values(grid[n - 1]) if n <= len(grid) else [] for n in wanted}
            ref_reader = "calamine"
        except Exception:
            ref = {}
    print(json.dumps({
        "status": "ok", "sheet": got.sheet, "columns": list(table.columns), "rows": len(table),
        "ours": {str(k): v for k, v in ours.items()}, "ref": {str(k): v for k, v in ref.items()}, "ref_reader": ref_reader,
    }))
    """
).replace("TIME_LIMIT, TIME_LIMIT", str(TIME_LIMIT) + ", " + str(TIME_LIMIT)).replace("[:SAMPLE_ROWS]", f"[:{SAMPLE_ROWS}]")


def _run(name: str) -> dict:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(CORPUS / name)],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout"}
    if proc.returncode != 0 or not proc.stdout.strip():
        return {"status": "crashed", "code": proc.returncode, "stderr": proc.stderr[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(EXPECTED, pool.map(_run, EXPECTED)))


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e == "must_reject"))
def test_must_reject_files_are_refused_cleanly(results, name):
    result = results[name]
    assert result["status"] == "rejected", result
    text = result["text"]
    assert "\n" not in text and result["file"] == name and text.startswith(name + ": ")
    message = text[len(name) + 2 :]
    for jargon in ("Traceback", "Error", "Exception", "calamine", "openpyxl", "zipfile"):
        assert jargon not in message


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e == "ok"))
def test_ok_files_are_read_and_match_an_independent_reader(results, name):
    result = results[name]
    if name in NO_TABLE:
        assert result["status"] == "rejected", result
        assert result["reason"].startswith("no table found") and "\n" not in result["text"]
        return
    assert result["status"] == "ok", result
    assert result["columns"], result
    if name in NO_REFERENCE:
        row_number, expected = NO_REFERENCE[name]
        assert result["ours"][row_number] == sorted(expected)
        return
    if name in KNOWN_DIFFERENCES:
        return
    for row_number, values in result["ours"].items():
        assert values == result["ref"].get(row_number), f"row {row_number} differs from the independent reader"
