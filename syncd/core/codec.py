"""Typed values and tables to bytes and back, for the journal.

JSON has no dates, so dates, datetimes and times are tagged; everything else is plain JSON. Tables are
zlib-compressed because every generation is kept and trackers repeat a lot of text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from syncd.model import Table, Value
from syncd.workbook import deflate


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


# Tables are compressed fast rather than small (``deflate``, ISA-L's fast level): a 100,000-row
# generation is written every sync, and zlib's level 6 took three times level 1's time for a blob
# a quarter smaller. Blobs written with zlib by earlier versions read the same.
_PARSE = {"dt": dt.datetime.fromisoformat, "d": dt.date.fromisoformat, "t": dt.time.fromisoformat}


def _temporal_cells(table: Table) -> list[list[Any]] | None:
    """``[[column, tag, [rows...]], ...]`` for every date, datetime and time cell, or ``None`` when one
    of them is a kind orjson does not write as ISO text (a time with a zone). Found column by
    column, so a column without any such cell costs one pass in C."""
    out: list[list[Any]] = []
    for c, column in enumerate(zip(*table.rows)):
        kinds = set(map(type, column))
        if not any(issubclass(k, (dt.date, dt.time)) for k in kinds):
            continue
        only = kinds - {type(None)}
        if len(only) == 1 and (kind := only.pop()) in (dt.datetime, dt.date):  # a plain date column
            out.append([c, "dt" if kind is dt.datetime else "d", [r for r, v in enumerate(column) if v is not None]])
            continue
        tagged: dict[str, list[int]] = {"dt": [], "d": [], "t": []}
        for r, v in enumerate(column):
            if isinstance(v, dt.datetime):
                tagged["dt"].append(r)
            elif isinstance(v, dt.date):
                tagged["d"].append(r)
            elif isinstance(v, dt.time):
                if v.tzinfo is not None:
                    return None
                tagged["t"].append(r)
        out += [[c, tag, rows] for tag, rows in tagged.items() if rows]
    return out


def encode_table(table: Table) -> bytes:
    temporal = _temporal_cells(table)
    if temporal is None:
        doc: dict[str, Any] = {
            "columns": list(table.columns),
            "rows": [[encode_value(v) for v in row] for row in table.rows],
            "ids": list(table.row_ids),
        }
    else:
        # Version 2: rows as they are (orjson writes dates as ISO text in C) plus where the dates
        # are, so neither side needs a Python call per cell.
        doc = {"v": 2, "columns": table.columns, "rows": table.rows, "ids": table.row_ids, "temporal": temporal}
    return deflate.compress(orjson.dumps(doc))


def decode_table(blob: bytes) -> Table:
    doc = orjson.loads(deflate.decompress(blob))
    if doc.get("v") == 2:
        rows = doc["rows"]
        for c, tag, where in doc["temporal"]:
            parse = _PARSE[tag]
            for r in where:
                rows[r][c] = parse(rows[r][c])
        return Table(tuple(doc["columns"]), tuple(map(tuple, rows)), tuple(doc["ids"]))
    rows = tuple(tuple(decode_value(v) for v in row) for row in doc["rows"])
    return Table(tuple(doc["columns"]), rows, tuple(doc["ids"]))
