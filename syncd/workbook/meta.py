"""What a file says about itself: its last author and save time (document properties) and, for a
copy of a canonical, the tracker / lineage / generation in the hidden ``_syncd`` sheet.

Nothing here is trusted for safety and nothing here rejects a file: a missing or odd value is
simply unknown (``None``).
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import zipfile
from collections.abc import Sequence

from syncd.model import Value
from syncd.workbook import cfb
from syncd.workbook.guard import parse_small_xml

_CAP = 1 << 20  # property parts are a few hundred bytes; never parse more than this


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _texts(root) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in root.iter():
        text = (el.text or "").strip()
        if text:
            out.setdefault(_local(el.tag), text)
    return out


def parse_timestamp(text: str | None) -> dt.datetime | None:
    """An ISO-8601 timestamp as an aware datetime (UTC when it names no zone)."""
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def _member(zf: zipfile.ZipFile, wanted: str) -> bytes | None:
    for info in zf.infolist():
        if info.filename.replace("\\", "/").lstrip("/").lower() == wanted:
            with zf.open(info) as f:
                return f.read(_CAP)
    return None


def read_docprops(path: str | os.PathLike, fmt: str) -> tuple[str | None, dt.datetime | None]:
    """``(author, modified)`` from docProps/core.xml (OOXML) or meta.xml (ODS); author is the last
    person who saved it, else its creator. ``(None, None)`` when absent or unreadable."""
    try:
        with zipfile.ZipFile(path) as zf:
            if fmt == "ods":
                raw = _member(zf, "meta.xml")
                if raw is None:
                    return None, None
                found = _texts(parse_small_xml(raw))
                author = found.get("creator") or found.get("initial-creator")
                return author, parse_timestamp(found.get("date"))
            raw = _member(zf, "docprops/core.xml")
            if raw is None:
                return None, None
            found = _texts(parse_small_xml(raw))
            return found.get("lastModifiedBy") or found.get("creator"), parse_timestamp(found.get("modified"))
    except Exception:  # noqa: BLE001 - metadata is optional; a bad part means "unknown"
        return None, None


_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.timezone.utc)


def read_ole_props(path: str | os.PathLike) -> tuple[str | None, dt.datetime | None]:
    """``(author, modified)`` from the SummaryInformation stream of a .xls (last author, else
    author; last save time). ``(None, None)`` when absent or unreadable."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        raw = cfb.Compound(data).read_stream("\x05SummaryInformation", 65536)
        if not raw or len(raw) < 48:
            return None, None
        (section,) = struct.unpack_from("<I", raw, 44)
        _size, count = struct.unpack_from("<II", raw, section)
        props: dict[int, object] = {}
        codepage = "cp1252"
        for k in range(min(count, 64)):
            pid, offset = struct.unpack_from("<II", raw, section + 8 + 8 * k)
            pos = section + offset
            (vtype,) = struct.unpack_from("<I", raw, pos)
            if vtype == 0x02 and pid == 1:  # codepage
                cp = struct.unpack_from("<h", raw, pos + 4)[0] & 0xFFFF
                codepage = "utf-8" if cp == 65001 else f"cp{cp}"
            elif vtype == 0x1E:  # VT_LPSTR
                (length,) = struct.unpack_from("<I", raw, pos + 4)
                props[pid] = raw[pos + 8 : pos + 8 + min(length, 1024)]
            elif vtype == 0x40:  # VT_FILETIME
                (ticks,) = struct.unpack_from("<Q", raw, pos + 4)
                props[pid] = ticks
        def text(pid: int) -> str | None:
            value = props.get(pid)
            if not isinstance(value, bytes):
                return None
            try:
                out = value.split(b"\0", 1)[0].decode(codepage, "replace").strip()
            except LookupError:
                out = value.split(b"\0", 1)[0].decode("cp1252", "replace").strip()
            return out or None

        ticks = props.get(13)
        modified = _FILETIME_EPOCH + dt.timedelta(microseconds=ticks // 10) if isinstance(ticks, int) and ticks else None
        return text(8) or text(4), modified
    except Exception:  # noqa: BLE001 - metadata is optional; a bad stream means "unknown"
        return None, None


def file_mtime(path: str | os.PathLike) -> dt.datetime | None:
    """The file's own last-modified time, aware, in UTC."""
    try:
        return dt.datetime.fromtimestamp(os.stat(path).st_mtime, tz=dt.timezone.utc)
    except OSError:
        return None


def _as_generation(value: Value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_meta_sheet(rows: Sequence[Sequence[Value]]) -> tuple[str | None, str | None, int | None]:
    """``(tracker, lineage, generation)`` from the key/value rows of the ``_syncd`` sheet. Keys are
    matched case-insensitively in the first column, values read from the second; anything missing
    or malformed is ``None``."""
    found: dict[str, Value] = {}
    for row in rows:
        if len(row) < 2 or not isinstance(row[0], str):
            continue
        key = row[0].strip().casefold()
        if key in ("tracker", "lineage", "generation") and key not in found:
            found[key] = row[1]

    def text(key: str) -> str | None:
        value = found.get(key)
        if value is None or isinstance(value, bool):
            return None
        out = str(value).strip()
        return out or None

    return text("tracker"), text("lineage"), _as_generation(found.get("generation"))
