"""A tab of a Google Sheet being edited: the cells as read, changed as the planned requests will change
them, and the cell writes those requests still need (grouped into rectangles at the end).

Structural requests (insert, delete, move rows and columns) are applied to the model as Google applies
them, so every later cell write is planned against what the tab will hold at that point.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from syncd.model import Value
from syncd.sources.google.values import DATE_TYPES, EMPTY, FORMATS, Cell, Tab, colour, date_type, extended, normalise, same
from syncd.workbook import layout
from syncd.workbook.write import CellNote

#: Google notes have no author; syncd's notes start with this line, as Excel shows a comment's author.
NOTE_PREFIX = f"{layout.COMMENT_AUTHOR}:\n"
HUMAN_MARK = layout.HUMAN_COMMENT_MARK.format(author="someone in Google Sheets")
NOTE_HEXES = set(layout.NOTE_COLOURS.values())
HEADER_HEX = "DDEBF7"
#: Empty rows a new data tab gets below the tasks, for people to type new ones.
SLACK_ROWS = 100
_MASKS = {
    "value": "userEnteredValue",
    "note": "note",
    "bg": "userEnteredFormat.backgroundColor",
    "fmt": "userEnteredFormat.numberFormat",
}


def human_note(note: str | None) -> str | None:
    """The part of a cell's note a person wrote (syncd's own part is rewritten on every write)."""
    if not note:
        return None
    if not note.startswith(NOTE_PREFIX):
        return note
    m = layout.HUMAN_COMMENT_RE.search(note)
    return m.group("text") if m else None


def note_text(ours: Sequence[str], human: str | None) -> str | None:
    """The note a cell should carry: syncd's texts first, a person's own note kept below them."""
    if not ours:
        return human
    text = NOTE_PREFIX + "\n\n".join(ours)
    return text + HUMAN_MARK + human if human else text


class TabModel:
    """One tab as the requests planned so far leave it."""

    def __init__(self, sheet_id: int, tab: Tab | None) -> None:
        self.sheet_id = sheet_id
        self.rows: list[list[Cell]] = [list(r) for r in tab.rows] if tab else []
        self.row_count = tab.row_count if tab else 0
        self.col_count = tab.col_count if tab else 0
        self.hidden_cols = set(tab.hidden_cols) if tab else set()
        self.structure: list[dict[str, Any]] = []
        self.changes: dict[str, dict[tuple[int, int], dict[str, Any]]] = defaultdict(dict)
        self.blank: set[tuple[int, int]] = set()  # cells that are and stay empty (may pad a value run)

    def get(self, r: int, c: int) -> Cell:
        if r < len(self.rows) and c < len(self.rows[r]):
            return self.rows[r][c]
        return EMPTY

    def _range(self, dimension: str, start: int, end: int) -> dict[str, Any]:
        return {"sheetId": self.sheet_id, "dimension": dimension, "startIndex": start, "endIndex": end}

    # -- structure -------------------------------------------------------------------------------

    def insert_rows(self, at: int, n: int, inherit_before: bool) -> None:
        self.structure.append({"insertDimension": {"range": self._range("ROWS", at, at + n),
                                                   "inheritFromBefore": inherit_before}})
        src = at - 1 if inherit_before else at
        like = self.rows[src] if 0 <= src < len(self.rows) else []
        while len(self.rows) < at:
            self.rows.append([])
        self.rows[at:at] = [[Cell(bg=c.bg, fmt=c.fmt, fresh=True) for c in like] for _ in range(n)]
        self.row_count += n

    def move_rows(self, at: int, n: int, dest: int) -> None:
        """Move rows [at, at+n) to before row ``dest`` (counted before the move, as Google does)."""
        self.structure.append({"moveDimension": {"source": self._range("ROWS", at, at + n), "destinationIndex": dest}})
        while len(self.rows) < max(at + n, dest):
            self.rows.append([])
        block = self.rows[at : at + n]
        del self.rows[at : at + n]
        where = dest if dest <= at else dest - n
        self.rows[where:where] = block

    def delete_rows(self, at: int, n: int) -> None:
        self.structure.append({"deleteDimension": {"range": self._range("ROWS", at, at + n)}})
        del self.rows[at : at + n]
        self.row_count -= n

    def insert_cols(self, at: int, n: int, inherit_before: bool) -> None:
        self.structure.append({"insertDimension": {"range": self._range("COLUMNS", at, at + n),
                                                   "inheritFromBefore": inherit_before}})
        src = at - 1 if inherit_before else at
        for row in self.rows:
            like = row[src] if 0 <= src < len(row) else EMPTY
            if len(row) < at:
                row.extend([EMPTY] * (at - len(row)))
            row[at:at] = [Cell(bg=like.bg, fmt=like.fmt, fresh=True)] * n
        self.hidden_cols = {c + n if c >= at else c for c in self.hidden_cols}
        self.col_count += n

    def delete_cols(self, at: int, n: int) -> None:
        self.structure.append({"deleteDimension": {"range": self._range("COLUMNS", at, at + n)}})
        for row in self.rows:
            del row[at : at + n]
        self.hidden_cols = {c - n if c >= at + n else c for c in self.hidden_cols if not at <= c < at + n}
        self.col_count -= n

    def ensure(self, rows: int, cols: int) -> None:
        for dimension, need, have in (("ROWS", rows, self.row_count), ("COLUMNS", cols, self.col_count)):
            if need > have:
                self.structure.append({"appendDimension": {"sheetId": self.sheet_id, "dimension": dimension,
                                                           "length": need - have}})
        self.row_count, self.col_count = max(rows, self.row_count), max(cols, self.col_count)

    def hide_col(self, c: int) -> None:
        if c not in self.hidden_cols:
            self.structure.append({"updateDimensionProperties": {
                "range": self._range("COLUMNS", c, c + 1), "properties": {"hiddenByUser": True},
                "fields": "hiddenByUser"}})
            self.hidden_cols.add(c)

    # -- cells -----------------------------------------------------------------------------------

    def want_value(self, r: int, c: int, value: Value) -> None:
        cur = self.get(r, c)
        value = normalise(value)
        if value is None and cur.value is None and not cur.formula:
            self.blank.add((r, c))
        elif not same(cur.value, value) or (value is None and cur.formula):
            self.changes["value"][(r, c)] = {"userEnteredValue": extended(value)} if value is not None else {}
        wanted = date_type(value)
        if wanted is not None:
            if cur.fmt != wanted or cur.fresh:
                self.changes["fmt"][(r, c)] = {"userEnteredFormat": {"numberFormat": dict(FORMATS[wanted])}}
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and cur.fmt in DATE_TYPES:
            # a number in a cell formatted as a date would read back as a date
            self.changes["fmt"][(r, c)] = {}

    def want_note(self, r: int, c: int, notes: Sequence[CellNote]) -> None:
        cur = self.get(r, c)
        if not notes and not (cur.note or "").startswith(NOTE_PREFIX) and cur.bg not in NOTE_HEXES:
            return
        text = note_text([n.text for n in notes], human_note(cur.note))
        if (text or None) != (cur.note or None):
            self.changes["note"][(r, c)] = {"note": text} if text else {}
        if notes:
            kind = min((n.kind for n in notes), key=layout.NOTE_PRIORITY.index)
            hex_rgb = layout.NOTE_COLOURS[kind]
            if cur.bg != hex_rgb:
                self.changes["bg"][(r, c)] = {"userEnteredFormat": {"backgroundColor": colour(hex_rgb)}}
        elif cur.bg in NOTE_HEXES:
            self.changes["bg"][(r, c)] = {}

    def requests(self) -> list[dict[str, Any]]:
        out = list(self.structure)
        for kind, mask in _MASKS.items():
            out += self._rectangles(kind, mask)
        return out

    def _rectangles(self, kind: str, mask: str) -> list[dict[str, Any]]:
        cells = self.changes.get(kind)
        if not cells:
            return []
        by_row: dict[int, list[int]] = defaultdict(list)
        for r, c in cells:
            by_row[r].append(c)
        runs: list[tuple[int, int, int]] = []  # (row, first col, last col)
        for r in sorted(by_row):
            cols = sorted(by_row[r])
            start = prev = cols[0]
            for c in cols[1:]:
                gap = range(prev + 1, c)
                if kind == "value" and all((r, g) in self.blank for g in gap):
                    prev = c
                    continue
                runs.append((r, start, prev))
                start = prev = c
            runs.append((r, start, prev))
        out = []
        i = 0
        while i < len(runs):
            r0, c0, c1 = runs[i]
            j = i + 1
            while j < len(runs) and runs[j] == (r0 + (j - i), c0, c1):
                j += 1
            rows = [{"values": [cells.get((r0 + k, c), {}) for c in range(c0, c1 + 1)]} for k in range(j - i)]
            out.append({"updateCells": {"start": {"sheetId": self.sheet_id, "rowIndex": r0, "columnIndex": c0},
                                        "rows": rows, "fields": mask}})
            i = j
        return out



__all__ = ["TabModel", "NOTE_PREFIX", "HUMAN_MARK", "NOTE_HEXES", "HEADER_HEX", "SLACK_ROWS", "human_note", "note_text"]
