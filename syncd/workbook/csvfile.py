"""Read a CSV/TSV export into typed rows: encoding, delimiter, then one ``infer_text`` per field.

People get CSVs from Excel in every local flavour: UTF-8 with or without a BOM, UTF-16 ("Unicode
text"), Windows-1252 with accents, ``;`` with a decimal comma where ``,`` is the decimal mark.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from syncd.model import Value
from syncd.workbook.values import infer_text

if TYPE_CHECKING:
    from syncd.workbook.guard import Limits

_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024
# Control characters never found in text a person typed; their presence means binary data.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f]")


class CsvTooBig(Exception):
    """More rows than the limit."""


class CsvCellTooLong(Exception):
    def __init__(self, row: int, col: int) -> None:
        super().__init__(f"row {row} column {col}")
        self.row = row  # 1-based record number
        self.col = col  # 0-based; -1 when the csv module stopped before telling which


@dataclass(frozen=True)
class CsvData:
    rows: list[list[Value]]
    delimiter: str
    encoding: str


def detect_encoding(data: bytes) -> str:
    """The encoding of CSV bytes: a BOM decides; else UTF-16 by its zero bytes, UTF-8 if the bytes
    are valid UTF-8, else Windows-1252 (what Excel writes on Western Windows), else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(b"\x00") * 3 >= len(sample):
        odd_zeros = sample[1::2].count(b"\x00")
        return "utf-16-le" if odd_zeros >= sample[0::2].count(b"\x00") else "utf-16-be"
    for enc in ("utf-8", "cp1252"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"


def decode_sample(head: bytes) -> str | None:
    """The start of a file as text, or ``None`` when it is binary data."""
    for cut in range(4):
        # The sample may end inside a multi-byte character.
        enc = detect_encoding(head[: len(head) - cut] if cut else head)
        try:
            text = (head[: len(head) - cut] if cut else head).decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    return None if _BINARY.search(text) else text


def _delimiter(text: str, path: str) -> str:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return "\t" if path.lower().endswith((".tsv", ".tab")) else ","


_UNSEEN = object()


def read_csv(path: str | os.PathLike, limits: "Limits") -> CsvData:
    """Typed rows of a delimited text file (row ``i`` is spreadsheet row ``i + 1``).

    Raises ``CsvTooBig`` past ``limits.max_rows`` records, ``CsvCellTooLong`` for a field longer
    than ``limits.max_cell_chars``, ``UnicodeDecodeError``/``csv.Error`` for undecodable input.
    """
    with open(path, "rb") as f:
        data = f.read(limits.max_file_bytes + 1)
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = _delimiter(text, os.fspath(path))
    decimal_comma = delimiter == ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    rows: list[list[Value]] = []
    max_chars = limits.max_cell_chars
    # Columns repeat their values (statuses, owners, dates): each distinct text is typed once.
    typed: dict[str, Value] = {}
    try:
        for record in reader:
            if len(rows) >= limits.max_rows + 1:
                raise CsvTooBig()
            if record and max(map(len, record)) > max_chars:
                raise CsvCellTooLong(len(rows) + 1, next(j for j, f in enumerate(record) if len(f) > max_chars))
            out: list[Value] = []
            for field in record:
                value = typed.get(field, _UNSEEN)
                if value is _UNSEEN:
                    value = typed[field] = infer_text(field, decimal_comma)
                out.append(value)
            rows.append(out)
    except csv.Error as e:
        if "field larger than field limit" in str(e):
            raise CsvCellTooLong(len(rows) + 1, -1) from None
        raise
    return CsvData(rows, delimiter, encoding)
