"""The fewest changes that make a Google Sheet hold the canonical: one list of requests for a single
``spreadsheets.batchUpdate``.

The tabs as read are modelled cell by cell; rows are lined up with the canonical's rows by row id
(other tabs: by content), so a task added in the middle is one inserted row and a deleted task one
deleted row, not a rewrite of everything below. Only cells whose value, syncd note, highlight or
date format differ are then written, grouped into rectangles.

Values are written typed (``userEnteredValue.stringValue`` for text), so text such as ``=SUM(A1)``
from a mailed copy is stored as text and never evaluated. What people set up in the sheet is kept:
their own notes (syncd's note is put above theirs), fills other than syncd's highlight colours,
number formats other than a date format a number no longer needs, formulas whose result is unchanged,
other tabs, column order.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

from syncd.model import META_SHEET, ROW_ID_COLUMN, Table, Value, WorkbookMeta
from syncd.sources.google.grid import HEADER_HEX, SLACK_ROWS, TabModel, human_note, note_text
from syncd.sources.google.values import EMPTY, Cell, Located, Tab, colour, normalise, same
from syncd.workbook import layout
from syncd.workbook.write import CanonicalDoc, CellNote

# --- lining up rows and columns ---------------------------------------------------------------------


def _line_up_rows(m: TabModel, header: int, current: list[object], wanted: list[object]) -> None:
    """Insert and delete rows so that wanted row k lands at ``header + 1 + k``."""
    base = header + 1
    ops = SequenceMatcher(None, current, wanted, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        if tag == "equal":
            continue
        a, b = i2 - i1, j2 - j1
        if a > b:
            m.delete_rows(base + i1 + b, a - b)
        elif b > a:
            at = base + i1 + a
            if i2 == len(current):
                continue  # below the last row: the empty rows there take the new ones
            m.insert_rows(at, b - a, inherit_before=at - 1 > header)


def _row_keys(located: Located, table: Table, match: dict[int, int]) -> list[object]:
    """The canonical row id each sheet row below the header holds (a unique placeholder for a blank row
    or one the canonical no longer has). A row a person typed without an id is recognised by its
    cells as the canonical row it became, so it is kept in place (with its formats and notes)."""
    wanted = set(table.row_ids)
    in_sheet = {rid for rid in located.table.row_ids if rid in wanted}
    fresh = [(rid, row) for rid, row in zip(table.row_ids, table.rows) if rid not in in_sheet]
    column_of = {pos: k for k, pos in enumerate(located.positions)}
    pairs = [(i, column_of[p]) for i, p in match.items() if p in column_of]
    by_number = dict(zip(located.table.row_numbers, zip(located.table.row_ids, located.table.rows)))
    last = max(located.table.row_numbers, default=located.header + 1)
    keys: list[object] = []
    seen: set[str] = set()
    for number in range(located.header + 2, last + 1):
        rid, row = by_number.get(number, (None, None))
        if rid is not None and rid in wanted and rid not in seen:
            seen.add(rid)
            keys.append(rid)
            continue
        if row is not None and rid is None:
            filled = sum(1 for v in row if v is not None)
            for n, (new_id, new_row) in enumerate(fresh):
                equal = sum(1 for i, k in pairs if row[k] is not None and same(normalise(row[k]), normalise(new_row[i])))
                if filled and 2 * equal > filled:
                    keys.append(new_id)
                    seen.add(new_id)
                    del fresh[n]
                    break
            else:
                keys.append(("not in the canonical", number))
            continue
        keys.append(("not in the canonical", number))
    return keys


def _line_up_tasks(m: TabModel, header: int, current: list[object], wanted: list[object]) -> None:
    """Delete, move and insert rows so that task k of ``wanted`` lands at ``header + 1 + k``.

    Moving (not deleting and re-inserting) keeps what people set on a row: notes, colours, formats.
    Only rows out of the longest run already in order are moved.
    """
    base = header + 1
    wanted_set = set(wanted)
    for at, n in _runs([i for i, key in enumerate(current) if key not in wanted_set]):
        m.delete_rows(base + at, n)
    order = [key for key in current if key in wanted_set]
    present = set(order)
    target = [key for key in wanted if key in present]
    stay: set[object] = set()
    for block in SequenceMatcher(None, order, target, autojunk=False).get_matching_blocks():
        stay.update(order[block.a : block.a + block.size])
    for k, key in enumerate(target):
        if key in stay:
            continue
        i = order.index(key)
        j = order.index(target[k - 1]) + 1 if k else 0
        if i != j:
            m.move_rows(base + i, 1, base + j)
            order.insert(j if j <= i else j - 1, order.pop(i))
    length, k = len(order), 0
    while k < len(wanted):
        if wanted[k] in present:
            k += 1
            continue
        start = k
        while k < len(wanted) and wanted[k] not in present:
            k += 1
        if start >= length:
            break  # below the last row: the empty rows there take the new ones
        m.insert_rows(base + start, k - start, inherit_before=start > 0)
        length += k - start


def _match_columns(located: Located, columns: tuple[str, ...]) -> dict[int, int]:
    """Table column index → sheet column, by name (exact, then loosely equal)."""
    match: dict[int, int] = {}
    taken: set[int] = set()
    for key in (str, layout.normalize_header):
        for i, name in enumerate(columns):
            if i in match:
                continue
            for k, old in enumerate(located.table.columns):
                pos = located.positions[k]
                if pos not in taken and key(old) == key(name):
                    match[i] = pos
                    taken.add(pos)
                    break
    return match


def _renamed(located: Located, table: Table, match: dict[int, int]) -> dict[int, int]:
    """Columns renamed on one side: an unmatched sheet column whose cells mostly equal an unmatched
    table column's (by row id) is the same column, so it is relabelled rather than replaced."""
    old_rows = {rid: row for rid, row in zip(located.table.row_ids, located.table.rows) if rid}
    new_rows = [(rid, row) for rid, row in zip(table.row_ids, table.rows) if rid in old_rows]
    if not new_rows:
        return {}
    free_old = [k for k, pos in enumerate(located.positions) if pos not in match.values()]
    found: dict[int, int] = {}
    for i in range(table.width):
        if i in match:
            continue
        for k in free_old:
            if located.positions[k] in found.values():
                continue
            equal = sum(1 for rid, row in new_rows if same(normalise(old_rows[rid][k]), normalise(row[i])))
            if 2 * equal > len(new_rows):
                found[i] = located.positions[k]
                break
    return found


