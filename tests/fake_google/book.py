"""One stand-in spreadsheet: its tabs, Drive metadata (version, modifiedTime, last modifier) and the
Sheets v4 operations on it. Every change is all-or-nothing and bumps the version, as in Google."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fake_google.sheets import (
    ApiError, FCell, FTab, apply_mask, cell_data, cell_ref, python_value, raw, split_range, user_entered,
)


@dataclass
class Person:
    email: str
    name: str


@dataclass
class Spreadsheet:
    id: str
    name: str
    tabs: list[FTab] = field(default_factory=list)
    version: int = 1
    modified: dt.datetime = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
    last_user: Person = field(default_factory=lambda: Person("owner@example.com", "Owner"))
    shared: dict[str, str] = field(default_factory=dict)  # email -> "reader" | "writer"

    # -- lookups ------------------------------------------------------------------------------------

    def tab(self, title: str) -> FTab:
        for t in self.tabs:
            if t.title == title:
                return t
        raise ApiError(400, f"Unable to parse range: {title}")

    def tab_by_id(self, sheet_id: int) -> FTab:
        for t in self.tabs:
            if t.sheet_id == sheet_id:
                return t
        raise ApiError(400, f"No grid with id: {sheet_id}")

    def values(self, title: str) -> list[list[Any]]:
        """The tab's cells as test-friendly Python values (rows trimmed of trailing empties)."""
        t = self.tab(title)
        n_rows, n_cols = t.extent()
        out = [[python_value(t.cell(r, c)) for c in range(n_cols)] for r in range(n_rows)]
        for row in out:
            while row and row[-1] is None:
                row.pop()
        return out

    def touched(self, by: Person, now: dt.datetime) -> None:
        self.version += 1
        self.modified = now
        self.last_user = by

    # -- reading -------------------------------------------------------------------------------------

    def resource(self, ranges: list[str], include_grid: bool) -> dict[str, Any]:
        wanted = None
        if ranges:
            wanted = []
            for text in ranges:
                title, _ = split_range(text)
                wanted.append(self.tab(title).title)
        sheets = []
        for t in sorted(self.tabs, key=lambda t: t.index):
            if wanted is not None and t.title not in wanted:
                continue
            entry: dict[str, Any] = {"properties": self._props(t)}
            if include_grid:
                n_rows, n_cols = t.extent()
                rows = []
                for r in range(n_rows):
                    used = [c for (rr, c) in t.cells if rr == r]
                    width = max(used) + 1 if used else 0
                    rows.append({"values": [cell_data(t.cell(r, c)) for c in range(width)]} if width else {})
                meta = [{"hiddenByUser": c in t.hidden_cols, "pixelSize": 100} for c in range(t.cols)]
                entry["data"] = [{"startRow": 0, "startColumn": 0, "rowData": rows, "columnMetadata": meta}]
            sheets.append(entry)
        return {"spreadsheetId": self.id, "properties": {"title": self.name}, "sheets": sheets}

    @staticmethod
    def _props(t: FTab) -> dict[str, Any]:
        props: dict[str, Any] = {"sheetId": t.sheet_id, "title": t.title, "index": t.index, "sheetType": "GRID",
                                 "gridProperties": {"rowCount": t.rows, "columnCount": t.cols}}
        if t.frozen_rows:
            props["gridProperties"]["frozenRowCount"] = t.frozen_rows
        if t.hidden:
            props["hidden"] = True
        return props

    def value_range(self, text: str, render: str) -> dict[str, Any]:
        title, area = split_range(text)
        t = self.tab(title)
        n_rows, n_cols = t.extent()
        r0, c0, r1, c1 = 0, 0, n_rows - 1, n_cols - 1
        if area:
            first, _, last = area.partition(":")
            r0, c0 = cell_ref(first)
            r1, c1 = cell_ref(last) if last else (r0, c0)
        rows = []
        for r in range(r0, min(r1, n_rows - 1) + 1):
            row = []
            for c in range(c0, min(c1, n_cols - 1) + 1):
                cell = t.cell(r, c)
                if render == "FORMULA" and cell.kind == "formula":
                    row.append(cell.value)
                elif render == "UNFORMATTED_VALUE":
                    row.append("" if cell.kind is None else ("#ERROR!" if cell.kind == "formula" else cell.value))
                else:
                    row.append(cell_data(cell).get("formattedValue") or "")
            while row and row[-1] == "":
                row.pop()
            rows.append(row)
        while rows and not rows[-1]:
            rows.pop()
        return {"range": text, "majorDimension": "ROWS", "values": rows}

    # -- writing -------------------------------------------------------------------------------------

    def write_values(self, data: list[dict[str, Any]], option: str) -> int:
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "valueInputOption must be RAW or USER_ENTERED")
        convert = raw if option == "RAW" else user_entered
        cells = 0
        for block in data:
            title, area = split_range(block["range"])
            t = self.tab(title)
            r0, c0 = cell_ref(area.partition(":")[0]) if area else (0, 0)
            for i, row in enumerate(block.get("values") or []):
                for j, value in enumerate(row):
                    old = t.cell(r0 + i, c0 + j)
                    new = convert(value)
                    new.note, new.fmt = old.note, {**old.fmt, **new.fmt}
                    t.put(r0 + i, c0 + j, new)
                    cells += 1
        return cells

    def batch_update(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply ``requests`` in order, all or nothing (on error the spreadsheet is unchanged)."""
        backup = copy.deepcopy(self.tabs)
        replies = []
        try:
            for request in requests:
                if not isinstance(request, dict) or len(request) != 1:
                    raise ApiError(400, "each request must hold exactly one kind")
                (kind, body), = request.items()
                handler = getattr(self, "_" + kind, None)
                if handler is None:
                    raise ApiError(400, f"the stand-in does not know the request {kind!r}")
                replies.append(handler(body) or {})
        except ApiError:
            self.tabs = backup
            raise
        except (KeyError, TypeError, ValueError) as exc:
            self.tabs = backup
            raise ApiError(400, f"Invalid request: {exc!r}") from None
        return replies

    def _addSheet(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        title = props["title"]
        if any(t.title.casefold() == title.casefold() for t in self.tabs):
            raise ApiError(400, f'A sheet with the name "{title}" already exists.')
        sheet_id = props.get("sheetId", max([t.sheet_id for t in self.tabs] + [0]) + 1)
        if any(t.sheet_id == sheet_id for t in self.tabs):
            raise ApiError(400, f"A sheet with id {sheet_id} already exists.")
        grid = props.get("gridProperties") or {}
        index = props.get("index", len(self.tabs))
        for t in self.tabs:
            if t.index >= index:
                t.index += 1
        tab = FTab(sheet_id, title, min(index, len(self.tabs)), bool(props.get("hidden")), grid.get("rowCount", 1000),
                   grid.get("columnCount", 26))
        self.tabs.append(tab)
        return {"addSheet": {"properties": self._props(tab)}}

    def _updateSheetProperties(self, body: dict[str, Any]) -> None:
        props = body["properties"]
        t = self.tab_by_id(props["sheetId"])
        for path in body["fields"].split(","):
            path = path.strip()
            if path == "hidden":
                t.hidden = bool(props.get("hidden"))
            elif path == "title":
                t.title = props["title"]
            elif path == "gridProperties.frozenRowCount":
                t.frozen_rows = (props.get("gridProperties") or {}).get("frozenRowCount", 0)
            else:
                raise ApiError(400, f"the stand-in does not support sheet property {path!r}")

    def _updateCells(self, body: dict[str, Any]) -> None:
        start = body["start"]
        t = self.tab_by_id(start["sheetId"])
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        for i, row in enumerate(body.get("rows") or []):
            for j, data in enumerate(row.get("values") or []):
                how = next(iter(data.get("userEnteredValue") or {"(empty)": 0}))
                t.put(r0 + i, c0 + j, apply_mask(t.cell(r0 + i, c0 + j), data, body["fields"], how))

    def _repeatCell(self, body: dict[str, Any]) -> None:
        rng = body["range"]
        t = self.tab_by_id(rng["sheetId"])
        how = next(iter((body.get("cell") or {}).get("userEnteredValue") or {"(empty)": 0}))
        for r in range(rng.get("startRowIndex", 0), rng.get("endRowIndex", t.rows)):
            for c in range(rng.get("startColumnIndex", 0), rng.get("endColumnIndex", t.cols)):
                t.put(r, c, apply_mask(t.cell(r, c), body.get("cell") or {}, body["fields"], how))

    def _dimension(self, rng: dict[str, Any]) -> tuple[FTab, bool, int, int]:
        t = self.tab_by_id(rng["sheetId"])
        rows = rng["dimension"] == "ROWS"
        start, end = rng["startIndex"], rng["endIndex"]
        if not 0 <= start < end:
            raise ApiError(400, "Invalid dimension range")
        return t, rows, start, end

    def _insertDimension(self, body: dict[str, Any]) -> None:
        t, rows, start, end = self._dimension(body["range"])
        n = end - start
        if start > (t.rows if rows else t.cols):
            raise ApiError(400, "insertDimension beyond the end of the grid")
        moved: dict[tuple[int, int], FCell] = {}
        for (r, c), cell in t.cells.items():
            key = r if rows else c
            moved[(r + n, c) if rows and key >= start else (r, c + n) if not rows and key >= start else (r, c)] = cell
        source = start - 1 if body.get("inheritFromBefore") else start + n
        if 0 <= source:
            for (r, c), cell in list(moved.items()):
                if (r if rows else c) == source and cell.fmt:
                    for k in range(start, end):
                        moved[(k, c) if rows else (r, k)] = FCell(fmt=copy.deepcopy(cell.fmt))
        t.cells = moved
        if rows:
            t.rows += n
        else:
            t.cols += n
            t.hidden_cols = {c + n if c >= start else c for c in t.hidden_cols}

    def _deleteDimension(self, body: dict[str, Any]) -> None:
        t, rows, start, end = self._dimension(body["range"])
        if end > (t.rows if rows else t.cols):
            raise ApiError(400, "deleteDimension beyond the end of the grid")
        n = end - start
        kept: dict[tuple[int, int], FCell] = {}
        for (r, c), cell in t.cells.items():
            key = r if rows else c
            if start <= key < end:
                continue
            kept[(r - n, c) if rows and key >= end else (r, c - n) if not rows and key >= end else (r, c)] = cell
        t.cells = kept
        if rows:
            t.rows -= n
        else:
            t.cols -= n
            t.hidden_cols = {c - n if c >= end else c for c in t.hidden_cols if not start <= c < end}

    def _moveDimension(self, body: dict[str, Any]) -> None:
        t, rows, start, end = self._dimension(body["source"])
        size = t.rows if rows else t.cols
        dest = body["destinationIndex"]
        if end > size or not 0 <= dest <= size:
            raise ApiError(400, "moveDimension outside the grid")
        order = list(range(size))
        block = order[start:end]
        del order[start:end]
        where = dest if dest <= start else dest - (end - start)
        order[where:where] = block
        new_of = {old: new for new, old in enumerate(order)}
        t.cells = {((new_of[r], c) if rows else (r, new_of[c])): cell for (r, c), cell in t.cells.items()}
        if not rows:
            t.hidden_cols = {new_of[c] for c in t.hidden_cols}

    def _appendDimension(self, body: dict[str, Any]) -> None:
        t = self.tab_by_id(body["sheetId"])
        if body["dimension"] == "ROWS":
            t.rows += body["length"]
        else:
            t.cols += body["length"]

    def _updateDimensionProperties(self, body: dict[str, Any]) -> None:
        t, rows, start, end = self._dimension(body["range"])
        if body["fields"] != "hiddenByUser" or rows:
            raise ApiError(400, "the stand-in only hides or shows columns")
        for c in range(start, end):
            if body["properties"].get("hiddenByUser"):
                t.hidden_cols.add(c)
            else:
                t.hidden_cols.discard(c)

    def _autoResizeDimensions(self, body: dict[str, Any]) -> None:
        return None
