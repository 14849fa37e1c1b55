"""Hostile, broken and wrong files: each must come back as one clear CopyRejected, quickly and
without big memory, and never as a crash or a library exception."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest

from syncd.errors import CopyRejected
from syncd.workbook.guard import DEFAULT_LIMITS, Limits, check_file
from syncd.workbook.read import read_sheet

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SYNCD_CORPUS", REPO.parent / "shared" / "corpus" / "real"))


def small_xlsx(path: Path, rows=(("Task", "Owner"), ("Launch", "Ana"))) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Tasks"
    for row in rows:
        wb.active.append(list(row))
    wb.save(path)
    return path


def rewrite(path: Path, member: str, data: bytes | None = None, *, stream=None, out: Path | None = None) -> Path:
    """Copy a workbook, replacing one part with ``data`` or with chunks from ``stream``."""
    out = out or path
    src = zipfile.ZipFile(path)
    items = [(info.filename, src.read(info)) for info in src.infolist()]
    src.close()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in items:
            if name != member:
                dst.writestr(name, body)
            elif stream is not None:
                with dst.open(name, "w", force_zip64=True) as f:
                    for chunk in stream:
                        f.write(chunk)
            else:
                dst.writestr(name, data)
    return out


def rejected(path: Path, **kwargs) -> CopyRejected:
    with pytest.raises(CopyRejected) as err:
        read_sheet(path, **kwargs)
    e = err.value
    text = str(e)
    # One line a project manager can read: the file, what happened, what to do; no jargon.
    assert "\n" not in text and text.startswith(path.name + ": ")
    assert e.file == path.name and e.reason and e.advice
    for jargon in ("Traceback", "Error", "Exception", "zipfile", "calamine", "openpyxl", "None"):
        assert jargon not in text
    return e


def rejected_in_child(path: Path) -> dict:
    """read_sheet in a child process with 2 GiB of address space: a reader that would abort or
    exhaust memory on this file fails the test instead of killing the test run."""
    code = textwrap.dedent(
        """
        import json, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from syncd.errors import CopyRejected
        from syncd.workbook.read import read_sheet
        try:
            read_sheet(sys.argv[1])
            print(json.dumps({"rejected": False}))
        except CopyRejected as e:
            print(json.dumps({"rejected": True, "reason": e.reason, "text": str(e)}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


# --- containers -----------------------------------------------------------------------------------


def test_zip_bomb_is_refused_from_the_directory_without_inflating(tmp_path):
    base = small_xlsx(tmp_path / "base.xlsx")
    zeros = (b" " * (1 << 20) for _ in range(64))  # 64 MiB of padding that deflates ~1000:1
    bomb = rewrite(base, "xl/worksheets/sheet1.xml", stream=zeros, out=tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 1 << 20
    e = rejected(bomb)
    assert "zip bomb" in e.reason


def test_entity_bomb_inside_a_sheet_is_refused(tmp_path):
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol4;</t></is></c></row></sheetData></worksheet>"""
    path = rewrite(small_xlsx(tmp_path / "b.xlsx"), "xl/worksheets/sheet1.xml", laughs)
    e = rejected(path)
    assert "XML that spreadsheet programs never write" in e.reason


def test_truncated_download_is_damaged_or_incomplete(tmp_path):
    full = small_xlsx(tmp_path / "full.xlsx").read_bytes()
    cut = tmp_path / "tracker_v3.xlsx"
    cut.write_bytes(full[: len(full) * 6 // 10])
    e = rejected(cut)
    assert e.reason == "damaged or incomplete (the file ends too early)"
    assert e.advice == "ask the sender to mail it again"


def test_a_sheet_whose_compressed_bytes_were_garbled_is_refused_as_damaged(tmp_path):
    # a mail gateway that mangled an attachment: the archive is whole, one part's deflate is not
    path = small_xlsx(tmp_path / "tracker.xlsx", rows=[("Task", "Owner")] + [(f"Task {k}", "Ana") for k in range(3000)])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 100:start + 140] = b"\xff" * 40
    path.write_bytes(bytes(data))
    assert rejected(path).reason == "damaged (its contents cannot be read)"


def test_random_bytes_are_not_a_spreadsheet(tmp_path):
    path = tmp_path / "noise.xlsx"
    path.write_bytes(random.Random(7).randbytes(50_000))
    assert rejected(path).reason == "not a spreadsheet"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert rejected(path).reason == "the file is empty"


def test_word_document_renamed_xlsx(tmp_path):
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document xmlns:w='x'/>")
    assert rejected(path).reason == "a Word document, not a spreadsheet"


def test_web_page_saved_as_xls(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><body><table><tr><td>Task</td></tr><tr><td>Launch</td></tr></table></body></html>")
    e = rejected(path)
    assert e.reason == "a web page saved with a spreadsheet name, not a spreadsheet"
    assert "save it as .xlsx" in e.advice


def test_mail_placeholder_text_named_xls_is_not_taken_for_a_table(tmp_path):
    path = tmp_path / "budget.xls"
    path.write_text("Attachment budget.xls not found!\n")
    assert "Attachment budget.xls not found!" in rejected(path).reason


def test_tab_separated_text_named_xls_is_read(tmp_path):
    # What many web apps send as "Excel": tab-separated text with a .xls name.
    path = tmp_path / "export.xls"
    path.write_text("Task\tOwner\nLaunch\tAna\nBrief\tBo\n")
    assert check_file(path) == "csv"
    assert read_sheet(path).table.rows == (("Launch", "Ana"), ("Brief", "Bo"))


def test_two_parts_with_one_name_are_refused(tmp_path):
    path = small_xlsx(tmp_path / "dup.xlsx")
    with pytest.warns(UserWarning):
        with zipfile.ZipFile(path, "a") as z:
            z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    assert "two different copies" in rejected(path).reason


def test_password_protected_workbook(tmp_path):
    encrypted = CORPUS / "msoffcrypto__example_password.xlsx"
    if not encrypted.exists():
        pytest.skip(f"corpus file {encrypted} not present")
    copy = tmp_path / "locked.xlsx"
    copy.write_bytes(encrypted.read_bytes())
    e = rejected(copy)
    assert e.reason == "password protected"
    assert "remove the password" in e.advice


# --- sheets that are too big ----------------------------------------------------------------------


def test_sheet_declaring_a_million_rows_is_refused_before_reading(tmp_path):
    path = small_xlsx(tmp_path / "big.xlsx")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<dimension" in xml
    import re

    rewrite(path, "xl/worksheets/sheet1.xml", re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:Z1000000"', xml))
    result = rejected_in_child(path)
    assert result["rejected"] and "too big" in result["reason"] and "1,000,000" in result["reason"]


def test_one_stray_cell_at_the_sheet_end_is_refused_not_a_crash(tmp_path):
    # A reader that lays the grid out densely would need 17 billion cells for this sheet.
    path = small_xlsx(tmp_path / "stray.xlsx")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    stray = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'
    rewrite(path, "xl/worksheets/sheet1.xml", xml.replace(b"</sheetData>", stray))
    result = rejected_in_child(path)
    assert result["rejected"] and "too big" in result["reason"]


@pytest.mark.parametrize("stray", [
    b'<c r="XFD1048576" t="n"><v>1</v></c>',  # the row tag says row 2; the reader goes by the cell
    b'<c r="A2" r=\'XFD1048576\' t="n"><v>1</v></c>',  # a second reference, which the reader takes
    b'<c r = "xfd1048576" t="n"><v>1</v></c>',
])
def test_a_stray_cell_in_a_low_row_is_refused_not_a_crash(tmp_path, stray):
    # A 3 KB attachment used to abort syncd here: the guard took the rows from the row tags, and
    # the reader (which places a cell where its own reference says) allocated 17 billion cells.
    path = small_xlsx(tmp_path / "stray.xlsx")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    rewrite(path, "xl/worksheets/sheet1.xml", xml.replace(b"</row></sheetData>", stray + b"</row></sheetData>"))
    result = rejected_in_child(path)
    assert result["rejected"] and "too big" in result["reason"] and "1,048,576" in result["reason"]


def test_empty_formatted_rows_to_the_sheet_end_are_fine(tmp_path):
    # LibreOffice writes formatted empty rows down to row 1,048,576: not data, not a reason to refuse.
    path = small_xlsx(tmp_path / "lo.xlsx")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    empties = b'<row r="1048575" ht="12.8"></row><row r="1048576"><c r="A1048576" s="0"/></row></sheetData>'
    rewrite(path, "xl/worksheets/sheet1.xml", xml.replace(b"</sheetData>", empties))
    assert read_sheet(path).table.rows == (("Launch", "Ana"),)


def test_more_rows_than_the_limit_is_refused(tmp_path):
    path = small_xlsx(tmp_path / "rows.xlsx", [("Task",)] + [(f"t{i}",) for i in range(30)])
    e = rejected(path, limits=Limits(max_rows=20))
    assert "too big" in e.reason and "20" in e.reason
    assert len(read_sheet(path, limits=Limits(max_rows=40)).table) == 30


def test_cell_longer_than_excel_allows_is_refused_naming_the_cell(tmp_path):
    path = small_xlsx(tmp_path / "long.xlsx", [("Task", "Notes"), ("Launch", "ok"), ("Brief", "PLACEHOLDER")])
    # openpyxl itself cuts text at Excel's limit, so write the over-long cell into the XML directly.
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"PLACEHOLDER" in xml
    rewrite(path, "xl/worksheets/sheet1.xml", xml.replace(b"PLACEHOLDER", b"x" * 100_000))
    e = rejected(path)
    assert e.reason == "cell B3 holds more than 32,767 characters, more than Excel allows"


def test_csv_cell_longer_than_excel_allows(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("Task,Notes\nLaunch," + "x" * 200_000 + "\n")
    assert "holds more than 32,767 characters" in rejected(path).reason


# --- the corpus's hostile OLE files (skipped when the corpus is absent) ----------------------------


@pytest.mark.parametrize(
    "name, reason",
    [
        ("phpss__oleloop.xls", "damaged (its contents cannot be read)"),
        ("calamine__OOM_alloc3.xls", "damaged (its contents cannot be read)"),
        ("msoffcrypto__xor_password_123456789012345.xls", "password protected"),
    ],
)
def test_hostile_ole_files(tmp_path, name, reason):
    source = CORPUS / name
    if not source.exists():
        pytest.skip(f"corpus file {source} not present")
    copy = tmp_path / name
    copy.write_bytes(source.read_bytes())
    result = rejected_in_child(copy)
    assert result["rejected"] and result["reason"] == reason


def test_check_file_tells_formats_by_content_not_name(tmp_path):
    xlsx = small_xlsx(tmp_path / "really_xlsx.csv")
    assert check_file(xlsx) == "xlsx"
    csv_named_xlsx = tmp_path / "really_csv.txt"
    csv_named_xlsx.write_text("a,b\n1,2\n")
    assert check_file(csv_named_xlsx, DEFAULT_LIMITS) == "csv"


def test_cells_without_a_reference_count_as_wide_as_they_are(tmp_path):
    # Cells may leave out r="B7": a reader places them one after another, so their number is the
    # width; the quick checks must not take such a sheet for a narrow one.
    path = small_xlsx(tmp_path / "norefs.xlsx")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    rows = b"".join(b'<row r="%d">' % r + b'<c t="n"><v>1</v></c>' * 40 + b"</row>" for r in range(3, 53))
    rewrite(path, "xl/worksheets/sheet1.xml", xml.replace(b"</sheetData>", rows + b"</sheetData>"))
    e = rejected(path, limits=Limits(max_cells=1_000))
    assert "too big" in e.reason and "40 columns" in e.reason
    assert read_sheet(path).table.width == 40  # within the limits it reads


@pytest.mark.parametrize("space", [b"\n", b"\t", b"\r\n"])
def test_cells_without_a_reference_after_other_whitespace_count_too(tmp_path, space):
    # "<c\n t=...>" is the same cell as "<c t=...>" to an XML reader, which lays 3,000 of them out
    # as 3,000 columns: the quick checks must see them as cells without a reference too, or a sheet
    # of such cells could make the reader lay out far more cells than the limit
    path = small_xlsx(tmp_path / "norefs.xlsx")
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    rows = b"".join(b'<row r="%d">' % r + (b"<c" + space + b't="n"><v>1</v></c>') * 3_000 + b"</row>" for r in range(3, 6))
    rewrite(path, "xl/worksheets/sheet1.xml", xml.replace(b"</sheetData>", rows + b"</sheetData>"))
    with pytest.raises(CopyRejected) as e:
        check_file(path, Limits(max_cells=1_000))  # before any reader lays the sheet out
    assert "3,000 columns" in e.value.reason


def test_a_sheet_written_with_prefixed_tags_is_measured_like_any_other(tmp_path):
    # "<x:row>" and "<x:c>" are legal XML for the same sheet (some export tools write them): rows
    # and cells must be counted as they are, not missed for their prefix.
    path = small_xlsx(tmp_path / "prefixed.xlsx")
    rows = b"".join(b"<x:row>" + b'<x:c t="n"><x:v>1</x:v></x:c>' * 40 + b"</x:row>" for _ in range(30))
    sheet = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b"<x:sheetData>" + rows + b"</x:sheetData></x:worksheet>")
    rewrite(path, "xl/worksheets/sheet1.xml", sheet)
    wide = rejected(path, limits=Limits(max_cells=1_000))
    assert "too big" in wide.reason and "40 columns" in wide.reason
    long = rejected(path, limits=Limits(max_rows=20))
    assert "too big" in long.reason and "down to row 30" in long.reason
