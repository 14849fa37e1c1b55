"""Turn what a reader hands back into syncd's cell values (``syncd.model.Value``).

Two entry points, both pure: ``convert_rows`` for values that already carry a type (calamine,
openpyxl) and ``infer_text`` for text that does not (CSV). The rule for both is that a person must
see the same thing in the canonical as in their copy: a number is only made a number when it reads
back exactly as typed, and text is never trimmed or re-spelled.
"""

from __future__ import annotations

import datetime as dt
import re
from sys import intern

from syncd.model import Value

#: Integral floats are turned into ints only while a double holds them exactly; past 2**53 the
#: digits after the 16th are noise that a person never typed.
EXACT_INT = 2**53

#: At most 15 digits: Excel keeps 15 significant digits, so a longer run of digits (an account or
#: card number) stays text instead of being rounded the moment the canonical is opened.
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
_DEC_RE = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
_DEC_COMMA_RE = re.compile(r"-?(?:0|[1-9][0-9]*),[0-9]+")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?")
_BOOLS = {"true": True, "false": False}


class CellTooLong(Exception):
    """A text cell is longer than the limit; ``row``/``col`` are 0-based positions in the input."""

    def __init__(self, row: int, col: int, length: int) -> None:
        super().__init__(f"cell at row {row}, column {col} holds {length} characters")
        self.row = row
        self.col = col
        self.length = length


def duration_text(value: dt.timedelta) -> str:
    """A duration of a day or more as Excel shows it with ``[h]:mm:ss`` (e.g. ``"36:00:00"``)."""
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _duration(value: dt.timedelta) -> Value:
    # A time of day typed as "09:30" comes back from calamine as a timedelta below one day.
    if dt.timedelta(0) <= value < dt.timedelta(days=1):
        total = value.total_seconds()
        micro = round(total * 1_000_000) % 1_000_000
        whole = int(total)
        return dt.time(whole // 3600, whole // 60 % 60, whole % 60, micro)
    return duration_text(value)


_INTERN_CHARS = 200
_PLAIN = frozenset({int, bool, type(None), dt.date, dt.datetime, dt.time})


class _Long(Exception):
    pass


def _too_long(value: str) -> str:
    raise _Long()


def _other(value: object) -> Value:
    if isinstance(value, dt.timedelta):
        return _duration(value)
    # Anything unexpected (a reader's own error or rich-text type) is shown as its text, not dropped.
    return str(value)


def convert_rows(rows: list[list[object]], max_chars: int) -> list[list[Value]]:
    """Typed reader output → ``Value`` rows, in one pass.

    Integral floats become ints (bools stay bools), a timedelta under a day becomes a ``time`` (a
    longer one the text Excel shows), empty or whitespace-only text becomes ``None``; any other text
    is kept exactly. Raises ``CellTooLong`` for text longer than ``max_chars``.
    """
    out: list[list[Value]] = []
    append = out.append
    lo, hi = -EXACT_INT, EXACT_INT
    plain = _PLAIN
    # Short texts are interned: a status or an owner repeated down 100,000 rows, and the same title in
    # every copy of a tracker, are then one string in memory, and equal rows compare by identity.
    short = min(_INTERN_CHARS, max_chars)
    # One comprehension per row, no call per cell: this runs for every cell of every sheet read.
    for i, row in enumerate(rows):
        try:
            append(
                [
                    ((None if v.isspace() else intern(v) if len(v) <= short else v if len(v) <= max_chars
                      else _too_long(v)) if v else None)
                    if (t := type(v)) is str
                    else (int(v) if v.is_integer() and lo < v < hi else v)
                    if t is float
                    else v
                    if t in plain
                    else _other(v)
                    for v in row
                ]
            )
        except _Long:
            col = next(j for j, v in enumerate(row) if isinstance(v, str) and len(v) > max_chars)
            raise CellTooLong(i, col, len(row[col])) from None
    return out


def infer_text(text: str, decimal_comma: bool = False) -> Value:
    """The typed value of one CSV field, or the text exactly as typed.

    Numbers are only recognised when they read back identically (``"007"``, ``"1.10"`` and
    ``"+5"`` stay text; ``"55000.0"`` becomes ``55000.0``, ``"9000"`` becomes ``9000``). A decimal
    comma (``"3,5"``) is only a number when ``decimal_comma`` is set, i.e. the file is
    ``;``-separated. ISO dates become ``date``/``datetime``; TRUE/FALSE in any case a bool. Empty or
    whitespace-only text is ``None``.
    """
    if not text or text.isspace():
        return None
    first = text[0]
    if first.isdigit() or first == "-":
        if _INT_RE.fullmatch(text) and text != "-0":
            return int(text)
        if _DEC_RE.fullmatch(text):
            number = float(text)
            return number if repr(number) == text else text
        if decimal_comma and _DEC_COMMA_RE.fullmatch(text):
            dotted = text.replace(",", ".")
            number = float(dotted)
            return number if repr(number) == dotted else text
        if _DATE_RE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return text
        if _DATETIME_RE.fullmatch(text):
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                return text
        return text
    if len(text) <= 5:
        flag = _BOOLS.get(text.lower())
        if flag is not None:
            return flag
    return text
