"""A bounds-checked look inside an OLE compound file (the container of .xls, .doc and encrypted
.xlsx files), done before any library parses it.

Why not leave it to the reader: a compound file is a little file system of sector chains, and a
chain that loops or points past the end makes calamine abort the whole process (not raise). So the
allocation tables and every chain are walked here first, with loop and range checks, and only a
file that passes goes on. Also gives the stream names (``EncryptedPackage`` means a password-
protected OOXML file, ``WordDocument`` a Word file) and the start of the ``Workbook`` stream, where
an encrypted .xls carries its FILEPASS record.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END, _FAT, _DIFAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
_MAX_REGULAR = 0xFFFFFFFA


class CfbDamaged(Exception):
    """The container is inconsistent; ``str()`` says how, in plain words, for a log."""


@dataclass(frozen=True)
class Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int


class Compound:
    """A validated compound file held in memory (callers cap the file size first)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or data[:8] != MAGIC:
            raise CfbDamaged("too short for a compound file")
        self.data = data
        (major, order, shift, mini_shift) = struct.unpack_from("<HHHH", data, 26)
        if order != 0xFFFE or shift not in (9, 12) or mini_shift != 6 or major not in (3, 4):
            raise CfbDamaged("header values out of range")
        self.sector = 1 << shift
        self.n_sectors = (len(data) - self.sector + self.sector - 1) // self.sector
        (n_fat, first_dir, _tx, self.cutoff, first_minifat, n_minifat, first_difat, n_difat) = (
            struct.unpack_from("<IIIIIIII", data, 44)
        )
        if self.n_sectors <= 0 or n_fat > self.n_sectors or n_difat > self.n_sectors:
            raise CfbDamaged("allocation table larger than the file")
        self.fat = self._read_fat(n_fat, first_difat, n_difat)
        self.entries = self._read_directory(first_dir)
        root = self.entries[0] if self.entries else None
        if root is None or root.kind != 5:
            raise CfbDamaged("no root entry")
        self.minifat = array("I")
        if n_minifat and first_minifat <= _MAX_REGULAR:
            self.minifat.frombytes(self._chain_bytes(first_minifat))
        self.ministream = self._chain_bytes(root.start, root.size) if root.size else b""
        for entry in self.entries:
            if entry.kind == 2 and entry.size:
                self._check_stream(entry)

    def _sector_bytes(self, n: int) -> bytes:
        if n >= self.n_sectors:
            raise CfbDamaged(f"sector {n} lies past the end of the file")
        off = (n + 1) * self.sector
        return self.data[off : off + self.sector]

    def _read_fat(self, n_fat: int, first_difat: int, n_difat: int) -> array:
        fat_sectors = list(struct.unpack_from("<109I", self.data, 76))
        per = self.sector // 4
        nxt, seen = first_difat, set()
        while nxt <= _MAX_REGULAR and len(seen) < n_difat:
            if nxt in seen:
                raise CfbDamaged("the allocation index loops")
            seen.add(nxt)
            block = struct.unpack(f"<{per}I", self._sector_bytes(nxt))
            fat_sectors.extend(block[:-1])
            nxt = block[-1]
        fat = array("I")
        for n in fat_sectors[:n_fat]:
            if n > _MAX_REGULAR:
                raise CfbDamaged("allocation table sector missing")
            fat.frombytes(self._sector_bytes(n))
        if fat.itemsize != 4:  # pragma: no cover - array('I') is 4 bytes on every supported platform
            raise CfbDamaged("unsupported platform")
        return fat

    def _chain(self, start: int, table: array, limit: int) -> list[int]:
        """Sector numbers of a chain; raises on loops and on links outside ``table``/``limit``."""
        out: list[int] = []
        n = start
        while n != _END:
            if n >= len(table) or n >= limit:
                raise CfbDamaged(f"a chain points at sector {n}, past the end")
            if len(out) >= limit:
                raise CfbDamaged("a sector chain loops")
            out.append(n)
            n = table[n]
            if n in (_FREE, _FAT, _DIFAT):
                raise CfbDamaged("a sector chain runs into free space")
        return out

    def _chain_bytes(self, start: int, size: int | None = None) -> bytes:
        chain = self._chain(start, self.fat, self.n_sectors)
        if len(set(chain)) != len(chain):
            raise CfbDamaged("a sector chain loops")
        data = b"".join(self._sector_bytes(n) for n in chain)
        if size is not None:
            if size > len(data):
                raise CfbDamaged("a stream is longer than its sectors")
            data = data[:size]
        return data

    def _read_directory(self, first: int) -> list[Entry]:
        raw = self._chain_bytes(first)
        entries = []
        for off in range(0, len(raw) - 127, 128):
            name_len, kind = struct.unpack_from("<HB", raw, off + 64)
            start, size = struct.unpack_from("<IQ", raw, off + 116)
            if kind not in (1, 2, 5) or not 2 <= name_len <= 64:
                if off == 0:
                    raise CfbDamaged("no root entry")
                continue
            name = raw[off : off + name_len - 2].decode("utf-16-le", "replace")
            if self.sector == 512:
                size &= 0xFFFFFFFF  # version 3 files leave the high half undefined
            entries.append(Entry(name, kind, start, size))
        return entries

    def _check_stream(self, entry: Entry) -> None:
        if entry.size >= self.cutoff:
            need = -(-entry.size // self.sector)
            if len(self._chain(entry.start, self.fat, self.n_sectors)) < need:
                raise CfbDamaged(f"stream {entry.name!r} is cut short")
        else:
            n_mini = len(self.ministream) // 64
            need = -(-entry.size // 64)
            if len(self._chain(entry.start, self.minifat, n_mini)) < need:
                raise CfbDamaged(f"stream {entry.name!r} is cut short")

    def stream_names(self) -> set[str]:
        """Lower-cased names of every stream and storage."""
        return {e.name.lower() for e in self.entries}

    def read_stream(self, name: str, limit: int) -> bytes | None:
        """The first ``limit`` bytes of the stream called ``name`` (case-insensitive), or None."""
        entry = next((e for e in self.entries if e.kind == 2 and e.name.lower() == name.lower()), None)
        if entry is None:
            return None
        if entry.size >= self.cutoff:
            chain = self._chain(entry.start, self.fat, self.n_sectors)
            need = -(-min(entry.size, limit) // self.sector)
            return b"".join(self._sector_bytes(n) for n in chain[:need])[: min(entry.size, limit)]
        chain = self._chain(entry.start, self.minifat, len(self.ministream) // 64)
        data = b"".join(self.ministream[n * 64 : n * 64 + 64] for n in chain)
        return data[: min(entry.size, limit)]


def biff_is_encrypted(stream: bytes) -> bool:
    """True when the workbook globals carry a FILEPASS record (a password-protected .xls).

    FILEPASS sits right after the first BOF, so only the opening records are looked at.
    """
    pos = 0
    for _ in range(200):
        if pos + 4 > len(stream):
            return False
        rtype, length = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x002F:
            return True
        if rtype in (0x000A, 0x0085) and pos:  # EOF or first BOUNDSHEET: past where FILEPASS goes
            return False
        pos += 4 + length
    return False
