"""The files of the benchmark: real .xlsx packages written as raw streamed XML, CSV, and a
canonical read back with python-calamine.

``write_xlsx`` is the fastest writer there is, and deliberately not syncd's own: the floor
(``bench.floor``) writes with it, and the copies people mail back are written with it, so nothing
syncd does shapes its own inputs.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import zipfile
from pathlib import Path
from typing import Iterable, Sequence

from openpyxl.utils import get_column_letter

ID_COLUMN = "syncd id"  # syncd.model.ROW_ID_COLUMN, spelled out: this module writes files, not tables

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '{sheets}'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '</Types>'
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '</Relationships>'
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
    '</cp:coreProperties>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets>'
    '</workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
    '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
# Style 1 is a date (numFmt 14), so readers type those cells as dates.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '</styleSheet>'
)
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = '</sheetData></worksheet>'
_XL_EPOCH = dt.date(1899, 12, 30)
_HIDDEN = ' state="hidden"'


_LETTERS = [""] + [get_column_letter(n) for n in range(1, 200)]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, v) -> str:
    t = type(v)
    if t is str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{_esc(v)}</t></is></c>'
    if t is int or t is float:
        return f'<c r="{ref}"><v>{v!r}</v></c>'
    if t is bool:
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if t is dt.date:
        return f'<c r="{ref}" s="1"><v>{(v - _XL_EPOCH).days}</v></c>'
    if t is dt.datetime:
        days = (v - dt.datetime(1899, 12, 30)).total_seconds() / 86400
        return f'<c r="{ref}" s="1"><v>{days!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{_esc(str(v))}</t></is></c>'


def _sheet_chunks(rows: Iterable[Sequence]) -> Iterable[bytes]:
    yield _SHEET_HEAD.encode()
    buf: list[str] = []
    letters = _LETTERS
    for r, row in enumerate(rows, 1):
        cells = "".join(_cell(f"{letters[c]}{r}", v) for c, v in enumerate(row, 1) if v is not None)
        buf.append(f'<row r="{r}">{cells}</row>')
        if len(buf) >= 2000:
            yield "".join(buf).encode()
            buf = []
    buf.append(_SHEET_TAIL)
    yield "".join(buf).encode()


def write_xlsx(path: str | os.PathLike, sheets: Sequence[tuple[str, Iterable[Sequence], bool]],
               author: str = "bench", modified: dt.datetime | None = None) -> None:
    """A minimal valid .xlsx: ``sheets`` are (name, rows including the header, hidden), each row a
    sequence of str / int / float / bool / date / None. Streamed part by part, zlib default level."""
    when = (modified or dt.datetime(2026, 6, 1, 9, 0)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sheet_xml = "".join(
        f'<sheet name="{_esc(name)}" sheetId="{n}" r:id="rId{n}"{_HIDDEN if hidden else ""}/>'
        for n, (name, _, hidden) in enumerate(sheets, 1))
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(sheets) + 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("docProps/core.xml", _CORE.format(author=_esc(author), when=when))
        z.writestr("xl/workbook.xml", _WORKBOOK.format(sheets=sheet_xml))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(rels=rels))
        z.writestr("xl/styles.xml", _STYLES)
        for n, (_, rows, _) in enumerate(sheets, 1):
            with z.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as out:
                for chunk in _sheet_chunks(rows):
                    out.write(chunk)


def write_copy(path: Path, columns: Sequence[str], rows: Sequence[Sequence], ids: Sequence[str | None] | None,
               meta: dict | None, author: str, modified: dt.datetime) -> None:
    """A copy as a person saves it: the tracker sheet (with syncd's id column when the rows carry
    ids), and the hidden ``_syncd`` sheet when it was made from a canonical."""
    if ids is not None and any(i is not None for i in ids):
        table = [[*columns, ID_COLUMN]] + [[*r, rid] for r, rid in zip(rows, ids)]
    else:
        table = [list(columns)] + [list(r) for r in rows]
    sheets: list[tuple[str, Iterable[Sequence], bool]] = [("Tasks", table, False)]
    if meta:
        sheets.append(("_syncd", [["key", "value"], *([k, v] for k, v in meta.items())], True))
    write_xlsx(path, sheets, author=author, modified=modified)
    stamp = modified.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerows(["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows)


def read_canonical(path: Path) -> tuple[list[str], list[list], list[str | None], dict]:
    """(columns, rows, hidden ids, _syncd meta) of a canonical, read with python-calamine."""
    import python_calamine as calamine

    wb = calamine.CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name("Tasks").to_python(skip_empty_area=True)
    header = [str(h) for h in grid[0]]
    at = header.index(ID_COLUMN)
    columns = [h for k, h in enumerate(header) if k != at]
    rows, ids = [], []
    for raw in grid[1:]:
        values = [None if v == "" else int(v) if isinstance(v, float) and v.is_integer() else v for v in raw]
        values += [None] * (len(header) - len(values))
        ids.append(values[at])
        rows.append([v for k, v in enumerate(values) if k != at])
    meta = {str(k): v for k, v in wb.get_sheet_by_name("_syncd").to_python()[1:4]}
    if isinstance(meta.get("generation"), float):
        meta["generation"] = int(meta["generation"])
    return columns, rows, ids, meta
