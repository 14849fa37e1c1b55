"""The bundled demo (what `make demo` syncs) produces exactly the result its README promises."""

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import openpyxl

from builders import read_values
from click.testing import CliRunner

from syncd.cli import main

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"


def _expected():
    spec = importlib.util.spec_from_file_location("make_copies", DEMO / "make_copies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.expected_result()


def _value(v):
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        return dt.date.fromisoformat(v)
    return v


def test_demo_sync_keeps_every_edit_and_flags_the_conflict(tmp_path):
    shutil.copytree(DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns(".syncd", "canonical"))
    result = CliRunner().invoke(main, ["sync", "-c", str(tmp_path / "demo" / "syncd.toml")])
    assert result.exit_code == 0, result.output
    exp = _expected()
    canonical = tmp_path / "demo" / "canonical" / "Campaign tracker.xlsx"
    assert f"written to {canonical}" in result.output
    got = {r["ID"]: r for r in read_values(canonical)}
    conflict = exp["conflicts"][0]
    assert set(got) == set(exp["rows"]) | {conflict["id"]}
    for tid, row in exp["rows"].items():
        for column, value in row.items():
            assert got[tid][column] == _value(value), (tid, column)
    # the clash: newest (Priya) kept, Dev's value on the Conflicts sheet, the cell highlighted
    newest = max(conflict["values"], key=lambda v: v["modified"])
    other = min(conflict["values"], key=lambda v: v["modified"])
    assert got[conflict["id"]][conflict["column"]] == newest["value"]
    wb = openpyxl.load_workbook(canonical)
    # Sam moved Budget to the end of his copy; the team's column order stays
    header = [c.value for c in wb["Tasks"][1]]
    assert header == exp["columns"] + ["syncd id"]
    rows = list(wb["Conflicts"].iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert first["Kept value"] == newest["value"] and first["Other value"] == other["value"]
    archive = list(wb["Archive"].iter_rows(values_only=True))
    archived = [dict(zip(archive[0], r)) for r in archive[1:]]
    assert [a["ID"] for a in archived] == exp["deleted"]
    assert "~$" not in result.output
