"""`syncd merge BASE OURS THEIRS` as a real command: the coopy suite, xlsx inputs, and git's merge driver."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from test_coopy import _CORPUS, _cases, _same_content, read_csv

SYNCD = [sys.executable, "-m", "syncd"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*SYNCD, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("case", _cases())
def test_coopy_case_through_the_cli(case, tmp_path):
    out = tmp_path / "merged.csv"
    proc = run("merge", _CORPUS / case["base"], _CORPUS / case["ours"], _CORPUS / case["theirs"], "-o", out)
    conflicts_file = tmp_path / "merged.conflicts.csv"
    if case["conflicts"] == "yes":
        assert proc.returncode == 1, proc.stderr
        assert "conflict" in proc.stderr
        assert conflicts_file.exists() and len(read_csv(conflicts_file)) >= 1
    else:
        assert proc.returncode == 0, proc.stderr
        assert not conflicts_file.exists()
    if case["expected"] != "-":
        _same_content(read_csv(out), read_csv(_CORPUS / case["expected"]))


def _xlsx(csv_path: Path, dest: Path) -> Path:
    table = read_csv(csv_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(table.columns))
    for row in table.rows:
        ws.append(list(row))
    wb.save(dest)
    return dest


def test_merge_of_workbooks_writes_a_workbook(tmp_path):
    if not (_CORPUS / "cases.tsv").exists():
        pytest.skip(f"coopy corpus not found at {_CORPUS}")
    base = _xlsx(_CORPUS / "test003_base.csv", tmp_path / "base.xlsx")
    ours = _xlsx(_CORPUS / "test003_add.csv", tmp_path / "ours.xlsx")
    theirs = _xlsx(_CORPUS / "test003_insert_col.csv", tmp_path / "theirs.xlsx")
    proc = run("merge", base, ours, theirs, "-o", tmp_path / "out.xlsx")
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    values = list(wb.worksheets[0].iter_rows(values_only=True))
    assert list(values[0]) == ["ID", "Salary", "Title", "Name", "Comments"]
    assert {r[0]: r for r in values[1:]}[177][3] == "John Smith"


def test_merge_without_output_prints_csv(tmp_path):
    if not (_CORPUS / "cases.tsv").exists():
        pytest.skip(f"coopy corpus not found at {_CORPUS}")
    proc = run("merge", _CORPUS / "numbers.csv", _CORPUS / "numbers_change_five.csv", _CORPUS / "numbers_add_row.csv")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "o.csv"
    out.write_text(proc.stdout)
    assert len(read_csv(out)) == len(read_csv(_CORPUS / "numbers_add_row.csv"))


def test_unreadable_input_exits_2_naming_it(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"\x00\x01garbage")
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n")
    proc = run("merge", good, bad, good)
    assert proc.returncode == 2
    assert "OURS" in proc.stderr and "bad.xlsx" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_uses_syncd_as_merge_driver_for_csv(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}

    def git(*args):
        return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60)

    git("init", "-q", "-b", "main")
    driver = " ".join(f"'{p}'" for p in SYNCD) + " merge %O %A %B -o %A"
    git("config", "merge.syncd.driver", driver)
    (repo / ".gitattributes").write_text("*.csv merge=syncd\n")
    (repo / "tasks.csv").write_text("ID,Task,Owner\n1,Plan,Ann\n2,Ship,Bob\n3,Review,Cleo\n")
    git("add", ".")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "other")
    (repo / "tasks.csv").write_text("ID,Task,Owner\n1,Plan,Ann\n2,Ship,Zoe\n3,Review,Cleo\n")
    git("commit", "-qam", "other: owner")
    git("checkout", "-q", "main")
    (repo / "tasks.csv").write_text("ID,Task,Owner\n1,Plan carefully,Ann\n2,Ship,Bob\n3,Review,Cleo\n4,Party,Dee\n")
    git("commit", "-qam", "main: title and new row")
    merged = git("merge", "-q", "other", "-m", "merge")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (repo / "tasks.csv").read_text()
    assert "1,Plan carefully,Ann" in text and "2,Ship,Zoe" in text and "4,Party,Dee" in text
