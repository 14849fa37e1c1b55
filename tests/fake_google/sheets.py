"""The stand-in's spreadsheets: typed cells, notes, formats, tabs, hidden columns, and the Sheets v4
requests syncd (and a simulated person) send, applied the way Google applies them.

Only what the tests need is modelled, but what is modelled is strict: a write outside a tab's grid,
an unknown request or field mask, or a range naming a missing tab is refused with Google's 400, so a
bug in syncd's requests fails a test instead of passing silently.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)


class ApiError(Exception):
    def __init__(self, status: int, message: str, google_status: str = "INVALID_ARGUMENT", reason: str = "badRequest"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.google_status = google_status
        self.reason = reason

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.status, "message": self.message, "status": self.google_status,
                          "errors": [{"reason": self.reason, "domain": "global", "message": self.message}]}}


@dataclass
class FCell:
    """What Google stores for a cell. ``kind``: string/number/bool/formula; ``how`` records how the
    value got there: "stringValue"/"numberValue"/"boolValue"/"formulaValue" (typed updateCells) or
    "RAW"/"USER_ENTERED" (values API) — so a test can prove text was never entered as a formula."""

    kind: str | None = None
    value: Any = None
    note: str | None = None
    fmt: dict[str, Any] = field(default_factory=dict)
    how: str | None = None

    def empty(self) -> bool:
        return self.kind is None and self.note is None and not self.fmt


@dataclass
class FTab:
    sheet_id: int
    title: str
    index: int = 0
    hidden: bool = False
    rows: int = 1000
    cols: int = 26
    frozen_rows: int = 0
    cells: dict[tuple[int, int], FCell] = field(default_factory=dict)
    hidden_cols: set[int] = field(default_factory=set)

    def cell(self, r: int, c: int) -> FCell:
        return self.cells.get((r, c)) or FCell()

    def put(self, r: int, c: int, cell: FCell) -> None:
        if not 0 <= r < self.rows or not 0 <= c < self.cols:
            raise ApiError(400, f"Range ('{self.title}'!R{r + 1}C{c + 1}) exceeds grid limits. Max rows: "
                                f"{self.rows}, max columns: {self.cols}")
        if cell.empty():
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = cell

    def extent(self) -> tuple[int, int]:
        if not self.cells:
            return 0, 0
        return max(r for r, _ in self.cells) + 1, max(c for _, c in self.cells) + 1


# --- values ----------------------------------------------------------------------------------------


def serial(value: dt.date | dt.datetime) -> float:
    moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
    delta = moment - EPOCH
    return delta.days + delta.seconds / 86400


def from_extended(ev: dict[str, Any], how: str) -> FCell:
    if not ev:
        return FCell()
    if len(ev) != 1:
        raise ApiError(400, "ExtendedValue must hold exactly one value")
    (key, value), = ev.items()
    kinds = {"stringValue": ("string", str), "numberValue": ("number", (int, float)), "boolValue": ("bool", bool),
             "formulaValue": ("formula", str)}
    if key not in kinds or not isinstance(value, kinds[key][1]):
        raise ApiError(400, f"Invalid value at 'userEnteredValue' ({key})")
    return FCell(kinds[key][0], float(value) if key == "numberValue" else value, how=how)


_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def user_entered(value: Any) -> FCell:
    """What Sheets does with something typed into a cell (valueInputOption USER_ENTERED)."""
    if value is None or value == "":
        return FCell()
    if isinstance(value, bool):
        return FCell("bool", value, how="USER_ENTERED")
    if isinstance(value, (int, float)):
        return FCell("number", float(value), how="USER_ENTERED")
    if isinstance(value, (dt.date, dt.datetime)):
        kind = "DATE_TIME" if isinstance(value, dt.datetime) else "DATE"
        return FCell("number", serial(value), fmt={"numberFormat": {"type": kind, "pattern": "yyyy-mm-dd"}},
                     how="USER_ENTERED")
    text = str(value)
    if text.startswith("="):
        return FCell("formula", text, how="USER_ENTERED")
    if _NUMBER.fullmatch(text):
        return FCell("number", float(text), how="USER_ENTERED")
    if text.upper() in ("TRUE", "FALSE"):
        return FCell("bool", text.upper() == "TRUE", how="USER_ENTERED")
    m = _DATE.fullmatch(text)
    if m:
        day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        return FCell("number", serial(day), fmt={"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}},
                     how="USER_ENTERED")
    return FCell("string", text, how="USER_ENTERED")


def raw(value: Any) -> FCell:
    """valueInputOption RAW: stored exactly as given, a string always as a string."""
    if value is None or value == "":
        return FCell()
    if isinstance(value, bool):
        return FCell("bool", value, how="RAW")
    if isinstance(value, (int, float)):
        return FCell("number", float(value), how="RAW")
    return FCell("string", str(value), how="RAW")


def python_value(cell: FCell) -> Any:
    """A cell as a test compares it: dates by their format, integral numbers as ints."""
    if cell.kind == "number":
        kind = (cell.fmt.get("numberFormat") or {}).get("type")
        if kind in ("DATE", "DATE_TIME", "TIME"):
            moment = EPOCH + dt.timedelta(milliseconds=round(cell.value * 86_400_000))
            if kind == "DATE" and moment.time() == dt.time(0):
                return moment.date()
            if kind == "TIME":
                return moment.time()
            return moment
        return int(cell.value) if float(cell.value).is_integer() else cell.value
    if cell.kind == "formula":
        return {"formula": cell.value}
    return cell.value


def _effective(cell: FCell) -> tuple[dict[str, Any] | None, str | None]:
    if cell.kind == "string":
        return {"stringValue": cell.value}, cell.value
    if cell.kind == "number":
        return {"numberValue": cell.value}, str(python_value(cell))
    if cell.kind == "bool":
        return {"boolValue": cell.value}, "TRUE" if cell.value else "FALSE"
    if cell.kind == "formula":
        return {"errorValue": {"type": "ERROR", "message": "the stand-in does not evaluate formulas"}}, "#ERROR!"
    return None, None


def cell_data(cell: FCell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if cell.kind is not None:
        key = {"string": "stringValue", "number": "numberValue", "bool": "boolValue", "formula": "formulaValue"}[cell.kind]
        out["userEnteredValue"] = {key: cell.value}
        eff, shown = _effective(cell)
        out["effectiveValue"], out["formattedValue"] = eff, shown
    if cell.note:
        out["note"] = cell.note
    if cell.fmt:
        out["userEnteredFormat"] = copy.deepcopy(cell.fmt)
        out["effectiveFormat"] = copy.deepcopy(cell.fmt)
    return out


# --- field masks -----------------------------------------------------------------------------------


def mask_paths(mask: str) -> list[tuple[str, ...]]:
    """``"a,b.c,d(e,f.g)"`` → [("a",), ("b","c"), ("d","e"), ("d","f","g")]."""
    out: list[tuple[str, ...]] = []

    def parse(text: str, prefix: tuple[str, ...]) -> None:
        depth, start = 0, 0
        parts = []
        for i, ch in enumerate(text):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(text[start:i])
                start = i + 1
        parts.append(text[start:])
        for part in parts:
            part = part.strip()
            if not part:
                raise ApiError(400, f"Invalid field mask {mask!r}")
            if "(" in part:
                head, inner = part.split("(", 1)
                parse(inner[:-1], prefix + tuple(head.split(".")))
            else:
                out.append(prefix + tuple(part.split(".")))

    parse(mask, ())
    return out


_CELL_PATHS = {("userEnteredValue",), ("note",), ("userEnteredFormat",)}


def apply_mask(cell: FCell, data: dict[str, Any], mask: str, how: str) -> FCell:
    new = copy.deepcopy(cell)
    for path in mask_paths(mask):
        if path == ("*",):
            raise ApiError(400, "the stand-in does not take '*' masks")
        if path[0] == "userEnteredValue" and len(path) == 1:
            value = from_extended(data.get("userEnteredValue") or {}, how)
            new.kind, new.value, new.how = value.kind, value.value, value.how
        elif path == ("note",):
            new.note = data.get("note") or None
        elif path[0] == "userEnteredFormat":
            src = data.get("userEnteredFormat") or {}
            if len(path) == 1:
                new.fmt = copy.deepcopy(src)
                continue
            node_src: Any = src
            for key in path[1:]:
                node_src = node_src.get(key) if isinstance(node_src, dict) else None
            node = new.fmt
            for key in path[1:-1]:
                node = node.setdefault(key, {})
            if node_src is None:
                node.pop(path[-1], None)
            else:
                node[path[-1]] = copy.deepcopy(node_src)
            if not new.fmt.get("textFormat", True):
                new.fmt.pop("textFormat", None)
        else:
            raise ApiError(400, f"the stand-in does not support the field {'.'.join(path)!r}")
    return new


# --- A1 ranges -------------------------------------------------------------------------------------


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def split_range(text: str) -> tuple[str, str | None]:
    """``"'It''s'!A1:B2"`` → (``"It's"``, ``"A1:B2"``)."""
    if text.startswith("'"):
        end = 1
        title = ""
        while end < len(text):
            if text[end] == "'":
                if end + 1 < len(text) and text[end + 1] == "'":
                    title += "'"
                    end += 2
                    continue
                break
            title += text[end]
            end += 1
        rest = text[end + 1 :]
    else:
        title, _, rest = text.partition("!")
        rest = "!" + rest if rest else ""
    return title, rest[1:] if rest.startswith("!") else None


def cell_ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if not m:
        raise ApiError(400, f"Unable to parse range: {ref}")
    return int(m[2]) - 1, _col(m[1])
