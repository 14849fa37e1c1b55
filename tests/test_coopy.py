"""coopy's three-way table merge suite, run through the pure ``merge3``.

Each row of ``cases.tsv`` names a base, two edited versions and the table coopy's own suite
requires. Tables are compared by content: same header in the same order, same multiset of rows,
numbers compared as numbers (``55000.0`` is ``55000``). Where coopy marks a conflicting cell as
``((( base ))) ours /// theirs`` any of those values is accepted (syncd keeps one and reports the
clash), and its ``_MERGE_`` marker column is not expected.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from syncd.merge import merge3
from syncd.model import Table

_REPO = Path(__file__).resolve().parents[1]
_CORPUS = Path(os.environ.get("SYNCD_COOPY") or _REPO.parent / "shared" / "corpus" / "merge-coopy")
_CASES = _CORPUS / "cases.tsv"
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_CONFLICT = re.compile(r"\(\(\( (.*) \)\)\) (.*) /// (.*)")


def _cases() -> list:
    if not _CASES.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"coopy corpus not found at {_CORPUS} (set SYNCD_COOPY to its folder)"))]
    with _CASES.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [pytest.param(r, id=r["case"]) for r in rows]


def _typed(text: str):
    if _NUMBER.fullmatch(text.strip()):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return text


def read_csv(path: Path) -> Table:
    """A CSV as a table: first row the header, blank lines skipped, numbers typed."""
    with path.open(newline="", encoding="utf-8") as f:
        records = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    header, body = records[0], records[1:]
    return Table.from_lists(header, [[_typed(c) for c in r] for r in body])


def _norm(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    return str(value).strip()


def _patterns(expected: Table) -> tuple[list[str], list[list[set[str]]]]:
    """Expected header and rows, each cell the set of values accepted there."""
    keep = [n for n, c in enumerate(expected.columns) if c != "_MERGE_"]
    rows = []
    for row in expected.rows:
        cells = []
        for n in keep:
            value = row[n]
            clash = _CONFLICT.fullmatch(value) if isinstance(value, str) else None
            options = clash.groups() if clash else (value,)
            cells.append({_norm(_typed(v) if isinstance(v, str) else v) for v in options})
        rows.append(cells)
    return [expected.columns[n] for n in keep], rows


def _same_content(result: Table, expected: Table) -> None:
    header, patterns = _patterns(expected)
    assert list(result.columns) == header
    got = [[_norm(v) for v in row] for row in result.rows]
    assert len(got) == len(patterns), f"{len(got)} rows merged, {len(patterns)} expected"
    unused = Counter(range(len(got)))
    for pattern in patterns:
        hit = next((n for n in unused if unused[n] and all(g in p for g, p in zip(got[n], pattern))), None)
        assert hit is not None, f"no merged row matches the expected row {pattern}; merged: {got}"
        unused[hit] -= 1


@pytest.mark.parametrize("case", _cases())
def test_coopy_case(case):
    base = read_csv(_CORPUS / case["base"])
    ours = read_csv(_CORPUS / case["ours"])
    theirs = read_csv(_CORPUS / case["theirs"])
    result = merge3(base, ours, theirs)
    if case["conflicts"] == "yes":
        assert result.conflicts, "the clash must be reported"
        assert all(c.message for c in result.conflicts)
    else:
        assert not result.conflicts, [c.message for c in result.conflicts]
    if case["expected"] != "-":
        _same_content(result.state.table, read_csv(_CORPUS / case["expected"]))
