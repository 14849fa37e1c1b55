"""When two cell values are "the same" to a person, and how text is normalised for fuzzy matching.

Rules (a copy's round trip through Excel, LibreOffice or Google Sheets must not look like an edit):
``1 == 1.0``; an empty cell, ``None`` and ``""`` (or only spaces) are all empty; strings compare
exactly after stripping outer whitespace, so ``"Jane " == "Jane"`` but ``"done" != "Done"`` (a case
change is an edit someone made); a datetime at midnight equals the same date; ``True`` is never
``1``. Everything else compares by type and value.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from typing import Hashable

from syncd.model import Value

_EMPTY_KEY: tuple = ("",)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ASCII_NON_WORD = {c: " " for c in range(128) if not chr(c).isalnum()}
_MONTHS = frozenset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july "
    "august september october november december".split()
)


def is_empty(value: Value) -> bool:
    """True for ``None`` and for strings that are empty once stripped."""
    return value is None or (isinstance(value, str) and not value.strip())


def value_key(value: Value) -> Hashable:
    """A hashable key such that ``value_key(a) == value_key(b)`` exactly when ``same(a, b)``.

    Used to hash rows and columns, so equality stays one rule everywhere.
    """
    if type(value) is str:  # most cells: checked first
        text = value.strip()
        return ("s", text) if text else _EMPTY_KEY
    if value is None:
        return _EMPTY_KEY
    if isinstance(value, str):
        text = value.strip()
        return ("s", text) if text else _EMPTY_KEY
    # bool before int: True is an int to Python but never the number 1 to a person.
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("n", value)
    if isinstance(value, float):
        if math.isnan(value):
            return ("n", "nan")
        if value.is_integer():
            return ("n", int(value))
        return ("n", value)
    # datetime before date: every datetime is a date to Python.
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return ("d", value.date())
        return ("dt", value)
    if isinstance(value, dt.date):
        return ("d", value)
    if isinstance(value, dt.time):
        return ("t", value)
    return ("o", type(value).__name__, repr(value))


def same(a: Value, b: Value) -> bool:
    """Whether two cell values are the same to a person (see the module docstring)."""
    if type(a) is str and type(b) is str:  # the common case, without building two keys
        return a == b or a.strip() == b.strip()
    return value_key(a) == value_key(b)


def value_text(value: Value) -> str:
    """The value as plain text (for fuzzy comparison and messages); empty cells give ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def normalise_text(text: str) -> str:
    """Casefold, strip accents, turn punctuation into spaces and collapse runs of spaces."""
    if len(text) <= _CACHED_CHARS:
        return _normalise_cached(text)
    return _normalise(text)


#: Short texts (titles, names, statuses) are normalised once per process: each merge of a big
#: tracker looks at every title again (to find the title column), and the next copy brings the same.
_CACHED_CHARS = 120


def _normalise(text: str) -> str:
    folded = text.casefold()
    if folded.isascii():
        # Same result as the regular expression below, several times faster.
        return " ".join(folded.translate(_ASCII_NON_WORD).split())
    folded = unicodedata.normalize("NFKD", folded).translate(_WITHOUT_MARKS)
    return " ".join(_NON_WORD.sub(" ", folded).split())


_normalise_cached = functools.lru_cache(maxsize=1 << 17)(_normalise)


class _Marks(dict):
    """A ``str.translate`` table that drops combining marks (accents once NFKD split them off),
    filled in as characters are met: a lookup in C instead of a Python call per character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        kept = self[code] = "" if unicodedata.combining(char) else char
        return kept


_WITHOUT_MARKS = _Marks()


def normalise_name(name: str) -> str:
    """A column name reduced to letters and digits, for "Due date" == "due-date" == "DueDate"."""
    return normalise_text(name).replace(" ", "")


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return normalise_text(text).split()


def is_distinguishing(token: str) -> bool:
    """A word that names *which* one rather than *what*: a number, version, quarter, year, month.

    Two titles that differ in such a word ("Q3 budget review" / "Q4 budget review") are different
    tasks however similar the rest of the text is.
    """
    return any(ch.isdigit() for ch in token) or token in _MONTHS


def distinguishing_signature(text: str) -> str:
    """The sorted distinguishing words of a text, joined; ``""`` when it has none."""
    return " ".join(sorted(t for t in words(text) if is_distinguishing(t)))
