"""Turns the merged state and the journal's records into the canonical workbook people read.

The data sheet is the state itself; the Conflicts sheet lists every clash (open ones first) with the
values that lost, so nothing is hidden; the Archive sheet holds every deleted row with when and by
which copy. Cell comments and highlights point at open conflicts from the data sheet; the Duplicates
sheet (see ``syncd.core.duplicates``) lists possible duplicate tasks with a Decision dropdown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from syncd.core import codec
from syncd.core.journal import StoredConflict
from syncd.model import Table, Value, WorkbookMeta
from syncd.workbook.write import CanonicalDoc, CellNote

CONFLICTS_SHEET = "Conflicts"
ARCHIVE_SHEET = "Archive"
DUPLICATES_SHEET = "Duplicates"

CONFLICT_COLUMNS = (
    "Status", "Task", "Column", "Kept value", "Kept from", "Other value", "Other from", "Value before", "What happened",
    "Row id",
)


def _who(cv: dict[str, Any]) -> str:
    parts = [cv.get("author") or "", cv.get("label") or ""]
    when = cv.get("modified")
    if isinstance(when, dt.datetime):
        parts.append(when.strftime("%Y-%m-%d %H:%M"))
    text = ", ".join(p for p in parts[1:] if p)
    return f"{parts[0]} ({text})" if parts[0] and text else (parts[0] or text)


def conflicts_table(conflicts: Iterable[StoredConflict]) -> Table:
    rows: list[list[Value]] = []
    ordered = sorted(conflicts, key=lambda c: (c.resolved_gen is not None, -c.id))
    for c in ordered:
        kept = c.detail.get("kept") or {}
        others = c.detail.get("others") or []
        status = "open" if c.resolved_gen is None else f"resolved: {c.resolution}"
        rows.append([
            status, c.title, c.column or "(whole row)", _cell(kept.get("value")), _who(kept),
            "\n".join(_text(o.get("value")) for o in others), "\n".join(_who(o) for o in others),
            _cell(c.detail.get("base")), c.message, c.row_id,
        ])
    return Table.from_lists(list(CONFLICT_COLUMNS), rows)


def archive_table(entries: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Table:
    entries = list(entries)
    value_columns = list(columns)
    for e in entries:  # a deleted row may have had a column the canonical no longer has
        for name, _ in e["values"]:
            if name not in value_columns:
                value_columns.append(name)
    header = ["Archived on", "Deleted by", "From file", "Reason", *value_columns, "Row id"]
    rows = []
    for e in entries:
        values = {name: codec.decode_value(v) for name, v in e["values"]}
        when = e["archived_at"].astimezone().replace(tzinfo=None, microsecond=0)
        rows.append([when, e.get("author"), e.get("label"), e.get("reason"),
                     *(values.get(c) for c in value_columns), e["row_id"]])
    return Table.from_lists(header, rows)


def _cell(v: Any) -> Value:
    return codec.decode_value(v) if isinstance(v, dict) else v


def _text(v: Any) -> str:
    v = _cell(v)
    return "" if v is None else str(v)


def conflict_notes(conflicts: Iterable[StoredConflict], table: Table, title_column: str | None) -> tuple[CellNote, ...]:
    """Comments + highlights for the open conflicts whose row and column are still in the canonical."""
    ids = set(table.row_ids)
    notes = []
    for c in conflicts:
        if c.resolved_gen is not None or c.row_id not in ids:
            continue
        column = c.column if c.column in table.columns else (title_column or table.columns[0])
        kind = "conflict" if c.kind == "edit" else "deleted"
        notes.append(CellNote(c.row_id, column, c.message + "\nEdit this cell to settle it; see the Conflicts sheet.", kind))
    return tuple(notes)


def extra_sheet_titles(duplicates: bool) -> tuple[str, ...]:
    """The sheets ``build_doc`` puts after the data sheet, in order (``duplicates``: a Duplicates sheet is given)."""
    return (CONFLICTS_SHEET, DUPLICATES_SHEET, ARCHIVE_SHEET) if duplicates else (CONFLICTS_SHEET, ARCHIVE_SHEET)


def build_doc(
    *,
    table: Table,
    sheet: str,
    tracker: str,
    lineage: str,
    generation: int,
    conflicts: list[StoredConflict],
    archive: list[dict[str, Any]],
    title_column: str | None,
    duplicates: Table | None = None,
    notes: tuple[CellNote, ...] = (),
    dropdowns: tuple[tuple[str, str, tuple[str, ...]], ...] = (),
) -> CanonicalDoc:
    """The canonical workbook: the data sheet with conflict notes (plus ``notes``, e.g. possible
    duplicates), then the Conflicts sheet, the ``duplicates`` sheet when given, and the Archive."""
    extra = [(CONFLICTS_SHEET, conflicts_table(conflicts))]
    if duplicates is not None:
        extra.append((DUPLICATES_SHEET, duplicates))
    extra.append((ARCHIVE_SHEET, archive_table(archive, table.columns)))
    known = set(table.row_ids)
    return CanonicalDoc(
        table=table,
        sheet=sheet,
        meta=WorkbookMeta(tracker=tracker, lineage=lineage, generation=generation),
        notes=conflict_notes(conflicts, table, title_column)
        + tuple(n for n in notes if n.row_id in known and n.column in table.columns),
        extra_sheets=tuple(extra),
        dropdowns=tuple(d for d in dropdowns if d[0] != DUPLICATES_SHEET or duplicates is not None),
    )
