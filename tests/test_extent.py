"""The guard's measure of a sheet against the grid python-calamine really lays out.

A sheet whose grid the guard under-estimates reaches the reader, which then allocates that grid
densely: a 3 KB attachment with one cell at XFD1048576 makes 17 billion cells and aborts syncd.
So every way an .xlsx may place a cell (references that disagree with their row tag, lower-case
or zero-padded references, single quotes, spaces around "=", a second ``r`` attribute, prefixed
tags, cells and rows without references, comments) is generated here and read by the real reader,
and the guard's bound must never be smaller than what it built.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from syncd.workbook.extent import XlsxSheetScan, xlsx_sheet_extent

HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
        b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
TAIL = b"</sheetData></worksheet>"

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
        'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Tasks" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def workbook(sheet_xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def reader_grid(sheet_xml: bytes) -> tuple[int, int] | None:
    """(rows, columns) from A1 to the last cell python-calamine laid out; None if it refused."""
    try:
        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(workbook(sheet_xml))).get_sheet_by_name("Tasks")
    except Exception:  # noqa: BLE001 - the reader refusing the sheet lays nothing out
        return None
    end = sheet.end
    return (end[0] + 1, end[1] + 1) if end is not None else (0, 0)


def guard_bounds(sheet_xml: bytes, chunk: int) -> list[tuple[int, int]]:
    """The quick scan's bound (fed in ``chunk``-byte pieces, as the guard inflates) where it gives
    one, and the precise one."""
    quick = XlsxSheetScan()
    for at in range(0, len(sheet_xml), chunk):
        quick.feed(sheet_xml[at:at + chunk])
    got = quick.finish()
    precise = xlsx_sheet_extent(sheet_xml)
    return ([(got.rows, got.cols)] if got is not None else []) + [(precise.rows, precise.cols)]


def guard_in_child(path) -> str:
    """``check_file(path)`` in a child given 60 s: a scan that hangs fails the test, not the run."""
    code = "import sys; from syncd.workbook.guard import check_file; print(check_file(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    return done.stdout.strip()


@st.composite
def reference(draw) -> str:
    col = get_column_letter(draw(st.integers(1, 800)))
    if draw(st.booleans()):
        col = col.lower()
    row = str(draw(st.integers(1, 6000)))
    return col + "0" * draw(st.integers(0, 2)) + row


@st.composite
def attribute(draw, name: str, value: str) -> str:
    # mostly as spreadsheet programs write it, so that whole sheets often take the quick scan
    quote = draw(st.sampled_from(['"'] * 4 + ["'"]))
    eq = draw(st.sampled_from(["="] * 8 + [" = ", "\t=", "=\n"]))
    return f"{name}{eq}{quote}{value}{quote}"


@st.composite
def cell(draw) -> str:
    tag = draw(st.sampled_from(["c"] * 6 + ["x:c"]))
    attrs = []
    if draw(st.integers(0, 4)):
        attrs.append(draw(attribute("r", draw(reference()))))
    if draw(st.booleans()):
        attrs.insert(len(attrs) if draw(st.integers(0, 3)) else 0, 's="1"')
    if draw(st.integers(0, 5)) == 0:
        attrs.append(draw(attribute("r", draw(reference()))))  # a second reference: the reader takes it
    sep = draw(st.sampled_from([" "] * 8 + ["\n", "\t", "  "]))
    head = f"<{tag}" + "".join(sep + a for a in attrs)
    body = draw(st.sampled_from(["/>", "></c>", "><v>1</v></c>", "><v>2</v></c>", "><v></v></c>",
                                 ' t="inlineStr"><is><t>x</t></is></c>', ' t="inlineStr"><is><t></t></is></c>']))
    if tag == "x:c" and body.endswith("</c>"):
        body = body[:-4].replace("<v>", "<x:v>").replace("</v>", "</x:v>") + "</x:c>"
    return head + body


@st.composite
def row(draw) -> str:
    tag = draw(st.sampled_from(["row"] * 6 + ["x:row"]))
    attrs = f' r="{draw(st.integers(1, 6000))}"' if draw(st.integers(0, 3)) else ""
    cells = "".join(draw(st.lists(cell(), max_size=6)))
    if draw(st.integers(0, 10)) == 0:
        cells = "<!-- </row> -->" + cells
    if not cells and draw(st.booleans()):
        return f"<{tag}{attrs}/>"
    return f"<{tag}{attrs}>{cells}</{tag}>"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row(), max_size=8), st.sampled_from([7, 64, 1 << 20]))
def test_the_guard_never_measures_a_sheet_smaller_than_the_reader_lays_it_out(rows, chunk):
    sheet = HEAD + "".join(rows).encode() + TAIL
    grid = reader_grid(sheet)
    if grid is None:
        return
    for bound in guard_bounds(sheet, chunk):
        assert bound[0] >= grid[0] and bound[1] >= grid[1], (bound, grid, sheet)


@pytest.mark.parametrize("cells, grid", [
    # each is a way a cell lands far from where its row tag says; the grid is what the reader builds
    ('<row r="1"><c r="A5000"><v>1</v></c></row>', (5000, 1)),
    ('<row r="1"><c r="cv5000"><v>1</v></c></row>', (5000, 100)),
    ('<row r="1"><c r="A0005000"><v>1</v></c></row>', (5000, 1)),
    ("<row r='1'><c r='CV5000'><v>1</v></c></row>", (5000, 100)),
    ('<row r="1"><c r = "CV5000"><v>1</v></c></row>', (5000, 100)),
    ('<row r="1"><c r="A1" r="CV5000"><v>1</v></c></row>', (5000, 100)),
    ("<row r=\"1\"><c r=\"A1\" r='CV5000'><v>1</v></c></row>", (5000, 100)),
    ('<row r="1"><c r="A1" r ="CV5000"><v>1</v></c></row>', (5000, 100)),
    ('<row r="1"><c s="1" r="CV5000"><v>1</v></c></row>', (5000, 100)),
    ('<row r="1"><c r="CU1"/><c><v>1</v></c></row>', (1, 100)),
    ('<row r="4000"/><row><c><v>1</v></c></row>', (4001, 1)),
    ('<row r="1"><c r="CU1"><v>1</v></c><!-- </row> --><c><v>1</v></c></row>', (1, 100)),
    ('<row r="1"><c s=">" r="CV5000"><v>1</v></c></row>', (5000, 100)),  # quoted values may hold ">"
    ('<row r="1"><c s="<" r="CV5000"><v>1</v></c></row>', (5000, 100)),  # and "<", to this reader
])
def test_cells_placed_far_from_their_row_are_measured_where_the_reader_puts_them(cells, grid):
    sheet = HEAD + cells.encode() + TAIL
    assert reader_grid(sheet) == grid  # the reader really does place it there
    for bound in guard_bounds(sheet, 1 << 20):
        assert bound[0] >= grid[0] and bound[1] >= grid[1]


def test_a_usual_sheet_is_measured_by_the_quick_scan_alone():
    # what spreadsheet programs write: the quick scan gives a bound the limits accept, so the
    # precise scan (a second, slower pass) is not needed
    rows = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d" t="n"><v>1</v></c>' % (c.encode(), r) for c in "ABCL")
                    + b"</row>" for r in range(1, 3000))
    quick = XlsxSheetScan()
    quick.feed(HEAD + rows + TAIL)
    got = quick.finish()
    assert got is not None and got.rows * got.cols <= 20_000_000


@pytest.mark.parametrize("repeated", [b'<c "', b'<c a="x', b'<c a<c a="'])
def test_a_sheet_built_to_make_the_scan_go_over_it_again_and_again_is_measured_at_once(tmp_path, repeated):
    # Tags whose quotes or tags never close, by the hundred thousand, in a part cut off there (no
    # ">" after them): a scan that tried each tag to the end of the part would take hours on this
    # 1 MB file (it took 37 s for 20,000 of them). The reader's parser stops at the first such
    # tag, and so does the scan.
    sheet = HEAD + b'<row r="1"><c r="A1"><v>1</v></c>' + repeated * 300_000
    path = tmp_path / "quadratic.xlsx"
    path.write_bytes(workbook(sheet))
    assert guard_in_child(path) == "xlsx"
    assert reader_grid(sheet) is None  # the reader refuses it: nothing is laid out


def test_an_ods_built_to_make_the_scan_go_over_it_again_and_again_is_measured_at_once(tmp_path):
    # The same for an .ods: its cell tags, by the hundred thousand, never closed (2 MB). The scan
    # that resumed at each "<" took minutes on 1 MB of them and hours on this.
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body>'
               b'<office:spreadsheet><table:table table:name="Tasks"><table:table-row>'
               + b'<table:table-cell ' * 120_000)
    path = tmp_path / "quadratic.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    assert guard_in_child(path) == "ods"