def _runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted indices as (start, count) runs, last run first (so deleting them keeps the rest valid)."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs[::-1]


def _plan_data(m: TabModel, located: Located | None, doc: CanonicalDoc, fresh: bool) -> None:
    table = doc.table
    header = located.header if located else 0
    # -- columns: keep the sheet's order, drop the ones the canonical no longer has, add new ones
    if located is not None:
        match = _match_columns(located, table.columns)
        match.update(_renamed(located, table, match))
        gone = [p for p in located.positions if p not in match.values()]
        id_col = located.id_col
        start = min(list(located.positions) + ([id_col] if id_col is not None else []), default=0)
    else:
        match, gone, id_col, start = {}, [], None, 0
    if gone and len(gone) >= m.col_count:
        m.ensure(m.row_count, len(gone) + 1)  # Google refuses to delete every column of a tab
    for at, n in _runs(gone):
        m.delete_cols(at, n)

    def shifted(p: int) -> int:
        return p - sum(1 for g in gone if g < p)

    place = {i: shifted(p) for i, p in match.items()}
    id_at = shifted(id_col) if id_col is not None else None
    new = [i for i in range(table.width) if i not in place]
    if new:
        at = max(place.values()) + 1 if place else shifted(start)
        if any(c != EMPTY for r in m.rows for c in r[at:]):  # something to shift right
            m.insert_cols(at, len(new), inherit_before=at > 0)
            if id_at is not None and id_at >= at:
                id_at += len(new)
        for k, i in enumerate(new):
            place[i] = at + k
    if id_at is None:
        id_at = max(place.values(), default=start - 1) + 1
    # -- rows: line the sheet's rows up with the canonical's, by row id
    if located is not None:
        _line_up_tasks(m, header, _row_keys(located, table, match), list(table.row_ids))
    m.ensure(header + 1 + len(table) + (SLACK_ROWS if fresh else 0), max(list(place.values()) + [id_at]) + 1)
    # -- cells
    for i, name in enumerate(table.columns):
        m.want_value(header, place[i], name)
    m.want_value(header, id_at, ROW_ID_COLUMN)
    notes: dict[tuple[str, str], list[CellNote]] = defaultdict(list)
    for note in doc.notes:
        notes[(note.row_id, note.column)].append(note)
    for k, (row, rid) in enumerate(zip(table.rows, table.row_ids)):
        r = header + 1 + k
        for i, value in enumerate(row):
            m.want_value(r, place[i], value)
            m.want_note(r, place[i], notes.get((rid, table.columns[i]), ()))
        m.want_value(r, id_at, rid)
    m.hide_col(id_at)
    if fresh:
        width = max(list(place.values()) + [id_at]) + 1
        _style_header(m, header, width)


def _style_header(m: TabModel, header: int, width: int) -> None:
    m.structure.append({"repeatCell": {
        "range": {"sheetId": m.sheet_id, "startRowIndex": header, "endRowIndex": header + 1,
                  "startColumnIndex": 0, "endColumnIndex": width},
        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}, "backgroundColor": colour(HEADER_HEX)}},
        "fields": "userEnteredFormat(textFormat.bold,backgroundColor)"}})
    m.structure.append({"updateSheetProperties": {
        "properties": {"sheetId": m.sheet_id, "gridProperties": {"frozenRowCount": header + 1}},
        "fields": "gridProperties.frozenRowCount"}})


