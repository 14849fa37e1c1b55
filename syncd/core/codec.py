"""Typed values and tables to bytes and back, for the journal.

JSON has no dates, so dates, datetimes and times are tagged; everything else is plain JSON. Tables are
zlib-compressed because every generation is kept and trackers repeat a lot of text.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

import orjson

from syncd.model import Table, Value


def encode_value(v: Value) -> Any:
    # datetime before date: datetime is a subclass of date
    if isinstance(v, dt.datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    if isinstance(v, dt.time):
        return {"t": v.isoformat()}
    return v


def decode_value(v: Any) -> Value:
    if isinstance(v, dict):
        if "dt" in v:
            return dt.datetime.fromisoformat(v["dt"])
        if "d" in v:
            return dt.date.fromisoformat(v["d"])
        if "t" in v:
            return dt.time.fromisoformat(v["t"])
        raise ValueError(f"unknown tagged value {v!r}")
    return v


def dumps(obj: Any) -> bytes:
    # without PASSTHROUGH orjson would turn dates into plain strings and lose their type
    return orjson.dumps(obj, default=encode_value, option=orjson.OPT_PASSTHROUGH_DATETIME)


def loads(data: bytes | str) -> Any:
    """Inverse of ``dumps`` for structures whose leaves are values (tags are decoded)."""
    return _untag(orjson.loads(data))


def _untag(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_untag(x) for x in obj]
    if isinstance(obj, dict):
        if len(obj) == 1 and next(iter(obj)) in ("dt", "d", "t"):
            return decode_value(obj)
        return {k: _untag(v) for k, v in obj.items()}
    return obj


def encode_table(table: Table) -> bytes:
    doc = {
        "columns": list(table.columns),
        "rows": [[encode_value(v) for v in row] for row in table.rows],
        "ids": list(table.row_ids),
    }
    return zlib.compress(orjson.dumps(doc), 6)


def decode_table(blob: bytes) -> Table:
    doc = orjson.loads(zlib.decompress(blob))
    rows = tuple(tuple(decode_value(v) for v in row) for row in doc["rows"])
    return Table(tuple(doc["columns"]), rows, tuple(doc["ids"]))
