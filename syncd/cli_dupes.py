"""`syncd dupes FILE`: which rows of any workbook or CSV look like the same task (or record) twice.

Output contract (outside scripts rely on it): ``--format json`` prints exactly
``{"clusters": [{"rows": [2, 17], "score": 0.93, "why": "..."}, ...]}`` where ``rows`` are the
spreadsheet row numbers (the header is row 1, or wherever the file has it); ``--format csv`` prints one
line per row of each cluster (``cluster,row,score,text,why``); the default ``table`` is for people.
Exit 0 when the file was read (duplicates or not), 2 for a usage mistake (unreadable file, unknown column).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from syncd.cli import handle_errors
from syncd.errors import CopyRejected, UsageError
from syncd.core import collector
from syncd.core.workers import split_map
from syncd.merge.dupes import DEFAULT_THRESHOLD, DupeSettings, Duplicates, UnknownColumn, find_duplicates
from syncd.merge.values import value_text
from syncd.model import SheetRead, Table
from syncd.workbook.read import read_sheet


def _columns(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    names = tuple(c.strip() for c in text.split(",") if c.strip())
    if not names:
        raise UsageError('--columns needs at least one column name, e.g. --columns "Name,Address,Phone".')
    return names


def _text(table: Table, row: int, column: int) -> str:
    text = value_text(table.rows[row][column]).replace("\n", " ")
    return text if len(text) <= 80 else text[:79] + "…"


def to_json(found: Duplicates, table: Table) -> dict:
    """The fixed JSON shape: rows are spreadsheet row numbers, score has two decimals."""
    return {"clusters": [{"rows": [table.row_numbers[i] for i in c.rows], "score": round(c.score, 2), "why": c.why}
                         for c in found.clusters]}


def _print_table(found: Duplicates, read: SheetRead, file: Path) -> None:
    table = read.table
    plan = found.plan
    if plan is None:
        click.echo(f"{file.name}: no column with text to compare, so no duplicates to look for. "
                   "Name the columns to compare with --columns.")
        return
    compared = ", ".join(f.name for f in plan.fields)
    where = f'{file.name} (sheet "{read.sheet}", {len(table):,} rows compared on {compared})'
    if not found.clusters:
        click.echo(f"No duplicates found in {where}.")
        return
    n = len(found.clusters)
    click.echo(f"{n} group{'s' if n != 1 else ''} of possible duplicates in {where}:")
    for k, c in enumerate(found.clusters, 1):
        numbers = [table.row_numbers[i] for i in c.rows]
        click.echo(f"\n{k}. rows {', '.join(map(str, numbers))} — score {c.score:.2f}")
        for i, number in zip(c.rows, numbers):
            click.echo(f"   row {number}: {_text(table, i, plan.main.index)}")
        click.echo(f"   why: {c.why}")


def _print_csv(found: Duplicates, table: Table) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["cluster", "row", "score", "text", "why"])
    main = found.plan.main.index if found.plan else 0
    for k, c in enumerate(found.clusters, 1):
        for i in c.rows:
            writer.writerow([k, table.row_numbers[i], f"{c.score:.2f}", value_text(table.rows[i][main]), c.why])


@click.command("dupes", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="Sheet to read in a workbook (default: the one that looks like the table).")
@click.option("--columns", metavar="A,B,...", help="Compare exactly these columns; the first is the main text "
              "(default: the title column plus campaign/channel/owner/due-like columns, else every column).")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=DEFAULT_THRESHOLD,
              show_default=True, help="Score (0-1) from which two rows are reported as duplicates.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table for people, csv or json for scripts.")
@handle_errors
def dupes(file: Path, sheet: str | None, columns: str | None, threshold: float, fmt: str) -> None:
    """Find rows that look like the same task (or person, product, address) typed twice, in any
    workbook or CSV file. Nothing is changed: it only reports."""
    settings = DupeSettings(columns=_columns(columns), threshold=threshold, generic_fallback=True)
    with collector.paused():
        try:
            read = read_sheet(file, sheet)
        except CopyRejected as exc:
            raise UsageError(f"Cannot look for duplicates in {exc}") from None
        try:
            found = find_duplicates(read.table, settings, mapper=split_map)
        except UnknownColumn as exc:
            raise UsageError(f"--columns: {exc}.") from None
    if fmt == "json":
        click.echo(json.dumps(to_json(found, read.table), ensure_ascii=False))
    elif fmt == "csv":
        _print_csv(found, read.table)
    else:
        _print_table(found, read, file)