def _plan_plain(m: TabModel, rows: list[list[Value]], fresh: bool) -> None:
    """A tab syncd owns (Conflicts, Archive, _syncd): exactly ``rows`` from A1, header in row 1."""
    def key(row: Sequence[object]) -> tuple[Value, ...]:
        out = [normalise(v.value if isinstance(v, Cell) else v) for v in row]  # type: ignore[arg-type]
        while out and out[-1] is None:
            out.pop()
        return tuple(out)

    width = max((len(r) for r in rows), default=0)
    current_rows = m.rows[1:]
    while current_rows and not key(current_rows[-1]):
        current_rows = current_rows[:-1]
    current = [key(r) or ("blank", n) for n, r in enumerate(current_rows)]
    _line_up_rows(m, 0, current, [key(r) for r in rows[1:]])
    m.ensure(len(rows), width)
    for r, row in enumerate(rows):
        for c in range(max(width, len(m.rows[r]) if r < len(m.rows) else 0)):
            m.want_value(r, c, row[c] if c < len(row) else None)
    if fresh and rows:
        _style_header(m, 0, width)


def _table_rows(table: Table) -> list[list[Value]]:
    return [list(table.columns)] + [list(r) for r in table.rows]


def _meta_rows(meta: WorkbookMeta, written_at: Value) -> list[list[Value]]:
    return [["key", "value"], ["tracker", meta.tracker], ["lineage", meta.lineage], ["generation", meta.generation],
            ["written_at", written_at], ["note", layout.META_EXPLANATION]]


def _new_id(title: str, used: set[int]) -> int:
    sid = zlib.crc32(title.encode("utf-8")) & 0x3FFFFFFF
    while sid in used:
        sid += 1
    used.add(sid)
    return sid


def plan_mirror(tabs: Sequence[Tab], target: str, doc: CanonicalDoc, located: Located | None, *,
                now: str) -> list[dict[str, Any]]:
    """The requests that make the spreadsheet whose ``tabs`` were read hold ``doc``: the table in tab
    ``target`` (where ``located`` found it; ``None`` when that tab is blank or missing), the extra
    sheets in their tabs, tracker/lineage/generation in the hidden ``_syncd`` tab. ``[]`` when the
    spreadsheet already holds ``doc``. ``now`` is the ``written_at`` stamp, only written along with
    another change (so an unchanged sheet needs no request)."""
    by_title = {t.title.casefold(): t for t in tabs}
    used = {t.sheet_id for t in tabs}
    out: list[dict[str, Any]] = []
    next_index = [min((t.index for t in tabs), default=0)]

    def model(title: str, rows: int, cols: int, hidden: bool = False) -> tuple[TabModel, bool]:
        tab = by_title.get(title.casefold())
        if tab is not None:
            next_index[0] = tab.index + 1
            return TabModel(tab.sheet_id, tab), tab.is_blank()
        sid = _new_id(title, used)
        props: dict[str, Any] = {"sheetId": sid, "title": title, "index": next_index[0],
                                 "gridProperties": {"rowCount": max(rows, 1), "columnCount": max(cols, 1)}}
        if hidden:
            props["hidden"] = True
        out.append({"addSheet": {"properties": props}})
        next_index[0] += 1
        m = TabModel(sid, None)
        m.row_count, m.col_count = max(rows, 1), max(cols, 1)
        return m, True

    data, fresh = model(target, len(doc.table) + 1 + SLACK_ROWS, doc.table.width + 1)
    _plan_data(data, located, doc, fresh and located is None)
    out += data.requests()
    for title, table in doc.extra_sheets:
        m, fresh = model(title, len(table) + 1, table.width)
        _plan_plain(m, _table_rows(table), fresh)
        out += m.requests()

    meta_tab = by_title.get(META_SHEET.casefold())
    stamp: Value = now
    if meta_tab is not None:
        for row in meta_tab.rows:
            if len(row) >= 2 and isinstance(row[0].value, str) and row[0].value.strip().casefold() == "written_at":
                stamp = row[1].value
    meta_id = meta_tab.sheet_id if meta_tab is not None else _new_id(META_SHEET, used)
    unchanged = _plan_meta(meta_tab, meta_id, doc.meta, stamp)
    if not out and not unchanged:
        return []
    return out + (unchanged if stamp == now else _plan_meta(meta_tab, meta_id, doc.meta, now))


def _plan_meta(tab: Tab | None, sheet_id: int, meta: WorkbookMeta, written_at: Value) -> list[dict[str, Any]]:
    rows = _meta_rows(meta, written_at)
    out: list[dict[str, Any]] = []
    m = TabModel(sheet_id, tab)
    if tab is None:
        out.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": META_SHEET, "hidden": True,
                                                "gridProperties": {"rowCount": len(rows), "columnCount": 2}}}})
        m.row_count, m.col_count = len(rows), 2
    elif not tab.hidden:
        out.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "hidden": True}, "fields": "hidden"}})
    _plan_plain(m, rows, False)
    return out + m.requests()


__all__ = ["plan_mirror", "human_note", "note_text"]
