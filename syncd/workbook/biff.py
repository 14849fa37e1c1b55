"""Values of an Excel 2.x/3.0/4.0 worksheet file (BIFF2-4, a bare record stream, no OLE wrapper).

calamine only reads BIFF5 and later inside an OLE container, and no other available library reads
these, yet old accounting and government systems still export them. Such a file holds a single
sheet; this reads its cell values (numbers, text, booleans, cached formula results) and tells
dates by their number format, as Excel does. Everything is bounds-checked: a short or garbled
record ends the read with ``BiffDamaged``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import struct

from syncd.model import Value


class BiffDamaged(Exception):
    """The record stream is inconsistent."""


_MAX_ROWS, _MAX_COLS = 16_384, 256  # the grid of Excel 4.0; nothing in a BIFF2-4 file lies beyond
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_DATE_CHARS = set("ymdhs")
_BIFF2_CELLS = {0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006}


def _is_date_format(fmt: str) -> bool:
    plain = _QUOTED.sub("", fmt).lower()
    return "general" not in plain and any(ch in _DATE_CHARS for ch in plain)


def _serial_to_value(serial: float, date1904: bool, is_date: bool) -> Value:
    if not is_date or serial < 0 or serial > 2_958_465:  # 9999-12-31
        return int(serial) if serial.is_integer() and abs(serial) < 2**53 else serial
    if serial < 1 and not date1904:
        seconds = round(serial * 86400)
        return dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    if not date1904 and serial < 61:
        base += dt.timedelta(days=1)  # Excel's phantom 1900-02-29
    stamp = base + dt.timedelta(seconds=round(serial * 86400))
    return stamp.date() if serial.is_integer() else stamp


def _rk(raw: int) -> float:
    if raw & 2:
        value = float(raw >> 2 if not raw & 0x80000000 else (raw >> 2) - (1 << 30))
    else:
        value = struct.unpack("<d", struct.pack("<Q", (raw & 0xFFFFFFFC) << 32))[0]
    return value / 100 if raw & 1 else value


def read_biff_sheet(data: bytes) -> list[list[Value]]:
    """The sheet's cells as rows from A1 (``None`` where empty); raises ``BiffDamaged``."""
    codec = "cp1252"
    date1904 = False
    formats: list[str] = []
    xf_format: list[int] = []
    cells: dict[tuple[int, int], Value] = {}
    pending_string: tuple[int, int] | None = None
    pos, n = 0, len(data)
    max_r = max_c = -1

    def text(raw: bytes) -> str:
        return raw.decode(codec, "replace")

    def put(row: int, col: int, value: Value) -> None:
        nonlocal max_r, max_c
        if row >= _MAX_ROWS or col >= _MAX_COLS:
            raise BiffDamaged("cell outside the sheet")
        cells[(row, col)] = value
        max_r, max_c = max(max_r, row), max(max_c, col)

    def number(row: int, col: int, value: float, fmt_index: int) -> None:
        fmt = formats[fmt_index] if 0 <= fmt_index < len(formats) else ""
        put(row, col, _serial_to_value(value, date1904, _is_date_format(fmt)))

    def xf_fmt(xf: int) -> int:
        return xf_format[xf] if 0 <= xf < len(xf_format) else -1

    while pos + 4 <= n:
        rtype, length = struct.unpack_from("<HH", data, pos)
        body = data[pos + 4 : pos + 4 + length]
        pos += 4 + length
        if len(body) < length:
            raise BiffDamaged("record cut short")
        try:
            if rtype == 0x000A:  # EOF
                break
            if rtype == 0x0042 and length >= 2:  # CODEPAGE
                cp = struct.unpack_from("<H", body)[0]
                name = {0x8000: "mac_roman", 1200: "utf-16-le", 367: "ascii", 32769: "cp1252"}.get(cp, f"cp{cp}")
                try:
                    codecs.lookup(name)
                    codec = name
                except LookupError:
                    pass
            elif rtype == 0x0022 and length >= 2:  # DATEMODE
                date1904 = struct.unpack_from("<H", body)[0] == 1
            elif rtype == 0x001E:  # FORMAT, BIFF2/3: counted string
                formats.append(text(body[1 : 1 + body[0]]))
            elif rtype == 0x041E:  # FORMAT, BIFF4: two unused bytes first
                formats.append(text(body[3 : 3 + body[2]]))
            elif rtype in (0x0243, 0x0443):  # XF, BIFF3/4: format index in byte 1
                xf_format.append(body[1])
            elif rtype in _BIFF2_CELLS:
                row, col = struct.unpack_from("<HH", body)
                fmt = body[5] & 0x3F  # BIFF2 keeps the format index in the cell's attributes
                if rtype == 0x0002:
                    number(row, col, float(struct.unpack_from("<H", body, 7)[0]), fmt)
                elif rtype == 0x0003:
                    number(row, col, struct.unpack_from("<d", body, 7)[0], fmt)
                elif rtype == 0x0004:
                    put(row, col, text(body[8 : 8 + body[7]]))
                elif rtype == 0x0005:
                    if body[8] == 0:
                        put(row, col, bool(body[7]))
                elif rtype == 0x0006:
                    pending_string = _formula(body[7:15], row, col, fmt, number, put)
            elif rtype in (0x0203, 0x0204, 0x0205, 0x027E, 0x0206, 0x0406):
                row, col, xf = struct.unpack_from("<HHH", body)
                if rtype == 0x0203:
                    number(row, col, struct.unpack_from("<d", body, 6)[0], xf_fmt(xf))
                elif rtype == 0x027E:
                    number(row, col, _rk(struct.unpack_from("<I", body, 6)[0]), xf_fmt(xf))
                elif rtype == 0x0204:
                    size = struct.unpack_from("<H", body, 6)[0]
                    put(row, col, text(body[8 : 8 + size]))
                elif rtype == 0x0205:
                    if body[7] == 0:
                        put(row, col, bool(body[6]))
                else:
                    pending_string = _formula(body[6:14], row, col, xf_fmt(xf), number, put)
            elif rtype in (0x0007, 0x0207) and pending_string is not None:  # STRING after a formula
                raw = body[1 : 1 + body[0]] if rtype == 0x0007 else body[2 : 2 + struct.unpack_from("<H", body)[0]]
                put(*pending_string, text(raw))
                pending_string = None
        except (struct.error, IndexError):
            raise BiffDamaged("record too short") from None
    rows: list[list[Value]] = [[None] * (max_c + 1) for _ in range(max_r + 1)]
    for (r, c), value in cells.items():
        rows[r][c] = value
    return rows


def _formula(result: bytes, row: int, col: int, fmt: int, number, put) -> tuple[int, int] | None:
    """Store a formula's cached result; returns the cell when the text follows in a STRING record."""
    if len(result) < 8:
        raise BiffDamaged("formula record too short")
    if result[6:8] != b"\xff\xff":
        number(row, col, struct.unpack("<d", result)[0], fmt)
        return None
    kind = result[0]
    if kind == 0:
        return (row, col)
    if kind == 1:
        put(row, col, bool(result[2]))
    return None
